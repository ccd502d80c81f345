package server_test

import (
	"fmt"
	"github.com/doricdb/doric/metaservice/kv/local/localtest"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/client"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/server"
)

// serve starts one Meta Service server over db on 127.0.0.1 and returns a client to it.
func serve(t testing.TB, db kv.DB, opts ...server.Option) *client.Client {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	server.New(db, opts...).Register(gs)
	go gs.Serve(lis)
	c, err := client.Dial(ctx, lis.Addr().String(), inst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		gs.Stop()
	})
	return c
}

// clock is a settable clock for servers.
type clock struct{ ms atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ms.Store(time.Now().UnixMilli())
	return c
}
func (c *clock) now() time.Time      { return time.UnixMilli(c.ms.Load()) }
func (c *clock) add(d time.Duration) { c.ms.Add(d.Milliseconds()) }
func (cl *cluster) must(err error, what string) {
	cl.t.Helper()
	if err != nil {
		cl.t.Fatalf("%s: %v", what, err)
	}
}

func TestStorageVaultRPCs(t *testing.T) {
	cl := start(t, filepath.Join(t.TempDir(), "meta.db"))
	cl.bootstrap(1)
	c := cl.c
	s3 := &metapb.StorageVault{Name: "s3", Backend: &metapb.StorageVault_S3{S3: &metapb.S3Vault{
		Endpoint: "http://127.0.0.1:9000", Bucket: "b", AccessKey: "ak", SecretKey: "very-secret"}}}
	cr, err := c.CreateStorageVault(ctx, &metapb.CreateStorageVaultRequest{Vault: s3})
	cl.must(err, "create vault")
	if cr.GetVault().GetS3().GetSecretKey() == "very-secret" || cr.GetAlreadyExisted() {
		t.Fatalf("create answered %v", cr)
	}
	if _, err := c.CreateStorageVault(ctx, &metapb.CreateStorageVaultRequest{Vault: &metapb.StorageVault{Name: "s3", Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: "/x"}}}}); code(err) != codes.AlreadyExists {
		t.Fatalf("duplicate name: %v", err)
	}
	// Compute nodes read the secret; the frontend asks for it masked.
	full, err := c.GetStorageVault(ctx, &metapb.GetStorageVaultRequest{Name: "s3"})
	cl.must(err, "get vault")
	if full.GetVault().GetS3().GetSecretKey() != "very-secret" {
		t.Fatalf("compute node view %v", full)
	}
	masked, err := c.GetStorageVault(ctx, &metapb.GetStorageVaultRequest{VaultId: cr.GetVault().GetId(), MaskSecrets: true})
	cl.must(err, "get masked vault")
	if masked.GetVault().GetS3().GetSecretKey() == "very-secret" || masked.GetVault().GetS3().GetBucket() != "b" {
		t.Fatalf("masked view %v", masked)
	}
	list, err := c.ListStorageVaults(ctx, &metapb.ListStorageVaultsRequest{MaskSecrets: true})
	cl.must(err, "list vaults")
	if len(list.GetVaults()) != 2 {
		t.Fatalf("list %v", list)
	}
	for _, v := range list.GetVaults() {
		if v.GetS3().GetSecretKey() == "very-secret" {
			t.Fatalf("masked list shows a secret: %v", v)
		}
	}
	al, err := c.AlterStorageVault(ctx, &metapb.AlterStorageVaultRequest{Name: "s3", S3: &metapb.S3Vault{AccessKey: "ak2", SecretKey: "rotated"}})
	cl.must(err, "alter vault")
	if al.GetVault().GetS3().GetAccessKey() != "ak2" || al.GetVault().GetS3().GetSecretKey() == "rotated" {
		t.Fatalf("alter answered %v", al)
	}
	if _, err := c.AlterStorageVault(ctx, &metapb.AlterStorageVaultRequest{Name: "s3", S3: &metapb.S3Vault{Bucket: "other"}}); code(err) != codes.InvalidArgument {
		t.Fatalf("alter of the bucket: %v", err)
	}
	sd, err := c.SetDefaultStorageVault(ctx, &metapb.SetDefaultStorageVaultRequest{Name: "s3"})
	cl.must(err, "set default")
	def, err := c.GetStorageVault(ctx, &metapb.GetStorageVaultRequest{})
	cl.must(err, "get default")
	if sd.GetInstance().GetDefaultVaultId() != cr.GetVault().GetId() || def.GetVault().GetS3().GetSecretKey() != "rotated" {
		t.Fatalf("default vault %v / %v", sd, def)
	}
}

