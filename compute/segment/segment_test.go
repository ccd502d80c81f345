package segment_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/segment/index"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault/mem"
)

// smallSegment returns the bytes of a small segment with several pages per column, a sort key,
// NULLs and a bloom filter, so that every kind of block is in it.
func smallSegment(t testing.TB, c segment.Compression) []byte {
	r := rand.New(rand.NewPCG(7, 7))
	tb := &table{n: 300, numKeys: 2}
	for k, ty := range []types.T{types.New(types.Int), types.VarcharOf(10), types.DecimalOf(30, 4), types.New(types.Double), types.CharOf(4)} {
		d := []distribution{distSorted, distFew, distNarrow, distUniform, distRuns}[k]
		tb.specs = append(tb.specs, segment.ColumnSpec{UniqueID: int32(k + 1), Type: ty, Nullable: k > 0})
		tb.cols = append(tb.cols, randomColumn(r, ty, tb.n, []float64{0, 0.1, 0.2, 0.05, 0}[k], d))
		tb.dists = append(tb.dists, d)
	}
	tb.sortByKeys()
	var buf bytes.Buffer
	w, err := segment.NewWriter(&buf, tb.specs, segment.Options{PageSize: 400, Compression: c, NumSortKeyColumns: 2,
		ShortKeyInterval: 16, BloomFilterColumns: []int32{2}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(vector.NewBatch(tb.cols, tb.n)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAll opens data as a segment, loads every index and reads every column; it returns the
// first error.
func readAll(data []byte) (int, error) {
	ctx := context.Background()
	st := mem.New()
	if _, err := st.Put(ctx, "data/7/bad_0.dat", bytes.NewReader(data)); err != nil {
		return 0, err
	}
	seg, err := segment.Open(ctx, st, "data/7/bad_0.dat", -1)
	if err != nil {
		return 0, err
	}
	idx := make([]int, len(seg.Columns()))
	for i := range idx {
		idx[i] = i
		if _, err := seg.ZoneMaps(ctx, i); err != nil {
			return 0, err
		}
		if _, err := seg.BloomFilters(ctx, i); err != nil {
			return 0, err
		}
	}
	if _, err := seg.ShortKeyIndex(ctx); err != nil {
		return 0, err
	}
	it := seg.NewIterator(idx, segment.IteratorOptions{BatchSize: 7})
	rows := 0
	for {
		b, err := it.Next(ctx)
		if err != nil || b == nil {
			return rows, err
		}
		rows += b.N
	}
}

// TestEveryByteIsChecked flips every byte of a segment and truncates it at every length: each
// damage is reported as corruption of that file when it is read.
func TestEveryByteIsChecked(t *testing.T) {
	for _, c := range []segment.Compression{segment.CompressionNone, segment.CompressionLZ4, segment.CompressionZSTD} {
		data := smallSegment(t, c)
		if rows, err := readAll(data); err != nil || rows != 300 {
			t.Fatalf("%s: intact segment: %d rows, %v", c, rows, err)
		}
		check := func(what string, bad []byte) {
			t.Helper()
			_, err := readAll(bad)
			if !errors.Is(err, segment.ErrCorrupt) {
				t.Fatalf("%s: %s: %v, want ErrCorrupt", c, what, err)
			}
			if !strings.Contains(err.Error(), "segment data/7/bad_0.dat: ") {
				t.Fatalf("%s: %s: error %q does not name the file", c, what, err)
			}
		}
		for i := range data {
			bad := append([]byte{}, data...)
			bad[i] ^= 1 << (i % 8)
			check(fmt.Sprintf("flipping a bit of byte %d of %d", i, len(data)), bad)
		}
		for n := range len(data) {
			check(fmt.Sprintf("truncating to %d of %d bytes", n, len(data)), data[:n])
		}
	}
}

func TestCorruptionMessages(t *testing.T) {
	data := smallSegment(t, segment.CompressionNone)
	flip := func(i int) []byte {
		bad := append([]byte{}, data...)
		bad[i] ^= 0x10
		return bad
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"first data page", flip(10), "segment data/7/bad_0.dat: column 1 page 0 (rows 0.., offset 0): corrupt segment: block checksum mismatch"},
		{"footer", flip(len(data) - 30), "segment data/7/bad_0.dat: corrupt segment: footer checksum mismatch"},
		{"magic", flip(len(data) - 1), `segment data/7/bad_0.dat: corrupt segment: bad magic "DORC", want "DORS"`},
		{"version", flip(len(data) - 8), "segment data/7/bad_0.dat: corrupt segment: unsupported format version 18 (this reader knows 2)"},
		{"truncated", data[:10], "segment data/7/bad_0.dat: corrupt segment: 10 bytes is shorter than the 16-byte trailer"},
	} {
		_, err := readAll(tc.data)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: got %v\nwant %s...", tc.name, err, tc.want)
		}
	}
}

func FuzzOpen(f *testing.F) {
	for _, c := range []segment.Compression{segment.CompressionNone, segment.CompressionLZ4, segment.CompressionZSTD} {
		f.Add(smallSegment(f, c))
	}
	f.Add([]byte("DORS"))
	f.Add(append(make([]byte, 12), "DORS"...))
	f.Fuzz(func(t *testing.T, data []byte) {
		readAll(data) // must not panic; errors are fine
		// Again with the footer checksum made right, so that mutations of the footer reach
		// the footer decoder and the validation (blocks keep their own checksums).
		if n := len(data); n >= 16 {
			flen := int(binary.LittleEndian.Uint32(data[n-16:]))
			if flen <= n-16 {
				fixed := append([]byte(nil), data...)
				binary.LittleEndian.PutUint32(fixed[n-12:], crc32.Checksum(fixed[n-16-flen:n-16], crc32.MakeTable(crc32.Castagnoli)))
				readAll(fixed)
			}
		}
	})
}

func TestWriterRejects(t *testing.T) {
	specs := []segment.ColumnSpec{{UniqueID: 1, Type: types.New(types.Int)}}
	var buf bytes.Buffer
	w, _ := segment.NewWriter(&buf, specs, segment.Options{})
	v := vector.New(types.New(types.Int), 2)
	v.SetNull(1)
	if err := w.Append(vector.NewBatch([]*vector.Vector{v}, 2)); err == nil {
		t.Error("NULL accepted in a non-nullable column")
	}
	w, _ = segment.NewWriter(&buf, specs, segment.Options{})
	if err := w.Append(vector.NewBatch([]*vector.Vector{vector.New(types.New(types.Double), 1)}, 1)); err == nil {
		t.Error("DOUBLE accepted in an INT column")
	}
	if _, err := segment.NewWriter(&buf, append(specs, specs[0]), segment.Options{}); err == nil {
		t.Error("duplicate unique ids accepted")
	}
	if _, err := segment.NewWriter(&buf, specs, segment.Options{BloomFilterColumns: []int32{9}}); err == nil {
		t.Error("bloom filter on an unknown column accepted")
	}
	// Rows out of sort-key order are caught at a short-key entry, and the writer stays failed.
	w, _ = segment.NewWriter(&buf, specs, segment.Options{NumSortKeyColumns: 1, ShortKeyInterval: 2})
	v = vector.New(types.New(types.Int), 4)
	v.Int64 = []int64{5, 6, 1, 2}
	if err := w.Append(vector.NewBatch([]*vector.Vector{v}, 4)); err == nil || !strings.Contains(err.Error(), "not sorted") {
		t.Errorf("unsorted rows: %v", err)
	}
	if _, err := w.Close(); err == nil {
		t.Error("Close after a failed Append succeeded")
	}
}

func TestParseCompression(t *testing.T) {
	for in, want := range map[string]segment.Compression{"": segment.CompressionDefault, "LZ4": segment.CompressionLZ4,
		"lz4f": segment.CompressionLZ4, "lz4hc": segment.CompressionLZ4HC, "ZSTD": segment.CompressionZSTD,
		"no_compression": segment.CompressionNone, "default_compression": segment.CompressionDefault} {
		if got, err := segment.ParseCompression(in); err != nil || got != want {
			t.Errorf("ParseCompression(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := segment.ParseCompression("snappy"); !errors.Is(err, segment.ErrUnsupportedCompression) {
		t.Errorf("snappy: %v", err)
	}
	if _, err := segment.ParseCompression("gzip9"); err == nil || !strings.Contains(err.Error(), `"gzip9"`) {
		t.Errorf("gzip9: %v", err)
	}
}

// TestFixture pins the byte layout of a whole segment (FORMAT.md): testdata/fixture holds rows
// and the exact file they make, which is also decoded back and compared with the rows. The
// "prune" command shows which rows predicates leave. Regenerate with -rewrite only with a new
// format version (or, for LZ4/ZSTD cases, a compressor library that compresses differently).
func TestFixture(t *testing.T) {
	var seg *segment.Segment
	var specs []segment.ColumnSpec
	datadriven.RunTest(t, "testdata/fixture", func(t *testing.T, d *datadriven.TestData) string {
		ctx := context.Background()
		switch d.Cmd {
		case "write":
			opts := segment.Options{PageSize: 64 << 10, ShortKeyInterval: 1024}
			d.MaybeScanArgs(t, "page-size", &opts.PageSize)
			d.MaybeScanArgs(t, "sort-keys", &opts.NumSortKeyColumns)
			d.MaybeScanArgs(t, "interval", &opts.ShortKeyInterval)
			var comp string
			d.MaybeScanArgs(t, "compression", &comp)
			var err error
			if opts.Compression, err = segment.ParseCompression(comp); err != nil {
				d.Fatalf(t, "%v", err)
			}
			if d.HasArg("bloom") {
				var ids []int
				d.ScanArgs(t, "bloom", &ids)
				for _, id := range ids {
					opts.BloomFilterColumns = append(opts.BloomFilterColumns, int32(id))
				}
			}
			var cols []*vector.Vector
			var n int
			specs, cols, n = parseRows(t, d.Input)
			var buf bytes.Buffer
			w, err := segment.NewWriter(&buf, specs, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Append(vector.NewBatch(cols, n)); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Close(); err != nil {
				t.Fatal(err)
			}
			// Decode the checked-in bytes when there are some, else what was written.
			data := buf.Bytes()
			if exp := undump(d.Expected); len(exp) > 0 {
				data = exp
			}
			st := mem.New()
			st.Put(ctx, "f", bytes.NewReader(data))
			if seg, err = segment.Open(ctx, st, "f", int64(len(data))); err != nil {
				t.Fatalf("decoding the fixture: %v", err)
			}
			idx := make([]int, len(specs))
			for i := range idx {
				idx[i] = i
			}
			it := seg.NewIterator(idx, segment.IteratorOptions{BatchSize: 1000})
			row := 0
			for {
				b, err := it.Next(ctx)
				if err != nil {
					t.Fatalf("decoding the fixture rows: %v", err)
				}
				if b == nil {
					break
				}
				for c := range cols {
					for i := range b.N {
						if !sameValue(b.Cols[c], i, cols[c], row+i) {
							t.Fatalf("fixture column %d row %d: %s, want %s", c, row+i, b.Cols[c].Format(i), cols[c].Format(row+i))
						}
					}
				}
				row += b.N
			}
			if row != n {
				t.Fatalf("fixture decoded %d rows, want %d", row, n)
			}
			return hex.Dump(buf.Bytes())
		case "prune":
			var out strings.Builder
			for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
				preds := parsePredicates(t, seg, specs, line)
				ranges, st, err := seg.Prune(ctx, preds)
				if err != nil {
					d.Fatalf(t, "%v", err)
				}
				fmt.Fprintf(&out, "%s: rows %v (short key excluded %d rows, zone maps %d pages, bloom %d pages",
					line, ranges, st.ShortKeyRows, st.ZoneMapPages, st.BloomPages)
				if st.SegmentPruned {
					out.WriteString(", segment zone map excluded all")
				}
				out.WriteString(")\n")
			}
			return out.String()
		}
		d.Fatalf(t, "unknown command %s", d.Cmd)
		return ""
	})
}

// parsePredicates reads "c1 >= 5 and c2 in (a b)": column by unique id, then an operator and
// its constants.
func parsePredicates(t *testing.T, seg *segment.Segment, specs []segment.ColumnSpec, line string) []segment.Predicate {
	var preds []segment.Predicate
	for _, part := range strings.Split(line, " and ") {
		f := strings.Fields(part)
		var id int32
		if _, err := fmt.Sscanf(f[0], "c%d", &id); err != nil {
			t.Fatalf("bad column in %q", part)
		}
		c := seg.FindColumn(id)
		ops := map[string]segment.Op{"=": segment.OpEq, "<": segment.OpLt, "<=": segment.OpLe, ">": segment.OpGt,
			">=": segment.OpGe, "in": segment.OpIn, "is-null": segment.OpIsNull, "not-null": segment.OpNotNull}
		op, ok := ops[f[1]]
		if !ok {
			t.Fatalf("bad operator in %q", part)
		}
		p := segment.Predicate{Column: c, Op: op}
		for _, s := range f[2:] {
			s = strings.Trim(s, "()")
			if s == "" {
				continue
			}
			text := vector.New(types.New(types.String), 1)
			text.Bytes[0] = []byte(s)
			p.Values = append(p.Values, index.ValueAt(expr.Cast(text, []int32{0}, specs[c].Type), 0))
		}
		preds = append(preds, p)
	}
	return preds
}

// undump parses the output of hex.Dump.
func undump(s string) []byte {
	var out []byte
	for _, line := range strings.Split(s, "\n") {
		if len(line) < 10 {
			continue
		}
		hexPart := line[10:min(len(line), 58)]
		b, err := hex.DecodeString(strings.ReplaceAll(hexPart, " ", ""))
		if err != nil {
			return nil
		}
		out = append(out, b...)
	}
	return out
}

// parseRows reads "id:type[!] ..." (! = not nullable) then rows of values (NULL for NULL).
func parseRows(t *testing.T, input string) ([]segment.ColumnSpec, []*vector.Vector, int) {
	lines := strings.Split(strings.TrimSpace(input), "\n")
	var specs []segment.ColumnSpec
	for _, f := range strings.Fields(lines[0]) {
		var id int32
		var ty string
		if _, err := fmt.Sscanf(strings.Replace(f, ":", " ", 1), "%d %s", &id, &ty); err != nil {
			t.Fatalf("column %q: %v", f, err)
		}
		nullable := !strings.HasSuffix(ty, "!")
		specs = append(specs, segment.ColumnSpec{UniqueID: id, Type: parseType(t, strings.TrimSuffix(ty, "!")), Nullable: nullable})
	}
	n := len(lines) - 1
	cols := make([]*vector.Vector, len(specs))
	for c, s := range specs {
		text := vector.New(types.New(types.String), n)
		for r, line := range lines[1:] {
			f := strings.Fields(line)[c]
			if f == "NULL" {
				text.SetNull(r)
			} else {
				text.Bytes[r] = []byte(f)
			}
		}
		cols[c] = expr.Cast(text, vector.Identity(nil, n), s.Type)
	}
	return specs, cols, n
}

func parseType(t *testing.T, s string) types.T {
	switch {
	case s == "bigint":
		return types.New(types.BigInt)
	case s == "int":
		return types.New(types.Int)
	case s == "double":
		return types.New(types.Double)
	case s == "float":
		return types.New(types.Float)
	case s == "date":
		return types.New(types.Date)
	case s == "largeint":
		return types.New(types.LargeInt)
	case s == "boolean":
		return types.New(types.Boolean)
	case strings.HasPrefix(s, "varchar"):
		var n int32
		fmt.Sscanf(s, "varchar(%d)", &n)
		return types.VarcharOf(n)
	case strings.HasPrefix(s, "char"):
		var n int32
		fmt.Sscanf(s, "char(%d)", &n)
		return types.CharOf(n)
	case strings.HasPrefix(s, "decimal"):
		var p, sc int32
		fmt.Sscanf(s, "decimal(%d,%d)", &p, &sc)
		return types.DecimalOf(p, sc)
	}
	t.Fatalf("unknown type %q", s)
	return types.T{}
}
