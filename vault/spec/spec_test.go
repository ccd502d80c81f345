package spec_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/hdfs"
	"github.com/doricdb/doric/vault/s3"
	"github.com/doricdb/doric/vault/s3/s3test"
	"github.com/doricdb/doric/vault/spec"
)

func TestS3Config(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   *metapb.S3Vault
		want s3.Config
		err  error
	}{
		{name: "doris example, no scheme means http",
			in:   &metapb.S3Vault{Endpoint: "127.0.0.1:9000", Region: "us-east-1", Bucket: "b", Prefix: "p/q", AccessKey: "ak", SecretKey: "sk", UsePathStyle: true, Provider: "S3"},
			want: s3.Config{Endpoint: "http://127.0.0.1:9000", Region: "us-east-1", Bucket: "b", Prefix: "p/q", AccessKey: "ak", SecretKey: "sk", UsePathStyle: true}},
		{name: "explicit https kept, role",
			in:   &metapb.S3Vault{Endpoint: " https://s3.eu-west-1.amazonaws.com ", Region: "eu-west-1", Bucket: "b", RoleArn: "arn:aws:iam::1:role/r", ExternalId: "x", Provider: "s3"},
			want: s3.Config{Endpoint: "https://s3.eu-west-1.amazonaws.com", Region: "eu-west-1", Bucket: "b", RoleARN: "arn:aws:iam::1:role/r", ExternalID: "x"}},
		{name: "empty endpoint stays empty (AWS of the region)",
			in:   &metapb.S3Vault{Region: "us-west-2", Bucket: "b", Provider: "OSS"},
			want: s3.Config{Region: "us-west-2", Bucket: "b"}},
		{name: "azure", in: &metapb.S3Vault{Bucket: "b", Provider: "azure"}, err: spec.ErrUnsupported},
		{name: "no bucket", in: &metapb.S3Vault{Endpoint: "x"}, err: spec.ErrInvalid},
		{name: "key without secret", in: &metapb.S3Vault{Bucket: "b", AccessKey: "ak"}, err: spec.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := spec.S3Config(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v\nwant %+v", got, err, tc.want)
			}
		})
	}
}

func TestHDFSConfig(t *testing.T) {
	t.Setenv("HADOOP_USER_NAME", "envuser")
	t.Setenv("KRB5_CONFIG", "/x/krb5.conf")
	for _, tc := range []struct {
		name string
		in   *metapb.HdfsVault
		want hdfs.Config
		err  error
	}{
		{name: "simple with user",
			in:   &metapb.HdfsVault{FsDefaultFs: "hdfs://nn1:9000", PathPrefix: "big/data", HadoopUsername: "u"},
			want: hdfs.Config{Addresses: []string{"nn1:9000"}, Prefix: "big/data", User: "u"}},
		{name: "default user and port, HA",
			in:   &metapb.HdfsVault{FsDefaultFs: "hdfs://nn1,nn2:8021", HadoopSecurityAuthentication: "SIMPLE"},
			want: hdfs.Config{Addresses: []string{"nn1:8020", "nn2:8021"}, User: "envuser"}},
		{name: "kerberos",
			in: &metapb.HdfsVault{FsDefaultFs: "hdfs://nn:8020", HadoopSecurityAuthentication: "kerberos",
				HadoopKerberosPrincipal: "doris/host@REALM", HadoopKerberosKeytab: "/etc/doris.keytab"},
			want: hdfs.Config{Addresses: []string{"nn:8020"}, Kerberos: &hdfs.Kerberos{Principal: "doris/host@REALM", Keytab: "/etc/doris.keytab", Krb5Conf: "/x/krb5.conf"}}},
		{name: "kerberos without keytab", in: &metapb.HdfsVault{FsDefaultFs: "hdfs://nn", HadoopSecurityAuthentication: "kerberos", HadoopKerberosPrincipal: "a@B"}, err: spec.ErrInvalid},
		{name: "unknown authentication", in: &metapb.HdfsVault{FsDefaultFs: "hdfs://nn", HadoopSecurityAuthentication: "ldap"}, err: spec.ErrInvalid},
		{name: "not hdfs://", in: &metapb.HdfsVault{FsDefaultFs: "s3://nn"}, err: spec.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := spec.HDFSConfig(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v\nwant %+v", got, err, tc.want)
			}
		})
	}
}

func TestRemote(t *testing.T) {
	for _, tc := range []struct {
		v    *metapb.StorageVault
		want bool
	}{
		{&metapb.StorageVault{Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: "/x"}}}, false},
		{&metapb.StorageVault{Backend: &metapb.StorageVault_S3{S3: &metapb.S3Vault{}}}, true},
		{&metapb.StorageVault{Backend: &metapb.StorageVault_Hdfs{Hdfs: &metapb.HdfsVault{}}}, true},
		{&metapb.StorageVault{}, false},
		{nil, false},
	} {
		if got := spec.Remote(tc.v); got != tc.want {
			t.Errorf("Remote(%v) = %v", tc.v, got)
		}
	}
}

func TestOpenLocal(t *testing.T) {
	st, err := spec.Open(context.Background(), &metapb.StorageVault{Id: "1", Name: "l",
		Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: t.TempDir()}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := vault.Check(context.Background(), st); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := spec.Open(ctx, &metapb.StorageVault{Name: "none"}); !errors.Is(err, spec.ErrUnsupported) {
		t.Errorf("no backend: %v", err)
	}
	if _, err := spec.Open(ctx, &metapb.StorageVault{Name: "l", Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{}}}); !errors.Is(err, spec.ErrInvalid) {
		t.Errorf("local without root: %v", err)
	}
	// Nothing listens on port 1: the namenode is unreachable, which is retryable later.
	_, err := spec.OpenWith(ctx, &metapb.StorageVault{Name: "h", Backend: &metapb.StorageVault_Hdfs{Hdfs: &metapb.HdfsVault{
		FsDefaultFs: "hdfs://127.0.0.1:1", HadoopUsername: "u"}}}, spec.Options{Retry: vault.Backoff{Attempts: 1}})
	if !errors.Is(err, vault.ErrUnavailable) {
		t.Errorf("unreachable namenode: %v", err)
	}
}

// TestOpenS3 opens a vault on a real S3 server from its description and probes it; wrong
// credentials fail the probe's first step with a permission error.
func TestOpenS3(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	cfg := srv.Config(t)
	desc := &metapb.StorageVault{Id: "7", Name: "s3v", Backend: &metapb.StorageVault_S3{S3: &metapb.S3Vault{
		Endpoint: srv.Addr, Region: srv.Region, Bucket: cfg.Bucket, Prefix: "root/path", AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey, UsePathStyle: true, Provider: "S3"}}}
	st, err := spec.Open(ctx, desc)
	if err != nil {
		t.Fatal(err)
	}
	if err := vault.Check(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, "data/1/x.dat", stringsReader("hello")); err != nil {
		t.Fatal(err)
	}
	out, err := srv.Client().ListObjectsV2(ctx, listInput(cfg.Bucket))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 1 || *out.Contents[0].Key != "root/path/data/1/x.dat" {
		t.Fatalf("bucket holds %v, want root/path/data/1/x.dat", keys(out.Contents))
	}

	desc.GetS3().SecretKey = "wrong-secret"
	st, err = spec.OpenWith(ctx, desc, spec.Options{Retry: vault.Backoff{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	err = vault.Check(ctx, st)
	var ce *vault.CheckError
	if !errors.As(err, &ce) || ce.Step != vault.CheckWrite || !errors.Is(err, vault.ErrPermission) {
		t.Fatalf("check with a wrong secret: %v", err)
	}
}
