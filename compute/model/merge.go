package model

import (
	"container/heap"
	"context"
	"fmt"

	"github.com/doricdb/doric/compute/vector"
)

// Iterator yields batches; nil at the end.
type Iterator interface {
	Next(ctx context.Context) (*vector.Batch, error)
}

// Merger merges sorted runs into one sorted, folded stream without holding the runs in memory:
// a k-way merge that keeps one batch per input. See Model.Merge.
type Merger struct {
	m         *Model
	inputs    []Iterator
	batchSize int
	cursors   cursorHeap
	started   bool
	done      bool
	out       []*vector.Vector // merged rows not yet handed out (sorted, not yet folded)
	n         int
}

// Merge returns a Merger over inputs listed oldest first. Each input must yield rows sorted by
// the key (NULL first); for AGGREGATE and UNIQUE models each input must hold each key at most
// once (a folded run: a segment, a rowset). The output is sorted by the key; rows with equal keys
// are folded exactly as Apply folds them when the inputs are concatenated oldest first, and for
// DUPLICATE tables rows with equal keys come out oldest input first. Batches hold about
// batchSize rows (at least 1). A Merger is used by one goroutine.
func (m *Model) Merge(inputs []Iterator, batchSize int) *Merger {
	return &Merger{m: m, inputs: inputs, batchSize: max(batchSize, 1)}
}

// cursor is the current batch of one input.
type cursor struct {
	idx int // input index: the age (lower is older)
	b   *vector.Batch
	pos int
}

type cursorHeap struct {
	cs      []*cursor
	numKeys int
}

func (h *cursorHeap) Len() int { return len(h.cs) }
func (h *cursorHeap) Less(i, j int) bool {
	a, b := h.cs[i], h.cs[j]
	if c := compareKeys(a.b, a.pos, b.b, b.pos, h.numKeys); c != 0 {
		return c < 0
	}
	return a.idx < b.idx
}
func (h *cursorHeap) Swap(i, j int) { h.cs[i], h.cs[j] = h.cs[j], h.cs[i] }
func (h *cursorHeap) Push(x any)    { h.cs = append(h.cs, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	c := h.cs[len(h.cs)-1]
	h.cs = h.cs[:len(h.cs)-1]
	return c
}

// advance loads the next non-empty batch of c; false at the input's end.
func (mg *Merger) advance(ctx context.Context, c *cursor) (bool, error) {
	for {
		b, err := mg.inputs[c.idx].Next(ctx)
		if err != nil || b == nil {
			return false, err
		}
		if len(b.Cols) != len(mg.m.aggs) {
			return false, fmt.Errorf("BUG: merge input %d yields %d columns, the model has %d", c.idx, len(b.Cols), len(mg.m.aggs))
		}
		if b.N > 0 {
			c.b, c.pos = b, 0
			return true, nil
		}
	}
}

// Next returns the next batch, or nil at the end.
func (mg *Merger) Next(ctx context.Context) (*vector.Batch, error) {
	if !mg.started {
		mg.started = true
		mg.cursors.numKeys = mg.m.numKeys
		for i := range mg.inputs {
			c := &cursor{idx: i}
			ok, err := mg.advance(ctx, c)
			if err != nil {
				return nil, err
			}
			if ok {
				mg.cursors.cs = append(mg.cursors.cs, c)
			}
		}
		heap.Init(&mg.cursors)
	}
	for !mg.done {
		if mg.n >= mg.batchSize {
			if b, err := mg.emit(false); b != nil || err != nil {
				return b, err
			}
		}
		if mg.cursors.Len() == 0 {
			mg.done = true
			break
		}
		if err := mg.run(ctx); err != nil {
			return nil, err
		}
	}
	return mg.emit(true)
}

// run moves the rows of the smallest cursor that sort before every other cursor's row (key,
// then age) into out.
func (mg *Merger) run(ctx context.Context) error {
	h := &mg.cursors
	c := h.cs[0]
	hi := c.b.N
	if h.Len() > 1 {
		// The next smallest cursor is one of the root's children.
		o := h.cs[1]
		if h.Len() > 2 && h.Less(2, 1) {
			o = h.cs[2]
		}
		hi = c.pos + 1
		for hi < c.b.N {
			d := compareKeys(c.b, hi, o.b, o.pos, h.numKeys)
			if d > 0 || d == 0 && c.idx > o.idx {
				break
			}
			hi++
		}
	}
	if mg.out == nil {
		mg.out = make([]*vector.Vector, len(c.b.Cols))
		for k, v := range c.b.Cols {
			mg.out[k] = vector.NewWithCap(v.Type, mg.batchSize)
		}
	}
	for k, v := range c.b.Cols {
		mg.out[k].AppendRange(v, c.pos, hi)
	}
	mg.n += hi - c.pos
	c.pos = hi
	if c.pos < c.b.N {
		heap.Fix(h, 0)
		return nil
	}
	ok, err := mg.advance(ctx, c)
	if err != nil {
		return err
	}
	if ok {
		heap.Fix(h, 0)
	} else {
		heap.Pop(h)
	}
	return nil
}

// emit folds and returns the buffered rows; unless final, the rows of the last key stay
// buffered (more of that key may follow). nil when nothing can be emitted.
func (mg *Merger) emit(final bool) (*vector.Batch, error) {
	if mg.n == 0 {
		return nil, nil
	}
	cut := mg.n
	if !final && mg.m.Folds() {
		for cut > 0 && compareKeys(vector.NewBatch(mg.out, mg.n), cut-1, vector.NewBatch(mg.out, mg.n), mg.n-1, mg.m.numKeys) == 0 {
			cut--
		}
		if cut == 0 {
			return nil, nil // one key so far: wait for the next
		}
	}
	head := make([]*vector.Vector, len(mg.out))
	var rest []*vector.Vector
	if cut < mg.n {
		rest = make([]*vector.Vector, len(mg.out))
	}
	for k, v := range mg.out {
		head[k] = v.Slice(0, cut)
		if rest != nil {
			rest[k] = vector.NewWithCap(v.Type, mg.batchSize)
			rest[k].AppendRange(v, cut, mg.n)
		}
	}
	b := vector.NewBatch(head, cut)
	mg.out, mg.n = rest, mg.n-cut
	if mg.m.Folds() {
		return mg.m.Apply(b)
	}
	return b, nil
}

// compareKeys orders row i of a against row j of b by the first n columns, NULL first.
func compareKeys(a *vector.Batch, i int, b *vector.Batch, j int, n int) int {
	for k := range n {
		if c := vector.CompareAt(a.Cols[k], i, b.Cols[k], j); c != 0 {
			return c
		}
	}
	return 0
}
