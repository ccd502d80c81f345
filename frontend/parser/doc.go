// Package parser is a hand-written lexer and recursive-descent parser for Doric's SQL dialect
// (Apache Doris's, the subset the frontend supports so far), producing frontend/ast trees.
//
// Contract:
//   - Parse(sql) returns the statements of a ';'-separated script, or a *SyntaxError that names the
//     line, column and text of the offending token and what was expected. Constructs of the Doris
//     dialect that are not supported yet (joins, subqueries, ALTER, ...) are SyntaxErrors whose
//     message says "not supported yet".
//   - Parsing never panics on any input (FuzzParse checks it); nesting depth and operator chain
//     length are bounded so that the tree can be walked recursively. Internally a syntax error
//     unwinds the descent with a private panic value that Parse recovers; nothing else is recovered.
//   - Keywords are case-insensitive; the words listed by ast.IsReserved cannot be unquoted names.
//   - A numeric literal under unary minus is folded into a negative literal.
//   - The package imports nothing from the repository except frontend/ast. It has no state between
//     calls and is safe for concurrent use.
package parser
