package exec_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/exec"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// build builds a single operator over child by wrapping it as a plan leaf through a stub.
func buildOver(t *testing.T, child exec.Operator, n *planpb.PlanNode) exec.Operator {
	t.Helper()
	op, err := exec.BuildOver(n, child, exec.Env{BatchSize: 1 + rand.IntN(300)})
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func TestFilterProjectLimit(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for iter := range 30 {
		rows := randomRows(r, r.IntN(600))
		// WHERE a > 10 OR s = 's1'
		pred := call("or", tBool, call("gt", tBool, colRef(1, tBigint), intLit(10, tBigint)), call("eq", tBool, colRef(2, tVarchar), strLit("s1")))
		always := iter%4 == 3 // WHERE TRUE: a constant is true on decoy rows too
		if always {
			pred = intLit(1, tBool)
		}
		f := buildOver(t, newSource(r, rows), &planpb.PlanNode{Node: &planpb.PlanNode_Filter{Filter: &planpb.FilterNode{Predicate: pred}}})
		// SELECT g, a + 1, concat(s, 'x')
		p := buildOver(t, f, &planpb.PlanNode{Node: &planpb.PlanNode_Project{Project: &planpb.ProjectNode{Exprs: []*planpb.Expr{
			colRef(0, tInt), call("add", tBigint, colRef(1, tBigint), intLit(1, tBigint)), call("concat", tVarchar, colRef(2, tVarchar), strLit("x")),
		}}}})
		offset, lim := int64(r.IntN(50)), int64(r.IntN(400))-50
		if iter%5 == 0 {
			lim = 0
		}
		l := buildOver(t, p, &planpb.PlanNode{Node: &planpb.PlanNode_Limit{Limit: &planpb.LimitNode{Offset: offset, Limit: lim}}})
		got := drain(t, l)
		var want []string
		for _, rw := range rows {
			if !always && !((rw.a != nil && *rw.a > 10) || (rw.s != nil && *rw.s == "s1")) {
				continue
			}
			a1 := "NULL"
			if rw.a != nil {
				a1 = fmt.Sprint(*rw.a + 1)
			}
			cs := "NULL"
			if rw.s != nil {
				cs = *rw.s + "x"
			}
			want = append(want, fmtInt(rw.g)+"|"+a1+"|"+cs)
		}
		want = want[min(int(offset), len(want)):]
		if lim >= 0 {
			want = want[:min(int(lim), len(want))]
		}
		if !slices.Equal(got, want) {
			t.Fatalf("iter %d (offset %d limit %d): got %d rows %v\nwant %d rows %v", iter, offset, lim, len(got), got, len(want), want)
		}
	}
}

func TestSort(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for iter := range 40 {
		rows := randomRows(r, r.IntN(700))
		gNullsFirst, aNullsFirst := r.IntN(2) == 0, r.IntN(2) == 0
		limit := int64(0)
		if iter%2 == 1 {
			limit = int64(r.IntN(60))
		}
		// ORDER BY g ASC, a DESC (stable: ties keep input order)
		n := &planpb.PlanNode{Node: &planpb.PlanNode_Sort{Sort: &planpb.SortNode{Limit: limit, Keys: []*planpb.SortKey{
			{Expr: colRef(0, tInt), NullsFirst: gNullsFirst},
			{Expr: colRef(1, tBigint), Descending: true, NullsFirst: aNullsFirst},
		}}}}
		got := drain(t, buildOver(t, newSource(r, rows), n))
		idx := make([]int, len(rows))
		for i := range idx {
			idx[i] = i
		}
		key := func(x *int64, nullsFirst, desc bool, y *int64) int {
			switch {
			case x == nil && y == nil:
				return 0
			case x == nil || y == nil:
				if (x == nil) == nullsFirst {
					return -1
				}
				return 1
			}
			c := cmp.Compare(*x, *y)
			if desc {
				c = -c
			}
			return c
		}
		sort.SliceStable(idx, func(i, j int) bool {
			a, b := rows[idx[i]], rows[idx[j]]
			if c := key(a.g, gNullsFirst, false, b.g); c != 0 {
				return c < 0
			}
			return key(a.a, aNullsFirst, true, b.a) < 0
		})
		if limit > 0 {
			idx = idx[:min(int(limit), len(idx))]
		}
		var want []string
		for _, i := range idx {
			rw := rows[i]
			want = append(want, strings.Join([]string{fmtInt(rw.g), fmtInt(rw.a), fmtStr(rw.s), fmtDec(rw.d, 2)}, "|"))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("iter %d: sort differs\ngot  %v\nwant %v", iter, got, want)
		}
	}
}

type aggRef struct {
	count, countA, countDistinctA int64
	sumA                          int64
	hasA                          bool
	minS                          *string
	maxA                          *int64
	sumD                          int64
	countD                        int64
	seenA                         map[int64]bool
}

func TestAggregate(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	aggs := []*planpb.AggregateCall{
		{Name: "count", Type: tBigint.Proto()},
		{Name: "count", Args: []*planpb.Expr{colRef(1, tBigint)}, Type: tBigint.Proto()},
		{Name: "count", Args: []*planpb.Expr{colRef(1, tBigint)}, Distinct: true, Type: tBigint.Proto()},
		{Name: "sum", Args: []*planpb.Expr{colRef(1, tBigint)}, Type: tBigint.Proto()},
		{Name: "min", Args: []*planpb.Expr{colRef(2, tVarchar)}, Type: tVarchar.Proto()},
		{Name: "max", Args: []*planpb.Expr{colRef(1, tBigint)}, Type: tBigint.Proto()},
		{Name: "avg", Args: []*planpb.Expr{colRef(3, tDecimal)}, Type: types.DecimalOf(38, 4).Proto()},
	}
	for iter := range 40 {
		rows := randomRows(r, r.IntN(800))
		var groupBy []*planpb.Expr
		switch iter % 3 {
		case 0: // one int key: the fixed-width hash table
			groupBy = []*planpb.Expr{colRef(0, tInt)}
		case 1: // two keys: the generic hash table
			groupBy = []*planpb.Expr{colRef(0, tInt), colRef(2, tVarchar)}
		}
		n := &planpb.PlanNode{Node: &planpb.PlanNode_Aggregate{Aggregate: &planpb.AggregateNode{GroupBy: groupBy, Aggregates: aggs}}}
		got := drain(t, buildOver(t, newSource(r, rows), n))

		groups := map[string]*aggRef{}
		var order []string
		for _, rw := range rows {
			var key string
			switch len(groupBy) {
			case 1:
				key = fmtInt(rw.g)
			case 2:
				key = fmtInt(rw.g) + "|" + fmtStr(rw.s)
			}
			g := groups[key]
			if g == nil {
				g = &aggRef{seenA: map[int64]bool{}}
				groups[key] = g
				order = append(order, key)
			}
			g.count++
			if rw.a != nil {
				g.countA++
				g.sumA += *rw.a
				g.hasA = true
				if !g.seenA[*rw.a] {
					g.seenA[*rw.a] = true
					g.countDistinctA++
				}
				if g.maxA == nil || *rw.a > *g.maxA {
					g.maxA = ptr(*rw.a)
				}
			}
			if rw.s != nil && (g.minS == nil || *rw.s < *g.minS) {
				g.minS = ptr(*rw.s)
			}
			if rw.d != nil {
				g.sumD += *rw.d
				g.countD++
			}
		}
		if len(groupBy) == 0 && len(order) == 0 {
			groups[""] = &aggRef{}
			order = append(order, "")
		}
		var want []string
		for _, key := range order {
			g := groups[key]
			sum, avg := "NULL", "NULL"
			if g.hasA {
				sum = fmt.Sprint(g.sumA)
			}
			if g.countD > 0 {
				v, err := types.DecimalFromRat(new(big.Rat).SetFrac(big.NewInt(g.sumD), big.NewInt(100*g.countD)), 38, 4, "")
				if err != nil {
					t.Fatal(err)
				}
				avg = types.FormatDecimal(v, 4)
			}
			line := fmt.Sprintf("%d|%d|%d|%s|%s|%s|%s", g.count, g.countA, g.countDistinctA, sum, fmtStr(g.minS), fmtInt(g.maxA), avg)
			if key != "" {
				line = key + "|" + line
			}
			want = append(want, line)
		}
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Fatalf("iter %d: aggregate differs\ngot  %v\nwant %v", iter, got, want)
		}
	}
}

