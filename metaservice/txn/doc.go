// Package txn is the load transaction state machine of the Meta Service (Doris's begin_txn,
// prepare_rowset, commit_rowset, commit_txn, abort_txn), as functions over one kv.Txn each.
//
// States: PREPARED (begun) → VISIBLE (committed) or ABORTED. A txn is stored as TxnInfo under
// keys.TxnInfo (db, txn), found from its id alone through keys.TxnIndex and from its label through
// keys.TxnLabel (the latest txn that used the label in the db); keys.TxnRunning exists while it is
// PREPARED.
//
// Invariants, each kept by a single kv transaction:
//   - A label belongs to at most one non-aborted txn per database: Begin with a label whose txn is
//     PREPARED, COMMITTED or VISIBLE returns that txn (existed=true) and creates nothing; the label
//     of an ABORTED txn may be reused.
//   - Txn ids are unique and increasing per instance (the "txn_id" counter).
//   - Rowset files are always accounted for: PrepareRowset writes a recycle entry before the upload;
//     CommitRowset replaces it by the tmp rowset (both need a PREPARED txn); Commit turns every tmp
//     rowset of the txn visible at the next version of its partition — one new version per
//     partition, shared by all its tablets — bumps those versions and marks the txn VISIBLE; Abort
//     replaces the tmp rowsets by recycle entries and marks the txn ABORTED.
//   - Commit of a VISIBLE txn returns it unchanged (a retry; the versions are then not repeated);
//     Commit of an ABORTED txn and Abort of a VISIBLE one fail with metaerr.ErrFailedPrecondition.
//     Abort of an ABORTED txn returns it unchanged.
//
// Functions run inside the caller's kv transaction and may be called concurrently from different
// transactions: the KV store's serializability (with Update's retries) makes concurrent commits on
// one partition take distinct consecutive versions.
package txn
