package expr_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Benchmarks of the expression shapes TPC-H spends its time on (batches of 4096 rows; MB/s reads
// as Mrows/s).

func decLit(t types.T, unscaled int64) *planpb.Expr {
	return &planpb.Expr{Type: t.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Int64: unscaled}}}
}

// tpchPrices returns l_extendedprice, l_discount and l_tax-like DECIMAL(15,2) columns.
func tpchPrices(n int) []*vector.Vector {
	r := rand.New(rand.NewPCG(3, 3))
	t := types.DecimalOf(15, 2)
	price, disc, tax := vector.New(t, n), vector.New(t, n), vector.New(t, n)
	for i := range n {
		price.Int64[i] = 90000 + r.Int64N(10_400_000)
		disc.Int64[i] = r.Int64N(11)
		tax.Int64[i] = r.Int64N(9)
	}
	return []*vector.Vector{price, disc, tax}
}

// q01's charge: l_extendedprice * (1 - l_discount) * (1 + l_tax), types as the binder gives them.
func chargeExpr() *planpb.Expr {
	d := types.DecimalOf(15, 2)
	one := decLit(types.DecimalOf(3, 0), 1)
	disc := call("multiply", types.DecimalOf(31, 4), colRef(0, d), call("subtract", types.DecimalOf(16, 2), one, colRef(1, d)))
	return call("multiply", types.DecimalOf(38, 6), disc, call("add", types.DecimalOf(16, 2), one, colRef(2, d)))
}

// BenchmarkTPCHCharge evaluates it as aggregate arguments are (Env.Scratch).
func BenchmarkTPCHCharge(b *testing.B) {
	cols := tpchPrices(4096)
	d := cols[0].Type
	e, err := expr.CompileEnv(chargeExpr(), []types.T{d, d, d}, expr.Env{Scratch: true})
	if err != nil {
		b.Fatal(err)
	}
	batch := vector.NewBatch(cols, 4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := e.Eval(batch); err != nil {
			b.Fatal(err)
		}
	}
}

// SUM(charge) over 4 groups, as q01 folds it (arguments evaluated once).
func BenchmarkTPCHSumCharge(b *testing.B) {
	d := types.DecimalOf(15, 2)
	a, err := expr.CompileAggregate(&planpb.AggregateCall{Name: "sum", Args: []*planpb.Expr{chargeExpr()}, Type: types.DecimalOf(38, 6).Proto()}, []types.T{d, d, d})
	if err != nil {
		b.Fatal(err)
	}
	batch := vector.NewBatch(tpchPrices(4096), 4096)
	rows := vector.Identity(nil, 4096)
	gids := make([]int32, 4096)
	for i := range gids {
		gids[i] = int32(i % 4)
	}
	s := a.NewState()
	s.Grow(4)
	args, err := a.EvalArgs(batch)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := a.Fold(s, args, rows, gids); err != nil {
			b.Fatal(err)
		}
	}
}

func comments(n int) *vector.Vector {
	r := rand.New(rand.NewPCG(4, 4))
	words := []string{"furiously", "special", "requests", "packages", "carefully", "final", "deposits", "ironic", "blithely", "accounts", "sleep", "quickly"}
	v := vector.New(types.New(types.String), n)
	for i := range n {
		s := ""
		for len(s) < 19+r.IntN(60) {
			s += words[r.IntN(len(words))] + " "
		}
		v.Bytes[i] = []byte(s)
	}
	return v
}

// q13's filter: o_comment NOT LIKE '%special%requests%', selecting rows.
func BenchmarkTPCHNotLikeSelect(b *testing.B) {
	col := comments(4096)
	e, err := expr.Compile(call("not_like", types.New(types.Boolean), colRef(0, col.Type), strLit("%special%requests%")), []types.T{col.Type})
	if err != nil {
		b.Fatal(err)
	}
	batch := vector.NewBatch([]*vector.Vector{col}, 4096)
	sel := make([]int32, 4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := e.Select(batch, sel); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTPCHLikeEval(b *testing.B) {
	col := comments(4096)
	for _, p := range []string{"%special%requests%", "%requests%", "special%", "%sleep ", "%special%requests%deposits%"} {
		b.Run(p, func(b *testing.B) {
			benchEval(b, call("like", types.New(types.Boolean), colRef(0, col.Type), strLit(p)), []*vector.Vector{col})
		})
	}
}

// q22: substring(c_phone, 1, 2) IN ('13', '31', '23', '29', '30', '18', '17'), selecting rows.
func BenchmarkTPCHSubstringInSelect(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 5))
	st := types.CharOf(15)
	col := vector.New(st, 4096)
	for i := range col.Bytes {
		col.Bytes[i] = []byte(fmt.Sprintf("%d-%03d-%03d-%04d", 10+r.IntN(25), r.IntN(1000), r.IntN(1000), r.IntN(10000)))
	}
	it := types.New(types.BigInt)
	sub := call("substring", types.VarcharOf(15), colRef(0, st), decLit(it, 1), decLit(it, 2))
	args := []*planpb.Expr{sub}
	for _, s := range []string{"13", "31", "23", "29", "30", "18", "17"} {
		args = append(args, strLit(s))
	}
	e, err := expr.Compile(call("in", types.New(types.Boolean), args...), []types.T{st})
	if err != nil {
		b.Fatal(err)
	}
	batch := vector.NewBatch([]*vector.Vector{col}, 4096)
	sel := make([]int32, 4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := e.Select(batch, sel); err != nil {
			b.Fatal(err)
		}
	}
}

