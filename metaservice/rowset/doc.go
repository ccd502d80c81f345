// Package rowset stores rowset metadata in its three states:
//
//   - a recycle entry (RecycleRowset under keys.RecycleRowset): files that may exist in a vault
//     without a live rowset naming them — written before upload (prepare_rowset, also of a
//     compaction's output), for the tmp rowsets of an aborted txn, for the inputs a compaction
//     replaced and for the output of an aborted compaction; the recycler deletes the files of
//     expired entries;
//   - tmp (RowsetMeta under keys.RowsetTmp, by txn and tablet): uploaded and committed to a txn,
//     not visible;
//   - visible (RowsetMeta under keys.Rowset, by tablet and end version): part of the tablet's
//     version chain.
//
// This package moves nothing between states on its own and knows nothing of txn states: package
// txn owns the load state machine and package job the compaction swap; they call these functions
// inside their kv transactions. They may
// be called concurrently from different transactions.
package rowset