func TestComputeGroupRPCs(t *testing.T) {
	cl := start(t, filepath.Join(t.TempDir(), "meta.db"))
	cl.bootstrap(1)
	c := cl.c
	_, err := c.AddNode(ctx, &metapb.AddNodeRequest{GroupName: "default", Node: &metapb.NodeInfo{NodeId: "be-2"}})
	cl.must(err, "add node")
	ns, err := c.ListNodes(ctx, &metapb.ListNodesRequest{GroupName: "default"})
	cl.must(err, "list nodes")
	if len(ns.GetNodes()) != 2 {
		t.Fatalf("nodes %v", ns)
	}
	sus, err := c.SuspendComputeGroup(ctx, &metapb.SuspendComputeGroupRequest{Name: "default"})
	cl.must(err, "suspend")
	hb, err := c.Heartbeat(ctx, &metapb.HeartbeatRequest{GroupName: "default", NodeId: "be-1"})
	cl.must(err, "heartbeat")
	if sus.GetGroup().GetStatus() != metapb.ComputeGroupStatus_GROUP_SUSPENDED || hb.GetGroupStatus() != metapb.ComputeGroupStatus_GROUP_SUSPENDED {
		t.Fatalf("suspended: %v, heartbeat %v", sus, hb)
	}
	res, err := c.ResumeComputeGroup(ctx, &metapb.ResumeComputeGroupRequest{Name: "default"})
	cl.must(err, "resume")
	if res.GetGroup().GetStatus() != metapb.ComputeGroupStatus_GROUP_NORMAL {
		t.Fatalf("resumed: %v", res)
	}
	rm, err := c.RemoveNode(ctx, &metapb.RemoveNodeRequest{GroupName: "default", NodeId: "be-2"})
	cl.must(err, "remove node")
	if !rm.GetExisted() || len(rm.GetGroup().GetNodes()) != 1 {
		t.Fatalf("remove: %v", rm)
	}
	dr, err := c.DropComputeGroup(ctx, &metapb.DropComputeGroupRequest{Name: "default"})
	cl.must(err, "drop")
	again, err := c.DropComputeGroup(ctx, &metapb.DropComputeGroupRequest{Name: "default"})
	cl.must(err, "drop again")
	if !dr.GetExisted() || again.GetExisted() {
		t.Fatalf("drops: %v %v", dr, again)
	}
	if _, err := c.ListNodes(ctx, &metapb.ListNodesRequest{GroupName: "default"}); code(err) != codes.NotFound {
		t.Fatalf("nodes of a dropped group: %v", err)
	}
	if _, err := c.SuspendComputeGroup(ctx, &metapb.SuspendComputeGroupRequest{Name: "default"}); code(err) != codes.NotFound {
		t.Fatalf("suspend of a dropped group: %v", err)
	}
}

