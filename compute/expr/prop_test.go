package expr_test

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

func colRef(i int, t types.T) *planpb.Expr {
	return &planpb.Expr{Type: t.Proto(), Nullable: true, Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(i)}}}
}

func call(name string, t types.T, args ...*planpb.Expr) *planpb.Expr {
	return &planpb.Expr{Type: t.Proto(), Nullable: true, Kind: &planpb.Expr_Call{Call: &planpb.Call{Name: name, Args: args}}}
}

// randomSel returns a random increasing selection of 0..n-1, or nil (all rows).
func randomSel(r *rand.Rand, n int) []int32 {
	if r.IntN(3) == 0 {
		return nil
	}
	sel := []int32{}
	for i := range n {
		if r.IntN(2) == 0 {
			sel = append(sel, int32(i))
		}
	}
	return sel
}

// randomDecimal returns a random unscaled value of DECIMAL(p, s), biased to small and extreme
// magnitudes.
func randomDecimal(r *rand.Rand, p int32) types.Int128 {
	digits := 1 + r.IntN(int(p))
	if r.IntN(4) == 0 {
		digits = int(p)
	}
	var sb strings.Builder
	if r.IntN(2) == 0 {
		sb.WriteByte('-')
	}
	for range digits {
		sb.WriteByte(byte('0' + r.IntN(10)))
	}
	v, _ := new(big.Int).SetString(sb.String(), 10)
	out, _ := types.Int128FromBig(v)
	return out
}

func decimalVector(r *rand.Rand, t types.T, n int) *vector.Vector {
	v := vector.New(t, n)
	for i := range n {
		if r.IntN(8) == 0 {
			v.SetNull(i)
			continue
		}
		x := randomDecimal(r, t.Precision)
		if t.Physical() == types.PhysInt64 {
			v.Int64[i] = x.Int64()
		} else {
			v.Int128[i] = x
		}
	}
	return v
}

func unscaled(v *vector.Vector, i int) *big.Int {
	if v.Type.Physical() == types.PhysInt64 {
		return big.NewInt(v.Int64[i])
	}
	return v.Int128[i].Big()
}

func ratOf(v *vector.Vector, i int) *big.Rat {
	return new(big.Rat).SetFrac(unscaled(v, i), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scaleOfT(v.Type))), nil))
}

func scaleOfT(t types.T) int32 {
	if t.Kind == types.Decimal {
		return t.Scale
	}
	return 0
}

