package expr

import "github.com/doricdb/doric/compute/types"

// simplifyCompared rewrites the sides of a comparison without changing its result (comparisons
// of exact numbers are exact whatever the types): a cast that only widens a 64-bit DECIMAL is
// dropped, and a DECIMAL literal the other side's 64-bit DECIMAL type holds exactly is converted
// to that type. q19's cast(l_quantity AS DECIMAL(21,2)) <= 11.00 so compares int64s at one scale
// (and selects in one typed loop) instead of widening every value to 128 bits.
func simplifyCompared(a, b node) (node, node) {
	a, b = dropWidening(a), dropWidening(b)
	if l, ok := b.(*literal); ok {
		b = literalAs(l, a.typ())
	} else if l, ok := a.(*literal); ok {
		a = literalAs(l, b.typ())
	}
	return a, b
}

// dropWidening returns the argument of a cast from a 64-bit DECIMAL to a DECIMAL that holds every
// value of it exactly (no rounding, no overflow); otherwise n.
func dropWidening(n node) node {
	c, ok := n.(*cast)
	if !ok {
		return n
	}
	from, to := c.arg.typ(), c.t
	if from.Kind == types.Decimal && from.Physical() == types.PhysInt64 && to.Kind == types.Decimal &&
		to.Scale >= from.Scale && from.Precision-from.Scale+to.Scale <= to.Precision {
		return c.arg
	}
	return n
}

// literalAs returns the non-NULL DECIMAL literal l as a literal of the 64-bit DECIMAL type t when
// its value is exactly a value of t; otherwise l.
func literalAs(l *literal, t types.T) node {
	lt := l.t
	if l.null || lt.Kind != types.Decimal || t.Kind != types.Decimal || t.Physical() != types.PhysInt64 ||
		lt == t || lt.Scale > t.Scale || t.Scale-lt.Scale > 18 {
		return l
	}
	x := types.I128(l.i64)
	if lt.Physical() == types.PhysInt128 {
		x = l.i128
	}
	r, ok := x.Mul(types.I128(pow10i64[t.Scale-lt.Scale]))
	if !ok || !fitsPrecision(r, t.Precision) {
		return l
	}
	return &literal{t: t, i64: r.Int64()}
}
