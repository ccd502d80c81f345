package function

import (
	"fmt"
	"strings"

	"github.com/doricdb/doric/compute/types"
)

// Kind tells scalar functions from aggregates.
type Kind uint8

const (
	Scalar Kind = iota
	Aggregate
)

// Arg describes one argument of a call: its type and whether it may be NULL.
type Arg struct {
	Type     types.T
	Nullable bool
	// Const is the text of the argument when it is a literal (optional): a few functions type
	// their result by a constant argument (round(x, 2), str_to_date(s, '%Y-%m-%d'), now(3)).
	Const *string
}

// Signature is a resolved call.
type Signature struct {
	Name     string    // canonical name
	Args     []types.T // the types the evaluator receives, one per argument (see the package doc)
	Result   types.T
	Nullable bool // whether the result may be NULL
}

// Error reports a call that cannot be resolved.
type Error struct {
	Name    string    // the name as called
	Args    []types.T // the argument types of the call
	Unknown bool      // no function has this name
	Msg     string    // why the arguments do not fit, when !Unknown
}

func (e *Error) Error() string {
	if e.Unknown {
		return fmt.Sprintf("Can not found function '%s'", e.Name)
	}
	parts := make([]string, len(e.Args))
	for i, t := range e.Args {
		parts[i] = t.String()
	}
	return fmt.Sprintf("function %s(%s): %s", e.Name, strings.Join(parts, ", "), e.Msg)
}

type funcInfo struct {
	canonical string
	kind      Kind
}

// names maps every accepted lower-case name (canonical names and SQL aliases) to its function.
// It is read-only.
var names = map[string]funcInfo{
	"add": {"add", Scalar}, "subtract": {"subtract", Scalar}, "multiply": {"multiply", Scalar},
	"divide": {"divide", Scalar}, "int_divide": {"int_divide", Scalar}, "mod": {"mod", Scalar},
	"negate": {"negate", Scalar},
	"eq":     {"eq", Scalar}, "eq_for_null": {"eq_for_null", Scalar}, "ne": {"ne", Scalar},
	"lt": {"lt", Scalar}, "le": {"le", Scalar}, "gt": {"gt", Scalar}, "ge": {"ge", Scalar},
	"and": {"and", Scalar}, "or": {"or", Scalar}, "not": {"not", Scalar},
	"is_null": {"is_null", Scalar}, "is_not_null": {"is_not_null", Scalar},
	"in": {"in", Scalar}, "not_in": {"not_in", Scalar},
	"like": {"like", Scalar}, "not_like": {"not_like", Scalar},
	"case": {"case", Scalar}, "if": {"if", Scalar}, "ifnull": {"ifnull", Scalar},
	"nvl": {"ifnull", Scalar}, "coalesce": {"coalesce", Scalar}, "nullif": {"nullif", Scalar},
	"abs": {"abs", Scalar}, "concat": {"concat", Scalar},
	"upper": {"upper", Scalar}, "ucase": {"upper", Scalar},
	"lower": {"lower", Scalar}, "lcase": {"lower", Scalar},
	"length":    {"length", Scalar},
	"substring": {"substring", Scalar}, "substr": {"substring", Scalar},
	"year": {"year", Scalar}, "month": {"month", Scalar},
	"day": {"day", Scalar}, "dayofmonth": {"day", Scalar},
	"count": {"count", Aggregate}, "sum": {"sum", Aggregate}, "min": {"min", Aggregate},
	"max": {"max", Aggregate}, "avg": {"avg", Aggregate},
}

// Lookup maps a function name as written in SQL (any case, aliases such as substr, ucase,
// dayofmonth, nvl) to its canonical name and kind. "cast" is not in the registry: see ResolveCast.
func Lookup(name string) (canonical string, kind Kind, ok bool) {
	lower := strings.ToLower(name)
	if fi, ok := names[lower]; ok {
		return fi.canonical, fi.kind, true
	}
	if c, ok := builtinAliases[lower]; ok {
		lower = c
	}
	if _, ok := builtins[lower]; ok {
		return lower, Scalar, true
	}
	if moreAggregates[lower] {
		return lower, Aggregate, true
	}
	return "", 0, false
}