// roundRat rounds r to scale s half away from zero, as an unscaled integer.
func roundRat(r *big.Rat, s int32) *big.Int {
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil)))
	q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(x.Denom()) >= 0 {
		if x.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// TestDecimalArithmeticExact checks DECIMAL arithmetic against arbitrary-precision rationals.
func TestDecimalArithmeticExact(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 20))
	ops := []string{"add", "subtract", "multiply", "divide", "mod"}
	for iter := range 400 {
		ta := types.DecimalOf(int32(1+r.IntN(38)), 0)
		ta.Scale = int32(r.IntN(int(ta.Precision) + 1))
		tb := types.DecimalOf(int32(1+r.IntN(38)), 0)
		tb.Scale = int32(r.IntN(int(tb.Precision) + 1))
		tr := types.DecimalOf(int32(1+r.IntN(38)), 0)
		tr.Scale = int32(r.IntN(int(tr.Precision) + 1))
		if iter%2 == 0 { // 64-bit arguments and result at the natural scale: the fast path
			ta = types.DecimalOf(int32(1+r.IntN(18)), 0)
			ta.Scale = int32(r.IntN(int(ta.Precision) + 1))
			tb = types.DecimalOf(int32(1+r.IntN(18)), 0)
			tb.Scale = int32(r.IntN(int(tb.Precision) + 1))
			tr.Scale = max(ta.Scale, tb.Scale)
			tr.Precision = max(1, tr.Scale+int32(r.IntN(int(19-tr.Scale))))
		}
		op := ops[iter%len(ops)]
		if iter%4 == 1 && (op == "add" || op == "subtract" || op == "multiply") {
			// The natural scale (no rounding): the in-place 64/128-bit path.
			tr.Scale = max(ta.Scale, tb.Scale)
			if op == "multiply" {
				tr.Scale = ta.Scale + tb.Scale
			}
			if tr.Scale > types.MaxDecimalPrecision {
				tr.Scale = types.MaxDecimalPrecision
			}
			tr.Precision = tr.Scale + int32(r.IntN(int(types.MaxDecimalPrecision-tr.Scale)+1))
			tr.Precision = max(tr.Precision, 1)
		}
		n := 1 + r.IntN(64)
		a, b := decimalVector(r, ta, n), decimalVector(r, tb, n)
		if r.IntN(4) == 0 { // some zeros for the division paths
			b.Int64 = make([]int64, n)
			b.Int128 = nil
			if tb.Physical() == types.PhysInt128 {
				b.Int64, b.Int128 = nil, make([]types.Int128, n)
			}
		}
		// Half of the expressions reuse their vectors (Env.Scratch): they evaluate a batch of
		// other values first, whose results must not show through.
		scratch := iter%8 < 4
		e, err := expr.CompileEnv(call(op, tr, colRef(0, ta), colRef(1, tb)), []types.T{ta, tb}, expr.Env{Scratch: scratch})
		if err != nil {
			t.Fatal(err)
		}
		if scratch {
			m := n + r.IntN(8)
			_, _ = e.Eval(vector.NewBatch([]*vector.Vector{decimalVector(r, ta, m), decimalVector(r, tb, m)}, m))
		}
		batch := vector.NewBatch([]*vector.Vector{a, b}, n)
		batch.Sel = randomSel(r, n)
		got, evalErr := e.Eval(batch)
		// Reference: every active row's exact result; an error iff some row does not fit.
		wantErr := false
		max := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(tr.Precision)), nil)
		want := map[int32]*big.Int{}
		for _, i := range batch.Rows(nil) {
			if a.IsNull(int(i)) || b.IsNull(int(i)) {
				want[i] = nil
				continue
			}
			x, y := ratOf(a, int(i)), ratOf(b, int(i))
			var res *big.Rat
			switch op {
			case "add":
				res = new(big.Rat).Add(x, y)
			case "subtract":
				res = new(big.Rat).Sub(x, y)
			case "multiply":
				res = new(big.Rat).Mul(x, y)
			case "divide", "mod":
				if y.Sign() == 0 {
					want[i] = nil
					continue
				}
				res = new(big.Rat).Quo(x, y)
				if op == "mod" { // x - trunc(x/y)*y
					q := new(big.Int).Quo(res.Num(), res.Denom())
					res = new(big.Rat).Sub(x, new(big.Rat).Mul(new(big.Rat).SetInt(q), y))
				}
			}
			u := roundRat(res, tr.Scale)
			if new(big.Int).Abs(u).Cmp(max) >= 0 {
				wantErr = true
			}
			want[i] = u
		}
		if wantErr {
			if evalErr == nil {
				t.Fatalf("%s(%s, %s) -> %s: want an overflow error", op, ta, tb, tr)
			}
			continue
		}
		if evalErr != nil {
			t.Fatalf("%s(%s, %s) -> %s: %v", op, ta, tb, tr, evalErr)
		}
		for i, w := range want {
			if w == nil {
				if !got.IsNull(int(i)) {
					t.Fatalf("%s row %d: want NULL, got %s", op, i, got.Format(int(i)))
				}
				continue
			}
			if got.IsNull(int(i)) || unscaled(got, int(i)).Cmp(w) != 0 {
				t.Fatalf("%s(%s %s, %s %s) -> %s: got %s, want unscaled %s", op, a.Format(int(i)), ta, b.Format(int(i)), tb, tr, got.Format(int(i)), w)
			}
		}
	}
}

