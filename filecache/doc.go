// Package filecache is the compute node's block cache on local disk in front of a vault
// (DESIGN.md §3, Doris's file cache). A Cache wraps a vault.Storage and is one: reads go through
// the cache; Put, Stat, List, Delete and DeletePrefix go to the vault (Put can also fill the
// cache, and Put, Delete and DeletePrefix invalidate what the cache holds of those objects).
//
// Blocks. An object is cut into 1 MiB blocks (BlockSize) named by the xxh3-128 of its path and
// the block's number. The layout on disk is specified in FORMAT.md: one file per block with the
// data, then the path, per-64-KiB CRC-32C checksums and a footer. Objects are immutable and
// uniquely named (DESIGN.md §3), so a block never needs invalidating except through this
// cache's own Put/Delete; a Stat that finds another size than the one remembered also
// invalidates.
//
// Reads. ReadAt learns the object's size (from Hint.Size, from memory, or from one Stat shared
// by concurrent readers), then per block: a block on disk is read locally, after its trailer
// and the 64 KiB chunks it touches pass their checksums; missing blocks are fetched with one
// ranged read of the vault per run of consecutive missing blocks of the request, first asking
// Config.PeerRead when set; a block another reader is already fetching is waited for, never
// fetched twice (64 concurrent readers of one cold block cause one GET). Fetched blocks are
// handed to the readers first and written to disk afterwards; a block that cannot be written
// (full disk: caching pauses for a while; any other write error) is simply not cached — the
// read still succeeds. A block whose checksum fails is deleted and fetched again; its bytes are
// never served.
//
// Queues. Every block belongs to one of four LRU queues — TTL, normal, index, disposable —
// chosen by the Hint of the read that brought it in (WithHint / WithKind: index pages → Index,
// compaction reads → Disposable). The queues share the capacity by Config.Shares (default
// 50/40/5/5) as eviction ratios, not walls: when room is needed, the queue whose usage (counting
// the newcomer) is furthest above its share gives up its least recently used block. So a
// compaction streaming through the disposable queue evicts its own blocks, not the queries'.
// TTL blocks move to the normal queue when their expiration passes.
//
// Restart. New rebuilds the index from the block files (trailers only; see FORMAT.md) and
// deletes invalid ones; temporary files of a crashed write are removed.
//
// Observability. Stats and Handler (JSON stats, clear), Prometheus metrics on
// Config.Registerer, and per-query Profile counters (BytesScannedFromCache /
// BytesScannedFromRemote) carried in the context (WithProfile).
//
// Warm-up. Warm downloads a list of objects in the background at a bounded rate.
//
// Concurrency. Every method may be called from any number of goroutines. One mutex guards the
// index; file reads, vault requests and block writes happen outside it (unlinks and renames of
// block files happen under it, so a name is never reused while an old file is being removed).
// Several processes must not share one cache directory.
package filecache
