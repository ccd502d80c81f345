// Package recycler reclaims storage and metadata that nothing references any more (Doris's
// recycler), and checks that nothing leaked either way.
//
// # What it reclaims
//
// The Meta Service writes a recycle entry for everything that may become garbage (package keys,
// family "recycle"); a round of the recycler reclaims the entries that are due, kind by kind:
//
//	expired_txn       PREPARED/PRECOMMITTED txns past their deadline (txn_running keys): aborted as
//	                  the Meta Service aborts them (tmp rowsets become recycle entries, the txn gets
//	                  its recycle-txn entry); no retention
//	index, partition  RecycleIndex / RecyclePartition, DROPPED (a drop) or PREPARED (a create that
//	                  never committed): every tablet of the index or partition — its files under
//	                  data/{tablet_id}/ in every vault its rowsets name, then its rowset, tablet,
//	                  tablet_index, stats, job and delete-bitmap keys — then the partition's
//	                  version and delete-bitmap lock, then the entry
//	rowset            RecycleRowset of an upload marker whose commit never came, or of a tmp rowset
//	                  of an aborted txn: the rowset's files, then its delete bitmaps with the entry
//	compacted_rowset  RecycleRowset of a compaction's input (or an aborted compaction's output):
//	                  the rowset's files, then its delete bitmaps (merge-on-write) with the entry
//	txn_label         RecycleTxn of a finished txn: its info, index and running keys, its label
//	                  when it still names the txn, then the entry
//
// An entry is due when its own expiration (set by the Meta Service) has passed and so has its
// creation time plus the retention of its kind (Retention; Doris's defaults: 72 h general, 30 min
// compacted rowsets, 3 h dropped indexes and partitions, 3 days labels). An entry in state
// RECYCLING (a round began it) is due at once.
//
// # Files first, bookkeeping second
//
// Every reclaim deletes files before the keys that lead to them and removes the recycle entry
// last, each key step in its own kv transaction. A crash, a failed vault call or a failed
// transaction at any point leaves the entry (and whatever keys were not removed yet), so the next
// round does the remaining work; deleting files that are already gone is a no-op. Before deleting
// anything of an index or partition a round marks its entry RECYCLING, which the Meta Service
// treats as dropped (a late commit_partition fails, loads cannot become visible in it). Before
// deleting an upload marker's files a round aborts the marker's txn if it has expired and skips
// the marker while the txn (or, for a compaction's output, the tablet's compaction lease) is
// still live. A RecycleRowset entry that names a rowset that is visible or committed to its txn
// is stale: the entry is removed and the files kept.
//
// # Lease
//
// Two recyclers never work one instance at once: a round first takes the instance's lease
// (keys.JobRecycle, value layout in FORMAT.md) for Config.Lease, renews it every third of that,
// and releases it when done; a round that finds a live lease of another owner returns at once
// (Report.Busy). Every bookkeeping transaction of a round reads the lease and fails with
// ErrLeaseLost when the round no longer holds it, so a recycler that stalled past its lease and
// was taken over stops at its next step and never removes a key after the take-over. (Vault
// deletions cannot be fenced; both recyclers only ever delete garbage, so a stalled one deleting
// once more is harmless.) Expiry compares Unix times of the recyclers' clocks, as Doris does.
//
// # Checker
//
// Check reports leaks both ways: files under data/ that no rowset references (visible, tmp, or
// named by a recycle entry) and that belong to no tablet of an index or partition with a recycle
// entry; and segment files of visible rowsets of live partitions and indexes that are missing.
//
// # Metrics and reports
//
// Round returns a Report (per kind: pending, due and reclaimed entries and bytes, failures) and
// records it on the Prometheus registry (Config.Registry or a registry of its own, served on
// /metrics when Config.HTTPAddr is set): doric_recycler_to_recycle{,_bytes} and
// doric_recycler_pending (gauges of the last round), doric_recycler_recycled_total,
// doric_recycler_recycled_bytes_total, doric_recycler_failures_total (counters),
// doric_recycler_rounds_total{result}, doric_recycler_last_success_timestamp_seconds and
// doric_recycler_last_round_duration_seconds, all by instance (and kind). The lease also records
// the last finished and last successful round in the store.
//
// # Dependencies and concurrency
//
// The recycler reads and writes the Meta Service's keys directly (packages kv and keys; it does
// not import the Meta Service's domain packages) and reaches vaults through Config.OpenVault,
// which the caller wires to the vault backends it supports (local ones by default). Run calls
// Round for each instance every Interval; Round and Check may be called directly and
// concurrently (Rounds of one instance exclude each other through the lease). A Recycler has no
// state between rounds besides its metrics.
package recycler
