// Package localtest opens throwaway embedded KV stores for tests of the code above the kv seam.
// It is a test harness: production code never imports it.
package localtest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/local"
)

// Open opens a fresh store in t.TempDir(), closed when the test ends.
func Open(t testing.TB) kv.DB {
	t.Helper()
	db, err := local.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Update runs fn in one transaction and fails the test on error.
func Update(t testing.TB, db kv.DB, fn func(tx kv.Txn) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}
