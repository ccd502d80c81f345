// Package ast is the syntax tree of Doric's SQL dialect (Apache Doris's): the statements and
// expressions the parser produces and the binder consumes.
//
// Contract:
//   - Every node records its position (Pos: 1-based line and column, 0-based byte offset) in the
//     statement text. Statements and most expressions are positioned at their first token; binary
//     and postfix predicates (a + b, a IS NULL, a BETWEEN .., a IN .., a LIKE ..) are positioned at
//     their operator, which is where a type error is best reported.
//   - Names are kept as written (case preserved, quotes removed). Keywords in the tree (type names,
//     aggregation types, engine) are upper-cased.
//   - Format renders any node as canonical SQL that the parser reads back to an equal tree (positions
//     aside): operators are fully parenthesised and identifiers are back-quoted when they are not
//     plain words or are reserved (see IsReserved).
//   - The package imports nothing else from the repository. Nodes are plain values; a tree is not
//     safe for concurrent mutation, but read-only use from several goroutines is fine.
package ast
