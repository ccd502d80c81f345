package function

import (
	"errors"
	"strings"
	"testing"

	"github.com/doricdb/doric/compute/types"
)

var (
	ti   = types.New(types.TinyInt)
	si   = types.New(types.SmallInt)
	i32  = types.New(types.Int)
	i64  = types.New(types.BigInt)
	i128 = types.New(types.LargeInt)
	b    = types.New(types.Boolean)
	f32  = types.New(types.Float)
	f64  = types.New(types.Double)
	dt   = types.New(types.Date)
	str  = types.New(types.String)
	nul  = types.New(types.Null)
	vc   = types.VarcharOf
	dec  = types.DecimalOf
	dtm  = types.DateTimeOf
)

func args(ts ...types.T) []Arg {
	out := make([]Arg, len(ts))
	for i, t := range ts {
		out[i] = Arg{Type: t}
	}
	return out
}

func TestResolveScalar(t *testing.T) {
	cases := []struct {
		name     string
		in       []types.T
		params   []types.T
		result   types.T
		nullable bool
	}{
		// Integer arithmetic widens to BIGINT, LARGEINT stays LARGEINT.
		{"add", []types.T{ti, si}, []types.T{i64, i64}, i64, false},
		{"subtract", []types.T{i32, i64}, []types.T{i64, i64}, i64, false},
		{"multiply", []types.T{i32, i128}, []types.T{i128, i128}, i128, false},
		{"add", []types.T{b, i32}, []types.T{i64, i64}, i64, false},
		// Division of integers is DOUBLE; DIV is BIGINT; both may be NULL (division by zero).
		{"divide", []types.T{i32, i32}, []types.T{f64, f64}, f64, true},
		{"int_divide", []types.T{i32, ti}, []types.T{i64, i64}, i64, true},
		{"mod", []types.T{i32, ti}, []types.T{i64, i64}, i64, true},
		// Any floating operand makes DOUBLE; strings are numbers as DOUBLE.
		{"add", []types.T{f32, i32}, []types.T{f64, f64}, f64, false},
		{"multiply", []types.T{dec(10, 2), f64}, []types.T{f64, f64}, f64, false},
		{"add", []types.T{vc(3), i32}, []types.T{f64, f64}, f64, true},
		// Decimal rules.
		{"add", []types.T{dec(10, 2), dec(5, 4)}, []types.T{dec(10, 2), dec(5, 4)}, dec(13, 4), false},
		{"subtract", []types.T{dec(10, 2), i64}, []types.T{dec(10, 2), dec(19, 0)}, dec(22, 2), false},
		{"add", []types.T{dec(10, 2), i32}, []types.T{dec(10, 2), dec(10, 0)}, dec(13, 2), false},
		{"add", []types.T{ti, dec(4, 1)}, []types.T{dec(3, 0), dec(4, 1)}, dec(5, 1), false},
		{"multiply", []types.T{dec(10, 2), dec(5, 4)}, []types.T{dec(10, 2), dec(5, 4)}, dec(15, 6), false},
		{"divide", []types.T{dec(10, 2), dec(5, 4)}, []types.T{dec(10, 2), dec(5, 4)}, dec(18, 6), true},
		{"mod", []types.T{dec(10, 2), dec(5, 4)}, []types.T{dec(10, 2), dec(5, 4)}, dec(13, 4), true},
		// Precision is capped at 38, scale kept.
		{"add", []types.T{dec(38, 10), dec(38, 10)}, []types.T{dec(38, 10), dec(38, 10)}, dec(38, 10), false},
		{"multiply", []types.T{dec(30, 2), dec(20, 3)}, []types.T{dec(30, 2), dec(20, 3)}, dec(38, 5), false},
		{"add", []types.T{i128, dec(2, 1)}, []types.T{dec(38, 0), dec(2, 1)}, dec(38, 1), false},
		{"negate", []types.T{ti}, []types.T{i64}, i64, false},
		{"negate", []types.T{dec(5, 2)}, []types.T{dec(5, 2)}, dec(5, 2), false},
		{"abs", []types.T{f32}, []types.T{f64}, f64, false},
		// Comparisons.
		{"eq", []types.T{i32, ti}, []types.T{i32, i32}, b, false},
		{"lt", []types.T{i32, dec(5, 2)}, []types.T{dec(12, 2), dec(12, 2)}, b, false},
		{"ge", []types.T{dec(5, 2), f64}, []types.T{f64, f64}, b, false},
		{"ne", []types.T{vc(10), dt}, []types.T{dt, dt}, b, false},
		{"gt", []types.T{dtm(3), vc(10)}, []types.T{dtm(3), dtm(3)}, b, false},
		{"le", []types.T{dt, dtm(0)}, []types.T{dtm(0), dtm(0)}, b, false},
		{"eq", []types.T{vc(10), i32}, []types.T{f64, f64}, b, false},
		{"eq", []types.T{vc(10), types.CharOf(3)}, []types.T{vc(10), types.CharOf(3)}, b, false},
		{"eq", []types.T{nul, i32}, []types.T{i32, i32}, b, false},
		{"eq", []types.T{nul, nul}, []types.T{b, b}, b, false},
		{"in", []types.T{ti, i32, dec(3, 1)}, []types.T{dec(11, 1), dec(11, 1), dec(11, 1)}, b, false},
		{"not_in", []types.T{vc(3), vc(1), str}, []types.T{vc(3), vc(1), str}, b, false},
		{"and", []types.T{b, i32}, []types.T{b, b}, b, false},
		{"not", []types.T{nul}, []types.T{b}, b, false},
		{"is_null", []types.T{dec(5, 2)}, []types.T{dec(5, 2)}, b, false},
		{"like", []types.T{vc(5), i32}, []types.T{vc(5), str}, b, false},
		// case: when1, then1, ..., else.
		{"case", []types.T{b, ti, b, dec(5, 2), f32}, []types.T{b, f64, b, f64, f64}, f64, false},
		{"case", []types.T{b, vc(3), b, vc(7)}, []types.T{b, vc(3), b, vc(7)}, vc(7), true},
		{"case", []types.T{b, nul, i32}, []types.T{b, i32, i32}, i32, false},
		{"if", []types.T{b, ti, i64}, []types.T{b, i64, i64}, i64, false},
		{"if", []types.T{b, i32, vc(2)}, []types.T{b, str, vc(2)}, str, false},
		{"ifnull", []types.T{dt, dtm(2)}, []types.T{dtm(2), dtm(2)}, dtm(2), false},
		{"nvl", []types.T{i32, i32}, []types.T{i32, i32}, i32, false},
		{"coalesce", []types.T{nul, ti, si}, []types.T{si, si, si}, si, false},
		{"nullif", []types.T{i32, ti}, []types.T{i32, i32}, i32, true},
		{"concat", []types.T{vc(3), i32, types.CharOf(2)}, []types.T{vc(3), str, types.CharOf(2)}, str, false},
		{"UPPER", []types.T{vc(3)}, []types.T{vc(3)}, vc(3), false},
		{"lcase", []types.T{i32}, []types.T{str}, str, false},
		{"length", []types.T{types.CharOf(3)}, []types.T{types.CharOf(3)}, i32, false},
		{"substr", []types.T{vc(9), ti, i64}, []types.T{vc(9), i32, i32}, vc(9), false},
		{"year", []types.T{dt}, []types.T{dt}, si, false},
		{"month", []types.T{dtm(6)}, []types.T{dtm(6)}, ti, false},
		{"dayofmonth", []types.T{vc(10)}, []types.T{dtm(0)}, ti, true},
	}
	for _, c := range cases {
		sig, err := Resolve(c.name, args(c.in...))
		if err != nil {
			t.Errorf("%s%v: %v", c.name, c.in, err)
			continue
		}
		canon, _, _ := Lookup(c.name)
		if sig.Name != canon || sig.Result != c.result || sig.Nullable != c.nullable || !equalTypes(sig.Args, c.params) {
			t.Errorf("%s%v = %s%v -> %v nullable=%v; want %v -> %v nullable=%v",
				c.name, c.in, sig.Name, sig.Args, sig.Result, sig.Nullable, c.params, c.result, c.nullable)
		}
	}
}

