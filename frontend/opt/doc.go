// Package opt turns a bound logical plan (frontend/plan) into a physical plan (api/planpb):
// rewrites, join order, then physical planning. Build is the entry point; the binder calls it.
//
// Pipeline (each step a plain function over plan.Node trees, in this order):
//
//  1. Decorrelation (decorrelate.go). Every subquery expression becomes a join: EXISTS / NOT
//     EXISTS conjuncts → semi / anti joins whose condition is the subquery's correlated
//     conjuncts (pulled up out of its filters and inner joins); x IN (q) → semi join on the
//     subquery's comparison; NOT (x IN (q)) → null-aware anti join (SQL's NOT IN); a scalar
//     subquery → a cross join with its single row when uncorrelated (a left join when it is not
//     provably one row), and when correlated by equalities below an aggregate without GROUP BY
//     → a left join with that aggregate grouped by the correlated columns (COUNT wrapped in
//     ifnull(…, 0)); an uncorrelated scalar subquery that is not provably one row is a left join
//     with a plan.AssertRows (max 1) over it, so more than one row fails the query with Doris's
//     "Expected LE 1 to be returned by expression ..."; EXISTS / IN anywhere else (under OR, in the select list) → a mark join whose
//     BOOLEAN mark column replaces it (three-valued for IN). Other correlated shapes (LIMIT, a
//     correlation that is not an equality under an aggregate, ...) are ErrUnsupported.
//  2. Predicate pushdown (pushdown.go): conjuncts move down through projections (substituted),
//     aggregations (those on grouping columns), unions, sorts without a limit, into the outer side
//     of outer joins and the left side of semi/anti/mark joins, below windows (conjuncts over
//     bare PARTITION BY columns only), and into scans (OlapScan conjuncts). A LEFT/RIGHT/FULL join under a predicate that rejects the NULLs of an inner
//     side becomes an inner (or one-sided) join. ON conjuncts over one side of an outer or semi
//     join filter that side first. TRUE conjuncts are folded away.
//  3. Join order (joins.go): a tree of inner and cross joins is flattened into relations and
//     conjuncts; conjuncts over one relation go into it; equalities between bare columns form
//     equivalence classes (a = b AND b = c lets a join c); the order is chosen by dynamic
//     programming over all subsets for up to maxDPRelations relations (bushy trees, cost = sum of
//     estimated join outputs and build sides, cross products only where no connected split
//     exists), greedily beyond. The smaller side of each join is the build (right) side.
//     3a. DISTINCT aggregates (distinct.go), as Doris's DistinctAggregateRewriter splits them:
//     an aggregate whose calls are COUNT/SUM/AVG(DISTINCT) over one argument set, and MIN/MAX/
//     ANY_VALUE, becomes the same calls without DISTINCT over an aggregate grouped by its keys and
//     those arguments (so both have small states and run in two phases); MIN/MAX/ANY_VALUE over
//     other expressions are computed per inner group first. Not split: grouping sets, ORDER BY in
//     a call, GROUP_CONCAT, different DISTINCT argument sets, non-DISTINCT COUNT/SUM/AVG beside
//     a DISTINCT call. MIN/MAX(DISTINCT x) alone just loses its DISTINCT. In physical planning an
//     aggregate estimated at minPartitionGroups groups or more over such an inner aggregate has
//     the inner one partitioned by its keys (partition_by) and runs per part (colocated): one
//     exchange instead of two two-phase aggregations.
//  4. Column pruning (opt.go): scans read only the columns something above uses; projections
//     and aggregates drop unused outputs.
//  5. Physical planning (physical.go): one fragment, positional ColumnRefs. Joins with
//     equality conjuncts between the sides are HashJoins (the rest is other_condition), others
//     NestedLoopJoins; a semi/anti join whose left side is estimated smaller is planned as
//     RIGHT_SEMI / RIGHT_ANTI so the small side builds. Hash joins of type INNER, LEFT_SEMI,
//     RIGHT_SEMI, RIGHT_ANTI and RIGHT_OUTER get one RF_IN_OR_BLOOM runtime filter per probe key that is a
//     scan column reaching the join unchanged (through filters, projections, sorts without a limit,
//     grouping columns, and the output sides of joins). Aggregation is AGG_COMPLETE; grouping
//     sets are Project → Repeat → Aggregate; GROUP_CONCAT's ORDER BY goes into
//     AggregateCall.order_by. A Window is a Sort by its partition keys then its order keys
//     (skipped when its input is a Window with the same keys) and a WindowNode; runtime filters
//     do not pass through a window. AssertRows is an AssertRowsNode. Partition pruning uses each scan's final conjuncts.
//  6. Shared subtrees (shared.go): a subtree that aggregates or joins and occurs more than once in
//     the fragment (a CTE referenced twice, a repeated subquery) is kept once; each repeat becomes
//     a SharedNode naming it, which the executor feeds from the first one's buffered output
//     (Doris's CTE reuse). Subtrees a runtime filter from outside reaches, or estimated above
//     maxSharedRows rows, are not shared; a colocated aggregate above a shared subtree is not
//     colocated any more. Options.NoSharedSubtrees turns it off.
//
// Statistics (stats.go, colstats.go): row counts come from Stats (the Meta Service's tablet
// stats in a session; missing → defaultRows). A column is "unique with domain d" when it is the
// only key column of its table (d = the table's rows) or the only grouping column of an
// aggregate, and an equi-join with it keeps rows/d of the pairs (the foreign-key/primary-key
// estimate). Column statistics (Stats.ColumnStats: ANALYZE TABLE's NDV, NULLs, min and max)
// flow from scans through filters, projections (bare columns and casts of them), joins, sorts
// and limits, and out of aggregates for their grouping columns; each node's NDV is scaled to
// its rows (ndv·(1−(1−n/N)^(N/ndv)) when it keeps n of N rows). With them: col = const keeps
// 1/ndv (1/domain where a domain is known), IN lists k/ndv, IS NULL the NULL share, ranges
// (<, <=, >, >=, BETWEEN; all range conjuncts over one column together) the share of
// [min, max] they cover on the column's axis (numbers; dates as days) clamped to [1/ndv, 1],
// an equi-join without a domain 1/max(ndv), and an aggregate has the product of its grouping
// columns' NDVs (+1 for NULLs) groups, at most its input's rows. Without column statistics
// every estimate is the fixed guess it was before them (0.1 for =, 0.33 for a range, 10% of
// the input for an aggregate, 1/max(rows) for a join), so plans of un-analyzed tables do not
// change.
//
// Distribution: a plan is one fragment run on one compute node (frontend/coord); NodeInfo
// records each node's distribution ("single"; scans: how their table is bucketed) so that
// exchanges can be inserted at distribution changes later; EXPLAIN VERBOSE shows it with the
// estimated rows.
//
// The package is stateless between calls; Build may be called concurrently on different plans.
package opt
