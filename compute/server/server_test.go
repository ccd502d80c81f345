package server_test

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"net"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/computetest"
	"github.com/doricdb/doric/compute/server"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

const instance = "test-instance"

var (
	tInt    = types.New(types.Int)
	tBigint = types.New(types.BigInt)
	tStr    = types.VarcharOf(16)
	tDec    = types.DecimalOf(15, 2)
	tDate   = types.New(types.Date)
	tBool   = types.New(types.Boolean)
)

// The table: k1 INT, k2 VARCHAR(16) (keys), v DECIMAL(15,2), qty BIGINT, day DATE; DUPLICATE
// KEY, distributed by k1 into three buckets.
func tableSchema() *commonpb.TabletSchema {
	col := func(id int32, name string, t types.T, nullable, key bool) *commonpb.Column {
		return &commonpb.Column{UniqueId: id, Name: name, Type: t.Proto(), Nullable: nullable, IsKey: key}
	}
	return &commonpb.TabletSchema{KeysType: commonpb.KeysType_DUP_KEYS, NumKeyColumns: 2, Columns: []*commonpb.Column{
		col(1, "k1", tInt, false, true), col(2, "k2", tStr, false, true), col(3, "v", tDec, true, false),
		col(4, "qty", tBigint, true, false), col(5, "day", tDate, true, false),
	}}
}

type row struct {
	k1  int64
	k2  string
	v   *int64 // unscaled, scale 2
	qty *int64
	day *int64
}

func randomRows(r *rand.Rand, n int) []row {
	out := make([]row, n)
	for i := range out {
		rw := row{k1: r.Int64N(1000), k2: fmt.Sprint("g", r.IntN(12))}
		if r.IntN(10) != 0 {
			x := r.Int64N(2_000_000) - 500_000
			rw.v = &x
		}
		if r.IntN(10) != 0 {
			x := r.Int64N(100)
			rw.qty = &x
		}
		if r.IntN(10) != 0 {
			x := types.DaysFromCivil(2024, 1, 1) + r.Int64N(366)
			rw.day = &x
		}
		out[i] = rw
	}
	return out
}

func toBatch(rows []row) *commonpb.Batch {
	cols := []*vector.Vector{vector.New(tInt, len(rows)), vector.New(tStr, len(rows)), vector.New(tDec, len(rows)), vector.New(tBigint, len(rows)), vector.New(tDate, len(rows))}
	for i, rw := range rows {
		cols[0].Int64[i] = rw.k1
		cols[1].Bytes[i] = []byte(rw.k2)
		for k, p := range []*int64{rw.v, rw.qty, rw.day} {
			if p == nil {
				cols[k+2].SetNull(i)
			} else {
				cols[k+2].Int64[i] = *p
			}
		}
	}
	return vector.ToProto(vector.NewBatch(cols, len(rows)))
}

type cluster struct {
	meta    *computetest.FakeMeta
	client  computepb.ComputeServiceClient
	tablets []int64
}

func start(t *testing.T) *cluster {
	t.Helper()
	meta := computetest.NewFakeMeta(instance)
	meta.AddVault(&metapb.StorageVault{Id: "vault-1", Name: "built_in", Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: t.TempDir()}}})
	meta.AddVault(&metapb.StorageVault{Id: "vault-azure", Name: "remote", Backend: &metapb.StorageVault_S3{S3: &metapb.S3Vault{Bucket: "b", Provider: "AZURE"}}})
	srv, err := server.New(server.Config{Meta: meta, InstanceID: instance, BatchSize: 1 + rand.IntN(1000)})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(grpc.MaxRecvMsgSize(64 << 20))
	srv.Register(gs)
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &cluster{meta: meta, client: computepb.NewComputeServiceClient(conn), tablets: []int64{501, 502, 503}}
}

