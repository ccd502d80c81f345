package expr_test

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// selectedByEval returns the active rows of b where ref evaluates to TRUE.
func selectedByEval(t *testing.T, ref *expr.Expr, b *vector.Batch) []int32 {
	t.Helper()
	res, err := ref.Eval(b)
	if err != nil {
		t.Fatal(err)
	}
	var want []int32
	for _, i := range b.Rows(nil) {
		if !res.IsNull(int(i)) && res.Int64[i] != 0 {
			want = append(want, i)
		}
	}
	return want
}

// selectInto runs Select into a fresh slice or, on a batch with a selection, in place.
func selectInto(t *testing.T, r *rand.Rand, e *expr.Expr, b *vector.Batch) []int32 {
	t.Helper()
	var got []int32
	var err error
	if b.Sel != nil && r.IntN(2) == 0 {
		b.Sel = slices.Clone(b.Sel)
		got, err = e.Select(b, b.Sel)
	} else {
		got, err = e.Select(b, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func textOf(r *rand.Rand, alphabet []string, maxLen int) string {
	var sb strings.Builder
	for range r.IntN(maxLen + 1) {
		sb.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return sb.String()
}

// TestLikeSelectMatchesEval: LIKE and NOT LIKE with constant patterns (prefix, suffix, contains,
// several literals, _, escapes, multi-byte characters, the empty pattern) select exactly the
// rows Eval finds TRUE, over strings and CHARs with NULLs, with and without selections; and the
// pattern as a column (compiled per row) agrees with the constant.
func TestLikeSelectMatchesEval(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	words := []string{"a", "b", "ab", "ba", "é", "中", " ", "req", "spe"}
	patParts := []string{"a", "b", "ab", "é", "中", "%", "%", "_", "\\%", "\\_", "req", "spe", " "}
	boolT := types.New(types.Boolean)
	for iter := range 600 {
		st := types.New(types.String)
		if r.IntN(4) == 0 {
			st = types.VarcharOf(20)
		}
		pat := textOf(r, patParts, 5)
		name := "like"
		if r.IntN(2) == 0 {
			name = "not_like"
		}
		n := 1 + r.IntN(200)
		col, pcol := vector.New(st, n), vector.New(types.New(types.String), n)
		for i := range n {
			col.Bytes[i] = []byte(textOf(r, words, 12))
			pcol.Bytes[i] = []byte(pat)
			if r.IntN(7) == 0 {
				col.SetNull(i)
			}
		}
		in := []types.T{st, types.New(types.String)}
		constant := call(name, boolT, colRef(0, st), strLit(pat))
		e, err := expr.CompileEnv(constant, in, expr.Env{Scratch: r.IntN(2) == 0})
		if err != nil {
			t.Fatal(err)
		}
		ref, err := expr.Compile(call(name, boolT, colRef(0, st), colRef(1, types.New(types.String))), in)
		if err != nil {
			t.Fatal(err)
		}
		b := vector.NewBatch([]*vector.Vector{col, pcol}, n)
		b.Sel = randomSel(r, n)
		want := selectedByEval(t, ref, b)
		if got := selectInto(t, r, e, b); !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
			t.Fatalf("iter %d: %s %q\nselected %v\nwant     %v", iter, name, pat, got, want)
		}
	}
}

// TestInSelectMatchesEval: IN and NOT IN over string literals (few and short: the packed set;
// many or long: the hash set; with NULL literals), over CHAR values (trailing spaces ignored) and
// over SUBSTRING with constant positions (read in place), select exactly the rows where the
// general form (the literals wrapped in casts, positions as columns) is TRUE.
func TestInSelectMatchesEval(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	boolT := types.New(types.Boolean)
	it := types.New(types.BigInt)
	words := []string{"1", "3", "13", "31", "é", "中", " ", "", "abcdefgh", "x"}
	for iter := range 600 {
		vt := []types.T{types.New(types.String), types.VarcharOf(10), types.CharOf(6)}[r.IntN(3)]
		n := 1 + r.IntN(200)
		col := vector.New(vt, n)
		pos, length := it, it
		pv, lv := vector.New(it, n), vector.New(it, n)
		p, l := r.Int64N(9)-4, r.Int64N(5)-1
		for i := range n {
			col.Bytes[i] = []byte(textOf(r, words, 4))
			if vt.Kind == types.Char && r.IntN(2) == 0 {
				col.Bytes[i] = append(col.Bytes[i], ' ')
			}
			if r.IntN(7) == 0 {
				col.SetNull(i)
			}
			pv.Int64[i], lv.Int64[i] = p, l
		}
		in := []types.T{vt, pos, length}
		value, refValue := colRef(0, vt), colRef(0, vt)
		if r.IntN(2) == 0 {
			rt := types.VarcharOf(10)
			value = call("substring", rt, colRef(0, vt), decLit(it, p), decLit(it, l))
			refValue = call("substring", rt, colRef(0, vt), colRef(1, it), colRef(2, it))
		}
		lits, wrapped := []*planpb.Expr{value}, []*planpb.Expr{refValue}
		nlits := 1 + r.IntN(5)
		if r.IntN(4) == 0 {
			nlits = 17 + r.IntN(5) // too many to pack
		}
		for range nlits {
			l := strLit(textOf(r, words, 3))
			if r.IntN(10) == 0 {
				l = &planpb.Expr{Type: types.New(types.String).Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{IsNull: true}}}
			}
			lits = append(lits, l)
			wrapped = append(wrapped, call("cast", types.New(types.String), l))
		}
		name := "in"
		if r.IntN(2) == 0 {
			name = "not_in"
		}
		e, err := expr.CompileEnv(call(name, boolT, lits...), in, expr.Env{Scratch: r.IntN(2) == 0})
		if err != nil {
			t.Fatal(err)
		}
		ref, err := expr.Compile(call(name, boolT, wrapped...), in)
		if err != nil {
			t.Fatal(err)
		}
		b := vector.NewBatch([]*vector.Vector{col, pv, lv}, n)
		b.Sel = randomSel(r, n)
		want := selectedByEval(t, ref, b)
		if got := selectInto(t, r, e, b); !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
			t.Fatalf("iter %d: %s %v\nselected %v\nwant     %v", iter, name, lits, got, want)
		}
		// Eval of the set form agrees as well (NULLs included).
		full, err := e.Eval(b)
		if err != nil {
			t.Fatal(err)
		}
		gen, err := ref.Eval(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range b.Rows(nil) {
			if full.Format(int(i)) != gen.Format(int(i)) {
				t.Fatalf("iter %d row %d (%q): set %s, general %s", iter, i, col.Bytes[i], full.Format(int(i)), gen.Format(int(i)))
			}
		}
	}
}

// TestChargeChainExact: q01's l_extendedprice * (1 - l_discount) * (1 + l_tax) — a DECIMAL(31,4)
// product (128-bit) times a 64-bit DECIMAL(16,2) — equals the exact product, with values small
// (one 64-bit multiply per row) and large (the intermediate needs more than 64 bits, so the
// batch goes the general way), NULLs and selections; so does the product with the sides swapped.
func TestChargeChainExact(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	d := types.DecimalOf(15, 2)
	for iter := range 300 {
		n := 1 + r.IntN(300)
		cols := tpchPrices(n)
		big15 := r.IntN(3) == 0
		for i := range n {
			if big15 && r.IntN(50) == 0 {
				cols[0].Int64[i] = 999_999_999_999_999 * (1 - 2*r.Int64N(2)) // the intermediate leaves int64
				cols[1].Int64[i] = -r.Int64N(1_000_000_000_000)
			}
			for _, c := range cols {
				if r.IntN(20) == 0 {
					c.SetNull(i)
				}
			}
		}
		e := chargeExpr()
		if iter%2 == 1 { // (1 + l_tax) * (l_extendedprice * (1 - l_discount))
			c := e.GetCall()
			c.Args[0], c.Args[1] = c.Args[1], c.Args[0]
		}
		ce, err := expr.CompileEnv(e, []types.T{d, d, d}, expr.Env{Scratch: true})
		if err != nil {
			t.Fatal(err)
		}
		b := vector.NewBatch(cols, n)
		b.Sel = randomSel(r, n)
		got, err := ce.Eval(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range b.Rows(nil) {
			if cols[0].IsNull(int(i)) || cols[1].IsNull(int(i)) || cols[2].IsNull(int(i)) {
				if !got.IsNull(int(i)) {
					t.Fatalf("iter %d row %d: want NULL, got %s", iter, i, got.Format(int(i)))
				}
				continue
			}
			x := big.NewInt(cols[0].Int64[i])
			x.Mul(x, big.NewInt(100-cols[1].Int64[i]))
			x.Mul(x, big.NewInt(100+cols[2].Int64[i]))
			if got.IsNull(int(i)) || got.Int128[i].Big().Cmp(x) != 0 {
				t.Fatalf("iter %d row %d: got %s, want unscaled %s", iter, i, got.Format(int(i)), x)
			}
		}
	}
}

// TestSumWideSmallValues: SUM over 128-bit DECIMAL arguments whose values are small (the int64
// lanes), mixed now and then with a value beyond 64 bits or a magnitude that could overflow the
// lanes (the checked paths), equals the exact sum.
func TestSumWideSmallValues(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	at := types.DecimalOf(38, 6)
	for iter := range 200 {
		agg, err := expr.CompileAggregate(&planpb.AggregateCall{Name: "sum", Args: []*planpb.Expr{colRef(0, at)}, Type: at.Proto()}, []types.T{at})
		if err != nil {
			t.Fatal(err)
		}
		st := agg.NewState()
		groups := 1 + r.IntN(8)
		st.Grow(groups)
		want := make([]*big.Int, groups)
		for g := range want {
			want[g] = new(big.Int)
		}
		for range 1 + r.IntN(4) {
			n := 1 + r.IntN(9000)
			v := vector.New(at, n)
			bound := int64(1) << (1 + r.IntN(62))
			for i := range n {
				v.Int128[i] = types.I128(r.Int64N(bound) - bound/2)
				switch r.IntN(2000) {
				case 0:
					v.Int128[i] = types.Int128{Hi: 1 << 40, Lo: 7} // beyond int64
				case 1:
					v.Int128[i] = types.I128(-1 << 63)
				}
			}
			b := vector.NewBatch([]*vector.Vector{v}, n)
			b.Sel = randomSel(r, n)
			rows := b.Rows(nil)
			gids := make([]int32, len(rows))
			for k, i := range rows {
				gids[k] = int32(r.IntN(groups))
				want[gids[k]].Add(want[gids[k]], v.Int128[i].Big())
			}
			args, err := agg.EvalArgs(b)
			if err != nil {
				t.Fatal(err)
			}
			if err := agg.Fold(st, args, rows, gids); err != nil {
				t.Fatalf("iter %d: %v", iter, err)
			}
		}
		out, err := agg.Output(st)
		if err != nil {
			t.Fatal(err)
		}
		for g := range groups {
			if want[g].Sign() == 0 && out.IsNull(g) {
				continue // no rows reached the group
			}
			if out.IsNull(g) || out.Int128[g].Big().Cmp(want[g]) != 0 {
				t.Fatalf("iter %d group %d: got %s, want unscaled %s", iter, g, out.Format(g), want[g])
			}
		}
	}
}

// TestCaseMatchesReference: CASE WHEN (comparisons with constants, LIKE, IN — the conditions
// that select their rows directly — and a comparison of two columns) picks, on every active
// row, the THEN of the first WHEN that is TRUE (NULL is not), else the ELSE or NULL, as the
// conditions and values evaluated separately say; batches with selections, evaluated twice.
func TestCaseMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(39, 40))
	it, st, boolT := types.New(types.BigInt), types.New(types.String), types.New(types.Boolean)
	in := []types.T{it, it, st}
	intLit := func(v int64) *planpb.Expr { return decLit(it, v) }
	conds := []func() *planpb.Expr{
		func() *planpb.Expr { return call("lt", boolT, colRef(0, it), intLit(r.Int64N(10))) },
		func() *planpb.Expr { return call("eq", boolT, colRef(1, it), intLit(r.Int64N(10))) },
		func() *planpb.Expr { return call("lt", boolT, colRef(0, it), colRef(1, it)) },
		func() *planpb.Expr {
			return call("like", boolT, colRef(2, st), strLit([]string{"a%", "%b", "%é%", "_"}[r.IntN(4)]))
		},
		func() *planpb.Expr {
			return call("in", boolT, colRef(2, st), strLit("a"), strLit("ab"), strLit([]string{"b", "é"}[r.IntN(2)]))
		},
		func() *planpb.Expr { return call("not_in", boolT, colRef(0, it), intLit(1), intLit(r.Int64N(10))) },
	}
	vals := []func() *planpb.Expr{
		func() *planpb.Expr { return colRef(0, it) },
		func() *planpb.Expr { return colRef(1, it) },
		func() *planpb.Expr { return intLit(r.Int64N(100)) },
	}
	for iter := range 300 {
		var args, whens, thens []*planpb.Expr
		for range 1 + r.IntN(3) {
			w, v := conds[r.IntN(len(conds))](), vals[r.IntN(len(vals))]()
			args, whens, thens = append(args, w, v), append(whens, w), append(thens, v)
		}
		var els *planpb.Expr
		if r.IntN(2) == 0 {
			els = vals[r.IntN(len(vals))]()
			args = append(args, els)
		}
		e, err := expr.CompileEnv(call("case", it, args...), in, expr.Env{Scratch: r.IntN(2) == 0})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			n := 1 + r.IntN(300)
			c0, c1, c2 := vector.New(it, n), vector.New(it, n), vector.New(st, n)
			for i := range n {
				c0.Int64[i], c1.Int64[i] = r.Int64N(10), r.Int64N(10)
				c2.Bytes[i] = []byte(textOf(r, []string{"a", "b", "é"}, 3))
				for _, c := range []*vector.Vector{c0, c1, c2} {
					if r.IntN(10) == 0 {
						c.SetNull(i)
					}
				}
			}
			b := vector.NewBatch([]*vector.Vector{c0, c1, c2}, n)
			b.Sel = randomSel(r, n)
			got, err := e.Eval(b)
			if err != nil {
				t.Fatal(err)
			}
			full := vector.NewBatch([]*vector.Vector{c0, c1, c2}, n)
			evalAll := func(x *planpb.Expr) *vector.Vector {
				ce, err := expr.Compile(x, in)
				if err != nil {
					t.Fatal(err)
				}
				v, err := ce.Eval(full)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			for _, i := range b.Rows(nil) {
				want := "NULL"
				if els != nil {
					want = evalAll(els).Format(int(i))
				}
				for k, w := range whens {
					if cv := evalAll(w); !cv.IsNull(int(i)) && cv.Int64[i] != 0 {
						want = evalAll(thens[k]).Format(int(i))
						break
					}
				}
				if g := got.Format(int(i)); g != want {
					t.Fatalf("iter %d row %d: %v = %s, want %s", iter, i, args, g, want)
				}
			}
		}
	}
}

// TestCountAvgReference: COUNT(x) and AVG(x) over columns without NULLs (the counting paths: one
// group, a few in lanes, many) equal the counts and exact sums per group, over random batches.
func TestCountAvgReference(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	bt := types.New(types.BigInt)
	for iter := range 100 {
		groups := []int{1, 1 + r.IntN(4), 300 + r.IntN(100)}[r.IntN(3)]
		count, err := expr.CompileAggregate(&planpb.AggregateCall{Name: "count", Args: []*planpb.Expr{colRef(0, bt)}, Type: bt.Proto()}, []types.T{bt})
		if err != nil {
			t.Fatal(err)
		}
		avg, err := expr.CompileAggregate(&planpb.AggregateCall{Name: "avg", Args: []*planpb.Expr{colRef(0, bt)}, Type: types.New(types.Double).Proto()}, []types.T{bt})
		if err != nil {
			t.Fatal(err)
		}
		cs, as := count.NewState(), avg.NewState()
		cs.Grow(groups)
		as.Grow(groups)
		counts, sums := make([]int64, groups), make([]int64, groups)
		for range 1 + r.IntN(4) {
			n := 1 + r.IntN(3000)
			v := vector.New(bt, n)
			for i := range n {
				v.Int64[i] = r.Int64N(1000) - 500
			}
			b := vector.NewBatch([]*vector.Vector{v}, n)
			b.Sel = randomSel(r, n)
			rows := b.Rows(nil)
			gids := make([]int32, len(rows))
			for k, i := range rows {
				gids[k] = int32(r.IntN(groups))
				counts[gids[k]]++
				sums[gids[k]] += v.Int64[i]
			}
			for _, a := range []struct {
				agg *expr.Aggregate
				st  expr.State
			}{{count, cs}, {avg, as}} {
				args, err := a.agg.EvalArgs(b)
				if err != nil {
					t.Fatal(err)
				}
				if err := a.agg.Fold(a.st, args, rows, gids); err != nil {
					t.Fatal(err)
				}
			}
		}
		cv, err := count.Output(cs)
		if err != nil {
			t.Fatal(err)
		}
		av, err := avg.Output(as)
		if err != nil {
			t.Fatal(err)
		}
		for g := range groups {
			if cv.Int64[g] != counts[g] {
				t.Fatalf("iter %d group %d of %d: count %d, want %d", iter, g, groups, cv.Int64[g], counts[g])
			}
			if counts[g] == 0 {
				if !av.IsNull(g) {
					t.Fatalf("iter %d group %d: avg of nothing %s", iter, g, av.Format(g))
				}
				continue
			}
			if want := float64(sums[g]) / float64(counts[g]); av.IsNull(g) || math.Abs(av.Float64[g]-want) > 1e-9 {
				t.Fatalf("iter %d group %d of %d: avg %s, want %v", iter, g, groups, av.Format(g), want)
			}
		}
	}
}

// TestDecimalNaturalWide: DECIMAL +, - and * at the natural scale with 128-bit arguments (the
// in-place loops: 128 +/- 128 at one scale, 128 x 64 while the wide values fit in 64 bits) give
// the exact result, and an overflow error exactly when some active row leaves the precision;
// values small and at full precision, NULLs, selections.
func TestDecimalNaturalWide(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	for iter := range 600 {
		op := []string{"add", "subtract", "multiply"}[iter%3]
		s := int32(r.IntN(8))
		ta := types.DecimalOf(int32(19+r.IntN(20)), s)
		tb := types.DecimalOf(max(s, 1)+int32(r.IntN(38-int(max(s, 1)))), s)
		if op == "multiply" {
			tb = types.DecimalOf(int32(1+r.IntN(18)), 0)
			tb.Scale = int32(r.IntN(int(tb.Precision) + 1))
		}
		if r.IntN(2) == 0 {
			ta, tb = tb, ta
		}
		tr := types.DecimalOf(0, max(ta.Scale, tb.Scale))
		natural := max(ta.Precision-ta.Scale, tb.Precision-tb.Scale) + tr.Scale + 1
		if op == "multiply" {
			tr.Scale = ta.Scale + tb.Scale
			natural = ta.Precision + tb.Precision
		}
		tr.Precision = min(natural, types.MaxDecimalPrecision)
		if r.IntN(3) == 0 {
			tr.Precision = max(tr.Scale, 1) + int32(r.IntN(int(types.MaxDecimalPrecision-max(tr.Scale, 1))+1))
		}
		n := 1 + r.IntN(200)
		a, b := decimalVector(r, ta, n), decimalVector(r, tb, n)
		if r.IntN(2) == 0 { // small values: the 64-bit multiply
			for _, v := range []*vector.Vector{a, b} {
				for i := range n {
					if v.Int128 != nil {
						v.Int128[i] = types.I128(r.Int64N(1<<40) - 1<<39)
					}
				}
			}
		}
		e, err := expr.CompileEnv(call(op, tr, colRef(0, ta), colRef(1, tb)), []types.T{ta, tb}, expr.Env{Scratch: r.IntN(2) == 0})
		if err != nil {
			t.Fatal(err)
		}
		batch := vector.NewBatch([]*vector.Vector{a, b}, n)
		batch.Sel = randomSel(r, n)
		got, evalErr := e.Eval(batch)
		limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(tr.Precision)), nil)
		wantErr := false
		want := map[int32]*big.Int{}
		for _, i := range batch.Rows(nil) {
			if a.IsNull(int(i)) || b.IsNull(int(i)) {
				continue
			}
			x, y := unscaled(a, int(i)), unscaled(b, int(i))
			switch op {
			case "add":
				want[i] = new(big.Int).Add(x, y)
			case "subtract":
				want[i] = new(big.Int).Sub(x, y)
			default:
				want[i] = new(big.Int).Mul(x, y)
			}
			if new(big.Int).Abs(want[i]).Cmp(limit) >= 0 {
				wantErr = true
			}
		}
		if wantErr != (evalErr != nil) {
			t.Fatalf("iter %d: %s(%s, %s) -> %s: error %v, want error %v", iter, op, ta, tb, tr, evalErr, wantErr)
		}
		if wantErr {
			continue
		}
		for _, i := range batch.Rows(nil) {
			w, ok := want[i]
			if !ok {
				if !got.IsNull(int(i)) {
					t.Fatalf("iter %d row %d: want NULL, got %s", iter, i, got.Format(int(i)))
				}
				continue
			}
			if got.IsNull(int(i)) || unscaled(got, int(i)).Cmp(w) != 0 {
				t.Fatalf("iter %d: %s(%s %s, %s %s) -> %s: got %s, want unscaled %s", iter, op, a.Format(int(i)), ta, b.Format(int(i)), tb, tr, got.Format(int(i)), w)
			}
		}
	}
}

