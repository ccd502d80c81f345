package version

import (
	"context"
	"github.com/doricdb/doric/metaservice/kv/local/localtest"
	"math/rand/v2"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/kv"
)

var ctx = context.Background()

func TestGetSet(t *testing.T) {
	db := localtest.Open(t)
	get := func(db1, table, part int64) int64 {
		var v int64
		if err := db.View(ctx, func(tx kv.ReadTxn) error {
			var err error
			v, err = Get(tx, "i", db1, table, part)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := get(1, 2, 3); v != Initial {
		t.Fatalf("never loaded: %d, want %d", v, Initial)
	}
	stored := &metapb.PartitionVersion{DbId: 1, TableId: 2, PartitionId: 3, Version: 7, PendingTxnIds: []int64{44}}
	if err := db.Update(ctx, func(tx kv.Txn) error { return Set(tx, "i", stored) }); err != nil {
		t.Fatal(err)
	}
	if v := get(1, 2, 3); v != 7 {
		t.Fatalf("after Set: %d", v)
	}
	if v := get(1, 2, 4); v != Initial {
		t.Fatalf("neighbour partition: %d", v)
	}
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		pv, err := Partition(tx, "i", 1, 2, 3)
		if err == nil && !proto.Equal(pv, stored) {
			t.Errorf("Partition = %v, want %v", pv, stored)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx kv.Txn) error {
		return Set(tx, "i", &metapb.PartitionVersion{DbId: 1, TableId: 2, PartitionId: 5, Version: 0})
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.View(ctx, func(tx kv.ReadTxn) error { _, err := Get(tx, "i", 1, 2, 5); return err }); err == nil {
		t.Fatal("a stored version 0 was accepted")
	}
}

// TestTableVersionConcurrentBumps: n concurrent bumps of one table leave it at exactly n and do not
// touch another table.
func TestTableVersionConcurrentBumps(t *testing.T) {
	db := localtest.Open(t)
	n := 10 + rand.IntN(30)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := db.Update(ctx, func(tx kv.Txn) error { return BumpTable(tx, "i", 1, 2) }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		v, err := Table(tx, "i", 1, 2)
		if v != int64(n) {
			t.Errorf("table version %d after %d bumps", v, n)
		}
		if o, _ := Table(tx, "i", 1, 3); o != 0 {
			t.Errorf("untouched table at %d", o)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
