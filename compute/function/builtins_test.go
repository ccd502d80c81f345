package function

import (
	"testing"

	"github.com/doricdb/doric/compute/types"
)

func TestBuiltinSignatures(t *testing.T) {
	two := "2"
	ymd := "%Y-%m-%d"
	cases := []struct {
		name   string
		args   []Arg
		params []types.T
		result types.T
	}{
		{"quarter", args(dt), []types.T{dt}, ti},
		{"hour", args(dt), []types.T{dtm(0)}, ti},
		{"date_add", args(dt, i32), []types.T{dt, i64}, dt},
		{"hours_add", args(dt, i32), []types.T{dtm(0), i64}, dtm(0)},
		{"months_sub", args(dtm(3), i32), []types.T{dtm(3), i64}, dtm(3)},
		{"datediff", args(vc(10), dt), []types.T{dtm(0), dt}, i32},
		{"str_to_date", []Arg{{Type: str}, {Type: str, Const: &ymd}}, []types.T{str, str}, dt},
		{"str_to_date", args(str, str), []types.T{str, str}, dtm(0)},
		{"round", []Arg{{Type: dec(10, 4)}, {Type: ti, Const: &two}}, []types.T{dec(10, 4), i64}, dec(9, 2)},
		{"round", args(dec(10, 4), ti), []types.T{dec(10, 4), i64}, dec(11, 4)},
		{"ceil", args(dec(10, 4)), []types.T{dec(10, 4)}, dec(7, 0)},
		{"floor", args(f64), []types.T{f64}, i64},
		{"sqrt", args(i32), []types.T{f64}, f64},
		{"greatest", args(i32, dec(5, 2)), []types.T{dec(12, 2), dec(12, 2)}, dec(12, 2)},
		{"concat_ws", args(vc(1), str, i32), []types.T{vc(1), str, str}, str},
		{"locate", args(str, vc(3)), []types.T{str, vc(3)}, i32},
		{"lpad", args(str, i32, str), []types.T{str, i64, str}, str},
		{"like", args(str, str, str), []types.T{str, str, str}, b},
	}
	for _, c := range cases {
		sig, err := Resolve(c.name, c.args)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if sig.Result != c.result || len(sig.Args) != len(c.params) {
			t.Fatalf("%s: %+v, want result %s params %v", c.name, sig, c.result, c.params)
		}
		for i := range c.params {
			if sig.Args[i] != c.params[i] {
				t.Fatalf("%s: param %d is %s, want %s", c.name, i, sig.Args[i], c.params[i])
			}
		}
	}
	for _, bad := range []struct {
		name string
		args []Arg
	}{{"year", args(i32)}, {"left", args(str)}, {"datediff", args(f64, dt)}, {"now", args(i32)}} {
		if _, err := Resolve(bad.name, bad.args); err == nil {
			t.Fatalf("%s%v resolved", bad.name, bad.args)
		}
	}
}

func TestSyntaxRewrites(t *testing.T) {
	if f, ok := IntervalFunction("Month", true); !ok || f != "months_sub" {
		t.Fatalf("IntervalFunction(Month, sub) = %q %v", f, ok)
	}
	if _, ok := IntervalFunction("fortnight", false); ok {
		t.Fatal("unknown unit accepted")
	}
	if f, ok := ExtractFunction("QUARTER"); !ok || f != "quarter" {
		t.Fatalf("ExtractFunction(QUARTER) = %q %v", f, ok)
	}
	for _, n := range []string{"IntervalFunction", "days_add", "months_diff", "weekofyear"} {
		_, _, ok := Lookup(n)
		if n == "IntervalFunction" && ok || n != "IntervalFunction" && !ok {
			t.Fatalf("Lookup(%s) = %v", n, ok)
		}
	}
	if c, k, ok := Lookup("NDV"); !ok || c != "approx_count_distinct" || k != Aggregate {
		t.Fatalf("Lookup(NDV) = %s %v %v", c, k, ok)
	}
}

func TestAggregateSignaturesAndIntermediates(t *testing.T) {
	cases := []struct {
		name          string
		args          []Arg
		distinct      bool
		result, state types.T
	}{
		{"sum", args(dec(10, 2)), false, dec(38, 2), dec(38, 2)},
		{"avg", args(dec(10, 2)), false, dec(38, 4), str},
		{"count", args(i32, str), true, i64, str},
		{"count", nil, false, i64, i64},
		{"min", args(vc(3)), false, vc(3), vc(3)},
		{"stddev", args(i32), false, f64, str},
		{"group_concat", args(str, vc(1)), false, str, str},
		{"approx_count_distinct", args(i32), false, i64, str},
		{"percentile_approx", args(dec(5, 1), f64), false, f64, str},
		{"any_value", args(dt), false, dt, dt},
		{"bool_or", args(b), false, b, b},
	}
	for _, c := range cases {
		sig, err := ResolveAggregate(c.name, c.args)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if sig.Result != c.result {
			t.Fatalf("%s: result %s, want %s", c.name, sig.Result, c.result)
		}
		if st := IntermediateType(sig, c.distinct); st != c.state {
			t.Fatalf("%s distinct=%v: intermediate %s, want %s", c.name, c.distinct, st, c.state)
		}
	}
}