func TestValuesAndBuild(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	rows := randomRows(r, 500)
	vals := &planpb.PlanNode{Id: 1, Node: &planpb.PlanNode_Values{Values: &planpb.ValuesNode{Rows: vector.ToProto(vector.NewBatch(toVectors(rows), len(rows)))}}}
	lim := &planpb.PlanNode{Id: 2, Children: []*planpb.PlanNode{vals}, Node: &planpb.PlanNode_Limit{Limit: &planpb.LimitNode{Limit: -1, Offset: 7}}}
	op, err := exec.Build(lim, exec.Env{BatchSize: 13})
	if err != nil {
		t.Fatal(err)
	}
	got := drain(t, op)
	if len(got) != 493 || got[0] != strings.Join([]string{fmtInt(rows[7].g), fmtInt(rows[7].a), fmtStr(rows[7].s), fmtDec(rows[7].d, 2)}, "|") {
		t.Fatalf("values|limit: %d rows, first %q", len(got), got[0])
	}

	bad := []*planpb.PlanNode{
		{Node: &planpb.PlanNode_Limit{Limit: &planpb.LimitNode{}}},                                    // no child
		{Children: []*planpb.PlanNode{vals}, Node: &planpb.PlanNode_Values{Values: vals.GetValues()}}, // values with a child
		{Children: []*planpb.PlanNode{vals}},                                                          // no kind
		// a final count over a VARCHAR column instead of its BIGINT intermediate state
		{Children: []*planpb.PlanNode{vals}, Node: &planpb.PlanNode_Aggregate{Aggregate: &planpb.AggregateNode{Mode: planpb.AggregateMode_AGG_FINAL,
			Aggregates: []*planpb.AggregateCall{{Name: "count", Args: []*planpb.Expr{colRef(2, tVarchar)}}}}}},
		{Children: []*planpb.PlanNode{vals}, Node: &planpb.PlanNode_Filter{Filter: &planpb.FilterNode{Predicate: colRef(2, tVarchar)}}},
		{Children: []*planpb.PlanNode{vals}, Node: &planpb.PlanNode_Project{Project: &planpb.ProjectNode{Exprs: []*planpb.Expr{colRef(9, tInt)}}}},
		{Node: &planpb.PlanNode_OlapScan{OlapScan: &planpb.OlapScanNode{ColumnUniqueIds: []int32{1}}}},
	}
	for i, n := range bad {
		if _, err := exec.Build(n, exec.Env{}); !errors.Is(err, expr.ErrBadPlan) {
			t.Errorf("bad plan %d: %v, want ErrBadPlan", i, err)
		}
	}
}

