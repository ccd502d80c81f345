package expr

import (
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// TestCompileAggregatesShares: calls that occur in several arguments of one aggregation are one
// shared node (not below conditional forms), and the results equal those of the calls compiled
// apart, over batches with and without selections and NULLs.
func TestCompileAggregatesShares(t *testing.T) {
	d152, d162, d314, d386 := types.DecimalOf(15, 2), types.DecimalOf(16, 2), types.DecimalOf(31, 4), types.DecimalOf(38, 6)
	in := []types.T{d152, d152, d152}
	col := func(i int) *planpb.Expr {
		return &planpb.Expr{Type: d152.Proto(), Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(i)}}}
	}
	call := func(name string, t types.T, args ...*planpb.Expr) *planpb.Expr {
		return &planpb.Expr{Type: t.Proto(), Kind: &planpb.Expr_Call{Call: &planpb.Call{Name: name, Args: args}}}
	}
	one := &planpb.Expr{Type: types.DecimalOf(3, 0).Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Int64: 1}}}
	disc := func() *planpb.Expr { return call("multiply", d314, col(0), call("subtract", d162, one, col(1))) }
	boolT := types.New(types.Boolean)
	sum := func(t types.T, e *planpb.Expr) *planpb.AggregateCall {
		return &planpb.AggregateCall{Name: "sum", Args: []*planpb.Expr{e}, Type: types.DecimalOf(38, t.Scale).Proto()}
	}
	zero := &planpb.Expr{Type: d314.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Int64: 0}}}
	calls := []*planpb.AggregateCall{
		sum(d314, disc()),
		sum(d386, call("multiply", d386, disc(), call("add", d162, one, col(2)))),
		// Below a conditional: evaluated on the rows that reach it, never shared.
		sum(d314, call("if", d314, call("gt", boolT, col(2), col(1)), disc(), zero)),
	}
	together, err := CompileAggregates(calls, in, planpb.AggregateMode_AGG_COMPLETE)
	if err != nil {
		t.Fatal(err)
	}
	s0, ok := together[0].args[0].root.(*shared)
	if !ok {
		t.Fatalf("first argument is %T, want the shared node", together[0].args[0].root)
	}
	if m := together[1].args[0].root.(*arith); m.a != s0 {
		t.Fatalf("second argument's product is %T, not the shared node", m.a)
	}
	if c := together[2].args[0].root.(*caseNode); containsShared(c) {
		t.Fatal("a shared node below IF")
	}
	apart := make([]*Aggregate, len(calls))
	for k, c := range calls {
		if apart[k], err = CompileAggregate(c, in); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	states := func(as []*Aggregate) []State {
		out := make([]State, len(as))
		for k, a := range as {
			out[k] = a.NewState()
			out[k].Grow(3)
		}
		return out
	}
	ss, sa := states(together), states(apart)
	for range 20 {
		n := 1 + r.IntN(500)
		cols := make([]*vector.Vector, 3)
		for c := range cols {
			cols[c] = vector.New(d152, n)
			for i := range n {
				cols[c].Int64[i] = r.Int64N(200000) - 1000
				if r.IntN(30) == 0 {
					cols[c].SetNull(i)
				}
			}
		}
		b := vector.NewBatch(cols, n)
		if r.IntN(2) == 0 {
			for i := range n {
				if r.IntN(3) > 0 {
					b.Sel = append(b.Sel, int32(i))
				}
			}
		}
		rows := b.Rows(nil)
		gids := make([]int32, len(rows))
		for k := range gids {
			gids[k] = int32(r.IntN(3))
		}
		for k := range calls {
			for _, set := range []struct {
				as []*Aggregate
				st []State
			}{{together, ss}, {apart, sa}} {
				args, err := set.as[k].EvalArgs(b)
				if err != nil {
					t.Fatal(err)
				}
				if err := set.as[k].Fold(set.st[k], args, rows, gids); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for k := range calls {
		a, _ := together[k].Output(ss[k])
		b, _ := apart[k].Output(sa[k])
		for g := range 3 {
			if a.Format(g) != b.Format(g) {
				t.Fatalf("call %d group %d: shared %s, apart %s", k, g, a.Format(g), b.Format(g))
			}
		}
	}
}

func containsShared(n node) bool {
	switch x := n.(type) {
	case *shared:
		return true
	case *arith:
		return containsShared(x.a) || containsShared(x.b)
	case *caseNode:
		for _, a := range append(append(append([]node(nil), x.whens...), x.thens...), x.els) {
			if a != nil && containsShared(a) {
				return true
			}
		}
	}
	return false
}