// IsAggregate reports whether name (as written) is an aggregate function.
func IsAggregate(name string) bool {
	_, k, ok := Lookup(name)
	return ok && k == Aggregate
}

func typesOf(args []Arg) []types.T {
	ts := make([]types.T, len(args))
	for i, a := range args {
		ts[i] = a.Type
	}
	return ts
}

func anyNullable(args []Arg) bool {
	for _, a := range args {
		if a.Nullable {
			return true
		}
	}
	return false
}

type resolver struct {
	name  string // as called
	canon string
	args  []Arg
}

func (r resolver) fail(format string, a ...any) (Signature, error) {
	return Signature{}, &Error{Name: r.name, Args: typesOf(r.args), Msg: fmt.Sprintf(format, a...)}
}

func (r resolver) arity(lo, hi int) error {
	n := len(r.args)
	if n >= lo && (hi < 0 || n <= hi) {
		return nil
	}
	want := fmt.Sprintf("%d", lo)
	switch {
	case hi < 0:
		want = fmt.Sprintf("at least %d", lo)
	case hi != lo:
		want = fmt.Sprintf("%d to %d", lo, hi)
	}
	return &Error{Name: r.name, Args: typesOf(r.args), Msg: fmt.Sprintf("expects %s arguments, got %d", want, n)}
}

// Resolve resolves a scalar function call. name may be canonical or an alias (any case).
func Resolve(name string, args []Arg) (Signature, error) {
	canon, kind, ok := Lookup(name)
	if !ok || kind != Scalar {
		return Signature{}, &Error{Name: name, Args: typesOf(args), Unknown: true}
	}
	r := resolver{name: name, canon: canon, args: args}
	sig, err := r.scalar(canon)
	if err != nil {
		return Signature{}, err
	}
	sig.Name = canon
	return sig, nil
}

