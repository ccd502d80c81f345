package server_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/client"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/metaservice/server"
)

const (
	inst  = "doric-test"
	dbID  = int64(10001)
	table = int64(10002)
	index = int64(10003)
)

// cluster is a Meta Service on 127.0.0.1 over a bbolt file, and a client to it.
type cluster struct {
	t    *testing.T
	path string
	addr string
	stop func()
	c    *client.Client
}

func start(t *testing.T, path string) *cluster {
	t.Helper()
	db, err := local.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	server.New(db).Register(gs)
	go gs.Serve(lis)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, lis.Addr().String(), inst)
	if err != nil {
		t.Fatal(err)
	}
	cl := &cluster{t: t, path: path, addr: lis.Addr().String(), c: c}
	var once sync.Once
	cl.stop = func() {
		once.Do(func() {
			c.Close()
			gs.Stop()
			db.Close()
		})
	}
	t.Cleanup(cl.stop)
	return cl
}

var ctx = context.Background()

func code(err error) codes.Code { return status.Code(err) }

func tabletID(partition int64, bucket int) int64 { return partition*100 + int64(bucket) }

// bootstrap creates the instance, a group with a node and a table of two partitions × two buckets.
func (cl *cluster) bootstrap(partitions ...int64) {
	t := cl.t
	t.Helper()
	c := cl.c
	resp, err := c.CreateInstance(ctx, &metapb.CreateInstanceRequest{
		Name:         "test",
		DefaultVault: &metapb.StorageVault{Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: t.TempDir()}}},
	})
	if err != nil || resp.GetAlreadyExisted() || resp.GetInstance().GetInstanceId() != inst {
		t.Fatalf("CreateInstance: %v %v", resp, err)
	}
	if _, err := c.CreateComputeGroup(ctx, &metapb.CreateComputeGroupRequest{Group: &metapb.ComputeGroup{Name: "default"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddNode(ctx, &metapb.AddNodeRequest{GroupName: "default", Node: &metapb.NodeInfo{NodeId: "be-1", GrpcAddress: "127.0.0.1:9060"}}); err != nil {
		t.Fatal(err)
	}
	var tablets []*metapb.TabletMeta
	for _, p := range partitions {
		for b := range 2 {
			tablets = append(tablets, &metapb.TabletMeta{
				TabletId: tabletID(p, b), DbId: dbID, TableId: table, IndexId: index, PartitionId: p,
				Schema: &commonpb.TabletSchema{NumKeyColumns: 1, Columns: []*commonpb.Column{{Name: "k", Type: &commonpb.Type{Kind: commonpb.TypeKind_TYPE_BIGINT}, IsKey: true}}},
			})
		}
	}
	if _, err := c.CreateTablets(ctx, &metapb.CreateTabletsRequest{Tablets: tablets}); err != nil {
		t.Fatal(err)
	}
	// Idempotent.
	if _, err := c.CreateTablets(ctx, &metapb.CreateTabletsRequest{Tablets: tablets}); err != nil {
		t.Fatalf("CreateTablets again: %v", err)
	}
}

// load runs one load of one rowset per tablet through begin/prepare/commit rowset/commit.
func (cl *cluster) load(label string, tablets ...int64) (*metapb.CommitTxnResponse, error) {
	c := cl.c
	b, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: label, TableIds: []int64{table}})
	if err != nil {
		return nil, err
	}
	if b.GetLabelExists() {
		return nil, fmt.Errorf("label %s exists", label)
	}
	for _, tb := range tablets {
		rs := &metapb.RowsetMeta{RowsetId: fmt.Sprintf("%s-%d", label, tb), TabletId: tb, TxnId: b.GetTxnId(), NumRows: 1, NumSegments: 1}
		if _, err := c.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{Rowset: rs}); err != nil {
			return nil, err
		}
		if _, err := c.CommitRowset(ctx, &metapb.CommitRowsetRequest{Rowset: rs}); err != nil {
			return nil, err
		}
	}
	return c.CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: b.GetTxnId()})
}

