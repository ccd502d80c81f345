// Package load writes the rows of a load transaction into tablets: the compute side of
// computepb.Write, and of Stream Load. A Session (Loader.Open) takes one partition's rows of one
// txn in any number of batches; Write is a Session with one Append. A session
//
//  1. checks the rows against the tablet schema (types, nullability, value ranges) — a violation
//     is an error wrapping ErrInvalidInput whose message names the column, row and value;
//  2. routes every row to its bucket's tablet (see "Data placement") and appends it to the
//     tablet's memtable;
//  3. flushes a memtable when it holds Loader.FlushBytes (64 MiB by default): sorts its rows by
//     the key columns (stable; NULL first) and applies the table model (compute/model): AGGREGATE
//     KEY tables fold rows with equal keys by each column's function, UNIQUE KEY tables keep the
//     last row per key in input order (or the one with the largest sequence value); the result is
//     the tablet's next segment. Before a tablet's first segment it reads the tablet's statistics
//     and refuses the load, with Doris's -235 text (TooManyVersionsError, ErrTooManyVersions),
//     when the tablet has MaxTabletVersionNum (default 2000) visible rowsets or more; then it
//     calls PrepareRowset (the recycle marker) with a fresh globally unique rowset id (128 random
//     bits, hex) BEFORE uploading anything to vault.SegmentPath(tablet, rowset, segment);
//  4. at Close, flushes the rest, then merges the segments of a rowset that overlap
//     (model.Merge, streaming) into one sorted run under a new rowset id — always for AGGREGATE and
//     UNIQUE tables, so each of their rowsets holds each key once (merge-on-write's publish,
//     package compute/publish, relies on it), and for DUPLICATE tables past MaxSegments (segment
//     compaction before commit);
//  5. when every upload succeeded, calls CommitRowset for each tablet (a tmp rowset of the txn)
//     and the Written hook (the node's compactor) with the tablets that got a rowset.
//
// A request with a delete_predicate (DELETE FROM on DUPLICATE/AGGREGATE tables) has no rows:
// every tablet of every partition of the sink gets a rowset with no segments carrying the
// predicate (PrepareRowset, CommitRowset; see delete.go), under the same -235 limit.
//
// It never commits the transaction. All-or-nothing per request: if anything fails before step 5,
// no rowset is committed (uploaded files stay behind their PrepareRowset markers, which the
// recycler reclaims). A failure during step 5 may leave some tmp rowsets committed to the txn;
// they stay invisible until CommitTxn, so the caller must abort the txn when Write fails. Write is
// not idempotent: retrying it in the same txn would load the rows twice.
//
// # Data placement
//
// The bucket of a row is stable forever (data placement depends on it; bucket pruning and
// colocation will too): bucket = CRC32C(encoding) mod number_of_buckets, where CRC32C is CRC-32
// with the Castagnoli polynomial (initial value 0, as hash/crc32.Checksum) over the concatenation,
// in distribution-column order, of each value's canonical encoding:
//
//	NULL                                      0x00
//	otherwise 0x01 followed by
//	  BOOLEAN TINYINT SMALLINT INT BIGINT
//	  DATE (days) DATETIME (microseconds)    8 bytes, little-endian two's complement
//	  LARGEINT, DECIMAL of any precision      16 bytes: low 64 bits then high 64 bits of the
//	                                          (unscaled) value, little-endian
//	  FLOAT DOUBLE                            8 bytes, little-endian IEEE-754 binary64 bits,
//	                                          -0 as +0 and every NaN as 0x7ff8000000000001
//	  CHAR VARCHAR STRING                     4-byte little-endian length, then the bytes
//	                                          (CHAR without trailing spaces)
//
// So equal values of TINYINT..BIGINT hash alike whatever their width, DECIMALs of one scale hash
// alike whatever their precision, and the string kinds hash alike. Tables without distribution columns (RANDOM) spread
// rows round-robin over the buckets, starting at a random bucket.
//
// A Loader is safe for concurrent use.
package load
