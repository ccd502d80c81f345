// Package computetest holds test doubles for the compute packages' tests. It is a test harness:
// production code never imports it.
//
// FakeMeta is an in-memory stand-in for the Meta Service client, just enough for compute tests
// (vaults, transactions, tmp and visible rowsets, partition versions). It is not the Meta Service
// (that lives in metaservice/) and models only its contract as compute uses it. Safe for
// concurrent use.
package computetest
