package instance

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/cluster"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/metaservice/metaerr"
)

func openDB(t *testing.T) kv.DB {
	t.Helper()
	db, err := local.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var (
	ctx = context.Background()
	now = time.UnixMilli(1_700_000_000_000)
)

func localVault(root string) *metapb.StorageVault {
	return &metapb.StorageVault{Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: root}}}
}

func create(t *testing.T, db kv.DB, req *metapb.CreateInstanceRequest) (*metapb.InstanceInfo, bool, error) {
	t.Helper()
	var info *metapb.InstanceInfo
	var existed bool
	err := db.Update(ctx, func(tx kv.Txn) error {
		var err error
		info, existed, err = Create(tx, req, now)
		return err
	})
	return info, existed, err
}

func TestCreateIsIdempotent(t *testing.T) {
	db := openDB(t)
	req := &metapb.CreateInstanceRequest{
		InstanceId:          "i1",
		Name:                "first",
		DefaultVault:        localVault("/data"),
		DefaultComputeGroup: &metapb.ComputeGroup{Name: "default", Nodes: []*metapb.NodeInfo{{NodeId: "n1"}}},
	}
	info, existed, err := create(t, db, req)
	if err != nil || existed {
		t.Fatalf("first Create: existed=%v err=%v", existed, err)
	}
	if info.GetDefaultVaultId() != "1" || len(info.GetVaultIds()) != 1 || info.GetCtimeMs() != now.UnixMilli() {
		t.Fatalf("first Create stored %v", info)
	}
	// A second call with different contents changes nothing and returns the stored instance.
	again, existed, err := create(t, db, &metapb.CreateInstanceRequest{InstanceId: "i1", Name: "second", DefaultVault: localVault("/other")})
	if err != nil || !existed || !proto.Equal(again, info) {
		t.Fatalf("second Create = %v existed=%v err=%v, want %v", again, existed, err, info)
	}
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		v, err := Vault(tx, "i1", "")
		if err != nil {
			return err
		}
		if v.GetId() != "1" || v.GetName() != DefaultVaultName || v.GetLocal().GetRoot() != "/data" {
			t.Errorf("default vault %v", v)
		}
		vs, def, err := Vaults(tx, "i1")
		if err != nil {
			return err
		}
		if len(vs) != 1 || def != "1" {
			t.Errorf("Vaults = %v, %q", vs, def)
		}
		g, err := cluster.Group(tx, "i1", "default")
		if err != nil {
			return err
		}
		if len(g.GetNodes()) != 1 || g.GetNodes()[0].GetNodeId() != "n1" {
			t.Errorf("default group %v", g)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestVaultIDs(t *testing.T) {
	db := openDB(t)
	named := localVault("/x")
	named.Id, named.Name = "hot", "hot_vault"
	if _, _, err := create(t, db, &metapb.CreateInstanceRequest{InstanceId: "a", DefaultVault: named}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := create(t, db, &metapb.CreateInstanceRequest{InstanceId: "b"}); err != nil {
		t.Fatal(err)
	}
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		v, err := Vault(tx, "a", "")
		if err != nil || v.GetId() != "hot" || v.GetName() != "hot_vault" {
			t.Errorf("given id and name: %v %v", v, err)
		}
		if _, err := Vault(tx, "a", "nope"); !errors.Is(err, metaerr.ErrNotFound) {
			t.Errorf("unknown vault: %v", err)
		}
		if _, err := Vault(tx, "b", ""); !errors.Is(err, metaerr.ErrNotFound) {
			t.Errorf("instance without vaults: %v", err)
		}
		if _, err := Get(tx, "c"); !errors.Is(err, metaerr.ErrNotFound) {
			t.Errorf("unknown instance: %v", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestCreateRejects(t *testing.T) {
	db := openDB(t)
	for _, req := range []*metapb.CreateInstanceRequest{
		{},
		{InstanceId: "x", DefaultVault: &metapb.StorageVault{Name: "no backend"}},
		{InstanceId: "x", DefaultComputeGroup: &metapb.ComputeGroup{}},
	} {
		if _, _, err := create(t, db, req); !errors.Is(err, metaerr.ErrInvalidArgument) {
			t.Errorf("Create(%v) = %v, want ErrInvalidArgument", req, err)
		}
	}
	// Nothing of the failed attempts was stored.
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		_, err := Get(tx, "x")
		if !errors.Is(err, metaerr.ErrNotFound) {
			t.Errorf("failed Create left instance x: %v", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
