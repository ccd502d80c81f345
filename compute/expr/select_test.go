package expr_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// TestSelectMatchesEval: Expr.Select keeps exactly the active rows where Eval gives TRUE, for
// random ANDs/ORs of comparisons between columns (of int, date, decimal and double types, with
// NULLs) and constants on either side (NULL constants and constants of another scale included),
// on batches with and without selections, selecting into a fresh slice and in place; the
// expressions reuse their vectors (Env.Scratch) across batches.
func TestSelectMatchesEval(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	boolT := types.New(types.Boolean)
	colTs := []types.T{types.New(types.Int), types.New(types.BigInt), types.New(types.Date),
		types.DecimalOf(15, 2), types.New(types.Double), types.DecimalOf(30, 2)}
	lit := func(t types.T) *planpb.Expr {
		l := &planpb.Literal{}
		switch {
		case r.IntN(10) == 0:
			l.IsNull = true
		case t.Physical() == types.PhysFloat64:
			l.Double = float64(r.IntN(20) - 10)
		case t.Physical() == types.PhysInt128:
			l.Lo = uint64(r.IntN(20))
		default:
			l.Int64 = int64(r.IntN(20) - 10)
		}
		return &planpb.Expr{Type: t.Proto(), Kind: &planpb.Expr_Literal{Literal: l}}
	}
	ops := []string{"eq", "ne", "lt", "le", "gt", "ge"}
	var cmpExpr func(depth int) *planpb.Expr
	cmpExpr = func(depth int) *planpb.Expr {
		if depth > 0 && r.IntN(3) == 0 {
			name := "and"
			if r.IntN(3) == 0 {
				name = "or"
			}
			args := []*planpb.Expr{cmpExpr(depth - 1), cmpExpr(depth - 1)}
			if r.IntN(2) == 0 {
				args = append(args, cmpExpr(depth-1))
			}
			return call(name, boolT, args...)
		}
		c := r.IntN(len(colTs))
		ct := colTs[c]
		lt := ct
		if ct.Kind == types.Decimal && r.IntN(4) == 0 {
			lt = types.DecimalOf(15, 1) // another scale: compared exactly, not as stored
		}
		if ct.Kind == types.Int && r.IntN(2) == 0 {
			lt = types.New(types.BigInt)
		}
		a, b := colRef(c, ct), lit(lt)
		if r.IntN(3) == 0 {
			a, b = b, a
		}
		if r.IntN(5) == 0 { // column with column
			b = colRef(c, ct)
		}
		return call(ops[r.IntN(len(ops))], boolT, a, b)
	}
	for iter := range 500 {
		e := cmpExpr(3)
		sel, err := expr.CompileEnv(e, colTs, expr.Env{Scratch: true})
		if err != nil {
			t.Fatalf("%v: %v", e, err)
		}
		ref, err := expr.Compile(e, colTs)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			n := 1 + r.IntN(300)
			cols := make([]*vector.Vector, len(colTs))
			for c, ct := range colTs {
				v := vector.New(ct, n)
				nulls := r.IntN(2) == 0
				for i := range n {
					switch ct.Physical() {
					case types.PhysFloat64:
						v.Float64[i] = float64(r.IntN(20) - 10)
					case types.PhysInt128:
						v.Int128[i] = types.I128(int64(r.IntN(20)))
					default:
						v.Int64[i] = int64(r.IntN(20) - 10)
					}
					if nulls && r.IntN(5) == 0 {
						v.SetNull(i)
					}
				}
				cols[c] = v
			}
			checkSelect(t, r, iter, e, sel, ref, vector.NewBatch(cols, n))
		}
	}
}

// TestRangeSelectMatchesEval: an AND of a lower and an upper bound on one column (which selects
// in one pass) keeps exactly the rows Eval gives TRUE for — strict and inclusive bounds, the
// constant on either side, bounds at the ends of int64 (where x > MaxInt64 and x < MinInt64 hold
// for nothing), crossing bounds, NULLs, batches with and without selections, selecting in place.
func TestRangeSelectMatchesEval(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	boolT := types.New(types.Boolean)
	colTs := []types.T{types.New(types.BigInt), types.New(types.Date), types.DecimalOf(15, 2)}
	edges := []int64{math.MinInt64, math.MinInt64 + 1, -1, 0, 1, math.MaxInt64 - 1, math.MaxInt64}
	big := false // edges only for BIGINT (DECIMAL and DATE literals must be in their range)
	val := func() int64 {
		if big && r.IntN(4) == 0 {
			return edges[r.IntN(len(edges))]
		}
		return int64(r.IntN(40) - 20)
	}
	bound := func(c int, ct types.T, lower bool) *planpb.Expr {
		ops := []string{"lt", "le"}
		if lower {
			ops = []string{"gt", "ge"}
		}
		op := ops[r.IntN(2)]
		l := &planpb.Expr{Type: ct.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Int64: val()}}}
		if r.IntN(2) == 0 { // constant first: c < x is x > c
			flip := map[string]string{"lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}
			return call(flip[op], boolT, l, colRef(c, ct))
		}
		return call(op, boolT, colRef(c, ct), l)
	}
	for iter := range 2000 {
		c := r.IntN(len(colTs))
		ct := colTs[c]
		big = c == 0
		lo, hi := bound(c, ct, true), bound(c, ct, false)
		if r.IntN(2) == 0 {
			lo, hi = hi, lo
		}
		e := call("and", boolT, lo, hi)
		sel, err := expr.CompileEnv(e, colTs, expr.Env{Scratch: true})
		if err != nil {
			t.Fatalf("%v: %v", e, err)
		}
		ref, err := expr.Compile(e, colTs)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			n := 1 + r.IntN(200)
			cols := make([]*vector.Vector, len(colTs))
			for k, t := range colTs {
				v := vector.New(t, n)
				nulls := r.IntN(2) == 0
				for i := range n {
					v.Int64[i] = int64(r.IntN(40) - 20)
					if k == 0 && r.IntN(4) == 0 {
						v.Int64[i] = edges[r.IntN(len(edges))]
					}
					if nulls && r.IntN(5) == 0 {
						v.SetNull(i)
					}
				}
				cols[k] = v
			}
			checkSelect(t, r, iter, e, sel, ref, vector.NewBatch(cols, n))
		}
	}
}

// checkSelect gives b a random selection and checks that sel (compiled with Scratch) selects
// from it — into a fresh slice or in place — exactly the active rows where ref evaluates TRUE.
func checkSelect(t *testing.T, r *rand.Rand, iter int, e *planpb.Expr, sel, ref *expr.Expr, b *vector.Batch) {
	t.Helper()
	b.Sel = randomSel(r, b.N)
	res, err := ref.Eval(b)
	if err != nil {
		t.Fatal(err)
	}
	var want []int32
	for _, i := range b.Rows(nil) {
		if !res.IsNull(int(i)) && res.Int64[i] != 0 {
			want = append(want, i)
		}
	}
	var got []int32
	if b.Sel != nil && r.IntN(2) == 0 {
		inPlace := slices.Clone(b.Sel)
		b.Sel = inPlace
		got, err = sel.Select(b, inPlace)
	} else {
		got, err = sel.Select(b, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
		t.Fatalf("iter %d: %v\nselected %v\nwant     %v", iter, e, got, want)
	}
}
