// Package binder resolves parsed statements against the catalog and turns them into what the
// rest of the frontend executes:
//
//   - BindSelect: a SELECT → a plan fragment (api/planpb) plus the result columns. The plan is
//     OlapScan (only the needed columns; WHERE conjuncts pushed into the scan) or Values (no FROM)
//     → [Aggregate AGG_COMPLETE] → [Filter: HAVING] → Project → [Aggregate: DISTINCT] → [Sort,
//     a top-N when there is a LIMIT] → [Limit] → [Project: drops hidden ORDER BY columns].
//     Every ColumnRef indexes the input batch of the node that evaluates it; every implicit
//     conversion is an explicit "cast" call (casts of literals are folded); every call is
//     resolved through compute/function, whose canonical names the plan carries.
//   - BindInsert: INSERT ... VALUES → a commonpb.Batch holding every column of the table in
//     schema order, values converted and range-checked (strict, as Doris's strict mode).
//   - BuildTable: CREATE TABLE → a validated *catalog.Table with column unique ids 0..n-1; all
//     other ids are left zero for the DDL executor to assign.
//   - BuildStorageVault / BuildVaultAlter / CheckAlterType: CREATE and ALTER STORAGE VAULT →
//     the metapb vault description or alteration, properties validated as Doris names them (see
//     docs/rfcs/storage-vaults.md); unknown properties are errors.
//   - Explain / FormatPlan: a readable rendering of a plan (EXPLAIN and golden tests).
//
// Decisions (Doris 2.1 behaviour unless noted):
//   - Without a key clause a table is DUPLICATE KEY on its leading columns, chosen as Doris does:
//     at most 3 columns within 36 bytes of short key, stopping before FLOAT/DOUBLE/STRING and
//     after the first VARCHAR. If any column carries an aggregation type, the table is AGGREGATE
//     KEY on the columns without one.
//   - Without DISTRIBUTED BY a table is DISTRIBUTED BY RANDOM BUCKETS AUTO, which UNIQUE KEY
//     tables reject (they need HASH). BUCKETS AUTO (or no BUCKETS) resolves to AutoBuckets (10,
//     Doris's default_bucket_num); sizes are not estimated.
//   - Columns are nullable unless declared NOT NULL. PARTITION BY is parsed but rejected here as
//     not supported yet (catalog.Table has no partition bounds).
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
