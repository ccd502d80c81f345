package expr

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDigestStaysSmall: however many values a percentile_approx digest takes, it keeps at most
// compression centroids (merging cost stays linear: the buffer compresses once per
// ~4·compression values), and its quantiles stay within a small rank error — closer still at
// the tails. (A scale bound that let the centroids grow with the values made every add compress
// once they passed 4·compression: a query over 1.5M values ran for minutes.)
func TestDigestStaysSmall(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 1_000_000
	var d digest
	for range n {
		d.add(r.Float64(), 1, defaultCompression)
	}
	d.compress(defaultCompression)
	if max := defaultCompression; len(d.means) > max {
		t.Fatalf("%d centroids after %d values, want at most %d", len(d.means), n, max)
	}
	for _, c := range []struct{ p, tol float64 }{{0.0001, 0.00005}, {0.01, 0.0005}, {0.5, 0.002}, {0.999, 0.0002}} {
		if q := d.quantile(c.p, defaultCompression); math.Abs(q-c.p) > c.tol {
			t.Errorf("quantile %v of uniform values: %v", c.p, q)
		}
	}
}
