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
// planner reorders predicates likewise. A lower and an upper bound of one column become one
// AND of the two first (fuseRanges), which compute/expr selects in one pass.
func orderConjuncts(es []*planpb.Expr) []*planpb.Expr {
	es = fuseRanges(es)
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

// fuseRanges pairs, per column, the first comparison bounding it from below with a constant and
// the first bounding it from above into one conjunct AND(lower, upper), in the place of the
// first of the two; the rest stay as they are.
func fuseRanges(es []*planpb.Expr) []*planpb.Expr {
	type bounds struct{ lower, upper int }
	byCol := map[int32]*bounds{}
	for i, e := range es {
		col, lower, ok := colBound(e)
		if !ok {
			continue
		}
		b := byCol[col]
		if b == nil {
			b = &bounds{-1, -1}
			byCol[col] = b
		}
		if lower && b.lower < 0 {
			b.lower = i
		} else if !lower && b.upper < 0 {
			b.upper = i
		}
	}
	fused := map[int]*planpb.Expr{} // at the first index of a pair
	gone := map[int]bool{}          // the second
	for _, b := range byCol {
		if b.lower < 0 || b.upper < 0 {
			continue
		}
		lo, hi := es[b.lower], es[b.upper]
		first, second := min(b.lower, b.upper), max(b.lower, b.upper)
		fused[first] = &planpb.Expr{Type: lo.GetType(), Nullable: lo.GetNullable() || hi.GetNullable(),
			Kind: &planpb.Expr_Call{Call: &planpb.Call{Name: "and", Args: []*planpb.Expr{lo, hi}}}}
		gone[second] = true
	}
	if len(fused) == 0 {
		return es
	}
	out := make([]*planpb.Expr, 0, len(es)-len(gone))
	for i, e := range es {
		switch {
		case gone[i]:
		case fused[i] != nil:
			out = append(out, fused[i])
		default:
			out = append(out, e)
		}
	}
	return out
}

// colBound recognises `column op literal` / `literal op column` with op one of <, <=, >, >= and a
// non-NULL literal: the column's index and whether the literal bounds it from below.
func colBound(e *planpb.Expr) (col int32, lower, ok bool) {
	c := e.GetCall()
	if c == nil || len(c.GetArgs()) != 2 {
		return 0, false, false
	}
	switch c.GetName() {
	case "gt", "ge":
		lower = true
	case "lt", "le":
	default:
		return 0, false, false
	}
	a, b := c.GetArgs()[0], c.GetArgs()[1]
	if a.GetColumn() == nil { // literal op column: the bound's direction flips
		a, b, lower = b, a, !lower
	}
	if a.GetColumn() == nil || b.GetLiteral() == nil || b.GetLiteral().GetIsNull() {
		return 0, false, false
	}
	return a.GetColumn().GetIndex(), lower, true
}
