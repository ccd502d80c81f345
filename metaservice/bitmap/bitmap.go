package bitmap

import (
	"fmt"
	"math"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
)

// DefaultLease is how long a lock is held when the request does not say (Doris's
// delete_bitmap_lock_expiration_seconds is 10 s; loads renew by locking again).
const DefaultLease = 60 * time.Second

func lockOf(tx kv.ReadTxn, inst string, table, partition int64) (*metapb.DeleteBitmapLock, error) {
	l := &metapb.DeleteBitmapLock{}
	ok, err := kv.GetProto(tx, keys.DeleteBitmapLock(inst, table, partition), l)
	if err != nil || !ok {
		return nil, err
	}
	return l, nil
}

// Lock takes (or re-enters) the lock of every partition for lockID/initiator until now+lease
// (DefaultLease when lease <= 0).
func Lock(tx kv.Txn, inst string, table int64, partitions []int64, lockID, initiator int64, now time.Time, lease time.Duration) error {
	if table <= 0 || len(partitions) == 0 || lockID == 0 {
		return fmt.Errorf("delete bitmap lock: table id, partition ids and lock id are required (got %d, %v, %d): %w",
			table, partitions, lockID, metaerr.ErrInvalidArgument)
	}
	if lease <= 0 {
		lease = DefaultLease
	}
	for _, p := range partitions {
		l, err := lockOf(tx, inst, table, p)
		if err != nil {
			return err
		}
		switch {
		case l == nil || l.GetExpirationMs() < now.UnixMilli():
			l = &metapb.DeleteBitmapLock{TableId: table, PartitionId: p, LockId: lockID}
		case l.GetLockId() != lockID:
			return fmt.Errorf("delete bitmap lock of table %d partition %d is held by %d until %d: %w",
				table, p, l.GetLockId(), l.GetExpirationMs(), metaerr.ErrBusy)
		}
		if !slices.Contains(l.Initiators, initiator) {
			l.Initiators = append(l.Initiators, initiator)
		}
		l.ExpirationMs = now.Add(lease).UnixMilli()
		if err := kv.SetProto(tx, keys.DeleteBitmapLock(inst, table, p), l); err != nil {
			return err
		}
	}
	return nil
}

// Unlock releases initiator's hold of lockID on every partition; the lock goes with its last
// initiator. Locks held by another owner (or none) are left alone.
func Unlock(tx kv.Txn, inst string, table int64, partitions []int64, lockID, initiator int64) error {
	for _, p := range partitions {
		l, err := lockOf(tx, inst, table, p)
		if err != nil {
			return err
		}
		if l == nil || l.GetLockId() != lockID {
			continue
		}
		l.Initiators = slices.DeleteFunc(l.Initiators, func(i int64) bool { return i == initiator })
		if len(l.Initiators) == 0 {
			if err := tx.Clear(keys.DeleteBitmapLock(inst, table, p)); err != nil {
				return err
			}
			continue
		}
		if err := kv.SetProto(tx, keys.DeleteBitmapLock(inst, table, p), l); err != nil {
			return err
		}
	}
	return nil
}

// CheckHeld fails with metaerr.ErrFailedPrecondition unless lockID holds a live lock of the
// partition at now.
func CheckHeld(tx kv.ReadTxn, inst string, table, partition, lockID int64, now time.Time) error {
	l, err := lockOf(tx, inst, table, partition)
	if err != nil {
		return err
	}
	switch {
	case l == nil:
		return fmt.Errorf("delete bitmap lock of table %d partition %d is not held by %d (free): %w", table, partition, lockID, metaerr.ErrFailedPrecondition)
	case l.GetLockId() != lockID:
		return fmt.Errorf("delete bitmap lock of table %d partition %d is held by %d, not %d: %w", table, partition, l.GetLockId(), lockID, metaerr.ErrFailedPrecondition)
	case l.GetExpirationMs() < now.UnixMilli():
		return fmt.Errorf("delete bitmap lock of table %d partition %d held by %d expired at %d: %w", table, partition, lockID, l.GetExpirationMs(), metaerr.ErrFailedPrecondition)
	}
	return nil
}

// Release removes the lock of the partition whoever holds it (commit_txn, after CheckHeld).
func Release(tx kv.Txn, inst string, table, partition int64) error {
	return tx.Clear(keys.DeleteBitmapLock(inst, table, partition))
}

// Target names the tablet an update writes to; the caller resolves it (tablet ids to table and
// partition) so this package does not depend on package tablet.
type Target struct {
	TableID, PartitionID, TabletID int64
}

