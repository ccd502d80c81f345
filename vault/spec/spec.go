package spec

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/user"
	"strings"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/hdfs"
	"github.com/doricdb/doric/vault/local"
	"github.com/doricdb/doric/vault/s3"
)

// ErrUnsupported classifies vault descriptions this build cannot open: no backend, or a
// provider whose API is not S3's.
var ErrUnsupported = errors.New("storage vault backend not supported")

// ErrInvalid classifies descriptions that are incomplete or malformed (no bucket, a bad
// fs.defaultFS, Kerberos without a keytab, ...).
var ErrInvalid = errors.New("invalid storage vault description")

// Options tune OpenWith; the zero value means the defaults.
type Options struct {
	// Retry is the retry policy of the remote backends' requests (see vault.Retry).
	Retry vault.Backoff
	// HTTPClient, when set, carries the S3 requests (tests, proxies).
	HTTPClient *http.Client
}

// Open opens the storage a vault describes, with the default options.
func Open(ctx context.Context, v *metapb.StorageVault) (vault.Storage, error) {
	return OpenWith(ctx, v, Options{})
}

// OpenWith opens the storage a vault describes. Errors name the vault and wrap ErrUnsupported,
// ErrInvalid or the backend's classified error (an unreachable namenode is vault.ErrUnavailable).
// A storage that holds connections (HDFS) implements io.Closer.
func OpenWith(ctx context.Context, v *metapb.StorageVault, o Options) (vault.Storage, error) {
	st, err := open(ctx, v, o)
	if err != nil {
		return nil, fmt.Errorf("storage vault %q (id %s): %w", v.GetName(), v.GetId(), err)
	}
	return st, nil
}

func open(ctx context.Context, v *metapb.StorageVault, o Options) (vault.Storage, error) {
	switch b := v.GetBackend().(type) {
	case *metapb.StorageVault_Local:
		if b.Local.GetRoot() == "" {
			return nil, fmt.Errorf("local: no root directory: %w", ErrInvalid)
		}
		return local.New(b.Local.GetRoot())
	case *metapb.StorageVault_S3:
		cfg, err := S3Config(b.S3)
		if err != nil {
			return nil, err
		}
		cfg.Retry, cfg.HTTPClient = o.Retry, o.HTTPClient
		st, err := s3.New(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return st, nil
	case *metapb.StorageVault_Hdfs:
		cfg, err := HDFSConfig(b.Hdfs)
		if err != nil {
			return nil, err
		}
		cfg.Retry = o.Retry
		st, err := hdfs.New(cfg)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	return nil, fmt.Errorf("no backend (local, s3 or hdfs): %w", ErrUnsupported)
}

// Remote reports whether the vault's bytes live away from the compute node (S3, HDFS), so that
// reads are worth caching on local disk. Local vaults (and descriptions without a backend) are
// not remote.
func Remote(v *metapb.StorageVault) bool {
	switch v.GetBackend().(type) {
	case *metapb.StorageVault_S3, *metapb.StorageVault_Hdfs:
		return true
	}
	return false
}

// S3Config maps an S3 vault description onto the S3 backend's configuration (see the package
// documentation). Retry and HTTPClient are left zero.
func S3Config(d *metapb.S3Vault) (s3.Config, error) {
	if strings.EqualFold(d.GetProvider(), "AZURE") {
		return s3.Config{}, fmt.Errorf("s3: provider AZURE (Azure Blob Storage) is not S3-compatible: %w", ErrUnsupported)
	}
	if d.GetBucket() == "" {
		return s3.Config{}, fmt.Errorf("s3: no bucket: %w", ErrInvalid)
	}
	if d.GetAccessKey() != "" && d.GetSecretKey() == "" {
		return s3.Config{}, fmt.Errorf("s3: an access key without its secret key: %w", ErrInvalid)
	}
	endpoint := strings.TrimSpace(d.GetEndpoint())
	if endpoint != "" && !strings.Contains(endpoint, "://") {
		endpoint = "http://" + endpoint // Doris's default scheme
	}
	return s3.Config{
		Endpoint:     endpoint,
		Region:       d.GetRegion(),
		Bucket:       d.GetBucket(),
		Prefix:       d.GetPrefix(),
		UsePathStyle: d.GetUsePathStyle(),
		AccessKey:    d.GetAccessKey(),
		SecretKey:    d.GetSecretKey(),
		RoleARN:      d.GetRoleArn(),
		ExternalID:   d.GetExternalId(),
	}, nil
}

// HDFSConfig maps an HDFS vault description onto the HDFS backend's configuration (see the
// package documentation). Retry is left zero.
func HDFSConfig(d *metapb.HdfsVault) (hdfs.Config, error) {
	addrs, err := hdfs.ParseDefaultFS(d.GetFsDefaultFs())
	if err != nil {
		return hdfs.Config{}, fmt.Errorf("hdfs: %w: %w", ErrInvalid, err)
	}
	cfg := hdfs.Config{Addresses: addrs, Prefix: d.GetPathPrefix(), User: d.GetHadoopUsername()}
	switch auth := strings.ToLower(d.GetHadoopSecurityAuthentication()); auth {
	case "", "simple":
		if cfg.User == "" {
			cfg.User = defaultHadoopUser()
		}
		if cfg.User == "" {
			return hdfs.Config{}, fmt.Errorf("hdfs: no hadoop.username and no OS user to default to: %w", ErrInvalid)
		}
	case "kerberos":
		if d.GetHadoopKerberosPrincipal() == "" || d.GetHadoopKerberosKeytab() == "" {
			return hdfs.Config{}, fmt.Errorf("hdfs: Kerberos needs hadoop.kerberos.principal and hadoop.kerberos.keytab: %w", ErrInvalid)
		}
		cfg.Kerberos = &hdfs.Kerberos{Principal: d.GetHadoopKerberosPrincipal(), Keytab: d.GetHadoopKerberosKeytab(),
			Krb5Conf: os.Getenv("KRB5_CONFIG")}
	default:
		return hdfs.Config{}, fmt.Errorf("hdfs: hadoop.security.authentication %q: want simple or kerberos: %w", auth, ErrInvalid)
	}
	return cfg, nil
}

// defaultHadoopUser is the user Hadoop's client would use: $HADOOP_USER_NAME, else the OS user.
func defaultHadoopUser() string {
	if u := os.Getenv("HADOOP_USER_NAME"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}
