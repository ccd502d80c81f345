package function

import (
	"strconv"
	"strings"

	"github.com/doricdb/doric/compute/types"
)

// builtinAliases maps further SQL names (lower case) to the canonical names of builtins. Read-only.
var builtinAliases = map[string]string{
	"dayofmonth": "day", "date": "to_date", "ceiling": "ceil", "power": "pow", "dsqrt": "sqrt",
	"dpow": "pow", "dexp": "exp", "dlog10": "log10", "dlog1": "ln",
	"character_length": "char_length", "position": "locate", "rlike": "regexp",
	"md5sum": "md5", "current_timestamp": "now", "localtime": "now", "localtimestamp": "now",
	"sysdate": "now", "curdate": "current_date", "date_add": "days_add", "adddate": "days_add",
	"date_sub": "days_sub", "subdate": "days_sub",
	"ndv": "approx_count_distinct", "std": "stddev_pop", "stddev": "stddev_pop",
	"variance": "var_pop", "variance_pop": "var_pop", "variance_samp": "var_samp",
	"any": "any_value",
}

// resolveFunc resolves one builtin given its (checked nothing) arguments.
type resolveFunc func(r resolver) (Signature, error)

// builtins are the scalar functions beyond the operators of registry.go. Read-only.
var builtins = map[string]resolveFunc{}

// aggregates beyond count/sum/min/max/avg. Read-only.
var moreAggregates = map[string]bool{
	"stddev_pop": true, "stddev_samp": true, "var_pop": true, "var_samp": true,
	"group_concat": true, "approx_count_distinct": true, "percentile_approx": true,
	"any_value": true, "bool_and": true, "bool_or": true,
}

func init() { // fills the read-only tables once; nothing mutates them afterwards
	for _, p := range []string{"quarter", "dayofweek", "dayofyear", "weekofyear", "week", "hour", "minute", "second"} {
		builtins[p] = resolveDatePart
	}
	for _, u := range intervalUnits {
		builtins[u+"s_add"] = resolveInterval
		builtins[u+"s_sub"] = resolveInterval
		builtins[u+"s_diff"] = resolveDiff
	}
	for name, f := range map[string]resolveFunc{
		"to_date": fixed1(tDate, temporalArg), "last_day": fixed1(tDate, temporalArg),
		"datediff": resolveDateDiff, "date_trunc": resolveDateTrunc, "date_format": resolveDateFormat,
		"dayname": fixed1(tString, temporalArg), "monthname": fixed1(tString, temporalArg),
		"str_to_date": resolveStrToDate, "now": resolveNow, "current_date": resolveNow,
		"unix_timestamp": resolveUnixTimestamp, "from_unixtime": resolveFromUnixtime,

		"concat_ws": resolveConcatWs, "left": strInt(tString), "right": strInt(tString),
		"repeat": strInt(tString), "char_length": strOnly(tInt), "reverse": strOnly(tString),
		"md5": strOnly(tString), "ascii": strOnly(tInt), "trim": resolveTrim, "ltrim": resolveTrim,
		"rtrim": resolveTrim, "lpad": resolvePad, "rpad": resolvePad, "replace": strN(3, tString),
		"instr": strN(2, tInt), "locate": resolveLocate, "split_part": resolveSplitPart,
		"substring_index": resolveSplitPart, "starts_with": strN(2, tBool), "ends_with": strN(2, tBool),
		"regexp": strN(2, tBool), "not_regexp": strN(2, tBool), "regexp_extract": resolveRegexpExtract,
		"regexp_replace": strN(3, tString), "regexp_replace_one": strN(3, tString),
		"hex": resolveHex, "unhex": strOnly(tString), "space": resolveSpace, "strcmp": strN(2, tTinyInt),
		"find_in_set": strN(2, tInt), "null_or_empty": resolveNullOrEmpty,

		"ceil": resolveRounding, "floor": resolveRounding, "round": resolveRounding,
		"truncate": resolveRounding, "pow": dbl(2), "sqrt": dbl(1), "ln": dbl(1), "log10": dbl(1),
		"log2": dbl(1), "log": resolveLog, "exp": dbl(1), "sin": dbl(1), "cos": dbl(1), "tan": dbl(1),
		"asin": dbl(1), "acos": dbl(1), "atan": dbl(1), "degrees": dbl(1), "radians": dbl(1),
		"pi": dbl(0), "e": dbl(0), "sign": resolveSign, "greatest": resolveGreatest, "least": resolveGreatest,
	} {
		builtins[name] = f
	}
}

