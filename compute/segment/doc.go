// Package segment writes and reads segment files: Doric's immutable columnar files. The byte
// layout is specified in FORMAT.md beside this file; subpackage encoding holds the page value
// streams and block compression, subpackage index the zone maps, ordinal, short-key and bloom
// indexes.
//
// Writing: a Writer encodes batches in one streaming pass to an io.Writer (WriteToVault pipes
// it into vault.Storage.Put). Each column is cut into pages of about 64 KiB; each page is
// encoded with the value stream that suits its data and compressed with the table's codec
// (Options.Compression, from the table property "compression"); pages are written in per-column
// chunks, then the indexes, the footer and the trailer. Rows must arrive sorted by the first
// Options.NumSortKeyColumns columns (the writer checks it at every short-key entry).
//
// Reading: Open reads the tail of the file once (trailer, footer and usually the indexes) and
// validates the footer. An Iterator reads only the columns asked for and only the pages that
// hold rows left after pruning: IteratorOptions.Predicates (column op constant, IN lists, NULL
// tests) are checked against the segment zone maps, the short-key index (equalities and a
// range on leading sort-key columns), the page zone maps and the bloom filters (= and IN), and
// the surviving rows are read with one ranged read per run of consecutive pages, decoding
// straight into column vectors. Pruning is conservative: callers filter the rows exactly.
//
// Late materialization: Next reads every column of a batch; Advance moves to the next batch
// without reading, and Column reads the columns the caller asks for, so a caller can read the
// columns of its predicates, evaluate them, and read the others only for batches with rows
// left. Pages of columns named in IteratorOptions.Lazy are read only when asked for (with a
// read-ahead that grows while the asks are consecutive): a page no batch asks for is never
// decoded nor looked up in the Cache.
//
// Caching: a node's Cache (Doris's storage page cache) holds open segments and decoded pages in
// memory, least recently used out first; Cache.Open returns a segment whose Iterators take pages
// from it and put the pages they decode into it. Cached vectors are shared and never written.
// Pages of strings are cached without a pointer per value, so that a full cache costs the
// garbage collector next to nothing to mark: the decoded bytes, the NULL bitmap and each row's
// offsets into the bytes (a strPage). A reader gets such a page as a vector whose values point
// into the cached bytes (never copied); the page keeps that vector only weakly, so readers share
// it until the first GC cycle in which no reader holds it, and the next read makes it anew
// (one pass over the offsets per page and GC cycle). The vectors of a string page, like every
// cached vector, are never written, also with IteratorOptions.Reuse.
//
// Corrupt or truncated input is an error wrapping ErrCorrupt that names the file and what is
// wrong, never a panic (FuzzOpen holds the reader to that). Errors of the vault pass through
// wrapped. A Writer and an Iterator are used by one goroutine at a time; an open Segment is safe
// for concurrent use (its indexes load lazily under a mutex; each Iterator has its own state).
package segment
