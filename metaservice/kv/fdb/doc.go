//go:build fdb

// Package fdb is the FoundationDB kv.DB backend, on the official Go bindings
// (github.com/apple/foundationdb/bindings/go, API version 730: FoundationDB 7.3 or later).
//
// It builds only with the build tag fdb and needs the FoundationDB client library (libfdb_c)
// and its headers; without the tag the package is empty and the default build does not depend
// on the bindings or on cgo.
//
// # Semantics
//
// Every kv operation is the FoundationDB operation of the same name in a read-your-writes
// transaction: serializable, with read conflicts on every key and range read (so a range read
// conflicts with a concurrent insert into the range), atomic ADD, and versionstamped keys and
// values (SET_VERSIONSTAMPED_KEY/VALUE with the stamp at the end; reads of them in their own
// transaction fail with accessed_unreadable). Update and View run their own retry loop
// (kv.Retry), not FoundationDB's, so the retry policy and the error model are those of package
// kv on every backend. FoundationDB errors map to kv's typed errors:
//
//	1020 not_committed                     kv.ErrConflict      (retried)
//	1021 commit_unknown_result             kv.ErrCommitUnknown (retried)
//	1039 cluster_version_changed           kv.ErrCommitUnknown (retried; FoundationDB counts it
//	                                                            as maybe committed)
//	1007 transaction_too_old               kv.ErrTxnTooOld     (not retried)
//	1031 transaction_timed_out             kv.ErrTxnTooOld     (the 5 s limit, set as the
//	                                                            transaction timeout)
//	2101 transaction_too_large             kv.ErrTooLarge
//	2102 key_too_large                     kv.ErrKeyTooLarge
//	2103 value_too_large                   kv.ErrValueTooLarge
//	2004 key_outside_legal_range           kv.ErrInvalidKey
//	1036 accessed_unreadable               kv.ErrUnreadable
//	2021 no_commit_version                 kv.ErrNoCommitVersion
//	1025 transaction_cancelled             the context's error, when the context is done
//	other errors FoundationDB's on_error   kv.ErrConflict      (retried: future_version,
//	accepts as retryable                                         process_behind, throttling...)
//
// The original *fdb.Error stays in the chain. The limits of kv.Options are enforced by kv.Meter
// before an operation reaches FoundationDB, exactly as the local backend enforces them, so code
// sees the same errors on both; FoundationDB's own limits are a second line.
//
// A context that is done cancels the transaction's reads; the commit itself is not cancelled
// (cancelling a commit in flight makes its result unknown), it is bounded by the transaction
// timeout.
//
// # Use
//
// Open selects the API version (once per process, as the bindings require) and connects; the
// bindings' network thread then lives as long as the process. A DB is safe for concurrent use;
// Close releases the database handle.
package fdb
