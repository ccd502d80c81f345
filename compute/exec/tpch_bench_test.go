package exec_test

import (
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// TPC-H-shaped plans over lineitem-like columns in memory (the plans the binder makes for q1 and
// q6, see EXPLAIN): scan cost is near zero, so these measure filters, expressions and
// aggregation. 8 tablets x 128 Ki rows; MB/s reads as Mrows/s.

var (
	tDec152  = types.DecimalOf(15, 2)
	tDate    = types.New(types.Date)
	tChar1   = types.CharOf(1)
	lineTy   = []types.T{tDec152, tDec152, tDec152, tDec152, tChar1, tChar1, tDate}
	flagVals = [][]byte{[]byte("A"), []byte("N"), []byte("R")}
)

// lineitemTables: l_quantity, l_extendedprice, l_discount, l_tax, l_returnflag, l_linestatus,
// l_shipdate with TPC-H's value ranges.
func lineitemTables(rows int) (colTablets, []*planpb.ScanRange) {
	r := rand.New(rand.NewPCG(6, 1))
	tabs := colTablets{}
	var ranges []*planpb.ScanRange
	for t := range 8 {
		cols := make([]*vector.Vector, len(lineTy))
		for k, ty := range lineTy {
			cols[k] = vector.New(ty, rows)
		}
		for i := range rows {
			cols[0].Int64[i] = (1 + r.Int64N(50)) * 100
			cols[1].Int64[i] = 90000 + r.Int64N(10400000)
			cols[2].Int64[i] = r.Int64N(11)
			cols[3].Int64[i] = r.Int64N(9)
			cols[4].Bytes[i] = flagVals[r.IntN(3)]
			cols[5].Bytes[i] = flagVals[1+r.IntN(2)&1]
			cols[6].Int64[i] = 8036 + r.Int64N(2526) // 1992-01-02 .. 1998-12-01
		}
		id := int64(100 + t)
		tabs[id] = cols
		ranges = append(ranges, &planpb.ScanRange{NodeId: 1, TabletId: id})
	}
	return tabs, ranges
}

func decLit(unscaled int64, t types.T) *planpb.Expr { return intLit(unscaled, t) }

func dateLit(days int64) *planpb.Expr { return intLit(days, tDate) }

// lineScan scans the lineitem-like tablets with the given conjuncts (as the planner pushes them).
func lineScan(conjuncts ...*planpb.Expr) *planpb.PlanNode {
	schema := &commonpb.TabletSchema{}
	var ids []int32
	for k, t := range lineTy {
		schema.Columns = append(schema.Columns, &commonpb.Column{UniqueId: int32(k + 1), Type: t.Proto()})
		ids = append(ids, int32(k+1))
	}
	return &planpb.PlanNode{Id: 1, Node: &planpb.PlanNode_OlapScan{OlapScan: &planpb.OlapScanNode{
		TableId: 1, Schema: schema, ColumnUniqueIds: ids, Conjuncts: conjuncts,
	}}}
}

func aggCall(name string, t types.T, args ...*planpb.Expr) *planpb.AggregateCall {
	return &planpb.AggregateCall{Name: name, Args: args, Type: t.Proto()}
}

// BenchmarkTPCHQ1: the aggregation of TPC-H q1 (the sort of its 4 rows aside).
func BenchmarkTPCHQ1(b *testing.B) {
	const rows = 128 << 10
	tabs, ranges := lineitemTables(rows)
	col := func(i int) *planpb.Expr { return colRef(i, lineTy[i]) }
	d162, d314, d386 := types.DecimalOf(16, 2), types.DecimalOf(31, 4), types.DecimalOf(38, 6)
	one := decLit(1, types.DecimalOf(3, 0))
	discPrice := call("multiply", d314, col(1), call("subtract", d162, one, col(2)))
	charge := call("multiply", d386, discPrice, call("add", d162, one, col(3)))
	plan := aggOn(lineScan(call("le", tBool, col(6), dateLit(10471))), // 1998-09-02
		[]*planpb.Expr{col(4), col(5)},
		aggCall("sum", types.DecimalOf(38, 2), col(0)),
		aggCall("sum", types.DecimalOf(38, 2), col(1)),
		aggCall("sum", types.DecimalOf(38, 4), discPrice),
		aggCall("sum", d386, charge),
		aggCall("avg", types.DecimalOf(38, 4), col(0)),
		aggCall("avg", types.DecimalOf(38, 4), col(1)),
		aggCall("avg", types.DecimalOf(38, 4), col(2)),
		aggCall("count", tBigint))
	benchRun(b, plan, tabs, ranges, 8*rows)
}

// BenchmarkTPCHQ6: TPC-H q6 (its conjuncts on the scan).
func BenchmarkTPCHQ6(b *testing.B) {
	const rows = 128 << 10
	tabs, ranges := lineitemTables(rows)
	col := func(i int) *planpb.Expr { return colRef(i, lineTy[i]) }
	scan := lineScan(
		call("ge", tBool, col(6), dateLit(8766)), // 1994-01-01
		call("lt", tBool, col(6), dateLit(9131)), // 1995-01-01
		call("ge", tBool, col(2), decLit(5, tDec152)),
		call("le", tBool, col(2), decLit(7, tDec152)),
		call("lt", tBool, col(0), decLit(2400, tDec152)))
	plan := aggOn(scan, nil,
		aggCall("sum", types.DecimalOf(38, 4), call("multiply", types.DecimalOf(30, 4), col(1), col(2))))
	benchRun(b, plan, tabs, ranges, 8*rows)
}

// BenchmarkTPCHQ14Probe: TPC-H q14's lineitem side — a month of l_shipdate (about 1.2 % of the
// rows) probing a hash join — whose scan hands its batches to a join (which may keep them), not
// to an aggregate: each batch's selection is its own.
func BenchmarkTPCHQ14Probe(b *testing.B) {
	const rows = 128 << 10
	tabs, ranges := lineitemTables(rows)
	col := func(i int) *planpb.Expr { return colRef(i, lineTy[i]) }
	scan := lineScan(
		call("ge", tBool, col(6), dateLit(9374)), // 1995-09-01
		call("lt", tBool, col(6), dateLit(9404))) // 1995-10-01
	keys := vector.New(tDec152, 50)
	for i := range keys.Int64 {
		keys.Int64[i] = int64(i+1) * 100 // every l_quantity
	}
	build := &planpb.PlanNode{Id: 2, Node: &planpb.PlanNode_Values{Values: &planpb.ValuesNode{
		Rows: vector.ToProto(vector.NewBatch([]*vector.Vector{keys}, 50))}}}
	join := &planpb.PlanNode{Id: 3, Children: []*planpb.PlanNode{scan, build}, Node: &planpb.PlanNode_HashJoin{HashJoin: &planpb.HashJoinNode{
		Type: planpb.JoinType_INNER, ProbeKeys: []*planpb.Expr{col(0)}, BuildKeys: []*planpb.Expr{colRef(0, tDec152)}}}}
	plan := aggOn(join, nil, aggCall("sum", types.DecimalOf(38, 2), col(1)))
	benchRun(b, plan, tabs, ranges, 8*rows)
}
