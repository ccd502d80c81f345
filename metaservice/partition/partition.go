package partition

import (
	"fmt"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/version"
)

// Op is one of the three calls.
type Op int

// The operations.
const (
	Prepare Op = iota
	Commit
	Drop
)

func (o Op) String() string {
	switch o {
	case Prepare:
		return "prepare"
	case Commit:
		return "commit"
	case Drop:
		return "drop"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Retention is the default expiration of the entries, relative to now, when the request gives
// none: Prepared for a create in progress, Dropped for a drop.
type Retention struct {
	Prepared time.Duration
	Dropped  time.Duration
}

// entry is what both kinds of recycle entry have in common.
type entry interface {
	GetState() metapb.RecycleState
}

// transition returns the new state of an entry in state cur (RECYCLE_UNKNOWN: no entry), whether
// anything changes, or an error.
func transition(op Op, cur metapb.RecycleState, what string) (metapb.RecycleState, bool, error) {
	switch op {
	case Prepare:
		switch cur {
		case metapb.RecycleState_RECYCLE_UNKNOWN:
			return metapb.RecycleState_RECYCLE_PREPARED, true, nil
		case metapb.RecycleState_RECYCLE_PREPARED:
			return cur, false, nil
		}
	case Commit:
		switch cur {
		case metapb.RecycleState_RECYCLE_UNKNOWN:
			return cur, false, nil
		case metapb.RecycleState_RECYCLE_PREPARED:
			return metapb.RecycleState_RECYCLE_UNKNOWN, true, nil
		}
	case Drop:
		switch cur {
		case metapb.RecycleState_RECYCLE_UNKNOWN, metapb.RecycleState_RECYCLE_PREPARED:
			return metapb.RecycleState_RECYCLE_DROPPED, true, nil
		case metapb.RecycleState_RECYCLE_DROPPED, metapb.RecycleState_RECYCLE_RECYCLING:
			return cur, false, nil
		}
	}
	return cur, false, fmt.Errorf("%s %s: it is %v: %w", op, what, cur, metaerr.ErrFailedPrecondition)
}

func expiration(op Op, req int64, now time.Time, r Retention) int64 {
	if req > 0 {
		return req
	}
	if op == Prepare {
		return now.Add(r.Prepared).UnixMilli()
	}
	return now.Add(r.Dropped).UnixMilli()
}

// Indexes applies op to the indexes of req. It returns the table version after the call when
// req asks to update it (0 otherwise).
func Indexes(tx kv.Txn, inst string, op Op, req *metapb.IndexRequest, now time.Time, r Retention) (int64, error) {
	if req.GetDbId() <= 0 || req.GetTableId() <= 0 || len(req.GetIndexIds()) == 0 {
		return 0, fmt.Errorf("%s index: db id, table id and index ids are required (got %d, %d, %v): %w",
			op, req.GetDbId(), req.GetTableId(), req.GetIndexIds(), metaerr.ErrInvalidArgument)
	}
	changed := false
	for _, id := range req.GetIndexIds() {
		if id <= 0 {
			return 0, fmt.Errorf("%s index: index id %d: %w", op, id, metaerr.ErrInvalidArgument)
		}
		key := keys.RecycleIndex(inst, id)
		cur := &metapb.RecycleIndex{}
		if _, err := kv.GetProto(tx, key, cur); err != nil {
			return 0, err
		}
		if err := sameTable(cur, req.GetTableId(), fmt.Sprintf("index %d", id)); err != nil {
			return 0, err
		}
		next, ch, err := transition(op, cur.GetState(), fmt.Sprintf("index %d", id))
		if err != nil || !ch {
			if err != nil {
				return 0, err
			}
			continue
		}
		changed = true
		if next == metapb.RecycleState_RECYCLE_UNKNOWN {
			if err := tx.Clear(key); err != nil {
				return 0, err
			}
			continue
		}
		if err := kv.SetProto(tx, key, &metapb.RecycleIndex{
			DbId: req.GetDbId(), TableId: req.GetTableId(), IndexId: id, State: next,
			CreationTimeMs: now.UnixMilli(), ExpirationMs: expiration(op, req.GetExpirationMs(), now, r),
		}); err != nil {
			return 0, err
		}
	}
	return bump(tx, inst, op, req.GetUpdateTableVersion(), changed, req.GetDbId(), req.GetTableId())
}

// Partitions applies op to the partitions of req. It returns the table version after the call
// when req asks to update it (0 otherwise).
func Partitions(tx kv.Txn, inst string, op Op, req *metapb.PartitionRequest, now time.Time, r Retention) (int64, error) {
	if req.GetDbId() <= 0 || req.GetTableId() <= 0 || len(req.GetPartitionIds()) == 0 {
		return 0, fmt.Errorf("%s partition: db id, table id and partition ids are required (got %d, %d, %v): %w",
			op, req.GetDbId(), req.GetTableId(), req.GetPartitionIds(), metaerr.ErrInvalidArgument)
	}
	if op != Commit && len(req.GetIndexIds()) == 0 {
		return 0, fmt.Errorf("%s partition: the table's index ids are required: %w", op, metaerr.ErrInvalidArgument)
	}
	changed := false
	for _, id := range req.GetPartitionIds() {
		if id <= 0 {
			return 0, fmt.Errorf("%s partition: partition id %d: %w", op, id, metaerr.ErrInvalidArgument)
		}
		key := keys.RecyclePartition(inst, id)
		cur := &metapb.RecyclePartition{}
		if _, err := kv.GetProto(tx, key, cur); err != nil {
			return 0, err
		}
		if err := sameTable(cur, req.GetTableId(), fmt.Sprintf("partition %d", id)); err != nil {
			return 0, err
		}
		next, ch, err := transition(op, cur.GetState(), fmt.Sprintf("partition %d", id))
		if err != nil || !ch {
			if err != nil {
				return 0, err
			}
			continue
		}
		changed = true
		if next == metapb.RecycleState_RECYCLE_UNKNOWN {
			if err := tx.Clear(key); err != nil {
				return 0, err
			}
			continue
		}
		if err := kv.SetProto(tx, key, &metapb.RecyclePartition{
			DbId: req.GetDbId(), TableId: req.GetTableId(), PartitionId: id, IndexIds: req.GetIndexIds(), State: next,
			CreationTimeMs: now.UnixMilli(), ExpirationMs: expiration(op, req.GetExpirationMs(), now, r),
		}); err != nil {
			return 0, err
		}
	}
	return bump(tx, inst, op, req.GetUpdateTableVersion(), changed, req.GetDbId(), req.GetTableId())
}

// sameTable refuses an id whose existing entry belongs to another table (ids are global).
func sameTable(cur interface {
	entry
	GetTableId() int64
}, table int64, what string) error {
	if cur.GetState() != metapb.RecycleState_RECYCLE_UNKNOWN && cur.GetTableId() != table {
		return fmt.Errorf("%s belongs to table %d, not %d: %w", what, cur.GetTableId(), table, metaerr.ErrInvalidArgument)
	}
	return nil
}

func bump(tx kv.Txn, inst string, op Op, want, changed bool, db, table int64) (int64, error) {
	if !want || op == Prepare {
		return 0, nil
	}
	if changed {
		if err := version.BumpTable(tx, inst, db, table); err != nil {
			return 0, err
		}
	}
	return version.Table(tx, inst, db, table)
}

// PartitionDropped reports whether a partition is dropped (DROPPED or RECYCLING).
func PartitionDropped(tx kv.ReadTxn, inst string, partitionID int64) (bool, error) {
	cur := &metapb.RecyclePartition{}
	if _, err := kv.GetProto(tx, keys.RecyclePartition(inst, partitionID), cur); err != nil {
		return false, err
	}
	return dropped(cur.GetState()), nil
}

// IndexDropped reports whether an index is dropped (DROPPED or RECYCLING).
func IndexDropped(tx kv.ReadTxn, inst string, indexID int64) (bool, error) {
	cur := &metapb.RecycleIndex{}
	if _, err := kv.GetProto(tx, keys.RecycleIndex(inst, indexID), cur); err != nil {
		return false, err
	}
	return dropped(cur.GetState()), nil
}

func dropped(s metapb.RecycleState) bool {
	return s == metapb.RecycleState_RECYCLE_DROPPED || s == metapb.RecycleState_RECYCLE_RECYCLING
}