// fakeTablets serves each tablet's rows from memory in random batches.
type fakeTablets struct {
	r      *rand.Rand
	data   map[int64][]row
	scans  []int64
	schema *commonpb.TabletSchema
}

type rowIter struct{ src *source }

func (it rowIter) Next(ctx context.Context) (*vector.Batch, error) { return it.src.Next(ctx) }

func (f *fakeTablets) ScanTablet(_ context.Context, rng *planpb.ScanRange, schema *commonpb.TabletSchema, ids []int32, _ []*planpb.Expr, _ int) (exec.BatchIterator, error) {
	if fmt.Sprint(ids) != "[1 2 3 4]" || schema != f.schema {
		return nil, fmt.Errorf("unexpected columns %v", ids)
	}
	f.scans = append(f.scans, rng.GetTabletId())
	s := newSource(f.r, f.data[rng.GetTabletId()])
	s.opened = true
	return rowIter{s}, nil
}

func TestScan(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	schema := &commonpb.TabletSchema{Columns: []*commonpb.Column{
		{UniqueId: 1, Type: tInt.Proto()}, {UniqueId: 2, Type: tBigint.Proto()},
		{UniqueId: 3, Type: tVarchar.Proto()}, {UniqueId: 4, Type: tDecimal.Proto()},
	}}
	tabs := &fakeTablets{r: r, schema: schema, data: map[int64][]row{10: randomRows(r, 300), 11: randomRows(r, 50), 12: randomRows(r, 99)}}
	scanNode := &planpb.PlanNode{Id: 3, Node: &planpb.PlanNode_OlapScan{OlapScan: &planpb.OlapScanNode{
		TableId: 1, Schema: schema, ColumnUniqueIds: []int32{1, 2, 3, 4},
		Conjuncts: []*planpb.Expr{call("is_not_null", tBool, colRef(1, tBigint)), call("lt", tBool, colRef(1, tBigint), intLit(0, tBigint))},
	}}}
	ranges := []*planpb.ScanRange{{NodeId: 3, TabletId: 10}, {NodeId: 99, TabletId: 11}, {NodeId: 3, TabletId: 12}}
	op, err := exec.Build(scanNode, exec.Env{Tablets: tabs, Ranges: ranges})
	if err != nil {
		t.Fatal(err)
	}
	got := drain(t, op)
	var want []string
	for _, id := range []int64{10, 12} {
		for _, rw := range tabs.data[id] {
			if rw.a != nil && *rw.a < 0 {
				want = append(want, strings.Join([]string{fmtInt(rw.g), fmtInt(rw.a), fmtStr(rw.s), fmtDec(rw.d, 2)}, "|"))
			}
		}
	}
	if !slices.Equal(got, want) || fmt.Sprint(tabs.scans) != "[10 12]" {
		t.Fatalf("scan: %d rows (want %d), tablets %v", len(got), len(want), tabs.scans)
	}
}

// TestErrorsPropagate: an overflow on an active row is an error with its class.
func TestErrorsPropagate(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	rows := randomRows(r, 100)
	rows[57].a = ptr(int64(1<<62 + 1))
	p := buildOver(t, newSource(r, rows), &planpb.PlanNode{Node: &planpb.PlanNode_Project{Project: &planpb.ProjectNode{Exprs: []*planpb.Expr{
		call("multiply", tBigint, colRef(1, tBigint), intLit(2, tBigint)),
	}}}})
	_, err := exec.Drain(context.Background(), p)
	if !errors.Is(err, expr.ErrOutOfRange) {
		t.Fatalf("err = %v, want ErrOutOfRange", err)
	}
}
