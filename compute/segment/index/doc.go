// Package index holds the lightweight indexes a segment carries (FORMAT.md beside the segment
// package): zone maps (min, max and NULL count of a page or a whole segment), the ordinal index
// (row → page), the short-key index (a sort-key prefix every N rows, for seeking key ranges) and
// split-block bloom filters (one per page, for equality and IN). Each has a builder used by the
// writer, a byte encoding (protobuf wire format), and the queries a reader prunes with.
//
// Every query is conservative: it may answer "may match" for data that does not match, never the
// reverse. Values compare in SQL order for their type: numbers by value, DECIMAL by unscaled
// value, strings bytewise with CHAR ignoring trailing spaces, and NaN after every other float.
//
// Decoding never panics on arbitrary bytes: malformed input is an error wrapping
// encoding.ErrCorrupt. Decoded indexes are immutable and safe for concurrent use; builders are
// used by one goroutine at a time.
package index
