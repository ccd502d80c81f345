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
//     substring; the builtins of builtins.go (dates: year month day quarter dayofweek dayofyear
//     weekofyear week hour minute second to_date last_day dayname monthname datediff
//     date_trunc date_format str_to_date now current_date unix_timestamp from_unixtime and
//     <unit>s_add <unit>s_sub <unit>s_diff for unit in year quarter month week day hour minute
//     second; strings: concat_ws left right repeat space char_length reverse md5 ascii hex
//     unhex trim ltrim rtrim lpad rpad replace instr locate split_part substring_index
//     starts_with ends_with regexp not_regexp regexp_extract regexp_replace regexp_replace_one
//     strcmp find_in_set null_or_empty; math: ceil floor round truncate pow sqrt ln log log10
//     log2 exp sin cos tan asin acos atan degrees radians pi e sign greatest least), with
//     aliases (date_add/adddate = days_add, date_sub/subdate = days_sub, ceiling, power,
//     position = locate, rlike = regexp, current_timestamp/localtime/sysdate = now, curdate,
//     date = to_date, character_length, md5sum); aggregates count sum min max avg stddev_pop
//     (std, stddev) stddev_samp var_pop (variance, variance_pop) var_samp (variance_samp)
//     group_concat approx_count_distinct (ndv) percentile_approx any_value (any) bool_and
//     bool_or; window functions (window.go, with OVER only: IsWindow, ResolveWindow) row_number
//     rank dense_rank ntile lag lead first_value last_value, and count sum avg min max over
//     frames.
//   - The binder rewrites syntax into these names: `d + INTERVAL n unit`, DATE_ADD/DATE_SUB(d,
//     INTERVAL n unit) into IntervalFunction(unit) (<unit>s_add / <unit>s_sub); EXTRACT(unit
//     FROM d) into ExtractFunction(unit); X [NOT] REGEXP P into regexp / not_regexp; X LIKE P
//     ESCAPE e into like(x, p, e). Arg.Const (the text of a literal argument) lets round,
//     truncate, str_to_date and now(n) type their result by the constant, as Doris does.
//   - Aggregates run in two phases: IntermediateType is the column type a PARTIAL aggregate
//     outputs and a FINAL one reads (compute/expr implements the states).
//   - Type rules follow Doris's DECIMALV3 and MySQL (see rules.go): integer + - * on BIGINT
//     (LARGEINT when an operand is LARGEINT); integer / gives DOUBLE; DIV gives BIGINT; any FLOAT
//     or DOUBLE operand makes the operation DOUBLE; an integer meeting a DECIMAL is a DECIMAL of
//     its width (TINYINT 3, SMALLINT 5, INT 10, BIGINT 19, LARGEINT 38, BOOLEAN 1 digits);
//     DECIMAL precision is capped at 38.
//   - Everything is a pure function over immutable tables: safe for concurrent use.
package function
