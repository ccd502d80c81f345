package exec_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/exec"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// The parallel harness: every plan runs serially (Parallelism 1) and split into a random number
// of pipeline tasks with random batch sizes over tablets that emit random batches with decoys
// behind selections; the results must be the same (in the same order where the plan orders).

var testSchema = &commonpb.TabletSchema{Columns: []*commonpb.Column{
	{UniqueId: 1, Type: tInt.Proto()}, {UniqueId: 2, Type: tBigint.Proto()},
	{UniqueId: 3, Type: tVarchar.Proto()}, {UniqueId: 4, Type: tDecimal.Proto()},
}}

// memTablets serves tablets from memory, safe for concurrent scans: each scan draws its batch
// sizes from its own generator.
type memTablets struct {
	seed uint64
	data map[int64][]row
	// block, when set, makes every scan wait for it (or its context) before each batch.
	block chan struct{}
	// poison: a scan told it may reuse its buffers (Reuse) overwrites each batch it returned
	// with garbage when asked for the next, so that a consumer that kept a reference into one
	// gets wrong results. reused counts those scans.
	poison bool
	reused *atomic.Int64
}

type memIter struct {
	src    *source
	block  chan struct{}
	poison bool
	reused *atomic.Int64
	reuse  bool
	last   *vector.Batch
}

// Reuse is tablet.Scanner's: batches are valid until the next Next.
func (it *memIter) Reuse() {
	if it.poison {
		it.reuse = true
		it.reused.Add(1)
	}
}

