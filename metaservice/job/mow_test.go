package job

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/bitmap"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/tablet"
)

// newMoWEnv is newEnv with a merge-on-write UNIQUE tablet (its schema in the tablet meta).
func newMoWEnv(t *testing.T) *env {
	db, err := local.Open(t.TempDir() + "/meta.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t, db}
	m := proto.Clone(ids).(*metapb.TabletMeta)
	m.Schema = &commonpb.TabletSchema{KeysType: commonpb.KeysType_UNIQUE_KEYS, EnableUniqueKeyMergeOnWrite: true, NumKeyColumns: 1}
	e.do(func(tx kv.Txn) error { return tablet.Create(tx, inst, []*metapb.TabletMeta{m}, "v", t0) })
	return e
}

func (e *env) commitLocked(id string, out *metapb.RowsetMeta, lockID int64, now time.Time) error {
	return e.db.Update(ctx, func(tx kv.Txn) error {
		_, err := Commit(tx, inst, tab, id, out, 0, lockID, now, opts)
		return err
	})
}

func (e *env) lock(lockID int64, now time.Time, lease time.Duration) {
	e.t.Helper()
	e.do(func(tx kv.Txn) error {
		return bitmap.Lock(tx, inst, ids.GetTableId(), []int64{ids.GetPartitionId()}, lockID, 1, now, lease)
	})
}

func (e *env) unlock(lockID int64) {
	e.t.Helper()
	e.do(func(tx kv.Txn) error {
		return bitmap.Unlock(tx, inst, ids.GetTableId(), []int64{ids.GetPartitionId()}, lockID, 1)
	})
}

// TestCommitMergeOnWriteNeedsLock: the commit of a merge-on-write tablet's compaction is refused
// (FailedPrecondition) without a lock id, with a lock id that holds no lock, that another owner's
// lock shadows, or whose lock expired; a positive (a load's) lock id is invalid; a commit with
// the live lock swaps the rowsets; its replay succeeds although the lock is gone.
func TestCommitMergeOnWriteNeedsLock(t *testing.T) {
	e := newMoWEnv(t)
	for v := int64(2); v <= 4; v++ {
		e.load(v)
	}
	if _, err := e.start("a", 2, 4, t0); err != nil {
		t.Fatal(err)
	}
	out := output("out-a", 2, 4)
	now := t0.Add(time.Second)
	if err := e.commitLocked("a", out, 0, now); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("commit without a lock id: %v", err)
	}
	if err := e.commitLocked("a", out, -7, now); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("commit with a lock id that holds no lock: %v", err)
	}
	e.lock(1234, now, time.Minute) // a load's publish
	if err := e.commitLocked("a", out, -7, now); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("commit while a load holds the lock: %v", err)
	}
	if err := e.commitLocked("a", out, 1234, now); !errors.Is(err, metaerr.ErrInvalidArgument) {
		t.Fatalf("commit with a load's lock id: %v", err)
	}
	e.unlock(1234)
	e.lock(-7, now, 5*time.Second)
	if err := e.commitLocked("a", out, -7, now.Add(6*time.Second)); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("commit after the lock expired: %v", err)
	}
	if n := len(e.visible()); n != 3 {
		t.Fatalf("refused commits changed the rowsets: %d visible", n)
	}
	e.lock(-7, now.Add(7*time.Second), time.Minute)
	if err := e.commitLocked("a", out, -7, now.Add(8*time.Second)); err != nil {
		t.Fatalf("commit under the lock: %v", err)
	}
	if vis := e.visible(); len(vis) != 1 || vis[0].GetRowsetId() != "out-a" {
		t.Fatalf("visible after the commit: %v", vis)
	}
	// The commit does not release the lock (the compactor does); a replay needs no lock.
	e.do(func(tx kv.Txn) error {
		return bitmap.CheckHeld(tx, inst, ids.GetTableId(), ids.GetPartitionId(), -7, now.Add(9*time.Second))
	})
	e.unlock(-7)
	if err := e.commitLocked("a", out, -7, now.Add(10*time.Second)); err != nil {
		t.Fatalf("replayed commit: %v", err)
	}
}

// TestCommitLockOptionalElsewhere: a tablet that is not merge-on-write commits without a lock
// id; one that names a lock id is checked all the same.
func TestCommitLockOptionalElsewhere(t *testing.T) {
	e := newEnv(t)
	for v := int64(2); v <= 4; v++ {
		e.load(v)
	}
	if _, err := e.start("a", 2, 3, t0); err != nil {
		t.Fatal(err)
	}
	if err := e.commitLocked("a", output("out-a", 2, 3), -3, t0); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("commit naming a lock it does not hold: %v", err)
	}
	if err := e.commitLocked("a", output("out-a", 2, 3), 0, t0); err != nil {
		t.Fatalf("commit of a duplicate-key tablet without a lock: %v", err)
	}
}
