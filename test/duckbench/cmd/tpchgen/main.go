// Command tpchgen writes TPC-H lineitem as a .tbl file with go-tpc's pure-Go dbgen, in the
// reference dbgen's text format (see duckbench.WriteLineitem).
//
//	tpchgen -sf 1 -out .tools/tpch/sf1/lineitem.tbl
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
	out := flag.String("out", "lineitem.tbl", "output file")
	flag.Parse()
	if err := run(*sf, *out); err != nil {
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
