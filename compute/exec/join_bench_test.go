package exec_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/exec"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Hash join benchmarks at TPC-H SF1 sizes: a build side of 1M rows with distinct keys (in random
// order) and a probe side of 6M rows (lineitem against orders or partsupp). Both sides have the
// columns k0 BIGINT, k1 BIGINT (k0 % 7), s VARCHAR (a string form of k0) and p BIGINT (payload);
// the join keys are k0, (k0, k1) or s. A probe row matches one build row with the probability
// "match". MB/s reads as M probe rows/s.

const (
	benchBuildRows = 1 << 20
	benchProbeRows = 6 << 20
)

var joinBenchTy = []types.T{tBigint, tBigint, tVarchar, tBigint}

// typedSource emits fixed columns of the given types in batches of 4096 without copying.
type typedSource struct {
	ty   []types.T
	cols []*vector.Vector
	n    int
	pos  int
}

func (s *typedSource) Types() []types.T           { return s.ty }
func (s *typedSource) Open(context.Context) error { return nil }
func (s *typedSource) Close() error               { return nil }
func (s *typedSource) Next(context.Context) (*vector.Batch, error) {
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

// joinBenchCols returns n rows whose k0 is key(i); strs caches the string forms of keys.
func joinBenchCols(n int, key func(i int) int64, strs map[int64][]byte) []*vector.Vector {
	cols := make([]*vector.Vector, len(joinBenchTy))
	for k, t := range joinBenchTy {
		cols[k] = vector.New(t, n)
	}
	for i := range n {
		x := key(i)
		cols[0].Int64[i] = x
		cols[1].Int64[i] = x % 7
		s, ok := strs[x]
		if !ok {
			s = fmt.Appendf(nil, "key#%09d", x)
			strs[x] = s
		}
		cols[2].Bytes[i] = s
		cols[3].Int64[i] = int64(i)
	}
	return cols
}

// joinBenchData: the build side (keys 0..nBuild-1, shuffled) and a probe side whose keys are
// build keys with probability match, else keys outside the build side (from nBuild distinct
// values, so that strings stay shared).
func joinBenchData(nBuild, nProbe int, match float64) (build, probe []*vector.Vector) {
	r := rand.New(rand.NewPCG(21, 21))
	strs := make(map[int64][]byte, 2*nBuild)
	perm := r.Perm(nBuild)
	build = joinBenchCols(nBuild, func(i int) int64 { return int64(perm[i]) }, strs)
	probe = joinBenchCols(nProbe, func(int) int64 {
		if r.Float64() < match {
			return r.Int64N(int64(nBuild))
		}
		return int64(nBuild) + r.Int64N(int64(nBuild))
	}, strs)
	return build, probe
}

func joinBenchNode(typ planpb.JoinType, keyCols ...int) *planpb.PlanNode {
	n := &planpb.HashJoinNode{Type: typ}
	for _, c := range keyCols {
		n.ProbeKeys = append(n.ProbeKeys, colRef(c, joinBenchTy[c]))
		n.BuildKeys = append(n.BuildKeys, colRef(c, joinBenchTy[c]))
	}
	return &planpb.PlanNode{Node: &planpb.PlanNode_HashJoin{HashJoin: n}}
}

func runJoinBench(b *testing.B, n *planpb.PlanNode, probe, build []*vector.Vector, nProbe, nBuild int) {
	b.SetBytes(int64(nProbe))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	defer func() { b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op") }()
	for range b.N {
		op, err := exec.BuildOn(n, []exec.Operator{
			&typedSource{ty: joinBenchTy, cols: probe, n: nProbe},
			&typedSource{ty: joinBenchTy, cols: build, n: nBuild},
		}, exec.Env{})
		if err != nil {
			b.Fatal(err)
		}
		if err := drainCount(op); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJoinProbe: 6M probe rows against a 1M-row build side (the build included; see
// BenchmarkJoinBuild for it alone).
func BenchmarkJoinProbe(b *testing.B) {
	keys := []struct {
		name string
		cols []int
	}{{"int64", []int{0}}, {"int64x2", []int{0, 1}}, {"string", []int{2}}}
	for _, match := range []float64{0.01, 1} {
		build, probe := joinBenchData(benchBuildRows, benchProbeRows, match)
		for _, k := range keys {
			b.Run(fmt.Sprintf("key=%s/match=%g/INNER", k.name, match), func(b *testing.B) {
				runJoinBench(b, joinBenchNode(planpb.JoinType_INNER, k.cols...), probe, build, benchProbeRows, benchBuildRows)
			})
		}
		b.Run(fmt.Sprintf("key=int64/match=%g/LEFT_SEMI", match), func(b *testing.B) {
			runJoinBench(b, joinBenchNode(planpb.JoinType_LEFT_SEMI, 0), probe, build, benchProbeRows, benchBuildRows)
		})
	}
}

// BenchmarkJoinBuild: building the table of 1M rows (the probe side is one batch of 4096 rows).
// MB/s reads as M build rows/s.
func BenchmarkJoinBuild(b *testing.B) {
	build, probe := joinBenchData(benchBuildRows, 4096, 1)
	for _, k := range []struct {
		name string
		col  int
	}{{"int64", 0}, {"string", 2}} {
		b.Run("key="+k.name, func(b *testing.B) {
			runJoinBench(b, joinBenchNode(planpb.JoinType_INNER, k.col), probe, build, 4096, benchBuildRows)
			b.SetBytes(benchBuildRows)
		})
	}
}

// BenchmarkJoinManyMatches: q13's shape — a build side of 1.5M rows over 150k distinct keys
// (about 10 rows per key, in random order) and 150k probe rows, two thirds of them with matches
// (1M output pairs for the pair-emitting types). MB/s reads as M probe rows/s.
func BenchmarkJoinManyMatches(b *testing.B) {
	const nBuild, nProbe, nKeys = 1_500_000, 150_000, 150_000
	r := rand.New(rand.NewPCG(13, 13))
	strs := make(map[int64][]byte, nKeys)
	build := joinBenchCols(nBuild, func(int) int64 { return r.Int64N(nKeys) * 3 / 2 }, strs)
	probe := joinBenchCols(nProbe, func(i int) int64 { return int64(i) }, strs)
	for _, typ := range []planpb.JoinType{planpb.JoinType_LEFT_OUTER, planpb.JoinType_INNER, planpb.JoinType_LEFT_SEMI, planpb.JoinType_LEFT_ANTI} {
		b.Run(fmt.Sprintf("key=int64/%s", typ), func(b *testing.B) {
			runJoinBench(b, joinBenchNode(typ, 0), probe, build, nProbe, nBuild)
		})
	}
	b.Run("key=int64x2/INNER", func(b *testing.B) {
		runJoinBench(b, joinBenchNode(planpb.JoinType_INNER, 0, 1), probe, build, nProbe, nBuild)
	})
}
