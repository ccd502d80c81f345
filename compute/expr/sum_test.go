package expr_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// TestSumDecimalReference: SUM of DECIMALs (64- and 128-bit arguments, with and without NULLs,
// few groups — the lane paths — and many) equals the exact big.Int sum per group, and is an
// overflow error exactly when a group's sum leaves DECIMAL(38); batches of random sizes.
func TestSumDecimalReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for iter := range 300 {
		at := types.DecimalOf(int32(1+r.IntN(38)), 0)
		if iter%2 == 0 {
			at.Precision = int32(1 + r.IntN(18))
		}
		at.Scale = int32(r.IntN(int(at.Precision) + 1))
		rt := types.DecimalOf(38, at.Scale)
		call := &planpb.AggregateCall{Name: "sum", Args: []*planpb.Expr{colRef(0, at)}, Type: rt.Proto()}
		agg, err := expr.CompileAggregate(call, []types.T{at})
		if err != nil {
			t.Fatal(err)
		}
		st := agg.NewState()
		groups := 1 + r.IntN(6)
		if r.IntN(4) == 0 {
			groups = 300 + r.IntN(300)
		}
		want := make([]*big.Int, groups)
		seen := make([]bool, groups)
		for g := range want {
			want[g] = new(big.Int)
		}
		st.Grow(groups)
		small := r.IntN(2) == 0
		overflow, failed := false, false
		limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(38), nil)
		for range 1 + r.IntN(5) {
			n := 1 + r.IntN(5000)
			v := decimalVector(r, at, n)
			if r.IntN(2) == 0 {
				v.Nulls = nil
			}
			if small && at.Physical() == types.PhysInt128 { // wide type, values that add up without overflow
				for i := range v.Int128 {
					v.Int128[i] = types.I128(int64(v.Int128[i].Lo>>1) - 1<<62)
				}
			}
			b := vector.NewBatch([]*vector.Vector{v}, n)
			b.Sel = randomSel(r, n)
			rows := b.Rows(nil)
			gids := make([]int32, len(rows))
			for k := range gids {
				gids[k] = int32(r.IntN(groups))
			}
			args, err := agg.EvalArgs(b)
			if err != nil {
				t.Fatal(err)
			}
			ferr := agg.Fold(st, args, rows, gids)
			for k, i := range rows {
				if v.IsNull(int(i)) {
					continue
				}
				g := gids[k]
				want[g].Add(want[g], unscaled(v, int(i)))
				seen[g] = true
				if new(big.Int).Abs(want[g]).Cmp(limit) >= 0 {
					overflow = true
				}
			}
			if ferr != nil {
				if !overflow {
					t.Fatalf("iter %d: sum of %s: %v, want no error", iter, at, ferr)
				}
				failed = true
				break
			}
		}
		out, err := agg.Output(st)
		if overflow { // the error comes when 128 bits overflow, or at the latest at Output
			if !failed && err == nil {
				t.Fatalf("iter %d: sum of %s left DECIMAL(38) without an error", iter, at)
			}
			continue
		}
		if err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		for g := range groups {
			if !seen[g] {
				if !out.IsNull(g) {
					t.Fatalf("iter %d group %d: want NULL, got %s", iter, g, out.Format(g))
				}
				continue
			}
			if out.IsNull(g) || unscaled(out, g).Cmp(want[g]) != 0 {
				t.Fatalf("iter %d group %d (%s): got %s, want unscaled %s", iter, g, at, out.Format(g), want[g])
			}
		}
	}
}
