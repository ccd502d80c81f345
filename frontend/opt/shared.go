package opt

import (
	"encoding/binary"
	"hash/fnv"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/planpb"
)

// Shared subtrees (Doris's CTE reuse): after physical planning, a subtree that occurs more than
// once in the fragment — a CTE referenced twice (TPC-H q15's revenue view: once joined, once
// under MAX), or the same subquery written twice — is computed once. The first occurrence in
// preorder stays (the source); every other becomes a planpb.SharedNode naming it, which the
// executor feeds from the source's buffered output.
//
// Two subtrees are equal when their nodes are equal up to node and runtime filter ids (compared
// in a canonical form with the ids renumbered in preorder). Only subtrees worth buffering are
// shared: those that aggregate or join (reading a table twice is cheap; recomputing a join or an
// aggregation is not) and whose estimated output is at most maxSharedRows rows. A subtree is not
// shared when a runtime filter from outside it targets one of its scans (its copies would not
// give the same rows). Every function is deterministic within a query (NOW() and friends are
// folded by the binder), so equal subtrees give equal rows. The largest repeated subtree is
// shared first, then the search starts again on the rewritten tree (a smaller repeat may remain
// inside the source and elsewhere).

// maxSharedRows bounds the estimated output of a shared subtree (the executor buffers it).
const maxSharedRows = 1 << 22

// share rewrites res's fragment in place and keeps res.Scans and res.Info in step.
func share(res *Result) {
	root := res.Fragment.GetRoot()
	changed := false
	for shareLargest(root, res.Info) {
		changed = true
	}
	if !changed {
		return
	}
	live := map[int32]bool{}
	sources := map[int32]bool{}
	walkPlan(root, func(n *planpb.PlanNode) {
		live[n.Id] = true
		if s := n.GetShared(); s != nil {
			sources[s.Source] = true
		}
	})
	scans := res.Scans[:0]
	for _, s := range res.Scans {
		if live[s.NodeID] {
			scans = append(scans, s)
		}
	}
	res.Scans = scans
	for id := range res.Info {
		if !live[id] {
			delete(res.Info, id)
		}
	}
	uncolocate(root, sources)
}

// shareLargest replaces the repeats of the largest repeated shareable subtree by SharedNodes;
// false when there is none. Candidates are grouped by a hash of their shape first; only
// subtrees whose hashes collide are compared in canonical form.
func shareLargest(root *planpb.PlanNode, info map[int32]*NodeInfo) bool {
	// publisher[target] lists the joins whose runtime filters target that scan.
	publisher := map[int32][]int32{}
	walkPlan(root, func(n *planpb.PlanNode) {
		for _, rf := range n.GetHashJoin().GetRuntimeFilters() {
			publisher[rf.TargetNodeId] = append(publisher[rf.TargetNodeId], n.Id)
		}
	})
	type occurrence struct {
		n      *planpb.PlanNode
		parent *planpb.PlanNode
		child  int
	}
	type shape struct {
		hash uint64
		size int
	}
	groups := map[shape][]occurrence{}
	var order []shape
	// visit returns n's shape and whether its subtree aggregates or joins (is worth sharing:
	// reading a table twice is cheap, recomputing a join or an aggregation is not).
	var visit func(n, parent *planpb.PlanNode, child int) (shape, bool)
	visit = func(n, parent *planpb.PlanNode, child int) (shape, bool) {
		h := fnv.New64a()
		h.Write(nodeBytes(n))
		sh := shape{size: 1}
		heavy := false
		switch n.Node.(type) {
		case *planpb.PlanNode_Aggregate, *planpb.PlanNode_HashJoin, *planpb.PlanNode_NestedLoopJoin:
			heavy = true
		}
		var word [8]byte
		for i, c := range n.Children {
			csh, cheavy := visit(c, n, i)
			binary.LittleEndian.PutUint64(word[:], csh.hash)
			h.Write(word[:])
			sh.size += csh.size
			heavy = heavy || cheavy
		}
		sh.hash = h.Sum64()
		if parent != nil && heavy && n.GetShared() == nil {
			if in := info[n.Id]; in != nil && in.Rows <= maxSharedRows {
				if _, seen := groups[sh]; !seen {
					order = append(order, sh)
				}
				groups[sh] = append(groups[sh], occurrence{n: n, parent: parent, child: child})
			}
		}
		return sh, heavy
	}
	visit(root, nil, 0)
	var best []occurrence
	bestSize := 0
	for _, sh := range order {
		g := groups[sh]
		if len(g) < 2 || sh.size <= bestSize {
			continue
		}
		// Hash collisions aside, the group's members are equal: check in canonical form, and
		// take the members equal to the first one (in preorder) that has an equal.
		keys := make([]string, len(g))
		count := map[string]int{}
		for i, o := range g {
			if key, ok := canonical(o.n, publisher); ok {
				keys[i] = key
				count[key]++
			}
		}
		for i := range g {
			if keys[i] == "" || count[keys[i]] < 2 {
				continue
			}
			best, bestSize = nil, sh.size
			for k, o := range g {
				if keys[k] == keys[i] {
					best = append(best, o)
				}
			}
			break
		}
	}
	if best == nil {
		return false
	}
	src := best[0].n
	for _, o := range best[1:] {
		o.parent.Children[o.child] = &planpb.PlanNode{Id: o.n.Id, Node: &planpb.PlanNode_Shared{Shared: &planpb.SharedNode{Source: src.Id}}}
	}
	return true
}