// intervalUnits are the units of INTERVAL arithmetic, as the prefixes of the <unit>s_add,
// <unit>s_sub and <unit>s_diff functions.
var intervalUnits = []string{"year", "quarter", "month", "week", "day", "hour", "minute", "second"}

// IntervalFunction names the function that adds (or subtracts) an INTERVAL of unit (YEAR,
// QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND; any case) to a DATE or DATETIME: the binder
// rewrites `d + INTERVAL n unit`, `d - INTERVAL n unit`, DATE_ADD(d, INTERVAL n unit) and
// DATE_SUB(...) (also ADDDATE/SUBDATE) into <unit>s_add(d, n) / <unit>s_sub(d, n).
func IntervalFunction(unit string, subtract bool) (string, bool) {
	u := strings.ToLower(unit)
	for _, x := range intervalUnits {
		if x == u {
			if subtract {
				return u + "s_sub", true
			}
			return u + "s_add", true
		}
	}
	return "", false
}

// ExtractFunction names the function EXTRACT(unit FROM d) is: year, quarter, month, week, day,
// hour, minute, second (the binder rewrites EXTRACT into a call of it).
func ExtractFunction(unit string) (string, bool) {
	u := strings.ToLower(unit)
	switch u {
	case "year", "quarter", "month", "week", "day", "hour", "minute", "second":
		return u, true
	}
	return "", false
}

// temporalArg is the type a temporal function receives for an argument of type t: DATE and
// DATETIME as they are, NULL as DATE, strings as DATETIME (a cast that gives NULL when the text
// is no date).
func temporalArg(t types.T) (types.T, bool) {
	switch {
	case t.IsTemporal():
		return t, true
	case t.Kind == types.Null:
		return tDate, true
	case t.IsString():
		return types.DateTimeOf(0), true
	}
	return types.T{}, false
}

// dateTimeArg is temporalArg, with DATE widened to DATETIME (for hour/minute/second).
func dateTimeArg(t types.T) (types.T, bool) {
	p, ok := temporalArg(t)
	if ok && p.Kind == types.Date {
		p = types.DateTimeOf(0)
	}
	return p, ok
}

func intArg(t types.T) (types.T, bool) {
	if t.IsTemporal() {
		return types.T{}, false
	}
	return tBigInt, true
}

func strArg(t types.T) (types.T, bool) { return param(t, tString), true }

func (r resolver) params(convs ...func(types.T) (types.T, bool)) ([]types.T, error) {
	ps := make([]types.T, len(r.args))
	for i, a := range r.args {
		conv := convs[min(i, len(convs)-1)]
		p, ok := conv(a.Type)
		if !ok {
			_, err := r.fail("argument %d of type %s is not accepted", i+1, a.Type)
			return nil, err
		}
		ps[i] = p
	}
	return ps, nil
}

// simple resolves a call of fixed arity whose i-th argument converts by convs[i] (the last
// applies to the rest) and whose result is res, NULL when an argument is NULL (or always when
// alwaysNull: the function itself may give NULL).
func (r resolver) simple(lo, hi int, res types.T, alwaysNull bool, convs ...func(types.T) (types.T, bool)) (Signature, error) {
	if err := r.arity(lo, hi); err != nil {
		return Signature{}, err
	}
	ps, err := r.params(convs...)
	if err != nil {
		return Signature{}, err
	}
	return Signature{Args: ps, Result: res, Nullable: alwaysNull || anyNullable(r.args) || stringTemporal(r.args, ps)}, nil
}

// stringTemporal reports a string argument passed as a temporal (its cast may give NULL).
func stringTemporal(args []Arg, ps []types.T) bool {
	for i, a := range args {
		if a.Type.IsString() && ps[i].IsTemporal() {
			return true
		}
	}
	return false
}

func fixed1(res types.T, conv func(types.T) (types.T, bool)) resolveFunc {
	return func(r resolver) (Signature, error) { return r.simple(1, 1, res, false, conv) }
}

func strOnly(res types.T) resolveFunc {
	return func(r resolver) (Signature, error) { return r.simple(1, 1, res, false, strArg) }
}

func strN(n int, res types.T) resolveFunc {
	return func(r resolver) (Signature, error) { return r.simple(n, n, res, false, strArg) }
}

