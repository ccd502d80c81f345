package exec

import (
	"context"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// TestOrderConjuncts: cheap comparisons of numbers and dates first, then IN over strings, then
// LIKE; conjuncts that may fail (here a cast) keep their order after every safe one.
func TestOrderConjuncts(t *testing.T) {
	col := func(i int32, ty types.T) *planpb.Expr {
		return &planpb.Expr{Type: ty.Proto(), Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: i}}}
	}
	lit := func(ty types.T) *planpb.Expr {
		return &planpb.Expr{Type: ty.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{}}}
	}
	call := func(name string, args ...*planpb.Expr) *planpb.Expr {
		return &planpb.Expr{Type: types.New(types.Boolean).Proto(), Kind: &planpb.Expr_Call{Call: &planpb.Call{Name: name, Args: args}}}
	}
	str, date := types.CharOf(10), types.New(types.Date)
	castE := call("cast", col(0, str))
	castE.Type = types.New(types.Int).Proto()
	in := call("in", col(0, str), lit(str), lit(str))
	like := call("like", col(1, str), lit(str))
	unsafe1 := call("gt", castE, lit(types.New(types.Int)))
	ge := call("ge", col(2, date), lit(date))
	colcol := call("lt", col(2, date), col(3, date))
	unsafe2 := call("add_months", col(2, date))
	got := orderConjuncts([]*planpb.Expr{in, like, unsafe1, ge, unsafe2, colcol})
	want := []*planpb.Expr{ge, colcol, in, like, unsafe1, unsafe2}
	for i := range want {
		if got[i] != want[i] {
			names := make([]string, len(got))
			for k, e := range got {
				names[k] = e.GetCall().GetName()
			}
			t.Fatalf("order %v", names)
		}
	}
}

// TestFuseRanges: per column, the first lower and the first upper bound by a constant become
// one AND in the first one's place (a constant on the left flips the bound's direction);
// further bounds, bounds by columns or NULL, and columns bounded on one side only stay apart.
func TestFuseRanges(t *testing.T) {
	col := func(i int32) *planpb.Expr {
		return &planpb.Expr{Type: types.New(types.Date).Proto(), Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: i}}}
	}
	lit := func(null bool) *planpb.Expr {
		return &planpb.Expr{Type: types.New(types.Date).Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{IsNull: null}}}
	}
	call := func(name string, args ...*planpb.Expr) *planpb.Expr {
		return &planpb.Expr{Type: types.New(types.Boolean).Proto(), Kind: &planpb.Expr_Call{Call: &planpb.Call{Name: name, Args: args}}}
	}
	like := call("like", col(0), lit(false))
	ge2 := call("ge", col(2), lit(false))
	litLt2 := call("lt", lit(false), col(2)) // 2 > lit: a second lower bound
	le2 := call("le", col(2), lit(false))
	ge3 := call("ge", col(3), lit(false)) // one side only
	lt4 := call("lt", col(4), col(5))     // a column, not a constant
	gt4null := call("gt", col(4), lit(true))
	le4 := call("le", col(4), lit(false))
	got := fuseRanges([]*planpb.Expr{like, ge2, litLt2, ge3, lt4, gt4null, le4, le2})
	want := []*planpb.Expr{like, nil, litLt2, ge3, lt4, gt4null, le4}
	if len(got) != len(want) {
		t.Fatalf("%d conjuncts, want %d", len(got), len(want))
	}
	for i, w := range want {
		if w == nil {
			c := got[i].GetCall()
			if c.GetName() != "and" || len(c.GetArgs()) != 2 || c.GetArgs()[0] != ge2 || c.GetArgs()[1] != le2 {
				t.Fatalf("conjunct %d: %v, want and(ge2, le2)", i, got[i])
			}
			continue
		}
		if got[i] != w {
			t.Fatalf("conjunct %d: %v, want %v", i, got[i], w)
		}
	}
}

// appliedIter serves one batch and says its first `applied` conjuncts hold on it already.
type appliedIter struct {
	b       *vector.Batch
	applied int
}

func (it *appliedIter) Next(context.Context) (*vector.Batch, error) {
	b := it.b
	it.b = nil
	return b, nil
}

func (it *appliedIter) Applied() int { return it.applied }

type appliedSource struct {
	vals    []int64
	applied int
}

func (s appliedSource) ScanTablet(context.Context, *planpb.ScanRange, *commonpb.TabletSchema, []int32, []*planpb.Expr, int) (BatchIterator, error) {
	v := vector.New(types.New(types.BigInt), len(s.vals))
	copy(v.Int64, s.vals)
	return &appliedIter{b: vector.NewBatch([]*vector.Vector{v}, len(s.vals)), applied: s.applied}, nil
}

// TestScanSkipsAppliedConjuncts: the scan evaluates only the conjuncts its tablet iterator did
// not apply (the first Applied() of its ordered conjuncts): here the iterator claims the first
// (x > 5) though its rows do not satisfy it, so rows <= 5 that pass the second (x <> 7) show it
// was skipped — and with Applied 0 both run.
func TestScanSkipsAppliedConjuncts(t *testing.T) {
	bigint := types.New(types.BigInt)
	col := &planpb.Expr{Type: bigint.Proto(), Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: 0}}}
	lit := func(v int64) *planpb.Expr {
		return &planpb.Expr{Type: bigint.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Int64: v}}}
	}
	cmp := func(name string, v int64) *planpb.Expr {
		return &planpb.Expr{Type: types.New(types.Boolean).Proto(), Kind: &planpb.Expr_Call{Call: &planpb.Call{Name: name, Args: []*planpb.Expr{col, lit(v)}}}}
	}
	scan := &planpb.PlanNode{Id: 1, Node: &planpb.PlanNode_OlapScan{OlapScan: &planpb.OlapScanNode{
		TableId: 1, Schema: &commonpb.TabletSchema{Columns: []*commonpb.Column{{UniqueId: 1, Type: bigint.Proto()}}},
		ColumnUniqueIds: []int32{1},
		Conjuncts:       []*planpb.Expr{cmp("gt", 5), cmp("ne", 7)}, // not fused: one bound only
	}}}
	for applied, want := range map[int]int{0: 3, 1: 9, 2: 10} {
		op, err := Build(scan, Env{Tablets: appliedSource{vals: []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, applied: applied},
			Ranges: []*planpb.ScanRange{{NodeId: 1, TabletId: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		bs, err := Drain(context.Background(), op)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, b := range bs {
			n += b.Len()
		}
		if n != want {
			t.Errorf("Applied %d: %d rows, want %d", applied, n, want)
		}
	}
}
