package instance

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/cluster"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
)

// DefaultVaultName names the default vault when the request leaves it empty (Doris's built-in
// vault name).
const DefaultVaultName = "built_in_storage_vault"

const vaultIDCounter = "vault_id"

// Get returns the instance, or an error wrapping metaerr.ErrNotFound.
func Get(tx kv.ReadTxn, instanceID string) (*metapb.InstanceInfo, error) {
	if instanceID == "" {
		return nil, fmt.Errorf("instance id is empty: %w", metaerr.ErrInvalidArgument)
	}
	info := &metapb.InstanceInfo{}
	ok, err := kv.GetProto(tx, keys.Instance(instanceID), info)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("instance %q: %w", instanceID, metaerr.ErrNotFound)
	}
	return info, nil
}

// Create bootstraps an instance from req (see the package documentation). It returns the stored
// instance and whether it existed before.
func Create(tx kv.Txn, req *metapb.CreateInstanceRequest, now time.Time) (*metapb.InstanceInfo, bool, error) {
	id := req.GetInstanceId()
	if id == "" {
		return nil, false, fmt.Errorf("instance id is empty: %w", metaerr.ErrInvalidArgument)
	}
	info := &metapb.InstanceInfo{}
	ok, err := kv.GetProto(tx, keys.Instance(id), info)
	if err != nil {
		return nil, false, err
	}
	if ok {
		return info, true, nil
	}
	info = &metapb.InstanceInfo{InstanceId: id, Name: req.GetName(), CtimeMs: now.UnixMilli()}
	if req.GetDefaultVault() != nil {
		v, err := addVault(tx, info, req.GetDefaultVault())
		if err != nil {
			return nil, false, err
		}
		info.DefaultVaultId = v.GetId()
	}
	if err := kv.SetProto(tx, keys.Instance(id), info); err != nil {
		return nil, false, err
	}
	if g := req.GetDefaultComputeGroup(); g != nil {
		if _, _, err := cluster.CreateGroup(tx, id, g, now); err != nil {
			return nil, false, fmt.Errorf("default compute group: %w", err)
		}
	}
	return info, false, nil
}

// addVault stores a new vault of the instance and lists it in info (which the caller stores).
func addVault(tx kv.Txn, info *metapb.InstanceInfo, v *metapb.StorageVault) (*metapb.StorageVault, error) {
	if v.GetBackend() == nil {
		return nil, fmt.Errorf("vault %q has no backend (local, s3 or hdfs): %w", v.GetName(), metaerr.ErrInvalidArgument)
	}
	v = proto.Clone(v).(*metapb.StorageVault)
	if v.Id == "" {
		n, err := kv.Increment(tx, keys.Counter(info.GetInstanceId(), vaultIDCounter))
		if err != nil {
			return nil, err
		}
		v.Id = strconv.FormatInt(n, 10)
	}
	if v.Name == "" {
		v.Name = DefaultVaultName
	}
	if slices.Contains(info.VaultIds, v.Id) {
		return nil, fmt.Errorf("vault %q: %w", v.Id, metaerr.ErrAlreadyExists)
	}
	if err := kv.SetProto(tx, keys.StorageVault(info.GetInstanceId(), v.Id), v); err != nil {
		return nil, err
	}
	info.VaultIds = append(info.VaultIds, v.Id)
	return v, nil
}

// Vault returns the vault with the given id, or the instance's default vault when vaultID is
// empty. Absent vaults (or no default) wrap metaerr.ErrNotFound.
func Vault(tx kv.ReadTxn, instanceID, vaultID string) (*metapb.StorageVault, error) {
	if vaultID == "" {
		info, err := Get(tx, instanceID)
		if err != nil {
			return nil, err
		}
		if info.GetDefaultVaultId() == "" {
			return nil, fmt.Errorf("instance %q has no default vault: %w", instanceID, metaerr.ErrNotFound)
		}
		vaultID = info.GetDefaultVaultId()
	}
	v := &metapb.StorageVault{}
	ok, err := kv.GetProto(tx, keys.StorageVault(instanceID, vaultID), v)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("vault %q of instance %q: %w", vaultID, instanceID, metaerr.ErrNotFound)
	}
	return v, nil
}

