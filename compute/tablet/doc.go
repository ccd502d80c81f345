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
// are read without merging and streamed like DUPLICATE ones: on the first Next the scanner
// fetches the delete bitmaps of the snapshot's rowsets (GetDeleteBitmap) and unions those that
// apply at the snapshot version (ApplyBitmaps, FORMAT.md), and skips the rows they mark; their
// rows come in version order, not key order.
//
// Deletes, for every model: the rows of a rowset that a delete predicate of a newer rowset of
// the snapshot matches (RowsetMeta.delete_predicates: rows of rowsets whose end_version is below
// the delete rowset's start_version; DeletePredicate, exported for compaction) are skipped
// before any merge; then rows whose hidden delete-sign column (TabletSchema.delete_sign_idx) is 1
// — after the merge, or after the bitmaps — are tombstones and skipped. The scanner reads the
// columns these need even when they are not asked for. Batches carry no selection vector,
// except with Filter.
//
// Late materialization: Scanner.Filter hands a streamed scan (DUPLICATE, merge-on-write) the
// query's conjuncts; it keeps those that are deterministic and cannot fail, and for each batch
// reads the columns they need (with the delete sign and the columns of the delete predicates
// that apply) first, drops deleted rows and tombstones, evaluates the conjuncts on the rest,
// and reads the other columns (segment.IteratorOptions.Lazy) only when a row is left. Its
// batches carry the selection of the rows left. Every row of those models stands alone, so
// filtering it by its own values commutes with delete bitmaps, delete predicates and
// tombstones; merged scans ignore Filter (a row that fails the query may still decide a fold).
// A scan in which nearly every batch keeps rows (every column is read anyway) stops filtering
// after a probation of batches and returns whole batches: its caller filters them once.
// Scanner.Applied says, per batch, how many of the leading conjuncts its selection satisfies
// already, so that the caller evaluates only the rest.
//
// Scanner.TrackOrigins makes a scan that does not merge (DUPLICATE, merge-on-write) report where
// each row it yields is stored (Origins: rowset, segment, row ordinal): merge-on-write
// compaction's row-id map. Covered is ApplyBitmaps's rule for bitmaps of failed publishes.
//
// Merge-on-write primary keys: a segment's key columns are its primary-key index (SegmentKeys,
// AppendKey's memcomparable encoding), read by Reader.SegmentKeys and cached per node by a
// KeyCache; package compute/publish uses them to compute bitmaps.
//
// Columns a segment does not have (added to the schema after the segment was written) read as
// the column's default value, or NULL.
//
// Scanner.Reuse lets a streamed scan decode into the buffers of earlier pages: a batch is then
// valid until the next Next (for consumers that keep nothing of it, such as aggregations).
//
// A Reader is safe for concurrent use; a Scanner is used by one goroutine.
package tablet
