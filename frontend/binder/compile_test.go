package binder

import (
	"os"
	"strings"
	"testing"

	"github.com/doricdb/doric/api/planpb"
	engine "github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/parser"
)

// TestPlansCompile checks the contract between the binder and the engine: every expression and
// aggregate of every plan bound from the golden inputs compiles in compute/expr over the types of
// its node's input.
func TestPlansCompile(t *testing.T) {
	cat := newFixture(t)
	var ins []string
	for _, f := range []string{"testdata/golden/select", "testdata/golden/errors"} {
		data, _ := os.ReadFile(f)
		var cur []string
		in := false
		for _, line := range strings.Split(string(data), "\n") {
			switch {
			case !in && strings.HasPrefix(line, "plan"):
				in, cur = true, nil
			case in && line == "----":
				ins = append(ins, strings.Join(cur, "\n"))
				in = false
			case in:
				cur = append(cur, line)
			}
		}
	}
	n := 0
	for _, sql := range ins {
		st, err := parser.ParseOne(sql)
		if err != nil {
			t.Fatal(err)
		}
		q, err := BindSelect(cat, "test", st.(*ast.Select))
		if err != nil {
			continue
		}
		n++
		// walk returns the types of the columns a node outputs.
		var walk func(n *planpb.PlanNode) []types.T
		walk = func(n *planpb.PlanNode) []types.T {
			var in []types.T
			if len(n.Children) > 0 {
				in = walk(n.Children[0])
			}
			comp := func(e *planpb.Expr) {
				if _, err := engine.Compile(e, in); err != nil {
					t.Errorf("%s\n  %s: %v", sql, FormatExpr(e, true), err)
				}
			}
			var out []types.T
			switch x := n.Node.(type) {
			case *planpb.PlanNode_OlapScan:
				byID := map[int32]types.T{}
				for _, c := range x.OlapScan.Schema.Columns {
					byID[c.UniqueId] = types.FromProto(c.Type)
				}
				for _, id := range x.OlapScan.ColumnUniqueIds {
					out = append(out, byID[id])
				}
				in = out
				for _, c := range x.OlapScan.Conjuncts {
					comp(c)
				}
				return out
			case *planpb.PlanNode_Values:
				return nil
			case *planpb.PlanNode_Filter:
				comp(x.Filter.Predicate)
				return in
			case *planpb.PlanNode_Project:
				for _, e := range x.Project.Exprs {
					comp(e)
					out = append(out, types.FromProto(e.Type))
				}
				return out
			case *planpb.PlanNode_Aggregate:
				for _, e := range x.Aggregate.GroupBy {
					comp(e)
					out = append(out, types.FromProto(e.Type))
				}
				for _, a := range x.Aggregate.Aggregates {
					if _, err := engine.CompileAggregate(a, in); err != nil {
						t.Errorf("%s\n  agg %s: %v", sql, a.Name, err)
					}
					out = append(out, types.FromProto(a.Type))
				}
				return out
			case *planpb.PlanNode_Sort:
				for _, k := range x.Sort.Keys {
					comp(k.Expr)
				}
				return in
			}
			return in
		}
		walk(q.Fragment.Root)
	}
	if n < 30 {
		t.Fatalf("only %d golden plans bound", n)
	}
}
