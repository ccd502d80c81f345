// Package logictest runs sqllogictest files against a Doric frontend through the MySQL protocol
// (go-sql-driver/mysql), one dedicated connection per file so USE and session variables persist.
//
// File format (a subset of sqllogictest, as CockroachDB writes it):
//
//	# a comment
//	statement ok
//	CREATE TABLE t (a INT) DISTRIBUTED BY HASH(a) BUCKETS 1
//
//	statement count 3
//	INSERT INTO t VALUES (1), (2), (3)
//
//	statement error <regexp matched against the server's message>
//	SELECT nope FROM t
//
//	query IT rowsort
//	SELECT a, b FROM t
//	----
//	1 x
//	2 NULL
//
// `statement count N` is `statement ok` that also checks the affected-rows count. A record ends
// at a blank line. The type string has one letter per column (I integer, T text,
// R real/decimal, D date/time, X a non-NULL value that differs between runs — ids, sizes, times —
// shown as * and not compared) and is checked against the result's column count; an I column
// must hold an integer. Values are compared as the server's text: NULL is NULL, the empty string is
// (empty), and values in a row are separated by one space. Sort modes: nosort (default: the order
// is part of the expectation), rowsort (rows compared as sorted lines), valuesort (all values
// sorted). `-rewrite` rewrites the expected results of query records from what the server returns.
// TestLogic replaces the cluster's data directory with $DATADIR in results and error messages
// (see Replace).
//
// The package is a test harness: production code never imports it.
package logictest
