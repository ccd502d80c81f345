// Package compute is the compute node role (`doric compute`, and each node of standalone mode):
// it serves the ComputeService (package compute/server) over gRPC, serves /metrics and
// /api/health over HTTP, registers itself in its compute group at the Meta Service (AddNode, with
// the address it actually listens on) and heartbeats while it runs.
//
// A node owns no durable state: tablet metadata comes from the Meta Service and data from the
// vaults it names. CacheDir is reserved for the block file cache (DESIGN §3), which this slice
// does not have yet.
//
// New binds the listeners and connects to the Meta Service; Run serves until its context ends,
// then stops gracefully (in-flight RPCs get 5 s) and closes everything. A Node is used by one
// owner; Run is called once.
package compute
