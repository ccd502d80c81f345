// Package expr evaluates planpb expressions and aggregate functions over vector batches.
//
// Compile turns a planpb.Expr (whose every node carries its resolved result type, produced by
// the frontend binder with the canonical function names of compute/function) into an *Expr that
// evaluates one column at a time: each node evaluates its children to whole vectors and runs a
// typed loop over the active rows. There are no per-row interface values on the hot path.
//
// Functions (planpb.Call.name, the canonical names of compute/function): add subtract multiply
// divide int_divide mod negate abs; eq eq_for_null ne lt le gt ge; and or not is_null
// is_not_null; in not_in; like not_like (with an optional constant escape); cast; case if
// ifnull coalesce nullif; concat upper lower length substring (alias substr); and the builtins
// of compute/function's builtins.go, implemented in fndate.go, fnstring.go and fnmath.go over
// one typed-kernel node (fn.go). Aggregates (CompileAggregate, CompileAggregatePhase): count sum
// min max avg stddev_pop stddev_samp var_pop var_samp group_concat (ORDER BY in one phase only)
// approx_count_distinct (HyperLogLog, exact up to 2048 values) percentile_approx (merging
// t-digest, exact below its compression) any_value bool_and bool_or, with DISTINCT, in
// AGG_COMPLETE, AGG_PARTIAL and AGG_FINAL modes (intermediate states: STATES.md).
//
// now(), current_date and unix_timestamp() read the Env's time (CompileEnv): compile every
// expression of a query with one Env and they agree; Compile takes the time of the call.
//
// Evaluation contract:
//   - Eval evaluates the active rows of a batch (its selection, or all rows) and returns a vector
//     of the batch's physical length; values at inactive rows are unspecified.
//   - Conditional forms (and, or, case, if, coalesce, ifnull) evaluate a branch only on the rows
//     that reach it, so an error (such as overflow) in an untaken branch is not raised.
//   - NULL in gives NULL out unless the function says otherwise (is_null, and/or, coalesce, ...).
//   - Division and modulo by zero give NULL (Doris/MySQL); integer and DECIMAL overflow in
//     arithmetic is an error wrapping ErrOutOfRange ("BIGINT value is out of range"); a cast that
//     cannot convert its input gives NULL (Doris non-strict mode); a date result outside
//     0000-01-01 .. 9999-12-31 is NULL; an invalid regular expression is an error wrapping
//     ErrInvalidArgument.
//   - A plan Compile cannot run (unknown function, wrong arity or argument types) is an error
//     wrapping ErrBadPlan.
//
// DECIMAL arithmetic is exact: the result is computed from the arguments' unscaled values and
// scales (in 128 bits, or arbitrary precision where 128 bits would overflow) and rounded half away
// from zero to the result type's scale.
//
// Vectors: a result is never modified once returned, so constants are built once and shared by
// every evaluation. With Env.Scratch the nodes of arithmetic, comparisons and AND/OR evaluate
// into vectors they keep (a result is valid until the next Eval: for callers that consume it at
// once); aggregate arguments are always compiled so (EvalArgs). Select returns the rows where a
// predicate is TRUE, comparing a column with a constant (and ANDs and ORs of such) in one
// branch-free loop without materializing a BOOLEAN vector; LIKE with a constant pattern and IN
// over literals select their rows directly too (IN over SUBSTRING with constant positions looks
// the substrings up in place, and a few short string literals are compared as words, not
// hashed). CASE selects each WHEN's rows the same way. A comparison drops a cast that only
// widens a 64-bit DECIMAL and converts a DECIMAL literal to the other side's type when that
// holds it exactly (the result is the same: numbers compare exactly). DECIMAL +, - and * at the
// natural scale run on the stored 64- and 128-bit values and skip the precision check when the
// argument types rule out an overflow (a 128-bit value times a 64-bit one is one 64x64 multiply
// while the wide values fit in 64 bits); SUM over few groups adds into four lanes of partial sums
// (no dependency between consecutive rows), in 64 bits where the argument's precision allows,
// or — for 128-bit arguments — where the batch's values turn out small enough (checked in the
// same pass).
//
// An *Expr and an aggregate state are used by one goroutine at a time; compile one per operator
// instance. Compiled expressions hold no references to the batches they evaluated.
package expr
