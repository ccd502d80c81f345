// Package kvtest is the conformance suite of kv.DB: every backend runs Run (or RunConfig)
// against fresh stores. It checks the behaviour the package kv documents and nothing
// backend-specific (durability across processes is each backend's own test):
//
//   - reads, writes, ranges, clears, atomic add, read-your-writes, rollback, snapshot reads;
//   - limits and their typed errors, versionstamped keys and values included;
//   - the retry loop: conflicts and unknown commit results are retried, other errors are not,
//     an exhausted loop after an unknown result says so, an idempotent function applies once;
//   - isolation: no lost update under concurrent read-modify-write, concurrent atomic adds, and
//     range-read conflicts (phantoms), in two forms that a store with snapshot isolation fails
//     (shown by this package's own test against an in-memory snapshot-isolation store);
//   - versionstamps: carried by stamped keys and values, returned by UpdateStamped, greater for
//     later commits, commit order under concurrent committers, unreadable in their own
//     transaction, absent for read-only and failed transactions.
//
// Every transaction function of the suite that commits is idempotent (it checks a marker or
// the state it creates), so the suite also passes on a DB that injects conflicts and unknown
// commit results, applied or not: RunConfig with Config{Faulty: true}, as kv/faulty runs it.
//
// Tuning constants (sizes, counts, limits, retry budgets, waits) are randomised per run; the
// seed is logged. The checks that need transactions to overlap wait for each other at a barrier
// with a short deadline, so a backend that serialises transactions costs one wait per check.
package kvtest
