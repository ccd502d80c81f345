package duckbench

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/pingcap/go-tpc/tpch/dbgen"
)

// LineitemColumns are the columns of TPC-H lineitem, in order.
var LineitemColumns = []string{"l_orderkey", "l_partkey", "l_suppkey", "l_linenumber", "l_quantity",
	"l_extendedprice", "l_discount", "l_tax", "l_returnflag", "l_linestatus", "l_shipdate", "l_commitdate",
	"l_receiptdate", "l_shipinstruct", "l_shipmode", "l_comment"}

// LineitemTypes are their SQL types (TPC-H's, in the dialect Doris and DuckDB share).
var LineitemTypes = []string{"BIGINT", "BIGINT", "BIGINT", "INT", "DECIMAL(15,2)", "DECIMAL(15,2)",
	"DECIMAL(15,2)", "DECIMAL(15,2)", "VARCHAR(1)", "VARCHAR(1)", "DATE", "DATE", "DATE", "VARCHAR(25)",
	"VARCHAR(10)", "VARCHAR(44)"}

// LineitemDDL is the column list of CREATE TABLE lineitem (every column NOT NULL).
func LineitemDDL() string {
	s := ""
	for i, c := range LineitemColumns {
		if i > 0 {
			s += ", "
		}
		s += c + " " + LineitemTypes[i] + " NOT NULL"
	}
	return s
}

// lineitemWriter is a dbgen.Loader writing lineitem rows in the reference dbgen's text format:
// fields separated by '|', every line ending with '|' (so a line has 16 fields and an empty
// 17th), money with two decimals, no quoting. go-tpc's own loaders write through encoding/csv,
// which quotes fields that start with a space (some l_comment values do) and drops the trailing
// '|'; the .tbl files users load come from the reference dbgen, so that is what we write.
type lineitemWriter struct {
	w   *bufio.Writer
	buf []byte
}

func (l *lineitemWriter) Load(item any) error {
	o, ok := item.(*dbgen.Order)
	if !ok {
		return fmt.Errorf("BUG: lineitem loader got %T", item)
	}
	for i := range o.Lines {
		li := &o.Lines[i]
		b := l.buf[:0]
		for _, v := range []int64{int64(li.OKey), int64(li.PartKey), int64(li.SuppKey), int64(li.LCnt), int64(li.Quantity)} {
			b = strconv.AppendInt(b, v, 10)
			b = append(b, '|')
		}
		for _, m := range []string{dbgen.FmtMoney(li.EPrice), dbgen.FmtMoney(li.Discount), dbgen.FmtMoney(li.Tax)} {
			b = append(b, m...)
			b = append(b, '|')
		}
		for _, s := range []string{li.RFlag, li.LStatus, li.SDate, li.CDate, li.RDate, li.ShipInstruct, li.ShipMode, li.Comment} {
			b = append(b, s...)
			b = append(b, '|')
		}
		b = append(b, '\n')
		l.buf = b
		if _, err := l.w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func (l *lineitemWriter) Flush() error { return l.w.Flush() }

// WriteLineitem writes TPC-H lineitem at integer scale factor sf to w. go-tpc's dbgen keeps its
// state in package variables: call it once per process.
func WriteLineitem(w io.Writer, sf int) error {
	if sf < 1 {
		return fmt.Errorf("scale factor %d: go-tpc's dbgen takes integer scale factors >= 1", sf)
	}
	dbgen.InitDbGen(int64(sf))
	lw := &lineitemWriter{w: bufio.NewWriterSize(w, 1<<20)}
	if err := dbgen.DbGen(map[dbgen.Table]dbgen.Loader{dbgen.TLine: lw}, []dbgen.Table{dbgen.TLine}); err != nil {
		return err
	}
	return lw.Flush()
}