func (c *cluster) writeReq(txn int64, vaultID string, rows *commonpb.Batch) *computepb.WriteRequest {
	return &computepb.WriteRequest{LoadId: fmt.Sprint("load-", txn), TxnId: txn, Rows: rows, Sink: &computepb.TabletSink{
		DbId: 1, TableId: 2, IndexId: 3, Schema: tableSchema(), DistributionColumns: []int32{0}, VaultId: vaultID,
		Partitions: []*computepb.PartitionSink{{PartitionId: 9, TabletIds: c.tablets}},
	}}
}

// load writes rows in one txn and commits it; it returns the new partition version.
func (c *cluster) load(t *testing.T, txn int64, rows []row) int64 {
	t.Helper()
	ctx := context.Background()
	resp, err := c.client.Write(ctx, c.writeReq(txn, "vault-1", toBatch(rows)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.NumRows != int64(len(rows)) {
		t.Fatalf("wrote %d rows, want %d", resp.NumRows, len(rows))
	}
	cr, err := c.meta.CommitTxn(ctx, &metapb.CommitTxnRequest{InstanceId: instance, TxnId: txn})
	if err != nil {
		t.Fatal(err)
	}
	return cr.Versions[0].Version
}

func colRef(i int, t types.T) *planpb.Expr {
	return &planpb.Expr{Type: t.Proto(), Nullable: true, Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(i)}}}
}

func lit(t types.T, l *planpb.Literal) *planpb.Expr {
	return &planpb.Expr{Type: t.Proto(), Kind: &planpb.Expr_Literal{Literal: l}}
}

func call(name string, t types.T, args ...*planpb.Expr) *planpb.Expr {
	return &planpb.Expr{Type: t.Proto(), Nullable: true, Kind: &planpb.Expr_Call{Call: &planpb.Call{Name: name, Args: args}}}
}

func node(id int32, child *planpb.PlanNode, n any) *planpb.PlanNode {
	p := &planpb.PlanNode{Id: id}
	if child != nil {
		p.Children = []*planpb.PlanNode{child}
	}
	switch k := n.(type) {
	case *planpb.OlapScanNode:
		p.Node = &planpb.PlanNode_OlapScan{OlapScan: k}
	case *planpb.FilterNode:
		p.Node = &planpb.PlanNode_Filter{Filter: k}
	case *planpb.AggregateNode:
		p.Node = &planpb.PlanNode_Aggregate{Aggregate: k}
	case *planpb.SortNode:
		p.Node = &planpb.PlanNode_Sort{Sort: k}
	case *planpb.LimitNode:
		p.Node = &planpb.PlanNode_Limit{Limit: k}
	case *planpb.ProjectNode:
		p.Node = &planpb.PlanNode_Project{Project: k}
	}
	return p
}

// run executes a fragment and returns its rows formatted "a|b|...".
func (c *cluster) run(t *testing.T, root *planpb.PlanNode, version int64) ([]string, error) {
	t.Helper()
	req := &computepb.ExecFragmentRequest{QueryId: "q", Fragment: &planpb.Fragment{Root: root}}
	for _, tab := range c.tablets {
		req.ScanRanges = append(req.ScanRanges, &planpb.ScanRange{NodeId: 1, TabletId: tab, PartitionId: 9, Version: version})
	}
	stream, err := c.client.ExecFragment(context.Background(), req)
	if err != nil {
		return nil, err
	}
	var out []string
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := vector.FromProto(resp.Batch)
		if err != nil {
			t.Fatal(err)
		}
		for i := range b.N {
			var parts []string
			for _, col := range b.Cols {
				parts = append(parts, col.Format(i))
			}
			out = append(out, strings.Join(parts, "|"))
		}
	}
}

func scanNode(conjuncts ...*planpb.Expr) *planpb.PlanNode {
	return node(1, nil, &planpb.OlapScanNode{TableId: 2, Schema: tableSchema(), ColumnUniqueIds: []int32{1, 2, 3, 4, 5}, Conjuncts: conjuncts})
}

