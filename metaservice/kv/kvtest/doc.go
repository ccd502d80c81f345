// Package kvtest is the conformance suite of kv.DB: every backend runs Run against fresh stores.
// It checks the behaviour the package kv documents — reads, writes, ranges, atomic add, limits
// and their typed errors, retries, isolation — and nothing backend-specific (durability across
// processes is each backend's own test). Tuning constants (sizes, counts, limits, retry budgets)
// are randomised per run; the seed is logged.
package kvtest
