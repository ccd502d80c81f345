// Package faulty wraps any kv.DB and injects the failures FoundationDB produces, so that code
// above the KV seam is tested against them on the embedded store: conflicts, timeouts and unknown
// commit results.
//
// # Faults
//
// A fault is decided once per commit attempt, after the transaction function returned nil (so an
// attempt that fails on its own is never also faulted), by one draw of a seeded generator:
//
//	Conflict           the attempt is rolled back and fails with kv.ErrConflict (retried by Update)
//	Timeout            the attempt is rolled back and fails with kv.ErrTxnTooOld (not retried)
//	UnknownNotApplied  the attempt is rolled back and fails with kv.ErrCommitUnknown (retried)
//	UnknownApplied     the attempt COMMITS, then fails with kv.ErrCommitUnknown (retried: the
//	                   function runs again against a store that holds its effect)
//
// View attempts get Timeout faults (after the function returned nil) and nothing else. Rates are
// probabilities per attempt; their sum is at most 1.
//
// The wrapper's Update is the retry loop (kv.Retry with Config.Retry) around single attempts of
// the inner DB: open the inner DB with RetryPolicy{MaxAttempts: 1} so that the retry budget is
// the wrapper's alone (a retrying inner DB works too, with the budgets multiplied). Versionstamp
// futures of an attempt faulted with UnknownApplied resolve with kv.ErrCommitUnknown, as the
// caller of a real store would not learn the stamp.
//
// # Determinism
//
// The sequence of decisions is a function of Config.Seed: the n-th attempt (Update or View)
// that reaches the decision gets the n-th draw. Single-threaded use is therefore reproducible from the seed;
// with concurrent Updates, which attempt gets which draw depends on scheduling. Counts reports
// what was injected. A DB is safe for concurrent use; SetRates may be called at any time.
package faulty
