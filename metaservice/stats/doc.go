// Package stats keeps the statistics of each tablet, as Doris's Meta Service does: one
// TabletStats message under keys.TabletStats (the compaction fields: counts, times, cumulative
// point; and base values of the four sizes, zero at creation) plus four split counters under
// keys.TabletStatsCounter (num_rows, data_size, num_rowsets, num_segs), 8-byte little-endian
// int64s that commits and compactions change with kv atomic adds, so that concurrent loads into
// one tablet never conflict on its statistics. The answer Get gives is the message with each
// counter added to its base value.
//
// Invariant (kept by packages txn and job, which call Add in the kv transaction that changes the
// visible rowsets): the summed num_rowsets, num_rows, data_size and num_segments equal the count
// and sums over the tablet's visible rowsets.
//
// Column statistics (ANALYZE TABLE's, column.go) are one ColumnStats message per analyzed column
// under keys.ColumnStats: PutColumns replaces a column's, GetColumns reads them in name order,
// DropColumns clears them (a range clear for the whole table; the frontend drops them with the
// table). They are an estimate for the optimizer; nothing else keeps them in step with the data.
//
// Functions run inside the caller's kv transaction; they may be called concurrently from
// different transactions.
package stats
