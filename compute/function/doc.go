// Package function is the registry of Doric's scalar and aggregate function signatures: for a
// canonical function name and the types of its arguments, which argument types the evaluator
// receives, the result type and whether the result may be NULL. The frontend binder resolves
// every call through it and compute/expr evaluates exactly the signatures it returns.
//
// Contract:
//   - Resolve (scalars), ResolveAggregate and ResolveCast return a Signature whose Args are the
//     exact types the evaluator receives: the caller wraps an argument whose type differs in a
//     "cast" call. String kinds (CHAR, VARCHAR, STRING) share one representation, so a string
//     argument is never cast to another string kind; Args then holds the argument's own type.
//   - Canonical names (plan contract, api/planpb): add subtract multiply divide int_divide mod
//     negate; eq eq_for_null ne lt le gt ge; and or not; is_null is_not_null; in not_in (args[0]
//     the value, the rest the list); like not_like; cast (the result type is the target); case
//     (when1, then1, ..., [else]); if ifnull coalesce nullif abs concat upper lower length
//     substring year month day; aggregates count sum min max avg.
//   - Type rules follow Doris's DECIMALV3 and MySQL (see rules.go): integer + - * on BIGINT
//     (LARGEINT when an operand is LARGEINT); integer / gives DOUBLE; DIV gives BIGINT; any FLOAT
//     or DOUBLE operand makes the operation DOUBLE; an integer meeting a DECIMAL is a DECIMAL of
//     its width (TINYINT 3, SMALLINT 5, INT 10, BIGINT 19, LARGEINT 38, BOOLEAN 1 digits);
//     DECIMAL precision is capped at 38.
//   - Everything is a pure function over immutable tables: safe for concurrent use.
package function