func (it *memIter) Next(ctx context.Context) (*vector.Batch, error) {
	if it.block != nil {
		select {
		case <-it.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if it.reuse && it.last != nil {
		for _, v := range it.last.Cols {
			for i := range v.Int64 {
				v.Int64[i] = -424242
			}
			for _, b := range v.Bytes { // the bytes themselves, where strings point
				for j := range b {
					b[j] = 'P'
				}
			}
			v.Nulls = nil
		}
	}
	b, err := it.src.Next(ctx)
	it.last = b
	return b, err
}

func (m *memTablets) ScanTablet(_ context.Context, rng *planpb.ScanRange, _ *commonpb.TabletSchema, _ []int32, _ []*planpb.Expr, _ int) (exec.BatchIterator, error) {
	rows, ok := m.data[rng.GetTabletId()]
	if !ok {
		return nil, fmt.Errorf("no tablet %d", rng.GetTabletId())
	}
	s := newSource(rand.New(rand.NewPCG(m.seed, uint64(rng.GetTabletId()))), rows)
	s.opened = true
	return &memIter{src: s, block: m.block, poison: m.poison, reused: m.reused}, nil
}

func scanPlan(id int32) *planpb.PlanNode {
	return &planpb.PlanNode{Id: id, Node: &planpb.PlanNode_OlapScan{OlapScan: &planpb.OlapScanNode{
		TableId: int64(id), Schema: testSchema, ColumnUniqueIds: []int32{1, 2, 3, 4},
	}}}
}

// tables makes the tablets of scan nodes 1 and 2 (ids 100+ and 200+).
func tables(r *rand.Rand, rows func(n int) []row) (*memTablets, []*planpb.ScanRange) {
	m := &memTablets{seed: r.Uint64(), data: map[int64][]row{}}
	var ranges []*planpb.ScanRange
	for node := int32(1); node <= 2; node++ {
		for k := range 1 + r.IntN(7) {
			id := int64(node)*100 + int64(k)
			m.data[id] = rows(r.IntN(90))
			ranges = append(ranges, &planpb.ScanRange{NodeId: node, TabletId: id})
		}
	}
	return m, ranges
}

func node(children ...*planpb.PlanNode) *planpb.PlanNode { return &planpb.PlanNode{Children: children} }

func filterOn(c *planpb.PlanNode, pred *planpb.Expr) *planpb.PlanNode {
	n := node(c)
	n.Node = &planpb.PlanNode_Filter{Filter: &planpb.FilterNode{Predicate: pred}}
	return n
}

func projectOn(c *planpb.PlanNode, exprs ...*planpb.Expr) *planpb.PlanNode {
	n := node(c)
	n.Node = &planpb.PlanNode_Project{Project: &planpb.ProjectNode{Exprs: exprs}}
	return n
}

func aggOn(c *planpb.PlanNode, groupBy []*planpb.Expr, aggs ...*planpb.AggregateCall) *planpb.PlanNode {
	n := node(c)
	n.Node = &planpb.PlanNode_Aggregate{Aggregate: &planpb.AggregateNode{GroupBy: groupBy, Aggregates: aggs}}
	return n
}

func sortOn(c *planpb.PlanNode, limit int64, keys ...*planpb.SortKey) *planpb.PlanNode {
	n := node(c)
	n.Node = &planpb.PlanNode_Sort{Sort: &planpb.SortNode{Keys: keys, Limit: limit}}
	return n
}

// sortAll orders by every column of a table-shaped input (ties are equal rows).
func sortAll(c *planpb.PlanNode, ts []types.T) *planpb.PlanNode {
	var keys []*planpb.SortKey
	for i, t := range ts {
		keys = append(keys, &planpb.SortKey{Expr: colRef(i, t), NullsFirst: true})
	}
	return sortOn(c, 0, keys...)
}

func hashJoinOn(l, r *planpb.PlanNode, typ planpb.JoinType, cond *planpb.Expr, keys ...int) *planpb.PlanNode {
	j := &planpb.HashJoinNode{Type: typ, OtherCondition: cond, NullAwareMark: true}
	for _, k := range keys {
		j.ProbeKeys = append(j.ProbeKeys, colRef(k, colTypes[k]))
		j.BuildKeys = append(j.BuildKeys, colRef(k, colTypes[k]))
		j.NullSafe = append(j.NullSafe, false)
	}
	n := node(l, r)
	n.Node = &planpb.PlanNode_HashJoin{HashJoin: j}
	return n
}

func randomAggs(r *rand.Rand) []*planpb.AggregateCall {
	all := []*planpb.AggregateCall{
		{Name: "count", Type: tBigint.Proto()},
		{Name: "sum", Args: []*planpb.Expr{colRef(1, tBigint)}, Type: tBigint.Proto()},
		{Name: "min", Args: []*planpb.Expr{colRef(2, tVarchar)}, Type: tVarchar.Proto()},
		{Name: "max", Args: []*planpb.Expr{colRef(3, tDecimal)}, Type: tDecimal.Proto()},
		{Name: "avg", Args: []*planpb.Expr{colRef(3, tDecimal)}},
		{Name: "count", Args: []*planpb.Expr{colRef(2, tVarchar)}, Distinct: true, Type: tBigint.Proto()},
		{Name: "sum", Args: []*planpb.Expr{colRef(1, tBigint)}, Distinct: true, Type: tBigint.Proto()},
	}
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	return all[:1+r.IntN(len(all))]
}

func randomGroupBy(r *rand.Rand) []*planpb.Expr {
	switch r.IntN(5) {
	case 0:
		return nil // global
	case 1:
		return []*planpb.Expr{colRef(0, tInt)}
	case 2:
		return []*planpb.Expr{colRef(2, tVarchar)}
	case 3:
		return []*planpb.Expr{call("add", tBigint, colRef(1, tBigint), intLit(1, tBigint))}
	}
	return []*planpb.Expr{colRef(0, tInt), colRef(2, tVarchar)}
}

// parallelCase is a plan and whether its output order is defined.
type parallelCase struct {
	name    string
	plan    *planpb.PlanNode
	ordered bool
	limit   bool // LIMIT without ORDER BY: only the count is defined
}

func randomCase(r *rand.Rand, iter int) parallelCase {
	pred := call("lt", tBool, colRef(1, tBigint), intLit(r.Int64N(1500)-750, tBigint))
	proj := []*planpb.Expr{colRef(0, tInt), colRef(1, tBigint), colRef(2, tVarchar), colRef(3, tDecimal)}
	switch iter % 10 {
	case 0:
		return parallelCase{name: "scan filter project", plan: projectOn(filterOn(scanPlan(1), pred), proj...)}
	case 1:
		return parallelCase{name: "aggregate", plan: aggOn(filterOn(scanPlan(1), pred), randomGroupBy(r), randomAggs(r)...)}
	case 2:
		key := &planpb.SortKey{Expr: colRef(0, colTypes[0]), Descending: r.IntN(2) == 0, NullsFirst: r.IntN(2) == 0}
		k := r.IntN(4)
		key.Expr = colRef(k, colTypes[k])
		return parallelCase{name: "sort", plan: sortOn(scanPlan(1), 0, key), ordered: true}
	case 3:
		keys := []*planpb.SortKey{{Expr: colRef(0, tInt), NullsFirst: true}, {Expr: colRef(3, tDecimal), Descending: true}}
		return parallelCase{name: "top-n", plan: sortOn(filterOn(scanPlan(1), pred), 1+r.Int64N(40), keys...), ordered: true}
	case 4:
		typ := allJoinTypes[r.IntN(len(allJoinTypes))]
		cond := joinConds[r.IntN(len(joinConds))].plan
		keys := [][]int{{0}, {2}, {0, 2}}[r.IntN(3)]
		return parallelCase{name: "hash join " + typ.String(), plan: hashJoinOn(scanPlan(1), scanPlan(2), typ, cond, keys...)}
	case 5:
		typ := allJoinTypes[r.IntN(len(allJoinTypes))]
		cond := call("lt", tBool, colRef(0, tInt), colRef(4, tInt))
		n := node(scanPlan(1), scanPlan(2))
		n.Node = &planpb.PlanNode_NestedLoopJoin{NestedLoopJoin: &planpb.NestedLoopJoinNode{Type: typ, Condition: cond, NullAwareMark: true}}
		return parallelCase{name: "nested loop join " + typ.String(), plan: n}
	case 6: // join, aggregate, order by everything
		j := hashJoinOn(filterOn(scanPlan(1), pred), scanPlan(2), planpb.JoinType_INNER, nil, 0)
		a := aggOn(j, []*planpb.Expr{colRef(2, tVarchar), colRef(6, tVarchar)}, &planpb.AggregateCall{Name: "count", Type: tBigint.Proto()},
			&planpb.AggregateCall{Name: "sum", Args: []*planpb.Expr{colRef(5, tBigint)}, Type: tBigint.Proto()})
		return parallelCase{name: "join aggregate sort", plan: sortAll(a, []types.T{tVarchar, tVarchar, tBigint, tBigint}), ordered: true}
	case 7:
		u := node(filterOn(scanPlan(1), pred), scanPlan(2))
		u.Node = &planpb.PlanNode_Union{Union: &planpb.UnionNode{}}
		rep := node(u)
		rep.Node = &planpb.PlanNode_Repeat{Repeat: &planpb.RepeatNode{Slots: []int32{0, 2},
			Sets: []*planpb.GroupingSet{{Slots: []int32{0, 1}}, {Slots: []int32{0}}, {}}}}
		return parallelCase{name: "union repeat aggregate", plan: aggOn(rep, []*planpb.Expr{colRef(0, tInt), colRef(2, tVarchar), colRef(4, tBigint)}, randomAggs(r)...)}
	case 8: // a split DISTINCT: the inner aggregate partitioned by the outer's keys, the outer per part
		inner := aggOn(filterOn(scanPlan(1), pred), []*planpb.Expr{colRef(0, tInt), colRef(2, tVarchar)})
		inner.GetAggregate().PartitionBy = []*planpb.Expr{colRef(0, tInt)}
		outer := aggOn(inner, []*planpb.Expr{colRef(0, tInt)}, &planpb.AggregateCall{Name: "count", Args: []*planpb.Expr{colRef(1, tVarchar)}, Type: tBigint.Proto()},
			&planpb.AggregateCall{Name: "max", Args: []*planpb.Expr{colRef(1, tVarchar)}, Type: tVarchar.Proto()})
		outer.GetAggregate().Colocated = true
		return parallelCase{name: "partitioned aggregate under a colocated one", plan: outer}
	}
	l := node(filterOn(scanPlan(1), pred))
	l.Node = &planpb.PlanNode_Limit{Limit: &planpb.LimitNode{Offset: r.Int64N(5), Limit: r.Int64N(30)}}
	return parallelCase{name: "limit", plan: l, limit: true}
}

func runPlan(t *testing.T, plan *planpb.PlanNode, env exec.Env) []string {
	t.Helper()
	op, err := exec.Build(plan, env)
	if err != nil {
		t.Fatal(err)
	}
	return drain(t, op)
}

func TestParallelMatchesSerial(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 21))
	iters := 360
	if testing.Short() {
		iters = 90
	}
	var reused atomic.Int64
	defer func() {
		if reused.Load() == 0 {
			t.Errorf("no scan reused its batches")
		}
	}()
	for iter := range iters {
		c := randomCase(r, iter)
		tabs, ranges := tables(r, func(n int) []row { return joinRows(r, n) })
		mem := exec.NewMemTracker("q", 0)
		serial := runPlan(t, c.plan, exec.Env{Tablets: tabs, Ranges: ranges, BatchSize: 1 + r.IntN(300), Parallelism: 1})
		par := 2 + r.IntN(5)
		// The parallel run's scans reuse (poison) their batches where the consumer allows it.
		poisoned := *tabs
		poisoned.poison, poisoned.reused = true, &reused
		got := runPlan(t, c.plan, exec.Env{Tablets: &poisoned, Ranges: ranges, BatchSize: 1 + r.IntN(300), Parallelism: par, Memory: mem,
			StreamAggAfter: 1 + r.Int64N(100)})
		if mem.Used() != 0 {
			t.Fatalf("iter %d %s: %d bytes still reserved after Close", iter, c.name, mem.Used())
		}
		switch {
		case c.limit:
			if len(got) != len(serial) {
				t.Fatalf("iter %d %s (%d tasks): %d rows, serial %d", iter, c.name, par, len(got), len(serial))
			}
			continue
		case !c.ordered:
			slices.Sort(serial)
			slices.Sort(got)
		}
		if !slices.Equal(got, serial) {
			t.Fatalf("iter %d %s (%d tasks, %d ranges):\ngot    %d %v\nserial %d %v", iter, c.name, par, len(ranges), len(got), got, len(serial), serial)
		}
	}
}

