package exec_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/exec"
	"github.com/doricdb/doric/compute/expr"
	"google.golang.org/protobuf/proto"
)

// countingSource counts the tablets scanned through it.
type countingSource struct {
	exec.TabletSource
	scans atomic.Int64
}

func (c *countingSource) ScanTablet(ctx context.Context, rng *planpb.ScanRange, s *commonpb.TabletSchema, ids []int32, conj []*planpb.Expr, bs int) (exec.BatchIterator, error) {
	c.scans.Add(1)
	return c.TabletSource.ScanTablet(ctx, rng, s, ids, conj, bs)
}

func withID(n *planpb.PlanNode, id int32) *planpb.PlanNode { n.Id = id; return n }

func sharedOf(id int32) *planpb.PlanNode {
	return &planpb.PlanNode{Node: &planpb.PlanNode_Shared{Shared: &planpb.SharedNode{Source: id}}}
}

// expand replaces every SharedNode by a copy of its source: the same plan without sharing.
func expand(root *planpb.PlanNode) *planpb.PlanNode {
	byID := map[int32]*planpb.PlanNode{}
	var index func(n *planpb.PlanNode)
	index = func(n *planpb.PlanNode) {
		if n.GetShared() == nil {
			byID[n.Id] = n
		}
		for _, c := range n.Children {
			index(c)
		}
	}
	index(root)
	var copyOf func(n *planpb.PlanNode) *planpb.PlanNode
	copyOf = func(n *planpb.PlanNode) *planpb.PlanNode {
		if s := n.GetShared(); s != nil {
			return copyOf(byID[s.Source])
		}
		out := &planpb.PlanNode{Id: n.Id, Node: proto.Clone(n).(*planpb.PlanNode).Node}
		for _, c := range n.Children {
			out.Children = append(out.Children, copyOf(c))
		}
		return out
	}
	return copyOf(root)
}

func unionOf(children ...*planpb.PlanNode) *planpb.PlanNode {
	u := node(children...)
	u.Node = &planpb.PlanNode_Union{Union: &planpb.UnionNode{}}
	return u
}

func limitOn(c *planpb.PlanNode, limit int64) *planpb.PlanNode {
	n := node(c)
	n.Node = &planpb.PlanNode_Limit{Limit: &planpb.LimitNode{Limit: limit}}
	return n
}

