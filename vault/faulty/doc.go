// Package faulty is a vault.Storage wrapper for tests that injects faults into another storage
// and counts what passes through it.
//
// Faults are injected errors (classified ErrUnavailable by default, so vault.Retry retries
// them), added latency, and partial reads (a ReadAt that fills only a prefix of the buffer and
// then fails, as a connection cut mid-body would). An injected Put fault lets the inner Put
// consume part of the data and then fails its reader, so the inner backend's "a failed Put
// leaves nothing" rule is exercised too.
//
// Determinism: whether a call is faulted is a pure function of (seed, operation, path, and the
// number of earlier calls of that operation on that path), never of timing or goroutine
// interleaving. A test that repeats the same calls per path sees the same faults whatever the
// scheduling.
//
// The counters (Counts) record every call, faulted or not, and the bytes moved; with faults off
// the wrapper is the "counting vault" that tests use to assert how many GETs a cache issued.
// Config can be replaced at any time with SetConfig (e.g. faults on after a test's setup).
// Safe for concurrent use.
package faulty
