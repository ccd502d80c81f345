package binder

import (
	"errors"
	"fmt"
	"strings"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/function"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/plan"
)

type exprKind uint8

const (
	eCol      exprKind = iota // a column of the FROM table
	eLit                      // a constant
	eCall                     // a scalar function call
	eAgg                      // an aggregate call
	eSub                      // a subquery (sub); a SubIn's args[0] is its condition
	eWin                      // a window function call (win; args: see winSpec)
	eGrouping                 // GROUPING(args) / GROUPING_ID(args) (name "grouping" / "grouping_id")
)

// expr is a bound expression: names resolved, types known, implicit casts explicit. Bound
// expressions are immutable once built and may be shared.
type expr struct {
	kind     exprKind
	typ      types.T
	nullable bool
	pos      ast.Pos
	col      int   // eCol: index in the table's columns
	val      value // eLit
	name     string
	args     []*expr
	distinct bool // eAgg
	sub      *subq
	win      *winSpec  // eWin
	order    *aggOrder // eAgg: GROUP_CONCAT(... ORDER BY ...)
}

// aggOrder is the ORDER BY of an aggregate call (GROUP_CONCAT).
type aggOrder struct {
	exprs      []*expr
	desc       []bool
	nullsFirst []bool
}

// subq is a bound subquery expression.
type subq struct {
	kind plan.SubqueryKind
	plan plan.Node
	col  plan.Column // SubScalar, SubIn
	text string      // as written
}

// key is a structural identity: equal keys mean equal expressions.
func (e *expr) key() string {
	var b strings.Builder
	e.writeKey(&b)
	return b.String()
}

func (e *expr) writeKey(b *strings.Builder) {
	switch e.kind {
	case eCol:
		fmt.Fprintf(b, "#%d", e.col)
	case eSub:
		fmt.Fprintf(b, "sub@%p", e.sub)
	case eLit:
		if e.val.null {
			fmt.Fprintf(b, "NULL:%s", e.typ)
		} else {
			fmt.Fprintf(b, "%q:%s", e.val.text, e.typ)
		}
	default:
		b.WriteString(e.name)
		if e.kind == eWin {
			b.WriteString(e.win.key())
		}
		if e.kind == eGrouping {
			b.WriteString("@grouping")
		}
		if e.kind == eAgg {
			b.WriteString("@agg")
			if e.distinct {
				b.WriteString("@distinct")
			}
			if e.order != nil {
				b.WriteString("@order[")
				for i, o := range e.order.exprs {
					o.writeKey(b)
					fmt.Fprintf(b, " %v %v;", e.order.desc[i], e.order.nullsFirst[i])
				}
				b.WriteString("]")
			}
		}
		fmt.Fprintf(b, ":%s(", e.typ)
		for i, a := range e.args {
			if i > 0 {
				b.WriteString(",")
			}
			a.writeKey(b)
		}
		b.WriteString(")")
	}
}

// hasAgg reports whether the expression contains an aggregate call.
func (e *expr) hasAgg() bool {
	if e.kind == eAgg || e.kind == eGrouping {
		return true
	}
	for _, a := range e.args {
		if a.hasAgg() {
			return true
		}
	}
	return false
}

// walk calls f on e and every subexpression, parents first; f returning false skips children.
func (e *expr) walk(f func(*expr) bool) {
	if !f(e) {
		return
	}
	for _, a := range e.args {
		a.walk(f)
	}
}

func (e *expr) isLiteral() bool { return e.kind == eLit }

func litExpr(v value, pos ast.Pos) *expr {
	return &expr{kind: eLit, typ: v.typ, nullable: v.null, pos: pos, val: v}
}

// scope is what names resolve against: the FROM table (nil without FROM) and, for HAVING and
// ORDER BY, the select list.
//
// Query blocks (BindSelect, BindQuery) set q and qb instead of table: names then resolve through
// q's FROM columns and enclosing blocks, and an eCol's col is a plan.ColumnID.
type scope struct {
	table     *catalog.Table
	db        string // the table's database
	qualifier string // the alias, or the table name
	items     []*selectItem
	q         *qscope
	qb        *queryBinder
}

