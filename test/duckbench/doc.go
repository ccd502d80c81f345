// Package duckbench holds the benchmarks that compare Doric with DuckDB, the peer of
// DESIGN.md §7. It is its own module (test/duckbench/go.mod) because DuckDB is a cgo library
// whose module downloads native libraries for every platform: the main module never depends on
// it (../shared/INFRA.md). The main module is used through a replace directive.
//
//   - cmd/tpchgen writes TPC-H tables as .tbl files with the pure-Go dbgen of
//     github.com/pingcap/go-tpc (tpch/dbgen): lineitem alone in the reference dbgen's text format,
//     or all eight tables in the format of ../shared/acceptance/tpch/data (-dir).
//   - cmd/tpchbench loads the eight tables into a `doric standalone` (Stream Load) and into
//     DuckDB (COPY) and runs the 22 TPC-H queries in each, printing per-query best times, the
//     ratio Doric/DuckDB and its geometric mean (`make bench-tpch SF=1`).
//   - cmd/loadbench times a Stream Load of lineitem.tbl into a running `doric standalone`
//     (real HTTP with the frontend's 307 followed, as curl --location-trusted does) beside
//     DuckDB's COPY of the same file, and prints MB/s, rows/s and the ratio (`make bench-load`).
//
// Package duckbench itself is the shared part: the TPC-H writers and schemas, and StartDoric.
package duckbench
