package opt

import (
	"fmt"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/plan"
)

// ErrUnsupported classifies plans the optimizer cannot compile yet (a correlated subquery of a
// shape it cannot decorrelate, ...).
var ErrUnsupported = fmt.Errorf("not supported")

func unsupported(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, a...))
}

// decorrelate removes every subquery expression from the plan, replacing it by a join:
//   - a conjunct EXISTS(q) / NOT EXISTS(q) → a semi / anti join with q, whose correlated
//     conjuncts become the join condition;
//   - x IN (q) / NOT x IN (q) → a semi / null-aware anti join on x = q's column;
//   - a scalar subquery → a join with its (single-row) result: uncorrelated, a cross join with
//     it (left join when it is not provably one row); correlated with equalities below an
//     aggregate, a left join with the aggregate grouped by the correlated columns;
//   - EXISTS / IN anywhere else (under OR, in a projection) → a mark join, whose mark column
//     replaces the subquery.
func (o *optimizer) decorrelate(n plan.Node) (plan.Node, error) {
	var err error
	switch x := n.(type) {
	case *plan.Filter:
		in, err := o.decorrelate(x.Input)
		if err != nil {
			return nil, err
		}
		var conds []*plan.Expr
		for _, c := range x.Conds {
			if !c.HasSubquery() {
				conds = append(conds, c)
				continue
			}
			not := false
			s := c
			if s.Kind == plan.ExprCall && s.Name == "not" && s.Args[0].Kind == plan.ExprSubquery {
				not, s = true, s.Args[0]
			}
			if s.Kind == plan.ExprSubquery && s.Sub.Kind != plan.SubScalar && !s.Sub.Cond.HasSubquery() {
				kind := plan.SemiJoin
				switch {
				case not && s.Sub.Kind == plan.SubIn:
					kind = plan.NullAwareAntiJoin
				case not:
					kind = plan.AntiJoin
				}
				if in, err = o.joinSubquery(in, s.Sub, kind); err != nil {
					return nil, err
				}
				continue
			}
			var e *plan.Expr
			if in, e, err = o.replaceSubqueries(in, c); err != nil {
				return nil, err
			}
			conds = append(conds, e)
		}
		if len(conds) == 0 {
			return in, nil
		}
		return &plan.Filter{Input: in, Conds: conds}, nil
	case *plan.Project:
		in, err := o.decorrelate(x.Input)
		if err != nil {
			return nil, err
		}
		p := &plan.Project{Items: make([]plan.Item, len(x.Items))}
		for i, it := range x.Items {
			p.Items[i] = it
			if it.Expr.HasSubquery() {
				if in, p.Items[i].Expr, err = o.replaceSubqueries(in, it.Expr); err != nil {
					return nil, err
				}
			}
		}
		p.Input = in
		return p, nil
	}
	hasSub := false
	plan.Exprs(n, func(e *plan.Expr) { hasSub = hasSub || e.HasSubquery() })
	if hasSub {
		return nil, unsupported("subqueries in this clause")
	}
	return mapChildren(n, func(c plan.Node) (plan.Node, error) { return o.decorrelate(c) }, &err), err
}

// mapChildren returns n with its children replaced by f's results (a shallow copy).
func mapChildren(n plan.Node, f func(plan.Node) (plan.Node, error), errp *error) plan.Node {
	do := func(c plan.Node) plan.Node {
		if *errp != nil {
			return c
		}
		r, err := f(c)
		if err != nil {
			*errp = err
			return c
		}
		return r
	}
	switch x := n.(type) {
	case *plan.Filter:
		c := *x
		c.Input = do(x.Input)
		return &c
	case *plan.Project:
		c := *x
		c.Input = do(x.Input)
		return &c
	case *plan.Join:
		c := *x
		c.Left, c.Right = do(x.Left), do(x.Right)
		return &c
	case *plan.Aggregate:
		c := *x
		c.Input = do(x.Input)
		return &c
	case *plan.Window:
		c := *x
		c.Input = do(x.Input)
		return &c
	case *plan.AssertRows:
		c := *x
		c.Input = do(x.Input)
		return &c
	case *plan.Sort:
		c := *x
		c.Input = do(x.Input)
		return &c
	case *plan.Limit:
		c := *x
		c.Input = do(x.Input)
		return &c
	case *plan.Union:
		c := *x
		c.Inputs = make([]plan.Node, len(x.Inputs))
		for i, in := range x.Inputs {
			c.Inputs[i] = do(in)
		}
		return &c
	}
	return n
}

// replaceSubqueries replaces each subquery in e by a column of a join added over in.
func (o *optimizer) replaceSubqueries(in plan.Node, e *plan.Expr) (plan.Node, *plan.Expr, error) {
	var err error
	out := e.Replace(func(x *plan.Expr) *plan.Expr {
		if x.Kind != plan.ExprSubquery || err != nil {
			return nil
		}
		var v *plan.Expr
		if x.Sub.Kind == plan.SubScalar {
			in, v, err = o.scalarSubquery(in, x.Sub)
		} else {
			in, v, err = o.markSubquery(in, x.Sub)
		}
		if err != nil {
			return x
		}
		return v
	})
	return in, out, err
}

