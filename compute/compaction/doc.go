// Package compaction is a compute node's compactor: it keeps the number of rowsets of the tablets
// the node writes small by merging them, under leases of the Meta Service (DESIGN.md §4, seed 004
// §2.3.5).
//
// # Which tablets
//
// The compactor keeps an in-memory registry of tablets: those the node loaded into (Loaded, the
// load path's hook, with the schema of the load's sink) and those named by Compact. A producer
// goroutine runs a round every Interval, and promptly (at most every MinInterval) after a load or
// a finished job. One round in BaseEvery (10) is a base round, the others cumulative rounds — nine
// cumulative rounds per base round, as Doris. A round reads the statistics of the registered
// tablets (GetTabletStats; tablets the Meta Service no longer knows leave the registry), scores the
// ones with the most rowsets exactly from their rowsets (GetRowsets), and hands the highest scores
// to the round's pool while it has free slots. Each pool (cumulative, base) has a per-node cap
// (CumulativeThreads, BaseThreads). A tablet is in at most one job of the node at a time; a tablet
// whose job failed is left alone for Backoff; a tablet found with nothing to do is skipped until its
// rowset count changes.
//
// # Scores and the cumulative point (a simplified size-based policy)
//
// The tablet's cumulative point (TabletStats.cumulative_point, a version) splits its rowsets:
// those starting at or above it are cumulative candidates, those ending below it the settled base.
// The cumulative score is the sorted runs a read merges above the point (a rowset counts one, or
// one per segment when its segments overlap); the base score is the number of base rowsets.
// Policy.Cumulative documents the pick: settled leading candidates (as big as the promotion size,
// or delete rowsets) are passed over, the inputs are the run after them up to the next delete
// rowset, and they run at a score of MinCumulativeScore (5). The point advances past the passed-over
// rowsets, past a delete rowset that stopped the run (so that base compaction applies it), and past
// the output itself when the output reaches the promotion size: clamp(5 % of the base size, 64 MiB,
// 1 GiB), Doris's compaction_promotion_* defaults. Small outputs stay above the point and are merged
// again with the next loads, so the rowsets above the point stay few. Base compaction merges all
// rowsets below the point (at least MinBaseRowsets, 5). Full compaction (on request only) merges
// every visible rowset and moves the point past the output.
//
// Manual requests (Compact: ALTER TABLE t [CUMULATIVE|BASE] COMPACT through the Compact RPC) use
// the same picks with any score of at least two runs; they wait for the node's own job on the
// tablet to end and retry a while when another node holds the lease or loads changed the tablet.
//
// # One compaction
//
//  1. StartTabletJob with a fresh job id, the input version range and the input rowset ids: the
//     lease (Lease, default 60 s, renewed every Lease/3 with JOB_LEASE; a lost lease cancels the
//     job). A live lease of another job fails with ErrBusy, changed rowsets with ErrStale.
//  2. PrepareRowset with the job id for the output (the upload marker the recycler reclaims if the
//     job never commits) BEFORE anything is uploaded.
//  3. The inputs are read through compute/tablet (a Snapshot of exactly the input rowsets), which
//     applies the table model — AGGREGATE folds, UNIQUE merge-on-read keeps the newest row — and
//     the delete predicates and tombstones inside the snapshot; DUPLICATE rows are then sorted by
//     key. The output is one sorted run: segments of at most SegmentRows rows, written with the
//     schema's compression and bloom filter columns, whose key ranges do not overlap.
//  4. FinishTabletJob COMMIT with the output and the new cumulative point swaps the rowsets in one
//     Meta Service transaction and hands the inputs to the recycler. Any failure after step 1 sends
//     JOB_ABORT with the output, which drops the lease and lets the recycler delete the output's
//     files at once. A crash between upload and commit leaves the inputs visible; the marker makes
//     the recycler reclaim the upload, and the lease expires for the next compactor.
//
// Deletes: a compaction whose inputs start at the tablet's first visible rowset (base, full, or a
// cumulative one with nothing below it) applies and drops the delete predicates and tombstones
// (UNIQUE rows whose hidden delete sign, TabletSchema.delete_sign_idx, is 1). Any other output
// keeps the union of its inputs' delete predicates (they still apply to the rowsets below it), and
// its UNIQUE merge keeps tombstones as ordinary newest rows, so that they keep shadowing older rows
// below the range.
//
// # Merge-on-write UNIQUE tablets
//
// They compact like the others (same policy, kinds and lease), with Doris's approach to their
// delete bitmaps (mergeMoW, commitMoW):
//
//   - Read: the inputs [s, e] with the delete bitmaps of versions up to e applied (the rows
//     superseded by then are dropped; bitmaps of later versions are not applied). By the
//     merge-on-write invariant at most one row of each key is live across them as of e; two are
//     a BUG: error. The live rows are sorted by key into one sorted run, and a row-id map records
//     where each input row (rowset, segment, row ordinal: tablet.Scanner.TrackOrigins) went in
//     the output (segment, row). Tombstones (delete sign 1) stay rows, except when s is the
//     tablet's first version and the table has no sequence column: a kept tombstone with a large
//     sequence value still shadows a later row of the key with a smaller one.
//   - Commit: take the delete-bitmap lock of the tablet's partition with a fresh negative lock id
//     (publish.Lock: retried with backoff while a load's publish holds it, up to LockTimeout, then
//     ErrLockTimeout). Under it no publish moves the tablet: read its rowsets (cur = the newest
//     version), the bitmaps of the inputs at versions (e, cur] — those loads published while the
//     compaction read and wrote — translate each marked row through the row-id map and write
//     them for the output at the same versions (UpdateDeleteBitmap under the lock id). Entries
//     at versions no rowset of the tablet holds are a failed publish's garbage (tablet.Covered):
//     they are not carried over, and those at versions inside [s, e] on rowsets below s are
//     removed, since the output's range would make them apply. Then FinishTabletJob COMMIT with
//     delete_bitmap_lock_id (the Meta Service refuses a merge-on-write commit without a live
//     lock of that id), then the lock is released — also on every failure, after which the job
//     aborts as any other. The bitmaps written for an output that never commits die with it (the
//     recycler removes a reclaimed rowset's bitmaps).
//   - Readers at versions >= e read the output with the carried bitmaps; older versions are
//     refused by the Meta Service ("[E-230]versions already merged"), as in Doris — also a query
//     that pinned such a version just before the commit (the frontend does not retry it yet).
//     The inputs' bitmaps go to the recycler with the inputs.
//
// A merge holds one compaction's rows in memory (as the merge-on-read scan does); a streaming k-way
// merge is future work.
//
// # Concurrency
//
// A Compactor is safe for concurrent use. Start runs the producer; Stop cancels the running jobs
// (which abort) and waits for them; Compact may be called at any time, also with the producer off
// (Config.Disabled). Metrics: doric_compaction_total{kind, outcome} and
// doric_compaction_input_rowsets_total{kind} on the node's registry.
package compaction
