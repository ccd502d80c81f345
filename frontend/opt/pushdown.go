package opt

import (
	"github.com/doricdb/doric/frontend/plan"
)

// push returns n with the conjuncts preds (over n's columns) applied, each as low in the tree
// as it can go: into scans, join conditions, below projections and aggregations (on grouping
// columns), into both inputs of a union. Inner joins are flattened and reordered (joins.go).
// What cannot go lower stays in a Filter above n.
func (o *optimizer) push(n plan.Node, preds []*plan.Expr) (plan.Node, error) {
	preds = o.fold(preds)
	switch x := n.(type) {
	case *plan.Filter:
		return o.push(x.Input, append(append([]*plan.Expr(nil), preds...), x.Conds...))
	case *plan.Scan:
		s := *x
		s.Filters = append(append([]*plan.Expr(nil), x.Filters...), preds...)
		return &s, nil
	case *plan.Join:
		return o.pushJoin(x, preds)
	case *plan.Project:
		m := map[plan.ColumnID]*plan.Expr{}
		for _, it := range x.Items {
			m[it.Col.ID] = it.Expr
		}
		var down, keep []*plan.Expr
		for _, p := range preds {
			if p.HasSubquery() {
				keep = append(keep, p)
				continue
			}
			down = append(down, p.Substitute(m))
		}
		in, err := o.push(x.Input, down)
		if err != nil {
			return nil, err
		}
		return filter(&plan.Project{Input: in, Items: x.Items}, keep), nil
	case *plan.Aggregate:
		groupCols := plan.ColSet{}
		m := map[plan.ColumnID]*plan.Expr{}
		if len(x.GroupingSets) == 0 {
			for _, it := range x.GroupBy {
				groupCols[it.Col.ID] = true
				m[it.Col.ID] = it.Expr
			}
		}
		var down, keep []*plan.Expr
		for _, p := range preds {
			if p.Cols(nil).SubsetOf(groupCols) && len(x.GroupBy) > 0 {
				down = append(down, p.Substitute(m))
			} else {
				keep = append(keep, p)
			}
		}
		in, err := o.push(x.Input, down)
		if err != nil {
			return nil, err
		}
		a := *x
		a.Input = in
		return filter(&a, keep), nil
	case *plan.Union:
		u := *x
		u.Inputs = make([]plan.Node, len(x.Inputs))
		for i, in := range x.Inputs {
			m := map[plan.ColumnID]*plan.Expr{}
			inCols := map[plan.ColumnID]plan.Column{}
			for _, c := range in.Columns() {
				inCols[c.ID] = c
			}
			for j, c := range x.Cols {
				ref := plan.ColRef(inCols[x.InputCols[i][j]])
				m[c.ID] = ref
			}
			var down []*plan.Expr
			for _, p := range preds {
				down = append(down, p.Substitute(m))
			}
			var err error
			if u.Inputs[i], err = o.push(in, down); err != nil {
				return nil, err
			}
		}
		return &u, nil
	case *plan.Sort:
		if x.Limit == 0 {
			in, err := o.push(x.Input, preds)
			if err != nil {
				return nil, err
			}
			s := *x
			s.Input = in
			return &s, nil
		}
	case *plan.Window:
		// A conjunct over partition columns keeps or drops whole partitions: it may go below.
		part := plan.ColSet{}
		for _, e := range x.PartitionBy {
			if e.IsColumn() {
				part[e.Col] = true
			}
		}
		var down, keep []*plan.Expr
		for _, p := range preds {
			if cs := p.Cols(nil); len(cs) > 0 && cs.SubsetOf(part) && !p.HasSubquery() {
				down = append(down, p)
			} else {
				keep = append(keep, p)
			}
		}
		in, err := o.push(x.Input, down)
		if err != nil {
			return nil, err
		}
		w := *x
		w.Input = in
		return filter(&w, keep), nil
	}
	// Sort with a limit, Limit, Values: optimise below, filter above.
	var err error
	out := mapChildren(n, func(c plan.Node) (plan.Node, error) { return o.push(c, nil) }, &err)
	if err != nil {
		return nil, err
	}
	return filter(out, preds), nil
}

