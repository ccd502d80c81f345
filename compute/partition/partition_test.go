package partition

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

var (
	tInt      = types.New(types.Int)
	tTiny     = types.New(types.TinyInt)
	tDate     = types.New(types.Date)
	tDateTime = types.DateTimeOf(0)
	tVarchar  = types.VarcharOf(10)
)

func str(s string) *string { return &s }

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		t       types.T
		in, out string
	}{
		{tInt, " 0010", "10"},
		{tInt, "+5", "5"},
		{tInt, "-2147483648", "-2147483648"},
		{tInt, "2147483648", "error: Number out of range[2147483648]. type: INT"},
		{tTiny, "abc", "error: Invalid number format: abc"},
		{types.New(types.LargeInt), "-170141183460469231731687303715884105728", "-170141183460469231731687303715884105728"},
		{tDate, "2024-1-2", "2024-01-02"},
		{tDate, "20240102", "2024-01-02"},
		{tDate, "2024-02-30", "error: date literal [2024-02-30] is invalid"},
		{tDateTime, "2024-01-02", "2024-01-02 00:00:00"},
		{tDateTime, "2024-01-02 10:11:12.6", "2024-01-02 10:11:13"},
		{types.DateTimeOf(3), "2024-01-02 10:11:12.5", "2024-01-02 10:11:12.500"},
		{types.New(types.Boolean), "TRUE", "true"},
		{types.New(types.Boolean), "0", "false"},
		{tVarchar, "beijing", "beijing"},
		{tVarchar, "a very long value", "error: partition value 'a very long value' is longer than varchar(10)"},
		{types.New(types.Double), "1", "error: type DOUBLE cannot be a partition key"},
	} {
		got, err := Normalize(c.t, c.in)
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != c.out {
			t.Errorf("Normalize(%s, %q) = %q, want %q", c.t, c.in, got, c.out)
		}
	}
}

