// Package job is the compaction lease of the Meta Service (Doris's start_tablet_job and
// finish_tablet_job): a TabletJob under keys.JobTablet per tablet, holding at most one
// CompactionJob.
//
// # Lease
//
// Start grants the lease to a job when the tablet has none, when the current job's lease has
// expired (a take-over: the old holder's later calls fail), or when it is the same job id (a
// replayed start, which renews it); while another job's lease is live it fails with
// metaerr.ErrBusy. The lease lasts the job's lease_ms (Options.DefaultLease when 0) and Lease
// renews it for its holder. The job names its input range [start_version, end_version]: the
// visible rowsets of the tablet whose end version is in that range, which must be non-empty, start
// exactly at start_version and end exactly at end_version, and must not be overlapped by a later
// rowset; when the job lists input_rowset_ids they must be exactly those rowsets. Start checks
// this (metaerr.ErrFailedPrecondition otherwise) and so does Commit again.
//
// # Finish
//
// Commit, for the live holder only (an expired or taken-over lease fails with
// metaerr.ErrFailedPrecondition), in one kv transaction: checks the inputs are still the visible
// ones and the output rowset covers exactly [start_version, end_version]; removes the inputs and
// writes the output in their place (rowsets are keyed by end version, so the output takes the
// last input's key); gives every input a recycle entry that expires after
// Options.CompactedRetention (30 min, Doris's default: readers of older versions may still read
// them); removes the output's upload marker; changes the tablet statistics by output − inputs,
// counts the compaction and advances the cumulative point (never backwards); and drops the lease.
// A commit fails with metaerr.ErrBusy while the tablet's partition has a pending lazy commit
// (package txn), whose not-yet-visible rowsets could fall inside the range; the server finishes
// it first.
//
// Merge-on-write tablets (the tablet meta's schema says so): the commit must name the
// delete-bitmap lock the compactor holds (FinishTabletJobRequest.delete_bitmap_lock_id, negative);
// it fails with metaerr.ErrFailedPrecondition unless that lock of the tablet's partition is live
// and held by that id (package bitmap's CheckHeld, in the commit's kv transaction), and without a
// lock id. A positive lock id (a load's) is invalid. A commit that names a lock is checked so
// for any tablet. The commit does not release the lock.
//
// A replayed Commit (its first application committed but the caller did not learn it) finds the
// output visible in place of the inputs and succeeds again without changing anything.
//
// Abort drops the lease of its holder (a no-op for anyone else, so replays succeed) and, when it
// names the output rowset, gives it a recycle entry that expires at once: it was never visible.
// PrepareOutput writes the upload marker of a compaction's output for the live holder, before
// the upload; it expires Options.RowsetRetention after the lease.
//
// Functions run inside the caller's kv transaction; they may be called concurrently from
// different transactions; the clock is the caller's.
package job