// TestIntegerArithmetic checks BIGINT arithmetic and its overflow detection against big.Int.
func TestIntegerArithmetic(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 21))
	bt := types.New(types.BigInt)
	vals := func() int64 {
		switch r.IntN(4) {
		case 0:
			return r.Int64N(200) - 100
		case 1:
			return r.Int64N(1<<33) - 1<<32
		case 2:
			return int64(r.Uint64())
		}
		return []int64{-1 << 63, 1<<63 - 1, -1, 0, 1}[r.IntN(5)]
	}
	for iter := range 2000 {
		op := []string{"add", "subtract", "multiply", "divide", "mod"}[iter%5]
		x, y := vals(), vals()
		a, b := vector.New(bt, 1), vector.New(bt, 1)
		a.Int64[0], b.Int64[0] = x, y
		e, err := expr.Compile(call(op, bt, colRef(0, bt), colRef(1, bt)), []types.T{bt, bt})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Eval(vector.NewBatch([]*vector.Vector{a, b}, 1))
		bx, by := big.NewInt(x), big.NewInt(y)
		var want *big.Int
		switch op {
		case "add":
			want = bx.Add(bx, by)
		case "subtract":
			want = bx.Sub(bx, by)
		case "multiply":
			want = bx.Mul(bx, by)
		case "divide", "mod":
			if y == 0 {
				if err != nil || !got.IsNull(0) {
					t.Fatalf("%d %s 0: %v", x, op, err)
				}
				continue
			}
			q, m := new(big.Int).QuoRem(bx, by, new(big.Int))
			want = q
			if op == "mod" {
				want = m
			}
		}
		if !want.IsInt64() {
			if err == nil {
				t.Fatalf("%d %s %d: want overflow, got %s", x, op, y, got.Format(0))
			}
			continue
		}
		if err != nil || got.Int64[0] != want.Int64() {
			t.Fatalf("%d %s %d = %v (%v), want %s", x, op, y, got, err, want)
		}
	}
}

// TestLikeMatchesRegexp checks LIKE against an equivalent regular expression.
func TestLikeMatchesRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 22))
	alphabet := []string{"a", "b", "é", "%", "_", "\\"}
	strAlphabet := []string{"a", "b", "é", "%", "_"}
	st := types.New(types.String)
	for range 3000 {
		var p, s strings.Builder
		for range r.IntN(7) {
			p.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		for range r.IntN(8) {
			s.WriteString(strAlphabet[r.IntN(len(strAlphabet))])
		}
		var re strings.Builder
		re.WriteString("^(?s:")
		pat := p.String()
		for k := 0; k < len(pat); {
			c, w := utf8.DecodeRuneInString(pat[k:])
			switch {
			case c == '\\' && k+w < len(pat):
				c2, w2 := utf8.DecodeRuneInString(pat[k+w:])
				re.WriteString(regexp.QuoteMeta(string(c2)))
				k += w + w2
				continue
			case c == '%':
				re.WriteString(".*")
			case c == '_':
				re.WriteString(".")
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
			k += w
		}
		re.WriteString(")$")
		want := regexp.MustCompile(re.String()).MatchString(s.String())
		sv, pv := vector.New(st, 1), vector.New(st, 1)
		sv.Bytes[0], pv.Bytes[0] = []byte(s.String()), []byte(pat)
		for _, constant := range []bool{false, true} {
			pe := colRef(1, st)
			if constant {
				pe = &planpb.Expr{Type: st.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Bytes: []byte(pat)}}}
			}
			e, err := expr.Compile(call("like", types.New(types.Boolean), colRef(0, st), pe), []types.T{st, st})
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Eval(vector.NewBatch([]*vector.Vector{sv, pv}, 1))
			if err != nil {
				t.Fatal(err)
			}
			if (got.Int64[0] == 1) != want {
				t.Fatalf("%q LIKE %q = %d, want %v (regexp %s)", s.String(), pat, got.Int64[0], want, re.String())
			}
		}
	}
}

