// Package segment writes and reads segment files: Doric's immutable columnar files (the byte
// layout is specified in FORMAT.md beside this file).
//
// A Writer encodes batches in one streaming pass to an io.Writer (WriteToVault pipes it into
// vault.Storage.Put), cutting each column into pages of about 64 KiB with a per-page zone map,
// then writes the footer and trailer. A Segment is opened from the tail of the file (one ranged
// read for the trailer and, usually, the footer) and reads only the pages of the columns asked
// for, one ranged read per page, decoding straight into column vectors.
//
// Corrupt or truncated input is an error wrapping ErrCorrupt, never a panic (FuzzOpen holds the
// decoder to that). A Writer and an Iterator are used by one goroutine at a time; an open
// Segment is immutable and safe for concurrent use (each Iterator has its own state).
package segment