func TestTxnRPCs(t *testing.T) {
	clk := newClock()
	db := localtest.Open(t)
	cl := &cluster{t: t, c: serve(t, db, server.WithClock(clk.now))}
	cl.bootstrap(1)
	c := cl.c

	// Two-phase: precommit, then commit; stats and table version follow.
	b, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: "2pc", TableIds: []int64{table}, RequestId: "req-1"})
	cl.must(err, "begin")
	again, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: "2pc", RequestId: "req-1"})
	cl.must(err, "begin replay")
	if again.GetLabelExists() || again.GetTxnId() != b.GetTxnId() {
		t.Fatalf("replayed begin: %v", again)
	}
	rs := &metapb.RowsetMeta{RowsetId: "2pc-r", TabletId: tabletID(1, 0), TxnId: b.GetTxnId(), NumRows: 10, TotalSize: 1000, NumSegments: 2}
	_, err = c.CommitRowset(ctx, &metapb.CommitRowsetRequest{Rowset: rs})
	cl.must(err, "commit rowset")
	tmp, err := c.GetTxnRowsets(ctx, &metapb.GetTxnRowsetsRequest{TxnId: b.GetTxnId()})
	cl.must(err, "get txn rowsets")
	if got := tmp.GetRowsets(); len(got) != 1 || got[0].GetRowsetId() != "2pc-r" || got[0].GetTabletId() != tabletID(1, 0) {
		t.Fatalf("tmp rowsets of the txn: %v", got)
	}
	pc, err := c.PrecommitTxn(ctx, &metapb.PrecommitTxnRequest{DbId: dbID, TxnId: b.GetTxnId(), PrecommitTimeoutMs: 60_000})
	cl.must(err, "precommit")
	if pc.GetTxn().GetStatus() != metapb.TxnStatus_TXN_PRECOMMITTED {
		t.Fatalf("precommit: %v", pc)
	}
	ct, err := c.CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: b.GetTxnId()})
	cl.must(err, "commit")
	replay, err := c.CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: b.GetTxnId()})
	cl.must(err, "commit replay")
	if !proto.Equal(ct, replay) || len(ct.GetVersions()) != 1 || ct.GetVersions()[0].GetVersion() != 2 {
		t.Fatalf("commit %v, replay %v", ct, replay)
	}
	st, err := c.GetTabletStats(ctx, &metapb.GetTabletStatsRequest{TabletIds: []int64{tabletID(1, 0), tabletID(1, 1)}})
	cl.must(err, "tablet stats")
	if s := st.GetStats(); len(s) != 2 || s[0].GetNumRows() != 10 || s[0].GetDataSize() != 1000 || s[0].GetNumRowsets() != 1 ||
		s[0].GetNumSegments() != 2 || s[1].GetNumRowsets() != 0 || s[0].GetPartitionId() != 1 {
		t.Fatalf("stats %v", st)
	}
	gv, err := c.GetVersion(ctx, &metapb.GetVersionRequest{
		Partitions: []*metapb.PartitionVersion{{DbId: dbID, TableId: table, PartitionId: 1}},
		Tables:     []*metapb.TableVersion{{DbId: dbID, TableId: table}, {DbId: dbID, TableId: table + 1}},
	})
	cl.must(err, "get version")
	if gv.GetVersions()[0].GetVersion() != 2 || gv.GetTableVersions()[0].GetVersion() != 1 || gv.GetTableVersions()[1].GetVersion() != 0 {
		t.Fatalf("versions %v", gv)
	}

	// Expiry: a commit after the deadline fails and leaves the txn aborted.
	b2, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: "slow", TimeoutMs: 1000})
	cl.must(err, "begin slow")
	rs2 := &metapb.RowsetMeta{RowsetId: "slow-r", TabletId: tabletID(1, 1), TxnId: b2.GetTxnId()}
	_, err = c.CommitRowset(ctx, &metapb.CommitRowsetRequest{Rowset: rs2})
	cl.must(err, "commit rowset slow")
	clk.add(2 * time.Second)
	if _, err := c.CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: b2.GetTxnId()}); code(err) != codes.FailedPrecondition {
		t.Fatalf("commit of an expired txn: %v", err)
	}
	gt, err := c.GetTxn(ctx, &metapb.GetTxnRequest{TxnId: b2.GetTxnId()})
	cl.must(err, "get txn")
	if gt.GetTxn().GetStatus() != metapb.TxnStatus_TXN_ABORTED || gt.GetTxn().GetReason() != "txn expired" {
		t.Fatalf("expired txn %v", gt)
	}
	if got := cl.rowsets(tabletID(1, 1), 0, 100); len(got) != 0 {
		t.Fatalf("expired txn's rowset visible: %v", got)
	}
	// Its label is free again.
	b3, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: "slow"})
	cl.must(err, "begin on the expired label")
	if b3.GetLabelExists() || b3.GetTxnId() == b2.GetTxnId() {
		t.Fatalf("label of an expired txn: %v", b3)
	}

	// ListTxns: newest first, by limit or by label.
	lt, err := c.ListTxns(ctx, &metapb.ListTxnsRequest{DbId: dbID})
	cl.must(err, "list txns")
	if got := lt.GetTxns(); len(got) != 3 || got[0].GetTxnId() != b3.GetTxnId() || got[1].GetTxnId() != b2.GetTxnId() || got[2].GetTxnId() != b.GetTxnId() {
		t.Fatalf("list txns: %v", got)
	}
	lt, err = c.ListTxns(ctx, &metapb.ListTxnsRequest{DbId: dbID, Limit: 1})
	cl.must(err, "list txns, limit 1")
	if got := lt.GetTxns(); len(got) != 1 || got[0].GetTxnId() != b3.GetTxnId() {
		t.Fatalf("list txns, limit 1: %v", got)
	}
	lt, err = c.ListTxns(ctx, &metapb.ListTxnsRequest{DbId: dbID, Label: "2pc"})
	cl.must(err, "list txns by label")
	if got := lt.GetTxns(); len(got) != 1 || got[0].GetTxnId() != b.GetTxnId() || got[0].GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
		t.Fatalf("list txns by label: %v", got)
	}
}

