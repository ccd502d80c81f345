package opt

import (
	"slices"
	"strings"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/plan"
)

// splitDistinct rewrites every aggregate of n whose DISTINCT calls can be computed over
// deduplicated rows into two aggregates (Doris's DistinctAggregateRewriter "split" strategy):
//
//	Aggregate(group by G; f(DISTINCT x...), m(y))
//	  → Aggregate(group by G; f(x...), m(m_y))
//	      over Aggregate(group by G, x...; m_y = m(y))
//
// The inner aggregate has one row per distinct (G, x...) tuple — NULLs included, as a group of
// their own — so f over those rows without DISTINCT is f(DISTINCT x...) per G: COUNT skips the
// tuples with a NULL component, SUM and AVG skip NULL x. Without GROUP BY the outer aggregate
// still gives its one row over an empty input (COUNT 0, SUM NULL). Both aggregates then have
// small states, so the executor runs them in two phases in parallel instead of keeping a set
// of values per group behind a shuffle of the input rows.
//
// It applies when every call is COUNT, SUM or AVG with DISTINCT over one and the same set of
// arguments (at least one such call), or MIN, MAX or ANY_VALUE (with or without DISTINCT: they
// do not see duplicates), and there are no grouping sets (the Repeat would have to go below the
// inner aggregate) and no ORDER BY in a call. Mixes of different DISTINCT argument lists,
// GROUP_CONCAT(DISTINCT ...), non-DISTINCT COUNT/SUM/AVG beside a DISTINCT call and anything
// else stay one aggregate (with distinct sets in the executor). An aggregate whose only
// DISTINCT calls are MIN/MAX/ANY_VALUE just loses the DISTINCT. Result columns keep their ids
// and types.
func (o *optimizer) splitDistinct(n plan.Node) plan.Node {
	var err error // splitDistinct does not fail
	n = mapChildren(n, func(c plan.Node) (plan.Node, error) { return o.splitDistinct(c), nil }, &err)
	if a, ok := n.(*plan.Aggregate); ok {
		if r := o.splitAggregate(a); r != nil {
			return r
		}
	}
	return n
}

// dupInsensitive: aggregate functions whose result does not change when a row is repeated.
func dupInsensitive(name string) bool {
	return name == "min" || name == "max" || name == "any_value"
}

// argSetKey identifies the set of a call's arguments: COUNT(DISTINCT a, b) and
// COUNT(DISTINCT b, a) count the same tuples.
func argSetKey(args []*plan.Expr) string {
	keys := make([]string, len(args))
	for i, e := range args {
		keys[i] = e.Key()
	}
	slices.Sort(keys)
	return strings.Join(slices.Compact(keys), "\x00")
}

// splitAggregate is the rewrite of one aggregate (nil: it does not apply).
func (o *optimizer) splitAggregate(a *plan.Aggregate) plan.Node {
	if len(a.GroupingSets) > 0 || len(a.Aggs) == 0 {
		return nil
	}
	var dargs []*plan.Expr // the DISTINCT arguments, one per distinct key
	setKey, dupDistinct := "", false
	for _, c := range a.Aggs {
		if len(c.OrderBy) > 0 {
			return nil
		}
		switch {
		case dupInsensitive(c.Name):
			dupDistinct = dupDistinct || c.Distinct
		case c.Distinct && (c.Name == "count" || c.Name == "sum" || c.Name == "avg") && len(c.Args) > 0:
			k := argSetKey(c.Args)
			if dargs == nil {
				setKey = k
				seen := map[string]bool{}
				for _, e := range c.Args {
					if !seen[e.Key()] {
						seen[e.Key()] = true
						dargs = append(dargs, e)
					}
				}
			} else if k != setKey {
				return nil
			}
		default:
			return nil
		}
	}
	if dargs == nil {
		if !dupDistinct {
			return nil
		}
		out := *a
		out.Aggs = slices.Clone(a.Aggs)
		for i := range out.Aggs {
			out.Aggs[i].Distinct = false
		}
		return &out
	}

	inner := &plan.Aggregate{Input: a.Input}
	outer := &plan.Aggregate{Input: inner}
	keyCol := map[string]plan.Column{} // expression key → the inner aggregate's grouping column
	group := func(name string, e *plan.Expr, t types.T, nullable bool) plan.Column {
		k := e.Key()
		if c, ok := keyCol[k]; ok {
			return c
		}
		c := o.ids.New(name, t, nullable)
		inner.GroupBy = append(inner.GroupBy, plan.Item{Col: c, Expr: e})
		keyCol[k] = c
		return c
	}
	for _, g := range a.GroupBy {
		c := group(g.Col.Name, g.Expr, g.Col.Type, g.Col.Nullable)
		outer.GroupBy = append(outer.GroupBy, plan.Item{Col: g.Col, Expr: plan.ColRef(c)})
	}
	for _, e := range dargs {
		group("", e, e.Type, e.Nullable)
	}
	for _, c := range a.Aggs {
		call := plan.AggCall{Col: c.Col, Name: c.Name}
		if !dupInsensitive(c.Name) {
			for _, e := range c.Args {
				call.Args = append(call.Args, plan.ColRef(keyCol[e.Key()]))
			}
			outer.Aggs = append(outer.Aggs, call)
			continue
		}
		if g, ok := oneKey(keyCol, c.Args); ok {
			call.Args = []*plan.Expr{plan.ColRef(g)}
		} else {
			// Per (G, x...) group first, then over those groups.
			ic := o.ids.New(c.Col.Name, c.Col.Type, c.Col.Nullable)
			inner.Aggs = append(inner.Aggs, plan.AggCall{Col: ic, Name: c.Name, Args: c.Args})
			call.Args = []*plan.Expr{plan.ColRef(ic)}
		}
		outer.Aggs = append(outer.Aggs, call)
	}
	return outer
}

// oneKey is the inner grouping column of a call's only argument, when it is one.
func oneKey(keyCol map[string]plan.Column, args []*plan.Expr) (plan.Column, bool) {
	if len(args) != 1 {
		return plan.Column{}, false
	}
	c, ok := keyCol[args[0].Key()]
	return c, ok
}
