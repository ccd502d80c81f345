// Package exec runs plan fragments: it builds a tree of operators from a planpb.PlanNode and
// pulls batches through it.
//
// Operator contract (pull-based; one operator is driven by one goroutine at a time):
//   - Types is the output schema, fixed at Build.
//   - Open prepares the operator (and its children); Next returns the next batch, or nil at the
//     end (after which it keeps returning nil); Close releases resources and is safe to call
//     after any failure, and more than once.
//   - A returned batch is not empty (Len() > 0), its columns have the types Types says, and it
//     is never modified afterwards by the operator (consumers may keep it). Operators read their
//     input through its selection vector and narrow selections rather than copy where they can
//     (filter, limit); project shares input columns it passes through.
//
// Operators: OlapScan (tablet rows through a TabletSource, with conjuncts and runtime filters;
// conjuncts a tablet iterator says it applied to a batch — Applied() — are not evaluated again),
// Filter, Project, Aggregate (hash aggregation: AGG_COMPLETE, AGG_PARTIAL, AGG_FINAL), Sort
// (stable, with top-N when it has a limit), Limit, Values, HashJoin and NestedLoopJoin (children: left = probe, right =
// build), Union (n children), Repeat (grouping sets), Window. Build checks each node's number of
// children; BuildOn builds one node over operators the caller made. A node named by SharedNodes
// (shared.go) runs once: its place and theirs read one in-memory spool of its output.
//
// Pipeline tasks (Env.Parallelism = N > 1, Doris's parallel_pipeline_task_num; parallel.go):
// Build splits the plan into parts. A scan's ranges are cut into up to N contiguous chunks, one
// scan each; filter, project and repeat run per part; joins that output nothing from the build
// side after the probe (inner, left outer/semi/anti, null-aware anti, mark) probe per part
// against one build side built once and shared read-only. An AGG_COMPLETE aggregate whose calls
// have small states (count, sum, avg, min, max, any_value, bool_and, bool_or, no DISTINCT) runs
// in two phases: an AGG_PARTIAL aggregate per part, then AGG_FINAL — one over a gather for a
// global aggregate, N over a hash-partitioning local exchange of the partial states for a
// grouped one; a grouped aggregate with partition_by runs once per partition of an exchange by
// those keys (its parts then hold whole groups of them, for a colocated aggregate above). A grouped partial that has read Env.StreamAggAfter rows and made more than half
// as many groups outputs its groups and passes the rest of its input on as one state per row
// (streaming pre-aggregation). Other grouped aggregates get their input rows through the
// hash-partitioning exchange (equal group keys meet in one of N aggregations); sorts (and
// top-N) run per part under a merge that breaks ties by part, which reproduces the serial
// stable order exactly. Everything else (limit, window, other global aggregates, right/full
// outer and right semi/anti joins, values) reads its input as one stream through a gather. The
// local exchanges run their parts in goroutines started on the first Next, stop them on Close
// or on the first error (which the query fails with), and close the parts only after they
// stopped; consumers above them see the ordinary contract. Results equal the serial ones as
// multisets, and in order wherever the plan orders (LIMIT without ORDER BY may pick other rows).
//
// Aggregation (agg.go, aggtable.go): group ids come from a table of the key tuples — a direct
// index for one or two one-byte string keys (flags), an open-addressing table over the keys
// packed into words while every value fits one (integers, dates, strings of up to 7 bytes),
// else over hashes computed a column at a time with the keys compared column by column. The
// table copies its keys (strings too) and the states of count/sum/avg/min/max/... hold no
// reference into the input, so such an aggregate lets the scans feeding it (through filters
// and projects, in its goroutine) reuse their decode buffers (tablet.Scanner.Reuse: a batch is
// valid until the next Next). Predicates (filters, scan conjuncts, join conditions), aggregate
// arguments, group keys and the exchange's hash keys are compiled with expr.Env.Scratch, and
// filters select through expr.Expr.Select.
//
// Memory (Env.Memory, one MemTracker per query with the limit exec_mem_limit): hash join build
// sides, aggregation hash tables (keys, entries, state slots), sort buffers and window
// partition buffers reserve what they hold and release it at Close; a reservation beyond the
// limit fails the query with a *MemLimitError (errors.Is ErrMemLimitExceeded) that names the
// limit. Everything reserved is released once every operator closed, whatever happened.
//
// Cancellation: operators check ctx between batches (scans, filters, join build and probe
// loops, sort buffering, the exchanges); a sort checks it every few thousand comparisons. A
// cancelled query fails with ctx's error.
//
// Open does not pull rows. Blocking operators consume their input on the first Next: a join
// consumes its whole build side, builds its hash table and publishes its runtime filters before
// it pulls the first probe batch, so a scan in the probe subtree of the same fragment sees the
// filters before it reads a row.
//
// Joins. A pair (left row, right row) matches when the hash join's keys are equal (NULL equals
// nothing unless null_safe; key types must compare by value: integers and DECIMALs of one scale,
// with int64 and 128-bit values widened alike, floats, DATE, DATETIME, strings with CHAR ignoring
// trailing spaces — anything else is ErrBadPlan) and other_condition is TRUE; for the nested-loop
// join, when its condition is TRUE. A pair "possibly matches" when the hash join's key tuple
// compares NULL (no component differs, some is NULL) and other_condition is TRUE, or the
// nested-loop condition is NULL. NULL_AWARE_LEFT_ANTI outputs a left row when it has no match and
// no possible match; LEFT_MARK's mark is TRUE with a match, else NULL with a possible match and
// null_aware_mark, else FALSE. RIGHT/FULL OUTER, RIGHT_SEMI and RIGHT_ANTI output their build
// rows after the probe side ends. Output order is unspecified beyond: pairs of one probe batch
// come before the next batch's. Batches are at most BatchSize rows for pair outputs (a probe row
// with many matches is chunked). The build side is charged to Env.Memory (rows, keys and table).
//
// Hash join internals (join.go, joinbuild.go, jointable.go, hash.go): the build batches are kept
// until the build side ends; their keys are then hashed batch by batch and the rows laid out by
// bucket (a counting sort: per bucket its first row, the rows of a bucket contiguous and in input
// order, the rows with a NULL key that is not null-safe last), and the keys and build columns are
// concatenated once at the total size directly in that order; a build key that is a build column
// shares it. A probe row's candidates are thus one contiguous run: the run's hashes (with int64
// keys only, none null-safe, the keys themselves, row-major when there are several), keys and
// the build columns its pairs gather are read sequentially. One string key is compared inline,
// null-safe and other keys through per-key functions. A probe batch's hashes are computed a
// column at a time, and bucket bounds are loaded (and their first entries touched) a few hundred
// rows at a time before the runs are scanned, so that cache misses overlap. RIGHT_SEMI and
// RIGHT_ANTI pass over build rows already matched. A chunk of pairs without other_condition whose
// probe rows are ascending and at least half of the probe batch's physical rows is output over
// the probe batch's own columns (selected by the probe rows) with the build columns scattered to
// them; other chunks are gathered. The build side's memory (rows, keys, bucket offsets, hashes or
// row-major keys, and the layout's row map) is reserved before the probe starts.
//
// Runtime filters (Env.RuntimeFilters): when a hash join of type INNER, LEFT_SEMI, RIGHT_OUTER,
// RIGHT_SEMI or RIGHT_ANTI completes its build side it publishes the filters its node lists (for
// other types, whose unmatched probe rows are output, they are ignored): RF_MIN_MAX keeps values within the
// build keys' range, RF_IN_OR_BLOOM is an exact IN set up to MaxInFilterValues distinct keys and a
// bloom filter beyond, RF_BLOOM a bloom filter. NULLs pass only for a null-safe key with a NULL
// build key. A scan narrows each batch's selection by the filters published for it so far; a
// filter whose key class does not match the target column's type is skipped. The planner places
// a filter only where the probe key is the target column itself (or a widening cast of it).
//
// AssertRows (assertrows.go) passes its input through and fails with *TooManyRowsError (Doris's
// "Expected LE n to be returned by expression ...") once more than max_rows rows have passed.
//
// Union passes its children's batches through in child order; children's column types must have
// the first child's representation (they are relabelled). Repeat outputs each input batch once per
// grouping set, sharing the columns that stay and adding the BIGINT grouping id.
//
// Window: input sorted by partition_by then order_by (the planner's job). A partition is buffered
// until the partition key changes, then every function is computed over it. Frames are
// contiguous row ranges: ROWS offsets count rows; RANGE CURRENT ROW means the peer group (equal
// ORDER BY values); RANGE offsets need one numeric or DATE ORDER BY key and bound the key's value
// (descending keys count "preceding" towards larger values); a NULL key's offset frame is its peer
// group, and a non-NULL row's offset bound is placed among the non-NULL rows (a frame from
// UNBOUNDED PRECEDING still starts at the partition's first row, NULLs first). row_number, rank, dense_rank,
// ntile, lag and lead ignore the frame. sum/avg are exact for integers and DECIMALs (128-bit
// frame sums, DECIMAL avg divided by compute/expr's "divide" with the result type, overflow is
// expr.ErrOutOfRange); float sums over sliding frames are prefix differences.
//
// NULL placement in Sort is exactly SortKey.nulls_first, independent of the direction: the
// planner sets it (MySQL's default is nulls_first = true for ASC and false for DESC; NULLS
// FIRST/LAST override it). A proto3 bool cannot be "unset", so the executor has no default. Errors from expressions keep their classes (expr.ErrOutOfRange,
// expr.ErrBadPlan); a plan this package cannot build wraps expr.ErrBadPlan.
package exec