func TestCompactionRPCs(t *testing.T) {
	cl := start(t, filepath.Join(t.TempDir(), "meta.db"))
	cl.bootstrap(1)
	c := cl.c
	tb := tabletID(1, 0)
	for i := range 4 {
		_, err := cl.load(fmt.Sprint("l", i), tb)
		cl.must(err, "load")
	}
	job := &metapb.CompactionJob{Id: "job-1", Initiator: "be-1", Type: metapb.CompactionType_COMPACTION_CUMULATIVE, StartVersion: 2, EndVersion: 4, LeaseMs: 60_000}
	sj, err := c.StartTabletJob(ctx, &metapb.StartTabletJobRequest{TabletId: tb, Compaction: job})
	cl.must(err, "start job")
	if sj.GetStats().GetNumRowsets() != 4 || sj.GetCompaction().GetExpirationMs() == 0 {
		t.Fatalf("start answered %v", sj)
	}
	other := proto.Clone(job).(*metapb.CompactionJob)
	other.Id = "job-2"
	if _, err := c.StartTabletJob(ctx, &metapb.StartTabletJobRequest{TabletId: tb, Compaction: other}); code(err) != codes.Aborted {
		t.Fatalf("second compactor: %v", err)
	}
	ls, err := c.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{TabletId: tb, JobId: "job-1", Action: metapb.TabletJobAction_JOB_LEASE, LeaseMs: 120_000})
	cl.must(err, "renew")
	if ls.GetCompaction().GetExpirationMs() <= sj.GetCompaction().GetExpirationMs() {
		t.Fatalf("renewal did not extend: %v", ls)
	}
	out := &metapb.RowsetMeta{RowsetId: "compacted", TabletId: tb, StartVersion: 2, EndVersion: 4, NumRows: 3, NumSegments: 1}
	_, err = c.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{Rowset: out, JobId: "job-1"})
	cl.must(err, "prepare output")
	if _, err := c.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{Rowset: out, JobId: "job-2"}); code(err) != codes.FailedPrecondition {
		t.Fatalf("prepare by a job without the lease: %v", err)
	}
	bad := proto.Clone(out).(*metapb.RowsetMeta)
	bad.EndVersion = 3
	if _, err := c.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{TabletId: tb, JobId: "job-1", Action: metapb.TabletJobAction_JOB_COMMIT, OutputRowset: bad}); code(err) != codes.InvalidArgument {
		t.Fatalf("output over the wrong range: %v", err)
	}
	fin, err := c.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{TabletId: tb, JobId: "job-1", Action: metapb.TabletJobAction_JOB_COMMIT, OutputRowset: out, OutputCumulativePoint: 5})
	cl.must(err, "commit job")
	if fin.GetStats().GetNumRowsets() != 2 || fin.GetStats().GetCumulativePoint() != 5 || fin.GetStats().GetNumRows() != 4 {
		t.Fatalf("stats after compaction %v", fin.GetStats())
	}
	got := cl.rowsets(tb, 0, 100)
	if len(got) != 2 || got[0].GetRowsetId() != "compacted" || got[0].GetStartVersion() != 2 || got[1].GetEndVersion() != 5 {
		t.Fatalf("rowsets after compaction %v", got)
	}
	// Versions inside the compacted range cannot be read any more (Doris's -230); its end can.
	for v, ok := range map[int64]bool{1: true, 2: false, 3: false, 4: true, 5: true} {
		_, err := c.GetRowsets(ctx, &metapb.GetRowsetsRequest{TabletId: tb, StartVersion: 0, EndVersion: v})
		if ok && err != nil || !ok && (code(err) != codes.OutOfRange || !strings.Contains(err.Error(), "versions already merged")) {
			t.Errorf("rowsets at version %d after compacting [2-4]: %v", v, err)
		}
	}
	gt, err := c.GetTablet(ctx, &metapb.GetTabletRequest{TabletId: tb})
	cl.must(err, "get tablet")
	if gt.GetTablet().GetCumulativePoint() != 5 {
		t.Fatalf("tablet %v", gt)
	}
	// The tablet is free again; an abort with an output sends it to the recycler.
	other.StartVersion, other.EndVersion = 3, 5
	_, err = c.StartTabletJob(ctx, &metapb.StartTabletJobRequest{TabletId: tb, Compaction: other})
	if code(err) != codes.FailedPrecondition { // [3, 5] cuts through the output [2, 4]
		t.Fatalf("start over compacted inputs: %v", err)
	}
	other.StartVersion, other.EndVersion = 2, 5
	_, err = c.StartTabletJob(ctx, &metapb.StartTabletJobRequest{TabletId: tb, Compaction: other})
	cl.must(err, "start job-2")
	_, err = c.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{TabletId: tb, JobId: "job-2", Action: metapb.TabletJobAction_JOB_ABORT,
		OutputRowset: &metapb.RowsetMeta{RowsetId: "never", StartVersion: 2, EndVersion: 5}})
	cl.must(err, "abort job")
	if _, err := c.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{TabletId: tb, JobId: "job-2"}); code(err) != codes.InvalidArgument {
		t.Fatalf("finish without an action: %v", err)
	}
}

