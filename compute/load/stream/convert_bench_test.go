package stream

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/loadpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/load/format"
	"github.com/doricdb/doric/compute/types"
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

// directPlan is the load plan of an unpartitioned table with these columns, each taken as is
// from the source column of the same position; extra sources are read and dropped.
func directPlan(cols []*commonpb.Column, extra int) *loadpb.PlanResponse {
	p := &loadpb.PlanResponse{DbId: 1, Sink: &computepb.TabletSink{DbId: 1, TableId: 2, IndexId: 3,
		Schema:     &commonpb.TabletSchema{Columns: cols},
		Partitions: []*computepb.PartitionSink{{PartitionId: 4, TabletIds: []int64{5}}}}}
	for i, c := range cols {
		p.SourceColumns = append(p.SourceColumns, c.GetName())
		p.Targets = append(p.Targets, &planpb.Expr{Type: types.New(types.String).Proto(), Nullable: true,
			Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(i)}}})
	}
	for i := range extra {
		p.SourceColumns = append(p.SourceColumns, fmt.Sprint("extra", i))
	}
	return p
}

func lineitemSchema() []*commonpb.Column {
	col := func(name string, t types.T) *commonpb.Column {
		return &commonpb.Column{Name: name, Type: t.Proto()}
	}
	dec := types.DecimalOf(15, 2)
	return []*commonpb.Column{col("l_orderkey", types.New(types.BigInt)), col("l_partkey", types.New(types.BigInt)),
		col("l_suppkey", types.New(types.BigInt)), col("l_linenumber", types.New(types.Int)), col("l_quantity", dec),
		col("l_extendedprice", dec), col("l_discount", dec), col("l_tax", dec), col("l_returnflag", types.VarcharOf(1)),
		col("l_linestatus", types.VarcharOf(1)), col("l_shipdate", types.New(types.Date)), col("l_commitdate", types.New(types.Date)),
		col("l_receiptdate", types.New(types.Date)), col("l_shipinstruct", types.VarcharOf(25)),
		col("l_shipmode", types.VarcharOf(10)), col("l_comment", types.VarcharOf(44))}
}

// chunks reads text (columns fields per line) into chunks.
func chunks(b *testing.B, text []byte, columns int) []*format.Chunk {
	rd, err := format.NewCSV(bytes.NewReader(text), format.CSVOptions{Columns: columns, ColumnSeparator: []byte("|")})
	if err != nil {
		b.Fatal(err)
	}
	var out []*format.Chunk
	for {
		ch, err := rd.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, ch)
	}
}

// benchConvert measures converting the chunks of text into table rows (bytes/s is the text).
func benchConvert(b *testing.B, cols []*commonpb.Column, extra int, text []byte) {
	chs := chunks(b, text, len(cols)+extra)
	plan := directPlan(cols, extra)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		c, err := newConverter(plan, false, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, ch := range chs {
			errs, err := c.convert(ch)
			if err != nil || len(errs) > 0 {
				b.Fatal(err, errs)
			}
		}
	}
}

// BenchmarkConvert converts one column of each kind lineitem has, and a whole lineitem.
func BenchmarkConvert(b *testing.B) {
	const rows = 50_000
	r := rand.New(rand.NewPCG(3, 4))
	column := func(f func(i int) string) []byte {
		var t bytes.Buffer
		for i := range rows {
			t.WriteString(f(i))
			t.WriteByte('\n')
		}
		return t.Bytes()
	}
	b.Run("date", func(b *testing.B) {
		text := column(func(int) string { return fmt.Sprintf("199%d-%02d-%02d", r.IntN(9), r.IntN(12)+1, r.IntN(28)+1) })
		benchConvert(b, []*commonpb.Column{{Name: "d", Type: types.New(types.Date).Proto()}}, 0, text)
	})
	b.Run("decimal", func(b *testing.B) {
		text := column(func(int) string { return fmt.Sprintf("%d.%02d", r.IntN(100000), r.IntN(100)) })
		benchConvert(b, []*commonpb.Column{{Name: "d", Type: types.DecimalOf(15, 2).Proto()}}, 0, text)
	})
	b.Run("bigint", func(b *testing.B) {
		text := column(func(int) string { return fmt.Sprint(r.IntN(6_000_000)) })
		benchConvert(b, []*commonpb.Column{{Name: "k", Type: types.New(types.BigInt).Proto()}}, 0, text)
	})
	b.Run("varchar", func(b *testing.B) {
		text := column(func(i int) string { return fmt.Sprintf("regular deposits %d sleep", i) })
		benchConvert(b, []*commonpb.Column{{Name: "s", Type: types.VarcharOf(44).Proto()}}, 0, text)
	})
	b.Run("lineitem", func(b *testing.B) {
		benchConvert(b, lineitemSchema(), 1, lineitemText(rows))
	})
}