func (r resolver) scalar(canon string) (Signature, error) {
	args := r.args
	switch canon {
	case "add", "subtract", "multiply", "divide", "int_divide", "mod":
		if err := r.arity(2, 2); err != nil {
			return Signature{}, err
		}
		return r.arithmetic(canon)
	case "negate", "abs":
		if err := r.arity(1, 1); err != nil {
			return Signature{}, err
		}
		t := args[0].Type
		var p types.T
		switch arithClass(t) {
		case clsInt:
			p = tBigInt
			if t.Kind == types.LargeInt {
				p = tLargeInt
			}
		case clsDecimal:
			p = t
		case clsDouble:
			p = tDouble
		default:
			return r.fail("expects a number")
		}
		return Signature{Args: []types.T{p}, Result: p, Nullable: args[0].Nullable || t.IsString()}, nil
	case "eq", "eq_for_null", "ne", "lt", "le", "gt", "ge":
		if err := r.arity(2, 2); err != nil {
			return Signature{}, err
		}
		c, err := ComparisonType(args[0].Type, args[1].Type)
		if err != nil {
			return r.fail("%v", err)
		}
		nullable := anyNullable(args) && canon != "eq_for_null"
		return Signature{Args: []types.T{param(args[0].Type, c), param(args[1].Type, c)}, Result: tBool, Nullable: nullable}, nil
	case "in", "not_in":
		if err := r.arity(2, -1); err != nil {
			return Signature{}, err
		}
		c := args[0].Type
		for _, a := range args[1:] {
			var err error
			if c, err = ComparisonType(c, a.Type); err != nil {
				return r.fail("%v", err)
			}
		}
		c = nonNull(c)
		ps := make([]types.T, len(args))
		for i, a := range args {
			ps[i] = param(a.Type, c)
		}
		return Signature{Args: ps, Result: tBool, Nullable: anyNullable(args)}, nil
	case "and", "or", "not":
		if canon == "not" {
			if err := r.arity(1, 1); err != nil {
				return Signature{}, err
			}
		} else if err := r.arity(2, 2); err != nil {
			return Signature{}, err
		}
		ps := make([]types.T, len(args))
		for i, a := range args {
			if a.Type.IsTemporal() {
				return r.fail("expects boolean arguments")
			}
			ps[i] = tBool
		}
		return Signature{Args: ps, Result: tBool, Nullable: anyNullable(args)}, nil
	case "is_null", "is_not_null":
		if err := r.arity(1, 1); err != nil {
			return Signature{}, err
		}
		return Signature{Args: []types.T{nonNull(args[0].Type)}, Result: tBool}, nil
	case "like", "not_like":
		// like(x, pattern[, escape]): the escape is a one-character constant (default backslash).
		if err := r.arity(2, 3); err != nil {
			return Signature{}, err
		}
		ps, _ := r.params(strArg)
		return Signature{Args: ps, Result: tBool, Nullable: anyNullable(args)}, nil
	case "case":
		if err := r.arity(2, -1); err != nil {
			return Signature{}, err
		}
		hasElse := len(args)%2 == 1
		var results []Arg
		for i := 1; i < len(args); i += 2 {
			results = append(results, args[i])
		}
		if hasElse {
			results = append(results, args[len(args)-1])
		}
		rt, nullable, err := r.common(results)
		if err != nil {
			return Signature{}, err
		}
		ps := make([]types.T, len(args))
		for i, a := range args {
			isElse := hasElse && i == len(args)-1
			if i%2 == 0 && !isElse {
				if a.Type.IsTemporal() {
					return r.fail("WHEN conditions must be boolean")
				}
				ps[i] = tBool
			} else {
				ps[i] = param(a.Type, rt)
			}
		}
		return Signature{Args: ps, Result: rt, Nullable: nullable || !hasElse}, nil
	case "if":
		if err := r.arity(3, 3); err != nil {
			return Signature{}, err
		}
		if args[0].Type.IsTemporal() {
			return r.fail("the condition must be boolean")
		}
		rt, nullable, err := r.common(args[1:])
		if err != nil {
			return Signature{}, err
		}
		return Signature{Args: []types.T{tBool, param(args[1].Type, rt), param(args[2].Type, rt)}, Result: rt, Nullable: nullable}, nil
	case "ifnull", "coalesce", "nullif":
		if canon == "coalesce" {
			if err := r.arity(1, -1); err != nil {
				return Signature{}, err
			}
		} else if err := r.arity(2, 2); err != nil {
			return Signature{}, err
		}
		rt, _, err := r.common(args)
		if err != nil {
			return Signature{}, err
		}
		ps := make([]types.T, len(args))
		allNullable := true
		for i, a := range args {
			ps[i] = param(a.Type, rt)
			allNullable = allNullable && a.Nullable
		}
		if canon == "nullif" {
			allNullable = true
		}
		return Signature{Args: ps, Result: rt, Nullable: allNullable}, nil
	case "concat":
		if err := r.arity(1, -1); err != nil {
			return Signature{}, err
		}
		ps := make([]types.T, len(args))
		for i, a := range args {
			ps[i] = param(a.Type, tString)
		}
		return Signature{Args: ps, Result: tString, Nullable: anyNullable(args)}, nil
	case "upper", "lower":
		if err := r.arity(1, 1); err != nil {
			return Signature{}, err
		}
		p := param(args[0].Type, tString)
		return Signature{Args: []types.T{p}, Result: p, Nullable: args[0].Nullable}, nil
	case "length":
		if err := r.arity(1, 1); err != nil {
			return Signature{}, err
		}
		return Signature{Args: []types.T{param(args[0].Type, tString)}, Result: tInt, Nullable: args[0].Nullable}, nil
	case "substring":
		if err := r.arity(2, 3); err != nil {
			return Signature{}, err
		}
		p := param(args[0].Type, tString)
		ps := []types.T{p}
		for _, a := range args[1:] {
			if a.Type.IsTemporal() {
				return r.fail("position and length must be integers")
			}
			ps = append(ps, tInt)
		}
		return Signature{Args: ps, Result: p, Nullable: anyNullable(args)}, nil
	case "year", "month", "day":
		if err := r.arity(1, 1); err != nil {
			return Signature{}, err
		}
		t := args[0].Type
		var p types.T
		switch {
		case t.IsTemporal():
			p = t
		case t.Kind == types.Null:
			p = tDate
		case t.IsString():
			p = types.DateTimeOf(0)
		default:
			return r.fail("expects a date or datetime")
		}
		res := tTinyInt
		if canon == "year" {
			res = tSmallInt
		}
		return Signature{Args: []types.T{p}, Result: res, Nullable: args[0].Nullable || t.IsString()}, nil
	}
	if f, ok := builtins[canon]; ok {
		return f(r)
	}
	return Signature{}, &Error{Name: r.name, Args: typesOf(args), Unknown: true}
}