// Vaults returns every vault of the instance in id order, and the default vault's id.
func Vaults(tx kv.ReadTxn, instanceID string) ([]*metapb.StorageVault, string, error) {
	info, err := Get(tx, instanceID)
	if err != nil {
		return nil, "", err
	}
	begin, end := keys.StorageVaultRange(instanceID)
	out, err := kv.ScanProto[metapb.StorageVault](tx, begin, end, 0, false)
	if err != nil {
		return nil, "", fmt.Errorf("storage vaults: %w", err)
	}
	return out, info.GetDefaultVaultId(), nil
}

// MaskedSecret replaces secret keys in masked vaults.
const MaskedSecret = "******"

// Mask returns a copy of v without its secrets (what the frontend may see).
func Mask(v *metapb.StorageVault) *metapb.StorageVault {
	if v == nil {
		return nil
	}
	v = proto.Clone(v).(*metapb.StorageVault)
	if s3 := v.GetS3(); s3 != nil && s3.SecretKey != "" {
		s3.SecretKey = MaskedSecret
	}
	return v
}

// VaultByName returns the vault with the given name, or an error wrapping metaerr.ErrNotFound.
func VaultByName(tx kv.ReadTxn, instanceID, name string) (*metapb.StorageVault, error) {
	vs, _, err := Vaults(tx, instanceID)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.GetName() == name {
			return v, nil
		}
	}
	return nil, fmt.Errorf("vault named %q of instance %q: %w", name, instanceID, metaerr.ErrNotFound)
}

// find returns a vault by id, else by name (one of them is required).
func find(tx kv.ReadTxn, instanceID, id, name string) (*metapb.StorageVault, error) {
	switch {
	case id != "":
		return Vault(tx, instanceID, id)
	case name != "":
		return VaultByName(tx, instanceID, name)
	}
	return nil, fmt.Errorf("a vault id or name is required: %w", metaerr.ErrInvalidArgument)
}

// sameDefinition compares two vaults apart from id and times.
func sameDefinition(a, b *metapb.StorageVault) bool {
	a, b = proto.Clone(a).(*metapb.StorageVault), proto.Clone(b).(*metapb.StorageVault)
	for _, v := range []*metapb.StorageVault{a, b} {
		v.Id, v.CtimeMs, v.MtimeMs = "", 0, 0
	}
	return proto.Equal(a, b)
}

// CreateVault adds a vault with a new name to the instance (and makes it the default when asked).
// A vault of that name with the same definition is returned with existed=true (a replay); one
// with another definition wraps metaerr.ErrAlreadyExists.
func CreateVault(tx kv.Txn, instanceID string, v *metapb.StorageVault, setDefault bool, now time.Time) (*metapb.StorageVault, bool, error) {
	if v.GetName() == "" || v.GetBackend() == nil {
		return nil, false, fmt.Errorf("create vault: a name and a backend (local, s3 or hdfs) are required (got %q): %w", v.GetName(), metaerr.ErrInvalidArgument)
	}
	info, err := Get(tx, instanceID)
	if err != nil {
		return nil, false, err
	}
	existing, err := VaultByName(tx, instanceID, v.GetName())
	switch {
	case err == nil:
		if !sameDefinition(existing, v) {
			return nil, false, fmt.Errorf("create vault: a vault named %q exists (id %s): %w", v.GetName(), existing.GetId(), metaerr.ErrAlreadyExists)
		}
		if setDefault && info.GetDefaultVaultId() != existing.GetId() {
			info.DefaultVaultId = existing.GetId()
			if err := kv.SetProto(tx, keys.Instance(instanceID), info); err != nil {
				return nil, false, err
			}
		}
		return existing, true, nil
	case !errors.Is(err, metaerr.ErrNotFound):
		return nil, false, err
	}
	v = proto.Clone(v).(*metapb.StorageVault)
	v.CtimeMs, v.MtimeMs = now.UnixMilli(), now.UnixMilli()
	stored, err := addVault(tx, info, v)
	if err != nil {
		return nil, false, err
	}
	if setDefault {
		info.DefaultVaultId = stored.GetId()
	}
	return stored, false, kv.SetProto(tx, keys.Instance(instanceID), info)
}

