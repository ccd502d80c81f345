//go:build fdb

package fdb

import (
	"context"
	"os"
	"testing"

	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/kvtest"
)

// TestConformance runs kvtest against the FoundationDB cluster named by
// DORIC_TEST_FDB_CLUSTER_FILE. Each subtest starts by clearing the whole user key space
// ("" to "\xff") of that cluster: point it at a cluster that holds nothing else.
func TestConformance(t *testing.T) {
	cf := os.Getenv("DORIC_TEST_FDB_CLUSTER_FILE")
	if cf == "" {
		t.Skip("DORIC_TEST_FDB_CLUSTER_FILE is not set")
	}
	kvtest.Run(t, func(t *testing.T, o kv.Options) kv.DB {
		db, err := OpenWith(cf, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(context.Background(), func(tx kv.Txn) error {
			return tx.ClearRange(nil, []byte{0xFF})
		}); err != nil {
			t.Fatalf("clear the test cluster: %v", err)
		}
		return db
	})
}
