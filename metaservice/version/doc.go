// Package version stores the visible version of each partition and the version of each table.
//
// A partition's version is a PartitionVersion under keys.PartitionVersion. A partition that has
// never been loaded has no key and version 1 (Doris's initial partition version); each load commit
// moves it to the next version (package txn). The value also lists the lazy commits (package txn)
// that reserved a version of the partition but have not made all their rowsets visible yet
// (pending_txn_ids); readers must finish those before they answer, and nothing here hides them.
//
// A table's version is an 8-byte little-endian counter under keys.TableVersion, bumped with kv
// atomic add (so concurrent commits into different partitions of one table do not conflict on
// it); 0 for a table never changed. Commits bump it, and partition/index commits and drops that
// ask for it.
//
// Functions run inside the caller's kv transaction and may be called concurrently from
// different transactions.
package version
