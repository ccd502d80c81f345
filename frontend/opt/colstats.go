package opt

import (
	"math"
	"strconv"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/plan"
)

// scanColStats are the statistics of a scan's columns: those of the table's columns (ANALYZE
// TABLE), their NDV scaled to the rows of the partitions read (base) when those are fewer than
// the rows they were taken of. nil when no column has statistics.
func (o *optimizer) scanColStats(s *plan.Scan, base float64) map[plan.ColumnID]*colStat {
	if o.stats == nil {
		return nil
	}
	var out map[plan.ColumnID]*colStat
	for i, c := range s.Cols {
		ci := s.ColIdx[i]
		if ci < 0 || ci >= len(s.Table.Columns) {
			continue
		}
		tc := s.Table.Columns[ci]
		st, ok := o.stats.ColumnStats(s.Table, tc.Name)
		if !ok || st.Rows <= 0 {
			continue
		}
		cs := &colStat{ndv: math.Max(st.NDV, 1), nulls: math.Min(1, math.Max(0, st.Nulls/st.Rows)), kind: tc.Type.Kind}
		if st.HasMinMax {
			lo, okLo := axis(st.Min, tc.Type.Kind)
			hi, okHi := axis(st.Max, tc.Type.Kind)
			if okLo && okHi && lo <= hi {
				cs.lo, cs.hi, cs.hasRange = lo, hi, true
			}
		}
		if base < st.Rows {
			cs.ndv = scaleNDV(cs.ndv, st.Rows, base)
		}
		cs.ndv = math.Max(1, math.Min(cs.ndv, base))
		if out == nil {
			out = map[plan.ColumnID]*colStat{}
		}
		out[c.ID] = cs
	}
	return out
}

