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