// q14's CASE WHEN p_type LIKE 'PROMO%' THEN l_extendedprice * (1 - l_discount) ELSE 0 END.
func BenchmarkTPCHCasePromo(b *testing.B) {
	r := rand.New(rand.NewPCG(6, 6))
	cols := tpchPrices(4096)
	st := types.VarcharOf(25)
	ptype := vector.New(st, 4096)
	for i := range ptype.Bytes {
		ptype.Bytes[i] = []byte([]string{"PROMO BRUSHED TIN", "STANDARD POLISHED COPPER", "ECONOMY ANODIZED STEEL", "LARGE PLATED BRASS", "MEDIUM BURNISHED NICKEL", "SMALL BRUSHED TIN"}[r.IntN(6)])
	}
	d := cols[0].Type
	one := decLit(types.DecimalOf(3, 0), 1)
	rev := call("multiply", types.DecimalOf(31, 4), colRef(0, d), call("subtract", types.DecimalOf(16, 2), one, colRef(1, d)))
	e := call("case", types.DecimalOf(31, 4), call("like", types.New(types.Boolean), colRef(3, st), strLit("PROMO%")), rev, decLit(types.DecimalOf(31, 4), 0))
	c, err := expr.CompileEnv(e, []types.T{d, d, d, st}, expr.Env{Scratch: true})
	if err != nil {
		b.Fatal(err)
	}
	batch := vector.NewBatch(append(cols, ptype), 4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Eval(batch); err != nil {
			b.Fatal(err)
		}
	}
}

// q19's lineitem filter: (l_quantity >= 1 AND CAST(l_quantity AS DECIMAL(21,2)) <= 11) OR ...
// (three ranges), as the binder types it, selecting rows.
func BenchmarkTPCHQ19Filter(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 7))
	d, w := types.DecimalOf(15, 2), types.DecimalOf(21, 2)
	col := vector.New(d, 4096)
	for i := range col.Int64 {
		col.Int64[i] = (1 + r.Int64N(50)) * 100
	}
	boolT := types.New(types.Boolean)
	wideLit := func(v int64) *planpb.Expr {
		return &planpb.Expr{Type: w.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Lo: uint64(v)}}}
	}
	rng := func(lo, hi int64) *planpb.Expr {
		return call("and", boolT, call("ge", boolT, colRef(0, d), decLit(d, lo)), call("le", boolT, call("cast", w, colRef(0, d)), wideLit(hi)))
	}
	e, err := expr.Compile(call("or", boolT, call("or", boolT, rng(100, 1100), rng(1000, 2000)), rng(2000, 3000)), []types.T{d})
	if err != nil {
		b.Fatal(err)
	}
	batch := vector.NewBatch([]*vector.Vector{col}, 4096)
	sel := make([]int32, 4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := e.Select(batch, sel); err != nil {
			b.Fatal(err)
		}
	}
}

// q12's SUM(CASE WHEN o_orderpriority = '1-URGENT' OR o_orderpriority = '2-HIGH' THEN 1 ELSE 0 END)
// argument.
func BenchmarkTPCHCaseOr(b *testing.B) {
	r := rand.New(rand.NewPCG(8, 8))
	st := types.CharOf(15)
	col := vector.New(st, 4096)
	for i := range col.Bytes {
		col.Bytes[i] = []byte([]string{"1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"}[r.IntN(5)])
	}
	boolT, it := types.New(types.Boolean), types.New(types.BigInt)
	when := call("or", boolT, call("eq", boolT, colRef(0, st), strLit("1-URGENT")), call("eq", boolT, colRef(0, st), strLit("2-HIGH")))
	e, err := expr.CompileEnv(call("case", it, when, decLit(it, 1), decLit(it, 0)), []types.T{st}, expr.Env{Scratch: true})
	if err != nil {
		b.Fatal(err)
	}
	batch := vector.NewBatch([]*vector.Vector{col}, 4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := e.Eval(batch); err != nil {
			b.Fatal(err)
		}
	}
}