func TestDeleteBitmapRPCs(t *testing.T) {
	cl := start(t, filepath.Join(t.TempDir(), "meta.db"))
	cl.bootstrap(1)
	c := cl.c
	tb := tabletID(1, 0)
	b, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: "mow", TableIds: []int64{table}})
	cl.must(err, "begin")
	id := b.GetTxnId()
	_, err = c.CommitRowset(ctx, &metapb.CommitRowsetRequest{Rowset: &metapb.RowsetMeta{RowsetId: "mow-r", TabletId: tb, TxnId: id}})
	cl.must(err, "commit rowset")
	lock := &metapb.GetDeleteBitmapUpdateLockRequest{TableId: table, PartitionIds: []int64{1}, LockId: id, Initiator: 1, ExpirationMs: 60_000}
	update := &metapb.UpdateDeleteBitmapRequest{TableId: table, PartitionId: 1, LockId: id, Initiator: 1, TabletId: tb,
		Bitmaps: []*metapb.DeleteBitmapEntry{{RowsetId: "old", Version: 2, SegmentId: 0, Bitmap: []byte{1, 2, 3}}}}
	if _, err := c.UpdateDeleteBitmap(ctx, update); code(err) != codes.FailedPrecondition {
		t.Fatalf("update without the lock: %v", err)
	}
	if _, err := c.CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: id, MowTableIds: []int64{table}}); code(err) != codes.FailedPrecondition {
		t.Fatalf("merge-on-write commit without the lock: %v", err)
	}
	_, err = c.GetDeleteBitmapUpdateLock(ctx, lock)
	cl.must(err, "lock")
	_, err = c.GetDeleteBitmapUpdateLock(ctx, lock)
	cl.must(err, "lock again (re-entrant)")
	rival := proto.Clone(lock).(*metapb.GetDeleteBitmapUpdateLockRequest)
	rival.LockId = id + 1000
	if _, err := c.GetDeleteBitmapUpdateLock(ctx, rival); code(err) != codes.Aborted {
		t.Fatalf("lock by another owner: %v", err)
	}
	wrong := proto.Clone(update).(*metapb.UpdateDeleteBitmapRequest)
	wrong.PartitionId = 2
	if _, err := c.UpdateDeleteBitmap(ctx, wrong); code(err) != codes.InvalidArgument {
		t.Fatalf("update naming the wrong partition: %v", err)
	}
	_, err = c.UpdateDeleteBitmap(ctx, update)
	cl.must(err, "update")
	gb, err := c.GetDeleteBitmap(ctx, &metapb.GetDeleteBitmapRequest{TabletId: tb, Ranges: []*metapb.DeleteBitmapRange{{RowsetId: "old", StartVersion: 0, EndVersion: 10}}})
	cl.must(err, "get bitmaps")
	if len(gb.GetBitmaps()) != 1 || !proto.Equal(gb.GetBitmaps()[0], update.GetBitmaps()[0]) {
		t.Fatalf("bitmaps %v", gb)
	}
	_, err = c.CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: id, MowTableIds: []int64{table}})
	cl.must(err, "merge-on-write commit")
	// The commit released the lock.
	_, err = c.GetDeleteBitmapUpdateLock(ctx, rival)
	cl.must(err, "lock after the commit")
	_, err = c.RemoveDeleteBitmapUpdateLock(ctx, &metapb.RemoveDeleteBitmapUpdateLockRequest{TableId: table, PartitionIds: []int64{1}, LockId: rival.LockId, Initiator: 1})
	cl.must(err, "unlock")
	_, err = c.GetDeleteBitmapUpdateLock(ctx, lock)
	cl.must(err, "lock after unlock")
	_, err = c.RemoveDeleteBitmap(ctx, &metapb.RemoveDeleteBitmapRequest{TabletId: tb, Ranges: []*metapb.DeleteBitmapRange{{RowsetId: "old", StartVersion: 0, EndVersion: 10}}})
	cl.must(err, "remove bitmaps")
	gb, err = c.GetDeleteBitmap(ctx, &metapb.GetDeleteBitmapRequest{TabletId: tb, Ranges: []*metapb.DeleteBitmapRange{{RowsetId: "old", StartVersion: 0, EndVersion: 10}}})
	cl.must(err, "get bitmaps after remove")
	if len(gb.GetBitmaps()) != 0 {
		t.Fatalf("bitmaps after remove %v", gb)
	}
	if _, err := c.GetDeleteBitmap(ctx, &metapb.GetDeleteBitmapRequest{TabletId: 999}); code(err) != codes.NotFound {
		t.Fatalf("bitmaps of no tablet: %v", err)
	}
}

