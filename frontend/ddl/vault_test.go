package ddl

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
)

// fakeMeta stores vaults by name; methods the tests do not use panic (nil embedded interface).
type fakeMeta struct {
	metapb.MetaServiceClient
	vaults  map[string]*metapb.StorageVault
	created []*metapb.CreateStorageVaultRequest
	altered []*metapb.AlterStorageVaultRequest
}

func (f *fakeMeta) GetStorageVault(_ context.Context, in *metapb.GetStorageVaultRequest, _ ...grpc.CallOption) (*metapb.GetStorageVaultResponse, error) {
	if !in.GetMaskSecrets() {
		return nil, status.Error(codes.PermissionDenied, "the frontend must ask for masked vaults")
	}
	v, ok := f.vaults[in.GetName()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "vault %q", in.GetName())
	}
	return &metapb.GetStorageVaultResponse{Vault: v}, nil
}

func (f *fakeMeta) CreateStorageVault(_ context.Context, in *metapb.CreateStorageVaultRequest, _ ...grpc.CallOption) (*metapb.CreateStorageVaultResponse, error) {
	f.created = append(f.created, in)
	return &metapb.CreateStorageVaultResponse{Vault: in.GetVault()}, nil
}

func (f *fakeMeta) AlterStorageVault(_ context.Context, in *metapb.AlterStorageVaultRequest, _ ...grpc.CallOption) (*metapb.AlterStorageVaultResponse, error) {
	f.altered = append(f.altered, in)
	return &metapb.AlterStorageVaultResponse{}, nil
}

type fakeChecker struct {
	checked []*metapb.StorageVault
	resp    *computepb.CheckVaultResponse
	err     error
}

func (c *fakeChecker) CheckVault(_ context.Context, group string, v *metapb.StorageVault) (*computepb.CheckVaultResponse, error) {
	c.checked = append(c.checked, proto.Clone(v).(*metapb.StorageVault))
	return c.resp, c.err
}

func s3(name, ak, sk string) *metapb.StorageVault {
	return &metapb.StorageVault{Id: "9", Name: name, Backend: &metapb.StorageVault_S3{S3: &metapb.S3Vault{Bucket: "b", AccessKey: ak, SecretKey: sk}}}
}

func TestCreateStorageVault(t *testing.T) {
	ctx := context.Background()
	meta := &fakeMeta{vaults: map[string]*metapb.StorageVault{"old": s3("old", "ak", "******")}}
	chk := &fakeChecker{resp: &computepb.CheckVaultResponse{Ok: true}}
	e := &Executor{Meta: meta, InstanceID: "i", Checker: chk}

	var ve *VaultError
	if err := e.CreateStorageVault(ctx, "g", s3("old", "a", "s"), false, false); !errors.As(err, &ve) || ve.Kind != VaultExists {
		t.Fatalf("existing name: %v", err)
	}
	if err := e.CreateStorageVault(ctx, "g", s3("old", "a", "s"), false, true); err != nil {
		t.Fatalf("existing name, IF NOT EXISTS: %v", err)
	}
	if len(chk.checked)+len(meta.created) != 0 {
		t.Fatalf("an existing vault was checked (%d) or created (%d)", len(chk.checked), len(meta.created))
	}

	chk.resp = &computepb.CheckVaultResponse{Step: "read", Message: "read back garbage"}
	err := e.CreateStorageVault(ctx, "g", s3("new", "a", "s"), true, false)
	if !errors.As(err, &ve) || ve.Kind != VaultUnusable || err.Error() != "Storage vault 'new' failed its check (read): read back garbage" {
		t.Fatalf("failed check: %v", err)
	}
	chk.resp, chk.err = nil, status.Error(codes.Unavailable, "no node")
	if err := e.CreateStorageVault(ctx, "g", s3("new", "a", "s"), true, false); err == nil || errors.As(err, &ve) {
		t.Fatalf("unreachable checker: %v", err)
	}
	if len(meta.created) != 0 {
		t.Fatal("a vault that was not checked was created")
	}
	chk.resp, chk.err = &computepb.CheckVaultResponse{Ok: true}, nil
	if err := e.CreateStorageVault(ctx, "g", s3("new", "a", "s"), true, false); err != nil {
		t.Fatal(err)
	}
	if len(meta.created) != 1 || !meta.created[0].GetSetAsDefault() || meta.created[0].GetVault().GetS3().GetSecretKey() != "s" {
		t.Fatalf("created %v", meta.created)
	}
}

