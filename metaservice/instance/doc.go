// Package instance owns the instance (tenant) record and its registry of storage vaults:
// InstanceInfo under keys.Instance and StorageVault under keys.StorageVault. InstanceInfo lists
// the ids of the instance's vaults and names the default one.
//
// Create is the idempotent bootstrap of an instance: the first call stores the instance, its
// default vault (id assigned from the instance's "vault_id" counter when empty, so the first
// vault of an instance is "1") and its default compute group; later calls return the stored
// instance unchanged with existed=true, whatever they ask for.
//
// Vault names are unique within an instance. CreateVault adds one (a replay with the same
// definition returns it with existed=true); AlterVault changes only credentials and the name —
// never where the data lives; SetDefaultVault picks the default. Vaults hold their credentials
// (handed to compute nodes, which need them); Mask removes the secrets for callers that must
// not see them (the frontend, hence SQL clients).
//
// Functions run inside the caller's kv transaction and may be called concurrently from
// different transactions; the KV store serializes them.
package instance