// Update writes the bitmaps of one tablet for the live holder lockID of the partition's lock.
// committed reports whether the load with a given txn id committed (its pending bitmaps are then
// kept when another owner updates the tablet).
func Update(tx kv.Txn, inst string, t Target, lockID int64, bitmaps []*metapb.DeleteBitmapEntry, now time.Time, committed func(txnID int64) (bool, error)) error {
	if err := CheckHeld(tx, inst, t.TableID, t.PartitionID, lockID, now); err != nil {
		return fmt.Errorf("update delete bitmap of tablet %d: %w", t.TabletID, err)
	}
	for _, b := range bitmaps {
		if b.GetRowsetId() == "" || b.GetVersion() <= 0 || b.GetSegmentId() < 0 {
			return fmt.Errorf("delete bitmap of tablet %d: rowset id, version > 0 and segment id >= 0 are required (got %q, %d, %d): %w",
				t.TabletID, b.GetRowsetId(), b.GetVersion(), b.GetSegmentId(), metaerr.ErrInvalidArgument)
		}
	}
	var pending *metapb.DeleteBitmapPending
	if lockID > 0 {
		p := &metapb.DeleteBitmapPending{}
		ok, err := kv.GetProto(tx, keys.DeleteBitmapPending(inst, t.TabletID), p)
		if err != nil {
			return err
		}
		if ok && p.GetLockId() != lockID {
			done, err := committed(p.GetLockId())
			if err != nil {
				return err
			}
			if !done {
				for _, r := range p.GetRefs() {
					if err := tx.Clear(keys.DeleteBitmap(inst, t.TabletID, r.GetRowsetId(), r.GetVersion(), r.GetSegmentId())); err != nil {
						return err
					}
				}
			}
			ok = false
		}
		if !ok {
			p = &metapb.DeleteBitmapPending{LockId: lockID}
		}
		pending = p
	}
	for _, b := range bitmaps {
		if err := kv.SetProto(tx, keys.DeleteBitmap(inst, t.TabletID, b.GetRowsetId(), b.GetVersion(), b.GetSegmentId()),
			&metapb.DeleteBitmapEntry{Bitmap: b.GetBitmap()}); err != nil {
			return err
		}
		if pending != nil {
			ref := &metapb.DeleteBitmapEntry{RowsetId: b.GetRowsetId(), Version: b.GetVersion(), SegmentId: b.GetSegmentId()}
			if !slices.ContainsFunc(pending.Refs, func(r *metapb.DeleteBitmapEntry) bool { return proto.Equal(r, ref) }) {
				pending.Refs = append(pending.Refs, ref)
			}
		}
	}
	if pending != nil {
		return kv.SetProto(tx, keys.DeleteBitmapPending(inst, t.TabletID), pending)
	}
	return nil
}

// Forget drops the pending record of the tablet if lockID wrote it: the load committed and its
// bitmaps are final.
func Forget(tx kv.Txn, inst string, tabletID, lockID int64) error {
	p := &metapb.DeleteBitmapPending{}
	ok, err := kv.GetProto(tx, keys.DeleteBitmapPending(inst, tabletID), p)
	if err != nil || !ok || p.GetLockId() != lockID {
		return err
	}
	return tx.Clear(keys.DeleteBitmapPending(inst, tabletID))
}

// rangeOf is the key range of the bitmaps of r (versions start..end inclusive).
func rangeOf(inst string, tabletID int64, r *metapb.DeleteBitmapRange) (begin, end []byte, err error) {
	if r.GetRowsetId() == "" || r.GetStartVersion() < 0 || r.GetEndVersion() < r.GetStartVersion() {
		return nil, nil, fmt.Errorf("delete bitmap range of tablet %d: rowset %q versions [%d, %d]: %w",
			tabletID, r.GetRowsetId(), r.GetStartVersion(), r.GetEndVersion(), metaerr.ErrInvalidArgument)
	}
	begin = keys.DeleteBitmap(inst, tabletID, r.GetRowsetId(), r.GetStartVersion(), math.MinInt64)
	if r.GetEndVersion() == math.MaxInt64 {
		_, end = keys.DeleteBitmapRowsetRange(inst, tabletID, r.GetRowsetId())
	} else {
		end = keys.DeleteBitmap(inst, tabletID, r.GetRowsetId(), r.GetEndVersion()+1, math.MinInt64)
	}
	return begin, end, nil
}

// Get returns the bitmaps of the tablet in the ranges, in range order and (rowset, version,
// segment) order within each.
func Get(tx kv.ReadTxn, inst string, tabletID int64, ranges []*metapb.DeleteBitmapRange) ([]*metapb.DeleteBitmapEntry, error) {
	var out []*metapb.DeleteBitmapEntry
	for _, r := range ranges {
		begin, end, err := rangeOf(inst, tabletID, r)
		if err != nil {
			return nil, err
		}
		kvs, err := tx.GetRange(begin, end, 0, false)
		if err != nil {
			return nil, err
		}
		for _, e := range kvs {
			k, err := keys.ParseDeleteBitmap(e.Key)
			if err != nil {
				return nil, fmt.Errorf("BUG: key %s in the delete bitmap range of tablet %d: %w", keys.Pretty(e.Key), tabletID, err)
			}
			b := &metapb.DeleteBitmapEntry{}
			if err := proto.Unmarshal(e.Value, b); err != nil {
				return nil, fmt.Errorf("delete bitmap at %s: %w", keys.Pretty(e.Key), err)
			}
			b.RowsetId, b.Version, b.SegmentId = k.RowsetID, k.Version, k.SegmentID
			out = append(out, b)
		}
	}
	return out, nil
}

// Remove deletes the bitmaps of the tablet in the ranges.
func Remove(tx kv.Txn, inst string, tabletID int64, ranges []*metapb.DeleteBitmapRange) error {
	for _, r := range ranges {
		begin, end, err := rangeOf(inst, tabletID, r)
		if err != nil {
			return err
		}
		if err := tx.ClearRange(begin, end); err != nil {
			return err
		}
	}
	return nil
}
