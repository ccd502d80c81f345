package binder

import (
	"strconv"
	"strings"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/plan"
)

// bindGrouping binds GROUPING(e) and GROUPING_ID(e, ...): evaluated over the grouping id of a
// query with ROLLUP / CUBE / GROUPING SETS (see groupingValue).
func (s *scope) bindGrouping(f *ast.FuncCall, name string, ctx exprCtx) (*expr, error) {
	switch {
	case ctx.inAgg:
		return nil, errorf(ErrInvalidGroupFunc, f.Pos, "%s cannot be used inside an aggregate function", ast.Format(f))
	case !ctx.aggOK:
		return nil, errorf(ErrInvalidGroupFunc, f.Pos, "%s is not allowed in %s", ast.Format(f), ctx.clause)
	case f.Star || f.Distinct || len(f.Args) == 0 || f.Over != nil:
		return nil, errorf(ErrWrongType, f.Pos, "%s takes one or more GROUP BY expressions", ast.Format(f))
	case name == "grouping" && len(f.Args) != 1:
		return nil, errorf(ErrWrongType, f.Pos, "GROUPING takes one argument; use GROUPING_ID for several")
	}
	inner := ctx
	inner.aggOK, inner.winOK = false, false
	args, err := s.bindAll(f.Args, inner)
	if err != nil {
		return nil, err
	}
	return &expr{kind: eGrouping, typ: types.New(types.BigInt), pos: f.Pos, name: name, args: args}, nil
}

// groupingValue computes GROUPING / GROUPING_ID from the aggregate's grouping id column. The
// grouping id has one bit per GROUP BY expression (the first the most significant), set when the
// expression is not in the row's grouping set; GROUPING(e) is e's bit, GROUPING_ID(e1, ..., en)
// the bits of e1..en in that order (e1 the most significant), as Doris and MySQL.
func (qb *queryBinder) groupingValue(s *scope, e *expr, groups []*expr, agg *plan.Aggregate) (*expr, error) {
	if len(agg.GroupingSets) == 0 {
		return nil, errorf(ErrInvalidGroupFunc, e.pos, "%s must be used with GROUPING SETS, ROLLUP or CUBE", strings.ToUpper(e.name))
	}
	lit := func(n int64) *expr {
		return litExpr(value{typ: types.New(types.BigInt), i64: n, text: strconv.FormatInt(n, 10)}, e.pos)
	}
	gid := qb.colExpr(agg.GroupingID, e.pos)
	var out *expr
	for j, a := range e.args {
		idx := -1
		for i, g := range groups {
			if g.key() == a.key() {
				idx = i
			}
		}
		if idx < 0 {
			return nil, errorf(ErrInvalidGroupFunc, a.pos, "the argument of %s must be a GROUP BY expression", strings.ToUpper(e.name))
		}
		shift := int64(1) << (len(groups) - 1 - idx)
		bit, err := s.call(e.pos, "int_divide", gid, lit(shift))
		if err != nil {
			return nil, err
		}
		if bit, err = s.call(e.pos, "mod", bit, lit(2)); err != nil {
			return nil, err
		}
		if w := int64(1) << (len(e.args) - 1 - j); w > 1 {
			if bit, err = s.call(e.pos, "multiply", bit, lit(w)); err != nil {
				return nil, err
			}
		}
		if out == nil {
			out = bit
		} else if out, err = s.call(e.pos, "add", out, bit); err != nil {
			return nil, err
		}
	}
	return out, nil
}
