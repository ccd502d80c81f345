package segment_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/segment/index"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault/mem"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	pqlz4 "github.com/parquet-go/parquet-go/compress/lz4"
	pqzstd "github.com/parquet-go/parquet-go/compress/zstd"
	pqformat "github.com/parquet-go/parquet-go/format"
)

// The TPC-H lineitem comparison with parquet-go (issue 4): the same rows (SF 0.1, 600 572 rows,
// 16 columns) written by both with the same codec, then file size, write throughput, full-scan
// decode of every column and a filtered scan with page pruning.
//
// Formats: doric-<codec> is a segment (sort key l_orderkey) read into new vectors per page, as
// the engine's scans do; doric-<codec>-reuse reads the same file with IteratorOptions.Reuse.
// parquet-<codec> is parquet-go with its default encodings (PLAIN); parquet-dict-<codec> with
// the encodings a careful user picks (dictionaries, delta for the key). parquet-go reads pages
// with its column-chunk API into reused buffers (dictionary indexes looked up), its fastest path.
// parquet-go's default LZ4 level is its high-compression one, so doric-lz4hc is the like-for-like
// LZ4 writer; see parquetLZ4Bug for why parquet-go's LZ4 files do not read back.
//
// Run: go test -run '^$' -bench Lineitem ./compute/segment (skipped without the data file).

const lineitemPath = "../../../shared/acceptance/tpch/data/sf0.1/lineitem.tbl.zst"

// pqPlain is lineitem for parquet-go with its default encodings (PLAIN).
type pqPlain struct {
	OrderKey      int64  `parquet:"l_orderkey"`
	PartKey       int32  `parquet:"l_partkey"`
	SuppKey       int32  `parquet:"l_suppkey"`
	LineNumber    int32  `parquet:"l_linenumber"`
	Quantity      int64  `parquet:"l_quantity,decimal(2:15)"`
	ExtendedPrice int64  `parquet:"l_extendedprice,decimal(2:15)"`
	Discount      int64  `parquet:"l_discount,decimal(2:15)"`
	Tax           int64  `parquet:"l_tax,decimal(2:15)"`
	ReturnFlag    string `parquet:"l_returnflag"`
	LineStatus    string `parquet:"l_linestatus"`
	ShipDate      int32  `parquet:"l_shipdate,date"`
	CommitDate    int32  `parquet:"l_commitdate,date"`
	ReceiptDate   int32  `parquet:"l_receiptdate,date"`
	ShipInstruct  string `parquet:"l_shipinstruct"`
	ShipMode      string `parquet:"l_shipmode"`
	Comment       string `parquet:"l_comment"`
}

// pqTuned is lineitem for parquet-go with the encodings a careful user picks: dictionaries for
// the low-cardinality columns, delta for the sorted key.
type pqTuned struct {
	OrderKey      int64  `parquet:"l_orderkey,delta"`
	PartKey       int32  `parquet:"l_partkey"`
	SuppKey       int32  `parquet:"l_suppkey,dict"`
	LineNumber    int32  `parquet:"l_linenumber,dict"`
	Quantity      int64  `parquet:"l_quantity,decimal(2:15),dict"`
	ExtendedPrice int64  `parquet:"l_extendedprice,decimal(2:15)"`
	Discount      int64  `parquet:"l_discount,decimal(2:15),dict"`
	Tax           int64  `parquet:"l_tax,decimal(2:15),dict"`
	ReturnFlag    string `parquet:"l_returnflag,dict"`
	LineStatus    string `parquet:"l_linestatus,dict"`
	ShipDate      int32  `parquet:"l_shipdate,date,dict"`
	CommitDate    int32  `parquet:"l_commitdate,date,dict"`
	ReceiptDate   int32  `parquet:"l_receiptdate,date,dict"`
	ShipInstruct  string `parquet:"l_shipinstruct,dict"`
	ShipMode      string `parquet:"l_shipmode,dict"`
	Comment       string `parquet:"l_comment"`
}

