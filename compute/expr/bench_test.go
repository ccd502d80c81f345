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

func benchEval(b *testing.B, e *planpb.Expr, cols []*vector.Vector) {
	in := make([]types.T, len(cols))
	for i, c := range cols {
		in[i] = c.Type
	}
	c, err := expr.Compile(e, in)
	if err != nil {
		b.Fatal(err)
	}
	batch := vector.NewBatch(cols, cols[0].Len())
	b.SetBytes(int64(batch.N))
	b.ResetTimer()
	for range b.N {
		if _, err := c.Eval(batch); err != nil {
			b.Fatal(err)
		}
	}
}

func ints(t types.T, n int) *vector.Vector {
	r := rand.New(rand.NewPCG(1, 1))
	v := vector.New(t, n)
	for i := range v.Int64 {
		v.Int64[i] = r.Int64N(1 << 30)
	}
	return v
}

// Per-row cost is ns/op divided by 4096 (SetBytes counts rows, so MB/s reads as Mrows/s).
func BenchmarkAddBigint(b *testing.B) {
	t := types.New(types.BigInt)
	benchEval(b, call("add", t, colRef(0, t), colRef(1, t)), []*vector.Vector{ints(t, 4096), ints(t, 4096)})
}

func BenchmarkAddDecimal(b *testing.B) {
	a, c := types.DecimalOf(15, 2), types.DecimalOf(12, 4)
	benchEval(b, call("add", types.DecimalOf(18, 4), colRef(0, a), colRef(1, c)), []*vector.Vector{ints(a, 4096), ints(c, 4096)})
}

func BenchmarkLtDecimalScales(b *testing.B) {
	a, c := types.DecimalOf(15, 2), types.DecimalOf(12, 4)
	benchEval(b, call("lt", types.New(types.Boolean), colRef(0, a), colRef(1, c)), []*vector.Vector{ints(a, 4096), ints(c, 4096)})
}

func BenchmarkLikeContains(b *testing.B) {
	st := types.New(types.String)
	v := vector.New(st, 4096)
	for i := range v.Bytes {
		v.Bytes[i] = []byte(fmt.Sprintf("customer#%09d special requests", i))
	}
	pat := &planpb.Expr{Type: st.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Bytes: []byte("%special%requests%")}}}
	benchEval(b, call("like", types.New(types.Boolean), colRef(0, st), pat), []*vector.Vector{v})
}

// TPC-H's l_extendedprice * (1 - l_discount): DECIMAL(15,2) * DECIMAL(16,2).
func BenchmarkMulDecimal(b *testing.B) {
	a, c := types.DecimalOf(15, 2), types.DecimalOf(16, 2)
	benchEval(b, call("multiply", types.DecimalOf(31, 4), colRef(0, a), colRef(1, c)), []*vector.Vector{ints(a, 4096), ints(c, 4096)})
}

// SUM(DECIMAL(15,2)) into 16 groups.
func BenchmarkSumDecimal(b *testing.B) {
	at := types.DecimalOf(15, 2)
	a, err := expr.CompileAggregate(&planpb.AggregateCall{Name: "sum", Args: []*planpb.Expr{colRef(0, at)}, Type: types.DecimalOf(38, 2).Proto()}, []types.T{at})
	if err != nil {
		b.Fatal(err)
	}
	batch := vector.NewBatch([]*vector.Vector{ints(at, 4096)}, 4096)
	rows := vector.Identity(nil, 4096)
	gids := make([]int32, 4096)
	for i := range gids {
		gids[i] = int32(i % 16)
	}
	s := a.NewState()
	s.Grow(16)
	args, _ := a.EvalArgs(batch)
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := a.Fold(s, args, rows, gids); err != nil {
			b.Fatal(err)
		}
	}
}

func dates(t types.T, n int) *vector.Vector {
	r := rand.New(rand.NewPCG(2, 2))
	v := vector.New(t, n)
	for i := range v.Int64 {
		v.Int64[i] = 8000 + r.Int64N(3000)
		if t.Kind == types.DateTime {
			v.Int64[i] = v.Int64[i]*86400_000_000 + r.Int64N(86400_000_000)
		}
	}
	return v
}

func BenchmarkYearDate(b *testing.B) {
	t := types.New(types.Date)
	benchEval(b, call("year", types.New(types.SmallInt), colRef(0, t)), []*vector.Vector{dates(t, 4096)})
}

func BenchmarkMonthDateTime(b *testing.B) {
	t := types.DateTimeOf(0)
	benchEval(b, call("month", types.New(types.TinyInt), colRef(0, t)), []*vector.Vector{dates(t, 4096)})
}

func BenchmarkHourDateTime(b *testing.B) {
	t := types.DateTimeOf(0)
	benchEval(b, call("hour", types.New(types.TinyInt), colRef(0, t)), []*vector.Vector{dates(t, 4096)})
}

func BenchmarkMonthsAddDate(b *testing.B) {
	t := types.New(types.Date)
	n := &planpb.Expr{Type: types.New(types.BigInt).Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Int64: 3}}}
	benchEval(b, call("months_add", t, colRef(0, t), n), []*vector.Vector{dates(t, 4096)})
}
