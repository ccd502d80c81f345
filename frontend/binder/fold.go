package binder

import (
	"github.com/doricdb/doric/api/planpb"
	cexpr "github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// unfoldable are the functions whose value is not a function of their arguments alone (they
// read the query's time or time zone): never evaluated at bind time.
var unfoldable = map[string]bool{"now": true, "current_date": true, "unix_timestamp": true, "from_unixtime": true}

// fold evaluates a call whose arguments are all literals (1 + 10, 0.06 - 0.01, DATE '2024-01-01'
// + INTERVAL 1 DAY) with compute/expr — the evaluator the compute nodes run — and returns the
// literal it gives. A call that fails to evaluate (overflow, a bad value) is left for run time,
// where it raises its error.
func fold(e *expr) *expr {
	if e.kind != eCall || unfoldable[e.name] || len(e.args) == 0 {
		return e
	}
	for _, a := range e.args {
		if a.kind != eLit {
			return e
		}
	}
	pe, err := toPlan(e, nil, func(*expr) error { return errNotConst })
	if err != nil {
		return e
	}
	v, ok := evalConst(pe, e.typ)
	if !ok {
		return e
	}
	if v.null {
		return litExpr(nullValue(e.typ), e.pos)
	}
	// The canonical text is what CAST(v AS STRING) gives.
	text := v.text
	if !e.typ.IsString() {
		ce := &planpb.Expr{Type: types.New(types.String).Proto(), Nullable: true,
			Kind: &planpb.Expr_Call{Call: &planpb.Call{Name: "cast", Args: []*planpb.Expr{pe}}}}
		tv, ok := evalConst(ce, types.New(types.String))
		if !ok || tv.null {
			return e
		}
		text = tv.text
	}
	v.text = text
	out := litExpr(v, e.pos)
	out.nullable = false
	return out
}

var errNotConst = &Error{Code: ErrWrongType, Msg: "not a constant"}

// evalConst evaluates a constant plan expression of type t into a value (text set for strings).
func evalConst(pe *planpb.Expr, t types.T) (value, bool) {
	c, err := cexpr.Compile(pe, nil)
	if err != nil || c.Type() != t && !(c.Type().IsString() && t.IsString()) {
		return value{}, false
	}
	vec, err := c.Eval(vector.NewBatch(nil, 1))
	if err != nil || vec == nil {
		return value{}, false
	}
	if vec.IsNull(0) {
		return value{typ: t, null: true, text: "NULL"}, true
	}
	v := value{typ: t}
	switch t.Physical() {
	case types.PhysInt128:
		v.i128 = vec.Int128[0]
	case types.PhysFloat64:
		v.f64 = vec.Float64[0]
	case types.PhysBytes:
		v.b = append([]byte(nil), vec.Bytes[0]...)
		v.text = string(v.b)
	default:
		v.i64 = vec.Int64[0]
	}
	return v, true
}
