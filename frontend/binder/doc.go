// Package binder resolves parsed statements against the catalog and turns them into what the
// rest of the frontend executes:
//
//   - BindSelect / BindQuery: a query → a logical plan (frontend/plan) → frontend/opt's rewrites,
//     join order and physical planning → one plan fragment (api/planpb) plus the result columns.
//     The binder resolves names across joins (ON, USING — the bare name is the left column, the
//     right one for RIGHT JOIN — qualified names, table and derived-table aliases, derived-table
//     column aliases), inlines CTEs at each reference (WITH RECURSIVE is not supported), binds
//     subqueries (scalar, EXISTS, IN, = ANY) with correlated references to enclosing blocks
//     (derived tables and CTEs see no enclosing block), GROUP BY with ROLLUP / CUBE / GROUPING
//     SETS (GROUPING(e) / GROUPING_ID(e, ...) computed from the grouping id's bits), HAVING,
//     DISTINCT, ORDER BY / LIMIT, and set operations (UNION [ALL]; INTERSECT and EXCEPT DISTINCT
//     as semi / anti joins on <=> under a DISTINCT aggregation; INTERSECT ALL / EXCEPT ALL as the
//     same joins that also match the copy numbers row_number() OVER (PARTITION BY every column)
//     of both sides; both sides cast to the common type). A block's plan is Scan/Join/Values →
//     [Filter: WHERE] → [Aggregate] → [Filter: HAVING] → [Window ...] → Project → [Aggregate:
//     DISTINCT] → [Sort, a top-N with LIMIT] → [Limit] → [Project: drops hidden ORDER BY
//     columns]. Column ids are unique in the statement; every implicit conversion is an explicit
//     "cast" call; every call is resolved through compute/function.
//   - Window functions (window.go): f(...) OVER (...) in the select list and ORDER BY (elsewhere
//     an error), over the aggregated rows when the block aggregates. Calls with equal PARTITION
//     BY, ORDER BY and frame share one plan.Window (frame-independent functions — row_number,
//     rank, dense_rank, ntile, lag, lead — join any node with their keys); nodes with equal keys
//     are stacked so one sort serves them. Checked as Doris: a frame needs ORDER BY, offsets are
//     non-negative integer constants, the start is not after the end, RANGE offsets need one
//     numeric or DATE key; ntile's buckets and lag/lead's offset are constants.
//   - Expressions: X [NOT] REGEXP|RLIKE P → regexp / not_regexp; LIKE ... ESCAPE c → like(x, p,
//     c); d ± INTERVAL n unit and DATE_ADD / DATE_SUB / ADDDATE / SUBDATE(d, INTERVAL n unit) →
//     <unit>s_add / <unit>s_sub; EXTRACT(unit FROM d) → the unit's function; literal arguments
//     pass their text (function.Arg.Const: round(d, 2)'s scale, str_to_date's type); aggregates
//     take several arguments (GROUP_CONCAT's separator, PERCENTILE_APPROX, APPROX_COUNT_DISTINCT)
//     and GROUP_CONCAT(... ORDER BY ...) (plan.AggCall.OrderBy). Constant folding (fold.go): a
//     call over literals is evaluated at bind time by compute/expr (the compute nodes'
//     evaluator) into a literal, unless it fails (overflow: left for run time) or reads the
//     query's time; now([n]), current_date() and unix_timestamp() fold to the statement's time
//     (now and current_date as local times in the session's time zone, QueryOptions.Location,
//     which the compute nodes also get for FROM_UNIXTIME and the like), so they are one value
//     per statement.
//   - A scalar subquery keeps its text (plan.Subquery.Text) for the run-time error when it
//     returns more than one row (see frontend/opt).
//   - A Catalog that also implements opt.Stats (see StatsCatalog) supplies row counts for the
//     join order.
//   - BindInsert: INSERT ... VALUES → a commonpb.Batch holding every column of the table in
//     schema order, values converted and range-checked (strict, as Doris's strict mode).
//   - BindInsertSelect: INSERT ... <query> (any query expression: SELECT, set operations, WITH,
//     a parenthesised query) → the bound query plus the mapping of its result columns
//     to the table's (InsertSelect.Add converts result batches strictly, with INSERT ... VALUES's
//     row/column/value messages; Rows is the load batch). BindUpdate and BindDelete (UNIQUE KEY
//     tables) bind to the same write-back: the matching rows with SET applied, or with the hidden
//     delete sign set to 1. BindDelete on DUPLICATE/AGGREGATE tables → a commonpb.DeletePredicate
//     (Doris's delete-predicate forms and messages) and the partitions it applies to.
//   - Hidden columns: UNIQUE KEY tables get __DORIS_DELETE_SIGN__ TINYINT NOT NULL DEFAULT "0"
//     REPLACE as their last column (catalog.Column.Hidden); SELECT *, INSERT without a column
//     list and stream loads without a columns header leave it out (it takes its default).
//   - BindLoad: a stream load's `columns` and `where` headers → one expression per table column
//     over the body's columns (all STRING) and a filter over the table's columns (frontend/load
//     ships them to the compute node running the load).
//   - BuildTable: CREATE TABLE → a validated *catalog.Table with column unique ids 0..n-1; all
//     other ids are left zero for the DDL executor to assign. PARTITION BY RANGE/LIST (and AUTO
//     PARTITION) becomes Table.Partitioning plus each partition's name and bounds, computed and
//     checked as Doris does (package partition); FROM .. TO .. INTERVAL is expanded.
//   - AddPartition: ALTER TABLE ADD PARTITION → the partition (bounds against the table's
//     existing partitions) and its bucket count. Partitions: a PARTITION (p, ...) clause → the
//     partitions it names (ErrUnknownPartition otherwise).
//   - Partition pruning: BindSelect records in Query.Scans the partitions each scan reads — the
//     FROM clause's PARTITION list, minus those whose range or list the scan's conjuncts (after
//     pushdown) rule out (=, <, <=, >, >=, BETWEEN, IN, IS NULL, AND, OR over a partition column
//     and constants); EXPLAIN prints partitions=k/n and tablets=k/n on the scan.
//   - BuildStorageVault / BuildVaultAlter / CheckAlterType: CREATE and ALTER STORAGE VAULT →
//     the metapb vault description or alteration, properties validated as Doris names them (see
//     docs/rfcs/storage-vaults.md); unknown properties are errors.
//   - Explain / ExplainVerbose / FormatPlan: a readable rendering of a plan (EXPLAIN and golden
//     tests): joins with their keys, other conditions and runtime filters (rfN[type build_key=i ->
//     [scan node].#column]); VERBOSE adds each node's estimated rows and distribution.
//
// Decisions (Doris 2.1 behaviour unless noted):
//   - Without a key clause a table is DUPLICATE KEY on its leading columns, chosen as Doris does:
//     at most 3 columns within 36 bytes of short key, stopping before FLOAT/DOUBLE/STRING and
//     after the first VARCHAR. If any column carries an aggregation type, the table is AGGREGATE
//     KEY on the columns without one.
//   - Without DISTRIBUTED BY a table is DISTRIBUTED BY RANDOM BUCKETS AUTO, which UNIQUE KEY
//     tables reject (they need HASH). BUCKETS AUTO (or no BUCKETS) resolves to AutoBuckets (10,
//     Doris's default_bucket_num); sizes are not estimated.
//   - Columns are nullable unless declared NOT NULL. A partition column may be any non-aggregated
//     column of an allowed type (integers and dates; also BOOLEAN, CHAR and VARCHAR for LIST) —
//     of a merge-on-write UNIQUE table only a key column — and may be nullable, as Doris with
//     allow_partition_column_nullable (its default), except under AUTO PARTITION BY RANGE.
//   - Partition names follow Doris's rule (a letter, then letters, digits, _ and -; at most 64)
//     and are unique regardless of case. ADD PARTITION with BUCKETS AUTO (or no DISTRIBUTED BY)
//     takes the table's bucket count; its HASH columns must be the table's.
//   - Scans output at least one column: a query that needs none (SELECT COUNT(*) FROM t) reads
//     the first column.
//   - Name resolution: column names are case-insensitive, table and database names exact. ORDER
//     BY prefers a select-list alias over a column of the same name; GROUP BY and HAVING prefer
//     the column. DECIMAL literals get DECIMAL(digits, fraction digits); integer literals the
//     narrowest integer type; string literals VARCHAR(byte length).
//
// Errors are *Error with a Code the MySQL edge maps to an error number; they carry the position
// of the offending construct and, for INSERT values, the 1-based row and the column name.
//
// The package is stateless: every function may be called concurrently, provided the catalog
// objects passed in are not mutated meanwhile.
package binder
