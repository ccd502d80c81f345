package expr_test

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

var (
	tDate  = types.New(types.Date)
	tDT    = types.DateTimeOf(0)
	tBig   = types.New(types.BigInt)
	tInt   = types.New(types.Int)
	tSmall = types.New(types.SmallInt)
	tStr   = types.New(types.String)
	tBool  = types.New(types.Boolean)
)

func strLit(s string) *planpb.Expr {
	return &planpb.Expr{Type: tStr.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Bytes: []byte(s)}}}
}

// evalRandom evaluates e over cols with a random selection and returns the rows evaluated and
// the result.
func evalRandom(t *testing.T, r *rand.Rand, e *planpb.Expr, cols []*vector.Vector) ([]int32, *vector.Vector) {
	t.Helper()
	in := make([]types.T, len(cols))
	for i, c := range cols {
		in[i] = c.Type
	}
	c, err := expr.Compile(e, in)
	if err != nil {
		t.Fatal(err)
	}
	b := vector.NewBatch(cols, cols[0].Len())
	b.Sel = randomSel(r, b.N)
	out, err := c.Eval(b)
	if err != nil {
		t.Fatal(err)
	}
	return b.Rows(nil), out
}

var (
	goMinDay = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400
	goMaxDay = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).Unix() / 86400
)

func randomDays(r *rand.Rand) int64 {
	if r.IntN(2) == 0 { // around the present, where leap rules and week edges are dense
		return 10000 + r.Int64N(20000)
	}
	return goMinDay + r.Int64N(goMaxDay-goMinDay+1)
}

func dateVector(r *rand.Rand, t types.T, n int) *vector.Vector {
	v := vector.New(t, n)
	for i := range n {
		if r.IntN(8) == 0 {
			v.SetNull(i)
			continue
		}
		d := randomDays(r)
		if t.Kind == types.DateTime {
			v.Int64[i] = d*86400_000_000 + r.Int64N(86400_000_000)
		} else {
			v.Int64[i] = d
		}
	}
	return v
}

func goTime(t types.T, x int64) time.Time {
	if t.Kind == types.DateTime {
		return time.UnixMicro(x).UTC()
	}
	return time.Unix(x*86400, 0).UTC()
}

// TestDatePartsReference checks the extractors against Go's calendar (proleptic Gregorian).
func TestDatePartsReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ref := map[string]func(time.Time) int64{
		"year":       func(x time.Time) int64 { return int64(x.Year()) },
		"month":      func(x time.Time) int64 { return int64(x.Month()) },
		"day":        func(x time.Time) int64 { return int64(x.Day()) },
		"quarter":    func(x time.Time) int64 { return int64(x.Month()+2) / 3 },
		"dayofweek":  func(x time.Time) int64 { return int64(x.Weekday()) + 1 },
		"dayofyear":  func(x time.Time) int64 { return int64(x.YearDay()) },
		"weekofyear": func(x time.Time) int64 { _, w := x.ISOWeek(); return int64(w) },
		"week": func(x time.Time) int64 { // mode 0: weeks from the year's first Sunday
			jan1 := time.Date(x.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
			first := jan1.AddDate(0, 0, (7-int(jan1.Weekday()))%7)
			if x.Before(first) {
				return 0
			}
			return int64(x.Sub(first).Hours()/24)/7 + 1
		},
		"hour":   func(x time.Time) int64 { return int64(x.Hour()) },
		"minute": func(x time.Time) int64 { return int64(x.Minute()) },
		"second": func(x time.Time) int64 { return int64(x.Second()) },
	}
	for name, f := range ref {
		for _, at := range []types.T{tDate, tDT} {
			if at.Kind == types.Date && (name == "hour" || name == "minute" || name == "second") {
				continue
			}
			for range 5 {
				n := 1 + r.IntN(300)
				v := dateVector(r, at, n)
				rows, out := evalRandom(t, r, call(name, tSmall, colRef(0, at)), []*vector.Vector{v})
				for _, i := range rows {
					if v.IsNull(int(i)) != out.IsNull(int(i)) {
						t.Fatalf("%s(%s): NULL mismatch at %d", name, at, i)
					}
					if v.IsNull(int(i)) {
						continue
					}
					if want := f(goTime(at, v.Int64[i])); out.Int64[i] != want {
						t.Fatalf("%s(%s %v) = %d, want %d", name, at, goTime(at, v.Int64[i]), out.Int64[i], want)
					}
				}
			}
		}
	}
}

