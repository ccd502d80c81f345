package expr_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/function"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

var tDouble = types.New(types.Double)

type aggSpec struct {
	name     string
	args     []types.T
	distinct bool
}

// aggInput is a random input: columns and a group id per row.
func aggInput(r *rand.Rand, spec aggSpec, n, groups int) ([]*vector.Vector, []int32) {
	cols := make([]*vector.Vector, len(spec.args))
	for k, t := range spec.args {
		v := vector.New(t, n)
		for i := range n {
			if r.IntN(7) == 0 && k == 0 {
				v.SetNull(i)
				continue
			}
			switch {
			case spec.name == "percentile_approx" && k == 1:
				v.Float64[i] = 0.3
			case spec.name == "group_concat" && k == 1:
				v.Bytes[i] = []byte("|")
			case t.Kind == types.Decimal:
				x := randomDecimal(r, t.Precision)
				if t.Physical() == types.PhysInt64 {
					v.Int64[i] = x.Int64()
				} else {
					v.Int128[i] = x
				}
			case t.Kind == types.Boolean:
				v.Int64[i] = r.Int64N(2)
			case t.Physical() == types.PhysInt64:
				v.Int64[i] = r.Int64N(50) - 10
			case t.Physical() == types.PhysFloat64:
				v.Float64[i] = float64(r.IntN(1000)) / 8
			case t.IsString():
				v.Bytes[i] = []byte(fmt.Sprint("v", r.IntN(20)))
			}
		}
		cols[k] = v
	}
	gids := make([]int32, n)
	for i := range gids {
		gids[i] = int32(r.IntN(groups))
	}
	return cols, gids
}

func compileAgg(t *testing.T, spec aggSpec, mode planpb.AggregateMode) *expr.Aggregate {
	t.Helper()
	fargs := make([]function.Arg, len(spec.args))
	for i, a := range spec.args {
		fargs[i] = function.Arg{Type: a, Nullable: true}
	}
	sig, err := function.ResolveAggregate(spec.name, fargs)
	if err != nil {
		t.Fatal(err)
	}
	call := &planpb.AggregateCall{Name: sig.Name, Distinct: spec.distinct, Type: sig.Result.Proto()}
	input := spec.args
	if mode == planpb.AggregateMode_AGG_FINAL {
		it := function.IntermediateType(sig, spec.distinct)
		call.Args = []*planpb.Expr{colRef(0, it)}
		for _, a := range spec.args {
			call.ArgTypes = append(call.ArgTypes, a.Proto())
		}
		input = []types.T{it}
	} else {
		for i, a := range spec.args {
			call.Args = append(call.Args, colRef(i, a))
		}
	}
	a, err := expr.CompileAggregatePhase(call, input, mode)
	if err != nil {
		t.Fatalf("%s: %v", spec.name, err)
	}
	if mode == planpb.AggregateMode_AGG_PARTIAL && a.Type() != function.IntermediateType(sig, spec.distinct) {
		t.Fatalf("%s: partial type %s, registry says %s", spec.name, a.Type(), function.IntermediateType(sig, spec.distinct))
	}
	return a
}

// foldRows folds rows [lo, hi) of the input into s, in random-size batches.
func foldRows(t *testing.T, r *rand.Rand, a *expr.Aggregate, s expr.State, cols []*vector.Vector, gids []int32, lo, hi, groups int) {
	t.Helper()
	s.Grow(groups)
	for lo < hi {
		end := min(hi, lo+1+r.IntN(64))
		part := make([]*vector.Vector, len(cols))
		for k, c := range cols {
			part[k] = c.Slice(lo, end)
		}
		b := vector.NewBatch(part, end-lo)
		args, err := a.EvalArgs(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Fold(s, args, vector.Identity(nil, end-lo), gids[lo:end]); err != nil {
			t.Fatal(err)
		}
		lo = end
	}
}

func sameValue(a, b *vector.Vector, i int) bool {
	if a.IsNull(i) || b.IsNull(i) {
		return a.IsNull(i) == b.IsNull(i)
	}
	if a.Type.Physical() == types.PhysFloat64 {
		x, y := a.Float64[i], b.Float64[i]
		return math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(x))
	}
	return a.Format(i) == b.Format(i)
}