// TestEndToEnd writes rows into three tablets through gRPC, then runs
//
//	SELECT k2, count(*), sum(v), sum(qty), avg(v), max(day), min(k1)
//	FROM t WHERE qty IS NOT NULL AND v > -1000.00 AND day >= '2024-03-01'
//	GROUP BY k2 ORDER BY sum(v) DESC, k2 LIMIT 5 OFFSET 1
//
// and checks the result against the same computation over the generated rows.
func TestEndToEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	c := start(t)
	first, second := randomRows(r, 3000), randomRows(r, 2500)
	v1 := c.load(t, 77, first)
	v2 := c.load(t, 78, second)
	if v1 != 2 || v2 != 3 {
		t.Fatalf("versions %d %d", v1, v2)
	}

	march := types.DaysFromCivil(2024, 3, 1)
	scan := scanNode(call("is_not_null", tBool, colRef(3, tBigint)))
	filter := node(2, scan, &planpb.FilterNode{Predicate: call("and", tBool,
		call("gt", tBool, colRef(2, tDec), lit(types.DecimalOf(6, 2), &planpb.Literal{Int64: -100000})),
		call("ge", tBool, colRef(4, tDate), lit(tDate, &planpb.Literal{Int64: march})))})
	agg := node(3, filter, &planpb.AggregateNode{GroupBy: []*planpb.Expr{colRef(1, tStr)}, Aggregates: []*planpb.AggregateCall{
		{Name: "count", Type: tBigint.Proto()},
		{Name: "sum", Args: []*planpb.Expr{colRef(2, tDec)}, Type: types.DecimalOf(38, 2).Proto()},
		{Name: "sum", Args: []*planpb.Expr{colRef(3, tBigint)}, Type: tBigint.Proto()},
		{Name: "avg", Args: []*planpb.Expr{colRef(2, tDec)}, Type: types.DecimalOf(38, 4).Proto()},
		{Name: "max", Args: []*planpb.Expr{colRef(4, tDate)}, Type: tDate.Proto()},
		{Name: "min", Args: []*planpb.Expr{colRef(0, tInt)}, Type: tInt.Proto()},
	}})
	srt := node(4, agg, &planpb.SortNode{Keys: []*planpb.SortKey{
		{Expr: colRef(2, types.DecimalOf(38, 2)), Descending: true},
		{Expr: colRef(0, tStr), NullsFirst: true},
	}})
	root := node(5, srt, &planpb.LimitNode{Offset: 1, Limit: 5})

	for _, version := range []int64{v1, v2} {
		rows := first
		if version == v2 {
			rows = append(append([]row(nil), first...), second...)
		}
		got, err := c.run(t, root, version)
		if err != nil {
			t.Fatal(err)
		}
		want := expected(rows, march)
		if len(want) != 5 {
			t.Fatalf("the generated data gives %d result rows; the test wants a full page of 5", len(want))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("version %d:\ngot  %v\nwant %v", version, got, want)
		}
	}

	// COUNT(*) over everything, and an empty result still carries its schema.
	countAll := node(3, scanNode(), &planpb.AggregateNode{Aggregates: []*planpb.AggregateCall{{Name: "count", Type: tBigint.Proto()}}})
	if got, err := c.run(t, countAll, v2); err != nil || fmt.Sprint(got) != fmt.Sprint([]string{fmt.Sprint(len(first) + len(second))}) {
		t.Fatalf("count(*) = %v, %v", got, err)
	}
	if got, err := c.run(t, countAll, 1); err != nil || fmt.Sprint(got) != "[0]" {
		t.Fatalf("count(*) at version 1 = %v, %v", got, err)
	}
	none := node(2, scanNode(), &planpb.FilterNode{Predicate: lit(tBool, &planpb.Literal{Int64: 0})})
	if got, err := c.run(t, none, v2); err != nil || len(got) != 0 {
		t.Fatalf("empty result: %v, %v", got, err)
	}
}

type group struct {
	count, qty, sumV, vCount int64
	max, minK1               int64
}