// nodeBytes is n without its id, children and the ids its runtime filters and SharedNode hold:
// equal for the nodes of equal subtrees.
func nodeBytes(n *planpb.PlanNode) []byte {
	m := &planpb.PlanNode{Node: n.Node}
	switch k := n.Node.(type) {
	case *planpb.PlanNode_HashJoin:
		if len(k.HashJoin.GetRuntimeFilters()) > 0 {
			j := proto.Clone(k.HashJoin).(*planpb.HashJoinNode)
			for _, rf := range j.RuntimeFilters {
				rf.Id, rf.TargetNodeId = 0, 0
			}
			m.Node = &planpb.PlanNode_HashJoin{HashJoin: j}
		}
	case *planpb.PlanNode_Shared:
		m.Node = &planpb.PlanNode_Shared{Shared: &planpb.SharedNode{}}
	}
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	return b
}

// canonical is n's subtree in a form equal for equal subtrees: node ids renumbered in preorder
// from 0, runtime filter ids cleared and their targets renumbered, references to shared sources
// outside the subtree kept (as -1-id). ok is false when a runtime filter from outside the
// subtree targets a node in it.
func canonical(n *planpb.PlanNode, publisher map[int32][]int32) (key string, ok bool) {
	local := map[int32]int32{}
	walkPlan(n, func(m *planpb.PlanNode) { local[m.Id] = int32(len(local)) })
	for id := range local {
		for _, pub := range publisher[id] {
			if _, in := local[pub]; !in {
				return "", false
			}
		}
	}
	c := proto.Clone(n).(*planpb.PlanNode)
	walkPlan(c, func(m *planpb.PlanNode) {
		m.Id = local[m.Id]
		for _, rf := range m.GetHashJoin().GetRuntimeFilters() {
			rf.Id = 0
			rf.TargetNodeId = local[rf.TargetNodeId]
		}
		if s := m.GetShared(); s != nil {
			if l, in := local[s.Source]; in {
				s.Source = l
			} else {
				s.Source = -1 - s.Source
			}
		}
	})
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// uncolocate clears AggregateNode.colocated where the aggregate's probe-side chain reaches a
// shared subtree: the executor reads a spool in parts that are not whole buckets.
func uncolocate(root *planpb.PlanNode, sources map[int32]bool) {
	walkPlan(root, func(n *planpb.PlanNode) {
		a := n.GetAggregate()
		if a == nil || !a.Colocated {
			return
		}
		for m := n.Children[0]; m != nil; {
			if m.GetShared() != nil || sources[m.Id] {
				a.Colocated = false
				return
			}
			if m.GetOlapScan() != nil || len(m.Children) == 0 {
				return
			}
			m = m.Children[0]
		}
	})
}

// walkPlan calls f on n and its descendants in preorder.
func walkPlan(n *planpb.PlanNode, f func(*planpb.PlanNode)) {
	if n == nil {
		return
	}
	f(n)
	for _, c := range n.Children {
		walkPlan(c, f)
	}
}