type lineitem struct {
	specs    []segment.ColumnSpec
	cols     []*vector.Vector
	n        int
	tblBytes int64
	plain    []pqPlain
	tuned    []pqTuned
}

// loadLineitem parses the .tbl file. The result holds millions of pointers: benchmarks that
// time reads drop it first, so that garbage collection does not scan it while they run.
func loadLineitem() (*lineitem, error) {
	f, err := os.Open(lineitemPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	li := &lineitem{}
	dec := func(p, s int32) types.T { return types.DecimalOf(p, s) }
	ts := []types.T{types.New(types.BigInt), types.New(types.Int), types.New(types.Int), types.New(types.Int),
		dec(15, 2), dec(15, 2), dec(15, 2), dec(15, 2), types.CharOf(1), types.CharOf(1),
		types.New(types.Date), types.New(types.Date), types.New(types.Date), types.CharOf(25), types.CharOf(10), types.VarcharOf(44)}
	for k, t := range ts {
		li.specs = append(li.specs, segment.ColumnSpec{UniqueID: int32(k + 1), Type: t})
		li.cols = append(li.cols, vector.NewWithCap(t, 600_000))
	}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		line := sc.Bytes()
		li.tblBytes += int64(len(line)) + 1
		f := bytes.Split(line, []byte("|"))
		if len(f) < 16 {
			return nil, fmt.Errorf("lineitem line %d: %d fields", li.n+1, len(f))
		}
		var row pqPlain
		for k, t := range ts {
			v := li.cols[k]
			switch {
			case t.Kind == types.Decimal:
				x, err := strconv.ParseInt(string(bytes.Replace(f[k], []byte("."), nil, 1)), 10, 64)
				if err != nil {
					return nil, err
				}
				v.Int64 = append(v.Int64, x)
			case t.Kind == types.Date:
				y, _ := strconv.Atoi(string(f[k][0:4]))
				m, _ := strconv.Atoi(string(f[k][5:7]))
				d, _ := strconv.Atoi(string(f[k][8:10]))
				v.Int64 = append(v.Int64, types.DaysFromCivil(y, m, d))
			case t.IsString():
				v.Bytes = append(v.Bytes, append([]byte(nil), f[k]...))
			default:
				x, err := strconv.ParseInt(string(f[k]), 10, 64)
				if err != nil {
					return nil, err
				}
				v.Int64 = append(v.Int64, x)
			}
		}
		c := li.cols
		i := li.n
		row = pqPlain{c[0].Int64[i], int32(c[1].Int64[i]), int32(c[2].Int64[i]), int32(c[3].Int64[i]),
			c[4].Int64[i], c[5].Int64[i], c[6].Int64[i], c[7].Int64[i], string(c[8].Bytes[i]), string(c[9].Bytes[i]),
			int32(c[10].Int64[i]), int32(c[11].Int64[i]), int32(c[12].Int64[i]), string(c[13].Bytes[i]), string(c[14].Bytes[i]), string(c[15].Bytes[i])}
		li.plain = append(li.plain, row)
		li.tuned = append(li.tuned, pqTuned(row))
		li.n++
	}
	return li, sc.Err()
}

func lineitemOrSkip(b *testing.B) *lineitem {
	b.Helper()
	li, err := loadLineitem()
	if errors.Is(err, os.ErrNotExist) {
		b.Skipf("TPC-H lineitem not found at %s (it comes with ../shared/acceptance)", lineitemPath)
	}
	if err != nil {
		b.Fatal(err)
	}
	return li
}

// format is one writer under comparison.
type format struct {
	name  string
	reuse bool // a read-only variant of another format: not written separately
	// broken says why reading this format may fail through no fault of the benchmark: a read
	// error then skips the benchmark with that explanation instead of failing it.
	broken string
	write  func(li *lineitem) ([]byte, error)
	open   func(data []byte) any                      // where reads come from, prepared untimed
	scan   func(src any) (int64, error)               // full scan: rows decoded
	query  func(src any, lo, hi int64) (int64, error) // rows of the pages that may hold lo <= l_orderkey < hi
}