func TestPartitionRPCs(t *testing.T) {
	cl := start(t, filepath.Join(t.TempDir(), "meta.db"))
	cl.bootstrap(1, 2)
	c := cl.c
	req := &metapb.PartitionRequest{DbId: dbID, TableId: table, IndexIds: []int64{index}, PartitionIds: []int64{3}, UpdateTableVersion: true}
	_, err := c.PreparePartition(ctx, req)
	cl.must(err, "prepare partition")
	cp, err := c.CommitPartition(ctx, req)
	cl.must(err, "commit partition")
	if cp.GetTableVersion().GetVersion() != 1 {
		t.Fatalf("table version after commit %v", cp)
	}
	drop := &metapb.PartitionRequest{DbId: dbID, TableId: table, IndexIds: []int64{index}, PartitionIds: []int64{2}, UpdateTableVersion: true}
	dp, err := c.DropPartition(ctx, drop)
	cl.must(err, "drop partition")
	if dp.GetTableVersion().GetVersion() != 2 {
		t.Fatalf("table version after drop %v", dp)
	}
	if _, err := c.PreparePartition(ctx, drop); code(err) != codes.FailedPrecondition {
		t.Fatalf("prepare of a dropped partition: %v", err)
	}
	// A load into the dropped partition cannot commit.
	if _, err := cl.load("into-dropped", tabletID(2, 0)); code(err) != codes.FailedPrecondition {
		t.Fatalf("load into a dropped partition: %v", err)
	}
	ireq := &metapb.IndexRequest{DbId: dbID, TableId: table, IndexIds: []int64{index + 1}}
	for _, call := range []func(*metapb.IndexRequest) error{
		func(r *metapb.IndexRequest) error { _, err := c.PrepareIndex(ctx, r); return err },
		func(r *metapb.IndexRequest) error { _, err := c.CommitIndex(ctx, r); return err },
		func(r *metapb.IndexRequest) error { _, err := c.DropIndex(ctx, r); return err },
		func(r *metapb.IndexRequest) error { _, err := c.DropIndex(ctx, r); return err },
	} {
		cl.must(call(ireq), "index call")
	}
	if _, err := c.CommitIndex(ctx, &metapb.IndexRequest{DbId: dbID, TableId: table}); code(err) != codes.InvalidArgument {
		t.Fatalf("index call without ids: %v", err)
	}
}

