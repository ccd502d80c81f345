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
// Update retries the whole function when the transaction fails with ErrConflict (the backend's
// optimistic check failed, or the function itself returned an error wrapping ErrConflict, which
// is how fault injection simulates one), with jittered exponential backoff, up to a bounded number
// of attempts; it then returns an error wrapping ErrConflict. Any other error returned by the
// function or by the store aborts the transaction and is returned as is, without retry. The
// function therefore must be idempotent apart from its effects on the Txn: it may run several
// times, and only the last run's writes are kept.
//
// # Limits
//
// Every backend enforces FoundationDB's limits, so code that passes on the embedded store also
// runs on FoundationDB (DefaultLimits):
//
//	key       10,000 bytes                ErrKeyTooLarge
//	value     100,000 bytes               ErrValueTooLarge
//	txn       10,000,000 bytes written    ErrTooLarge     (sum of keys and values set, keys and
//	                                                       range bounds cleared, atomic ops)
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
// Backends: local (bbolt, embedded). Every backend passes kvtest.Run.
package kv