// exprCtx says what a clause allows.
type exprCtx struct {
	clause     string // for messages: "WHERE", "GROUP BY", ...
	aggOK      bool
	inAgg      bool
	aliasFirst bool // a bare name is a select-list alias before it is a column (ORDER BY)
	aliasLast  bool // a bare name may be a select-list alias when it is not a column (GROUP BY, HAVING)
	winOK      bool // window functions are allowed (the select list, ORDER BY)
}

func (s *scope) bind(e ast.Expr, ctx exprCtx) (*expr, error) {
	switch e := e.(type) {
	case *ast.Literal:
		v, err := literalValue(e)
		if err != nil {
			return nil, errorf(ErrBadValue, e.Pos, "%v", err)
		}
		return litExpr(v, e.Pos), nil
	case *ast.ColumnRef:
		return s.column(e, ctx)
	case *ast.Variable:
		if e.Scope == ast.ScopeUser {
			return nil, errorf(ErrNotSupported, e.Pos, "user variables are not supported yet")
		}
		return nil, errorf(ErrUnknownVariable, e.Pos, "Unknown system variable '%s'", e.Name)
	case *ast.UnaryExpr:
		x, err := s.bind(e.X, ctx)
		if err != nil {
			return nil, err
		}
		switch e.Op {
		case ast.OpPlus:
			if !x.typ.IsNumeric() && x.typ.Kind != types.Null {
				return nil, errorf(ErrWrongType, e.Pos, "unary + expects a number, got %s", x.typ)
			}
			return x, nil
		case ast.OpNeg:
			return s.call(e.Pos, "negate", x)
		}
		return s.call(e.Pos, "not", x)
	case *ast.BinaryExpr:
		if iv, ok := e.R.(*ast.IntervalExpr); ok && (e.Op == ast.OpAdd || e.Op == ast.OpSub) {
			return s.bindInterval(e.Pos, e.L, iv, e.Op == ast.OpSub, ctx)
		}
		if iv, ok := e.L.(*ast.IntervalExpr); ok && e.Op == ast.OpAdd {
			return s.bindInterval(e.Pos, e.R, iv, false, ctx)
		}
		l, err := s.bind(e.L, ctx)
		if err != nil {
			return nil, err
		}
		r, err := s.bind(e.R, ctx)
		if err != nil {
			return nil, err
		}
		return s.call(e.Pos, binaryFuncs[e.Op], l, r)
	case *ast.IsExpr:
		return s.bindIs(e, ctx)
	case *ast.BetweenExpr:
		x, err := s.bind(e.X, ctx)
		if err != nil {
			return nil, err
		}
		lo, err := s.bind(e.Lo, ctx)
		if err != nil {
			return nil, err
		}
		hi, err := s.bind(e.Hi, ctx)
		if err != nil {
			return nil, err
		}
		if e.Not {
			a, err := s.call(e.Pos, "lt", x, lo)
			if err != nil {
				return nil, err
			}
			b, err := s.call(e.Pos, "gt", x, hi)
			if err != nil {
				return nil, err
			}
			return s.call(e.Pos, "or", a, b)
		}
		a, err := s.call(e.Pos, "ge", x, lo)
		if err != nil {
			return nil, err
		}
		b, err := s.call(e.Pos, "le", x, hi)
		if err != nil {
			return nil, err
		}
		return s.call(e.Pos, "and", a, b)
	case *ast.Subquery, *ast.ExistsExpr, *ast.CompareSubquery:
		return s.bindSubquery(e, ctx)
	case *ast.InExpr:
		if e.Query != nil {
			return s.bindSubquery(e, ctx)
		}
		args, err := s.bindAll(append([]ast.Expr{e.X}, e.List...), ctx)
		if err != nil {
			return nil, err
		}
		name := "in"
		if e.Not {
			name = "not_in"
		}
		return s.call(e.Pos, name, args...)
	case *ast.LikeExpr:
		x, err := s.bind(e.X, ctx)
		if err != nil {
			return nil, err
		}
		p, err := s.bind(e.Pattern, ctx)
		if err != nil {
			return nil, err
		}
		name := "like"
		if e.Regexp {
			name = "regexp"
		}
		if e.Not {
			name = "not_" + name
		}
		args := []*expr{x, p}
		if e.Escape != nil {
			if e.Regexp {
				return nil, errorf(ErrWrongType, e.Pos, "ESCAPE is only allowed with LIKE")
			}
			esc, err := s.bind(e.Escape, ctx)
			if err != nil {
				return nil, err
			}
			if esc.kind != eLit || esc.val.null || !esc.typ.IsString() || len([]rune(esc.val.text)) != 1 {
				return nil, errorf(ErrWrongType, e.Pos, "ESCAPE must be a one-character string constant")
			}
			args = append(args, esc)
		}
		return s.call(e.Pos, name, args...)
	case *ast.CaseExpr:
		return s.bindCase(e, ctx)
	case *ast.CastExpr:
		x, err := s.bind(e.X, ctx)
		if err != nil {
			return nil, err
		}
		to, err := resolveType(e.Type, true)
		if err != nil {
			return nil, err
		}
		if x.typ == to {
			return x, nil
		}
		return s.cast(x, to, e.Pos)
	case *ast.FuncCall:
		return s.bindFunc(e, ctx)
	case *ast.ExtractExpr:
		name, ok := function.ExtractFunction(e.Unit)
		if !ok {
			return nil, errorf(ErrNotSupported, e.Pos, "EXTRACT(%s FROM ...) is not supported", e.Unit)
		}
		x, err := s.bind(e.X, ctx)
		if err != nil {
			return nil, err
		}
		return s.call(e.Pos, name, x)
	case *ast.IntervalExpr:
		return nil, errorf(ErrWrongType, e.Pos, "INTERVAL is only allowed in date arithmetic (d + INTERVAL n unit, DATE_ADD(d, INTERVAL n unit))")
	case *ast.Star:
		return nil, errorf(ErrNotSupported, e.Pos, "'*' is not allowed here")
	case *ast.Default:
		return nil, errorf(ErrNotSupported, e.Pos, "DEFAULT is not allowed here")
	}
	return nil, errorf(ErrNotSupported, e.Position(), "expression %s is not supported", ast.Format(e))
}

