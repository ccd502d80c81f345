package expr_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// TestData runs the golden files in testdata/. Directives:
//
//	table            defines the input rows of later evals: first line "name:type ...", then rows
//	clear            forgets the table (later evals run over one empty row)
//	eval             evaluates each input line as an expression over the table (or one empty row);
//	                 prints one line per row; with "sel" evaluates every other row only
//	agg groups=$g    evaluates each line as an aggregate "(name:type [distinct] args...)" per group
//	                 of the int column g and prints one line per group
func TestData(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var tb *table
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "table":
				var err error
				if tb, err = parseTable(d.Input); err != nil {
					d.Fatalf(t, "%v", err)
				}
				return ""
			case "clear":
				tb = nil
				return ""
			case "eval":
				var out []string
				for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
					out = append(out, evalLine(t, d, tb, line)...)
				}
				return strings.Join(out, "\n") + "\n"
			case "agg":
				var out []string
				for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
					out = append(out, aggLine(t, d, tb, line)...)
				}
				return strings.Join(out, "\n") + "\n"
			}
			d.Fatalf(t, "unknown command %s", d.Cmd)
			return ""
		})
	})
}

func inputTypes(tb *table) []types.T {
	if tb == nil {
		return nil
	}
	return tb.types
}

func evalLine(t *testing.T, d *datadriven.TestData, tb *table, line string) []string {
	pe, err := parseExpr(line, tb)
	if err != nil {
		d.Fatalf(t, "%s: %v", line, err)
	}
	e, err := expr.Compile(pe, inputTypes(tb))
	if err != nil {
		return []string{line + " = error: " + err.Error()}
	}
	b := &vector.Batch{N: 1}
	if tb != nil {
		b = &vector.Batch{Cols: tb.batch.Cols, N: tb.batch.N}
	}
	if d.HasArg("sel") {
		b.Sel = []int32{}
		for i := 0; i < b.N; i += 2 {
			b.Sel = append(b.Sel, int32(i))
		}
	}
	v, err := e.Eval(b)
	if err != nil {
		return []string{line + " = error: " + err.Error()}
	}
	if v.Type != e.Type() {
		d.Fatalf(t, "%s: result vector type %s, expression type %s", line, v.Type, e.Type())
	}
	var out []string
	for _, i := range b.Rows(nil) {
		out = append(out, v.Format(int(i)))
	}
	if len(out) == 1 || tb == nil {
		return []string{line + " = " + strings.Join(out, ", ")}
	}
	return append([]string{line}, out...)
}

func aggLine(t *testing.T, d *datadriven.TestData, tb *table, line string) []string {
	line = strings.TrimSpace(line)
	distinct := strings.Contains(line, " distinct")
	pe, err := parseExpr(strings.Replace(line, " distinct", "", 1), tb)
	if err != nil {
		d.Fatalf(t, "%s: %v", line, err)
	}
	call := &planpb.AggregateCall{Name: pe.GetCall().GetName(), Args: pe.GetCall().GetArgs(), Distinct: distinct, Type: pe.Type}
	a, err := expr.CompileAggregate(call, tb.types)
	if err != nil {
		return []string{line + " = error: " + err.Error()}
	}
	gids := make([]int32, tb.batch.N)
	ngroups := 1
	if d.HasArg("groups") {
		var g string
		d.ScanArgs(t, "groups", &g)
		gc, _ := tb.col(strings.TrimPrefix(g, "$"))
		for i := range gids {
			gids[i] = int32(tb.batch.Cols[gc].Int64[i])
			ngroups = max(ngroups, int(gids[i])+1)
		}
	}
	s := a.NewState()
	s.Grow(ngroups)
	// Feed the rows in two batches to exercise accumulation across batches.
	half := tb.batch.N / 2
	for _, r := range [][2]int{{0, half}, {half, tb.batch.N}} {
		b := &vector.Batch{Cols: tb.batch.Cols, N: tb.batch.N, Sel: vector.Identity(nil, r[1])[r[0]:]}
		args, err := a.EvalArgs(b)
		if err != nil {
			return []string{line + " = error: " + err.Error()}
		}
		if err := s.Update(args, b.Sel, gids[r[0]:r[1]]); err != nil {
			return []string{line + " = error: " + err.Error()}
		}
	}
	v, err := s.Result()
	if err != nil {
		return []string{line + " = error: " + err.Error()}
	}
	if v.Type != a.Type() {
		d.Fatalf(t, "%s: result type %s, aggregate type %s", line, v.Type, a.Type())
	}
	var vals []string
	for g := range ngroups {
		vals = append(vals, v.Format(g))
	}
	return []string{fmt.Sprintf("%s = %s", line, strings.Join(vals, ", "))}
}
