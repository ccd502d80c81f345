package segment

import (
	"context"
	"fmt"
	"sort"

	"github.com/doricdb/doric/compute/segment/index"
	"github.com/doricdb/doric/compute/types"
)

// Value is one constant of a predicate, in the physical representation of its column's type.
type Value = index.Value

// Op is the operator of a predicate.
type Op uint8

const (
	OpEq      Op = iota + 1 // column = Values[0]
	OpLt                    // column < Values[0]
	OpLe                    // column <= Values[0]
	OpGt                    // column > Values[0]
	OpGe                    // column >= Values[0]
	OpIn                    // column IN (Values...); an empty list matches nothing
	OpIsNull                // column IS NULL
	OpNotNull               // column IS NOT NULL
)

func (o Op) String() string {
	switch o {
	case OpEq:
		return "="
	case OpLt:
		return "<"
	case OpLe:
		return "<="
	case OpGt:
		return ">"
	case OpGe:
		return ">="
	case OpIn:
		return "IN"
	case OpIsNull:
		return "IS NULL"
	case OpNotNull:
		return "IS NOT NULL"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Predicate is a simple condition on one column: "column op constant", an IN list, or a NULL
// test. Constants are non-NULL values of the column's type, compared in SQL order (see package
// index). A NULL row satisfies only IS NULL.
type Predicate struct {
	Column int // index among the segment's Columns
	Op     Op
	Values []Value
}

// RowRange is the rows [Start, End) of a segment.
type RowRange struct{ Start, End int64 }

// PruneStats counts what the indexes excluded.
type PruneStats struct {
	Rows          int64 // rows left to read
	SegmentPruned bool  // the segment zone maps excluded every row
	ShortKeyRows  int64 // rows the short-key index excluded
	ZoneMapPages  int   // pages the zone maps excluded
	BloomPages    int   // pages the bloom filters excluded (after the zone maps)
}

func (s *Segment) checkPredicates(preds []Predicate) error {
	for _, p := range preds {
		if p.Column < 0 || p.Column >= len(s.f.columns) {
			return fmt.Errorf("segment %s: predicate on column %d of %d", s.path, p.Column, len(s.f.columns))
		}
		want := 1
		switch p.Op {
		case OpIn:
			want = len(p.Values)
		case OpIsNull, OpNotNull:
			want = 0
		case OpEq, OpLt, OpLe, OpGt, OpGe:
		default:
			return fmt.Errorf("segment %s: unknown predicate operator %d", s.path, p.Op)
		}
		if len(p.Values) != want {
			return fmt.Errorf("segment %s: predicate %s on column %d has %d values", s.path, p.Op, p.Column, len(p.Values))
		}
	}
	return nil
}

// mayMatch reports whether a zone (a page of rows rows, or the whole segment) may hold a row
// satisfying p; bloom is the page's filter, or nil.
func mayMatch(t types.T, p *Predicate, z index.ZoneMap, rows int64, bloom index.Bloom, hasBloom bool) bool {
	inBloom := func(v Value) bool { return !hasBloom || bloom.MayContain(index.Hash(t, v)) }
	switch p.Op {
	case OpIsNull:
		return z.NullCount > 0
	case OpNotNull:
		return z.NullCount < rows
	case OpEq:
		return z.MayContain(t, p.Values[0], rows) && inBloom(p.Values[0])
	case OpIn:
		for _, v := range p.Values {
			if z.MayContain(t, v, rows) && inBloom(v) {
				return true
			}
		}
		return false
	}
	lo, hi := bounds(p)
	return z.MayOverlap(t, lo, hi, rows)
}

// bounds returns the range of values a comparison accepts (nil = unbounded; IN gives its
// smallest and largest value, which the caller must have checked are there).
func bounds(p *Predicate) (lo, hi *index.Bound) {
	v := p.Values
	switch p.Op {
	case OpEq:
		return &index.Bound{Value: v[0], Inclusive: true}, &index.Bound{Value: v[0], Inclusive: true}
	case OpLt:
		return nil, &index.Bound{Value: v[0]}
	case OpLe:
		return nil, &index.Bound{Value: v[0], Inclusive: true}
	case OpGt:
		return &index.Bound{Value: v[0]}, nil
	case OpGe:
		return &index.Bound{Value: v[0], Inclusive: true}, nil
	}
	return nil, nil
}

// Prune returns the row ranges of the segment that may hold rows satisfying every predicate,
// sorted and disjoint: the segment zone maps, the short-key index (for predicates on leading
// sort-key columns), the page zone maps and the bloom filters (for = and IN) rule the rest out.
func (s *Segment) Prune(ctx context.Context, preds []Predicate) ([]RowRange, PruneStats, error) {
	var st PruneStats
	if err := s.checkPredicates(preds); err != nil {
		return nil, st, err
	}
	n := s.f.numRows
	for i := range preds {
		p := &preds[i]
		m := &s.f.columns[p.Column]
		if !mayMatch(m.Type, p, m.Zone, n, nil, false) {
			st.SegmentPruned = true
			return nil, st, nil
		}
	}
	ranges := []RowRange{{0, n}}
	if n == 0 {
		return nil, st, nil
	}
	start, end, err := s.seekShortKey(ctx, preds)
	if err != nil {
		return nil, st, err
	}
	st.ShortKeyRows = n - (end - start)
	if start >= end {
		return nil, st, nil
	}
	ranges[0] = RowRange{start, end}
	// Page pruning, one column at a time.
	byCol := map[int][]*Predicate{}
	var order []int
	for i := range preds {
		c := preds[i].Column
		if byCol[c] == nil {
			order = append(order, c)
		}
		byCol[c] = append(byCol[c], &preds[i])
	}
	for _, c := range order {
		m := &s.f.columns[c]
		ord, err := s.Ordinal(ctx, c)
		if err != nil {
			return nil, st, err
		}
		zones, err := s.ZoneMaps(ctx, c)
		if err != nil {
			return nil, st, err
		}
		var blooms []index.Bloom
		for _, p := range byCol[c] {
			if p.Op == OpEq || p.Op == OpIn {
				if blooms, err = s.BloomFilters(ctx, c); err != nil {
					return nil, st, err
				}
				break
			}
		}
		var keep []RowRange
		for _, r := range ranges {
			for pg := ord.Page(r.Start); pg < ord.Len(); pg++ {
				ps, pe := ord.Rows(pg)
				if ps >= r.End {
					break
				}
				if keepPage(m, byCol[c], zones[pg], pe-ps, nil, false) {
					if blooms == nil || keepPage(m, byCol[c], zones[pg], pe-ps, blooms[pg], true) {
						keep = appendRange(keep, RowRange{max(ps, r.Start), min(pe, r.End)})
					} else {
						st.BloomPages++
					}
				} else {
					st.ZoneMapPages++
				}
			}
		}
		ranges = keep
		if len(ranges) == 0 {
			break
		}
	}
	for _, r := range ranges {
		st.Rows += r.End - r.Start
	}
	return ranges, st, nil
}

func keepPage(m *columnMeta, preds []*Predicate, z index.ZoneMap, rows int64, bloom index.Bloom, hasBloom bool) bool {
	for _, p := range preds {
		if !mayMatch(m.Type, p, z, rows, bloom, hasBloom) {
			return false
		}
	}
	return true
}

// appendRange appends r to sorted ranges, merging it with the last one when they touch.
func appendRange(rs []RowRange, r RowRange) []RowRange {
	if r.Start >= r.End {
		return rs
	}
	if k := len(rs); k > 0 && rs[k-1].End >= r.Start {
		rs[k-1].End = max(rs[k-1].End, r.End)
		return rs
	}
	return append(rs, r)
}

// seekShortKey narrows the segment to the rows whose short-key prefix may satisfy the
// predicates on the leading sort-key columns: equalities on a prefix of them, then a range on
// the next one.
func (s *Segment) seekShortKey(ctx context.Context, preds []Predicate) (int64, int64, error) {
	ns := s.f.numShortKeys
	if ns == 0 || len(preds) == 0 {
		return 0, s.f.numRows, nil
	}
	var loVals, hiVals []Value
	ts := make([]types.T, ns)
	for j := range ns {
		t := s.f.columns[j].Type
		ts[j] = t
		var lo, hi *Value
		for i := range preds {
			p := &preds[i]
			if p.Column != j {
				continue
			}
			var plo, phi *Value
			switch p.Op {
			case OpEq:
				plo, phi = &p.Values[0], &p.Values[0]
			case OpLt, OpLe:
				phi = &p.Values[0]
			case OpGt, OpGe:
				plo = &p.Values[0]
			case OpIn:
				if len(p.Values) == 0 {
					continue
				}
				vs := append([]Value(nil), p.Values...)
				sort.Slice(vs, func(a, b int) bool { return index.Compare(t, vs[a], vs[b]) < 0 })
				plo, phi = &vs[0], &vs[len(vs)-1]
			}
			if plo != nil && (lo == nil || index.Compare(t, *plo, *lo) > 0) {
				lo = plo
			}
			if phi != nil && (hi == nil || index.Compare(t, *phi, *hi) < 0) {
				hi = phi
			}
		}
		if lo != nil {
			loVals = append(loVals, *lo)
		}
		if hi != nil {
			hiVals = append(hiVals, *hi)
		}
		if lo == nil || hi == nil || index.Compare(t, *lo, *hi) != 0 {
			break // not a point: the key prefix ends here
		}
	}
	if loVals == nil && hiVals == nil {
		return 0, s.f.numRows, nil
	}
	x, err := s.ShortKeyIndex(ctx)
	if err != nil {
		return 0, 0, err
	}
	var lo, hi []byte
	if loVals != nil {
		lo = index.AppendKeyValues(nil, ts, loVals)
	}
	if hiVals != nil {
		hi = index.AppendKeyValues(nil, ts, hiVals)
	}
	start, end := x.Seek(lo, hi)
	return start, end, nil
}
