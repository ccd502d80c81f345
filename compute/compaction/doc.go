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
// Merge-on-write UNIQUE tablets are skipped (Compact fails with ErrUnsupported): their compaction
// must carry delete bitmaps over to the output through a row-id map from input rows to output rows,
// which Compactor.merge is the place for, and take the partition's delete-bitmap lock for the commit.
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
