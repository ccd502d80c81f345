package version

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/local"
)

func TestGetSet(t *testing.T) {
	db, err := local.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
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
	if err := db.Update(ctx, func(tx kv.Txn) error {
		return Set(tx, "i", &metapb.PartitionVersion{DbId: 1, TableId: 2, PartitionId: 3, Version: 7})
	}); err != nil {
		t.Fatal(err)
	}
	if v := get(1, 2, 3); v != 7 {
		t.Fatalf("after Set: %d", v)
	}
	if v := get(1, 2, 4); v != Initial {
		t.Fatalf("neighbour partition: %d", v)
	}
}