var binaryFuncs = map[ast.BinaryOp]string{
	ast.OpAdd: "add", ast.OpSub: "subtract", ast.OpMul: "multiply", ast.OpDiv: "divide",
	ast.OpIntDiv: "int_divide", ast.OpMod: "mod", ast.OpEq: "eq", ast.OpNullSafeEq: "eq_for_null",
	ast.OpNe: "ne", ast.OpLt: "lt", ast.OpLe: "le", ast.OpGt: "gt", ast.OpGe: "ge",
	ast.OpAnd: "and", ast.OpOr: "or",
}

func (s *scope) bindAll(es []ast.Expr, ctx exprCtx) ([]*expr, error) {
	out := make([]*expr, len(es))
	for i, e := range es {
		b, err := s.bind(e, ctx)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func refText(c *ast.ColumnRef) string {
	parts := []string{}
	for _, p := range []string{c.DB, c.Table, c.Name} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ".")
}

func (s *scope) alias(name string) *selectItem {
	for _, it := range s.items {
		if it.alias != "" && strings.EqualFold(it.alias, name) {
			return it
		}
	}
	return nil
}

func (s *scope) column(c *ast.ColumnRef, ctx exprCtx) (*expr, error) {
	if c.Table == "" && s.items != nil && ctx.aliasFirst {
		if it := s.alias(c.Name); it != nil {
			return it.expr, nil
		}
	}
	if s.q != nil {
		// This block's columns, then (GROUP BY, HAVING) its select-list aliases, then the
		// columns of enclosing blocks (a correlated reference).
		local := &qscope{cols: s.q.cols}
		x, _, err := local.resolve(c)
		if err != nil && c.Table == "" && s.items != nil && ctx.aliasLast {
			if it := s.alias(c.Name); it != nil {
				return it.expr, nil
			}
		}
		if err != nil && s.q.parent != nil {
			x, _, err = s.q.parent.resolve(c)
		}
		if err != nil {
			return nil, err
		}
		return &expr{kind: eCol, typ: x.col.Type, nullable: x.col.Nullable, pos: c.Pos, col: int(x.col.ID)}, nil
	}
	idx := -1
	if s.table != nil && (c.Table == "" || c.Table == s.qualifier && (c.DB == "" || c.DB == s.db)) {
		idx = s.table.ColumnIndex(c.Name)
	}
	if idx < 0 {
		if c.Table == "" && s.items != nil && ctx.aliasLast {
			if it := s.alias(c.Name); it != nil {
				return it.expr, nil
			}
		}
		return nil, errorf(ErrUnknownColumn, c.Pos, "Unknown column '%s' in 'table list'", refText(c))
	}
	col := s.table.Columns[idx]
	return &expr{kind: eCol, typ: col.Type, nullable: col.Nullable, pos: c.Pos, col: idx}, nil
}

// comparisons are the functions whose string-literal operands are first given the type they
// spell when the other side is a number or a date (see naturalLiteral).
var comparisons = map[string]bool{"eq": true, "eq_for_null": true, "ne": true, "lt": true, "le": true,
	"gt": true, "ge": true, "in": true, "not_in": true}

// naturalLiteral retypes a string literal compared with a number or a date/datetime to the
// number or temporal value it spells ('5' → TINYINT 5, '2024-01-01 10:00:00.5' → DATETIME(1)),
// so that the comparison's common type is exact and the other side is not cast needlessly. A
// literal that spells nothing is left alone (the comparison casts it, giving NULL at run time).
func naturalLiteral(e *expr, other types.T) *expr {
	if e.kind != eLit || e.val.null || !e.typ.IsString() || other.IsString() || other.Kind == types.Null {
		return e
	}
	text := strings.TrimSpace(e.val.text)
	switch {
	case other.IsTemporal():
		if len(text) <= 10 {
			if v, err := convertText(types.New(types.String), text, types.New(types.Date)); err == nil {
				return litExpr(v, e.pos)
			}
		}
		scale := int32(0)
		if _, frac, ok := strings.Cut(text, "."); ok {
			scale = min(int32(len(frac)), types.MaxDateTimeScale)
		}
		if v, err := convertText(types.New(types.String), text, types.DateTimeOf(scale)); err == nil {
			return litExpr(v, e.pos)
		}
	case other.IsNumeric() || other.Kind == types.Boolean:
		text = strings.TrimPrefix(text, "+")
		if _, ok := numericText(text); !ok {
			return e
		}
		kind := ast.LitDecimal
		switch {
		case strings.ContainsAny(text, "eE"):
			kind = ast.LitFloat
		case !strings.Contains(text, "."):
			kind = ast.LitInt
		}
		if v, err := literalValue(&ast.Literal{Kind: kind, Value: text}); err == nil {
			return litExpr(v, e.pos)
		}
	}
	return e
}

// call resolves a scalar function over bound arguments and inserts the casts it needs.
func (s *scope) call(pos ast.Pos, name string, args ...*expr) (*expr, error) {
	if comparisons[name] {
		args = append([]*expr(nil), args...)
		if len(args) == 2 {
			args[0], args[1] = naturalLiteral(args[0], args[1].typ), naturalLiteral(args[1], args[0].typ)
		} else {
			for i := 1; i < len(args); i++ {
				args[i] = naturalLiteral(args[i], args[0].typ)
			}
		}
	}
	sig, err := function.Resolve(name, constArgs(args))
	if err != nil {
		return nil, funcError(pos, err)
	}
	cargs := make([]*expr, len(args))
	for i, a := range args {
		if cargs[i], err = s.coerce(a, sig.Args[i], pos); err != nil {
			return nil, err
		}
	}
	return fold(&expr{kind: eCall, typ: sig.Result, nullable: sig.Nullable, pos: pos, name: sig.Name, args: cargs}), nil
}

func funcError(pos ast.Pos, err error) error {
	var fe *function.Error
	if errors.As(err, &fe) {
		if fe.Unknown {
			return errorf(ErrUnknownFunction, pos, "%s", fe.Error())
		}
		return errorf(ErrWrongType, pos, "%s", fe.Error())
	}
	return err
}

// coerce converts e to type t: nothing when it already is (or both are strings), a folded
// literal when e is a constant that converts, a "cast" call otherwise.
func (s *scope) coerce(e *expr, t types.T, pos ast.Pos) (*expr, error) {
	if e.typ == t || e.typ.IsString() && t.IsString() {
		return e, nil
	}
	return s.cast(e, t, pos)
}

func (s *scope) cast(e *expr, t types.T, pos ast.Pos) (*expr, error) {
	sig, err := function.ResolveCast(function.Arg{Type: e.typ, Nullable: e.nullable}, t)
	if err != nil {
		return nil, funcError(pos, err)
	}
	if e.isLiteral() {
		if v, err := convert(e.val, t); err == nil {
			return litExpr(v, e.pos), nil
		}
	}
	return &expr{kind: eCall, typ: t, nullable: sig.Nullable, pos: pos, name: "cast", args: []*expr{e}}, nil
}

func (s *scope) bindIs(e *ast.IsExpr, ctx exprCtx) (*expr, error) {
	x, err := s.bind(e.X, ctx)
	if err != nil {
		return nil, err
	}
	if e.What == ast.IsNull {
		if e.Not {
			return s.call(e.Pos, "is_not_null", x)
		}
		return s.call(e.Pos, "is_null", x)
	}
	if x, err = s.coerce(x, types.New(types.Boolean), e.Pos); err != nil {
		return nil, err
	}
	var out *expr
	falseLit := litExpr(value{typ: types.New(types.Boolean), text: "0"}, e.Pos)
	switch e.What {
	case ast.IsUnknown:
		name := "is_null"
		if e.Not {
			name = "is_not_null"
		}
		return s.call(e.Pos, name, x)
	case ast.IsTrue: // x IS TRUE = ifnull(x, FALSE)
		out, err = s.call(e.Pos, "ifnull", x, falseLit)
	default: // x IS FALSE = ifnull(NOT x, FALSE)
		var n *expr
		if n, err = s.call(e.Pos, "not", x); err == nil {
			out, err = s.call(e.Pos, "ifnull", n, falseLit)
		}
	}
	if err != nil {
		return nil, err
	}
	if e.Not {
		return s.call(e.Pos, "not", out)
	}
	return out, nil
}

func (s *scope) bindCase(e *ast.CaseExpr, ctx exprCtx) (*expr, error) {
	var operand *expr
	if e.Operand != nil {
		var err error
		if operand, err = s.bind(e.Operand, ctx); err != nil {
			return nil, err
		}
	}
	var args []*expr
	for _, w := range e.Whens {
		c, err := s.bind(w.Cond, ctx)
		if err != nil {
			return nil, err
		}
		if operand != nil {
			if c, err = s.call(w.Pos, "eq", operand, c); err != nil {
				return nil, err
			}
		}
		r, err := s.bind(w.Result, ctx)
		if err != nil {
			return nil, err
		}
		args = append(args, c, r)
	}
	if e.Else != nil {
		el, err := s.bind(e.Else, ctx)
		if err != nil {
			return nil, err
		}
		args = append(args, el)
	}
	return s.call(e.Pos, "case", args...)
}

func (s *scope) bindFunc(f *ast.FuncCall, ctx exprCtx) (*expr, error) {
	if f.Over != nil {
		return s.bindWindow(f, ctx)
	}
	if function.IsWindow(f.Name) {
		return nil, errorf(ErrWrongType, f.Pos, "window function %s() requires an OVER clause", strings.ToLower(f.Name))
	}
	if len(f.Args) == 2 && !f.Star && !f.Distinct {
		if iv, ok := f.Args[1].(*ast.IntervalExpr); ok {
			switch strings.ToLower(f.Name) {
			case "date_add", "adddate", "days_add":
				return s.bindInterval(f.Pos, f.Args[0], iv, false, ctx)
			case "date_sub", "subdate", "days_sub":
				return s.bindInterval(f.Pos, f.Args[0], iv, true, ctx)
			}
		}
	}
	if lname := strings.ToLower(f.Name); lname == "grouping" || lname == "grouping_id" {
		return s.bindGrouping(f, lname, ctx)
	}
	canon, kind, ok := function.Lookup(f.Name)
	if !ok {
		return nil, errorf(ErrUnknownFunction, f.Pos, "Can not found function '%s'", f.Name)
	}
	if kind == function.Scalar {
		if f.Star || f.Distinct || len(f.OrderBy) > 0 {
			return nil, errorf(ErrWrongType, f.Pos, "%s() does not take '*', DISTINCT or ORDER BY", f.Name)
		}
		args, err := s.bindAll(f.Args, ctx)
		if err != nil {
			return nil, err
		}
		e, err := s.call(f.Pos, canon, args...)
		if err != nil {
			return nil, err
		}
		return s.foldNow(e)
	}
	switch {
	case ctx.inAgg:
		return nil, errorf(ErrInvalidGroupFunc, f.Pos, "aggregate function calls cannot be nested: %s", ast.Format(f))
	case !ctx.aggOK:
		return nil, errorf(ErrInvalidGroupFunc, f.Pos, "aggregate function %s is not allowed in %s", ast.Format(f), ctx.clause)
	case f.Star && canon != "count":
		return nil, errorf(ErrWrongType, f.Pos, "%s(*) is not allowed; only COUNT(*)", f.Name)
	case !f.Star && len(f.Args) == 0:
		return nil, errorf(ErrWrongType, f.Pos, "%s() needs an argument", f.Name)
	case len(f.Args) > 1 && canon == "count" && !f.Distinct:
		return nil, errorf(ErrWrongType, f.Pos, "%s takes one argument", f.Name)
	case len(f.OrderBy) > 0 && canon != "group_concat":
		return nil, errorf(ErrNotSupported, f.Pos, "ORDER BY inside an aggregate is only supported for GROUP_CONCAT")
	}
	inner := ctx
	inner.inAgg = true
	inner.winOK = false
	args, err := s.bindAll(f.Args, inner)
	if err != nil {
		return nil, err
	}
	sig, err := function.ResolveAggregate(canon, constArgs(args))
	if err != nil {
		return nil, funcError(f.Pos, err)
	}
	for i, a := range args {
		if args[i], err = s.coerce(a, sig.Args[i], f.Pos); err != nil {
			return nil, err
		}
	}
	out := &expr{kind: eAgg, typ: sig.Result, nullable: sig.Nullable, pos: f.Pos, name: sig.Name, args: args, distinct: f.Distinct}
	if len(f.OrderBy) > 0 {
		out.order = &aggOrder{}
		for _, o := range f.OrderBy {
			e, err := s.bind(o.Expr, inner)
			if err != nil {
				return nil, err
			}
			nullsFirst := !o.Desc
			if o.NullsFirst != nil {
				nullsFirst = *o.NullsFirst
			}
			out.order.exprs = append(out.order.exprs, e)
			out.order.desc = append(out.order.desc, o.Desc)
			out.order.nullsFirst = append(out.order.nullsFirst, nullsFirst)
		}
	}
	return out, nil
}

// resolveType maps a written type to a types.T. In CAST, CHAR without a length is STRING, SIGNED
// is BIGINT and UNSIGNED is LARGEINT; in DDL, CHAR is CHAR(1) and VARCHAR is VARCHAR(65533).
func resolveType(tn ast.TypeName, forCast bool) (types.T, error) {
	nargs := func(lo, hi int) error {
		if len(tn.Args) < lo || len(tn.Args) > hi {
			return errorf(ErrWrongType, tn.Pos, "type %s takes %d to %d arguments", tn.Name, lo, hi)
		}
		return nil
	}
	arg := func(i int, def int64) int64 {
		if i < len(tn.Args) {
			return tn.Args[i]
		}
		return def
	}
	var t types.T
	switch tn.Name {
	case "TINYINT", "SMALLINT", "INT", "INTEGER", "BIGINT", "LARGEINT":
		if err := nargs(0, 1); err != nil { // display width, ignored
			return t, err
		}
		t = types.New(map[string]types.Kind{"TINYINT": types.TinyInt, "SMALLINT": types.SmallInt, "INT": types.Int,
			"INTEGER": types.Int, "BIGINT": types.BigInt, "LARGEINT": types.LargeInt}[tn.Name])
	case "SIGNED", "UNSIGNED":
		if !forCast {
			return t, errorf(ErrNotSupported, tn.Pos, "type %s is not supported in a column definition", tn.Name)
		}
		t = types.New(types.BigInt)
		if tn.Name == "UNSIGNED" {
			t = types.New(types.LargeInt)
		}
	case "BOOLEAN", "BOOL":
		t = types.New(types.Boolean)
	case "FLOAT":
		t = types.New(types.Float)
	case "DOUBLE":
		t = types.New(types.Double)
	case "DECIMAL", "DECIMALV3":
		if err := nargs(0, 2); err != nil {
			return t, err
		}
		p := arg(0, types.DefaultDecimalPrecison)
		s := arg(1, 0)
		if p > types.MaxDecimalPrecision || p < 1 || s < 0 || s > p {
			return t, errorf(ErrWrongType, tn.Pos, "invalid type DECIMAL(%d,%d): precision must be in [1, %d] and scale in [0, precision]", p, s, types.MaxDecimalPrecision)
		}
		t = types.DecimalOf(int32(p), int32(s))
	case "DATE", "DATEV2":
		t = types.New(types.Date)
	case "DATETIME", "DATETIMEV2":
		if err := nargs(0, 1); err != nil {
			return t, err
		}
		sc := arg(0, 0)
		if sc < 0 || sc > types.MaxDateTimeScale {
			return t, errorf(ErrWrongType, tn.Pos, "invalid type DATETIME(%d): scale must be in [0, %d]", sc, types.MaxDateTimeScale)
		}
		t = types.DateTimeOf(int32(sc))
	case "CHAR", "CHARACTER":
		if err := nargs(0, 1); err != nil {
			return t, err
		}
		if len(tn.Args) == 0 && forCast {
			t = types.New(types.String)
			break
		}
		n := arg(0, 1)
		if n < 1 || n > types.MaxCharLength {
			return t, errorf(ErrWrongType, tn.Pos, "invalid type CHAR(%d): length must be in [1, %d]", n, types.MaxCharLength)
		}
		t = types.CharOf(int32(n))
	case "VARCHAR":
		if err := nargs(0, 1); err != nil {
			return t, err
		}
		n := arg(0, types.DefaultVarcharLength)
		if n < 1 || n > types.MaxVarcharLength {
			return t, errorf(ErrWrongType, tn.Pos, "invalid type VARCHAR(%d): length must be in [1, %d]", n, types.MaxVarcharLength)
		}
		t = types.VarcharOf(int32(n))
	case "STRING", "TEXT":
		t = types.New(types.String)
	default:
		return t, errorf(ErrNotSupported, tn.Pos, "type %s is not supported yet", tn.Name)
	}
	if len(tn.Args) > 0 && (t.Kind == types.Boolean || t.IsFloat() || t.Kind == types.Date || t.Kind == types.String) {
		return t, errorf(ErrWrongType, tn.Pos, "type %s takes no arguments", tn.Name)
	}
	return t, nil
}

// toPlan renders a bound expression for a node whose input holds the given expressions: an
// expression (or subexpression) found in `input` by key becomes a ColumnRef to it. A column or
// aggregate not found is reported by notFound.
func toPlan(e *expr, input map[string]int, notFound func(*expr) error) (*planpb.Expr, error) {
	out := &planpb.Expr{Type: e.typ.Proto(), Nullable: e.nullable}
	if i, ok := input[e.key()]; ok {
		out.Kind = &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(i)}}
		return out, nil
	}
	switch e.kind {
	case eLit:
		out.Kind = &planpb.Expr_Literal{Literal: e.val.literal()}
		return out, nil
	case eCol, eAgg:
		return nil, notFound(e)
	}
	call := &planpb.Call{Name: e.name}
	for _, a := range e.args {
		pa, err := toPlan(a, input, notFound)
		if err != nil {
			return nil, err
		}
		call.Args = append(call.Args, pa)
	}
	out.Kind = &planpb.Expr_Call{Call: call}
	return out, nil
}
