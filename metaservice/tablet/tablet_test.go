package tablet

import (
	"context"
	"errors"
	"github.com/doricdb/doric/metaservice/kv/local/localtest"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
)

const inst = "i1"

var (
	ctx = context.Background()
	t0  = time.UnixMilli(1_700_000_000_000)
)

func meta(id int64) *metapb.TabletMeta {
	return &metapb.TabletMeta{
		TabletId: id, DbId: 1, TableId: 2, IndexId: 3, PartitionId: 4,
		Schema: &commonpb.TabletSchema{KeysType: commonpb.KeysType_DUP_KEYS, NumKeyColumns: 1,
			Columns: []*commonpb.Column{{UniqueId: 0, Name: "k", Type: &commonpb.Type{Kind: commonpb.TypeKind_TYPE_INT}, IsKey: true}}},
	}
}

func createErr(db kv.DB, now time.Time, ms ...*metapb.TabletMeta) error {
	return db.Update(ctx, func(tx kv.Txn) error { return Create(tx, inst, ms, "v1", now) })
}

func get(t *testing.T, db kv.DB, id int64) (*metapb.TabletMeta, error) {
	t.Helper()
	var m *metapb.TabletMeta
	err := db.View(ctx, func(tx kv.ReadTxn) error {
		var err error
		m, err = Get(tx, inst, id)
		return err
	})
	return m, err
}

func TestCreateGet(t *testing.T) {
	db := localtest.Open(t)
	given := meta(10)
	given.VaultId = "v9"
	if err := createErr(db, t0, meta(11), given); err != nil {
		t.Fatal(err)
	}
	got, err := get(t, db, 11)
	if err != nil {
		t.Fatal(err)
	}
	want := meta(11)
	want.VaultId, want.CreationTimeMs = "v1", t0.UnixMilli() // filled in
	if !proto.Equal(got, want) {
		t.Fatalf("Get = %v, want %v", got, want)
	}
	if got, _ := get(t, db, 10); got.GetVaultId() != "v9" {
		t.Fatalf("given vault replaced: %v", got.GetVaultId())
	}
	if _, err := get(t, db, 12); !errors.Is(err, metaerr.ErrNotFound) {
		t.Fatalf("unknown tablet: %v", err)
	}
	var ids *metapb.TabletMeta
	if err := db.View(ctx, func(tx kv.ReadTxn) error { ids, err = Index(tx, inst, 11); return err }); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(ids, &metapb.TabletMeta{TabletId: 11, DbId: 1, TableId: 2, IndexId: 3, PartitionId: 4}) {
		t.Fatalf("Index = %v", ids)
	}
}

func TestCreateIdempotent(t *testing.T) {
	db := localtest.Open(t)
	if err := createErr(db, t0, meta(10)); err != nil {
		t.Fatal(err)
	}
	// The same meta again, later (creation time and vault filled the same way): no change.
	if err := createErr(db, t0.Add(time.Minute), meta(10), meta(10)); err != nil {
		t.Fatalf("identical re-create: %v", err)
	}
	if got, _ := get(t, db, 10); got.GetCreationTimeMs() != t0.UnixMilli() {
		t.Fatalf("re-create changed creation time to %d", got.GetCreationTimeMs())
	}
	changed := meta(10)
	changed.PartitionId = 5
	if err := createErr(db, t0, changed); !errors.Is(err, metaerr.ErrAlreadyExists) {
		t.Fatalf("different meta under an existing id: %v", err)
	}
	changed = meta(10)
	changed.Schema.NumKeyColumns = 2
	// A failing batch stores none of its tablets.
	if err := createErr(db, t0, meta(20), changed); !errors.Is(err, metaerr.ErrAlreadyExists) {
		t.Fatalf("different schema: %v", err)
	}
	if _, err := get(t, db, 20); !errors.Is(err, metaerr.ErrNotFound) {
		t.Fatalf("tablet of a failed batch stored: %v", err)
	}
}

func TestCreateRejectsBadIDs(t *testing.T) {
	db := localtest.Open(t)
	for _, mut := range []func(m *metapb.TabletMeta){
		func(m *metapb.TabletMeta) { m.TabletId = 0 },
		func(m *metapb.TabletMeta) { m.DbId = -1 },
		func(m *metapb.TabletMeta) { m.TableId = 0 },
		func(m *metapb.TabletMeta) { m.IndexId = 0 },
		func(m *metapb.TabletMeta) { m.PartitionId = 0 },
	} {
		m := meta(10)
		mut(m)
		if err := createErr(db, t0, m); !errors.Is(err, metaerr.ErrInvalidArgument) {
			t.Errorf("Create(%v) = %v, want ErrInvalidArgument", m, err)
		}
	}
}