// TestSubstringReference checks SUBSTRING against a rune-slice reference of MySQL's rules.
func TestSubstringReference(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 23))
	st, it := types.New(types.String), types.New(types.BigInt)
	for range 2000 {
		var sb strings.Builder
		for range r.IntN(6) {
			sb.WriteString([]string{"a", "b", "é", "中"}[r.IntN(4)])
		}
		s := sb.String()
		pos, length := r.Int64N(15)-7, r.Int64N(10)-2
		runes := []rune(s)
		want := ""
		if pos != 0 && length > 0 {
			start := pos - 1
			if pos < 0 {
				start = int64(len(runes)) + pos
			}
			if start >= 0 && start < int64(len(runes)) {
				end := min(start+length, int64(len(runes)))
				want = string(runes[start:end])
			}
		}
		sv, pv, lv := vector.New(st, 1), vector.New(it, 1), vector.New(it, 1)
		sv.Bytes[0], pv.Int64[0], lv.Int64[0] = []byte(s), pos, length
		e, err := expr.Compile(call("substring", st, colRef(0, st), colRef(1, it), colRef(2, it)), []types.T{st, it, it})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Eval(vector.NewBatch([]*vector.Vector{sv, pv, lv}, 1))
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Bytes[0]) != want {
			t.Fatalf("substring(%q, %d, %d) = %q, want %q", s, pos, length, got.Bytes[0], want)
		}
	}
}

// TestCastStringDecimalRoundTrip: formatting a DECIMAL and parsing it back is the identity, and
// parsing agrees with types.ParseDecimal.
func TestCastStringDecimalRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 24))
	for range 300 {
		dt := types.DecimalOf(int32(1+r.IntN(38)), 0)
		dt.Scale = int32(r.IntN(int(dt.Precision) + 1))
		n := 1 + r.IntN(20)
		v := decimalVector(r, dt, n)
		rows := vector.Identity(nil, n)
		s := expr.Cast(v, rows, types.New(types.String))
		back := expr.Cast(s, rows, dt)
		for i := range n {
			if v.Format(i) != back.Format(i) {
				t.Fatalf("%s: %s -> %q -> %s", dt, v.Format(i), s.Format(i), back.Format(i))
			}
			if v.IsNull(i) {
				continue
			}
			// Parse with one more and one fewer digit of scale: must match types.ParseDecimal.
			for _, ns := range []int32{max(dt.Scale-1, 0), min(dt.Scale+1, 38)} {
				to := types.DecimalOf(38, ns)
				got := expr.Cast(s, rows, to)
				ref, err := types.ParseDecimal(string(s.Bytes[i]), 38, ns)
				if err != nil {
					if !got.IsNull(i) {
						t.Fatalf("%q as %s = %s, ParseDecimal: %v", s.Bytes[i], to, got.Format(i), err)
					}
					continue
				}
				if got.IsNull(i) || got.Int128[i] != ref {
					t.Fatalf("%q as %s = %s, want %s", s.Bytes[i], to, got.Format(i), types.FormatDecimal(ref, ns))
				}
			}
		}
	}
}