// common is the ResultType of all args and whether any of them may be NULL.
func (r resolver) common(args []Arg) (types.T, bool, error) {
	t := args[0].Type
	nullable := args[0].Nullable
	for _, a := range args[1:] {
		var err error
		if t, err = ResultType(t, a.Type); err != nil {
			return types.T{}, false, &Error{Name: r.name, Args: typesOf(r.args), Msg: err.Error()}
		}
		nullable = nullable || a.Nullable
	}
	return nonNull(t), nullable, nil
}

func (r resolver) arithmetic(op string) (Signature, error) {
	a, b := r.args[0].Type, r.args[1].Type
	ca, cb := arithClass(a), arithClass(b)
	if ca == clsOther || cb == clsOther {
		return r.fail("expects numbers")
	}
	nullable := anyNullable(r.args) || op == "divide" || op == "int_divide" || op == "mod" ||
		a.IsString() || b.IsString()
	sig := func(p1, p2, res types.T) (Signature, error) {
		return Signature{Args: []types.T{p1, p2}, Result: res, Nullable: nullable}, nil
	}
	switch {
	case ca == clsDouble || cb == clsDouble:
		if op == "int_divide" {
			return sig(tDouble, tDouble, tBigInt)
		}
		return sig(tDouble, tDouble, tDouble)
	case ca == clsDecimal || cb == clsDecimal:
		da, db := asDecimal(nonNullInt(a)), asDecimal(nonNullInt(b))
		switch op {
		case "int_divide":
			return sig(tDouble, tDouble, tBigInt)
		case "multiply":
			return sig(da, db, decimalOf(da.Precision+db.Precision, da.Scale+db.Scale))
		case "divide":
			return sig(da, db, decimalOf(da.Precision+db.Scale+DivPrecisionIncrement, da.Scale+DivPrecisionIncrement))
		}
		// add, subtract, mod
		s := max(da.Scale, db.Scale)
		return sig(da, db, decimalOf(max(da.Precision-da.Scale, db.Precision-db.Scale)+s+1, s))
	}
	if op == "divide" {
		return sig(tDouble, tDouble, tDouble)
	}
	it := tBigInt
	if a.Kind == types.LargeInt || b.Kind == types.LargeInt {
		it = tLargeInt
	}
	return sig(it, it, it)
}

func nonNullInt(t types.T) types.T {
	if t.Kind == types.Null {
		return tTinyInt
	}
	return t
}

// ResolveAggregate resolves an aggregate call (any case; see the package doc for the list).
// COUNT(*) is count with no arguments.
func ResolveAggregate(name string, args []Arg) (Signature, error) {
	canon, kind, ok := Lookup(name)
	if !ok || kind != Aggregate {
		return Signature{}, &Error{Name: name, Args: typesOf(args), Unknown: true}
	}
	r := resolver{name: name, canon: canon, args: args}
	if moreAggregates[canon] {
		sig, err := r.moreAggregate()
		sig.Name = canon
		return sig, err
	}
	if canon == "count" {
		ps := make([]types.T, len(args))
		for i, a := range args {
			ps[i] = nonNull(a.Type)
		}
		return Signature{Name: canon, Args: ps, Result: tBigInt}, nil
	}
	if err := r.arity(1, 1); err != nil {
		return Signature{}, err
	}
	t := args[0].Type
	var p, res types.T
	switch canon {
	case "min", "max":
		p = nonNull(t)
		res = p
	case "sum", "avg":
		switch arithClass(t) {
		case clsInt:
			p = tBigInt
			if t.Kind == types.LargeInt {
				p = tLargeInt
			}
			res = p
			if canon == "avg" {
				res = tDouble
			}
		case clsDecimal:
			p = t
			res = types.DecimalOf(types.MaxDecimalPrecision, t.Scale)
			if canon == "avg" {
				res = types.DecimalOf(types.MaxDecimalPrecision, max(t.Scale, 4))
			}
		case clsDouble:
			p, res = tDouble, tDouble
		default:
			return r.fail("expects a number")
		}
	}
	return Signature{Name: canon, Args: []types.T{p}, Result: res, Nullable: true}, nil
}