func equalTypes(a, b []types.T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNullability(t *testing.T) {
	n := func(tt types.T) Arg { return Arg{Type: tt, Nullable: true} }
	nn := func(tt types.T) Arg { return Arg{Type: tt} }
	cases := []struct {
		name string
		args []Arg
		want bool
	}{
		{"add", []Arg{n(i32), nn(i32)}, true},
		{"add", []Arg{nn(i32), nn(i32)}, false},
		{"eq_for_null", []Arg{n(i32), n(i32)}, false},
		{"is_not_null", []Arg{n(i32)}, false},
		{"ifnull", []Arg{n(i32), nn(i32)}, false},
		{"ifnull", []Arg{n(i32), n(i32)}, true},
		{"coalesce", []Arg{n(i32), n(i32), nn(ti)}, false},
		{"case", []Arg{nn(b), nn(i32), nn(i32)}, false},
		{"case", []Arg{n(b), nn(i32), n(i32)}, true},
		{"if", []Arg{n(b), nn(i32), nn(i32)}, false},
	}
	for _, c := range cases {
		sig, err := Resolve(c.name, c.args)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if sig.Nullable != c.want {
			t.Errorf("%s%v nullable = %v, want %v", c.name, c.args, sig.Nullable, c.want)
		}
	}
}

func TestResolveAggregate(t *testing.T) {
	cases := []struct {
		name   string
		in     []types.T
		params []types.T
		result types.T
	}{
		{"count", nil, []types.T{}, i64},
		{"COUNT", []types.T{vc(3)}, []types.T{vc(3)}, i64},
		{"sum", []types.T{ti}, []types.T{i64}, i64},
		{"sum", []types.T{i128}, []types.T{i128}, i128},
		{"sum", []types.T{dec(10, 2)}, []types.T{dec(10, 2)}, dec(38, 2)},
		{"sum", []types.T{f32}, []types.T{f64}, f64},
		{"avg", []types.T{i32}, []types.T{i64}, f64},
		{"avg", []types.T{dec(10, 2)}, []types.T{dec(10, 2)}, dec(38, 4)},
		{"avg", []types.T{dec(10, 6)}, []types.T{dec(10, 6)}, dec(38, 6)},
		{"avg", []types.T{f64}, []types.T{f64}, f64},
		{"min", []types.T{vc(7)}, []types.T{vc(7)}, vc(7)},
		{"max", []types.T{dtm(3)}, []types.T{dtm(3)}, dtm(3)},
	}
	for _, c := range cases {
		sig, err := ResolveAggregate(c.name, args(c.in...))
		if err != nil {
			t.Errorf("%s%v: %v", c.name, c.in, err)
			continue
		}
		if sig.Result != c.result || !equalTypes(sig.Args, c.params) {
			t.Errorf("%s%v = %v -> %v; want %v -> %v", c.name, c.in, sig.Args, sig.Result, c.params, c.result)
		}
		if sig.Nullable != (sig.Name != "count") {
			t.Errorf("%s nullable = %v", c.name, sig.Nullable)
		}
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name    string
		in      []types.T
		agg     bool
		unknown bool
		msg     string
	}{
		{"nosuch", []types.T{i32}, false, true, "Can not found function 'nosuch'"},
		{"sum", []types.T{i32}, false, true, "Can not found function 'sum'"},
		{"upper", []types.T{i32}, true, true, "Can not found function 'upper'"},
		{"add", []types.T{dt, i32}, false, false, "function add(date, int): expects numbers"},
		{"eq", []types.T{dt, i32}, false, false, "cannot compare date with int"},
		{"add", []types.T{i32}, false, false, "expects 2 arguments, got 1"},
		{"substring", []types.T{str}, false, false, "expects 2 to 3 arguments, got 1"},
		{"coalesce", nil, false, false, "expects at least 1 arguments, got 0"},
		{"year", []types.T{i32}, false, false, "expects a date or datetime"},
		{"sum", []types.T{dt}, true, false, "expects a number"},
		{"if", []types.T{b, dt, i32}, false, false, "incompatible types date and int"},
	}
	for _, c := range cases {
		var err error
		if c.agg {
			_, err = ResolveAggregate(c.name, args(c.in...))
		} else {
			_, err = Resolve(c.name, args(c.in...))
		}
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("%s%v: got %v, want *Error", c.name, c.in, err)
			continue
		}
		if fe.Unknown != c.unknown || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s%v: got %q (unknown=%v), want %q (unknown=%v)", c.name, c.in, err, fe.Unknown, c.msg, c.unknown)
		}
	}
}

