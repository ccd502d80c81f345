package exec

import (
	"testing"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
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
