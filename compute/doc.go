// Package compute is the compute node role (`doric compute`, and each node of standalone mode):
// it serves the ComputeService (package compute/server) over gRPC, serves /metrics, /api/health
// and /api/file_cache over HTTP, registers itself in its compute group at the Meta Service
// (AddNode, with the address it actually listens on) and heartbeats while it runs.
//
// It runs a compactor (package compute/compaction) over the tablets it loads into, started by
// Run and stopped when Run ends; loads into a tablet with MaxTabletVersionNum (2000) visible
// rowsets fail with Doris's -235.
//
// A node owns no durable state: tablet metadata comes from the Meta Service and data from the
// vaults it names, which it opens through vault/spec (server.Vaults). Reads of remote vaults (S3,
// HDFS) go through a block file cache on local disk (package filecache), one per vault in
// CacheDir/<vault id>, each of CacheCapacity bytes (default: 10 GiB, or 80 % of the file system
// when that is smaller); local vaults are read directly. The caches survive restarts; their
// metrics (doric_filecache_*, labelled vault="<id>") are on /metrics and their admin API (stats,
// clear) on /api/file_cache (see server.Vaults.Handler). Above them, queries read through a
// memory page cache of open segments and decoded pages (segment.Cache, PageCacheBytes, default
// DefaultPageCacheBytes; `doric` gives it 20 % of memory, as Doris's storage_page_cache_limit),
// whose counters are doric_compute_page_cache_*; compactions and loads bypass it.
//
// Loads the node coordinates (Stream Load, group commit) stamp their txns with the node id and
// the start time of this process (metapb.TxnCoordinator). A node that starts again under the same
// NodeID aborts, in New, the PREPARED txns its earlier runs left (AbortTxnsOfCoordinator): a
// load killed with its node is never half-visible, its label is free for a retry at once, and its
// uploaded files go to the recycler. NodeID must therefore be stable across restarts (it defaults
// to the listen address, which is only stable with a fixed port).
//
// New binds the listeners and connects to the Meta Service; Run serves until its context ends,
// then stops gracefully (in-flight RPCs get 5 s) and closes everything. A Node is used by one
// owner; Run is called once.
package compute
