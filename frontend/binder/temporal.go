package binder

import (
	"strconv"
	"time"

	"github.com/doricdb/doric/compute/function"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
)

// bindInterval binds d ± INTERVAL n unit (also DATE_ADD / DATE_SUB / ADDDATE / SUBDATE with an
// INTERVAL argument) as <unit>s_add(d, n) / <unit>s_sub(d, n).
func (s *scope) bindInterval(pos ast.Pos, d ast.Expr, iv *ast.IntervalExpr, subtract bool, ctx exprCtx) (*expr, error) {
	name, ok := function.IntervalFunction(iv.Unit, subtract)
	if !ok {
		return nil, errorf(ErrNotSupported, iv.Pos, "INTERVAL unit %s is not supported", iv.Unit)
	}
	x, err := s.bind(d, ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.bind(iv.Value, ctx)
	if err != nil {
		return nil, err
	}
	return s.call(pos, name, x, n)
}

// foldNow replaces now([n]), current_date() and unix_timestamp() by the statement's time (one
// value per statement, as Doris): now() and current_date() as a local time in the session's time
// zone, unix_timestamp() as the instant. Outside a query block (no statement time) the call stays.
func (s *scope) foldNow(e *expr) (*expr, error) {
	if s.qb == nil || e.kind != eCall || s.qb.now.IsZero() {
		return e, nil
	}
	loc := s.qb.loc
	if loc == nil {
		loc = time.UTC
	}
	now := s.qb.now.In(loc)
	switch {
	case e.name == "now" && e.typ.Kind == types.DateTime:
		unit := time.Microsecond
		for i := e.typ.Scale; i < types.MaxDateTimeScale; i++ {
			unit *= 10
		}
		now = now.Truncate(unit)
		v, err := convertText(types.New(types.String), now.Format("2006-01-02 15:04:05.000000"), e.typ)
		if err != nil {
			return nil, err
		}
		return litExpr(v, e.pos), nil
	case e.name == "current_date" && e.typ.Kind == types.Date:
		v, err := convertText(types.New(types.String), now.Format("2006-01-02"), e.typ)
		if err != nil {
			return nil, err
		}
		return litExpr(v, e.pos), nil
	case e.name == "unix_timestamp" && len(e.args) == 0:
		v, err := convertText(types.New(types.String), strconv.FormatInt(now.Unix(), 10), e.typ)
		if err != nil {
			return nil, err
		}
		return litExpr(v, e.pos), nil
	}
	return e, nil
}