// TestCastToDecimalExact: casting 64-bit exact numbers (DECIMALs, integers, booleans) to DECIMAL
// — widening (one multiply per row), narrowing, rescaling — gives the exactly rounded value, or
// NULL when it does not fit the precision; on batches with NULLs and selections.
func TestCastToDecimalExact(t *testing.T) {
	r := rand.New(rand.NewPCG(47, 48))
	fromTs := []types.T{types.New(types.Boolean), types.New(types.TinyInt), types.New(types.SmallInt), types.New(types.Int), types.New(types.BigInt)}
	for iter := range 500 {
		from := fromTs[r.IntN(len(fromTs))]
		if r.IntN(2) == 0 {
			from = types.DecimalOf(int32(1+r.IntN(18)), 0)
			from.Scale = int32(r.IntN(int(from.Precision) + 1))
		}
		to := types.DecimalOf(int32(1+r.IntN(38)), 0)
		to.Scale = int32(r.IntN(int(to.Precision) + 1))
		n := 1 + r.IntN(100)
		v := vector.New(from, n)
		var lo, hi int64
		if from.Kind == types.Decimal {
			for i := range n {
				v.Int64[i] = randomDecimal(r, from.Precision).Int64()
			}
		} else {
			if from.Kind != types.Boolean {
				lo, hi = types.IntegerRange(from.Kind)
			} else {
				lo, hi = 0, 1
			}
			for i := range n {
				switch r.IntN(4) {
				case 0:
					v.Int64[i] = lo
				case 1:
					v.Int64[i] = hi
				default:
					v.Int64[i] = int64(r.Uint64()) // BIGINT's whole range
					if span := uint64(hi-lo) + 1; span != 0 {
						v.Int64[i] = lo + int64(r.Uint64N(span))
					}
				}
			}
		}
		for i := range n {
			if r.IntN(8) == 0 {
				v.SetNull(i)
			}
		}
		b := vector.NewBatch([]*vector.Vector{v}, n)
		b.Sel = randomSel(r, n)
		rows := b.Rows(nil)
		got := expr.Cast(v, rows, to)
		limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(to.Precision)), nil)
		for _, i := range rows {
			if v.IsNull(int(i)) {
				if !got.IsNull(int(i)) {
					t.Fatalf("iter %d: cast of NULL gave %s", iter, got.Format(int(i)))
				}
				continue
			}
			u := roundRat(ratOf(v, int(i)), to.Scale)
			if new(big.Int).Abs(u).Cmp(limit) >= 0 {
				if !got.IsNull(int(i)) {
					t.Fatalf("iter %d: %s %s as %s = %s, want NULL", iter, v.Format(int(i)), from, to, got.Format(int(i)))
				}
				continue
			}
			if got.IsNull(int(i)) || unscaled(got, int(i)).Cmp(u) != 0 {
				t.Fatalf("iter %d: %s %s as %s = %s, want unscaled %s", iter, v.Format(int(i)), from, to, got.Format(int(i)), u)
			}
		}
	}
}