// TestTwoServersOneStore: two servers over one store serve one workload — concurrent loaders
// whose calls go to either server at random, label retries through the other server, readers
// through both. Versions per partition are exactly 2..N+1, every committed rowset is visible
// once, every label retry returns the original txn, and both servers agree on everything.
func TestTwoServersOneStore(t *testing.T) {
	db := localtest.Open(t)
	clients := []*client.Client{serve(t, db, server.WithCommitBudget(1500)), serve(t, db, server.WithCommitBudget(1500))}
	pick := func() *client.Client { return clients[rand.IntN(2)] }
	boot := &cluster{t: t, c: clients[0]}
	boot.bootstrap(1, 2)
	const loaders, perLoader = 6, 8
	type result struct {
		label string
		txn   int64
		vs    []*metapb.PartitionVersion
	}
	results := make(chan result, loaders*perLoader)
	var planned sync.Map // txn id -> how many tablets of partition 1 it loads
	var wg sync.WaitGroup
	for l := range loaders {
		wg.Go(func() {
			for i := range perLoader {
				label := fmt.Sprintf("load-%d-%d", l, i)
				b, err := pick().BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: label, TableIds: []int64{table}})
				if err != nil {
					t.Error(err)
					return
				}
				// Several tablets: with the small budget, some commits are lazy.
				var tablets []int64
				for _, p := range []int64{1, 2} {
					for bk := range 2 {
						if rand.IntN(3) > 0 {
							tablets = append(tablets, tabletID(p, bk))
						}
					}
				}
				inP1 := 0
				for _, tb := range tablets {
					if tb/100 == 1 {
						inP1++
					}
				}
				planned.Store(b.GetTxnId(), inP1)
				for _, tb := range tablets {
					rs := &metapb.RowsetMeta{RowsetId: fmt.Sprintf("%s-%d", label, tb), TabletId: tb, TxnId: b.GetTxnId(), NumRows: 1}
					if _, err := pick().PrepareRowset(ctx, &metapb.PrepareRowsetRequest{Rowset: rs}); err != nil {
						t.Error(err)
						return
					}
					if _, err := pick().CommitRowset(ctx, &metapb.CommitRowsetRequest{Rowset: rs}); err != nil {
						t.Error(err)
						return
					}
				}
				ct, err := pick().CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: b.GetTxnId()})
				if err != nil {
					t.Error(err)
					return
				}
				// A retry of the label through either server returns the original txn.
				dup, err := pick().BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: label})
				if err != nil || !dup.GetLabelExists() || dup.GetTxnId() != b.GetTxnId() || dup.GetExisting().GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
					t.Errorf("label retry: %v %v", dup, err)
					return
				}
				results <- result{label, b.GetTxnId(), ct.GetVersions()}
			}
		})
	}
	// Readers through both servers: versions never go back.
	stop := make(chan struct{})
	var rwg sync.WaitGroup
	for _, c := range clients {
		rwg.Go(func() {
			last := int64(0)
			for {
				select {
				case <-stop:
					return
				default:
				}
				gv, err := c.GetVersion(ctx, &metapb.GetVersionRequest{Partitions: []*metapb.PartitionVersion{{DbId: dbID, TableId: table, PartitionId: 1}}})
				if err != nil {
					t.Error(err)
					return
				}
				v := gv.GetVersions()[0].GetVersion()
				if v < last {
					t.Errorf("version went back from %d to %d", last, v)
				}
				last = v
				// At version v, a txn is in partition 1 on all the tablets it loaded there, or on none.
				seen := map[int64]int{}
				for bk := range 2 {
					rs, err := c.GetRowsets(ctx, &metapb.GetRowsetsRequest{TabletId: tabletID(1, bk), StartVersion: 0, EndVersion: v})
					if err != nil {
						t.Error(err)
						return
					}
					for _, r := range rs.GetRowsets() {
						seen[r.GetTxnId()]++
					}
				}
				for id, n := range seen {
					if want, _ := planned.Load(id); n != want.(int) {
						t.Errorf("at version %d txn %d is on %d tablets of partition 1, it loaded %v", v, id, n, want)
					}
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	close(results)
	perPartition := map[int64][]int64{}
	committed := map[int64]bool{}
	for r := range results {
		committed[r.txn] = true
		for _, pv := range r.vs {
			perPartition[pv.GetPartitionId()] = append(perPartition[pv.GetPartitionId()], pv.GetVersion())
		}
	}
	for p, vs := range perPartition {
		seen := map[int64]bool{}
		for _, v := range vs {
			if v < 2 || v > int64(len(vs))+1 || seen[v] {
				t.Fatalf("partition %d versions %v: not a permutation of 2..%d", p, vs, len(vs)+1)
			}
			seen[v] = true
		}
		for _, c := range clients {
			gv, err := c.GetVersion(ctx, &metapb.GetVersionRequest{Partitions: []*metapb.PartitionVersion{{DbId: dbID, TableId: table, PartitionId: p}}})
			if err != nil || gv.GetVersions()[0].GetVersion() != int64(len(vs))+1 {
				t.Fatalf("partition %d: %v %v, want %d", p, gv, err, len(vs)+1)
			}
		}
	}
	// Every rowset of a committed txn is visible exactly once, through both servers alike.
	var views [2][]*metapb.RowsetMeta
	for i, c := range clients {
		for _, p := range []int64{1, 2} {
			for bk := range 2 {
				rs, err := c.GetRowsets(ctx, &metapb.GetRowsetsRequest{TabletId: tabletID(p, bk), StartVersion: 0, EndVersion: 1 << 40})
				if err != nil {
					t.Fatal(err)
				}
				views[i] = append(views[i], rs.GetRowsets()...)
			}
		}
	}
	if !proto.Equal(&metapb.GetRowsetsResponse{Rowsets: views[0]}, &metapb.GetRowsetsResponse{Rowsets: views[1]}) {
		t.Fatal("the servers disagree on the rowsets")
	}
	ids := map[string]bool{}
	for _, rs := range views[0] {
		if !committed[rs.GetTxnId()] || ids[rs.GetRowsetId()] {
			t.Fatalf("rowset %v: of an uncommitted txn, or twice", rs)
		}
		ids[rs.GetRowsetId()] = true
	}
	if len(committed) != loaders*perLoader {
		t.Fatalf("%d commits, want %d", len(committed), loaders*perLoader)
	}
}

func TestAbortTxnsOfCoordinator(t *testing.T) {
	db := localtest.Open(t)
	cl := &cluster{t: t, c: serve(t, db)}
	cl.bootstrap(1)
	c := cl.c
	begin := func(label, node string, start int64) int64 {
		b, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: label, TableIds: []int64{table},
			Coordinator: &metapb.TxnCoordinator{NodeId: node, StartMs: start}})
		cl.must(err, "begin "+label)
		return b.GetTxnId()
	}
	old := begin("old", "cn1", 100)
	newer := begin("newer", "cn1", 200)
	other := begin("other", "cn2", 100)
	pre := begin("pre", "cn1", 100)
	_, err := c.PrecommitTxn(ctx, &metapb.PrecommitTxnRequest{DbId: dbID, TxnId: pre})
	cl.must(err, "precommit")
	rs := &metapb.RowsetMeta{RowsetId: "old-r", TabletId: tabletID(1, 0), TxnId: old, NumRows: 1, NumSegments: 1}
	_, err = c.CommitRowset(ctx, &metapb.CommitRowsetRequest{Rowset: rs})
	cl.must(err, "commit rowset")

	resp, err := c.AbortTxnsOfCoordinator(ctx, &metapb.AbortTxnsOfCoordinatorRequest{NodeId: "cn1", BeforeStartMs: 150})
	cl.must(err, "abort txns of cn1")
	if got := resp.GetAbortedTxnIds(); len(got) != 1 || got[0] != old {
		t.Fatalf("aborted %v, want only txn %d", got, old)
	}
	for id, want := range map[int64]metapb.TxnStatus{old: metapb.TxnStatus_TXN_ABORTED, newer: metapb.TxnStatus_TXN_PREPARED,
		other: metapb.TxnStatus_TXN_PREPARED, pre: metapb.TxnStatus_TXN_PRECOMMITTED} {
		g, err := c.GetTxn(ctx, &metapb.GetTxnRequest{DbId: dbID, TxnId: id})
		cl.must(err, "get txn")
		if g.GetTxn().GetStatus() != want {
			t.Errorf("txn %d: %v, want %v", id, g.GetTxn().GetStatus(), want)
		}
		if id == old && g.GetTxn().GetReason() != "coordinator restarted" {
			t.Errorf("reason %q", g.GetTxn().GetReason())
		}
	}
	// The aborted txn's label is free again, its rowset is no longer a tmp rowset.
	tmp, err := c.GetTxnRowsets(ctx, &metapb.GetTxnRowsetsRequest{TxnId: old})
	cl.must(err, "tmp rowsets")
	if len(tmp.GetRowsets()) != 0 {
		t.Fatalf("tmp rowsets of an aborted txn: %v", tmp.GetRowsets())
	}
	if b, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: "old"}); err != nil || b.GetLabelExists() {
		t.Fatalf("label of the aborted txn: %v %v", b, err)
	}
	// A second call finds nothing more.
	resp, err = c.AbortTxnsOfCoordinator(ctx, &metapb.AbortTxnsOfCoordinatorRequest{NodeId: "cn1", BeforeStartMs: 150})
	cl.must(err, "abort again")
	if len(resp.GetAbortedTxnIds()) != 0 {
		t.Fatalf("second abort: %v", resp.GetAbortedTxnIds())
	}
}