// TestAggregatesTwoPhase: for every aggregate, PARTIAL over a random split of the input then
// FINAL over the partial states (in random order) gives the result of COMPLETE.
func TestAggregatesTwoPhase(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	specs := []aggSpec{
		{"count", nil, false},
		{"count", []types.T{tBig}, false},
		{"count", []types.T{tBig, tStr}, true},
		{"sum", []types.T{tBig}, false},
		{"sum", []types.T{types.DecimalOf(15, 2)}, false},
		{"sum", []types.T{types.DecimalOf(30, 4)}, true},
		{"sum", []types.T{tDouble}, false},
		{"avg", []types.T{tBig}, false},
		{"avg", []types.T{types.DecimalOf(12, 3)}, false},
		{"avg", []types.T{types.DecimalOf(12, 3)}, true},
		{"avg", []types.T{tDouble}, false},
		{"min", []types.T{tStr}, false},
		{"max", []types.T{types.DecimalOf(25, 5)}, false},
		{"max", []types.T{tDate}, true},
		{"any_value", []types.T{tBig}, false},
		{"bool_and", []types.T{tBool}, false},
		{"bool_or", []types.T{tBool}, false},
		{"stddev_pop", []types.T{tDouble}, false},
		{"stddev_samp", []types.T{tDouble}, false},
		{"var_pop", []types.T{tDouble}, false},
		{"var_samp", []types.T{tDouble}, true},
		{"group_concat", []types.T{tStr}, true},
		{"group_concat", []types.T{tStr, tStr}, false},
		{"approx_count_distinct", []types.T{tStr}, false},
		{"approx_count_distinct", []types.T{tBig, tStr}, false},
		{"percentile_approx", []types.T{tDouble, tDouble}, false},
	}
	for _, spec := range specs {
		for range 3 {
			n, groups := 1+r.IntN(600), 1+r.IntN(8)
			cols, gids := aggInput(r, spec, n, groups)

			complete := compileAgg(t, spec, planpb.AggregateMode_AGG_COMPLETE)
			cs := complete.NewState()
			foldRows(t, r, complete, cs, cols, gids, 0, n, groups)
			want, err := complete.Output(cs)
			if err != nil {
				t.Fatal(err)
			}

			partial := compileAgg(t, spec, planpb.AggregateMode_AGG_PARTIAL)
			final := compileAgg(t, spec, planpb.AggregateMode_AGG_FINAL)
			fs := final.NewState()
			fs.Grow(groups)
			var parts []*vector.Vector
			for lo := 0; lo < n; {
				hi := min(n, lo+1+r.IntN(n))
				ps := partial.NewState()
				foldRows(t, r, partial, ps, cols, gids, lo, hi, groups)
				v, err := partial.Output(ps)
				if err != nil {
					t.Fatal(err)
				}
				parts = append(parts, v)
				lo = hi
			}
			r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
			for _, v := range parts {
				g := make([]int32, groups)
				for i := range g {
					g[i] = int32(i)
				}
				if err := final.Fold(fs, []*vector.Vector{v}, vector.Identity(nil, groups), g); err != nil {
					t.Fatal(err)
				}
			}
			got, err := final.Output(fs)
			if err != nil {
				t.Fatal(err)
			}
			for g := range groups {
				ok := sameValue(got, want, g)
				if spec.name == "group_concat" && !spec.distinct && !ok {
					// Without ORDER BY the order is unspecified: compare the multisets.
					ok = sortedParts(got.Format(g)) == sortedParts(want.Format(g))
				}
				if spec.name == "any_value" { // any one of the group's values
					ok = got.IsNull(g) == want.IsNull(g)
				}
				if spec.name == "group_concat" && spec.distinct && !ok {
					ok = sortedParts(got.Format(g)) == sortedParts(want.Format(g))
				}
				if !ok {
					t.Fatalf("%s%v distinct=%v group %d: two-phase %s, complete %s", spec.name, spec.args, spec.distinct, g, got.Format(g), want.Format(g))
				}
			}
		}
	}
}

func sortedParts(s string) string {
	p := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '|' })
	sort.Strings(p)
	return strings.Join(p, ",")
}

