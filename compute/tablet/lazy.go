package tablet

import (
	"context"
	"fmt"
	"slices"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Late materialization stops after lazyProbation batches when fewer than one in lazyWorthIt of
// them let the scan skip reading its other columns (no row left): then every column is read anyway
// and evaluating the conjuncts here only doubles the caller's work.
const (
	lazyProbation = 16
	lazyWorthIt   = 10
)

// Filter makes the scan evaluate the conjuncts (planpb expressions over the scan's output
// columns) it can apply exactly, with late materialization: for each batch it reads the columns
// those conjuncts need first (with the delete sign and the columns of the delete predicates that
// apply), drops the deleted rows, evaluates the conjuncts on the others, and reads the remaining
// columns only when some row is left — so pages of those columns that hold no such row are never
// read. Its batches then carry a selection (vector.Batch.Sel) of the rows left.
//
// It applies to the scans that do not merge (DUPLICATE KEY and merge-on-write UNIQUE KEY
// tables: every row stands alone, so dropping rows by their own values commutes with deletes)
// and not with TrackOrigins. Of the conjuncts it takes those that are deterministic and cannot
// fail (comparisons, IN, NULL tests, LIKE, AND/OR/NOT, casts, substring, upper, lower, length
// over columns and literals) and that compile; it returns how many. The caller still filters
// exactly: the rows left satisfy the taken conjuncts, not necessarily the others — and once late
// materialization stops paying (nearly every batch keeps rows: see lazyProbation), the scan reads
// and returns whole batches without evaluating anything (Applied tells the caller which). Call it
// before the first Next.
func (s *Scanner) Filter(conjuncts []*planpb.Expr) int {
	if s.fold != nil {
		return 0
	}
	in := s.Types()
	leading := true
	for _, e := range conjuncts {
		cols := map[int]bool{}
		if !lazySafe(e, len(in), cols) {
			leading = false
			continue
		}
		c, err := expr.CompileEnv(e, in, expr.Env{Scratch: true})
		if err != nil || c.Type().Physical() != types.PhysInt64 {
			leading = false
			continue // the caller's filter reports it
		}
		if k := c.Type().Kind; k != types.Boolean && k != types.Null && !c.Type().IsInteger() {
			leading = false
			continue
		}
		if leading {
			s.prefix++
		}
		s.conj = append(s.conj, c)
		for k := range cols {
			s.conjCols = append(s.conjCols, s.project[k])
		}
	}
	return len(s.conj)
}

// Applied is how many of the leading conjuncts given to Filter the last batch Next returned
// satisfies already (its selection holds only rows for which they are TRUE): the caller need
// evaluate only the others. 0 when late materialization did not filter that batch.
func (s *Scanner) Applied() int { return s.applied }

// lazySafe reports whether e is deterministic and cannot fail, recording the columns it reads.
func lazySafe(e *planpb.Expr, ncols int, cols map[int]bool) bool {
	switch k := e.GetKind().(type) {
	case *planpb.Expr_Literal:
		return true
	case *planpb.Expr_Column:
		i := int(k.Column.GetIndex())
		if i < 0 || i >= ncols {
			return false
		}
		cols[i] = true
		return true
	case *planpb.Expr_Call:
		switch k.Call.GetName() {
		case "eq", "ne", "lt", "le", "gt", "ge", "eq_for_null", "in", "not_in", "is_null", "is_not_null",
			"and", "or", "not", "like", "not_like", "cast", "substring", "substr", "upper", "lower", "length":
		default:
			return false
		}
		for _, a := range k.Call.GetArgs() {
			if !lazySafe(a, ncols, cols) {
				return false
			}
		}
		return true
	}
	return false
}

// keep narrows the rows of b (raw columns; b.Sel the rows not deleted) to those that are no
// tombstone and satisfy the conjuncts, building the selection in buf's array. Only the columns
// the conjuncts and the delete sign read are loaded.
func (s *Scanner) keep(b *vector.Batch, buf []int32) ([]int32, error) {
	rows, all := b.Sel, b.Sel == nil
	if s.sign >= 0 {
		sv := b.Cols[s.sign]
		out := buf[:0] // may share rows' array: it never gets ahead of the row read
		for i := range b.Len() {
			r := i
			if !all {
				r = int(rows[i])
			}
			if sv.IsNull(r) || sv.Int64[r] != 1 {
				out = append(out, int32(r))
			}
		}
		rows, all = out, false
	}
	ob := &vector.Batch{Cols: make([]*vector.Vector, len(s.project)), N: b.N, Sel: rows}
	for k, p := range s.project {
		ob.Cols[k] = b.Cols[p]
	}
	for _, c := range s.conj {
		if !all && len(rows) == 0 {
			break
		}
		sel, err := c.Select(ob, buf[:0])
		if err != nil {
			return nil, fmt.Errorf("tablet %d: %w", s.snap.TabletID, err)
		}
		rows, all = sel, false
		ob.Sel = sel
	}
	if all {
		return vector.Identity(buf[:0], b.N), nil
	}
	return rows, nil
}

// nextLazy is next with late materialization (Scanner.Filter): the columns in first are read,
// the rows left by deletes and by keep decide whether the other columns are read at all. The
// batch it returns carries the selection of the rows left (nil: all).
func (s *rawScanner) nextLazy(ctx context.Context) (*vector.Batch, error) {
	for {
		if s.it == nil {
			ok, err := s.openNext(ctx)
			if err != nil || !ok {
				return nil, err
			}
		}
		n, err := s.it.Advance(ctx)
		if err != nil {
			return nil, fmt.Errorf("tablet %d: %w", s.snap.TabletID, err)
		}
		if n == 0 {
			s.segmentDone()
			continue
		}
		s.lazySeen++
		ord := s.it.Ordinal()
		cols := make([]*vector.Vector, len(s.cols))
		for k := range s.cols {
			if s.loadNow[k] {
				if cols[k], err = s.column(ctx, k, n); err != nil {
					return nil, err
				}
			}
		}
		// The selection is built in s.sel; without reuse the batch gets a copy of the rows
		// kept (each batch's selection is its own), which costs less than a fresh array of n.
		if cap(s.sel) < n {
			s.sel = make([]int32, 0, max(n, s.batchSize))
		}
		buf := s.sel[:0]
		b := vector.NewBatch(cols, n)
		if del := s.deletedRows(b, ord); del != nil {
			for i, d := range del {
				if !d {
					buf = append(buf, int32(i))
				}
			}
			if len(buf) == 0 {
				s.lazySkipped++
				continue
			}
			b.Sel = buf
		}
		rows, err := s.keep(b, buf)
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			s.lazySkipped++
			continue
		}
		for k := range s.cols {
			if !s.loadNow[k] {
				if cols[k], err = s.column(ctx, k, n); err != nil {
					return nil, err
				}
			}
		}
		if len(rows) == n {
			rows = nil
		} else if !s.reuse {
			rows = slices.Clone(rows)
		}
		return &vector.Batch{Cols: cols, N: n, Sel: rows}, nil
	}
}

// column is raw column k of the iterator's current batch of n rows: read from the segment, or
// the column's default when the segment lacks it.
func (s *rawScanner) column(ctx context.Context, k, n int) (*vector.Vector, error) {
	p := s.present[k]
	if p < 0 {
		return constant(s.cols[k].def, n), nil
	}
	v, err := s.it.Column(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("tablet %d: %w", s.snap.TabletID, err)
	}
	if t := s.cols[k].t; v.Type != t { // e.g. VARCHAR(10) stored, VARCHAR(20) in the schema now
		cp := *v
		cp.Type = t
		v = &cp
	}
	return v, nil
}