// TestParallelErrors: an error in one task (an overflow) fails the query with its class, the
// other tasks stop, and nothing stays reserved.
func TestParallelErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(22, 22))
	for iter := range 30 {
		tabs, ranges := tables(r, func(n int) []row {
			rows := randomRows(r, n)
			if n > 0 && r.IntN(2) == 0 {
				rows[r.IntN(n)].a = ptr(int64(1) << 62)
			}
			return rows
		})
		plan := aggOn(projectOn(scanPlan(1), call("multiply", tBigint, colRef(1, tBigint), intLit(4, tBigint))), nil,
			&planpb.AggregateCall{Name: "count", Type: tBigint.Proto()})
		serialErr := buildDrainErr(plan, exec.Env{Tablets: tabs, Ranges: ranges, Parallelism: 1})
		mem := exec.NewMemTracker("q", 0)
		err := buildDrainErr(plan, exec.Env{Tablets: tabs, Ranges: ranges, Parallelism: 2 + r.IntN(4), BatchSize: 1 + r.IntN(50), Memory: mem})
		if (err == nil) != (serialErr == nil) || (err != nil && fmt.Sprintf("%T", errors.Unwrap(err)) != fmt.Sprintf("%T", errors.Unwrap(serialErr))) {
			t.Fatalf("iter %d: parallel %v, serial %v", iter, err, serialErr)
		}
		if mem.Used() != 0 {
			t.Fatalf("iter %d: %d bytes reserved", iter, mem.Used())
		}
	}
}

