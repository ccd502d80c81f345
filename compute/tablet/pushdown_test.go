package tablet_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

func colRef(i int32, t types.T) *planpb.Expr {
	return &planpb.Expr{Type: t.Proto(), Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: i}}}
}

func lit(t types.T, v int64) *planpb.Expr {
	return &planpb.Expr{Type: t.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Int64: v}}}
}

func call(name string, t types.T, args ...*planpb.Expr) *planpb.Expr {
	return &planpb.Expr{Type: t.Proto(), Kind: &planpb.Expr_Call{Call: &planpb.Call{Name: name, Args: args}}}
}

// TestPushdownPrunesAndKeepsResults: conjuncts pushed into a DUPLICATE tablet's segments skip
// rows through the zone maps and short keys, and the rows left, filtered exactly, are those an
// unpruned scan gives.
func TestPushdownPrunesAndKeepsResults(t *testing.T) {
	ctx := context.Background()
	i64, boolean := types.New(types.BigInt), types.New(types.Boolean)
	sch := schema(bigint(1), bigint(2))
	specs := []segment.ColumnSpec{{UniqueID: 1, Type: i64}, {UniqueID: 2, Type: i64}}
	f := newFixture()
	r := rand.New(rand.NewPCG(3, 4))
	for range 4 { // four rowsets of sorted runs over different ranges
		lo := r.Int64N(5000)
		var seg []int64
		for k := range 1500 {
			seg = append(seg, lo+int64(k))
		}
		f.load(t, 7, specs, seg)
	}
	snapAt := func() *tablet.Snapshot {
		snap, err := f.reader.Capture(ctx, 7, 5)
		if err != nil {
			t.Fatal(err)
		}
		return snap
	}
	run := func(conjuncts []*planpb.Expr, prune bool) ([]int64, int64) {
		sc, err := f.reader.Scan(snapAt(), sch, []int32{1, 2}, 1+r.IntN(500))
		if err != nil {
			t.Fatal(err)
		}
		if prune {
			sc.Prune(tablet.Pushdown(conjuncts, []int32{1, 2}, sch))
		}
		var preds []*expr.Expr
		for _, c := range conjuncts {
			p, err := expr.Compile(c, []types.T{i64, i64})
			if err != nil {
				t.Fatal(err)
			}
			preds = append(preds, p)
		}
		var out []int64
		for {
			b, err := sc.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if b == nil {
				break
			}
			for i := range b.N {
				keep := true
				for _, p := range preds {
					v, err := p.Eval(vector.NewBatch(b.Cols, b.N))
					if err != nil {
						t.Fatal(err)
					}
					keep = keep && !v.IsNull(i) && v.Int64[i] != 0
				}
				if keep {
					out = append(out, b.Cols[0].Int64[i])
				}
			}
		}
		slices.Sort(out)
		return out, sc.Pruned()
	}
	prunedSome := false
	for trial := range 40 {
		a := r.Int64N(7000)
		conj := []*planpb.Expr{call("ge", boolean, colRef(0, i64), lit(i64, a)), call("lt", boolean, lit(i64, a+r.Int64N(800)), colRef(0, i64))}
		if trial%3 == 0 { // the other column, under a widening cast, and flipped sides
			conj = []*planpb.Expr{call("le", boolean, lit(i64, 2*a), call("cast", i64, colRef(1, i64)))}
		}
		if trial%5 == 0 {
			conj = append(conj, call("in", boolean, colRef(0, i64), lit(i64, a), lit(i64, a+1), lit(i64, 9000)))
		}
		want, _ := run(conj, false)
		got, pruned := run(conj, true)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: pruned scan gives %d rows, unpruned %d", trial, len(got), len(want))
		}
		prunedSome = prunedSome || pruned > 0
	}
	if !prunedSome {
		t.Fatal("no trial skipped a row: the indexes were not used")
	}
}

// TestPushdownShapes: which conjuncts become column predicates.
func TestPushdownShapes(t *testing.T) {
	i64, i32, boolean := types.New(types.BigInt), types.New(types.Int), types.New(types.Boolean)
	dec := types.DecimalOf(15, 2)
	sch := &commonpb.TabletSchema{KeysType: commonpb.KeysType_DUP_KEYS, NumKeyColumns: 1, Columns: []*commonpb.Column{
		{UniqueId: 10, Type: i32.Proto()}, {UniqueId: 11, Type: dec.Proto()}, {UniqueId: 12, Type: types.CharOf(3).Proto()}}}
	ids := []int32{10, 11, 12}
	for _, c := range []struct {
		e    *planpb.Expr
		want int
	}{
		{call("eq", boolean, colRef(0, i32), lit(i32, 5)), 1},
		{call("gt", boolean, call("cast", i64, colRef(0, i32)), lit(i64, 5)), 1},                                                                                                    // widening cast
		{call("gt", boolean, call("cast", types.DecimalOf(38, 2), colRef(1, dec)), lit(types.DecimalOf(38, 2), 5)), 1},                                                              // same scale
		{call("gt", boolean, call("cast", types.DecimalOf(38, 4), colRef(1, dec)), lit(types.DecimalOf(38, 4), 5)), 0},                                                              // scale changes
		{call("eq", boolean, colRef(2, types.CharOf(3)), &planpb.Expr{Type: types.CharOf(3).Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Bytes: []byte("a")}}}), 0}, // CHAR: trailing spaces
		{call("is_null", boolean, colRef(0, i32)), 1},
		{call("add", i32, colRef(0, i32), lit(i32, 1)), 0},
		{call("eq", boolean, colRef(0, i32), colRef(0, i32)), 0},
		{call("and", boolean, call("ge", boolean, colRef(0, i32), lit(i32, 1)), call("lt", boolean, colRef(0, i32), lit(i32, 9))), 2}, // a fused range
		{call("and", boolean, call("is_null", boolean, colRef(0, i32)), call("and", boolean, call("gt", boolean, colRef(1, dec), lit(dec, 1)), call("add", i32, colRef(0, i32), lit(i32, 1)))), 2},
		{call("or", boolean, call("ge", boolean, colRef(0, i32), lit(i32, 1)), call("lt", boolean, colRef(0, i32), lit(i32, 9))), 0},
	} {
		if got := len(tablet.Pushdown([]*planpb.Expr{c.e}, ids, sch)); got != c.want {
			t.Errorf("%v: %d predicates, want %d", c.e, got, c.want)
		}
	}
}
