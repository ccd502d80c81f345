// Package stream runs Stream Load on a compute node: Doris's HTTP load API
// (`curl --location-trusted -u user:pass -H "label:l" -T file -XPUT
// http://host:port/api/{db}/{table}/_stream_load`), reached through the frontend's 307 redirect
// or directly. The compute node coordinates the load, as Doris's BE does (docs/rfcs/stream-load.md):
//
//  1. headers → Options (ParseOptions); a bad header fails the load before anything starts;
//  2. the plan (loadpb.PlanResponse) from the frontend's POST /api/_load_plan, with the user's
//     Authorization header (the frontend authenticates and binds `columns` and `where`);
//  3. BeginTxn with the label at the Meta Service (a label in use answers "Label Already Exists"
//     with ExistingJobStatus RUNNING or FINISHED);
//  4. the body, decompressed (compress_type) and read in its format (package format), chunk by
//     chunk: each chunk's text is turned into table rows (below), the rows are routed to their
//     partitions (below) and appended to one accumulator per partition;
//  5. filtered / (total − unselected) > max_filter_ratio fails the load ("too many filtered
//     rows"); otherwise one Write per partition (package load), then the commit through
//     Config.Committer (the node's publish, package compute/publish) — or PrecommitTxn
//     with two_phase_commit, the commit or abort coming later through _stream_load_2pc;
//  6. the Result, rendered exactly as Doris renders it. Any failure after BeginTxn aborts the
//     transaction: a load is all-or-nothing.
//
// # Rows
//
// A source row becomes a table row by evaluating the plan's target expressions (compute/expr)
// over the row's text columns and casting each result to its column's type. A row is filtered
// (counted in NumberFilteredRows and reported, with its line, column, value and reason, in the
// error log behind ErrorURL) when the reader rejects it (wrong number of CSV fields, a JSON line
// that is not an object), when an expression fails on it, when a value that is not NULL does not
// convert and either strict_mode is set or the column is NOT NULL (without strict_mode such a
// value becomes NULL, as in Doris), when a NOT NULL column gets NULL, when a string is longer
// than its CHAR/VARCHAR column or when no partition the load may write holds it. A row the
// `where` filter rejects is unselected (NumberUnselectedRows), not filtered.
//
// # Throughput
//
// The body is parsed on a goroutine of its own, a few chunks ahead of the conversion (the format
// reader is still used by one goroutine). Source columns taken as is into integer, DECIMAL (up to
// 18 digits) and DATE columns are parsed by fast paths for their plain spellings; every other
// spelling goes through expr.Cast, so the values and the rejections are expr.Cast's
// (FuzzFastCast). Each partition keeps the converted vectors of every chunk and joins them once,
// when it is written. `make bench-load` measures the whole path (test/duckbench).
//
// # Partitions
//
// The plan carries the table's partitioning and the bounds of the partitions the load may write
// (all of them, or those the `partitions` header names); package compute/partition routes each
// chunk's rows over those bounds, as INSERT routes on the frontend. A row no partition holds is
// filtered ("no partition for value '...' of column '...'", "in partitions p1, p2" for a
// restricted load). For an AUTO PARTITION table and an unrestricted load the converter first
// sends the chunk's keys that no partition holds, each once, to the frontend's
// POST /api/_auto_partitions, which creates the partitions (Doris's names and bounds) and
// answers the partitions holding them; they join the load (new accumulators, router rebuilt)
// and the chunk is routed again. A failure there fails the load. The load still writes once per
// partition, in one transaction.
//
// # Group commit
//
// With `group_commit: sync_mode` (or async_mode) a load is converted and checked on its own (its
// own filter ratio), then its rows join the table's open group (by partition: loads that saw
// different partitions fold together): one transaction, labelled
// group_commit_<id>, begun when the group opens and committed when the table's
// group_commit_interval_ms has passed or its group_commit_data_bytes are reached. Each load
// answers once its group has committed, with the group's TxnId and Label and "GroupCommit": true.
// async_mode answers at the same point: Doric has no write-ahead log yet, and answering before
// the commit could lose acknowledged rows.
//
// A Service is safe for concurrent use; each load runs on its request's goroutine.
package stream
