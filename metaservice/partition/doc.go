// Package partition is the lifecycle of indexes and partitions in the Meta Service (Doris's
// prepare_index/commit_index/drop_index and prepare_partition/commit_partition/drop_partition).
// The frontend owns what a table's indexes and partitions are; this package owns the recycle
// entries that make creating and dropping them crash-safe:
//
//   - Prepare writes a RECYCLE_PREPARED entry (keys.RecycleIndex / keys.RecyclePartition) before
//     the frontend creates the tablets, expiring at the request's expiration (default: now + the
//     caller's retention). If the create never finishes, the recycler reclaims the tablets, rowsets
//     and files after expiration.
//   - Commit removes the PREPARED entry: the object is live.
//   - Drop writes a RECYCLE_DROPPED entry (from nothing or from PREPARED) expiring after the
//     dropped-object retention; the recycler later removes the tablets, rowsets, versions and
//     files, marking the entry RECYCLING while it works.
//
// Transitions (anything else fails with metaerr.ErrFailedPrecondition and changes nothing):
//
//	prepare: none → PREPARED; PREPARED → PREPARED (no-op)
//	commit:  PREPARED → none; none → none (no-op: already committed)
//	drop:    none | PREPARED → DROPPED; DROPPED | RECYCLING → unchanged (no-op)
//
// so every call is idempotent under replay. A request lists several ids; they change together or
// not at all. Commit and drop bump the table version (package version) when asked and when they
// change something. Dropped reports whether a partition or index is DROPPED or RECYCLING, which
// commit_txn checks so a load never becomes visible in a dropped partition.
//
// Functions run inside the caller's kv transaction; they may be called concurrently from
// different transactions.
package partition
