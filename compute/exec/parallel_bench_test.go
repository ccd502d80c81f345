package exec_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/exec"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// colTablets serves tablets of prebuilt columns in batches of 4096, without copying.
type colTablets map[int64][]*vector.Vector

type colIter struct {
	cols []*vector.Vector
	pos  int
}

func (it *colIter) Next(context.Context) (*vector.Batch, error) {
	n := it.cols[0].Len()
	if it.pos >= n {
		return nil, nil
	}
	hi := min(n, it.pos+4096)
	out := make([]*vector.Vector, len(it.cols))
	for k, c := range it.cols {
		out[k] = c.Slice(it.pos, hi)
	}
	b := vector.NewBatch(out, hi-it.pos)
	it.pos = hi
	return b, nil
}

func (c colTablets) ScanTablet(_ context.Context, rng *planpb.ScanRange, _ *commonpb.TabletSchema, _ []int32, _ []*planpb.Expr, _ int) (exec.BatchIterator, error) {
	return &colIter{cols: c[rng.GetTabletId()]}, nil
}

// benchTables makes 8 tablets of `rows` rows each for scan node 1 and, with buildRows > 0, one
// of buildRows for node 2: g in [0, groups), a random BIGINT key in [0, keys), s and d constant.
func benchTables(rows, groups, keys, buildRows int) (colTablets, []*planpb.ScanRange) {
	r := rand.New(rand.NewPCG(9, 9))
	tabs := colTablets{}
	var ranges []*planpb.ScanRange
	mk := func(id int64, node int32, n int, key func(i int) int64) {
		cols := make([]*vector.Vector, len(tableTy))
		for k, t := range tableTy {
			cols[k] = vector.New(t, n)
		}
		for i := range n {
			cols[0].Int64[i] = r.Int64N(int64(groups))
			cols[1].Int64[i] = key(i)
			cols[2].Bytes[i] = []byte("s")
			cols[3].Int64[i] = r.Int64N(100000)
		}
		tabs[id] = cols
		ranges = append(ranges, &planpb.ScanRange{NodeId: node, TabletId: id})
	}
	for t := range 8 {
		mk(int64(100+t), 1, rows, func(int) int64 { return r.Int64N(int64(keys)) })
	}
	if buildRows > 0 {
		mk(200, 2, buildRows, func(i int) int64 { return int64(i) })
	}
	return tabs, ranges
}

func benchRun(b *testing.B, plan *planpb.PlanNode, tabs colTablets, ranges []*planpb.ScanRange, rows int) {
	for _, par := range []int{1, 2} {
		b.Run(fmt.Sprintf("tasks=%d", par), func(b *testing.B) {
			b.SetBytes(int64(rows))
			for range b.N {
				op, err := exec.Build(plan, exec.Env{Tablets: tabs, Ranges: ranges, Parallelism: par})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := exec.Drain(context.Background(), op); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParallelScanFilterAgg: 8 tablets x 128 Ki rows, WHERE a < 900 (90%) GROUP BY g (1000
// groups) with count(*), sum(a), max(d); serial vs 2 pipeline tasks. MB/s reads as Mrows/s.
func BenchmarkParallelScanFilterAgg(b *testing.B) {
	const rows = 128 << 10
	tabs, ranges := benchTables(rows, 1000, 1000, 0)
	plan := aggOn(filterOn(scanPlan(1), call("lt", tBool, colRef(1, tBigint), intLit(900, tBigint))),
		[]*planpb.Expr{colRef(0, tInt)},
		&planpb.AggregateCall{Name: "count", Type: tBigint.Proto()},
		&planpb.AggregateCall{Name: "sum", Args: []*planpb.Expr{colRef(1, tBigint)}, Type: tBigint.Proto()},
		&planpb.AggregateCall{Name: "max", Args: []*planpb.Expr{colRef(3, tDecimal)}, Type: tDecimal.Proto()})
	benchRun(b, plan, tabs, ranges, 8*rows)
}

// BenchmarkParallelHashJoin: 8 tablets x 128 Ki probe rows against 100k distinct build keys,
// half of the probe rows matching, then count(*); serial vs 2 pipeline tasks (one shared build).
func BenchmarkParallelHashJoin(b *testing.B) {
	const rows, build = 128 << 10, 100_000
	tabs, ranges := benchTables(rows, 10, 2*build, build)
	j := hashJoinOn(scanPlan(1), scanPlan(2), planpb.JoinType_INNER, nil, 1)
	plan := aggOn(j, nil, &planpb.AggregateCall{Name: "count", Type: types.New(types.BigInt).Proto()})
	benchRun(b, plan, tabs, ranges, 8*rows)
}