// body decorrelates a subquery's plan and pulls its correlated conjuncts out of it.
func (o *optimizer) body(sub *plan.Subquery, outer plan.ColSet, scalar bool) (plan.Node, []*plan.Expr, error) {
	p, err := o.decorrelate(sub.Plan)
	if err != nil {
		return nil, nil, err
	}
	if sub.Kind == plan.SubExists {
		p = stripForExists(p)
	}
	p, corr, err := pull(p, outer)
	if err != nil {
		return nil, nil, err
	}
	if plan.OuterCols(p).Intersects(outer) {
		return nil, nil, unsupported("a correlated subquery of this shape")
	}
	return p, corr, nil
}

// stripForExists drops what does not change whether a query has rows: the projection, sorts
// and limits with a count.
func stripForExists(n plan.Node) plan.Node {
	for {
		switch x := n.(type) {
		case *plan.Project:
			n = x.Input
		case *plan.Sort:
			n = x.Input
		case *plan.Limit:
			if x.Offset != 0 || x.Count == 0 {
				return n
			}
			n = x.Input
		default:
			return n
		}
	}
}

func refersTo(e *plan.Expr, cols plan.ColSet) bool { return e.Cols(nil).Intersects(cols) }

// pull removes the conjuncts that refer to outer columns from filters and inner joins of n and
// returns them; projections above them pass the inner columns those conjuncts use.
func pull(n plan.Node, outer plan.ColSet) (plan.Node, []*plan.Expr, error) {
	switch x := n.(type) {
	case *plan.Filter:
		in, corr, err := pull(x.Input, outer)
		if err != nil {
			return nil, nil, err
		}
		var keep []*plan.Expr
		for _, c := range x.Conds {
			if refersTo(c, outer) {
				corr = append(corr, c)
			} else {
				keep = append(keep, c)
			}
		}
		if len(keep) == 0 {
			return in, corr, nil
		}
		return &plan.Filter{Input: in, Conds: keep}, corr, nil
	case *plan.Join:
		if x.Kind != plan.InnerJoin && x.Kind != plan.CrossJoin {
			l, corr, err := pull(x.Left, outer)
			if err != nil {
				return nil, nil, err
			}
			j := *x
			j.Left = l
			return &j, corr, nil
		}
		l, lc, err := pull(x.Left, outer)
		if err != nil {
			return nil, nil, err
		}
		r, rc, err := pull(x.Right, outer)
		if err != nil {
			return nil, nil, err
		}
		j := *x
		j.Left, j.Right, j.On = l, r, nil
		corr := append(lc, rc...)
		for _, c := range x.On {
			if refersTo(c, outer) {
				corr = append(corr, c)
			} else {
				j.On = append(j.On, c)
			}
		}
		return &j, corr, nil
	case *plan.Project:
		in, corr, err := pull(x.Input, outer)
		if err != nil {
			return nil, nil, err
		}
		p := &plan.Project{Input: in, Items: x.Items}
		if len(corr) > 0 {
			have := plan.SetOf(p.Columns())
			inCols := map[plan.ColumnID]plan.Column{}
			for _, c := range in.Columns() {
				inCols[c.ID] = c
			}
			p.Items = append([]plan.Item(nil), x.Items...)
			for _, c := range corr {
				for id := range c.Cols(nil) {
					if outer[id] || have[id] {
						continue
					}
					col, ok := inCols[id]
					if !ok {
						return nil, nil, unsupported("a correlated subquery of this shape")
					}
					have[id] = true
					p.Items = append(p.Items, plan.Item{Col: col, Expr: plan.ColRef(col)})
				}
			}
		}
		return p, corr, nil
	case *plan.Sort:
		in, corr, err := pull(x.Input, outer)
		if err != nil {
			return nil, nil, err
		}
		if len(corr) > 0 && x.Limit > 0 {
			return nil, nil, unsupported("LIMIT in a correlated subquery")
		}
		s := *x
		s.Input = in
		return &s, corr, nil
	}
	return n, nil, nil
}

// joinSubquery joins in with an EXISTS or IN subquery.
func (o *optimizer) joinSubquery(in plan.Node, sub *plan.Subquery, kind plan.JoinKind) (plan.Node, error) {
	outer := plan.SetOf(in.Columns())
	body, corr, err := o.body(sub, outer, false)
	if err != nil {
		return nil, err
	}
	on := corr
	if sub.Kind == plan.SubIn {
		on = append([]*plan.Expr{sub.Cond}, corr...)
	}
	return &plan.Join{Kind: kind, Left: in, Right: body, On: on}, nil
}