// ResolveCast resolves CAST(arg AS to): the call is named "cast", takes arg's type and returns to.
// It may be NULL when the argument may, or when the conversion can fail for some value.
func ResolveCast(arg Arg, to types.T) (Signature, error) {
	if !CanCast(arg.Type, to) {
		msg := fmt.Sprintf("cannot cast %s to %s", arg.Type, to)
		if err := to.Validate(); err != nil {
			msg = err.Error()
		}
		return Signature{}, &Error{Name: "cast", Args: []types.T{arg.Type}, Msg: msg}
	}
	return Signature{Name: "cast", Args: []types.T{arg.Type}, Result: to, Nullable: arg.Nullable || castMayFail(arg.Type, to)}, nil
}

func (r resolver) moreAggregate() (Signature, error) {
	args := r.args
	switch r.canon {
	case "stddev_pop", "stddev_samp", "var_pop", "var_samp":
		if err := r.arity(1, 1); err != nil {
			return Signature{}, err
		}
		if arithClass(args[0].Type) == clsOther {
			return r.fail("expects a number")
		}
		return Signature{Args: []types.T{tDouble}, Result: tDouble, Nullable: true}, nil
	case "group_concat":
		// group_concat(x[, separator]); the separator defaults to ", ".
		if err := r.arity(1, 2); err != nil {
			return Signature{}, err
		}
		ps, _ := r.params(strArg)
		return Signature{Args: ps, Result: tString, Nullable: true}, nil
	case "approx_count_distinct":
		if err := r.arity(1, -1); err != nil {
			return Signature{}, err
		}
		ps := make([]types.T, len(args))
		for i, a := range args {
			ps[i] = nonNull(a.Type)
		}
		return Signature{Args: ps, Result: tBigInt}, nil
	case "percentile_approx":
		// percentile_approx(x, p[, compression]): p in [0, 1].
		if err := r.arity(2, 3); err != nil {
			return Signature{}, err
		}
		ps, err := r.params(dblArg)
		if err != nil {
			return Signature{}, err
		}
		return Signature{Args: ps, Result: tDouble, Nullable: true}, nil
	case "any_value":
		if err := r.arity(1, 1); err != nil {
			return Signature{}, err
		}
		t := nonNull(args[0].Type)
		return Signature{Args: []types.T{t}, Result: t, Nullable: true}, nil
	case "bool_and", "bool_or":
		if err := r.arity(1, 1); err != nil {
			return Signature{}, err
		}
		if args[0].Type.IsTemporal() {
			return r.fail("expects a boolean")
		}
		return Signature{Args: []types.T{tBool}, Result: tBool, Nullable: true}, nil
	}
	return Signature{}, &Error{Name: r.name, Args: typesOf(args), Unknown: true}
}

// IntermediateType is the type of the column an aggregate outputs in AGG_PARTIAL mode (and
// reads in AGG_FINAL mode), for a resolved aggregate signature: count
// BIGINT; sum its result type; min, max and any_value their argument type; bool_and and bool_or
// BOOLEAN; every other aggregate, and every DISTINCT aggregate, a serialized state in a STRING
// (see compute/expr's STATES.md).
func IntermediateType(sig Signature, distinct bool) types.T {
	if distinct {
		return tString
	}
	switch sig.Name {
	case "count":
		return tBigInt
	case "sum":
		return sig.Result
	case "min", "max", "any_value":
		return sig.Args[0]
	case "bool_and", "bool_or":
		return tBool
	}
	return tString
}
