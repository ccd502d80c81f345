package exec

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// ErrMemLimitExceeded classifies a query that needed more memory than its limit
// (exec_mem_limit); the error is a *MemLimitError.
var ErrMemLimitExceeded = errors.New("MEM_LIMIT_EXCEEDED")

// MemLimitError is a reservation refused by a MemTracker.
type MemLimitError struct {
	Query string // the query id
	Limit int64  // exec_mem_limit, bytes
	Used  int64  // bytes held when the reservation came
	Want  int64  // the refused reservation, bytes
}

func (e *MemLimitError) Error() string {
	return fmt.Sprintf("[MEM_LIMIT_EXCEEDED] Memory limit exceeded: query %s consumption %d B + %d B exceeds the limit %d B; "+
		"can change the limit by session variable exec_mem_limit (`set exec_mem_limit=xxx`)", e.Query, e.Used, e.Want, e.Limit)
}

// Is makes errors.Is(err, ErrMemLimitExceeded) hold.
func (e *MemLimitError) Is(target error) bool { return target == ErrMemLimitExceeded }

// MemTracker is the memory account of one query on one node: a Memory with a limit. Safe for
// concurrent use.
type MemTracker struct {
	query string
	limit int64 // <= 0: none
	used  atomic.Int64
	peak  atomic.Int64
}

// NewMemTracker returns the tracker of a query with a limit in bytes (<= 0: no limit).
func NewMemTracker(query string, limit int64) *MemTracker {
	return &MemTracker{query: query, limit: limit}
}

// Reserve takes n bytes, or fails with a *MemLimitError when that would exceed the limit.
func (m *MemTracker) Reserve(n int64) error {
	if n <= 0 {
		return nil
	}
	u := m.used.Add(n)
	if m.limit > 0 && u > m.limit {
		m.used.Add(-n)
		return &MemLimitError{Query: m.query, Limit: m.limit, Used: u - n, Want: n}
	}
	for {
		p := m.peak.Load()
		if u <= p || m.peak.CompareAndSwap(p, u) {
			return nil
		}
	}
}

// Release gives back n bytes.
func (m *MemTracker) Release(n int64) {
	if n > 0 {
		m.used.Add(-n)
	}
}

// Used is the number of bytes reserved now.
func (m *MemTracker) Used() int64 { return m.used.Load() }

// Peak is the largest number of bytes reserved at once.
func (m *MemTracker) Peak() int64 { return m.peak.Load() }

// Limit is the tracker's limit (<= 0: none).
func (m *MemTracker) Limit() int64 { return m.limit }

// account is an operator's share of a Memory: what it reserved, released at Close.
type account struct {
	mem      Memory
	reserved int64
}

func (a *account) reserve(n int64) error {
	if a.mem == nil || n <= 0 {
		return nil
	}
	if err := a.mem.Reserve(n); err != nil {
		return err
	}
	a.reserved += n
	return nil
}

func (a *account) releaseAll() {
	if a.mem != nil && a.reserved > 0 {
		a.mem.Release(a.reserved)
	}
	a.reserved = 0
}

// rowsBytes estimates the memory rows of v take once appended to a buffer.
func rowsBytes(v *vector.Vector, rows []int32) int64 {
	n := int64(len(rows))
	switch v.Type.Physical() {
	case types.PhysInt64, types.PhysFloat64:
		return n * 8
	case types.PhysInt128:
		return n * 16
	}
	size := n * 24
	for _, i := range rows {
		size += int64(len(v.Bytes[i]))
	}
	return size
}

// batchBytes estimates the memory the active rows of b take once buffered.
func batchBytes(b *vector.Batch, rows []int32) int64 {
	var n int64
	for _, c := range b.Cols {
		n += rowsBytes(c, rows)
	}
	return n
}

// groupBytes estimates what the new groups (rows fresh of the key vectors) of a hash
// aggregation take: their keys twice (the table's and the key columns'), a table entry and a
// state slot per aggregate.
func groupBytes(keys []*vector.Vector, fresh []int32, aggs int) int64 {
	n := int64(len(fresh)) * int64(32+16*aggs)
	for _, v := range keys {
		n += 2 * rowsBytes(v, fresh)
	}
	return n
}