// axis places a value's SQL text on the numeric axis of a column of kind k: numbers as
// themselves, dates as days and datetimes as microseconds since 1970-01-01 (ok false for other
// kinds or text that does not parse).
func axis(text string, k types.Kind) (float64, bool) {
	switch k {
	case types.Date:
		d, err := types.ParseDate(text)
		return float64(d), err == nil
	case types.DateTime:
		us, err := types.ParseDateTime(text)
		if err != nil {
			d, derr := types.ParseDate(text)
			return float64(d) * 86400e6, derr == nil
		}
		return float64(us), true
	case types.TinyInt, types.SmallInt, types.Int, types.BigInt, types.LargeInt, types.Float, types.Double, types.Decimal:
		f, err := strconv.ParseFloat(text, 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

// scaleNDV is the expected number of distinct values left of ndv values over from rows when
// to of those rows are kept at random: ndv * (1 - (1 - to/from)^(from/ndv)).
func scaleNDV(ndv, from, to float64) float64 {
	if to >= from || from <= 0 || ndv <= 0 {
		return ndv
	}
	if to <= 0 {
		return 1
	}
	d := ndv * (1 - math.Pow(1-to/from, from/ndv))
	return math.Max(1, math.Min(d, to))
}

// scaleCols are cols after a node keeps to of its input's from rows (the same map when nothing
// changes).
func scaleCols(cols map[plan.ColumnID]*colStat, from, to float64) map[plan.ColumnID]*colStat {
	if len(cols) == 0 || to >= from {
		return cols
	}
	out := make(map[plan.ColumnID]*colStat, len(cols))
	for id, c := range cols {
		cc := *c
		cc.ndv = scaleNDV(c.ndv, from, math.Max(to, 1))
		out[id] = &cc
	}
	return out
}

// projectCols are the statistics of a projection's output: its input's, plus those of items
// that are a column of the input (or a cast of one) under the item's own id.
func projectCols(p *plan.Project, in map[plan.ColumnID]*colStat) map[plan.ColumnID]*colStat {
	if len(in) == 0 {
		return in
	}
	out := make(map[plan.ColumnID]*colStat, len(in)+len(p.Items))
	for id, c := range in {
		out[id] = c
	}
	for _, it := range p.Items {
		if e := stripCast(it.Expr); e.IsColumn() {
			if c := in[e.Col]; c != nil {
				if it.Expr == e || it.Col.Type.Kind == c.kind {
					out[it.Col.ID] = c
				} else {
					cc := *c
					cc.hasRange = false // a cast changes the axis
					out[it.Col.ID] = &cc
				}
			}
		}
	}
	return out
}

// joinCols are the statistics of both sides of a join.
func joinCols(l, r *est) map[plan.ColumnID]*colStat {
	if len(l.cols) == 0 {
		return r.cols
	}
	if len(r.cols) == 0 {
		return l.cols
	}
	out := make(map[plan.ColumnID]*colStat, len(l.cols)+len(r.cols))
	for id, c := range l.cols {
		out[id] = c
	}
	for id, c := range r.cols {
		out[id] = c
	}
	return out
}

// joinOutputCols are the statistics of a join's output e: each side's columns with their NDV
// scaled down when the join keeps fewer rows than that side has.
func (o *optimizer) joinOutputCols(e, l, r *est) map[plan.ColumnID]*colStat {
	if len(e.cols) == 0 {
		return e.cols
	}
	out := make(map[plan.ColumnID]*colStat, len(e.cols))
	for id, c := range e.cols {
		from := r.rows
		if _, ok := l.cols[id]; ok {
			from = l.rows
		}
		if e.rows < from {
			cc := *c
			cc.ndv = scaleNDV(c.ndv, from, e.rows)
			c = &cc
		}
		out[id] = c
	}
	return out
}

// groups estimates the groups of an aggregate from its keys' statistics: the product of their
// NDVs, at most the input's rows. ok false unless some key has statistics and every key has
// statistics or a domain (the estimate without statistics applies).
func groups(a *plan.Aggregate, in *est) (float64, bool) {
	if len(in.cols) == 0 {
		return 0, false
	}
	rows, analyzed := 1.0, false
	for _, g := range a.GroupBy {
		e := stripCast(g.Expr)
		if !e.IsColumn() {
			return 0, false
		}
		if c := in.cols[e.Col]; c != nil {
			d := c.ndv
			if c.nulls > 0 {
				d++ // NULL is a group of its own
			}
			rows *= d
			analyzed = true
		} else if d, ok := in.dom[e.Col]; ok {
			rows *= d
		} else {
			return 0, false
		}
		if rows >= in.rows {
			break
		}
	}
	if !analyzed {
		return 0, false
	}
	return math.Min(rows, in.rows), true
}

// colStatOf is the statistics of e when it is a column (or a cast of one) that has them.
func colStatOf(e *plan.Expr, in *est) *colStat {
	if in == nil {
		return nil
	}
	if e = stripCast(e); e.IsColumn() {
		return in.colOf(e.Col)
	}
	return nil
}

// ndvOf is the NDV of e from statistics (0: unknown).
func ndvOf(e *plan.Expr, in *est) float64 {
	if c := colStatOf(e, in); c != nil {
		return c.ndv
	}
	return 0
}

func allConst(es []*plan.Expr) bool {
	for _, e := range es {
		if !e.IsConst() {
			return false
		}
	}
	return true
}

// interval is a range of values on a column's axis.
type interval struct{ lo, hi float64 }

// rangeOf matches a comparison of a column with statistics and a range with a constant
// (col < x, x >= col, ...; the column may be under a cast) and returns the column and the
// interval of values it admits on the column's axis.
func rangeOf(c *plan.Expr, in *est) (col plan.ColumnID, lo, hi float64, ok bool) {
	if c.Kind != plan.ExprCall || len(c.Args) != 2 {
		return 0, 0, 0, false
	}
	op := c.Name
	a, b := c.Args[0], c.Args[1]
	if a.IsConst() && !b.IsConst() {
		a, b = b, a
		switch op {
		case "lt":
			op = "gt"
		case "le":
			op = "ge"
		case "gt":
			op = "lt"
		case "ge":
			op = "le"
		}
	}
	switch op {
	case "lt", "le", "gt", "ge":
	default:
		return 0, 0, 0, false
	}
	cs := colStatOf(a, in)
	if cs == nil || !cs.hasRange || !b.IsConst() || b.Value.GetIsNull() {
		return 0, 0, 0, false
	}
	v, ok := axis(b.Text, cs.kind)
	if !ok {
		return 0, 0, 0, false
	}
	col = stripCast(a).Col
	switch op {
	case "lt", "le":
		return col, math.Inf(-1), v, true
	default:
		return col, v, math.Inf(1), true
	}
}

// fraction is the share of c's rows whose value lies in [lo, hi]: the part of [min, max] the
// interval covers, clamped to [1/ndv, 1] (1/ndv also when it misses the range: statistics may
// be older than the data), times the non-NULL share.
func (c *colStat) fraction(lo, hi float64) float64 {
	lo, hi = math.Max(lo, c.lo), math.Min(hi, c.hi)
	f := 1.0
	switch {
	case lo > hi:
		f = 0
	case c.hi > c.lo:
		f = (hi - lo) / (c.hi - c.lo)
	}
	f = math.Min(1, math.Max(f, 1/c.ndv))
	return f * (1 - c.nulls)
}
