package recycler_test

import (
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/server"
	"github.com/doricdb/doric/recycler"
)

// TestClaimSkipsRowsetsTheirOwnerMayStillCommit: an upload marker whose expiration passed while
// its txn still runs (a precommit moved the deadline), and a compaction output whose job renewed
// its lease, are left alone; once the txn expires the recycler aborts it and reclaims the
// marker, and once the job aborts its output goes.
func TestClaimSkipsRowsetsTheirOwnerMayStillCommit(t *testing.T) {
	e := newEnv(t, server.WithRetention(time.Millisecond))
	tablets := e.tablets(1, 2, 1)
	e.load("a", tablets[1])
	e.load("b", tablets[1])
	r := e.recycler(func(c *recycler.Config) { c.Retention = recycler.Retention{General: -1, Compacted: -1} })

	id := e.begin("slow")
	marker := e.stage(id, tablets[0], false) // expires 1 ms after the txn's 1 h deadline
	if _, err := e.srv.PrecommitTxn(ctx, &metapb.PrecommitTxnRequest{InstanceId: inst, DbId: dbID, TxnId: id,
		PrecommitTimeoutMs: (10 * time.Hour).Milliseconds()}); err != nil {
		t.Fatal(err)
	}
	vis := e.visible(tablets[1])
	job := "job-1"
	if _, err := e.srv.StartTabletJob(ctx, &metapb.StartTabletJobRequest{InstanceId: inst, TabletId: tablets[1], Compaction: &metapb.CompactionJob{
		Id: job, StartVersion: vis[0].GetStartVersion(), EndVersion: vis[1].GetEndVersion(), LeaseMs: (10 * time.Minute).Milliseconds()}}); err != nil {
		t.Fatal(err)
	}
	out := &metapb.RowsetMeta{RowsetId: e.rowsetID(), TabletId: tablets[1], StartVersion: vis[0].GetStartVersion(), EndVersion: vis[1].GetEndVersion(), NumSegments: 1, TotalSize: 7}
	if _, err := e.srv.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{InstanceId: inst, Rowset: out, JobId: job}); err != nil {
		t.Fatal(err)
	}
	e.upload(out)
	e.clk.Advance(9 * time.Minute)
	if _, err := e.srv.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{InstanceId: inst, TabletId: tablets[1], JobId: job,
		Action: metapb.TabletJobAction_JOB_LEASE, LeaseMs: (24 * time.Hour).Milliseconds()}); err != nil {
		t.Fatal(err)
	}

	e.clk.Advance(2 * time.Hour) // both entries' expirations passed; their owners live on
	rep := e.round(r)
	wantKinds(t, "owners alive", rep, nil)
	if p := rep.Kinds[recycler.KindRowset].Pending + rep.Kinds[recycler.KindCompacted].Pending; p != 2 {
		t.Fatalf("pending %d, want the 2 entries\n%s", p, rep.String())
	}
	if e.filesOf(marker) != 3 || e.filesOf(out) != 2 {
		t.Fatal("files of rowsets whose owner may still commit them were deleted")
	}

	e.clk.Advance(9 * time.Hour) // the precommitted txn's deadline passed
	wantKinds(t, "txn expired", e.round(r), map[string]int{"expired_txn": 1, "rowset": 1})
	if e.filesOf(marker) != 0 || e.filesOf(out) != 2 {
		t.Fatal("the expired txn's marker should be reclaimed, the live job's output kept")
	}
	if _, err := e.srv.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{InstanceId: inst, TabletId: tablets[1], JobId: job,
		Action: metapb.TabletJobAction_JOB_ABORT, OutputRowset: out}); err != nil {
		t.Fatal(err)
	}
	wantKinds(t, "job aborted", e.round(r), map[string]int{"compacted_rowset": 1})
	if e.filesOf(out) != 0 {
		t.Fatal("the aborted job's output was kept")
	}
	e.check(r)
}

// TestStaleEntriesKeepTheFiles: a recycle entry that names a rowset which is visible, or
// committed to its txn (a Meta Service bug), is removed without deleting the files.
func TestStaleEntriesKeepTheFiles(t *testing.T) {
	e := newEnv(t)
	tablets := e.tablets(1, 1, 1)
	e.load("a", tablets[0])
	live := e.visible(tablets[0])[0]
	tmp := e.stage(e.begin("b"), tablets[0], true)
	if err := e.db.Update(ctx, func(tx kv.Txn) error {
		for _, rs := range []*metapb.RowsetMeta{live, tmp} {
			if err := kv.SetProto(tx, keys.RecycleRowset(inst, rs.GetTabletId(), rs.GetRowsetId()),
				&metapb.RecycleRowset{Rowset: rs, CreationTimeMs: 1, ExpirationMs: 1}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r := e.recycler(nil)
	wantKinds(t, "stale", e.round(r), map[string]int{"rowset": 1, "compacted_rowset": 1})
	for _, rs := range []*metapb.RowsetMeta{live, tmp} {
		if e.filesOf(rs) != 3 {
			t.Fatalf("rowset %s lost its files", rs.GetRowsetId())
		}
		if e.has(keys.RecycleRowset(inst, rs.GetTabletId(), rs.GetRowsetId())) {
			t.Fatalf("the stale entry of %s is still there", rs.GetRowsetId())
		}
	}
	e.check(r)
}