// TestInSetMatchesGeneral: IN over literals (a hash set) agrees with IN over the same values
// computed per row (pairwise comparisons), also for CHAR values (trailing spaces ignored).
func TestInSetMatchesGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 25))
	valueTypes := []types.T{types.New(types.TinyInt), types.New(types.BigInt), types.DecimalOf(6, 2), types.VarcharOf(3), types.New(types.Date), types.CharOf(3)}
	litTypes := []types.T{types.New(types.Int), types.New(types.BigInt), types.DecimalOf(7, 3), types.DecimalOf(4, 1), types.VarcharOf(3), types.New(types.String)}
	randText := func(t types.T) string {
		switch {
		case t.IsString():
			return []string{"a", "b", "ab", "", "2020-01-01", "a ", "ab  ", " a"}[r.IntN(8)]
		case t.Kind == types.Decimal:
			return fmt.Sprintf("%d.%03d", r.IntN(5), r.IntN(1000)/100*100+r.IntN(2)*5)
		}
		return fmt.Sprint(r.IntN(300) - 150)
	}
	for range 500 {
		vt := valueTypes[r.IntN(len(valueTypes))]
		n := 30
		text := vector.New(types.New(types.String), n)
		for i := range n {
			if r.IntN(6) == 0 {
				text.SetNull(i)
			} else {
				text.Bytes[i] = []byte(randText(vt))
			}
		}
		col := expr.Cast(text, vector.Identity(nil, n), vt)
		var lits, wrapped []*planpb.Expr
		for range 1 + r.IntN(4) {
			lt := litTypes[r.IntN(len(litTypes))]
			if vt.IsString() != lt.IsString() || (vt.Kind == types.Date && !lt.IsString()) {
				lt = vt
			}
			lv := vector.New(types.New(types.String), 1)
			lv.Bytes[0] = []byte(randText(lt))
			if r.IntN(8) == 0 {
				lv.SetNull(0)
			}
			c := expr.Cast(lv, []int32{0}, lt)
			l := &planpb.Expr{Type: lt.Proto(), Kind: &planpb.Expr_Literal{Literal: expr.LiteralOf(c, 0)}}
			lits = append(lits, l)
			wrapped = append(wrapped, call("cast", lt, l))
		}
		b := vector.NewBatch([]*vector.Vector{col}, n)
		b.Sel = randomSel(r, n)
		eval := func(list []*planpb.Expr) []string {
			e, err := expr.Compile(call("in", types.New(types.Boolean), append([]*planpb.Expr{colRef(0, vt)}, list...)...), []types.T{vt})
			if err != nil {
				t.Fatal(err)
			}
			v, err := e.Eval(b)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, i := range b.Rows(nil) {
				out = append(out, v.Format(int(i)))
			}
			return out
		}
		if set, gen := eval(lits), eval(wrapped); fmt.Sprint(set) != fmt.Sprint(gen) {
			t.Fatalf("%s IN %v: set %v, general %v", vt, lits, set, gen)
		}
	}
}

// TestDecimalCompareExact checks comparisons of DECIMALs of different scales against rationals.
func TestDecimalCompareExact(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 26))
	ops := map[string]func(c int) bool{
		"eq": func(c int) bool { return c == 0 }, "ne": func(c int) bool { return c != 0 },
		"lt": func(c int) bool { return c < 0 }, "le": func(c int) bool { return c <= 0 },
		"gt": func(c int) bool { return c > 0 }, "ge": func(c int) bool { return c >= 0 },
	}
	names := []string{"eq", "ne", "lt", "le", "gt", "ge"}
	for iter := range 600 {
		maxP := 38
		if iter%2 == 0 {
			maxP = 18
		}
		ta := types.DecimalOf(int32(1+r.IntN(maxP)), 0)
		ta.Scale = int32(r.IntN(int(ta.Precision) + 1))
		tb := types.DecimalOf(int32(1+r.IntN(maxP)), 0)
		tb.Scale = int32(r.IntN(int(tb.Precision) + 1))
		n := 1 + r.IntN(40)
		a, b := decimalVector(r, ta, n), decimalVector(r, tb, n)
		if iter%3 == 0 { // equal values in different scales
			for i := range n {
				if a.IsNull(i) || tb.Scale < ta.Scale {
					continue
				}
				x := new(big.Int).Mul(unscaled(a, i), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(tb.Scale-ta.Scale)), nil))
				if v, ok := types.Int128FromBig(x); ok && new(big.Int).Abs(x).Cmp(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(tb.Precision)), nil)) < 0 {
					if tb.Physical() == types.PhysInt64 {
						b.Int64[i] = v.Int64()
					} else {
						b.Int128[i] = v
					}
				}
			}
		}
		op := names[r.IntN(len(names))]
		e, err := expr.Compile(call(op, types.New(types.Boolean), colRef(0, ta), colRef(1, tb)), []types.T{ta, tb})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Eval(vector.NewBatch([]*vector.Vector{a, b}, n))
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if a.IsNull(i) || b.IsNull(i) {
				if !got.IsNull(i) {
					t.Fatalf("NULL operand gave %s", got.Format(i))
				}
				continue
			}
			want := ops[op](ratOf(a, i).Cmp(ratOf(b, i)))
			if (got.Int64[i] == 1) != want {
				t.Fatalf("%s %s %s %s = %d, want %v", a.Format(i), op, b.Format(i), tb, got.Int64[i], want)
			}
		}
	}
}
