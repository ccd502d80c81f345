// Package server is the gRPC edge of the Meta Service: a metapb.MetaServiceServer over a kv.DB.
//
// Every RPC is one kv transaction (Update for RPCs that write, View for reads), retried by the
// kv layer on conflict, that runs the domain functions of packages instance, cluster, tablet,
// stats, txn, rowset, version, job, bitmap and partition — except these documented sequences:
//
//   - CommitTxn of a txn larger than the commit budget: the commit point, then the batches of
//     txn.FinishLazy (see package txn); the RPC returns when the txn is VISIBLE.
//   - CommitTxn and PrecommitTxn of an expired txn: the failed attempt, then a kv transaction
//     that aborts the txn (txn.AbortExpired); the RPC fails with FailedPrecondition.
//   - GetVersion and GetRowsets that find a lazy commit pending on a partition they read: they
//     finish it (txn.FinishLazy) and read again, so no reader sees part of a lazy commit.
//   - FinishTabletJob(COMMIT): finishes lazy commits pending on the tablet's partition, then
//     swaps the rowsets in one kv transaction.
//
// Every kv transaction is safe to replay (the kv layer retries after commit-unknown-result):
// creates compare with what exists, drops and removals of absent objects succeed, BeginTxn
// tags its txn with a request id (the client's, or one it draws per call), CommitTxn of a
// VISIBLE txn returns its stored versions.
//
// Every RPC except CreateInstance first checks that the request's instance exists (NotFound
// otherwise). The server holds no state of its own besides its options — no cache — so any
// number of servers may share one store (as Doris's MetaService over FoundationDB), and it is
// safe for concurrent use.
//
// Errors become gRPC status codes here and nowhere else:
//
//	metaerr.ErrNotFound            NotFound
//	metaerr.ErrAlreadyExists       AlreadyExists
//	metaerr.ErrFailedPrecondition  FailedPrecondition (includes txn.ErrExpired)
//	metaerr.ErrInvalidArgument     InvalidArgument
//	metaerr.ErrBusy                Aborted (a live compaction lease or delete-bitmap lock of another owner)
//	metaerr.ErrVersionMerged       OutOfRange (a read of a version a compaction merged: Doris's -230)
//	kv.ErrKeyTooLarge, kv.ErrValueTooLarge, kv.ErrInvalidKey   InvalidArgument (an id, label or bitmap too large)
//	kv.ErrTooLarge                 ResourceExhausted (the RPC needs more than one kv transaction may write)
//	kv.ErrCommitUnknown            Unavailable (retries ran out after an attempt whose outcome is unknown;
//	                               the client repeats the call, which every RPC tolerates)
//	kv.ErrConflict, kv.ErrTxnTooOld  Aborted (retry budget exhausted; the caller may retry)
//	kv.ErrClosed                   Unavailable
//	context errors                 Canceled, DeadlineExceeded
//	anything else                  Internal (including BUG: invariant violations)
package server
