// Package exec runs plan fragments: it builds a tree of operators from a planpb.PlanNode and
// pulls batches through it.
//
// Operator contract (pull-based, one goroutine per pipeline):
//   - Types is the output schema, fixed at Build.
//   - Open prepares the operator (and its children); Next returns the next batch, or nil at the
//     end (after which it keeps returning nil); Close releases resources and is safe to call
//     after any failure, and more than once.
//   - A returned batch is not empty (Len() > 0), its columns have the types Types says, and it
//     is never modified afterwards by the operator (consumers may keep it). Operators read their
//     input through its selection vector and narrow selections rather than copy where they can
//     (filter, limit); project shares input columns it passes through.
//
// Operators: OlapScan (tablet rows through a TabletSource, with conjuncts), Filter, Project,
// Aggregate (hash aggregation; AGG_COMPLETE), Sort (stable, with top-N when it has a limit),
// Limit, Values.
//
// NULL placement in Sort is exactly SortKey.nulls_first, independent of the direction: the
// planner sets it (MySQL's default is nulls_first = true for ASC and false for DESC; NULLS
// FIRST/LAST override it). A proto3 bool cannot be "unset", so the executor has no default. Errors from expressions keep their classes (expr.ErrOutOfRange,
// expr.ErrBadPlan); a plan this package cannot build wraps expr.ErrBadPlan.
package exec
