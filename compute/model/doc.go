// Package model applies a table model (DUPLICATE, AGGREGATE or UNIQUE KEY) to rows: it sorts
// them by the key columns and folds rows with equal keys. The load path applies it to the rows
// of one load for one tablet before a segment is written (the memtable), and the tablet reader
// applies it across the rowsets of a captured version (merge-on-read).
//
// Contract of Apply: the input batch holds rows in age order — a row later in the batch is newer
// (later in the load's input, or from a higher version). The output is sorted by the key columns
// (NULL first, stable) and, for AGGREGATE and UNIQUE tables, has one row per distinct key:
//
//   - DUPLICATE: every row kept.
//   - AGGREGATE: each value column folded by its function. SUM adds the non-NULL values, MAX and
//     MIN keep the largest / smallest non-NULL value (NULL only when every value is NULL),
//     REPLACE keeps the newest value (NULL included), REPLACE_IF_NOT_NULL the newest non-NULL
//     value. Integer SUMs wrap at the column's width (TINYINT at 8 bits ... LARGEINT at 128), as
//     Doris's native adds do; DECIMAL SUMs are not checked against the precision.
//   - UNIQUE: the newest row wins; with a sequence column the row with the largest sequence
//     value wins (NULL is smaller than every value), ties to the newest.
//
// Merge is the streaming form, for runs that are already sorted and folded (segments, rowsets):
// a k-way merge holding one batch per run, whose output equals Apply of the runs concatenated
// oldest first. Memtable flushes, segment compaction before commit, and compaction use it.
//
// Keys compare as vector.Comparator with NULL equal to NULL and before every value.
//
// A Model is immutable and safe for concurrent use.
package model