// TestIntervalArithmeticReference checks <unit>s_add against Go's calendar: months clamp the day
// to the target month's length; results outside the DATE range are NULL.
func TestIntervalArithmeticReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, unit := range []string{"year", "quarter", "month", "week", "day", "hour", "minute", "second"} {
		for _, at := range []types.T{tDate, tDT} {
			rt := at
			if at.Kind == types.Date && (unit == "hour" || unit == "minute" || unit == "second") {
				continue
			}
			n := 1 + r.IntN(300)
			v := dateVector(r, at, n)
			nv := vector.New(tBig, n)
			for i := range n {
				nv.Int64[i] = r.Int64N(4000) - 2000
				if r.IntN(10) == 0 {
					nv.Int64[i] *= 5000
				}
			}
			sub := r.IntN(2) == 0
			name := unit + "s_add"
			if sub {
				name = unit + "s_sub"
			}
			rows, out := evalRandom(t, r, call(name, rt, colRef(0, at), colRef(1, tBig)), []*vector.Vector{v, nv})
			for _, i := range rows {
				if v.IsNull(int(i)) {
					if !out.IsNull(int(i)) {
						t.Fatalf("%s(NULL) not NULL", name)
					}
					continue
				}
				x, k := goTime(at, v.Int64[i]), nv.Int64[i]
				if sub {
					k = -k
				}
				var want time.Time
				switch unit {
				case "year", "quarter", "month":
					months := k * map[string]int64{"year": 12, "quarter": 3, "month": 1}[unit]
					first := time.Date(x.Year(), x.Month()+time.Month(months), 1, x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC)
					last := first.AddDate(0, 1, -1).Day()
					want = first.AddDate(0, 0, min(x.Day(), last)-1)
				case "week":
					want = x.AddDate(0, 0, int(7*k))
				case "day":
					want = x.AddDate(0, 0, int(k))
				default:
					us := map[string]int64{"hour": 3600e6, "minute": 60e6, "second": 1e6}[unit]
					want = time.UnixMicro(x.UnixMicro() + k*us).UTC()
				}
				inRange := want.Year() >= 0 && want.Year() <= 9999
				if out.IsNull(int(i)) != !inRange {
					t.Fatalf("%s(%v, %d): NULL=%v, want in range=%v (%v)", name, x, nv.Int64[i], out.IsNull(int(i)), inRange, want)
				}
				if !inRange {
					continue
				}
				if got := goTime(rt, out.Int64[i]); !got.Equal(want) {
					t.Fatalf("%s(%v, %d) = %v, want %v", name, x, nv.Int64[i], got, want)
				}
			}
		}
	}
}

// TestDateFormatParseRoundTrip formats DATETIMEs with date_format, compares with Go's layout,
// and parses them back with str_to_date.
func TestDateFormatParseRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n := 500
	v := dateVector(r, tDT, n)
	for i := range n { // four-digit years: the format pads to four
		if !v.IsNull(i) && goTime(tDT, v.Int64[i]).Year() < 1000 {
			v.Int64[i] += 1000 * 366 * 86400_000_000
		}
	}
	const f = "%Y-%m-%d %H:%i:%s.%f %W %b %p %j"
	rows, out := evalRandom(t, r, call("date_format", tStr, colRef(0, tDT), strLit(f)), []*vector.Vector{v})
	formatted := map[int32]bool{}
	for _, i := range rows {
		formatted[i] = true
		if v.IsNull(int(i)) {
			continue
		}
		want := goTime(tDT, v.Int64[i]).Format("2006-01-02 15:04:05.000000 Monday Jan PM 002")
		if got := string(out.Bytes[i]); got != want {
			t.Fatalf("date_format = %q, want %q", got, want)
		}
	}
	back := call("str_to_date", types.DateTimeOf(6), colRef(0, tStr), strLit(f))
	rows, parsed := evalRandom(t, r, back, []*vector.Vector{out})
	for _, i := range rows {
		if v.IsNull(int(i)) || !formatted[i] {
			continue
		}
		if parsed.IsNull(int(i)) || parsed.Int64[i] != v.Int64[i] {
			t.Fatalf("str_to_date(%q) = %v, want %d", out.Bytes[i], parsed.Format(int(i)), v.Int64[i])
		}
	}
}

// randomText returns a short string mixing ASCII and multi-byte characters.
func randomText(r *rand.Rand) string {
	alphabet := []rune("ab,c é中-😀 ")
	n := r.IntN(8)
	var sb strings.Builder
	for range n {
		sb.WriteRune(alphabet[r.IntN(len(alphabet))])
	}
	return sb.String()
}

func textVector(r *rand.Rand, n int) *vector.Vector {
	v := vector.New(tStr, n)
	for i := range n {
		if r.IntN(10) == 0 {
			v.SetNull(i)
			continue
		}
		v.Bytes[i] = []byte(randomText(r))
	}
	return v
}

func intVector(r *rand.Rand, n int, lo, hi int64) *vector.Vector {
	v := vector.New(tBig, n)
	for i := range n {
		v.Int64[i] = lo + r.Int64N(hi-lo+1)
	}
	return v
}

