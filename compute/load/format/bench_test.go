package format_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/compute/load/format"
)

// lineitemText is n lines shaped like TPC-H lineitem.tbl from dbgen: 16 fields and a trailing
// '|' (so 17 fields, the last empty), deterministic.
func lineitemText(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	instruct := []string{"DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"}
	modes := []string{"REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"}
	words := []string{"furiously", "regular", "deposits", "sleep", "slyly", "final", "accounts", "carefully", "ironic", "packages"}
	var b bytes.Buffer
	for i := range n {
		comment := words[r.IntN(len(words))] + " " + words[r.IntN(len(words))] + " " + words[r.IntN(len(words))]
		fmt.Fprintf(&b, "%d|%d|%d|%d|%d|%d.%02d|0.%02d|0.%02d|%c|%c|1996-%02d-%02d|1997-%02d-%02d|1998-%02d-%02d|%s|%s|%s|\n",
			i/4+1, r.IntN(200000)+1, r.IntN(10000)+1, i%4+1, r.IntN(50)+1, r.IntN(100000), r.IntN(100), r.IntN(11), r.IntN(9),
			"NAR"[r.IntN(3)], "OF"[r.IntN(2)], r.IntN(12)+1, r.IntN(28)+1, r.IntN(12)+1, r.IntN(28)+1, r.IntN(12)+1, r.IntN(28)+1,
			instruct[r.IntN(len(instruct))], modes[r.IntN(len(modes))], comment)
	}
	return b.Bytes()
}

// BenchmarkCSVLineitem reads lineitem.tbl text into chunks (bytes/s is the text).
func BenchmarkCSVLineitem(b *testing.B) {
	const rows = 100_000
	data := lineitemText(rows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd, err := format.NewCSV(bytes.NewReader(data), format.CSVOptions{Columns: 17, ColumnSeparator: []byte("|")})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			ch, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if len(ch.Errors) > 0 {
				b.Fatal(ch.Errors[0])
			}
			n += ch.N
		}
		if n != rows {
			b.Fatalf("read %d rows of %d", n, rows)
		}
	}
}
