// Package plan is the logical plan of a query: what the binder produces and frontend/opt rewrites
// and turns into a physical plan (api/planpb).
//
// A plan is a tree of Nodes. Every column a node produces has a ColumnID unique within the query
// (the binder hands them out from one Columns allocator), so a column keeps its identity as it
// travels up through filters, joins and projections: an expression refers to a column by id,
// never by position, and rewrites can move predicates and reorder joins without renumbering.
// Positions appear only in the physical plan.
//
// Nodes and what they output (Node.Columns):
//   - Scan: columns of one table (Cols[i] is table column ColIdx[i]); Filters are conjuncts over
//     them (after pushdown); Named limits the partitions (FROM t PARTITION (...)).
//   - Values: constant rows.
//   - Filter: its input's columns, rows where every conjunct is TRUE. Conjuncts may hold
//     subquery expressions (ExprSubquery) until frontend/opt decorrelates them.
//   - Project: one column per item; an item whose expression is a reference to the same id is a
//     pass-through.
//   - Join: Inner/Left/Right/Full/Cross: left then right columns; Semi/Anti/NullAwareAnti: the
//     left columns; Mark: the left columns then Mark (BOOLEAN). On is a list of conjuncts over
//     both sides (and, for a correlated Apply before decorrelation, outer columns).
//   - Aggregate: GroupBy items then Aggs; with GroupingSets, the grouping id column GroupingID
//     after the aggregates (the input is repeated once per set, the columns outside the set NULL).
//   - Window: its input's columns then one per function.
//   - Sort (with Limit > 0 a top-N), Limit: their input's columns.
//   - Union: Cols; Inputs[i] supplies InputCols[i] (UNION ALL; DISTINCT is an Aggregate above).
//   - AssertRows: its input's columns; the query fails when there are more than Max rows.
//
// Expressions (Expr) are typed: every call is resolved through compute/function and every
// implicit conversion is an explicit "cast" call. Subquery expressions (ExprSubquery) carry a
// Subquery: a scalar subquery, EXISTS or IN (the Not variants as not(...) around them); a plan
// inside may refer to columns of enclosing plans (a correlated subquery).
//
// The package holds data types and small helpers only; it is safe for concurrent use as long as a
// plan is not mutated while it is read.
package plan
