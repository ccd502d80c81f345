package bitmap

import (
	"context"
	"errors"
	"fmt"
	"github.com/doricdb/doric/metaservice/kv/local/localtest"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
)

var (
	ctx = context.Background()
	t0  = time.UnixMilli(1_700_000_000_000)
)

func TestLock(t *testing.T) {
	db := localtest.Open(t)
	lock := func(parts []int64, lockID, initiator int64, now time.Time) error {
		return db.Update(ctx, func(tx kv.Txn) error { return Lock(tx, "i", 1, parts, lockID, initiator, now, time.Minute) })
	}
	unlock := func(parts []int64, lockID, initiator int64) {
		t.Helper()
		if err := db.Update(ctx, func(tx kv.Txn) error { return Unlock(tx, "i", 1, parts, lockID, initiator) }); err != nil {
			t.Fatal(err)
		}
	}
	held := func(part, lockID int64, now time.Time) error {
		return db.View(ctx, func(tx kv.ReadTxn) error { return CheckHeld(tx, "i", 1, part, lockID, now) })
	}
	if err := lock([]int64{10, 11}, 7, 100, t0); err != nil {
		t.Fatal(err)
	}
	// Re-entrant for the owner (another initiator of the same load), refused for others.
	if err := lock([]int64{11}, 7, 101, t0.Add(time.Second)); err != nil {
		t.Fatalf("re-entry: %v", err)
	}
	if err := lock([]int64{12, 11}, 8, 100, t0.Add(time.Second)); !errors.Is(err, metaerr.ErrBusy) {
		t.Fatalf("another owner: %v", err)
	}
	if err := held(12, 8, t0); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("a refused request took partition 12: %v", err)
	}
	if err := held(11, 7, t0.Add(time.Minute)); err != nil {
		t.Fatalf("the owner's re-entry did not extend the lock: %v", err)
	}
	if err := held(11, 8, t0); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("held by the wrong owner: %v", err)
	}
	// Unlock by one initiator keeps the lock for the other; by a stranger does nothing.
	unlock([]int64{11}, 7, 100)
	unlock([]int64{11}, 9, 101)
	if err := held(11, 7, t0); err != nil {
		t.Fatalf("after a partial unlock: %v", err)
	}
	unlock([]int64{11}, 7, 101)
	unlock([]int64{11}, 7, 101) // replay
	if err := lock([]int64{11}, 8, 100, t0); err != nil {
		t.Fatalf("lock after the last unlock: %v", err)
	}
	// An expired lock is taken over.
	if err := lock([]int64{10}, 8, 100, t0.Add(59*time.Second)); !errors.Is(err, metaerr.ErrBusy) {
		t.Fatalf("live lock: %v", err)
	}
	if err := lock([]int64{10}, 8, 100, t0.Add(61*time.Second)); err != nil {
		t.Fatalf("expired lock: %v", err)
	}
	if err := held(10, 7, t0); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("the old owner still holds it: %v", err)
	}
	if err := db.Update(ctx, func(tx kv.Txn) error { return Lock(tx, "i", 1, nil, 7, 1, t0, 0) }); !errors.Is(err, metaerr.ErrInvalidArgument) {
		t.Fatalf("no partitions: %v", err)
	}
}

// model is the expected bitmaps of a tablet: (rowset, version, segment) -> bytes.
type model map[string][]byte

func mkey(rowset string, version, segment int64) string {
	return fmt.Sprintf("%s/%d/%d", rowset, version, segment)
}

