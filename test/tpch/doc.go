// Package tpch is the TPC-H correctness acceptance test (issue 6): the SF 0.01 and SF 0.1 data
// sets of ../shared/acceptance/tpch are loaded through the product — CREATE TABLE over the MySQL
// protocol, Stream Load over HTTP through the frontend's 307 — into an in-process cluster of two
// compute nodes, every table is analyzed (ANALYZE TABLE ... WITH SYNC: column statistics for the
// optimizer), and each of the 22 queries is compared with its published answer by the rules of
// the acceptance README (row order where the query orders its output; numbers by value; fewer
// printed decimals, at least 4, compared after rounding). Queries the engine cannot answer yet are
// listed in `pending` and must still fail, so the list only shrinks. It has tests only.
package tpch
