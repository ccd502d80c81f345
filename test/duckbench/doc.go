// Package duckbench holds the benchmarks that compare Doric with DuckDB, the peer of
// DESIGN.md §7. It is its own module (test/duckbench/go.mod) because DuckDB is a cgo library
// whose module downloads native libraries for every platform: the main module never depends on
// it (../shared/INFRA.md). The main module is used through a replace directive.
//
//   - cmd/tpchgen writes TPC-H tables as .tbl files with the pure-Go dbgen of
//     github.com/pingcap/go-tpc (tpch/dbgen), in the reference dbgen's text format.
//   - cmd/loadbench times a Stream Load of lineitem.tbl into a running `doric standalone`
//     (real HTTP with the frontend's 307 followed, as curl --location-trusted does) beside
//     DuckDB's COPY of the same file, and prints MB/s, rows/s and the ratio (`make bench-load`).
//
// Package duckbench itself is the shared part: the TPC-H text writer and the lineitem schema.
package duckbench
