package instance

import (
	"context"
	"errors"
	"github.com/doricdb/doric/metaservice/kv/local/localtest"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/cluster"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
)

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
	db := localtest.Open(t)
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
	db := localtest.Open(t)
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
	db := localtest.Open(t)
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

func s3Vault(name, secret string) *metapb.StorageVault {
	return &metapb.StorageVault{Name: name, Backend: &metapb.StorageVault_S3{S3: &metapb.S3Vault{
		Endpoint: "http://127.0.0.1:9000", Bucket: "b", Prefix: "p", AccessKey: "ak", SecretKey: secret}}}
}

func TestVaultRegistry(t *testing.T) {
	db := localtest.Open(t)
	if _, _, err := create(t, db, &metapb.CreateInstanceRequest{InstanceId: "i", DefaultVault: localVault("/d")}); err != nil {
		t.Fatal(err)
	}
	createVault := func(v *metapb.StorageVault, def bool) (*metapb.StorageVault, bool, error) {
		var out *metapb.StorageVault
		var existed bool
		err := db.Update(ctx, func(tx kv.Txn) error {
			var err error
			out, existed, err = CreateVault(tx, "i", v, def, now)
			return err
		})
		return out, existed, err
	}
	s3, existed, err := createVault(s3Vault("s3", "sk-1"), false)
	if err != nil || existed || s3.GetId() != "2" || s3.GetCtimeMs() != now.UnixMilli() {
		t.Fatalf("create: %v %v %v", s3, existed, err)
	}
	// A replay returns the vault; another definition under the name is refused; so is no name.
	if again, existed, err := createVault(s3Vault("s3", "sk-1"), true); err != nil || !existed || again.GetId() != s3.GetId() {
		t.Fatalf("replayed create: %v %v %v", again, existed, err)
	}
	if _, _, err := createVault(s3Vault("s3", "sk-2"), false); !errors.Is(err, metaerr.ErrAlreadyExists) {
		t.Fatalf("a second vault named s3: %v", err)
	}
	if _, _, err := createVault(s3Vault("", "x"), false); !errors.Is(err, metaerr.ErrInvalidArgument) {
		t.Fatalf("a vault without a name: %v", err)
	}
	if _, _, err := createVault(s3Vault("other", "x"), false); err != nil {
		t.Fatal(err)
	}
	// The replay with set_as_default made s3 the default.
	do := func(fn func(tx kv.Txn) error) error { return db.Update(ctx, fn) }
	if err := do(func(tx kv.Txn) error {
		v, err := Vault(tx, "i", "")
		if err == nil && v.GetName() != "s3" {
			t.Errorf("default vault %v", v)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	alter := func(req *metapb.AlterStorageVaultRequest) (*metapb.StorageVault, error) {
		var v *metapb.StorageVault
		err := do(func(tx kv.Txn) error {
			var err error
			v, err = AlterVault(tx, "i", req, now.Add(time.Hour))
			return err
		})
		return v, err
	}
	v, err := alter(&metapb.AlterStorageVaultRequest{Name: "s3", NewName: "s3-main", S3: &metapb.S3Vault{SecretKey: "sk-new", Bucket: "b"}})
	if err != nil || v.GetName() != "s3-main" || v.GetS3().GetSecretKey() != "sk-new" || v.GetS3().GetAccessKey() != "ak" ||
		v.GetMtimeMs() != now.Add(time.Hour).UnixMilli() {
		t.Fatalf("alter: %v %v", v, err)
	}
	for name, req := range map[string]*metapb.AlterStorageVaultRequest{
		"bucket":      {VaultId: s3.GetId(), S3: &metapb.S3Vault{Bucket: "elsewhere"}},
		"prefix":      {VaultId: s3.GetId(), S3: &metapb.S3Vault{Prefix: "q"}},
		"hdfs on s3":  {VaultId: s3.GetId(), Hdfs: &metapb.HdfsVault{HadoopUsername: "u"}},
		"s3 on local": {VaultId: "1", S3: &metapb.S3Vault{SecretKey: "x"}},
		"no vault":    {S3: &metapb.S3Vault{SecretKey: "x"}},
	} {
		if _, err := alter(req); !errors.Is(err, metaerr.ErrInvalidArgument) {
			t.Errorf("alter %s: %v", name, err)
		}
	}
	if _, err := alter(&metapb.AlterStorageVaultRequest{VaultId: s3.GetId(), NewName: "other"}); !errors.Is(err, metaerr.ErrAlreadyExists) {
		t.Fatalf("rename onto a taken name: %v", err)
	}
	if _, err := alter(&metapb.AlterStorageVaultRequest{Name: "s3"}); !errors.Is(err, metaerr.ErrNotFound) {
		t.Fatalf("alter by the old name: %v", err)
	}
	// Secrets are stored (compute nodes get them) and masked on request.
	if err := do(func(tx kv.Txn) error {
		v, err := VaultByName(tx, "i", "s3-main")
		if err != nil {
			return err
		}
		if v.GetS3().GetSecretKey() != "sk-new" {
			t.Errorf("stored secret %q", v.GetS3().GetSecretKey())
		}
		m := Mask(v)
		if m.GetS3().GetSecretKey() != MaskedSecret || m.GetS3().GetAccessKey() != "ak" || v.GetS3().GetSecretKey() != "sk-new" {
			t.Errorf("masked %v (original %v)", m, v)
		}
		if Mask(localVault("/x")).GetLocal().GetRoot() != "/x" || Mask(nil) != nil {
			t.Errorf("mask of a local vault")
		}
		info, err := SetDefaultVault(tx, "i", "", "other")
		if err != nil || info.GetDefaultVaultId() == s3.GetId() {
			t.Errorf("set default: %v %v", info, err)
		}
		if _, err := SetDefaultVault(tx, "i", "nope", ""); !errors.Is(err, metaerr.ErrNotFound) {
			t.Errorf("set default to no vault: %v", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
