package server_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
)

// TestMergeOnWriteCompactionRPCs: over gRPC, FinishTabletJob COMMIT of a merge-on-write tablet's
// compaction fails with FailedPrecondition without delete_bitmap_lock_id, with a lock id while a
// load's publish holds the partition's lock, and with a lock id that holds nothing; with
// InvalidArgument for a positive lock id; it commits while the compaction's lock is live, and
// the lock stays held until RemoveDeleteBitmapUpdateLock.
func TestMergeOnWriteCompactionRPCs(t *testing.T) {
	cl := start(t, filepath.Join(t.TempDir(), "meta.db"))
	cl.bootstrap(1)
	c := cl.c
	const mowTable, mowPart, tb = int64(900), int64(901), int64(9001)
	_, err := c.CreateTablets(ctx, &metapb.CreateTabletsRequest{Tablets: []*metapb.TabletMeta{{TabletId: tb, DbId: dbID, TableId: mowTable, IndexId: 902,
		PartitionId: mowPart, Schema: &commonpb.TabletSchema{KeysType: commonpb.KeysType_UNIQUE_KEYS, EnableUniqueKeyMergeOnWrite: true, NumKeyColumns: 1,
			Columns: []*commonpb.Column{{Name: "k", Type: &commonpb.Type{Kind: commonpb.TypeKind_TYPE_BIGINT}, IsKey: true}}}}}})
	cl.must(err, "create tablet")
	for i := range 3 {
		b, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: fmt.Sprint("mow-", i), TableIds: []int64{mowTable}})
		cl.must(err, "begin")
		rs := &metapb.RowsetMeta{RowsetId: fmt.Sprint("mow-", i), TabletId: tb, TxnId: b.GetTxnId(), NumRows: 1, NumSegments: 1}
		_, err = c.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{Rowset: rs})
		cl.must(err, "prepare")
		_, err = c.CommitRowset(ctx, &metapb.CommitRowsetRequest{Rowset: rs})
		cl.must(err, "commit rowset")
		_, err = c.CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: b.GetTxnId()})
		cl.must(err, "commit txn")
	}
	_, err = c.StartTabletJob(ctx, &metapb.StartTabletJobRequest{TabletId: tb, Compaction: &metapb.CompactionJob{Id: "mj", Initiator: "be-1",
		Type: metapb.CompactionType_COMPACTION_FULL, StartVersion: 2, EndVersion: 4, LeaseMs: 60_000}})
	cl.must(err, "start job")
	out := &metapb.RowsetMeta{RowsetId: "mow-out", TabletId: tb, StartVersion: 2, EndVersion: 4, NumRows: 3, NumSegments: 1}
	_, err = c.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{Rowset: out, JobId: "mj"})
	cl.must(err, "prepare output")
	commit := func(lockID int64) error {
		_, err := c.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{TabletId: tb, JobId: "mj", Action: metapb.TabletJobAction_JOB_COMMIT,
			OutputRowset: out, DeleteBitmapLockId: lockID})
		return err
	}
	lock := func(lockID int64) error {
		_, err := c.GetDeleteBitmapUpdateLock(ctx, &metapb.GetDeleteBitmapUpdateLockRequest{TableId: mowTable, PartitionIds: []int64{mowPart},
			LockId: lockID, Initiator: 1, ExpirationMs: 60_000})
		return err
	}
	unlock := func(lockID int64) {
		_, err := c.RemoveDeleteBitmapUpdateLock(ctx, &metapb.RemoveDeleteBitmapUpdateLockRequest{TableId: mowTable, PartitionIds: []int64{mowPart},
			LockId: lockID, Initiator: 1})
		cl.must(err, "unlock")
	}
	if err := commit(0); code(err) != codes.FailedPrecondition {
		t.Fatalf("commit without a lock id: %v", err)
	}
	if err := commit(-5); code(err) != codes.FailedPrecondition {
		t.Fatalf("commit with a lock id that holds nothing: %v", err)
	}
	cl.must(lock(777), "a load's lock")
	if err := lock(-5); code(err) != codes.Aborted {
		t.Fatalf("compaction lock while a load holds it: %v", err)
	}
	if err := commit(-5); code(err) != codes.FailedPrecondition {
		t.Fatalf("commit while a load holds the lock: %v", err)
	}
	if err := commit(777); code(err) != codes.InvalidArgument {
		t.Fatalf("commit with a load's lock id: %v", err)
	}
	unlock(777)
	cl.must(lock(-5), "the compaction's lock")
	cl.must(commit(-5), "commit under the lock")
	if got := cl.rowsets(tb, 0, 100); len(got) != 1 || got[0].GetRowsetId() != "mow-out" {
		t.Fatalf("rowsets after the commit: %v", got)
	}
	if err := lock(778); code(err) != codes.Aborted {
		t.Fatalf("the commit released the compaction's lock: %v", err)
	}
	unlock(-5)
	cl.must(lock(778), "a load's lock after the compaction")
}
