package vector

import "fmt"

// Batch is a set of columns of physical length N with an optional selection. See the package doc.
type Batch struct {
	Cols []*Vector
	N    int
	Sel  []int32 // nil: all of 0..N-1
}

// NewBatch returns a batch over cols, all of which must have length n.
func NewBatch(cols []*Vector, n int) *Batch { return &Batch{Cols: cols, N: n} }

// Len is the number of active rows.
func (b *Batch) Len() int {
	if b.Sel != nil {
		return len(b.Sel)
	}
	return b.N
}

// Rows returns the active rows: Sel, or 0..N-1 materialized into buf (reused when big enough).
func (b *Batch) Rows(buf []int32) []int32 {
	if b.Sel != nil {
		return b.Sel
	}
	return Identity(buf, b.N)
}

// Identity returns 0..n-1, reusing buf when it has room.
func Identity(buf []int32, n int) []int32 {
	if cap(buf) < n {
		buf = make([]int32, n)
	}
	buf = buf[:n]
	for i := range buf {
		buf[i] = int32(i)
	}
	return buf
}

// Compact returns a batch with the same active rows and no selection (b itself when it has none).
func (b *Batch) Compact() *Batch {
	if b.Sel == nil {
		return b
	}
	cols := make([]*Vector, len(b.Cols))
	for i, c := range b.Cols {
		cols[i] = c.Gather(b.Sel)
	}
	return &Batch{Cols: cols, N: len(b.Sel)}
}

// Validate checks the batch's structural invariants (for tests and at trust boundaries).
func (b *Batch) Validate() error {
	for i, c := range b.Cols {
		if c.Len() != b.N {
			return fmt.Errorf("column %d has %d values, batch has %d rows", i, c.Len(), b.N)
		}
		if c.Nulls != nil && len(c.Nulls) < (b.N+63)/64 {
			return fmt.Errorf("column %d null bitmap covers %d rows, batch has %d", i, 64*len(c.Nulls), b.N)
		}
	}
	for k, i := range b.Sel {
		if i < 0 || int(i) >= b.N || (k > 0 && i <= b.Sel[k-1]) {
			return fmt.Errorf("selection %v not increasing within [0, %d)", b.Sel, b.N)
		}
	}
	return nil
}
