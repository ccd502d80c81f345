// Command tpchgen writes TPC-H data with go-tpc's pure-Go dbgen: lineitem alone in the reference
// dbgen's text format (trailing '|', see duckbench.WriteLineitem; the load benchmark's input), or
// all eight tables in the format of ../shared/acceptance/tpch/data (no trailing '|', see
// duckbench.WriteTables; the TPC-H benchmark's and the SF 1 correctness test's input).
//
//	tpchgen -sf 1 -out .tools/tpch/sf1/lineitem.tbl
//	tpchgen -sf 1 -dir .tools/tpch/sf1/tables
//
// The file is written beside its final name and renamed when complete, so an interrupted run
// never leaves a truncated file behind.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/doricdb/doric/test/duckbench"
)

func main() {
	sf := flag.Int("sf", 1, "scale factor (integer >= 1)")
	out := flag.String("out", "lineitem.tbl", "output file (lineitem only)")
	dir := flag.String("dir", "", "write all eight tables into this directory instead")
	flag.Parse()
	var err error
	if *dir != "" {
		err = duckbench.WriteTables(*dir, *sf)
	} else {
		err = run(*sf, *out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tpchgen:", err)
		os.Exit(1)
	}
}

func run(sf int, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := duckbench.WriteLineitem(f, sf); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