func buildDrainErr(plan *planpb.PlanNode, env exec.Env) error {
	op, err := exec.Build(plan, env)
	if err != nil {
		return err
	}
	_, err = exec.Drain(context.Background(), op)
	return err
}

// TestMemLimit: a query that holds more than its limit (a sort, a hash join build side, an
// aggregation) fails with ErrMemLimitExceeded naming the limit, serially and in parallel, and
// releases everything it reserved.
func TestMemLimit(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 23))
	tabs, ranges := tables(r, func(int) []row { return randomRows(r, 2000) })
	manyGroups := projectOn(scanPlan(1), call("add", tBigint, call("multiply", tBigint, colRef(0, tInt), intLit(10000, tBigint)), colRef(1, tBigint)))
	plans := map[string]*planpb.PlanNode{
		"sort":      sortAll(scanPlan(1), tableTy),
		"hash join": hashJoinOn(scanPlan(1), scanPlan(2), planpb.JoinType_INNER, nil, 1),
		"aggregate": aggOn(manyGroups, []*planpb.Expr{colRef(0, tBigint)}, &planpb.AggregateCall{Name: "count", Type: tBigint.Proto()}),
	}
	for name, plan := range plans {
		for _, par := range []int{1, 3} {
			const limit = 20_000
			mem := exec.NewMemTracker("q1", limit)
			err := buildDrainErr(plan, exec.Env{Tablets: tabs, Ranges: ranges, Parallelism: par, Memory: mem})
			var me *exec.MemLimitError
			if !errors.Is(err, exec.ErrMemLimitExceeded) || !errors.As(err, &me) || me.Limit != limit {
				t.Fatalf("%s (%d tasks): %v, want the memory limit error", name, par, err)
			}
			if mem.Used() != 0 {
				t.Fatalf("%s (%d tasks): %d bytes reserved after the failure", name, par, mem.Used())
			}
			// With room, the query runs, reserves and gives everything back.
			mem = exec.NewMemTracker("q2", 1<<30)
			if err := buildDrainErr(plan, exec.Env{Tablets: tabs, Ranges: ranges, Parallelism: par, Memory: mem}); err != nil {
				t.Fatalf("%s (%d tasks): %v", name, par, err)
			}
			if mem.Used() != 0 || mem.Peak() < limit {
				t.Fatalf("%s (%d tasks): used %d, peak %d after the query", name, par, mem.Used(), mem.Peak())
			}
		}
	}
}

