package exec

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// TestJoinTableLayout checks the bucketed layout of joinTable against its inputs (random key
// shapes, duplicate and NULL keys, empty tables): pos is a permutation, the keys are reordered
// by it, every bucket holds exactly the rows of its hash in input order, the rows with a NULL
// (non-null-safe) key come last; and that hashProbe, resumed at random limits, yields exactly
// the key-equal pairs a nested loop finds (all of them, or the first per probe row).
func TestJoinTableLayout(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	ints := func(n, domain int, nulls bool) *vector.Vector {
		v := vector.New(types.New(types.BigInt), n)
		for i := range n {
			v.Int64[i] = r.Int64N(int64(domain))
			if nulls && r.IntN(5) == 0 {
				v.SetNull(i)
			}
		}
		return v
	}
	strs := func(n, domain int, nulls bool) *vector.Vector {
		v := vector.New(types.New(types.Varchar), n)
		for i := range n {
			v.Bytes[i] = fmt.Appendf(nil, "k%d", r.IntN(domain))
			if nulls && r.IntN(5) == 0 {
				v.SetNull(i)
			}
		}
		return v
	}
	for iter := range 200 {
		n, np := r.IntN(1500), 1+r.IntN(500)
		if r.IntN(8) == 0 {
			n = 0
		}
		domain := 1 + r.IntN(2*n+2)
		nulls := r.IntN(2) == 0
		var specs []keySpec
		var bk, pk []*vector.Vector
		switch shape := iter % 5; shape {
		case 0, 1, 2: // one, two or three int64 keys
			for range shape + 1 {
				specs = append(specs, keySpec{phys: types.PhysInt64})
				bk, pk = append(bk, ints(n, domain, nulls)), append(pk, ints(np, domain, nulls))
			}
		case 3:
			specs = append(specs, keySpec{phys: types.PhysBytes})
			bk, pk = append(bk, strs(n, domain, nulls)), append(pk, strs(np, domain, nulls))
		case 4: // null-safe
			specs = append(specs, keySpec{phys: types.PhysInt64, nullSafe: true})
			bk, pk = append(bk, ints(n, domain, nulls)), append(pk, ints(np, domain, nulls))
		}
		orig := slices.Clone(bk)
		tab := newJoinTable(newHasher(), specs, bk, n)
		pos := tab.pos

		// Layout.
		seen := make([]bool, n)
		for i, a := range pos {
			if seen[a] {
				t.Fatalf("iter %d: pos maps two rows to %d", iter, a)
			}
			seen[a] = true
			for k := range orig {
				if orig[k].IsNull(i) != tab.keys[k].IsNull(int(a)) ||
					(!orig[k].IsNull(i) && !specs[k].eqFunc(orig[k], tab.keys[k])(int32(i), a)) {
					t.Fatalf("iter %d: key %d of row %d differs at table row %d", iter, k, i, a)
				}
			}
		}
		rows := vector.Identity(nil, n)
		h := make([]uint64, n)
		for k, v := range orig {
			tab.hs.hashKey(specs[k], v, rows, h, k == 0)
		}
		nullKey := func(vs []*vector.Vector, i int) bool {
			for k, v := range vs {
				if !specs[k].nullSafe && v.IsNull(i) {
					return true
				}
			}
			return false
		}
		inBuckets := int(tab.offs[len(tab.offs)-1])
		last := make([]int32, len(tab.offs)) // per bucket: the last table row + 1 placed so far
		for i := range n {
			a := pos[i]
			if nullKey(orig, i) {
				if int(a) < inBuckets {
					t.Fatalf("iter %d: row %d with a NULL key at %d, before %d", iter, i, a, inBuckets)
				}
				continue
			}
			b := h[i] & tab.mask
			if a < tab.offs[b] || a >= tab.offs[b+1] || a < last[b] {
				t.Fatalf("iter %d: row %d at %d, bucket %d is [%d, %d), after %d", iter, i, a, b, tab.offs[b], tab.offs[b+1], last[b])
			}
			last[b] = a + 1
		}
		if len(tab.nullRows) != n-inBuckets {
			t.Fatalf("iter %d: %d null rows, want %d", iter, len(tab.nullRows), n-inBuckets)
		}

		// Probes.
		var probeRows []int32
		for i := range np {
			if r.IntN(4) != 0 {
				probeRows = append(probeRows, int32(i))
			}
		}
		for _, firstOnly := range []bool{false, true} {
			var want [][2]int32
			eqs := eqFuncs(specs, pk, tab.keys)
			for _, i := range probeRows {
				for j := range n {
					if tupleEq3(specs, eqs, pk, tab.keys, i, int32(j)) == cmpTrue {
						want = append(want, [2]int32{i, int32(j)})
						if firstOnly {
							break
						}
					}
				}
			}
			var p hashProbe
			p.reset(tab, pk, probeRows)
			var got [][2]int32
			for {
				limit := 1 + r.IntN(50)
				l, rr, more := p.next(nil, nil, limit, nil, firstOnly)
				if len(l) > limit {
					t.Fatalf("iter %d: %d pairs over limit %d", iter, len(l), limit)
				}
				for k := range l {
					got = append(got, [2]int32{l[k], rr[k]})
				}
				if !more {
					break
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("iter %d (firstOnly %v, %d x %d rows): got %d pairs, want %d", iter, firstOnly, np, n, len(got), len(want))
			}
		}
	}
}

func eqFuncs(specs []keySpec, pk, bk []*vector.Vector) []func(i, j int32) bool {
	var out []func(i, j int32) bool
	for k, s := range specs {
		out = append(out, s.eqFunc(pk[k], bk[k]))
	}
	return out
}
