package exec_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/exec"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// BenchmarkHashAggIntKey: GROUP BY an INT key with 1000 groups, count(*) and sum(BIGINT), over
// 64 Ki rows in batches of 4096. MB/s reads as Mrows/s.
func BenchmarkHashAggIntKey(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	rows := make([]row, 64<<10)
	for i := range rows {
		rows[i] = row{g: ptr(r.Int64N(1000)), a: ptr(r.Int64N(1000))}
	}
	cols := toVectors(rows)
	aggs := []*planpb.AggregateCall{{Name: "count", Type: tBigint.Proto()}, {Name: "sum", Args: []*planpb.Expr{colRef(1, tBigint)}, Type: tBigint.Proto()}}
	n := &planpb.PlanNode{Node: &planpb.PlanNode_Aggregate{Aggregate: &planpb.AggregateNode{GroupBy: []*planpb.Expr{colRef(0, types.New(types.Int))}, Aggregates: aggs}}}
	b.SetBytes(int64(len(rows)))
	b.ResetTimer()
	for range b.N {
		src := &sliceSource{cols: cols, n: len(rows)}
		op, err := exec.BuildOver(n, src, exec.Env{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := exec.Drain(context.Background(), op); err != nil {
			b.Fatal(err)
		}
	}
}

// sliceSource emits fixed columns in batches of 4096 without copying.
type sliceSource struct {
	cols []*vector.Vector
	n    int
	pos  int
}

func (s *sliceSource) Types() []types.T           { return tableTy }
func (s *sliceSource) Open(context.Context) error { return nil }
func (s *sliceSource) Close() error               { return nil }
func (s *sliceSource) Next(context.Context) (*vector.Batch, error) {
	if s.pos >= s.n {
		return nil, nil
	}
	hi := min(s.n, s.pos+4096)
	out := make([]*vector.Vector, len(s.cols))
	for k, c := range s.cols {
		out[k] = c.Slice(s.pos, hi)
	}
	b := vector.NewBatch(out, hi-s.pos)
	s.pos = hi
	return b, nil
}

// intColumns returns table columns with n rows whose BIGINT column a is key(i) (the others zero).
func intColumns(n int, key func(i int) int64) []*vector.Vector {
	cols := make([]*vector.Vector, len(tableTy))
	for k, t := range tableTy {
		cols[k] = vector.New(t, n)
	}
	for i := range n {
		cols[1].Int64[i] = key(i)
	}
	return cols
}

// BenchmarkHashJoin: 1M probe rows against 100k distinct BIGINT build keys, half of the probe
// rows matching. MB/s reads as M probe rows/s.
func BenchmarkHashJoin(b *testing.B) {
	const nProbe, nBuild = 1 << 20, 100_000
	r := rand.New(rand.NewPCG(3, 3))
	probe := intColumns(nProbe, func(int) int64 { return r.Int64N(2 * nBuild) })
	build := intColumns(nBuild, func(i int) int64 { return int64(i) })
	n := &planpb.PlanNode{Node: &planpb.PlanNode_HashJoin{HashJoin: &planpb.HashJoinNode{
		ProbeKeys: []*planpb.Expr{colRef(1, tBigint)}, BuildKeys: []*planpb.Expr{colRef(1, tBigint)}}}}
	for _, typ := range []planpb.JoinType{planpb.JoinType_INNER, planpb.JoinType_LEFT_SEMI} {
		b.Run(typ.String(), func(b *testing.B) {
			n.GetHashJoin().Type = typ
			b.SetBytes(nProbe)
			b.ReportAllocs()
			for range b.N {
				op, err := exec.BuildOn(n, []exec.Operator{&sliceSource{cols: probe, n: nProbe}, &sliceSource{cols: build, n: nBuild}}, exec.Env{})
				if err != nil {
					b.Fatal(err)
				}
				if err := drainCount(op); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHashJoinBuild: building the table of 100k BIGINT keys (an empty probe side).
func BenchmarkHashJoinBuild(b *testing.B) {
	const nBuild = 100_000
	build := intColumns(nBuild, func(i int) int64 { return int64(i) * 7 })
	n := &planpb.PlanNode{Node: &planpb.PlanNode_HashJoin{HashJoin: &planpb.HashJoinNode{Type: planpb.JoinType_LEFT_OUTER,
		ProbeKeys: []*planpb.Expr{colRef(1, tBigint)}, BuildKeys: []*planpb.Expr{colRef(1, tBigint)}}}}
	b.SetBytes(nBuild)
	b.ReportAllocs()
	for range b.N {
		op, err := exec.BuildOn(n, []exec.Operator{&sliceSource{}, &sliceSource{cols: build, n: nBuild}}, exec.Env{})
		if err != nil {
			b.Fatal(err)
		}
		if err := drainCount(op); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWindow: row_number and a running sum over 1M rows in partitions of ~1000.
func BenchmarkWindow(b *testing.B) {
	const n = 1 << 20
	cols := intColumns(n, func(i int) int64 { return int64(i % 977) })
	for i := range n {
		cols[0].Int64[i] = int64(i / 1000)
	}
	w := &planpb.PlanNode{Node: &planpb.PlanNode_Window{Window: &planpb.WindowNode{
		PartitionBy: []*planpb.Expr{colRef(0, tInt)},
		OrderBy:     []*planpb.SortKey{{Expr: colRef(1, tBigint)}},
		Calls: []*planpb.WindowCall{
			{Name: "row_number", Type: tBigint.Proto()},
			{Name: "sum", Args: []*planpb.Expr{colRef(1, tBigint)}, Type: tBigint.Proto()},
		},
		Frame: &planpb.WindowFrame{Unit: planpb.FrameUnit_ROWS, Start: &planpb.FrameBound{Kind: planpb.FrameBoundKind_UNBOUNDED_PRECEDING}, End: &planpb.FrameBound{Kind: planpb.FrameBoundKind_CURRENT_ROW}},
	}}}
	b.SetBytes(n)
	b.ReportAllocs()
	for range b.N {
		op, err := exec.BuildOver(w, &sliceSource{cols: cols, n: n}, exec.Env{})
		if err != nil {
			b.Fatal(err)
		}
		if err := drainCount(op); err != nil {
			b.Fatal(err)
		}
	}
}

func drainCount(op exec.Operator) error {
	ctx := context.Background()
	if err := op.Open(ctx); err != nil {
		return err
	}
	defer op.Close()
	for {
		b, err := op.Next(ctx)
		if err != nil || b == nil {
			return err
		}
	}
}

// BenchmarkHashAggManyGroups: TPC-H q18's inner aggregation shape — group by a nearly unique
// BIGINT key (l_orderkey: 4 rows per key, in key order) summing a DECIMAL — 1 Mi rows, 256 Ki
// groups. Measures the growth of the group table and of the states (allocations per op).
func BenchmarkHashAggManyGroups(b *testing.B) {
	const rows = 1 << 20
	cols := intColumns(rows, func(i int) int64 { return int64(i / 4) })
	for i := range rows {
		cols[3].Int64[i] = int64(100 + i%5000)
	}
	aggs := []*planpb.AggregateCall{{Name: "sum", Args: []*planpb.Expr{colRef(3, tDecimal)}, Type: types.DecimalOf(38, 2).Proto()}}
	n := &planpb.PlanNode{Node: &planpb.PlanNode_Aggregate{Aggregate: &planpb.AggregateNode{GroupBy: []*planpb.Expr{colRef(1, tBigint)}, Aggregates: aggs}}}
	b.SetBytes(rows)
	b.ResetTimer()
	for range b.N {
		src := &sliceSource{cols: cols, n: rows}
		op, err := exec.BuildOver(n, src, exec.Env{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := exec.Drain(context.Background(), op); err != nil {
			b.Fatal(err)
		}
	}
}
