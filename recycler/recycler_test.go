package recycler

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/metaservice/rowset"
	"github.com/doricdb/doric/vault"
	vlocal "github.com/doricdb/doric/vault/local"
)

// TestPassReclaimsExpiredUploadMarkers: files of a load whose commit never came are deleted once
// the marker expires, then the marker; a marker that has not expired is left with its files, and
// files of other rowsets are untouched.
func TestPassReclaimsExpiredUploadMarkers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := local.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := vlocal.New(filepath.Join(dir, "vault"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	const inst = "i1"
	expired := &metapb.RowsetMeta{TabletId: 7, RowsetId: "r-expired", VaultId: "v1", NumSegments: 2}
	pending := &metapb.RowsetMeta{TabletId: 7, RowsetId: "r-pending", VaultId: "v1", NumSegments: 1}
	err = db.Update(ctx, func(tx kv.Txn) error {
		if err := kv.SetProto(tx, keys.StorageVault(inst, "v1"), &metapb.StorageVault{Id: "v1",
			Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: st.Root()}}}); err != nil {
			return err
		}
		if err := rowset.MarkForRecycle(tx, inst, expired, now.Add(-2*time.Hour), now.Add(-time.Minute)); err != nil {
			return err
		}
		return rowset.MarkForRecycle(tx, inst, pending, now, now.Add(time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	files := []string{
		vault.SegmentPath(7, "r-expired", 0), vault.SegmentPath(7, "r-expired", 1),
		vault.SegmentPath(7, "r-pending", 0), vault.SegmentPath(7, "r-visible", 0),
	}
	for _, f := range files {
		if _, err := st.Put(ctx, f, bytes.NewReader([]byte("segment"))); err != nil {
			t.Fatal(err)
		}
	}
	r, err := New(Config{DB: db, InstanceIDs: []string{inst}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	n, err := r.Pass(ctx, inst)
	if err != nil || n != 1 {
		t.Fatalf("Pass = %d, %v; want 1 reclaimed", n, err)
	}
	for i, f := range files {
		_, err := st.Stat(ctx, f)
		gone := errors.Is(err, vault.ErrNotFound)
		if wantGone := i < 2; gone != wantGone {
			t.Errorf("%s: gone=%v, want %v (err %v)", f, gone, wantGone, err)
		}
	}
	err = db.View(ctx, func(tx kv.ReadTxn) error {
		if v, _ := tx.Get(keys.RecycleRowset(inst, 7, "r-expired")); v != nil {
			t.Error("the expired marker is still there")
		}
		if v, _ := tx.Get(keys.RecycleRowset(inst, 7, "r-pending")); v == nil {
			t.Error("the pending marker was removed")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second pass finds nothing more to do.
	if n, err := r.Pass(ctx, inst); err != nil || n != 0 {
		t.Fatalf("second Pass = %d, %v", n, err)
	}
}

// TestPassKeepsTheEntryWhenTheVaultIsUnknown: bookkeeping is removed only after the files.
func TestPassKeepsTheEntryWhenTheVaultIsUnknown(t *testing.T) {
	ctx := context.Background()
	db, err := local.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Unix(1_800_000_000, 0)
	rs := &metapb.RowsetMeta{TabletId: 1, RowsetId: "r", VaultId: "missing"}
	if err := db.Update(ctx, func(tx kv.Txn) error {
		return rowset.MarkForRecycle(tx, "i", rs, now.Add(-time.Hour), now.Add(-time.Minute))
	}); err != nil {
		t.Fatal(err)
	}
	r, _ := New(Config{DB: db, InstanceIDs: []string{"i"}, Now: func() time.Time { return now }})
	if n, err := r.Pass(ctx, "i"); err == nil || n != 0 {
		t.Fatalf("Pass = %d, %v; want an error and nothing reclaimed", n, err)
	}
	_ = db.View(ctx, func(tx kv.ReadTxn) error {
		if v, _ := tx.Get(keys.RecycleRowset("i", 1, "r")); v == nil {
			t.Error("the entry was removed although its files could not be deleted")
		}
		return nil
	})
}