// TestStringFunctionsReference checks character-based string functions against rune-slice
// reference implementations.
func TestStringFunctionsReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	runes := func(s []byte) []rune { return []rune(string(s)) }
	type strCase struct {
		name  string
		res   types.T
		ints  int // how many integer arguments follow the string arguments
		strs  int
		check func(s [][]byte, n []int64) (string, bool) // want, non-NULL
	}
	cases := []strCase{
		{"left", tStr, 1, 1, func(s [][]byte, n []int64) (string, bool) {
			rs := runes(s[0])
			return string(rs[:max(0, min(int64(len(rs)), n[0]))]), true
		}},
		{"right", tStr, 1, 1, func(s [][]byte, n []int64) (string, bool) {
			rs := runes(s[0])
			k := max(0, min(int64(len(rs)), n[0]))
			return string(rs[int64(len(rs))-k:]), true
		}},
		{"char_length", tInt, 0, 1, func(s [][]byte, _ []int64) (string, bool) {
			return fmt.Sprint(utf8.RuneCount(s[0])), true
		}},
		{"reverse", tStr, 0, 1, func(s [][]byte, _ []int64) (string, bool) {
			rs := runes(s[0])
			for a, b := 0, len(rs)-1; a < b; a, b = a+1, b-1 {
				rs[a], rs[b] = rs[b], rs[a]
			}
			return string(rs), true
		}},
		{"instr", tInt, 0, 2, func(s [][]byte, _ []int64) (string, bool) {
			k := strings.Index(string(s[0]), string(s[1]))
			if k < 0 {
				return "0", true
			}
			return fmt.Sprint(utf8.RuneCountInString(string(s[0][:k])) + 1), true
		}},
		{"replace", tStr, 0, 3, func(s [][]byte, _ []int64) (string, bool) {
			if len(s[1]) == 0 {
				return string(s[0]), true
			}
			return strings.ReplaceAll(string(s[0]), string(s[1]), string(s[2])), true
		}},
		{"lpad", tStr, 1, 1, nil}, // checked below with a pad argument
		{"split_part", tStr, 0, 0, nil},
	}
	for _, c := range cases {
		if c.check == nil {
			continue
		}
		for range 5 {
			n := 1 + r.IntN(200)
			var cols []*vector.Vector
			var args []*planpb.Expr
			for k := range c.strs {
				cols = append(cols, textVector(r, n))
				args = append(args, colRef(k, tStr))
			}
			for k := range c.ints {
				cols = append(cols, intVector(r, n, -3, 10))
				args = append(args, colRef(c.strs+k, tBig))
			}
			rows, out := evalRandom(t, r, call(c.name, c.res, args...), cols)
			for _, i := range rows {
				anyNull := false
				var ss [][]byte
				var ns []int64
				for k, col := range cols {
					anyNull = anyNull || col.IsNull(int(i))
					if k < c.strs {
						ss = append(ss, col.Bytes[i])
					} else {
						ns = append(ns, col.Int64[i])
					}
				}
				if anyNull {
					if !out.IsNull(int(i)) {
						t.Fatalf("%s with a NULL argument is not NULL", c.name)
					}
					continue
				}
				want, _ := c.check(ss, ns)
				if got := out.Format(int(i)); got != want {
					t.Fatalf("%s(%q, %v) = %q, want %q", c.name, ss, ns, got, want)
				}
			}
		}
	}
	// lpad/rpad: the result has exactly n characters (n >= 0), ends (starts) with the string cut
	// to n characters, and the rest is the pad repeated.
	for range 200 {
		s, pad := randomText(r), randomText(r)
		n := r.Int64N(12) - 1
		for _, name := range []string{"lpad", "rpad"} {
			v := vector.New(tStr, 1)
			v.Bytes[0] = []byte(s)
			_, out := evalRandom(t, rand.New(rand.NewPCG(0, 0)), call(name, tStr, colRef(0, tStr), &planpb.Expr{Type: tBig.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Int64: n}}}, strLit(pad)), []*vector.Vector{v})
			if n < 0 {
				if !out.IsNull(0) {
					t.Fatalf("%s(%q, %d) not NULL", name, s, n)
				}
				continue
			}
			rs, ps := []rune(s), []rune(pad)
			var want []rune
			switch {
			case int64(len(rs)) >= n:
				want = rs[:n]
			case len(ps) == 0:
				want = nil
			default:
				var fill []rune
				for int64(len(fill)+len(rs)) < n {
					fill = append(fill, ps[len(fill)%len(ps)])
				}
				if name == "lpad" {
					want = append(fill, rs...)
				} else {
					want = append(append([]rune{}, rs...), fill...)
				}
			}
			if got := string(out.Bytes[0]); got != string(want) {
				t.Fatalf("%s(%q, %d, %q) = %q, want %q", name, s, n, pad, got, string(want))
			}
		}
	}
	// split_part against strings.Split.
	for range 300 {
		s := randomText(r)
		k := r.Int64N(9) - 4
		v := vector.New(tStr, 1)
		v.Bytes[0] = []byte(s)
		_, out := evalRandom(t, rand.New(rand.NewPCG(0, 0)), call("split_part", tStr, colRef(0, tStr), strLit(","), &planpb.Expr{Type: tBig.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Int64: k}}}), []*vector.Vector{v})
		parts := strings.Split(s, ",")
		idx := k
		if k < 0 {
			idx = int64(len(parts)) + k + 1
		}
		if k == 0 || idx < 1 || idx > int64(len(parts)) {
			if !out.IsNull(0) {
				t.Fatalf("split_part(%q, ',', %d) = %q, want NULL", s, k, out.Bytes[0])
			}
			continue
		}
		if got := string(out.Bytes[0]); got != parts[idx-1] {
			t.Fatalf("split_part(%q, ',', %d) = %q, want %q", s, k, got, parts[idx-1])
		}
	}
}