// doricFormat writes with compression c; reads reuse their vectors when reuse is set.
func doricFormat(c segment.Compression, reuse bool) format {
	name := "doric-" + c.String()
	if reuse {
		name += "-reuse"
	}
	return format{
		name:  name,
		reuse: reuse,
		write: func(li *lineitem) ([]byte, error) {
			var buf bytes.Buffer
			w, err := segment.NewWriter(&buf, li.specs, segment.Options{Compression: c, NumSortKeyColumns: 1})
			if err != nil {
				return nil, err
			}
			for lo := 0; lo < li.n; lo += 4096 {
				hi := min(li.n, lo+4096)
				cols := make([]*vector.Vector, len(li.cols))
				for k, v := range li.cols {
					cols[k] = v.Slice(lo, hi)
				}
				if err := w.Append(vector.NewBatch(cols, hi-lo)); err != nil {
					return nil, err
				}
			}
			_, err = w.Close()
			return buf.Bytes(), err
		},
		open: func(data []byte) any {
			st := mem.New()
			if _, err := st.Put(context.Background(), "s", bytes.NewReader(data)); err != nil {
				panic(err)
			}
			return doricSource{st, int64(len(data))}
		},
		scan: func(src any) (int64, error) { return doricScan(src.(doricSource), nil, reuse) },
		query: func(src any, lo, hi int64) (int64, error) {
			return doricScan(src.(doricSource), []segment.Predicate{
				{Column: 0, Op: segment.OpGe, Values: []index.Value{{Int64: lo}}},
				{Column: 0, Op: segment.OpLt, Values: []index.Value{{Int64: hi}}}}, reuse)
		},
	}
}

type doricSource struct {
	st   *mem.Storage
	size int64
}

// doricScan opens the segment and reads every column of the rows the predicates keep.
func doricScan(src doricSource, preds []segment.Predicate, reuse bool) (int64, error) {
	ctx := context.Background()
	seg, err := segment.Open(ctx, src.st, "s", src.size)
	if err != nil {
		return 0, err
	}
	cols := make([]int, len(seg.Columns()))
	for i := range cols {
		cols[i] = i
	}
	it := seg.NewIterator(cols, segment.IteratorOptions{Predicates: preds, Reuse: reuse})
	var rows int64
	for {
		b, err := it.Next(ctx)
		if err != nil || b == nil {
			return rows, err
		}
		rows += int64(b.N)
	}
}

// parquetLZ4Bug is why parquet-go v0.32.0 cannot read back its own LZ4_RAW files: its lz4
// codec decodes into a new buffer when the pooled one is smaller than three times the
// compressed page, and Column.decompress keeps the pooled buffer when the decoded length is
// exactly the page's uncompressed size, so every page compressed less than 3:1 reads as garbage.
const parquetLZ4Bug = "parquet-go v0.32.0 misreads LZ4_RAW pages compressed less than 3:1 (lz4.Codec.Decode result dropped by Column.decompress)"

func parquetFormat(name string, codec compress.Codec, tuned bool) format {
	broken := ""
	if codec.CompressionCodec() == pqformat.Lz4Raw {
		broken = parquetLZ4Bug
	}
	return format{
		name:   name,
		broken: broken,
		write: func(li *lineitem) ([]byte, error) {
			var buf bytes.Buffer
			var err error
			if tuned {
				w := parquet.NewGenericWriter[pqTuned](&buf, parquet.Compression(codec))
				if _, err = w.Write(li.tuned); err == nil {
					err = w.Close()
				}
			} else {
				w := parquet.NewGenericWriter[pqPlain](&buf, parquet.Compression(codec))
				if _, err = w.Write(li.plain); err == nil {
					err = w.Close()
				}
			}
			return buf.Bytes(), err
		},
		open:  func(data []byte) any { return data },
		scan:  func(src any) (int64, error) { return parquetScan(src.([]byte), -1, -1) },
		query: func(src any, lo, hi int64) (int64, error) { return parquetScan(src.([]byte), lo, hi) },
	}
}

