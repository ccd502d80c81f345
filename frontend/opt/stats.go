package opt

import (
	"math"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/plan"
)

// Stats supplies table statistics. TableRows is the number of rows in the given partitions of a
// table (ok false when unknown: the optimizer then assumes defaultRows). ColumnStats are the
// statistics ANALYZE TABLE took of a column (ok false when it has none: the optimizer then
// guesses as without statistics).
type Stats interface {
	TableRows(t *catalog.Table, partitions []int64) (rows float64, ok bool)
	ColumnStats(t *catalog.Table, column string) (ColumnStats, bool)
}

// Prefetcher is a Stats that fetches the statistics of several tables at once: the optimizer
// names the tables a query scans before it asks for any.
type Prefetcher interface {
	Prefetch(tables []*catalog.Table)
}

// scannedTables are the tables the scans under n read (each once).
func scannedTables(n plan.Node) []*catalog.Table {
	var out []*catalog.Table
	seen := map[int64]bool{}
	var walk func(plan.Node)
	walk = func(n plan.Node) {
		if s, ok := n.(*plan.Scan); ok && !seen[s.Table.ID] {
			seen[s.Table.ID] = true
			out = append(out, s.Table)
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(n)
	return out
}

// ColumnStats are the statistics of one column of a whole table.
type ColumnStats struct {
	Rows  float64 // the table's rows when they were taken
	NDV   float64 // distinct non-NULL values
	Nulls float64 // NULL values
	// Min and Max are the smallest and largest values as SQL text (a number, 'YYYY-MM-DD', ...);
	// HasMinMax is false when there are none (every value NULL).
	Min, Max  string
	HasMinMax bool
}

const defaultRows = 1000

var boolType = types.New(types.Boolean)

// est is what the optimizer knows of a node's output: its estimated row count and, for columns
// known to be unique (a table's only key column, an aggregate's only grouping column), the
// number of distinct values of the source they come from (their "domain": a key joined with
// them matches a fraction rows/domain of its rows).
type est struct {
	rows float64
	dom  map[plan.ColumnID]float64
	// cols are the statistics of the output columns that come from analyzed table columns (nil
	// or missing: none; the estimates then are the guesses made without statistics).
	cols map[plan.ColumnID]*colStat
	// sides, when set, are the inputs of a join whose columns this est also answers for, as
	// they are (no scaling): the view of both sides a join's selectivity is computed over,
	// without merging their maps.
	sides []*est
}

// domOf is the domain of column id (0: unknown).
func (e *est) domOf(id plan.ColumnID) float64 {
	if d, ok := e.dom[id]; ok {
		return d
	}
	for _, s := range e.sides {
		if d := s.domOf(id); d != 0 {
			return d
		}
	}
	return 0
}

// colOf is the statistics of column id (nil: none).
func (e *est) colOf(id plan.ColumnID) *colStat {
	if c := e.cols[id]; c != nil {
		return c
	}
	for _, s := range e.sides {
		if c := s.colOf(id); c != nil {
			return c
		}
	}
	return nil
}

// colStat is what the optimizer knows of a column of a node's output from ANALYZE TABLE.
type colStat struct {
	ndv   float64 // distinct non-NULL values in the node's output (>= 1)
	nulls float64 // fraction of the rows that are NULL
	// lo and hi bound the values on the column's numeric axis (numbers; dates as days, datetimes
	// as microseconds since the epoch) when hasRange.
	lo, hi   float64
	hasRange bool
	kind     types.Kind
}

func (o *optimizer) estimate(n plan.Node) *est {
	if e, ok := o.ests[n]; ok {
		return e
	}
	e := o.estimate1(n)
	if e.rows < 1 {
		e.rows = 1
	}
	o.ests[n] = e
	return e
}

func (o *optimizer) tableRows(s *plan.Scan) float64 {
	if o.stats != nil {
		var parts []int64
		for _, p := range o.partitions(s) {
			parts = append(parts, p.ID)
		}
		if r, ok := o.stats.TableRows(s.Table, parts); ok {
			return r
		}
	}
	return defaultRows
}

func (o *optimizer) estimate1(n plan.Node) *est {
	switch x := n.(type) {
	case *plan.Scan:
		base := o.tableRows(x)
		e := &est{rows: base, dom: map[plan.ColumnID]float64{}}
		if x.Table.NumKeyColumns() == 1 {
			for i, ci := range x.ColIdx {
				if ci == 0 {
					e.dom[x.Cols[i].ID] = math.Max(base, 1)
				}
			}
		}
		e.cols = o.scanColStats(x, base)
		e.rows = base * selectivity(x.Filters, e)
		e.cols = scaleCols(e.cols, base, e.rows)
		return e
	case *plan.Values:
		return &est{rows: float64(x.Rows.GetNumRows())}
	case *plan.Filter:
		in := o.estimate(x.Input)
		rows := in.rows * selectivity(x.Conds, in)
		return &est{rows: rows, dom: in.dom, cols: scaleCols(in.cols, in.rows, rows)}
	case *plan.Project:
		in := o.estimate(x.Input)
		return &est{rows: in.rows, dom: in.dom, cols: projectCols(x, in.cols)}
	case *plan.Join:
		l, r := o.estimate(x.Left), o.estimate(x.Right)
		dom := map[plan.ColumnID]float64{}
		for k, v := range l.dom {
			dom[k] = v
		}
		for k, v := range r.dom {
			dom[k] = v
		}
		both := &est{dom: dom, cols: joinCols(l, r)}
		inner := l.rows * r.rows * o.joinSelectivity(x.On, l, r, &est{sides: []*est{l, r}})
		var e *est
		switch x.Kind {
		case plan.SemiJoin:
			e = &est{rows: math.Min(l.rows, inner) * 0.8, dom: l.dom, cols: l.cols}
		case plan.AntiJoin, plan.NullAwareAntiJoin:
			e = &est{rows: math.Max(l.rows-inner, l.rows*0.2), dom: l.dom, cols: l.cols}
		case plan.MarkJoin:
			return &est{rows: l.rows, dom: l.dom, cols: l.cols}
		case plan.LeftJoin:
			e = &est{rows: math.Max(inner, l.rows), dom: dom, cols: both.cols}
		case plan.RightJoin:
			e = &est{rows: math.Max(inner, r.rows), dom: dom, cols: both.cols}
		case plan.FullJoin:
			e = &est{rows: math.Max(inner, l.rows+r.rows), dom: dom, cols: both.cols}
		default:
			e = &est{rows: inner, dom: dom, cols: both.cols}
		}
		e.cols = o.joinOutputCols(e, l, r)
		return e
	case *plan.Aggregate:
		in := o.estimate(x.Input)
		if len(x.GroupBy) == 0 {
			return &est{rows: 1}
		}
		rows, ok := groups(x, in)
		if !ok {
			rows = in.rows * 0.1
			for _, g := range x.GroupBy {
				if g.Expr.IsColumn() {
					if d, ok := in.dom[g.Expr.Col]; ok && d < rows {
						rows = math.Min(d, in.rows)
					}
				}
			}
		}
		rows = math.Max(rows, 1)
		e := &est{rows: rows * float64(max(1, len(x.GroupingSets))), dom: map[plan.ColumnID]float64{}}
		if len(x.GroupBy) == 1 && len(x.GroupingSets) == 0 {
			e.dom[x.GroupBy[0].Col.ID] = rows
		}
		for _, g := range x.GroupBy {
			if g.Expr.IsColumn() {
				if c := in.cols[g.Expr.Col]; c != nil {
					if e.cols == nil {
						e.cols = map[plan.ColumnID]*colStat{}
					}
					cc := *c
					cc.ndv = math.Min(cc.ndv, rows)
					e.cols[g.Col.ID] = &cc
				}
			}
		}
		return e
	case *plan.Sort:
		in := o.estimate(x.Input)
		if x.Limit > 0 {
			rows := math.Min(in.rows, float64(x.Limit))
			return &est{rows: rows, dom: in.dom, cols: scaleCols(in.cols, in.rows, rows)}
		}
		return in
	case *plan.Limit:
		in := o.estimate(x.Input)
		if x.Count >= 0 {
			rows := math.Min(in.rows, float64(x.Count))
			return &est{rows: rows, dom: in.dom, cols: scaleCols(in.cols, in.rows, rows)}
		}
		return in
	case *plan.Window:
		return o.estimate(x.Input)
	case *plan.AssertRows:
		in := o.estimate(x.Input)
		return &est{rows: math.Min(in.rows, float64(x.Max)), dom: in.dom, cols: in.cols}
	case *plan.Union:
		rows := 0.0
		for _, in := range x.Inputs {
			rows += o.estimate(in).rows
		}
		return &est{rows: rows}
	}
	return &est{rows: defaultRows}
}

// joinSelectivity is the fraction of pairs of l and r that satisfy on: an equality with a unique
// column matches 1/domain of the pairs; another equality 1/max(rows); the most selective
// equality counts (keys of one relation are correlated); other conditions halve.
func (o *optimizer) joinSelectivity(on []*plan.Expr, l, r, both *est) float64 {
	sel := 1.0
	eqSel := 1.0
	for _, c := range on {
		if c.Kind == plan.ExprCall && (c.Name == "eq" || c.Name == "eq_for_null") && len(c.Args) == 2 {
			d := math.Max(o.domain(c.Args[0], both), o.domain(c.Args[1], both))
			if d == 0 {
				d = math.Max(ndvOf(c.Args[0], both), ndvOf(c.Args[1], both))
			}
			if d == 0 {
				d = math.Max(math.Max(l.rows, r.rows), 1)
			}
			eqSel = math.Min(eqSel, 1/d)
			continue
		}
		sel *= 0.5
	}
	return sel * eqSel
}

// domain is the number of distinct values of e: its domain in s, bounded by its equivalence
// class's (0: unknown).
func (o *optimizer) domain(e *plan.Expr, s *est) float64 {
	e = stripCast(e)
	if !e.IsColumn() {
		return 0
	}
	d := 0.0
	if s != nil {
		d = s.domOf(e.Col)
	}
	if c, ok := o.classDom[e.Col]; ok && (d == 0 || c < d) {
		d = c
	}
	return d
}

// baseDomain is e's domain in s alone (0: unknown).
func baseDomain(e *plan.Expr, s *est) float64 {
	if e = stripCast(e); e.IsColumn() && s != nil {
		return s.domOf(e.Col)
	}
	return 0
}

// stripCast is e without a cast around it.
func stripCast(e *plan.Expr) *plan.Expr {
	if e.Kind == plan.ExprCall && e.Name == "cast" && len(e.Args) > 0 {
		return e.Args[0]
	}
	return e
}

// selectivity estimates the fraction of rows satisfying every conjunct. Range conjuncts over one
// column with statistics (a >= x AND a < y, BETWEEN) are estimated together, as the fraction of
// the column's [min, max] their intersection covers.
func selectivity(conds []*plan.Expr, in *est) float64 {
	s := 1.0
	ranges := map[plan.ColumnID]*interval{}
	var order []plan.ColumnID
	for _, c := range conds {
		for _, x := range plan.Conjuncts(c) {
			if col, lo, hi, ok := rangeOf(x, in); ok {
				iv := ranges[col]
				if iv == nil {
					iv = &interval{lo: math.Inf(-1), hi: math.Inf(1)}
					ranges[col] = iv
					order = append(order, col)
				}
				iv.lo, iv.hi = math.Max(iv.lo, lo), math.Min(iv.hi, hi)
				continue
			}
			s *= selectivity1(x, in)
		}
	}
	for _, col := range order {
		s *= in.cols[col].fraction(ranges[col].lo, ranges[col].hi)
	}
	return s
}

func selectivity1(c *plan.Expr, in *est) float64 {
	if c.Kind == plan.ExprConst {
		if c.Value.GetIsNull() || c.Value.GetInt64() == 0 {
			return 0
		}
		return 1
	}
	if c.Kind != plan.ExprCall {
		return 0.5
	}
	switch c.Name {
	case "and":
		return selectivity1(c.Args[0], in) * selectivity1(c.Args[1], in)
	case "or":
		a, b := selectivity1(c.Args[0], in), selectivity1(c.Args[1], in)
		return math.Min(1, a+b-a*b)
	case "not":
		return 1 - selectivity1(c.Args[0], in)
	case "eq", "eq_for_null":
		if c.Args[0].IsConst() || c.Args[1].IsConst() {
			d := math.Max(baseDomain(c.Args[0], in), baseDomain(c.Args[1], in))
			if d > 0 {
				return 1 / d
			}
			if d := math.Max(ndvOf(c.Args[0], in), ndvOf(c.Args[1], in)); d > 0 {
				return 1 / d
			}
			return 0.1
		}
		return 0.1
	case "ne":
		if c.Args[0].IsConst() || c.Args[1].IsConst() {
			if d := math.Max(ndvOf(c.Args[0], in), ndvOf(c.Args[1], in)); d > 1 {
				return 1 - 1/d
			}
		}
		return 0.9
	case "lt", "le", "gt", "ge":
		if col, lo, hi, ok := rangeOf(c, in); ok {
			return in.cols[col].fraction(lo, hi)
		}
		return 0.33
	case "like":
		return 0.2
	case "not_like":
		return 0.9
	case "in":
		if d := ndvOf(c.Args[0], in); d > 0 && allConst(c.Args[1:]) {
			return math.Min(1, float64(len(c.Args)-1)/d)
		}
		return math.Min(0.5, 0.1*float64(len(c.Args)-1))
	case "not_in":
		if d := ndvOf(c.Args[0], in); d > 0 && allConst(c.Args[1:]) {
			return math.Max(0, 1-float64(len(c.Args)-1)/d)
		}
		return 0.9
	case "is_null":
		if cs := colStatOf(c.Args[0], in); cs != nil {
			return cs.nulls
		}
		return 0.1
	case "is_not_null":
		if cs := colStatOf(c.Args[0], in); cs != nil {
			return 1 - cs.nulls
		}
		return 0.9
	}
	return 0.5
}
