package exec

import (
	"context"
	"sync"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Shared subtrees (planpb.SharedNode; Doris's CTE producer and consumers). A node that some
// SharedNode names as its source is built once, as one stream, under a spool; the source's own
// place in the tree and every SharedNode naming it become readers of that spool. The first
// reader to ask for a row drains the source into memory (charged to Env.Memory); every reader
// then hands out the buffered batches (those that kept less than half of their rows compacted) in the order the source produced them (batches are
// immutable, so readers share them). A reader is one part, or Env.Parallelism parts that take
// every n-th batch when the source's output has no order to keep (no Sort or Window at its top).
// The source is opened by the first reader opened and closed, with the buffer released, when
// the last reader closes.

// sharing is the build-time state of a fragment's shared subtrees (Build's goroutine only).
type sharing struct {
	sources  map[int32]*planpb.PlanNode // by id: the nodes SharedNodes name
	spools   map[int32]*spool
	building map[int32]bool
}

// newSharing finds the sources of root's SharedNodes; nil when there are none.
func newSharing(root *planpb.PlanNode) *sharing {
	want := map[int32]bool{}
	byID := map[int32]*planpb.PlanNode{}
	var walk func(n *planpb.PlanNode)
	walk = func(n *planpb.PlanNode) {
		if n == nil {
			return
		}
		if s := n.GetShared(); s != nil {
			want[s.GetSource()] = true
		}
		byID[n.GetId()] = n
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(root)
	if len(want) == 0 {
		return nil
	}
	s := &sharing{sources: map[int32]*planpb.PlanNode{}, spools: map[int32]*spool{}, building: map[int32]bool{}}
	for id := range want {
		if n, ok := byID[id]; ok && n.GetShared() == nil {
			s.sources[id] = n
		}
	}
	return s
}

// source is the shared source n reads (n itself or the node its SharedNode names), or nil.
func (s *sharing) source(n *planpb.PlanNode) *planpb.PlanNode {
	if s == nil {
		return nil
	}
	if sh := n.GetShared(); sh != nil {
		return s.sources[sh.GetSource()]
	}
	if src := s.sources[n.GetId()]; src == n {
		return src
	}
	return nil
}

// readers returns parts readers of src's spool, building src with build the first time.
func (s *sharing) readers(src *planpb.PlanNode, parts int, env Env, build func(*planpb.PlanNode) (Operator, error)) ([]Operator, error) {
	sp := s.spools[src.GetId()]
	if sp == nil {
		if s.building[src.GetId()] {
			return nil, badPlan("shared node %d is read inside its own subtree", src.GetId())
		}
		s.building[src.GetId()] = true
		op, err := build(src)
		delete(s.building, src.GetId())
		if err != nil {
			return nil, err
		}
		sp = &spool{op: op, acct: account{mem: env.Memory}}
		s.spools[src.GetId()] = sp
	}
	if parts < 1 || ordered(src) {
		parts = 1
	}
	out := make([]Operator, parts)
	for i := range out {
		out[i] = &spoolReader{sp: sp, next: i, step: parts}
		sp.refs++
	}
	return out, nil
}

// ordered reports whether n's output order is part of its result (a Sort or a Window at its top,
// under filters, projects, limits and row assertions).
func ordered(n *planpb.PlanNode) bool {
	for {
		switch n.Node.(type) {
		case *planpb.PlanNode_Sort, *planpb.PlanNode_Window:
			return true
		case *planpb.PlanNode_Filter, *planpb.PlanNode_Project, *planpb.PlanNode_Limit, *planpb.PlanNode_AssertRows:
			if len(n.Children) == 0 {
				return false
			}
			n = n.Children[0]
		default:
			return false
		}
	}
}

// spool computes its source once and keeps every batch. Safe for concurrent readers.
type spool struct {
	op   Operator
	refs int // readers not closed yet (set at build, before any goroutine runs)

	mu      sync.Mutex
	opened  bool
	openErr error
	filled  bool
	err     error
	batches []*vector.Batch
	rows    []int32 // scratch
	acct    account
	closed  bool
}

func (s *spool) open(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.opened {
		s.opened = true
		s.openErr = s.op.Open(ctx)
	}
	return s.openErr
}

// fill drains the source the first time; later calls return what the first one got.
func (s *spool) fill(ctx context.Context) ([]*vector.Batch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil
	}
	if !s.filled {
		s.filled = true
		s.err = s.drain(ctx)
	}
	return s.batches, s.err
}

func (s *spool) drain(ctx context.Context) error {
	for {
		b, err := s.op.Next(ctx)
		if err != nil || b == nil {
			return err
		}
		if b.Sel != nil && 2*len(b.Sel) < b.N {
			b = b.Compact() // keep the rows, not the physical batch around them
		}
		s.rows = vector.Identity(s.rows, b.N)
		if err := s.acct.reserve(batchBytes(b, s.rows)); err != nil {
			return err
		}
		s.batches = append(s.batches, b)
	}
}

// release is a reader's Close: the last one closes the source and drops the buffer.
func (s *spool) release() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refs--
	if s.refs > 0 || s.closed {
		return nil
	}
	s.closed = true
	s.batches = nil
	s.acct.releaseAll()
	return s.op.Close()
}

// spoolReader hands out the batches next, next+step, ... of its spool.
type spoolReader struct {
	sp         *spool
	next, step int
	closed     bool
}

func (r *spoolReader) Types() []types.T               { return r.sp.op.Types() }
func (r *spoolReader) Open(ctx context.Context) error { return r.sp.open(ctx) }

func (r *spoolReader) Next(ctx context.Context) (*vector.Batch, error) {
	if r.closed {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	batches, err := r.sp.fill(ctx)
	if err != nil {
		return nil, err
	}
	if r.next >= len(batches) {
		return nil, nil
	}
	b := batches[r.next]
	r.next += r.step
	return b, nil
}

func (r *spoolReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return r.sp.release()
}
