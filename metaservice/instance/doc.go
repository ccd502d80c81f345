// Package instance owns the instance (tenant) record and its registry of storage vaults:
// InstanceInfo under keys.Instance and StorageVault under keys.StorageVault. InstanceInfo lists
// the ids of the instance's vaults and names the default one.
//
// Create is the idempotent bootstrap of an instance: the first call stores the instance, its
// default vault (id assigned from the instance's "vault_id" counter when empty, so the first
// vault of an instance is "1") and its default compute group; later calls return the stored
// instance unchanged with existed=true, whatever they ask for.
//
// Functions run inside the caller's kv transaction and may be called concurrently from
// different transactions; the KV store serializes them.
package instance