func TestAlterStorageVaultChecksWhatItCan(t *testing.T) {
	ctx := context.Background()
	stored := s3("v", "ak", "******") // as the frontend sees it: masked
	hdfs := &metapb.StorageVault{Id: "3", Name: "h", Backend: &metapb.StorageVault_Hdfs{Hdfs: &metapb.HdfsVault{FsDefaultFs: "hdfs://nn", HadoopUsername: "a"}}}
	for _, tc := range []struct {
		name   string
		stored *metapb.StorageVault
		req    *metapb.AlterStorageVaultRequest
		check  *metapb.StorageVault // nil: no check
	}{
		{"new keys", stored, &metapb.AlterStorageVaultRequest{Name: "v", S3: &metapb.S3Vault{AccessKey: "ak2", SecretKey: "sk2"}}, s3("v", "ak2", "sk2")},
		{"new secret", stored, &metapb.AlterStorageVaultRequest{Name: "v", S3: &metapb.S3Vault{SecretKey: "sk2"}}, s3("v", "ak", "sk2")},
		{"new access key alone", stored, &metapb.AlterStorageVaultRequest{Name: "v", S3: &metapb.S3Vault{AccessKey: "ak2"}}, nil},
		{"rename", stored, &metapb.AlterStorageVaultRequest{Name: "v", NewName: "w"}, nil},
		{"role on a keyless vault", s3("v", "", ""), &metapb.AlterStorageVaultRequest{Name: "v", S3: &metapb.S3Vault{RoleArn: "r"}},
			&metapb.StorageVault{Id: "9", Name: "v", Backend: &metapb.StorageVault_S3{S3: &metapb.S3Vault{Bucket: "b", RoleArn: "r"}}}},
		{"hdfs user and a rename", hdfs, &metapb.AlterStorageVaultRequest{Name: "h", NewName: "h2", Hdfs: &metapb.HdfsVault{HadoopUsername: "b"}},
			&metapb.StorageVault{Id: "3", Name: "h2", Backend: &metapb.StorageVault_Hdfs{Hdfs: &metapb.HdfsVault{FsDefaultFs: "hdfs://nn", HadoopUsername: "b"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			meta := &fakeMeta{}
			chk := &fakeChecker{resp: &computepb.CheckVaultResponse{Ok: true}}
			e := &Executor{Meta: meta, InstanceID: "i", Checker: chk}
			if err := e.AlterStorageVault(ctx, "g", tc.req, tc.stored); err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.check == nil && len(chk.checked) != 0:
				t.Fatalf("checked %v", chk.checked)
			case tc.check != nil && (len(chk.checked) != 1 || !proto.Equal(chk.checked[0], tc.check)):
				t.Fatalf("checked %v, want %v", chk.checked, tc.check)
			}
			if len(meta.altered) != 1 || meta.altered[0].GetVaultId() != tc.stored.GetId() || meta.altered[0].GetInstanceId() != "i" {
				t.Fatalf("altered %v", meta.altered)
			}
		})
	}
	// A failing check alters nothing.
	meta := &fakeMeta{}
	e := &Executor{Meta: meta, InstanceID: "i", Checker: &fakeChecker{resp: &computepb.CheckVaultResponse{Step: "write", Message: "denied"}}}
	var ve *VaultError
	if err := e.AlterStorageVault(ctx, "g", &metapb.AlterStorageVaultRequest{Name: "v", S3: &metapb.S3Vault{AccessKey: "x", SecretKey: "y"}}, stored); !errors.As(err, &ve) || len(meta.altered) != 0 {
		t.Fatalf("failed check: %v, altered %v", err, meta.altered)
	}
}
