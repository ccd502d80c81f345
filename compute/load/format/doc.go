// Package format reads the bodies of stream loads — CSV (with or without a header line), JSON and
// Parquet — into chunks of text columns: one STRING vector per source column, NULL where the
// source says NULL (CSV `\N`, JSON null, a missing JSON key or path, a Parquet null).
// Conversion to the table's types is not done here: the caller casts the text (package stream),
// so one conversion path serves every format.
//
// # Contract
//
//   - A Reader returns chunks until io.EOF. Each chunk holds at most the configured number of
//     rows (and roughly the configured number of bytes); its slices stay valid after later calls.
//   - A row the reader cannot split into the expected columns (a CSV line with too few or too
//     many fields, a JSON line that is not an object, an unterminated enclosure) is not an error
//     of the read: it is a RowError in the chunk, so the caller counts it as a filtered row and
//     reports it. Every RowError names the 1-based line and column where it was found and the
//     offending text.
//   - A body the reader cannot continue through (a JSON document with a syntax error, a Parquet
//     file that does not open, a record longer than MaxRecordBytes) ends the read with a
//     *SyntaxError, which also names line and column (for Parquet: the row group and column).
//   - No input makes a reader panic; FuzzCSV and FuzzJSON check this, and that every error names
//     its line and column.
//
// Line numbers count line delimiters from the start of the body (1-based), including delimiters
// inside enclosed CSV fields and the lines a reader skips (skip_lines, the csv_with_names header),
// so they match what an editor shows. Columns are 1-based: the field number for CSV, the byte in
// the line for JSON.
//
// A Reader is used by one goroutine.
package format