// TestShared: a subtree read by SharedNodes runs once, however many readers and wherever they
// sit (before or after the source in the tree, on either side of a join, under a limit that
// needs the source's order), and the plan gives what the plan with copies gives — serially and
// in pipeline tasks — with nothing reserved after Close.
func TestShared(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 31))
	for iter := range 120 {
		pred := call("lt", tBool, colRef(1, tBigint), intLit(r.Int64N(1500)-750, tBigint))
		agg := func() *planpb.PlanNode {
			return withID(aggOn(filterOn(scanPlan(1), pred), []*planpb.Expr{colRef(0, tInt)},
				&planpb.AggregateCall{Name: "count", Type: tBigint.Proto()}), 50)
		}
		var plan *planpb.PlanNode
		both := false // the plan reads node 2's tablets too (through a join that may skip them)
		switch iter % 5 {
		case 0:
			plan = unionOf(agg(), sharedOf(50))
		case 1: // the reader comes first in the tree
			plan = unionOf(sharedOf(50), agg(), sharedOf(50))
		case 2: // source and reader on the two sides of a join
			j := hashJoinOn(agg(), sharedOf(50), planpb.JoinType_INNER, nil)
			j.GetHashJoin().ProbeKeys = []*planpb.Expr{colRef(0, tInt)}
			j.GetHashJoin().BuildKeys = []*planpb.Expr{colRef(0, tInt)}
			j.GetHashJoin().NullSafe = []bool{true}
			plan = j
		case 3: // an ordered source: a limit over a reader must take its first rows
			src := withID(sortAll(scanPlan(1), tableTy), 50)
			k := 1 + r.Int64N(30)
			plan = unionOf(limitOn(src, k), limitOn(sharedOf(50), k))
		case 4: // sharing inside a shared subtree, and a reader under an aggregate
			inner := agg()
			outer := withID(hashJoinOn(scanPlan(2), inner, planpb.JoinType_LEFT_SEMI, nil), 60)
			outer.GetHashJoin().ProbeKeys = []*planpb.Expr{colRef(0, tInt)}
			outer.GetHashJoin().BuildKeys = []*planpb.Expr{colRef(0, tInt)}
			outer.GetHashJoin().NullSafe = []bool{false}
			top := aggOn(sharedOf(60), nil, &planpb.AggregateCall{Name: "count", Type: tBigint.Proto()})
			plan = unionOf(projectOn(outer, call("add", tBigint, colRef(1, tBigint), intLit(0, tBigint))),
				projectOn(top, colRef(0, tBigint)), projectOn(sharedOf(50), colRef(1, tBigint)))
			both = true
		}
		tabs, ranges := tables(r, func(n int) []row { return joinRows(r, n) })
		want := runPlan(t, expand(plan), exec.Env{Tablets: tabs, Ranges: ranges, BatchSize: 1 + r.IntN(100), Parallelism: 1})
		for _, par := range []int{1, 2 + r.IntN(4)} {
			counted := &countingSource{TabletSource: tabs}
			mem := exec.NewMemTracker("q", 0)
			got := runPlan(t, plan, exec.Env{Tablets: counted, Ranges: ranges, BatchSize: 1 + r.IntN(100), Parallelism: par, Memory: mem})
			if mem.Used() != 0 {
				t.Fatalf("iter %d (%d tasks): %d bytes reserved after Close", iter, par, mem.Used())
			}
			// Each of node 1's tablets is read once (by the source), node 2's at most once.
			var node1, node2 int64
			for _, rg := range ranges {
				if rg.NodeId == 1 {
					node1++
				} else {
					node2++
				}
			}
			if n := counted.scans.Load(); (!both && n != node1) || (both && (n < node1 || n > node1+node2)) {
				t.Fatalf("iter %d (%d tasks): %d tablet scans, want node 1's %d (+ up to node 2's %d: %v)", iter, par, n, node1, node2, both)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("iter %d (%d tasks):\ngot  %v\nwant %v", iter, par, got, want)
			}
		}
	}
}

// TestSharedMemoryAndErrors: a spool's buffer counts against the memory limit; plans whose
// SharedNode names no node, or a node it is inside of, are bad plans.
func TestSharedMemoryAndErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(32, 32))
	tabs, ranges := tables(r, func(int) []row { return randomRows(r, 2000) })
	src := withID(projectOn(scanPlan(1), colRef(0, tInt), colRef(2, tVarchar)), 50)
	plan := unionOf(src, sharedOf(50))
	for _, par := range []int{1, 3} {
		mem := exec.NewMemTracker("q", 20_000)
		err := buildDrainErr(plan, exec.Env{Tablets: tabs, Ranges: ranges, Parallelism: par, Memory: mem})
		if !errors.Is(err, exec.ErrMemLimitExceeded) {
			t.Fatalf("%d tasks: %v, want the memory limit error", par, err)
		}
		if mem.Used() != 0 {
			t.Fatalf("%d tasks: %d bytes reserved after the failure", par, mem.Used())
		}
	}
	bad := map[string]*planpb.PlanNode{
		"no source": unionOf(scanPlan(1), sharedOf(77)),
		"inside its source": unionOf(withID(filterOn(projectOn(sharedOf(50), colRef(0, tInt)), call("gt", tBool, colRef(0, tInt), intLit(0, tInt))), 50),
			projectOn(scanPlan(2), colRef(0, tInt))),
	}
	for name, p := range bad {
		for _, par := range []int{1, 3} {
			if _, err := exec.Build(p, exec.Env{Tablets: tabs, Ranges: ranges, Parallelism: par}); !errors.Is(err, expr.ErrBadPlan) {
				t.Errorf("%s (%d tasks): %v, want ErrBadPlan", name, par, err)
			}
		}
	}
}