func strInt(res types.T) resolveFunc {
	return func(r resolver) (Signature, error) { return r.simple(2, 2, res, false, strArg, intArg) }
}

func dblArg(t types.T) (types.T, bool) {
	if t.IsTemporal() {
		return types.T{}, false
	}
	return tDouble, true
}

// dbl is a DOUBLE function of n DOUBLE arguments; it may give NULL (outside its domain, as
// sqrt(-1) and ln(0) in Doris).
func dbl(n int) resolveFunc {
	return func(r resolver) (Signature, error) { return r.simple(n, n, tDouble, n > 0, dblArg) }
}

func resolveLog(r resolver) (Signature, error) { return r.simple(1, 2, tDouble, true, dblArg) }

func resolveDatePart(r resolver) (Signature, error) {
	res := tTinyInt
	conv := temporalArg
	switch r.canon {
	case "dayofyear":
		res = tSmallInt
	case "hour", "minute", "second":
		conv = dateTimeArg
	}
	return r.simple(1, 1, res, false, conv)
}

func resolveInterval(r resolver) (Signature, error) {
	if err := r.arity(2, 2); err != nil {
		return Signature{}, err
	}
	ps, err := r.params(temporalArg, intArg)
	if err != nil {
		return Signature{}, err
	}
	res := ps[0]
	unit := strings.TrimSuffix(strings.TrimSuffix(r.canon, "s_add"), "s_sub")
	if res.Kind == types.Date && (unit == "hour" || unit == "minute" || unit == "second") {
		res = types.DateTimeOf(0)
		ps[0] = res
	}
	// The result leaves the DATE range for some inputs: NULL, as Doris.
	return Signature{Args: ps, Result: res, Nullable: true}, nil
}

func resolveDiff(r resolver) (Signature, error) {
	return r.simple(2, 2, tBigInt, false, dateTimeArg)
}

func resolveDateDiff(r resolver) (Signature, error) {
	return r.simple(2, 2, tInt, false, temporalArg)
}

func resolveDateTrunc(r resolver) (Signature, error) {
	if err := r.arity(2, 2); err != nil {
		return Signature{}, err
	}
	ps, err := r.params(temporalArg, strArg)
	if err != nil {
		return Signature{}, err
	}
	return Signature{Args: ps, Result: ps[0], Nullable: true}, nil
}

func resolveDateFormat(r resolver) (Signature, error) {
	return r.simple(2, 2, tString, false, temporalArg, strArg)
}

// resolveStrToDate: the result is DATE when the format is a known constant with no time
// specifier, DATETIME(6) when it has %f, DATETIME otherwise. It is NULL when the text does not
// match the format.
func resolveStrToDate(r resolver) (Signature, error) {
	res := types.DateTimeOf(0)
	if len(r.args) == 2 && r.args[1].Const != nil {
		f := *r.args[1].Const
		switch {
		case strings.Contains(f, "%f"):
			res = types.DateTimeOf(6)
		case !strings.ContainsAny(strings.ReplaceAll(f, "%%", ""), "HhIiklprSsT"):
			res = tDate
		}
	}
	return r.simple(2, 2, res, true, strArg)
}

func resolveNow(r resolver) (Signature, error) {
	if r.canon == "current_date" {
		return r.simple(0, 0, tDate, false)
	}
	if err := r.arity(0, 1); err != nil {
		return Signature{}, err
	}
	res := types.DateTimeOf(0)
	ps := []types.T{}
	if len(r.args) == 1 {
		if r.args[0].Const == nil {
			return r.fail("the precision must be a constant")
		}
		n, err := strconv.Atoi(*r.args[0].Const)
		if err != nil || n < 0 || n > types.MaxDateTimeScale {
			return r.fail("precision %s out of range [0, 6]", *r.args[0].Const)
		}
		res, ps = types.DateTimeOf(int32(n)), []types.T{tBigInt}
	}
	return Signature{Args: ps, Result: res}, nil
}

func resolveUnixTimestamp(r resolver) (Signature, error) {
	if len(r.args) == 2 {
		return r.simple(2, 2, tInt, true, strArg)
	}
	return r.simple(0, 1, tInt, false, dateTimeArg)
}

func resolveFromUnixtime(r resolver) (Signature, error) {
	return r.simple(1, 2, tString, true, intArg, strArg)
}