// TestUpdateGetRemoveAgainstModel applies random updates (by loads that commit, loads that do
// not, and compactions), removals and reads, and compares every read with a model.
func TestUpdateGetRemoveAgainstModel(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	db := localtest.Open(t)
	target := Target{TableID: 1, PartitionID: 2, TabletID: 3}
	want := model{}
	committed := map[int64]bool{}
	var pendingOwner int64
	var pendingKeys []string
	rowsets := []string{"r1", "r2", "r3"}
	isCommitted := func(id int64) (bool, error) { return committed[id], nil }
	for step := range 60 + rng.IntN(60) {
		now := t0.Add(time.Duration(step) * time.Hour) // every step's lock is fresh
		switch op := rng.IntN(10); {
		case op < 6: // update by a load (lock id > 0) or a compaction (< 0)
			lockID := int64(step + 1)
			if op == 5 {
				lockID = -1
			}
			if err := db.Update(ctx, func(tx kv.Txn) error { return Lock(tx, "i", 1, []int64{2}, lockID, 1, now, time.Minute) }); err != nil {
				t.Fatal(err)
			}
			var bs []*metapb.DeleteBitmapEntry
			for range 1 + rng.IntN(4) {
				bs = append(bs, &metapb.DeleteBitmapEntry{RowsetId: rowsets[rng.IntN(3)], Version: 1 + rng.Int64N(5), SegmentId: rng.Int64N(3), Bitmap: []byte{byte(step), byte(rng.IntN(256))}})
			}
			if err := db.Update(ctx, func(tx kv.Txn) error { return Update(tx, "i", target, lockID, bs, now, isCommitted) }); err != nil {
				t.Fatal(err)
			}
			if lockID > 0 {
				if pendingOwner != 0 && pendingOwner != lockID && !committed[pendingOwner] {
					for _, k := range pendingKeys {
						delete(want, k)
					}
				}
				if pendingOwner != lockID {
					pendingKeys = nil
				}
				pendingOwner = lockID
			}
			for _, b := range bs {
				k := mkey(b.RowsetId, b.Version, b.SegmentId)
				want[k] = b.Bitmap
				if lockID > 0 {
					pendingKeys = append(pendingKeys, k)
				}
			}
			if lockID > 0 && rng.IntN(2) == 0 { // the load commits
				committed[lockID] = true
				if err := db.Update(ctx, func(tx kv.Txn) error { return Forget(tx, "i", 3, lockID) }); err != nil {
					t.Fatal(err)
				}
				pendingOwner, pendingKeys = 0, nil
			}
		case op < 8: // remove a range
			r := &metapb.DeleteBitmapRange{RowsetId: rowsets[rng.IntN(3)], StartVersion: rng.Int64N(6), EndVersion: math.MaxInt64}
			if rng.IntN(2) == 0 {
				r.EndVersion = r.StartVersion + rng.Int64N(3)
			}
			if err := db.Update(ctx, func(tx kv.Txn) error { return Remove(tx, "i", 3, []*metapb.DeleteBitmapRange{r}) }); err != nil {
				t.Fatal(err)
			}
			for k := range want {
				var rs string
				var v, s int64
				fmt.Sscanf(k, "%2s/%d/%d", &rs, &v, &s)
				if rs == r.RowsetId && v >= r.StartVersion && v <= r.EndVersion {
					delete(want, k)
				}
			}
		default: // read a range
			r := &metapb.DeleteBitmapRange{RowsetId: rowsets[rng.IntN(3)], StartVersion: rng.Int64N(6)}
			r.EndVersion = r.StartVersion + rng.Int64N(4)
			var got []*metapb.DeleteBitmapEntry
			if err := db.View(ctx, func(tx kv.ReadTxn) error {
				var err error
				got, err = Get(tx, "i", 3, []*metapb.DeleteBitmapRange{r})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			var gotKeys, wantKeys []string
			for _, b := range got {
				k := mkey(b.RowsetId, b.Version, b.SegmentId)
				gotKeys = append(gotKeys, k)
				if !slices.Equal(b.Bitmap, want[k]) {
					t.Fatalf("step %d: %s = %v, want %v", step, k, b.Bitmap, want[k])
				}
			}
			for k := range want {
				var rs string
				var v, s int64
				fmt.Sscanf(k, "%2s/%d/%d", &rs, &v, &s)
				if rs == r.RowsetId && v >= r.StartVersion && v <= r.EndVersion {
					wantKeys = append(wantKeys, k)
				}
			}
			slices.Sort(wantKeys)
			if !slices.Equal(gotKeys, wantKeys) {
				t.Fatalf("step %d: Get(%v) = %v, want %v", step, r, gotKeys, wantKeys)
			}
		}
	}
}

func TestUpdateNeedsLiveLock(t *testing.T) {
	db := localtest.Open(t)
	target := Target{TableID: 1, PartitionID: 2, TabletID: 3}
	bs := []*metapb.DeleteBitmapEntry{{RowsetId: "r", Version: 2, SegmentId: 0, Bitmap: []byte{1}}}
	none := func(int64) (bool, error) { return false, nil }
	update := func(lockID int64, now time.Time, bs []*metapb.DeleteBitmapEntry) error {
		return db.Update(ctx, func(tx kv.Txn) error { return Update(tx, "i", target, lockID, bs, now, none) })
	}
	if err := update(5, t0, bs); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("update without the lock: %v", err)
	}
	if err := db.Update(ctx, func(tx kv.Txn) error { return Lock(tx, "i", 1, []int64{2}, 5, 1, t0, time.Second) }); err != nil {
		t.Fatal(err)
	}
	if err := update(6, t0, bs); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("update by another owner: %v", err)
	}
	if err := update(5, t0.Add(2*time.Second), bs); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("update with an expired lock: %v", err)
	}
	if err := update(5, t0, []*metapb.DeleteBitmapEntry{{Version: 2}}); !errors.Is(err, metaerr.ErrInvalidArgument) {
		t.Fatalf("bitmap without a rowset: %v", err)
	}
	if err := update(5, t0, bs); err != nil {
		t.Fatal(err)
	}
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		_, err := Get(tx, "i", 3, []*metapb.DeleteBitmapRange{{RowsetId: "r", StartVersion: 3, EndVersion: 2}})
		return err
	}); !errors.Is(err, metaerr.ErrInvalidArgument) {
		t.Fatalf("inverted range: %v", err)
	}
}