// AlterVault changes the credentials and/or the name of a vault (see AlterStorageVaultRequest):
// non-empty credential fields replace the stored ones; other backend fields must be empty or
// unchanged (metaerr.ErrInvalidArgument), since the data already written lives there.
func AlterVault(tx kv.Txn, instanceID string, req *metapb.AlterStorageVaultRequest, now time.Time) (*metapb.StorageVault, error) {
	v, err := find(tx, instanceID, req.GetVaultId(), req.GetName())
	if err != nil {
		return nil, err
	}
	if n := req.GetNewName(); n != "" && n != v.GetName() {
		other, err := VaultByName(tx, instanceID, n)
		switch {
		case err == nil:
			return nil, fmt.Errorf("alter vault %s: the name %q is taken by vault %s: %w", v.GetId(), n, other.GetId(), metaerr.ErrAlreadyExists)
		case !errors.Is(err, metaerr.ErrNotFound):
			return nil, err
		}
		v.Name = n
	}
	fixed := func(field, stored, asked string) error {
		if asked != "" && asked != stored {
			return fmt.Errorf("alter vault %s: %s cannot change (%q → %q): %w", v.GetId(), field, stored, asked, metaerr.ErrInvalidArgument)
		}
		return nil
	}
	set := func(dst *string, src string) {
		if src != "" {
			*dst = src
		}
	}
	if s3 := req.GetS3(); s3 != nil {
		cur := v.GetS3()
		if cur == nil {
			return nil, fmt.Errorf("alter vault %s: not an S3 vault: %w", v.GetId(), metaerr.ErrInvalidArgument)
		}
		if err := errors.Join(fixed("endpoint", cur.Endpoint, s3.Endpoint), fixed("region", cur.Region, s3.Region),
			fixed("bucket", cur.Bucket, s3.Bucket), fixed("prefix", cur.Prefix, s3.Prefix), fixed("provider", cur.Provider, s3.Provider)); err != nil {
			return nil, err
		}
		if s3.UsePathStyle && !cur.UsePathStyle {
			return nil, fmt.Errorf("alter vault %s: use_path_style cannot change: %w", v.GetId(), metaerr.ErrInvalidArgument)
		}
		set(&cur.AccessKey, s3.AccessKey)
		set(&cur.SecretKey, s3.SecretKey)
		set(&cur.RoleArn, s3.RoleArn)
		set(&cur.ExternalId, s3.ExternalId)
	}
	if h := req.GetHdfs(); h != nil {
		cur := v.GetHdfs()
		if cur == nil {
			return nil, fmt.Errorf("alter vault %s: not an HDFS vault: %w", v.GetId(), metaerr.ErrInvalidArgument)
		}
		if err := errors.Join(fixed("fs_default_fs", cur.FsDefaultFs, h.FsDefaultFs), fixed("path_prefix", cur.PathPrefix, h.PathPrefix)); err != nil {
			return nil, err
		}
		set(&cur.HadoopUsername, h.HadoopUsername)
	}
	v.MtimeMs = now.UnixMilli()
	return v, kv.SetProto(tx, keys.StorageVault(instanceID, v.GetId()), v)
}

// SetDefaultVault makes the vault (by id, else by name) the instance's default and returns the
// instance.
func SetDefaultVault(tx kv.Txn, instanceID, id, name string) (*metapb.InstanceInfo, error) {
	v, err := find(tx, instanceID, id, name)
	if err != nil {
		return nil, err
	}
	info, err := Get(tx, instanceID)
	if err != nil {
		return nil, err
	}
	if info.GetDefaultVaultId() != v.GetId() {
		info.DefaultVaultId = v.GetId()
		if err := kv.SetProto(tx, keys.Instance(instanceID), info); err != nil {
			return nil, err
		}
	}
	return info, nil
}