// TestCompareCastLiteralExact: comparisons of CAST(DECIMAL column AS DECIMAL) with a DECIMAL
// literal (widening casts, which compare as the column, and others; literals the column's type
// holds exactly, which compare as that type, and others; NULL literals; either side first) equal
// the exact comparison of the cast values, in Eval and in Select.
func TestCompareCastLiteralExact(t *testing.T) {
	r := rand.New(rand.NewPCG(49, 50))
	boolT := types.New(types.Boolean)
	randDec := func(maxP int) types.T {
		d := types.DecimalOf(int32(1+r.IntN(maxP)), 0)
		d.Scale = int32(r.IntN(int(d.Precision) + 1))
		return d
	}
	ops := []string{"eq", "ne", "lt", "le", "gt", "ge", "eq_for_null"}
	for iter := range 1000 {
		ct := randDec(18)
		to := randDec(38)
		if r.IntN(2) == 0 { // widening
			to = types.DecimalOf(min(38, ct.Precision+int32(r.IntN(10))), ct.Scale+int32(r.IntN(3)))
			to.Precision = max(to.Precision, ct.Precision-ct.Scale+to.Scale)
		}
		lt := randDec(38)
		if r.IntN(2) == 0 {
			lt = types.DecimalOf(int32(19+r.IntN(20)), to.Scale-int32(r.IntN(int(to.Scale)+1)))
			lt.Precision = max(lt.Precision, lt.Scale)
		}
		lv := vector.New(lt, 1)
		x := randomDecimal(r, min(lt.Precision, 6))
		if lt.Physical() == types.PhysInt64 {
			lv.Int64[0] = x.Int64()
		} else {
			lv.Int128[0] = x
		}
		if r.IntN(10) == 0 {
			lv.SetNull(0)
		}
		lit := &planpb.Expr{Type: lt.Proto(), Kind: &planpb.Expr_Literal{Literal: expr.LiteralOf(lv, 0)}}
		op := ops[r.IntN(len(ops))]
		a, b := call("cast", to, colRef(0, ct)), lit
		swapped := r.IntN(2) == 0
		if swapped {
			a, b = b, a
		}
		e := call(op, boolT, a, b)
		n := 1 + r.IntN(100)
		col := vector.New(ct, n)
		for i := range n {
			col.Int64[i] = randomDecimal(r, min(ct.Precision, 6)).Int64()
			if r.IntN(3) == 0 && lv.IsNull(0) == false {
				// near the literal: equal values at another scale
				if u := roundRat(ratOf(lv, 0), ct.Scale); u.IsInt64() && new(big.Rat).SetFrac(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(ct.Scale)), nil)).Cmp(ratOf(lv, 0)) == 0 &&
					new(big.Int).Abs(u).Cmp(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(ct.Precision)), nil)) < 0 {
					col.Int64[i] = u.Int64() + r.Int64N(3) - 1
				}
			}
			if r.IntN(8) == 0 {
				col.SetNull(i)
			}
		}
		cast := expr.Cast(col, vector.Identity(nil, n), to)
		b2 := vector.NewBatch([]*vector.Vector{col}, n)
		b2.Sel = randomSel(r, n)
		ce, err := expr.CompileEnv(e, []types.T{ct}, expr.Env{Scratch: r.IntN(2) == 0})
		if err != nil {
			t.Fatal(err)
		}
		got, err := ce.Eval(b2)
		if err != nil {
			t.Fatal(err)
		}
		var wantSel []int32
		for _, i := range b2.Rows(nil) {
			cn, ln := cast.IsNull(int(i)), lv.IsNull(0)
			want := "NULL"
			switch {
			case op == "eq_for_null" && (cn || ln):
				want = fmt.Sprint(b2i(cn && ln))
			case cn || ln:
			default:
				c := ratOf(cast, int(i)).Cmp(ratOf(lv, 0))
				if swapped {
					c = -c
				}
				holds := map[string]bool{"eq": c == 0, "eq_for_null": c == 0, "ne": c != 0, "lt": c < 0, "le": c <= 0, "gt": c > 0, "ge": c >= 0}[op]
				want = fmt.Sprint(b2i(holds))
			}
			if g := got.Format(int(i)); g != want {
				t.Fatalf("iter %d: %s(%s as %s vs %s %s) row %d: got %s, want %s", iter, op, col.Format(int(i)), to, lv.Format(0), lt, i, g, want)
			}
			if want == "1" {
				wantSel = append(wantSel, i)
			}
		}
		if gs := selectInto(t, r, ce, b2); !slices.Equal(gs, wantSel) && (len(gs) > 0 || len(wantSel) > 0) {
			t.Fatalf("iter %d: %v selected %v, want %v", iter, e, gs, wantSel)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestStringCompareSelectMatchesEval: comparisons of strings (VARCHAR and CHAR, whose trailing
// spaces do not count) with a constant select exactly the rows where the general comparison
// (the constant behind a cast) is TRUE, either side first, inside ORs and ANDs too.
func TestStringCompareSelectMatchesEval(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	boolT := types.New(types.Boolean)
	words := []string{"a", "b", "é", " ", "ab", ""}
	ops := []string{"eq", "ne", "lt", "le", "gt", "ge"}
	for iter := range 500 {
		ct := []types.T{types.New(types.String), types.VarcharOf(8), types.CharOf(4)}[r.IntN(3)]
		lit := strLit(textOf(r, words, 3))
		if r.IntN(10) == 0 {
			lit = &planpb.Expr{Type: types.New(types.String).Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{IsNull: true}}}
		}
		cmp := func(r *rand.Rand, l *planpb.Expr) *planpb.Expr {
			a, b := colRef(0, ct), l
			if r.IntN(2) == 0 {
				a, b = b, a
			}
			return call(ops[r.IntN(len(ops))], boolT, a, b)
		}
		state := r.Uint64()
		build := func(wrap bool) *planpb.Expr {
			r := rand.New(rand.NewPCG(state, 0)) // the same shape both times
			l := lit
			if wrap {
				l = call("cast", types.New(types.String), lit)
			}
			c := cmp(r, l)
			switch r.IntN(3) {
			case 0:
				return call("or", boolT, c, call("eq", boolT, colRef(1, types.New(types.BigInt)), decLit(types.New(types.BigInt), 1)))
			case 1:
				return call("and", boolT, call("ne", boolT, colRef(1, types.New(types.BigInt)), decLit(types.New(types.BigInt), 2)), c)
			}
			return c
		}
		in := []types.T{ct, types.New(types.BigInt)}
		e, err := expr.CompileEnv(build(false), in, expr.Env{Scratch: r.IntN(2) == 0})
		if err != nil {
			t.Fatal(err)
		}
		ref, err := expr.Compile(build(true), in)
		if err != nil {
			t.Fatal(err)
		}
		n := 1 + r.IntN(100)
		col, ints := vector.New(ct, n), vector.New(types.New(types.BigInt), n)
		for i := range n {
			col.Bytes[i] = []byte(textOf(r, words, 3))
			ints.Int64[i] = r.Int64N(4)
			if r.IntN(8) == 0 {
				col.SetNull(i)
			}
		}
		b := vector.NewBatch([]*vector.Vector{col, ints}, n)
		b.Sel = randomSel(r, n)
		want := selectedByEval(t, ref, b)
		if got := selectInto(t, r, e, b); !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
			t.Fatalf("iter %d: %v\nselected %v\nwant     %v", iter, build(false), got, want)
		}
	}
}