// TestCancel: cancelling the context of a query whose scans wait stops every task promptly
// with the context's error, and no goroutine stays behind.
func TestCancel(t *testing.T) {
	r := rand.New(rand.NewPCG(24, 24))
	tabs, ranges := tables(r, func(int) []row { return randomRows(r, 50) })
	tabs.block = make(chan struct{}) // never closed: scans wait for their context
	before := runtime.NumGoroutine()
	for _, plan := range []*planpb.PlanNode{
		scanPlan(1),
		sortAll(scanPlan(1), tableTy),
		aggOn(scanPlan(1), []*planpb.Expr{colRef(0, tInt)}, &planpb.AggregateCall{Name: "count", Type: tBigint.Proto()}),
		hashJoinOn(scanPlan(1), scanPlan(2), planpb.JoinType_LEFT_OUTER, nil, 0),
	} {
		for _, par := range []int{1, 4} {
			ctx, cancel := context.WithCancel(context.Background())
			op, err := exec.Build(plan, exec.Env{Tablets: tabs, Ranges: ranges, Parallelism: par})
			if err != nil {
				t.Fatal(err)
			}
			time.AfterFunc(20*time.Millisecond, cancel)
			start := time.Now()
			_, err = exec.Drain(ctx, op)
			if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
				t.Fatalf("%d tasks: %v after %v, want context.Canceled", par, err, time.Since(start))
			}
			cancel()
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after the cancelled queries, %d before", n, before)
	}
}

// TestColocatedAggregate: an aggregate the planner marks colocated runs once per part of its
// input with no exchange; over tablets that hold disjoint groups (as buckets of the group key
// do — NULLs all in one) it gives the serial result, also through a join's probe side.
func TestColocatedAggregate(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 23))
	for iter := range 60 {
		tabs, ranges := tables(r, func(n int) []row { return joinRows(r, n) })
		nullTablet := r.IntN(len(ranges))
		for k, rg := range ranges {
			for i := range tabs.data[rg.TabletId] {
				g := &tabs.data[rg.TabletId][i].g
				switch {
				case *g == nil && k == nullTablet:
				case *g == nil:
					*g = ptr(int64(k*10 + 9))
				default:
					*g = ptr(int64(k*10) + **g%3)
				}
			}
		}
		var in *planpb.PlanNode = filterOn(scanPlan(1), call("lt", tBool, colRef(1, tBigint), intLit(r.Int64N(1500)-750, tBigint)))
		if iter%2 == 1 {
			in = hashJoinOn(in, scanPlan(2), []planpb.JoinType{planpb.JoinType_INNER, planpb.JoinType_LEFT_OUTER}[r.IntN(2)], nil, 2)
		}
		groupBy := []*planpb.Expr{colRef(0, tInt)}
		if r.IntN(2) == 0 {
			groupBy = append(groupBy, colRef(2, tVarchar))
		}
		plan := aggOn(in, groupBy, randomAggs(r)...)
		serial := runPlan(t, plan, exec.Env{Tablets: tabs, Ranges: ranges, BatchSize: 1 + r.IntN(300), Parallelism: 1})
		plan.GetAggregate().Colocated = true
		got := runPlan(t, plan, exec.Env{Tablets: tabs, Ranges: ranges, BatchSize: 1 + r.IntN(300), Parallelism: 2 + r.IntN(4)})
		slices.Sort(serial)
		slices.Sort(got)
		if !slices.Equal(got, serial) {
			t.Fatalf("iter %d:\ngot    %d %v\nserial %d %v", iter, len(got), got, len(serial), serial)
		}
	}
}
