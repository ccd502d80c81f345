// Package tablet reads a tablet at a version: it captures the rowsets visible at that version
// from the Meta Service (GetRowsets), opens their segments from the tablet's vault, applies the
// table model, and yields batches of the requested columns (found in each segment by unique id).
//
// A Snapshot is frozen at capture: rowsets committed later are never seen by it, so a scan reads
// one consistent version even while loads and compactions commit. Rowsets are read in version
// order and the segments of a rowset in segment order.
//
// Table models: DUPLICATE KEY tables keep every row, streamed segment by segment. AGGREGATE and
// UNIQUE KEY merge-on-read tables are merged across the rowsets of the snapshot by compute/model
// (rows of higher versions are newer): the scanner reads the key columns, the sequence column
// and the requested columns of the whole snapshot into memory on the first Next, folds them and
// then yields the requested columns in key order. (A streaming k-way merge is future work: a
// merged scan holds one tablet's rows of those columns in memory.) Merge-on-write UNIQUE tables
// are rejected with ErrUnsupported.
//
// Columns a segment does not have (added to the schema after the segment was written) read as
// the column's default value, or NULL.
//
// A Reader is safe for concurrent use; a Scanner is used by one goroutine.
package tablet
