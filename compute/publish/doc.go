// Package publish commits load transactions: it is the only way a load's transaction becomes
// visible (the compute CommitTxn RPC, Stream Load and group commit on a compute node, INSERT and
// two-phase commits from the frontend through that RPC). For merge-on-write UNIQUE KEY tables it
// computes the delete bitmaps first, as Doris's publish does (seed 004, merge-on-write).
//
// Publisher.Commit(db, txn):
//
//  1. GetTxn: a VISIBLE (or lazily COMMITTED) txn is returned as the Meta Service's CommitTxn
//     returns it (unchanged, with its versions); an ABORTED one fails with ErrAborted.
//  2. GetTxnRowsets; the tmp rowsets of merge-on-write tablets (tablet schemas from GetTablet,
//     cached) are grouped by table. None: a plain CommitTxn.
//  3. GetDeleteBitmapUpdateLock of each table's partitions (lock_id = txn id, tables in id
//     order), retried with jittered backoff while another owner holds it, up to
//     Config.LockTimeout (then ErrLockTimeout).
//  4. GetTxn again (a publish of the same txn elsewhere may have committed meanwhile), then
//     GetVersion of the partitions: v. Nothing else moves v while the lock is held, since every
//     load of a merge-on-write table commits through here.
//  5. Per tmp rowset: the tablet's rowsets visible at v (if the tmp rowset is among them the txn
//     committed elsewhere: stop, return it) and the bitmaps in force at v; Calculate marks, for
//     each key of the new rowset, the live row with that key in older segments — or, with a
//     sequence column, the new row when the old one's sequence value is larger; the marks are
//     written at version v+1 (UpdateDeleteBitmap, once per tablet even when empty: that also
//     clears what a failed publish of another txn left pending there). The lock is renewed when
//     half its lease has passed.
//  6. CommitTxn with mow_table_ids, which checks the locks and releases them. A CommitTxn error
//     is followed by GetTxn: a txn that did commit (the answer was lost) is returned as
//     committed. On every failure before the commit the locks are released
//     (RemoveDeleteBitmapUpdateLock).
//
// Replays. A publish retried after its commit happened stops at step 1 (or 4, or 5) and never
// computes bitmaps against a version that holds its own rowset. A publish that wrote bitmaps
// and failed before its commit leaves them at v+1 pending in the Meta Service (package
// metaservice/bitmap): the next load that updates the tablet deletes them, and until then
// readers ignore them, because a bitmap applies only at a version some rowset of the tablet
// holds (tablet.ApplyBitmaps) and v+1 went, if at all, to a load that did not touch the tablet.
// A retry of the same txn that finds v unchanged computes exactly the same bitmaps again.
//
// Primary-key lookup. A segment's key columns are its primary-key index (tablet.SegmentKeys,
// cached per node by tablet.KeyCache); before an old segment's keys are read its first key
// column's zone map is checked against the new rowset's key range (MayHold).
//
// Compaction of merge-on-write tablets (package compute/compaction) takes the same lock (Lock,
// shared with this package) with a negative lock id, carries the bitmaps loads wrote on its
// inputs after its range over to its output through its row-id map, and commits with
// FinishTabletJobRequest.delete_bitmap_lock_id; a publish waits for it as for another load.
//
// A Publisher is safe for concurrent use; concurrent Commits of one txn on one Publisher share
// one publish.
package publish