func TestCast(t *testing.T) {
	cases := []struct {
		from, to types.T
		ok       bool
		mayFail  bool
	}{
		{ti, i32, true, false},
		{i64, ti, true, true},
		{i32, dec(10, 0), true, false},
		{i32, dec(9, 0), true, true},
		{dec(5, 2), dec(10, 2), true, false},
		{dec(5, 2), dec(4, 2), true, true},
		{vc(5), i32, true, true},
		{i32, str, true, false},
		{dt, dtm(0), true, false},
		{dtm(0), dt, true, true},
		{i32, dt, true, true},
		{f64, dt, false, false},
		{b, dt, false, false},
		{dt, b, false, false},
		{dt, i32, true, true},
		{i32, nul, false, false},
		{i32, dec(40, 0), false, false},
		{nul, dtm(6), true, false},
	}
	for _, c := range cases {
		sig, err := ResolveCast(Arg{Type: c.from}, c.to)
		if (err == nil) != c.ok {
			t.Errorf("cast %v as %v: err = %v, want ok=%v", c.from, c.to, err, c.ok)
			continue
		}
		if err == nil && (sig.Result != c.to || sig.Nullable != c.mayFail || sig.Name != "cast") {
			t.Errorf("cast %v as %v = %+v, want nullable=%v", c.from, c.to, sig, c.mayFail)
		}
	}
}

func TestLookup(t *testing.T) {
	for alias, canon := range map[string]string{"SUBSTR": "substring", "ucase": "upper", "NVL": "ifnull", "DayOfMonth": "day", "Count": "count"} {
		got, _, ok := Lookup(alias)
		if !ok || got != canon {
			t.Errorf("Lookup(%q) = %q, %v; want %q", alias, got, ok, canon)
		}
	}
	if !IsAggregate("SUM") || IsAggregate("abs") || IsAggregate("nosuch") {
		t.Error("IsAggregate misclassifies")
	}
}
