// Package txn is the load transaction state machine of the Meta Service (Doris's begin_txn,
// prepare_rowset, commit_rowset, precommit_txn, commit_txn, abort_txn), as functions over one
// kv.Txn each, plus FinishLazy, the documented sequence that completes a lazy commit.
//
// # States
//
//	PREPARED ──precommit──▶ PRECOMMITTED
//	   │  └──────commit────────┬──┘
//	   │                       ├─ fits the commit budget ─▶ VISIBLE            (one kv transaction)
//	   │                       └─ larger ─▶ COMMITTED ──FinishLazy batches──▶ VISIBLE
//	   └── abort / expiry (also from PRECOMMITTED) ─▶ ABORTED
//
// A txn is stored as TxnInfo under keys.TxnInfo (db, txn), found from its id alone through
// keys.TxnIndex and from its label through keys.TxnLabel (the latest txn that used the label in
// the db); keys.TxnRunning exists while it is PREPARED or PRECOMMITTED. Every txn has a deadline
// (deadline_ms): prepare time + timeout, moved to precommit time + precommit timeout by
// Precommit. A PREPARED or PRECOMMITTED txn past its deadline has expired: rowsets cannot be added
// to it, Precommit and Commit fail with ErrExpired (a metaerr.ErrFailedPrecondition), and
// AbortExpired aborts it (the server does so right after a commit fails that way; the recycler
// does it for the rest).
//
// # Invariants, each kept by a single kv transaction
//
//   - A label belongs to at most one non-aborted txn per database: Begin with a label whose txn is
//     live (PREPARED, PRECOMMITTED, COMMITTED) or VISIBLE returns that txn (existed=true) and
//     creates nothing — unless the txn was begun by the same request (same non-empty request
//     id) and is not aborted, which returns it as new (existed=false), so replays of one begin are
//     invisible; and
//     unless it is expired, which aborts it and begins a new txn. The label of an ABORTED txn may
//     be reused.
//   - Txn ids are unique and increasing per instance (the "txn_id" counter).
//   - Rowset files are always accounted for: PrepareRowset writes a recycle entry before the upload;
//     CommitRowset replaces it by the tmp rowset (both need a PREPARED, unexpired txn); Commit turns
//     every tmp rowset of the txn visible at the next version of its partition — one new version
//     per partition, shared by all its tablets; Abort replaces the tmp rowsets by recycle entries.
//   - Tablet statistics (package stats) change with the visible rowsets, in the same transaction.
//   - Every VISIBLE or ABORTED txn has a recycle-txn entry (keys.RecycleTxn) that expires after the
//     label retention (Doris keeps labels 3 days); the recycler then removes the txn's keys.
//   - Commit of a VISIBLE txn returns it unchanged, with the versions it got (a replay), Commit of
//     an ABORTED txn and Abort of a VISIBLE or COMMITTED one fail with
//     metaerr.ErrFailedPrecondition. Abort of an ABORTED txn returns it unchanged.
//   - Commit refuses (metaerr.ErrFailedPrecondition) to make rowsets visible in a dropped partition
//     or index (package partition), and, for the merge-on-write tables the caller names, unless
//     the txn holds the delete-bitmap lock of every partition it touches in them (package bitmap);
//     it releases those locks and forgets the txn's pending bitmaps.
//   - A commit bumps the version of every table it touches (package version, atomic add).
//
// # Lazy commit (large transactions)
//
// A commit must fit in one kv transaction, which FoundationDB limits to 10 MB of writes. Commit
// estimates the bytes it would write (visible rowsets, tmp clears, statistics counters); when
// they exceed Options.CommitBudget (7 MiB, Doris's max_txn_commit_byte) it does not write any
// rowset and instead, in one kv transaction (the commit point):
//
//  1. reserves the next version of every partition the txn touches, storing each partition's
//     PartitionVersion with the new version and the txn id added to pending_txn_ids;
//  2. marks the txn COMMITTED with the reserved versions (TxnInfo.versions), removes its running
//     key (it can no longer be aborted), bumps the table versions, checks and releases the
//     merge-on-write locks.
//
// FinishLazy then runs FinishBatch in kv transactions of at most CommitBudget bytes each: a batch
// takes tmp rowsets of the txn in key order, writes each visible at its partition's reserved
// version, clears its tmp key and adds its statistics. The batch that takes the last tmp rowsets
// also, in the same transaction, removes the txn from the pending lists, marks it VISIBLE and
// writes its recycle-txn entry. Every batch is idempotent (a tmp rowset is cleared in the
// transaction that makes it visible), so any number of servers may run FinishLazy on one txn at
// the same time, and a crash at any point leaves a state the next FinishLazy completes. A tmp
// rowset whose tablet no longer exists (dropped and recycled meanwhile) gets a recycle entry
// instead.
//
// Readers never see part of a lazy commit: a reader of a partition (get_version, get_rowsets)
// whose PartitionVersion lists pending txns runs FinishLazy for them first and reads again, as
// Doris does, so it answers either before the commit point (the old version, no rowsets of the
// txn) or after the last batch (everything). A commit keeps a partition's pending list when it
// writes the partition's version, and a compaction does not commit while the list is non-empty
// (package job). The server's CommitTxn returns only after FinishLazy has finished.
//
// Functions run inside the caller's kv transaction (FinishLazy runs its own) and may be called
// concurrently from different transactions: the KV store's serializability (with Update's
// retries) makes concurrent commits on one partition take distinct consecutive versions.
package txn