// lessThan adds LESS THAN partitions in order, as CREATE TABLE does, and returns the bounds or
// the first error.
func lessThan(s Spec, uppers ...string) ([]*Bounds, error) {
	var out []*Bounds
	for _, u := range uppers {
		var vals []*string
		if u != "MAXVALUE" {
			for _, v := range strings.Split(u, ",") {
				vals = append(vals, str(v))
			}
		}
		k, err := s.BoundKey(vals)
		if err != nil {
			return nil, err
		}
		if u == "MAXVALUE" {
			k = s.MaxKey()
		}
		b, err := s.LessThan(out, k)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func TestLessThanAsDoris(t *testing.T) {
	s := Spec{Kind: Range, Types: []types.T{tInt}}
	bs, err := lessThan(s, "10", "20", "MAXVALUE")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range bs {
		got = append(got, s.RangeString(b))
	}
	want := "[types: [INT]; keys: [-2147483648]; ..types: [INT]; keys: [10]; )|" +
		"[types: [INT]; keys: [10]; ..types: [INT]; keys: [20]; )|" +
		"[types: [INT]; keys: [20]; ..types: [INT]; keys: [MAXVALUE]; )"
	if strings.Join(got, "|") != want {
		t.Fatalf("ranges:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	// Out of order, as Doris: 20 then 10 gives [MIN, 10) inside [MIN, 20).
	if _, err := lessThan(s, "20", "10"); err == nil || !strings.Contains(err.Error(), "is intersected with range") {
		t.Fatalf("20 then 10: %v", err)
	}
	// A gap left by a fixed range is filled from the range below it.
	l20, _ := s.BoundKey([]*string{str("20")})
	l30, _ := s.BoundKey([]*string{str("30")})
	u10, _ := s.BoundKey([]*string{str("10")})
	below, err := s.LessThan([]*Bounds{{Lower: l20, Upper: l30}}, u10)
	if err != nil || below.Lower[0].Text != "-2147483648" || below.Upper[0].Text != "10" {
		t.Fatalf("LESS THAN 10 below [20, 30): %+v %v", below, err)
	}
	if _, err := lessThan(s, "10", "10"); err == nil || !strings.Contains(err.Error(), "is intersected with range") {
		t.Fatalf("10 twice: %v", err)
	}
	if _, err := lessThan(s, "-2147483648"); err == nil || !strings.Contains(err.Error(), "should not be MIN VALUE") {
		t.Fatalf("MIN: %v", err)
	}
	// Fixed ranges.
	fixed := func(lo, hi string) *Bounds {
		l, _ := s.BoundKey([]*string{str(lo)})
		h, _ := s.BoundKey([]*string{str(hi)})
		return &Bounds{Lower: l, Upper: h}
	}
	existing := []*Bounds{fixed("0", "10"), fixed("20", "30")}
	for _, c := range []struct {
		lo, hi, err string
	}{
		{"10", "20", ""},
		{"5", "15", "is intersected with range"},
		{"25", "40", "is intersected with range"},
		{"15", "15", "Invalid range value format： The lower values must smaller than upper values"},
		{"30", "31", ""},
	} {
		err := s.Check(existing, fixed(c.lo, c.hi))
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("[%s, %s): %v, want %q", c.lo, c.hi, err, c.err)
		}
	}
	// Multi-column: missing values are the minimum.
	m := Spec{Kind: Range, Types: []types.T{tDate, tInt}}
	bs, err = lessThan(m, "2024-01-01,5", "2024-02-01")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.RangeString(bs[1]); got != "[types: [DATEV2, INT]; keys: [2024-01-01, 5]; ..types: [DATEV2, INT]; keys: [2024-02-01, -2147483648]; )" {
		t.Fatalf("multi-column range %s", got)
	}
}

func TestListChecks(t *testing.T) {
	s := Spec{Kind: List, Types: []types.T{tVarchar}}
	key := func(vs ...string) Key {
		var ps []*string
		for _, v := range vs {
			if v == "NULL" {
				ps = append(ps, nil)
			} else {
				ps = append(ps, str(v))
			}
		}
		k, err := s.ListKey(ps)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	p1 := &Bounds{In: []Key{key("a"), key("b")}}
	if err := s.Check(nil, p1); err != nil {
		t.Fatal(err)
	}
	err := s.Check([]*Bounds{p1}, &Bounds{In: []Key{key("c"), key("b")}})
	if err == nil || err.Error() != `Invalid list value format： The partition key[("b")] in partition item[VALUES IN ("c","b")] is conflict with current partitionKeys[("a","b")]` {
		t.Fatalf("conflict: %v", err)
	}
	err = s.Check(nil, &Bounds{In: []Key{key("c"), key("c")}})
	if err == nil || err.Error() != `Invalid list value format： The partition key[VALUES IN ("c","c")] has duplicate item [("c")].` {
		t.Fatalf("duplicate: %v", err)
	}
	if err := s.Check([]*Bounds{p1}, &Bounds{In: []Key{key("NULL")}}); err != nil {
		t.Fatal(err)
	}
	if got := s.RangeString(p1); got != "[types: [VARCHAR]; keys: [a]; , types: [VARCHAR]; keys: [b]; ]" {
		t.Fatalf("list range string %s", got)
	}
	if _, err := s.ListKey([]*string{str("a"), str("b")}); err == nil {
		t.Fatal("two values for one column")
	}
}

// randomRanges cuts [-40, 40] into consecutive ranges with random gaps, the first possibly open
// below and the last possibly open above.
func randomRanges(r *rand.Rand, s Spec) []*Bounds {
	var out []*Bounds
	at := -40
	for at < 40 {
		lo := at + r.IntN(3)
		hi := lo + 1 + r.IntN(15)
		if hi > 40 {
			hi = 40
		}
		if lo >= hi {
			break
		}
		lk, _ := s.BoundKey([]*string{str(fmt.Sprint(lo))})
		hk, _ := s.BoundKey([]*string{str(fmt.Sprint(hi))})
		out = append(out, &Bounds{Lower: lk, Upper: hk})
		at = hi
	}
	if len(out) > 0 && r.IntN(2) == 0 {
		out[0].Lower = s.MinKey()
	}
	if len(out) > 0 && r.IntN(2) == 0 {
		out[len(out)-1].Upper = s.MaxKey()
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// contains is the definition a router must agree with (x nil: NULL).
func contains(s Spec, b *Bounds, x *int64) bool {
	lo, _ := s.decodeKey(b.Lower)
	hi, _ := s.decodeKey(b.Upper)
	if x == nil {
		return s.isMin(lo)
	}
	v := tuple{{i: *x}}
	return (s.isMin(lo) || s.compareTuples(lo, v) <= 0) && s.compareTuples(v, hi) < 0
}

func TestRouterMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, uint64(rand.Int64())))
	for _, typ := range []types.T{tInt, types.New(types.BigInt)} {
		s := Spec{Kind: Range, Types: []types.T{typ}}
		for iter := 0; iter < 200; iter++ {
			bs := randomRanges(r, s)
			rt, err := NewRouter(s, bs)
			if err != nil {
				t.Fatal(err)
			}
			n := 1 + r.IntN(64)
			v := vector.New(typ, n)
			for i := range n {
				v.Int64[i] = int64(r.IntN(101) - 50)
				if r.IntN(10) == 0 {
					v.SetNull(i)
				}
			}
			out := make([]int32, n)
			rt.Route([]*vector.Vector{v}, n, out)
			for i := range n {
				var x *int64
				if !v.IsNull(i) {
					x = &v.Int64[i]
				}
				want := int32(-1)
				for p, b := range bs {
					if contains(s, b, x) {
						want = int32(p)
					}
				}
				if out[i] != want {
					t.Fatalf("row %s: partition %d, want %d (ranges %v)", v.Format(i), out[i], want, bs)
				}
				vals := []Value{{Text: v.Format(i), Null: v.IsNull(i)}}
				if got, err := rt.Locate(vals); err != nil || int32(got) != want {
					t.Fatalf("Locate(%s) = %d %v, want %d", v.Format(i), got, err, want)
				}
			}
		}
	}
}

func TestRouterMultiColumnAndList(t *testing.T) {
	s := Spec{Kind: Range, Types: []types.T{tDate, tVarchar}}
	bs, err := lessThan(s, "2024-01-01,m", "2024-02-01")
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := NewRouter(s, bs)
	d := func(text string) int64 { x, _ := types.ParseDate(text); return x }
	dates := vector.New(tDate, 5)
	strs := vector.New(tVarchar, 5)
	rows := []struct {
		d, s string
		want int32
	}{{"2023-12-31", "z", 0}, {"2024-01-01", "a", 0}, {"2024-01-01", "m", 1}, {"2024-01-31", "", 1}, {"2024-02-01", "a", -1}}
	for i, row := range rows {
		dates.Int64[i], strs.Bytes[i] = d(row.d), []byte(row.s)
	}
	out := make([]int32, 5)
	rt.Route([]*vector.Vector{dates, strs}, 5, out)
	for i, row := range rows {
		if out[i] != row.want {
			t.Errorf("(%s, %s) → %d, want %d", row.d, row.s, out[i], row.want)
		}
	}

	l := Spec{Kind: List, Types: []types.T{types.CharOf(4), tInt}}
	k1, _ := l.ListKey([]*string{str("bj"), str("1")})
	k2, _ := l.ListKey([]*string{nil, str("2")})
	rt, err = NewRouter(l, []*Bounds{{In: []Key{k1}}, {In: []Key{k2}}})
	if err != nil {
		t.Fatal(err)
	}
	c := vector.New(types.CharOf(4), 3)
	n := vector.New(tInt, 3)
	c.Bytes[0], n.Int64[0] = []byte("bj  "), 1 // CHAR compares without trailing spaces
	c.SetNull(1)
	n.Int64[1] = 2
	c.Bytes[2], n.Int64[2] = []byte("bj"), 2
	rt.Route([]*vector.Vector{c, n}, 3, out)
	if out[0] != 0 || out[1] != 1 || out[2] != -1 {
		t.Fatalf("list routes %v", out[:3])
	}
	e := RowError([]string{"c", "n"}, []*vector.Vector{c, n}, 1)
	if e.Error() != "no partition for value (NULL, '2') of columns 'c', 'n' at row 2" {
		t.Fatalf("error text %q", e.Error())
	}
}

// randomCond builds a random condition on column 0 of ints in [-45, 45].
func randomCond(r *rand.Rand, depth int) *Cond {
	v := func() string { return fmt.Sprint(r.IntN(91) - 45) }
	switch k := r.IntN(10); {
	case depth < 2 && k < 2:
		c := &Cond{Op: And}
		for range 1 + r.IntN(3) {
			c.Args = append(c.Args, randomCond(r, depth+1))
		}
		return c
	case depth < 2 && k < 4:
		c := &Cond{Op: Or}
		for range 1 + r.IntN(3) {
			c.Args = append(c.Args, randomCond(r, depth+1))
		}
		return c
	case k == 4:
		c := &Cond{Op: In}
		for range r.IntN(4) {
			c.Values = append(c.Values, v())
		}
		return c
	case k == 5:
		return &Cond{Op: IsNull}
	case k == 6:
		return &Cond{Op: Unknown}
	}
	return &Cond{Op: []Op{Eq, Lt, Le, Gt, Ge}[r.IntN(5)], Values: []string{v()}}
}

// eval is a condition's truth on one value (nil: NULL); Unknown is true.
func eval(c *Cond, x *int64) bool {
	switch c.Op {
	case And:
		for _, a := range c.Args {
			if !eval(a, x) {
				return false
			}
		}
		return true
	case Or:
		for _, a := range c.Args {
			if eval(a, x) {
				return true
			}
		}
		return false
	case Unknown:
		return true
	case IsNull:
		return x == nil
	}
	if x == nil {
		return false
	}
	for _, text := range c.Values {
		var v int64
		fmt.Sscan(text, &v)
		switch c.Op {
		case Eq, In:
			if *x == v {
				return true
			}
		case Lt:
			return *x < v
		case Le:
			return *x <= v
		case Gt:
			return *x > v
		case Ge:
			return *x >= v
		}
	}
	return false
}

func TestPruneIsExactOnOneColumn(t *testing.T) {
	r := rand.New(rand.NewPCG(2, uint64(rand.Int64())))
	s := Spec{Kind: Range, Types: []types.T{tInt}}
	for iter := 0; iter < 2000; iter++ {
		bs := randomRanges(r, s)
		c := randomCond(r, 0)
		got := s.Prune(bs, c)
		for p, b := range bs {
			want := false
			if contains(s, b, nil) && eval(c, nil) {
				want = true
			}
			for x := int64(-60); x <= 60 && !want; x++ {
				want = contains(s, b, &x) && eval(c, &x)
			}
			// Pruning is sound always, and exact for a comparison or a conjunction of them.
			if got[p] != want && (!got[p] || flat(c)) {
				t.Fatalf("partition %s, condition %s: may match = %v, want %v", s.RangeString(b), condString(c), got[p], want)
			}
		}
	}
}

// flat reports a comparison or an AND of comparisons.
func flat(c *Cond) bool {
	if c.Op == Unknown || c.Op == Or {
		return false
	}
	for _, a := range c.Args {
		if !isLeaf(a) {
			return false
		}
	}
	return true
}

func condString(c *Cond) string {
	switch c.Op {
	case And, Or:
		parts := make([]string, len(c.Args))
		for i, a := range c.Args {
			parts[i] = condString(a)
		}
		return "(" + strings.Join(parts, map[Op]string{And: " AND ", Or: " OR "}[c.Op]) + ")"
	case Unknown:
		return "?"
	case IsNull:
		return "k IS NULL"
	}
	return fmt.Sprintf("k %s %v", map[Op]string{Eq: "=", Lt: "<", Le: "<=", Gt: ">", Ge: ">=", In: "IN"}[c.Op], c.Values)
}

func TestPruneList(t *testing.T) {
	s := Spec{Kind: List, Types: []types.T{tVarchar, tInt}}
	k := func(a string, b int) Key { x, _ := s.ListKey([]*string{str(a), str(fmt.Sprint(b))}); return x }
	bs := []*Bounds{{In: []Key{k("bj", 1), k("sh", 2)}}, {In: []Key{k("gz", 3)}}}
	for _, c := range []struct {
		cond *Cond
		want string
	}{
		{&Cond{Op: Eq, Col: 0, Values: []string{"sh"}}, "[true false]"},
		{&Cond{Op: And, Args: []*Cond{{Op: Eq, Col: 0, Values: []string{"sh"}}, {Op: Eq, Col: 1, Values: []string{"1"}}}}, "[false false]"},
		{&Cond{Op: In, Col: 1, Values: []string{"3", "7"}}, "[false true]"},
		{&Cond{Op: Ge, Col: 1, Values: []string{"2"}}, "[true true]"},
		{&Cond{Op: IsNull, Col: 0}, "[false false]"},
		{&Cond{Op: Or, Args: []*Cond{{Op: Eq, Col: 0, Values: []string{"gz"}}, {Op: Unknown}}}, "[true true]"},
	} {
		if got := fmt.Sprint(s.Prune(bs, c.cond)); got != c.want {
			t.Errorf("%+v: %s, want %s", c.cond, got, c.want)
		}
	}
}

func TestExpandBatch(t *testing.T) {
	names := func(t types.T, b Batch) string {
		ps, err := ExpandBatch(t, b)
		if err != nil {
			return "error: " + err.Error()
		}
		var out []string
		for _, p := range ps {
			out = append(out, fmt.Sprintf("%s[%s,%s)", p.Name, p.Lower, p.Upper))
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		t    types.T
		b    Batch
		want string
	}{
		{tDate, Batch{"2024-01-01", "2024-01-04", 1, "DAY"}, "p_20240101[2024-01-01,2024-01-02) p_20240102[2024-01-02,2024-01-03) p_20240103[2024-01-03,2024-01-04)"},
		{tDate, Batch{"2024-01-01", "2024-01-04", 2, "DAY"}, "p_20240101[2024-01-01,2024-01-03) p_20240103[2024-01-03,2024-01-05)"},
		{tDate, Batch{"2024-01-15", "2024-03-01", 1, "MONTH"}, "p_202401[2024-01-15,2024-02-01) p_202402[2024-02-01,2024-03-01)"},
		{tDate, Batch{"2023-01-01", "2023-01-10", 1, "WEEK"}, "p_2023_01[2023-01-01,2023-01-02) p_2023_02[2023-01-02,2023-01-09) p_2023_03[2023-01-09,2023-01-10)"},
		{tDate, Batch{"2022", "2024", 1, "YEAR"}, "p_2022[2022-01-01,2023-01-01) p_2023[2023-01-01,2024-01-01)"},
		{tDateTime, Batch{"2024-01-01 00:00:00", "2024-01-01 02:00:00", 1, "HOUR"}, "p_2024010100[2024-01-01 00:00:00,2024-01-01 01:00:00) p_2024010101[2024-01-01 01:00:00,2024-01-01 02:00:00)"},
		{tInt, Batch{"1", "25", 10, ""}, "p_1_11[1,11) p_11_21[11,21) p_21_25[21,25)"},
		{tInt, Batch{"5", "1", 1, ""}, "error: Multi build partition start number should less than end number."},
		{tDate, Batch{"2024-01-02", "2024-01-01", 1, "DAY"}, "error: Multi build partition start time should less than end time."},
		{tDate, Batch{"2024-01-01", "2024-01-02", 0, "DAY"}, "error: Multi partition time interval must be larger than zero."},
		{tDate, Batch{"2024-01-01", "2024-01-02", 1, "MINUTE"}, "error: Multi build partition does not support time interval type: MINUTE"},
		{tDate, Batch{"01/01/2024", "2024-01-02", 1, "DAY"}, "error: Multi build partition start or end time style is illegal."},
		{tDate, Batch{"2000-01-01", "2024-01-01", 1, "DAY"}, "error: The number of Multi partitions too much, should not exceed:4096"},
	} {
		if got := names(c.t, c.b); got != c.want {
			t.Errorf("%+v:\n got %s\nwant %s", c.b, got, c.want)
		}
	}
}

func TestAutoPartitions(t *testing.T) {
	for _, c := range []struct {
		t          types.T
		unit, v    string
		name, want string
	}{
		{tDate, "day", "2024-03-05", "p20240305000000", "[2024-03-05,2024-03-06)"},
		{tDate, "week", "2024-03-07", "p20240304000000", "[2024-03-04,2024-03-11)"},
		{tDate, "month", "2024-03-05", "p20240301000000", "[2024-03-01,2024-04-01)"},
		{tDate, "quarter", "2024-05-05", "p20240401000000", "[2024-04-01,2024-07-01)"},
		{tDate, "year", "9999-05-05", "p99990101000000", "[9999-01-01,MAXVALUE)"},
		{types.DateTimeOf(3), "hour", "2024-03-05 10:11:12.345", "p20240305100000", "[2024-03-05 10:00:00.000,2024-03-05 11:00:00.000)"},
	} {
		name, b, err := AutoRange(c.t, c.unit, Value{Text: c.v})
		if err != nil {
			t.Fatal(err)
		}
		hi := b.Upper[0].Text
		if b.Upper[0].Max {
			hi = "MAXVALUE"
		}
		if got := fmt.Sprintf("[%s,%s)", b.Lower[0].Text, hi); name != c.name || got != c.want {
			t.Errorf("date_trunc(%s, %s): %s %s, want %s %s", c.v, c.unit, name, got, c.name, c.want)
		}
	}
	if err := CheckAutoUnit(tDate, "hour"); err == nil {
		t.Error("hour on a DATE column")
	}
	if _, _, err := AutoRange(tDate, "day", Value{Null: true}); err == nil || err.Error() != "Can't create partition for NULL Range" {
		t.Errorf("NULL: %v", err)
	}

	s := Spec{Kind: List, Types: []types.T{tVarchar, tInt}}
	for _, c := range []struct {
		vals []*string
		want string
	}{
		{[]*string{str("beijing"), str("1")}, "pbeijing711"},
		{[]*string{str("a b"), nil}, "pa20b3X"},
		{[]*string{str("-x"), str("-5")}, "p_2dx22d52"},
	} {
		k, err := s.ListKey(c.vals)
		if err != nil {
			t.Fatal(err)
		}
		if name, _ := s.AutoList(k); name != c.want {
			t.Errorf("AutoList(%v) = %s, want %s", k, name, c.want)
		}
	}
	long, _ := Spec{Kind: List, Types: []types.T{types.VarcharOf(100)}}.ListKey([]*string{str(strings.Repeat("x", 60))})
	name, _ := Spec{Kind: List, Types: []types.T{types.VarcharOf(100)}}.AutoList(long)
	full := "p" + strings.Repeat("x", 60) + "60"
	if want := full[:50] + "_" + fmt.Sprintf("%x", uint32(javaHash(utf16.Encode([]rune(full))))); name != want {
		t.Errorf("long name %s, want %s", name, want)
	}
	if javaHash(utf16.Encode([]rune("hello"))) != 99162322 {
		t.Error("javaHash differs from Java's String.hashCode")
	}
}

// TestListFastPathsAgree checks the one-column list routers (int64 and bytes maps) against the
// general key encoding Locate uses.
func TestListFastPathsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(3, uint64(rand.Int64())))
	for _, typ := range []types.T{tInt, tVarchar, types.New(types.Date)} {
		s := Spec{Kind: List, Types: []types.T{typ}}
		text := func(x int) string {
			if typ.Kind == types.Date {
				return types.FormatDate(int64(x))
			}
			return fmt.Sprint(x)
		}
		var bounds []*Bounds
		used := map[int]bool{}
		for p := 0; p < 1+r.IntN(5); p++ {
			b := &Bounds{}
			for range 1 + r.IntN(4) {
				x := r.IntN(30)
				if used[x] {
					continue
				}
				used[x] = true
				k, _ := s.ListKey([]*string{str(text(x))})
				b.In = append(b.In, k)
			}
			if p == 0 && r.IntN(2) == 0 {
				b.In = append(b.In, Key{{Null: true}})
			}
			if len(b.In) > 0 {
				bounds = append(bounds, b)
			}
		}
		rt, err := NewRouter(s, bounds)
		if err != nil {
			t.Fatal(err)
		}
		n := 200
		v := vector.New(typ, n)
		for i := range n {
			x := r.IntN(35)
			switch {
			case r.IntN(8) == 0:
				v.SetNull(i)
			case typ.Physical() == types.PhysBytes:
				v.Bytes[i] = []byte(text(x))
			default:
				v.Int64[i] = int64(x)
			}
		}
		out := make([]int32, n)
		rt.Route([]*vector.Vector{v}, n, out)
		for i := range n {
			want, err := rt.Locate([]Value{{Text: v.Format(i), Null: v.IsNull(i)}})
			if err != nil || int32(want) != out[i] {
				t.Fatalf("%s %s: Route %d, Locate %d %v", typ, v.Format(i), out[i], want, err)
			}
		}
	}
}

func BenchmarkRoute(b *testing.B) {
	const n = 4096
	for _, c := range []struct {
		name string
		spec Spec
		gen  func(r *rand.Rand, v *vector.Vector, i int)
	}{
		{"range-date", Spec{Kind: Range, Types: []types.T{tDate}}, func(r *rand.Rand, v *vector.Vector, i int) { v.Int64[i] = int64(19000 + r.IntN(365)) }},
		{"list-varchar", Spec{Kind: List, Types: []types.T{tVarchar}}, func(r *rand.Rand, v *vector.Vector, i int) { v.Bytes[i] = []byte(fmt.Sprint("c", r.IntN(50))) }},
		{"range-two-columns", Spec{Kind: Range, Types: []types.T{tDate, tInt}}, func(r *rand.Rand, v *vector.Vector, i int) { v.Int64[i] = int64(19000 + r.IntN(365)) }},
	} {
		var bounds []*Bounds
		if c.spec.Kind == List {
			for p := 0; p < 50; p++ {
				k, _ := c.spec.ListKey([]*string{str(fmt.Sprint("c", p))})
				bounds = append(bounds, &Bounds{In: []Key{k}})
			}
		} else {
			for d := 19000; d < 19365; d++ { // a partition per day
				lo, _ := c.spec.BoundKey([]*string{str(types.FormatDate(int64(d)))})
				hi, _ := c.spec.BoundKey([]*string{str(types.FormatDate(int64(d + 1)))})
				bounds = append(bounds, &Bounds{Lower: lo, Upper: hi})
			}
		}
		rt, err := NewRouter(c.spec, bounds)
		if err != nil {
			b.Fatal(err)
		}
		r := rand.New(rand.NewPCG(4, 5))
		cols := make([]*vector.Vector, len(c.spec.Types))
		for k, t := range c.spec.Types {
			cols[k] = vector.New(t, n)
		}
		for i := range n {
			c.gen(r, cols[0], i)
		}
		out := make([]int32, n)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				rt.Route(cols, n, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
		})
	}
}