func resolveConcatWs(r resolver) (Signature, error) {
	if err := r.arity(2, -1); err != nil {
		return Signature{}, err
	}
	ps, _ := r.params(strArg)
	// NULL values are skipped; only a NULL separator makes the result NULL.
	return Signature{Args: ps, Result: tString, Nullable: r.args[0].Nullable}, nil
}

func resolveTrim(r resolver) (Signature, error) { return r.simple(1, 2, tString, false, strArg) }

func resolvePad(r resolver) (Signature, error) {
	return r.simple(3, 3, tString, true, strArg, intArg, strArg)
}

func resolveLocate(r resolver) (Signature, error) {
	return r.simple(2, 3, tInt, false, strArg, strArg, intArg)
}

func resolveSplitPart(r resolver) (Signature, error) {
	return r.simple(3, 3, tString, r.canon == "split_part", strArg, strArg, intArg)
}

func resolveRegexpExtract(r resolver) (Signature, error) {
	return r.simple(3, 3, tString, false, strArg, strArg, intArg)
}

func resolveHex(r resolver) (Signature, error) {
	if err := r.arity(1, 1); err != nil {
		return Signature{}, err
	}
	p := tString
	if t := r.args[0].Type; isIntLike(t) || t.Kind == types.Null {
		p = tBigInt
	} else if !t.IsString() {
		return r.fail("expects an integer or a string")
	}
	return Signature{Args: []types.T{param(r.args[0].Type, p)}, Result: tString, Nullable: r.args[0].Nullable}, nil
}

func resolveSpace(r resolver) (Signature, error) { return r.simple(1, 1, tString, false, intArg) }

func resolveNullOrEmpty(r resolver) (Signature, error) {
	if err := r.arity(1, 1); err != nil {
		return Signature{}, err
	}
	return Signature{Args: []types.T{param(r.args[0].Type, tString)}, Result: tBool}, nil
}

// resolveRounding: ceil and floor of a DOUBLE are BIGINT, of a DECIMAL(p,s) DECIMAL(p-s+1, 0)
// (at least 1 digit), of an integer the integer (BIGINT). round and truncate keep a DOUBLE a
// DOUBLE and an integer BIGINT; for DECIMAL(p,s) the scale is min(s, d) when the digits d are a
// constant, s otherwise (the digits below d are then zero), with one more integer digit for round.
func resolveRounding(r resolver) (Signature, error) {
	lo, hi := 1, 2
	if r.canon == "ceil" || r.canon == "floor" {
		hi = 1
	}
	if r.canon == "truncate" {
		lo = 2
	}
	if err := r.arity(lo, hi); err != nil {
		return Signature{}, err
	}
	t := r.args[0].Type
	nullable := anyNullable(r.args) || t.IsString()
	var p, res types.T
	switch arithClass(t) {
	case clsInt:
		p = tBigInt
		if t.Kind == types.LargeInt {
			p = tLargeInt
		}
		res = p
	case clsDouble:
		p, res = tDouble, tDouble
		if r.canon == "ceil" || r.canon == "floor" {
			res = tBigInt
		}
	case clsDecimal:
		p = t
		switch {
		case len(r.args) == 1:
			res = decimalOf(t.Precision-t.Scale+1, 0)
		default:
			s := t.Scale
			if c := r.args[1].Const; c != nil {
				if d, err := strconv.Atoi(*c); err == nil {
					s = max(0, min(s, int32(d)))
				}
			}
			res = decimalOf(t.Precision-t.Scale+s+1, s)
		}
	default:
		return r.fail("expects a number")
	}
	ps := []types.T{p}
	if len(r.args) == 2 {
		if r.args[1].Type.IsTemporal() {
			return r.fail("the digits must be an integer")
		}
		ps = append(ps, tBigInt)
	}
	return Signature{Args: ps, Result: res, Nullable: nullable}, nil
}

func resolveSign(r resolver) (Signature, error) { return r.simple(1, 1, tTinyInt, false, dblArg) }

func resolveGreatest(r resolver) (Signature, error) {
	if err := r.arity(1, -1); err != nil {
		return Signature{}, err
	}
	c := r.args[0].Type
	for _, a := range r.args[1:] {
		var err error
		if c, err = ResultType(c, a.Type); err != nil {
			return r.fail("%v", err)
		}
	}
	c = nonNull(c)
	ps := make([]types.T, len(r.args))
	for i, a := range r.args {
		ps[i] = param(a.Type, c)
	}
	return Signature{Args: ps, Result: c, Nullable: anyNullable(r.args)}, nil
}
