package tablet

import (
	"bytes"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/types"
)

// ColumnPredicate is a condition on one stored column that a scan may use to skip rows through a
// segment's indexes (zone maps, short keys, bloom filters): rows it rules out are certainly not
// wanted; rows it keeps still go through the query's exact filter.
type ColumnPredicate struct {
	UniqueID int32
	Op       segment.Op
	Values   []segment.Value // in the column's physical representation
}

// Pushdown derives column predicates from a scan's conjuncts (planpb expressions over the scan's
// output columns, whose unique ids are ids): comparisons of a column with a constant (either
// side), IN lists of constants, IS [NOT] NULL. A column may appear under a cast that keeps its
// values and order (an integer widened, a DECIMAL to a DECIMAL of the same scale, VARCHAR to
// STRING). The arguments of an AND count as conjuncts (the executor hands a column's two range
// bounds over as one AND). Conjuncts of any other shape are left to the exact filter.
func Pushdown(conjuncts []*planpb.Expr, ids []int32, schema *commonpb.TabletSchema) []ColumnPredicate {
	byID := map[int32]types.T{}
	for _, c := range schema.GetColumns() {
		byID[c.GetUniqueId()] = types.FromProto(c.GetType())
	}
	col := func(e *planpb.Expr) (int32, types.T, bool) {
		for {
			if c := e.GetCall(); c != nil && c.GetName() == "cast" && len(c.GetArgs()) >= 1 {
				inner := c.GetArgs()[0]
				if !sameOrder(types.FromProto(inner.GetType()), types.FromProto(e.GetType())) {
					return 0, types.T{}, false
				}
				e = inner
				continue
			}
			break
		}
		r := e.GetColumn()
		if r == nil || int(r.GetIndex()) >= len(ids) || r.GetIndex() < 0 {
			return 0, types.T{}, false
		}
		id := ids[r.GetIndex()]
		t, ok := byID[id]
		return id, t, ok
	}
	ops := map[string]segment.Op{"eq": segment.OpEq, "lt": segment.OpLt, "le": segment.OpLe, "gt": segment.OpGt, "ge": segment.OpGe}
	flip := map[segment.Op]segment.Op{segment.OpEq: segment.OpEq, segment.OpLt: segment.OpGt, segment.OpLe: segment.OpGe, segment.OpGt: segment.OpLt, segment.OpGe: segment.OpLe}
	var out []ColumnPredicate
	for _, e := range splitAnd(conjuncts, nil) {
		c := e.GetCall()
		if c == nil {
			continue
		}
		args := c.GetArgs()
		switch name := c.GetName(); name {
		case "eq", "lt", "le", "gt", "ge":
			if len(args) != 2 {
				continue
			}
			op := ops[name]
			colE, litE := args[0], args[1]
			if litE.GetLiteral() == nil {
				colE, litE, op = args[1], args[0], flip[op]
			}
			id, t, ok := col(colE)
			if !ok {
				continue
			}
			v, ok := valueOf(litE, t)
			if !ok {
				continue
			}
			out = append(out, ColumnPredicate{UniqueID: id, Op: op, Values: []segment.Value{v}})
		case "in":
			if len(args) < 2 {
				continue
			}
			id, t, ok := col(args[0])
			if !ok {
				continue
			}
			var vals []segment.Value
			for _, a := range args[1:] {
				v, ok := valueOf(a, t)
				if !ok {
					vals = nil
					break
				}
				vals = append(vals, v)
			}
			if vals != nil {
				out = append(out, ColumnPredicate{UniqueID: id, Op: segment.OpIn, Values: vals})
			}
		case "is_null", "is_not_null":
			if len(args) != 1 {
				continue
			}
			if id, _, ok := col(args[0]); ok {
				op := segment.OpIsNull
				if name == "is_not_null" {
					op = segment.OpNotNull
				}
				out = append(out, ColumnPredicate{UniqueID: id, Op: op})
			}
		}
	}
	return out
}

// sameOrder reports whether casting a value of type from to type to keeps its stored value (so
// a predicate on the cast is one on the column).
func sameOrder(from, to types.T) bool {
	switch {
	case from.IsInteger() && to.IsInteger():
		return true
	case from.Kind == types.Decimal && to.Kind == types.Decimal:
		return from.Scale == to.Scale
	case from.IsString() && to.IsString():
		return from.Kind != types.Char && to.Kind != types.Char
	case from.Kind == to.Kind && from.Kind == types.Date:
		return true
	}
	return false
}

// valueOf is a non-NULL literal as a value of column type t, when it is exactly representable.
func valueOf(e *planpb.Expr, t types.T) (segment.Value, bool) {
	l := e.GetLiteral()
	if l == nil || l.GetIsNull() {
		return segment.Value{}, false
	}
	lt := types.FromProto(e.GetType())
	switch {
	case lt.Kind == types.Decimal && t.Kind == types.Decimal && lt.Scale != t.Scale,
		lt.Kind == types.DateTime && t.Kind == types.DateTime && lt.Scale != t.Scale,
		lt.Kind == types.Date != (t.Kind == types.Date),
		lt.Kind == types.DateTime != (t.Kind == types.DateTime):
		return segment.Value{}, false
	}
	var i128 types.Int128
	switch lt.Physical() {
	case types.PhysInt64:
		i128 = types.I128(l.GetInt64())
	case types.PhysInt128:
		i128 = types.Int128{Hi: int64(l.GetHi()), Lo: l.GetLo()}
	case types.PhysFloat64:
		if t.Physical() != types.PhysFloat64 {
			return segment.Value{}, false
		}
		return segment.Value{Float64: l.GetDouble()}, true
	case types.PhysBytes:
		if !t.IsString() || t.Kind == types.Char {
			return segment.Value{}, false
		}
		return segment.Value{Bytes: bytes.Clone(l.GetBytes())}, true
	}
	switch t.Physical() {
	case types.PhysInt64:
		if !i128.IsInt64() {
			return segment.Value{}, false
		}
		return segment.Value{Int64: i128.Int64()}, true
	case types.PhysInt128:
		return segment.Value{Int128: i128}, true
	}
	return segment.Value{}, false
}

// splitAnd appends the conjuncts of es to out, with ANDs split into their arguments.
func splitAnd(es []*planpb.Expr, out []*planpb.Expr) []*planpb.Expr {
	for _, e := range es {
		if c := e.GetCall(); c != nil && c.GetName() == "and" {
			out = splitAnd(c.GetArgs(), out)
			continue
		}
		out = append(out, e)
	}
	return out
}
