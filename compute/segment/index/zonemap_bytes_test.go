package index

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// TestZoneOfBytesMatchesScan checks the string zone map (which skips comparisons when the first
// byte decides) against a plain scan, on random strings over a small alphabet (many equal first
// bytes, empty strings, prefixes of each other), random page bounds and NULLs.
func TestZoneOfBytesMatchesScan(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for range 2000 {
		n := 1 + r.IntN(40)
		v := vector.NewWithCap(types.New(types.String), n)
		for range n {
			if r.IntN(8) == 0 {
				v.AppendNull()
				continue
			}
			b := make([]byte, r.IntN(5))
			for i := range b {
				b[i] = "abc\x00\xff"[r.IntN(5)]
			}
			v.Bytes = append(v.Bytes, b)
		}
		lo := r.IntN(n)
		hi := lo + r.IntN(n-lo+1)
		var mn, mx []byte
		seen := false
		for i := lo; i < hi; i++ {
			if v.IsNull(i) {
				continue
			}
			x := v.Bytes[i]
			if !seen || bytes.Compare(x, mn) < 0 {
				mn = x
			}
			if !seen || bytes.Compare(x, mx) > 0 {
				mx = x
			}
			seen = true
		}
		z := ZoneOf(v, lo, hi)
		if z.HasMinMax != seen || seen && (!bytes.Equal(z.Min.Bytes, mn) || !bytes.Equal(z.Max.Bytes, mx)) {
			t.Fatalf("rows %d..%d of %q: zone %v, want min %q max %q", lo, hi, v.Bytes, z, mn, mx)
		}
	}
}