// parquetScan decodes every column of the rows whose pages may hold lo <= l_orderkey < hi (all
// rows when lo < 0), using the column index to skip pages as a pruning reader would. Decoded
// values end in typed slices: dictionary indexes are looked up.
func parquetScan(data []byte, lo, hi int64) (int64, error) {
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)), parquet.SkipBloomFilters(true))
	if err != nil {
		return 0, err
	}
	var rows int64
	var i64 []int64
	var i32 []int32
	var byts [][]byte
	for _, rg := range f.RowGroups() {
		chunks := rg.ColumnChunks()
		// Row ranges of the key column's pages that may match.
		type rng struct{ start, end int64 }
		var keep []rng
		if lo < 0 {
			keep = []rng{{0, rg.NumRows()}}
		} else {
			ci, err := chunks[0].ColumnIndex()
			if err != nil {
				return 0, err
			}
			oi, err := chunks[0].OffsetIndex()
			if err != nil {
				return 0, err
			}
			for p := range oi.NumPages() {
				if ci.MaxValue(p).Int64() < lo || ci.MinValue(p).Int64() >= hi {
					continue
				}
				end := rg.NumRows()
				if p+1 < oi.NumPages() {
					end = oi.FirstRowIndex(p + 1)
				}
				keep = append(keep, rng{oi.FirstRowIndex(p), end})
			}
		}
		for _, r := range keep {
			rows += r.end - r.start
		}
		for _, cc := range chunks {
			pages := cc.Pages()
			for _, r := range keep {
				if err := pages.SeekToRow(r.start); err != nil {
					return 0, err
				}
				for row := r.start; row < r.end; {
					p, err := pages.ReadPage()
					if err == io.EOF {
						break
					}
					if err != nil {
						return 0, err
					}
					row += p.NumRows()
					pd := p.Data()
					if d := p.Dictionary(); d != nil {
						idx := pd.Int32()
						dv := d.Page().Data()
						switch d.Type().Kind() {
						case parquet.Int32:
							vals := dv.Int32()
							i32 = i32[:0]
							for _, x := range idx {
								i32 = append(i32, vals[x])
							}
						case parquet.Int64:
							vals := dv.Int64()
							i64 = i64[:0]
							for _, x := range idx {
								i64 = append(i64, vals[x])
							}
						default:
							vals, offs := dv.ByteArray()
							byts = byts[:0]
							for _, x := range idx {
								byts = append(byts, vals[offs[x]:offs[x+1]])
							}
						}
					} else {
						switch p.Type().Kind() {
						case parquet.Int32:
							i32 = append(i32[:0], pd.Int32()...)
						case parquet.Int64:
							i64 = append(i64[:0], pd.Int64()...)
						default:
							vals, offs := pd.ByteArray()
							byts = byts[:0]
							for k := 0; k+1 < len(offs); k++ {
								byts = append(byts, vals[offs[k]:offs[k+1]])
							}
						}
					}
					_ = p
				}
			}
			pages.Close()
		}
	}
	return rows, nil
}

func lineitemFormats() []format {
	return []format{
		doricFormat(segment.CompressionLZ4, false),
		doricFormat(segment.CompressionLZ4, true),
		doricFormat(segment.CompressionLZ4HC, false),
		parquetFormat("parquet-lz4", &pqlz4.Codec{}, false),
		parquetFormat("parquet-dict-lz4", &pqlz4.Codec{}, true),
		doricFormat(segment.CompressionZSTD, false),
		doricFormat(segment.CompressionZSTD, true),
		parquetFormat("parquet-zstd", &pqzstd.Codec{}, false),
		parquetFormat("parquet-dict-zstd", &pqzstd.Codec{}, true),
	}
}