// markSubquery joins in with an EXISTS or IN subquery by a mark join and returns the mark.
func (o *optimizer) markSubquery(in plan.Node, sub *plan.Subquery) (plan.Node, *plan.Expr, error) {
	outer := plan.SetOf(in.Columns())
	body, corr, err := o.body(sub, outer, false)
	if err != nil {
		return nil, nil, err
	}
	j := &plan.Join{Kind: plan.MarkJoin, Left: in, Right: body, On: corr}
	if sub.Kind == plan.SubIn {
		j.On = append([]*plan.Expr{sub.Cond}, corr...)
		j.NullAware = true
	}
	j.Mark = o.ids.New("mark", types.New(types.Boolean), j.NullAware)
	return j, plan.ColRef(j.Mark), nil
}

// scalarSubquery joins in with a scalar subquery and returns the expression of its value.
func (o *optimizer) scalarSubquery(in plan.Node, sub *plan.Subquery) (plan.Node, *plan.Expr, error) {
	outer := plan.SetOf(in.Columns())
	p, err := o.decorrelate(sub.Plan)
	if err != nil {
		return nil, nil, err
	}
	var valueCol plan.Column
	for _, c := range p.Columns() {
		if c.ID == sub.Col {
			valueCol = c
		}
	}
	valueCol.Nullable = true
	if !plan.OuterCols(p).Intersects(outer) {
		// One row: a cross join. Otherwise a left join (no row: NULL) with a right side that
		// fails the query when it has more than one row.
		if oneRow(p) {
			return &plan.Join{Kind: plan.CrossJoin, Left: in, Right: p}, plan.ColRef(valueCol), nil
		}
		right := &plan.AssertRows{Input: p, Max: 1, Desc: sub.Text}
		return &plan.Join{Kind: plan.LeftJoin, Left: in, Right: right}, plan.ColRef(valueCol), nil
	}
	// Correlated: Project(value) over Aggregate(no GROUP BY) over a body with correlated
	// equalities.
	proj, ok := p.(*plan.Project)
	if !ok || len(proj.Items) != 1 {
		return nil, nil, unsupported("a correlated scalar subquery that is not an aggregate")
	}
	agg, ok := proj.Input.(*plan.Aggregate)
	if !ok || len(agg.GroupBy) > 0 || len(agg.GroupingSets) > 0 {
		return nil, nil, unsupported("a correlated scalar subquery that is not an aggregate")
	}
	body, corr, err := pull(agg.Input, outer)
	if err != nil {
		return nil, nil, err
	}
	if plan.OuterCols(body).Intersects(outer) {
		return nil, nil, unsupported("a correlated subquery of this shape")
	}
	nagg := &plan.Aggregate{Input: body, Aggs: agg.Aggs}
	var on []*plan.Expr
	for _, c := range corr {
		if c.Kind != plan.ExprCall || c.Name != "eq" || len(c.Args) != 2 {
			return nil, nil, unsupported("a correlated scalar subquery with a non-equality correlation")
		}
		a, b := c.Args[0], c.Args[1]
		if refersTo(a, outer) {
			a, b = b, a
		}
		if refersTo(a, outer) || !b.Cols(nil).SubsetOf(outer) {
			return nil, nil, unsupported("a correlated scalar subquery with a non-equality correlation")
		}
		var g plan.Column
		if a.IsColumn() {
			g = plan.Column{ID: a.Col, Type: a.Type, Nullable: a.Nullable}
		} else {
			g = o.ids.New("", a.Type, a.Nullable)
		}
		nagg.GroupBy = append(nagg.GroupBy, plan.Item{Col: g, Expr: a})
		on = append(on, plan.Call("eq", c.Type, c.Nullable, b, plan.ColRef(g)))
	}
	// COUNT of no rows is 0, not the NULL the outer join gives.
	fix := map[plan.ColumnID]*plan.Expr{}
	for _, a := range agg.Aggs {
		if a.Name == "count" {
			ref := plan.ColRef(a.Col)
			ref.Nullable = true
			zero := &plan.Expr{Kind: plan.ExprConst, Type: a.Col.Type, Value: &planpb.Literal{}, Text: "0"}
			fix[a.Col.ID] = plan.Call("ifnull", a.Col.Type, false, ref, zero)
		}
	}
	value := proj.Items[0].Expr.Substitute(fix)
	value = nullableRefs(value, plan.SetOf(nagg.Columns()))
	return &plan.Join{Kind: plan.LeftJoin, Left: in, Right: nagg, On: on}, value, nil
}

// nullableRefs marks references to cols as nullable (they come from an outer join's inner side).
func nullableRefs(e *plan.Expr, cols plan.ColSet) *plan.Expr {
	return e.Replace(func(x *plan.Expr) *plan.Expr {
		if x.Kind == plan.ExprColumn && cols[x.Col] && !x.Nullable {
			c := *x
			c.Nullable = true
			return &c
		}
		return nil
	})
}

// oneRow reports whether a plan produces exactly one row (an aggregate without GROUP BY under
// projections).
func oneRow(n plan.Node) bool {
	for {
		switch x := n.(type) {
		case *plan.Project:
			n = x.Input
		case *plan.Aggregate:
			return len(x.GroupBy) == 0 && len(x.GroupingSets) == 0
		case *plan.Values:
			return x.Rows.GetNumRows() == 1
		default:
			return false
		}
	}
}