func (cl *cluster) version(p int64) int64 {
	cl.t.Helper()
	resp, err := cl.c.GetVersion(ctx, &metapb.GetVersionRequest{Partitions: []*metapb.PartitionVersion{{DbId: dbID, TableId: table, PartitionId: p}}})
	if err != nil {
		cl.t.Fatal(err)
	}
	return resp.GetVersions()[0].GetVersion()
}

func (cl *cluster) rowsets(tb, start, end int64) []*metapb.RowsetMeta {
	cl.t.Helper()
	resp, err := cl.c.GetRowsets(ctx, &metapb.GetRowsetsRequest{TabletId: tb, StartVersion: start, EndVersion: end})
	if err != nil {
		cl.t.Fatal(err)
	}
	return resp.GetRowsets()
}

func TestFullCycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	cl := start(t, path)
	c := cl.c
	cl.bootstrap(1, 2)

	// Instance, vault, group.
	again, err := c.CreateInstance(ctx, &metapb.CreateInstanceRequest{Name: "other"})
	if err != nil || !again.GetAlreadyExisted() || again.GetInstance().GetName() != "test" {
		t.Fatalf("CreateInstance again: %v %v", again, err)
	}
	v, err := c.GetStorageVault(ctx, &metapb.GetStorageVaultRequest{})
	if err != nil || v.GetVault().GetId() != again.GetInstance().GetDefaultVaultId() || v.GetVault().GetLocal() == nil {
		t.Fatalf("default vault: %v %v", v, err)
	}
	if _, err := c.Heartbeat(ctx, &metapb.HeartbeatRequest{GroupName: "default", NodeId: "be-1"}); err != nil {
		t.Fatal(err)
	}
	g, err := c.GetComputeGroup(ctx, &metapb.GetComputeGroupRequest{Name: "default"})
	if err != nil || len(g.GetGroup().GetNodes()) != 1 || g.GetGroup().GetNodes()[0].GetLastHeartbeatMs() == 0 {
		t.Fatalf("group: %v %v", g, err)
	}

	// A partition never loaded is at version 1.
	if v := cl.version(1); v != 1 {
		t.Fatalf("fresh partition at version %d", v)
	}
	b, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: "insert_1", TableIds: []int64{table}})
	if err != nil || b.GetLabelExists() || b.GetTxnId() <= 0 {
		t.Fatalf("BeginTxn: %v %v", b, err)
	}
	rs := &metapb.RowsetMeta{RowsetId: "0200000000000001", TabletId: tabletID(1, 0), TxnId: b.GetTxnId(), NumRows: 3, NumSegments: 1, SegmentSizes: []int64{1234}}
	if _, err := c.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{Rowset: rs}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CommitRowset(ctx, &metapb.CommitRowsetRequest{Rowset: rs}); err != nil {
		t.Fatal(err)
	}
	// Not visible before commit_txn.
	if got := cl.rowsets(tabletID(1, 0), 0, 100); len(got) != 0 {
		t.Fatalf("tmp rowset visible: %v", got)
	}
	ct, err := c.CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: b.GetTxnId()})
	if err != nil || ct.GetTxn().GetStatus() != metapb.TxnStatus_TXN_VISIBLE || len(ct.GetVersions()) != 1 || ct.GetVersions()[0].GetVersion() != 2 {
		t.Fatalf("CommitTxn: %v %v", ct, err)
	}
	if v := cl.version(1); v != 2 {
		t.Fatalf("version after commit: %d, want 2", v)
	}
	got := cl.rowsets(tabletID(1, 0), 0, 2)
	if len(got) != 1 || got[0].GetRowsetId() != rs.GetRowsetId() || got[0].GetStartVersion() != 2 || got[0].GetEndVersion() != 2 ||
		got[0].GetPartitionId() != 1 || got[0].GetVaultId() != v.GetVault().GetId() {
		t.Fatalf("GetRowsets: %v", got)
	}
	if got := cl.rowsets(tabletID(1, 0), 0, 1); len(got) != 0 {
		t.Fatalf("rowsets up to version 1: %v", got)
	}
	dup, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: "insert_1"})
	if err != nil || !dup.GetLabelExists() || dup.GetTxnId() != b.GetTxnId() || dup.GetExisting().GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
		t.Fatalf("BeginTxn with a used label: %v %v", dup, err)
	}
	gt, err := c.GetTxn(ctx, &metapb.GetTxnRequest{DbId: dbID, Label: "insert_1"})
	if err != nil || gt.GetTxn().GetTxnId() != b.GetTxnId() {
		t.Fatalf("GetTxn by label: %v %v", gt, err)
	}

	// Abort by label.
	ab, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: "insert_2"})
	if err != nil {
		t.Fatal(err)
	}
	at, err := c.AbortTxn(ctx, &metapb.AbortTxnRequest{DbId: dbID, Label: "insert_2", Reason: "user cancel"})
	if err != nil || at.GetTxn().GetTxnId() != ab.GetTxnId() || at.GetTxn().GetStatus() != metapb.TxnStatus_TXN_ABORTED {
		t.Fatalf("AbortTxn: %v %v", at, err)
	}

	// Reopen the file: everything is there.
	before := snapshot(t, cl)
	cl.stop()
	cl = start(t, path)
	if after := snapshot(t, cl); !proto.Equal(after, before) {
		t.Fatalf("after reopen:\n%v\nbefore:\n%v", after, before)
	}
	if _, err := cl.load("insert_3", tabletID(1, 1)); err != nil {
		t.Fatal(err)
	}
	if v := cl.version(1); v != 3 {
		t.Fatalf("version after reopen and load: %d", v)
	}
}

