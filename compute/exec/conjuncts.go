package exec

import (
	"slices"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
)

// orderConjuncts returns a scan's conjuncts in the order they are best evaluated (by the scan,
// and by the tablet scanners it hands them to for late materialization): each one
// narrows the rows the next sees, so the cheap ones go first (comparisons of numbers and dates
// before string comparisons, IN lists and LIKE). Only conjuncts that cannot fail move (column
// references, literals, comparisons, IN, NULL tests, LIKE and the logical operators over them);
// the others keep their order after them. AND has no evaluation order in SQL, and Doris's
// planner reorders predicates likewise.
func orderConjuncts(es []*planpb.Expr) []*planpb.Expr {
	type ranked struct {
		e    *planpb.Expr
		cost int
	}
	rs := make([]ranked, len(es))
	for i, e := range es {
		c, safe := conjunctCost(e)
		if !safe {
			c = 1 << 30 // after every safe one, in their order
		}
		rs[i] = ranked{e, c}
	}
	slices.SortStableFunc(rs, func(a, b ranked) int { return a.cost - b.cost })
	out := make([]*planpb.Expr, len(es))
	for i, r := range rs {
		out[i] = r.e
	}
	return out
}

// conjunctCost is a rough per-row cost of evaluating e, and whether e cannot fail.
func conjunctCost(e *planpb.Expr) (int, bool) {
	switch k := e.Kind.(type) {
	case *planpb.Expr_Column, *planpb.Expr_Literal:
		return 0, true
	case *planpb.Expr_Call:
		var cost int
		switch k.Call.GetName() {
		case "eq", "ne", "lt", "le", "gt", "ge", "eq_for_null":
			cost = 1
		case "in", "not_in":
			cost = 2 + len(k.Call.GetArgs())/4
		case "is_null", "is_not_null", "and", "or", "not":
			cost = 1
		case "like", "not_like":
			cost = 16
		default:
			return 0, false
		}
		for _, a := range k.Call.GetArgs() {
			c, safe := conjunctCost(a)
			if !safe {
				return 0, false
			}
			cost += c
			if types.FromProto(a.GetType()).IsString() {
				cost += 3 // bytes compared or hashed, not words
			}
		}
		return cost, true
	}
	return 0, false
}