// lineitemFile is lineitem written in one format.
type lineitemFile struct {
	format
	data []byte
}

type lineitemFiles struct {
	files   []lineitemFile
	n       int
	lo, hi  int64 // the filtered scan's key range: 1% of the rows
	minRows int64
}

// writeLineitemFiles writes lineitem in every format and keeps only the files.
var writeLineitemFiles = sync.OnceValues(func() (*lineitemFiles, error) {
	li, err := loadLineitem()
	if err != nil {
		return nil, err
	}
	out := &lineitemFiles{n: li.n}
	keys := li.cols[0].Int64
	out.lo, out.hi = keys[li.n/2], keys[li.n/2+li.n/100]
	for i := li.n / 2; i < li.n && keys[i] < out.hi; i++ {
		out.minRows++
	}
	for _, f := range lineitemFormats() {
		data, err := f.write(li)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		out.files = append(out.files, lineitemFile{f, data})
	}
	return out, nil
})

func lineitemFilesOrSkip(b *testing.B) *lineitemFiles {
	b.Helper()
	fs, err := writeLineitemFiles()
	if errors.Is(err, os.ErrNotExist) {
		b.Skipf("TPC-H lineitem not found at %s (it comes with ../shared/acceptance)", lineitemPath)
	}
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	return fs
}

// BenchmarkLineitemWrite reports write throughput (MB/s of the .tbl text) and the file size.
func BenchmarkLineitemWrite(b *testing.B) {
	li := lineitemOrSkip(b)
	for _, f := range lineitemFormats() {
		if f.reuse {
			continue
		}
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(li.tblBytes)
			var size int
			for range b.N {
				data, err := f.write(li)
				if err != nil {
					b.Fatal(err)
				}
				size = len(data)
			}
			b.ReportMetric(float64(size), "file-bytes")
		})
	}
}

// BenchmarkLineitemScan reports full-scan decode throughput of all 16 columns: rows/s over all
// iterations, and best-rows/s of the fastest one (steadier on a shared machine).
func BenchmarkLineitemScan(b *testing.B) {
	fs := lineitemFilesOrSkip(b)
	for _, f := range fs.files {
		b.Run(f.name, func(b *testing.B) {
			src := f.open(f.data)
			timeRows(b, f.format, fs.n, func() (int64, error) { return f.scan(src) }, int64(fs.n))
		})
	}
}

// BenchmarkLineitemFilter reports a filtered scan of all 16 columns of 1% of the orders
// (lo <= l_orderkey < hi), with page pruning; rows/s counts the rows of the whole table, and
// rows-read those the format had to decode.
func BenchmarkLineitemFilter(b *testing.B) {
	fs := lineitemFilesOrSkip(b)
	for _, f := range fs.files {
		b.Run(f.name, func(b *testing.B) {
			src := f.open(f.data)
			rows := timeRows(b, f.format, fs.n, func() (int64, error) { return f.query(src, fs.lo, fs.hi) }, fs.minRows)
			b.ReportMetric(float64(rows), "rows-read")
		})
	}
}

// timeRows runs scan b.N times and reports the table's rows per second; every scan must read at
// least minRows rows. It returns the rows the last scan read.
func timeRows(b *testing.B, f format, tableRows int, scan func() (int64, error), minRows int64) int64 {
	var rows int64
	best := time.Duration(1 << 62)
	start := time.Now()
	for range b.N {
		t0 := time.Now()
		var err error
		if rows, err = scan(); err != nil {
			if f.broken != "" {
				b.Skipf("%s: %v", f.broken, err)
			}
			b.Fatal(err)
		}
		best = min(best, time.Since(t0))
		if rows < minRows {
			b.Fatalf("read %d rows, want at least %d", rows, minRows)
		}
	}
	b.ReportMetric(float64(tableRows)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(tableRows)/best.Seconds(), "best-rows/s")
	return rows
}