func expected(rows []row, march int64) []string {
	groups := map[string]*group{}
	for _, rw := range rows {
		if rw.qty == nil || rw.v == nil || *rw.v <= -100000 || rw.day == nil || *rw.day < march {
			continue
		}
		g := groups[rw.k2]
		if g == nil {
			g = &group{minK1: rw.k1, max: *rw.day}
			groups[rw.k2] = g
		}
		g.count++
		g.qty += *rw.qty
		g.sumV += *rw.v
		g.vCount++
		g.max = max(g.max, *rw.day)
		g.minK1 = min(g.minK1, rw.k1)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := groups[keys[i]], groups[keys[j]]
		if c := cmp.Compare(b.sumV, a.sumV); c != 0 {
			return c < 0
		}
		return keys[i] < keys[j]
	})
	var out []string
	for _, k := range keys[min(1, len(keys)):min(6, len(keys))] {
		g := groups[k]
		avg, _ := types.DecimalFromRat(new(big.Rat).SetFrac(big.NewInt(g.sumV), big.NewInt(100*g.vCount)), 38, 4, "")
		out = append(out, fmt.Sprintf("%s|%d|%s|%d|%s|%s|%d", k, g.count, types.FormatDecimal(types.I128(g.sumV), 2), g.qty,
			types.FormatDecimal(avg, 4), types.FormatDate(g.max), g.minK1))
	}
	return out
}

func TestErrorsReachTheClient(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	c := start(t)
	ctx := context.Background()

	// A NULL in a NOT NULL column: InvalidArgument naming the column.
	rows := toBatch(randomRows(r, 10))
	rows.Columns[0].Nulls = []byte{0, 1}
	_, err := c.client.Write(ctx, c.writeReq(5, "vault-1", rows))
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), `"k1"`) {
		t.Fatalf("null key: %v", err)
	}
	// A vault backend this build cannot open (Azure's Blob API is not S3's).
	_, err = c.client.Write(ctx, c.writeReq(6, "vault-azure", toBatch(randomRows(r, 10))))
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("azure vault: %v", err)
	}
	// An unknown vault: the Meta Service's NotFound passes through.
	_, err = c.client.Write(ctx, c.writeReq(7, "nope", toBatch(randomRows(r, 10))))
	if status.Code(err) != codes.NotFound {
		t.Fatalf("unknown vault: %v", err)
	}
	// Overflow at run time: InvalidArgument with MySQL's message.
	c.load(t, 8, randomRows(r, 100))
	overflow := node(2, scanNode(), &planpb.ProjectNode{Exprs: []*planpb.Expr{
		call("multiply", tBigint, colRef(0, tInt), lit(tBigint, &planpb.Literal{Int64: 1 << 62})),
	}})
	_, err = c.run(t, overflow, 2)
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "BIGINT value is out of range") {
		t.Fatalf("overflow: %v", err)
	}
	// A malformed plan.
	_, err = c.run(t, node(2, scanNode(), &planpb.FilterNode{Predicate: call("frobnicate", tBool)}), 2)
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("bad plan: %v", err)
	}
}

// TestLargeBatchesAreSplit: rows whose batch would exceed gRPC's default message limit arrive
// in several messages, all of them.
func TestLargeBatchesAreSplit(t *testing.T) {
	c := start(t)
	n := 300
	v := vector.New(types.New(types.String), n)
	for i := range n {
		v.Bytes[i] = []byte(strings.Repeat(fmt.Sprint(i%10), 30000)) // 9 MB in all
	}
	root := &planpb.PlanNode{Node: &planpb.PlanNode_Values{Values: &planpb.ValuesNode{Rows: vector.ToProto(vector.NewBatch([]*vector.Vector{v}, n))}}}
	stream, err := c.client.ExecFragment(context.Background(), &computepb.ExecFragmentRequest{Fragment: &planpb.Fragment{Root: root}}, grpc.MaxCallSendMsgSize(64<<20))
	if err != nil {
		t.Fatal(err)
	}
	got, msgs := 0, 0
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := vector.FromProto(resp.Batch)
		for i := range b.N {
			if string(b.Cols[0].Bytes[i]) != string(v.Bytes[got+i]) {
				t.Fatalf("row %d differs", got+i)
			}
		}
		got += b.N
		msgs++
	}
	if got != n || msgs < 4 {
		t.Fatalf("%d rows in %d messages", got, msgs)
	}
}
