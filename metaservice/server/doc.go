// Package server is the gRPC edge of the Meta Service: a metapb.MetaServiceServer over a kv.DB.
//
// Every RPC is one kv transaction (Update for RPCs that write, View for reads), retried by the
// kv layer on conflict, that runs the domain functions of packages instance, cluster, tablet,
// txn, rowset and version. Every RPC except CreateInstance first checks that the request's
// instance exists (NotFound otherwise). The server holds no state of its own besides its options,
// so any number of servers may share one store (as Doris's MetaService over FoundationDB), and
// it is safe for concurrent use.
//
// Errors become gRPC status codes here and nowhere else:
//
//	metaerr.ErrNotFound            NotFound
//	metaerr.ErrAlreadyExists       AlreadyExists
//	metaerr.ErrFailedPrecondition  FailedPrecondition
//	metaerr.ErrInvalidArgument     InvalidArgument
//	kv.ErrKeyTooLarge, kv.ErrValueTooLarge, kv.ErrInvalidKey   InvalidArgument (an id or label too large)
//	kv.ErrTooLarge                 ResourceExhausted (the RPC needs more than one kv transaction may write)
//	kv.ErrConflict, kv.ErrTxnTooOld  Aborted (retry budget exhausted; the caller may retry)
//	kv.ErrClosed                   Unavailable
//	context errors                 Canceled, DeadlineExceeded
//	anything else                  Internal (including BUG: invariant violations)
package server