// runComplete runs an aggregate over one group of values.
func runComplete(t *testing.T, spec aggSpec, call *planpb.AggregateCall, cols []*vector.Vector) *vector.Vector {
	t.Helper()
	in := make([]types.T, len(cols))
	for i, c := range cols {
		in[i] = c.Type
	}
	a, err := expr.CompileAggregate(call, in)
	if err != nil {
		t.Fatal(err)
	}
	s := a.NewState()
	s.Grow(1)
	b := vector.NewBatch(cols, cols[0].Len())
	args, err := a.EvalArgs(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Fold(s, args, vector.Identity(nil, b.N), make([]int32, b.N)); err != nil {
		t.Fatal(err)
	}
	v, err := a.Output(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func doubles(xs []float64) *vector.Vector {
	v := vector.New(tDouble, len(xs))
	copy(v.Float64, xs)
	return v
}

// TestStatisticalAggregatesReference checks variance/stddev against the two-pass formula and
// percentile_approx against sorted interpolation (exact below the compression).
func TestStatisticalAggregatesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for range 20 {
		n := 1 + r.IntN(3000)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = r.NormFloat64()*100 + 5
		}
		mean := 0.0
		for _, x := range xs {
			mean += x
		}
		mean /= float64(n)
		ss := 0.0
		for _, x := range xs {
			ss += (x - mean) * (x - mean)
		}
		for name, want := range map[string]float64{
			"var_pop": ss / float64(n), "stddev_pop": math.Sqrt(ss / float64(n)),
			"var_samp": ss / float64(n-1), "stddev_samp": math.Sqrt(ss / float64(n-1)),
		} {
			v := runComplete(t, aggSpec{}, &planpb.AggregateCall{Name: name, Args: []*planpb.Expr{colRef(0, tDouble)}, Type: tDouble.Proto()}, []*vector.Vector{doubles(xs)})
			if n == 1 && strings.HasSuffix(name, "samp") {
				if !v.IsNull(0) {
					t.Fatalf("%s of one value is %v, want NULL", name, v.Float64[0])
				}
				continue
			}
			if math.Abs(v.Float64[0]-want) > 1e-9*math.Max(1, want) {
				t.Fatalf("%s = %v, want %v", name, v.Float64[0], want)
			}
		}
		p := r.Float64()
		pv := doubles(slices.Repeat([]float64{p}, n))
		v := runComplete(t, aggSpec{}, &planpb.AggregateCall{Name: "percentile_approx", Args: []*planpb.Expr{colRef(0, tDouble), colRef(1, tDouble)}, Type: tDouble.Proto()}, []*vector.Vector{doubles(xs), pv})
		sorted := slices.Clone(xs)
		slices.Sort(sorted)
		pos := p * float64(n-1)
		lo := int(math.Floor(pos))
		want := sorted[lo]
		if lo+1 < n {
			want += (sorted[lo+1] - sorted[lo]) * (pos - float64(lo))
		}
		if math.Abs(v.Float64[0]-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Fatalf("percentile_approx(%d values, %v) = %v, want %v", n, p, v.Float64[0], want)
		}
	}
	// Beyond the compression the digest is approximate: the rank error stays small.
	n := 200000
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = r.Float64()
	}
	for _, p := range []float64{0.01, 0.5, 0.99} {
		pv := doubles(slices.Repeat([]float64{p}, n))
		v := runComplete(t, aggSpec{}, &planpb.AggregateCall{Name: "percentile_approx", Args: []*planpb.Expr{colRef(0, tDouble), colRef(1, tDouble)}, Type: tDouble.Proto()}, []*vector.Vector{doubles(xs), pv})
		if math.Abs(v.Float64[0]-p) > 0.005 {
			t.Fatalf("percentile_approx(uniform, %v) = %v", p, v.Float64[0])
		}
	}
}

// TestApproxCountDistinct: exact for small sets, within 2% for large ones.
func TestApproxCountDistinct(t *testing.T) {
	for _, distinct := range []int{0, 1, 100, 2048, 2049, 50000, 300000} {
		v := vector.New(tBig, 2*distinct+1)
		for i := range v.Int64 {
			v.Int64[i] = int64(i % max(distinct, 1))
		}
		if distinct == 0 {
			v.SetNull(0)
		}
		out := runComplete(t, aggSpec{}, &planpb.AggregateCall{Name: "approx_count_distinct", Args: []*planpb.Expr{colRef(0, tBig)}, Type: tBig.Proto()}, []*vector.Vector{v})
		got := out.Int64[0]
		if distinct <= 2048 && got != int64(distinct) {
			t.Fatalf("approx_count_distinct of %d values = %d, want exact", distinct, got)
		}
		if math.Abs(float64(got-int64(distinct))) > 0.02*float64(distinct) {
			t.Fatalf("approx_count_distinct of %d values = %d", distinct, got)
		}
	}
}

// TestGroupConcatOrderBy: ORDER BY keys (descending, NULLs first/last) and the separator.
func TestGroupConcatOrderBy(t *testing.T) {
	vals := vector.New(tStr, 5)
	keys := vector.New(tBig, 5)
	for i, s := range []string{"c", "a", "e", "b", "d"} {
		vals.Bytes[i] = []byte(s)
		keys.Int64[i] = int64([]int{3, 1, 5, 2, 4}[i])
	}
	keys.SetNull(2) // "e" has a NULL key
	sep := vector.New(tStr, 5)
	for i := range sep.Bytes {
		sep.Bytes[i] = []byte("|")
	}
	for _, c := range []struct {
		desc, nullsFirst bool
		want             string
	}{
		{false, true, "e|a|b|c|d"},
		{false, false, "a|b|c|d|e"},
		{true, false, "d|c|b|a|e"},
		{true, true, "e|d|c|b|a"},
	} {
		call := &planpb.AggregateCall{Name: "group_concat", Args: []*planpb.Expr{colRef(0, tStr), colRef(2, tStr)}, Type: tStr.Proto(),
			OrderBy: []*planpb.SortKey{{Expr: colRef(1, tBig), Descending: c.desc, NullsFirst: c.nullsFirst}}}
		out := runComplete(t, aggSpec{}, call, []*vector.Vector{vals, keys, sep})
		if got := string(out.Bytes[0]); got != c.want {
			t.Fatalf("desc=%v nullsFirst=%v: %q, want %q", c.desc, c.nullsFirst, got, c.want)
		}
	}
	// ORDER BY is one-phase only.
	call := &planpb.AggregateCall{Name: "group_concat", Args: []*planpb.Expr{colRef(0, tStr)}, Type: tStr.Proto(),
		OrderBy: []*planpb.SortKey{{Expr: colRef(1, tBig)}}}
	if _, err := expr.CompileAggregatePhase(call, []types.T{tStr, tBig}, planpb.AggregateMode_AGG_PARTIAL); err == nil {
		t.Fatal("partial group_concat with ORDER BY compiled")
	}
}
