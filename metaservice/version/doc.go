// Package version stores the visible version of each partition: a PartitionVersion under
// keys.PartitionVersion. A partition that has never been loaded has no key and version 1 (Doris's
// initial partition version); each load commit moves it to the next version (package txn).
//
// Functions run inside the caller's kv transaction and may be called concurrently from
// different transactions.
package version