// TestDecimalRoundingExact checks round/truncate/ceil/floor of DECIMALs against big.Rat.
func TestDecimalRoundingExact(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 40 {
		p := int32(1 + r.IntN(38))
		s := int32(r.IntN(int(p) + 1))
		at := types.DecimalOf(p, s)
		d := int64(r.IntN(int(s)+3)) - 2
		rs := max(0, min(s, int32(d)))
		for _, name := range []string{"round", "truncate", "ceil", "floor"} {
			dd, rst := d, types.DecimalOf(min(38, p-s+rs+1), rs)
			if name == "ceil" || name == "floor" {
				dd, rst = 0, types.DecimalOf(min(38, p-s+1), 0)
			}
			n := 1 + r.IntN(100)
			v := decimalVector(r, at, n)
			args := []*planpb.Expr{colRef(0, at)}
			if name == "round" || name == "truncate" {
				args = append(args, &planpb.Expr{Type: tBig.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Int64: dd}}})
			}
			rows, out := evalRandom(t, r, call(name, rst, args...), []*vector.Vector{v})
			for _, i := range rows {
				if v.IsNull(int(i)) {
					continue
				}
				x := ratOf(v, int(i))
				// Reference: scale x by 10^dd, round to an integer by the mode, scale back.
				m := new(big.Rat).SetFrac(big.NewInt(1), big.NewInt(1))
				pw := new(big.Int).Exp(big.NewInt(10), big.NewInt(abs(dd)), nil)
				if dd >= 0 {
					m.SetInt(pw)
				} else {
					m.SetFrac(big.NewInt(1), pw)
				}
				y := new(big.Rat).Mul(x, m)
				var q *big.Int
				switch name {
				case "round":
					q = roundRat(y, 0)
				case "truncate":
					q = new(big.Int).Quo(y.Num(), y.Denom())
				case "ceil", "floor":
					q, _ = new(big.Int).DivMod(y.Num(), y.Denom(), new(big.Int)) // floor
					if name == "ceil" && !y.IsInt() {
						q.Add(q, big.NewInt(1))
					}
				}
				want := new(big.Rat).Quo(new(big.Rat).SetInt(q), m)
				got := ratOf(out, int(i))
				if got.Cmp(want) != 0 {
					t.Fatalf("%s(%s as %s, %d) = %s, want %s", name, x.FloatString(int(s)), at, dd, got.FloatString(int(rst.Scale)), want.FloatString(int(rst.Scale)))
				}
			}
		}
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestNowIsOnePerQuery: expressions compiled with one Env see one time.
func TestNowIsOnePerQuery(t *testing.T) {
	env := expr.Env{Now: time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)}
	for _, c := range []struct {
		typ  types.T
		name string
		want string
	}{
		{types.DateTimeOf(0), "now", "2024-05-06 07:08:09"},
		{types.DateTimeOf(3), "now", "2024-05-06 07:08:09.123"},
		{tDate, "current_date", "2024-05-06"},
		{tInt, "unix_timestamp", fmt.Sprint(env.Now.Unix())},
	} {
		e, err := expr.CompileEnv(call(c.name, c.typ), nil, env)
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.Eval(&vector.Batch{N: 3})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if got := v.Format(i); got != c.want {
				t.Fatalf("%s() as %s = %q, want %q", c.name, c.typ, got, c.want)
			}
		}
	}
	// In another time zone the wall clock moves.
	env.Location = time.FixedZone("UTC+8", 8*3600)
	e, err := expr.CompileEnv(call("now", types.DateTimeOf(0)), nil, env)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := e.Eval(&vector.Batch{N: 1})
	if got := v.Format(0); got != "2024-05-06 15:08:09" {
		t.Fatalf("now() at UTC+8 = %s", got)
	}
}