func filter(n plan.Node, conds []*plan.Expr) plan.Node {
	if len(conds) == 0 {
		return n
	}
	return &plan.Filter{Input: n, Conds: conds}
}

// nullRejecting reports whether p is never TRUE when every column of cols is NULL (so an outer
// join whose inner side is cols may become an inner join under it). Comparisons, LIKE, IN and
// their conjunctions are; IS NULL, OR with a side that is not, CASE and the like are not.
func nullRejecting(p *plan.Expr, cols plan.ColSet) bool {
	if !refersTo(p, cols) {
		return false
	}
	if p.Kind != plan.ExprCall {
		return p.Kind == plan.ExprColumn
	}
	switch p.Name {
	case "eq", "ne", "lt", "le", "gt", "ge", "like", "not_like", "in", "not_in", "is_not_null":
		// Strict in their arguments: NULL in gives NULL (or FALSE) out.
		for _, a := range p.Args {
			if strictRefers(a, cols) {
				return true
			}
		}
		return false
	case "and":
		return nullRejecting(p.Args[0], cols) || nullRejecting(p.Args[1], cols)
	case "or":
		return nullRejecting(p.Args[0], cols) && nullRejecting(p.Args[1], cols)
	}
	return false
}

// strictRefers reports whether e is NULL whenever the columns of cols it refers to are NULL:
// a column, or arithmetic / casts / comparisons over one.
func strictRefers(e *plan.Expr, cols plan.ColSet) bool {
	switch e.Kind {
	case plan.ExprColumn:
		return cols[e.Col]
	case plan.ExprCall:
		switch e.Name {
		case "add", "subtract", "multiply", "divide", "negate", "cast", "substring", "year", "month", "day", "upper", "lower":
			for _, a := range e.Args {
				if strictRefers(a, cols) {
					return true
				}
			}
		}
	}
	return false
}

func (o *optimizer) pushJoin(j *plan.Join, preds []*plan.Expr) (plan.Node, error) {
	lcols, rcols := plan.SetOf(j.Left.Columns()), plan.SetOf(j.Right.Columns())
	kind := j.Kind
	// Outer-join simplification: a predicate above that rejects NULLs of the inner side.
	for _, p := range preds {
		if (kind == plan.LeftJoin || kind == plan.FullJoin) && nullRejecting(p, rcols) {
			if kind == plan.LeftJoin {
				kind = plan.InnerJoin
			} else {
				kind = plan.RightJoin
			}
		}
		if (kind == plan.RightJoin || kind == plan.FullJoin) && nullRejecting(p, lcols) {
			if kind == plan.RightJoin {
				kind = plan.InnerJoin
			} else {
				kind = plan.LeftJoin
			}
		}
	}
	if kind == plan.InnerJoin || kind == plan.CrossJoin {
		jj := *j
		jj.Kind = kind
		return o.reorder(&jj, preds)
	}
	var lp, rp, keep, on []*plan.Expr
	for _, p := range preds {
		c := p.Cols(nil)
		switch {
		case c.SubsetOf(lcols) && (kind == plan.LeftJoin || kind == plan.SemiJoin || kind == plan.AntiJoin ||
			kind == plan.NullAwareAntiJoin || kind == plan.MarkJoin):
			lp = append(lp, p)
		case c.SubsetOf(rcols) && kind == plan.RightJoin:
			rp = append(rp, p)
		default:
			keep = append(keep, p)
		}
	}
	// ON conjuncts over one side only: the inner side's filter them before the join.
	for _, c := range j.On {
		cs := c.Cols(nil)
		switch {
		case cs.SubsetOf(rcols) && (kind == plan.LeftJoin || kind == plan.SemiJoin || kind == plan.AntiJoin || kind == plan.MarkJoin):
			rp = append(rp, c)
		case cs.SubsetOf(lcols) && (kind == plan.RightJoin || kind == plan.SemiJoin):
			lp = append(lp, c)
		default:
			on = append(on, c)
		}
	}
	l, err := o.push(j.Left, lp)
	if err != nil {
		return nil, err
	}
	r, err := o.push(j.Right, rp)
	if err != nil {
		return nil, err
	}
	return filter(&plan.Join{Kind: kind, Left: l, Right: r, On: on, Mark: j.Mark, NullAware: j.NullAware}, keep), nil
}