// snapshot gathers what the service reports about the test's objects, for comparison.
func snapshot(t *testing.T, cl *cluster) *metapb.GetRowsetsResponse {
	t.Helper()
	c := cl.c
	out := &metapb.GetRowsetsResponse{}
	for _, tb := range []int64{tabletID(1, 0), tabletID(1, 1), tabletID(2, 0)} {
		out.Rowsets = append(out.Rowsets, cl.rowsets(tb, 0, 1<<40)...)
	}
	// Fold the other state into the message as fake rowsets so one proto.Equal compares all.
	inst, err := c.GetInstance(ctx, &metapb.GetInstanceRequest{})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := c.ListComputeGroups(ctx, &metapb.ListComputeGroupsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := c.GetTablet(ctx, &metapb.GetTabletRequest{TabletId: tabletID(2, 1)})
	if err != nil {
		t.Fatal(err)
	}
	txn, err := c.GetTxn(ctx, &metapb.GetTxnRequest{DbId: dbID, Label: "insert_2"})
	if err != nil {
		t.Fatal(err)
	}
	out.Rowsets = append(out.Rowsets,
		&metapb.RowsetMeta{RowsetId: fmt.Sprint(inst.GetInstance(), groups.GetGroups(), tab.GetTablet(), txn.GetTxn()), EndVersion: cl.version(1)})
	return out
}

func TestConcurrentCommitsTakeConsecutiveVersions(t *testing.T) {
	cl := start(t, filepath.Join(t.TempDir(), "meta.db"))
	cl.bootstrap(1)
	const loads = 8
	versions := make([]int64, loads)
	var wg sync.WaitGroup
	for i := range loads {
		wg.Go(func() {
			resp, err := cl.load(fmt.Sprint("concurrent-", i), tabletID(1, i%2))
			if err != nil {
				t.Error(err)
				return
			}
			versions[i] = resp.GetVersions()[0].GetVersion()
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for _, v := range versions {
		if v < 2 || v > loads+1 || seen[v] {
			t.Fatalf("versions %v: want a permutation of 2..%d", versions, loads+1)
		}
		seen[v] = true
	}
	if v := cl.version(1); v != loads+1 {
		t.Fatalf("final version %d, want %d", v, loads+1)
	}
	// Each tablet's chain is increasing and the two chains together are 2..loads+1.
	total := 0
	for b := range 2 {
		prev := int64(0)
		for _, rs := range cl.rowsets(tabletID(1, b), 0, 1<<40) {
			if rs.GetEndVersion() <= prev {
				t.Fatalf("tablet chain not increasing: %d after %d", rs.GetEndVersion(), prev)
			}
			prev = rs.GetEndVersion()
			total++
		}
	}
	if total != loads {
		t.Fatalf("%d rowsets, want %d", total, loads)
	}
}

func TestErrorCodes(t *testing.T) {
	cl := start(t, filepath.Join(t.TempDir(), "meta.db"))
	c := cl.c
	// Before the instance exists, everything but CreateInstance is NotFound.
	if _, err := c.GetVersion(ctx, &metapb.GetVersionRequest{}); code(err) != codes.NotFound {
		t.Fatalf("unknown instance: %v", err)
	}
	cl.bootstrap(1)
	b, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AbortTxn(ctx, &metapb.AbortTxnRequest{TxnId: b.GetTxnId()}); err != nil {
		t.Fatal(err)
	}
	changed := &metapb.TabletMeta{TabletId: tabletID(1, 0), DbId: dbID, TableId: table, IndexId: index, PartitionId: 9}
	for _, tc := range []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"GetTablet unknown", func() error { _, err := c.GetTablet(ctx, &metapb.GetTabletRequest{TabletId: 5}); return err }, codes.NotFound},
		{"GetRowsets unknown tablet", func() error {
			_, err := c.GetRowsets(ctx, &metapb.GetRowsetsRequest{TabletId: 5, EndVersion: 3})
			return err
		}, codes.NotFound},
		{"GetRowsets bad range", func() error {
			_, err := c.GetRowsets(ctx, &metapb.GetRowsetsRequest{TabletId: tabletID(1, 0), StartVersion: 3, EndVersion: 2})
			return err
		}, codes.InvalidArgument},
		{"GetComputeGroup unknown", func() error {
			_, err := c.GetComputeGroup(ctx, &metapb.GetComputeGroupRequest{Name: "nope"})
			return err
		}, codes.NotFound},
		{"CreateTablets conflicting", func() error {
			_, err := c.CreateTablets(ctx, &metapb.CreateTabletsRequest{Tablets: []*metapb.TabletMeta{changed}})
			return err
		}, codes.AlreadyExists},
		{"CommitTxn aborted", func() error {
			_, err := c.CommitTxn(ctx, &metapb.CommitTxnRequest{TxnId: b.GetTxnId()})
			return err
		}, codes.FailedPrecondition},
		{"CommitTxn unknown", func() error { _, err := c.CommitTxn(ctx, &metapb.CommitTxnRequest{TxnId: 424242}); return err }, codes.NotFound},
		{"BeginTxn no label", func() error { _, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID}); return err }, codes.InvalidArgument},
		{"CommitRowset empty", func() error { _, err := c.CommitRowset(ctx, &metapb.CommitRowsetRequest{}); return err }, codes.InvalidArgument},
		{"Heartbeat unknown node", func() error {
			_, err := c.Heartbeat(ctx, &metapb.HeartbeatRequest{GroupName: "default", NodeId: "ghost"})
			return err
		}, codes.NotFound},
		{"GetStorageVault unknown", func() error {
			_, err := c.GetStorageVault(ctx, &metapb.GetStorageVaultRequest{VaultId: "nope"})
			return err
		}, codes.NotFound},
	} {
		if err := tc.call(); code(err) != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// Another instance is invisible through this one's client.
	other, err := client.Dial(ctx, cl.addr, "other-instance")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.GetTablet(ctx, &metapb.GetTabletRequest{TabletId: tabletID(1, 0)}); code(err) != codes.NotFound {
		t.Fatalf("other instance: %v", err)
	}
}
