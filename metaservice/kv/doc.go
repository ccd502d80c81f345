// Package kv is the Meta Service's storage seam: an ordered, transactional key-value store modelled
// on FoundationDB, and the only way domain code touches persistent state.
//
// # Model
//
// Keys and values are byte strings; keys are ordered byte-wise. A DB runs functions in
// transactions: Update runs a read-write Txn, View a read-only ReadTxn. Transactions are
// serializable. Reads inside a Txn see the Txn's own writes. A transaction either commits all of
// its writes or none of them; when Update returns nil the writes are durable.
//
// # Retries and unknown commit results
//
// Update retries the whole function, as FoundationDB's retry loop does, when the attempt fails
// with ErrConflict (the optimistic check failed, or a transient condition of the store made the
// attempt fail before it committed) or with ErrCommitUnknown (the commit may or may not have
// applied: FoundationDB's commit_unknown_result, e.g. a connection lost while the commit was in
// flight). It also retries when the function itself returns an error wrapping either, which is
// how fault injection simulates them. Retries use jittered exponential backoff, up to a bounded
// number of attempts (RetryPolicy); Update then returns an error wrapping the last one. Any other
// error returned by the function or by the store (ErrTxnTooOld included, unlike FoundationDB's
// loop: a function that ran out of time once will likely do so again) aborts the transaction
// and is returned as is, without retry.
//
// Because of ErrCommitUnknown, the function must be idempotent: it may run again after an
// attempt whose writes did apply, and must then find its effect and not apply it twice. The
// usual ways are to read the state the function is about to create and stop (return nil) when
// it is already there — a txn already visible, a rowset already committed, a marker key the
// function writes — or to write only absolute values (Set, Clear) computed from reads that the
// first application does not change. Blind AtomicAdds are not idempotent on their own. Only the
// writes of the attempt that commits are kept; an attempt that failed with ErrConflict left
// nothing behind.
//
// When Update fails after some attempt ended with ErrCommitUnknown, its error wraps
// ErrCommitUnknown whatever the last error was (errors.Is matches both): that attempt's writes
// may be in the store. Callers classify their own domain errors first. Update returning nil
// means exactly one attempt's writes applied — or, with an idempotent function, that the effect
// is in the store exactly once.
//
// # Versionstamps
//
// Every transaction that commits writes gets a Versionstamp: 10 bytes, the commit version (8
// bytes big-endian) and the batch order (2 bytes), FoundationDB's. Versionstamps are unique and
// their byte order is commit order, across restarts of the store. A transaction can write keys
// or values that end with its own versionstamp (SetVersionstampedKey, SetVersionstampedValue):
// the bytes are filled in at commit, so the transaction cannot read them back (ErrUnreadable).
// Txn.Versionstamp is the future of the attempt's stamp, resolved when the attempt ends;
// UpdateStamped returns the stamp of the attempt that committed. A transaction that writes
// nothing has no versionstamp (ErrNoCommitVersion).

// # Limits
//
// Every backend enforces FoundationDB's limits, so code that passes on the embedded store also
// runs on FoundationDB (DefaultLimits):
//
//	key       10,000 bytes                ErrKeyTooLarge
//	value     100,000 bytes               ErrValueTooLarge
//	txn       10,000,000 bytes written    ErrTooLarge     (sum of keys and values set, keys and
//	                                                       range bounds cleared, atomic ops;
//	                                                       versionstamped keys and values count
//	                                                       with their 10 stamp bytes)
//	duration  5 s from the first operation ErrTxnTooOld   (checked at every operation and at commit)
//
// An operation that breaks a limit fails with the typed error and leaves the transaction as it
// was; the transaction as a whole is still aborted if the function returns that error. Empty keys
// and keys starting with 0xFF (FoundationDB's system key space) are rejected with ErrInvalidKey.
//
// # Concurrency
//
// A DB is safe for concurrent use. A Txn or ReadTxn belongs to the goroutine running the
// function it was passed to and must not be used after that function returns. Byte slices passed
// to a Txn may be reused by the caller after the call returns; slices returned by a Txn belong to
// the caller.
//
// Values of the Meta Service are protobuf messages: GetProto and SetProto marshal them.
// Backends: local (bbolt, embedded), fdb (FoundationDB, build tag fdb) and faulty (a wrapper
// that injects conflicts, timeouts and unknown commit results). Every backend passes kvtest.
package kv
