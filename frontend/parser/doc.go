// Package parser is a hand-written lexer and recursive-descent parser for Doric's SQL dialect
// (Apache Doris's, the subset the frontend supports so far), producing frontend/ast trees.
//
// Contract:
//   - Parse(sql) returns the statements of a ';'-separated script, or a *SyntaxError that names the
//     line, column and text of the offending token and what was expected. Constructs of the Doris
//     dialect that are not supported yet (NATURAL joins, LATERAL VIEW, named windows, ALTER, ...)
//     are SyntaxErrors whose message says "not supported yet".
//   - The query language is Doris's (query.go has the grammar): SELECT [DISTINCT]; joins (INNER,
//     LEFT/RIGHT/FULL [OUTER], CROSS, LEFT/RIGHT SEMI/ANTI, with ON or USING and a [hint]) where
//     the comma binds looser than JOIN, as in MySQL; derived tables, which need an alias;
//     parenthesised join trees; WITH; UNION/INTERSECT/EXCEPT/MINUS [ALL|DISTINCT] with INTERSECT
//     binding tighter; parenthesised queries with their own ORDER BY/LIMIT; GROUP BY with ROLLUP,
//     CUBE, GROUPING SETS and WITH ROLLUP; window functions; scalar, IN, EXISTS and ANY/SOME/ALL
//     subqueries; row constructors; INTERVAL and EXTRACT; EXPLAIN [plan type] [VERBOSE|level].
//   - Operator precedence is MySQL's (see expr.go). A numeric literal under unary minus is folded
//     into a negative literal. NOT EXISTS (q) is one node (ast.ExistsExpr with Not);
//     NOT (EXISTS (q)) is a negation of it.
//   - The special call forms become plain calls: SUBSTRING|SUBSTR(x FROM a [FOR b]) is
//     substring(x, a[, b]); TRIM([BOTH] [c] FROM x) is trim(x[, c]), LEADING gives ltrim and
//     TRAILING rtrim; POSITION(a IN b) is locate(a, b); GROUP_CONCAT(... SEPARATOR s) has s as its
//     last argument.
//   - Parsing never panics on any input (FuzzParse checks it) and takes time linear in the input up
//     to the nesting bounds: nesting depth and operator chain length are bounded (for expressions,
//     queries, set operations and join trees alike) so that the tree can be walked recursively.
//     Internally a syntax error unwinds the descent with a private panic value that Parse
//     recovers; nothing else is recovered.
//   - Keywords are case-insensitive; the words listed by ast.IsReserved cannot be unquoted names.
//     INTERSECT, EXCEPT, MINUS, FOR, STRAIGHT_JOIN, LATERAL, QUALIFY and WINDOW (and FULL and
//     NATURAL before a join) are names but not aliases written without AS.
//   - The package imports nothing from the repository except frontend/ast. It has no state between
//     calls and is safe for concurrent use.
package parser
