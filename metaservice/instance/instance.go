package instance

import (
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
	kvs, err := tx.GetRange(begin, end, 0, false)
	if err != nil {
		return nil, "", err
	}
	out := make([]*metapb.StorageVault, 0, len(kvs))
	for _, e := range kvs {
		v := &metapb.StorageVault{}
		if err := proto.Unmarshal(e.Value, v); err != nil {
			return nil, "", fmt.Errorf("vault at %s: %w", keys.Pretty(e.Key), err)
		}
		out = append(out, v)
	}
	return out, info.GetDefaultVaultId(), nil
}
