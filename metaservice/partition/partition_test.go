package partition

import (
	"context"
	"errors"
	"github.com/doricdb/doric/metaservice/kv/local/localtest"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/version"
)

var (
	ctx = context.Background()
	t0  = time.UnixMilli(1_700_000_000_000)
	ret = Retention{Prepared: time.Hour, Dropped: 3 * time.Hour}
)

func state(t *testing.T, db kv.DB, partitionID int64) *metapb.RecyclePartition {
	t.Helper()
	p := &metapb.RecyclePartition{}
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		_, err := kv.GetProto(tx, keys.RecyclePartition("i", partitionID), p)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTransitions walks every (state, op) pair of the documented table for partitions and
// indexes, replaying each op, and checks the table version moves only when asked and changed.
func TestTransitions(t *testing.T) {
	const (
		none      = metapb.RecycleState_RECYCLE_UNKNOWN
		prepared  = metapb.RecycleState_RECYCLE_PREPARED
		dropped   = metapb.RecycleState_RECYCLE_DROPPED
		recycling = metapb.RecycleState_RECYCLE_RECYCLING
	)
	want := map[metapb.RecycleState]map[Op]metapb.RecycleState{ // absent: FailedPrecondition
		none:      {Prepare: prepared, Commit: none, Drop: dropped},
		prepared:  {Prepare: prepared, Commit: none, Drop: dropped},
		dropped:   {Drop: dropped},
		recycling: {Drop: recycling},
	}
	db := localtest.Open(t)
	id := int64(100)
	tableVersion := int64(0)
	for from, ops := range want {
		for _, op := range []Op{Prepare, Commit, Drop} {
			id++
			// Reach `from` (recycling is the recycler's: set it directly).
			if err := db.Update(ctx, func(tx kv.Txn) error {
				switch from {
				case prepared:
					_, err := Partitions(tx, "i", Prepare, &metapb.PartitionRequest{DbId: 1, TableId: 2, IndexIds: []int64{3}, PartitionIds: []int64{id}}, t0, ret)
					return err
				case dropped, recycling:
					return kv.SetProto(tx, keys.RecyclePartition("i", id), &metapb.RecyclePartition{DbId: 1, TableId: 2, PartitionId: id, State: from})
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			for replay := range 2 {
				var v int64
				err := db.Update(ctx, func(tx kv.Txn) error {
					var err error
					v, err = Partitions(tx, "i", op, &metapb.PartitionRequest{DbId: 1, TableId: 2, IndexIds: []int64{3}, PartitionIds: []int64{id}, UpdateTableVersion: true}, t0, ret)
					return err
				})
				to, ok := ops[op]
				if !ok {
					if !errors.Is(err, metaerr.ErrFailedPrecondition) {
						t.Errorf("%v from %v: %v, want FailedPrecondition", op, from, err)
					}
					break
				}
				if err != nil {
					t.Fatalf("%v from %v (replay %d): %v", op, from, replay, err)
				}
				if got := state(t, db, id).GetState(); got != to {
					t.Errorf("%v from %v (replay %d): %v, want %v", op, from, replay, got, to)
				}
				if replay == 0 && to != from && op != Prepare {
					tableVersion++
				}
				if op != Prepare && v != tableVersion {
					t.Errorf("%v from %v (replay %d): table version %d, want %d", op, from, replay, v, tableVersion)
				}
			}
		}
	}
	// Expirations: the request's, else now + the kind's retention.
	if err := db.Update(ctx, func(tx kv.Txn) error {
		if _, err := Partitions(tx, "i", Drop, &metapb.PartitionRequest{DbId: 1, TableId: 2, IndexIds: []int64{3}, PartitionIds: []int64{9001}, ExpirationMs: 42}, t0, ret); err != nil {
			return err
		}
		_, err := Partitions(tx, "i", Prepare, &metapb.PartitionRequest{DbId: 1, TableId: 2, IndexIds: []int64{3}, PartitionIds: []int64{9002}}, t0, ret)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if e := state(t, db, 9001).GetExpirationMs(); e != 42 {
		t.Errorf("explicit expiration %d", e)
	}
	if e := state(t, db, 9002).GetExpirationMs(); e != t0.Add(time.Hour).UnixMilli() {
		t.Errorf("default prepared expiration %d", e)
	}
}

func TestIndexesAndDropped(t *testing.T) {
	db := localtest.Open(t)
	do := func(op Op, req *metapb.IndexRequest) error {
		return db.Update(ctx, func(tx kv.Txn) error { _, err := Indexes(tx, "i", op, req, t0, ret); return err })
	}
	dropped := func(id int64) bool {
		var d bool
		if err := db.View(ctx, func(tx kv.ReadTxn) error {
			var err error
			d, err = IndexDropped(tx, "i", id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return d
	}
	req := &metapb.IndexRequest{DbId: 1, TableId: 2, IndexIds: []int64{10, 11}}
	if err := do(Prepare, req); err != nil {
		t.Fatal(err)
	}
	if dropped(10) {
		t.Fatal("a prepared index is dropped")
	}
	if err := do(Commit, req); err != nil {
		t.Fatal(err)
	}
	if err := do(Drop, &metapb.IndexRequest{DbId: 1, TableId: 2, IndexIds: []int64{11}}); err != nil {
		t.Fatal(err)
	}
	if dropped(10) || !dropped(11) {
		t.Fatalf("dropped: 10=%v 11=%v", dropped(10), dropped(11))
	}
	// All or nothing: preparing {12, 11} fails on 11 and leaves 12 alone.
	if err := do(Prepare, &metapb.IndexRequest{DbId: 1, TableId: 2, IndexIds: []int64{12, 11}}); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("prepare of a dropped index: %v", err)
	}
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		v, err := tx.Get(keys.RecycleIndex("i", 12))
		if v != nil {
			t.Errorf("index 12 prepared by a failed request")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Another table's id is refused.
	if err := do(Drop, &metapb.IndexRequest{DbId: 1, TableId: 3, IndexIds: []int64{11}}); !errors.Is(err, metaerr.ErrInvalidArgument) {
		t.Fatalf("drop of another table's index: %v", err)
	}
	for _, bad := range []*metapb.IndexRequest{{TableId: 2, IndexIds: []int64{1}}, {DbId: 1, IndexIds: []int64{1}}, {DbId: 1, TableId: 2}, {DbId: 1, TableId: 2, IndexIds: []int64{-1}}} {
		if err := do(Drop, bad); !errors.Is(err, metaerr.ErrInvalidArgument) {
			t.Errorf("%v: %v", bad, err)
		}
	}
	if err := db.Update(ctx, func(tx kv.Txn) error {
		_, err := Partitions(tx, "i", Drop, &metapb.PartitionRequest{DbId: 1, TableId: 2, PartitionIds: []int64{5}}, t0, ret)
		return err
	}); !errors.Is(err, metaerr.ErrInvalidArgument) {
		t.Fatalf("partition drop without index ids: %v", err)
	}
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		v, err := version.Table(tx, "i", 1, 2)
		if v != 0 {
			t.Errorf("table version %d without update_table_version", v)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
