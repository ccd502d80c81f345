package segment_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault/mem"
)

var allTypes = []types.T{
	types.New(types.Boolean), types.New(types.TinyInt), types.New(types.Int), types.New(types.BigInt),
	types.New(types.LargeInt), types.New(types.Float), types.New(types.Double), types.DecimalOf(9, 2),
	types.DecimalOf(27, 9), types.New(types.Date), types.DateTimeOf(6), types.CharOf(8), types.VarcharOf(100),
	types.New(types.String),
}

func randomColumn(r *rand.Rand, t types.T, n int, nullable bool) *vector.Vector {
	v := vector.New(t, n)
	for i := range n {
		if nullable && r.IntN(5) == 0 {
			v.SetNull(i)
			continue
		}
		switch t.Physical() {
		case types.PhysInt64:
			lo, hi := types.IntegerRange(t.Kind)
			if !t.IsInteger() && t.Kind != types.Boolean {
				lo, hi = -100000, 100000
			}
			if t.Kind == types.BigInt {
				v.Int64[i] = int64(r.Uint64())
			} else {
				v.Int64[i] = lo + r.Int64N(hi-lo)
			}
		case types.PhysInt128:
			v.Int128[i] = types.Int128{Hi: r.Int64N(1000) - 500, Lo: r.Uint64()}
		case types.PhysFloat64:
			v.Float64[i] = r.NormFloat64() * 1e6
			if r.IntN(50) == 0 {
				v.Float64[i] = math.NaN()
			}
		default:
			b := make([]byte, r.IntN(40))
			for k := range b {
				b[k] = byte('a' + r.IntN(26))
			}
			if r.IntN(100) == 0 {
				b = bytes.Repeat([]byte("x"), 300) // beyond the zone map limit
			}
			v.Bytes[i] = b
		}
	}
	return v
}

func format(v *vector.Vector, i int) string {
	if v.Type.IsFloat() && !v.IsNull(i) {
		return fmt.Sprint(math.Float64bits(v.Float64[i])) // exact, NaN included
	}
	return v.Format(i)
}

func writeSegment(t *testing.T, r *rand.Rand, specs []segment.ColumnSpec, cols []*vector.Vector, n int, opts segment.Options) (*mem.Storage, segment.Info) {
	t.Helper()
	st := mem.New()
	info, err := segment.WriteToVault(context.Background(), st, "data/1/r_0.dat", specs, opts, func(w *segment.Writer) error {
		for lo := 0; lo < n; {
			hi := min(n, lo+1+r.IntN(3000))
			b := vector.NewBatch(nil, n)
			b.Cols = append(b.Cols, cols...)
			b.Sel = vector.Identity(nil, hi)[lo:]
			if err := w.Append(b); err != nil {
				return err
			}
			lo = hi
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, info
}

// TestRoundTrip writes random columns of every type with random page sizes and batch sizes and
// reads them back through random column subsets.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	for iter := range 12 {
		n := r.IntN(20000)
		if iter == 0 {
			n = 0
		}
		var specs []segment.ColumnSpec
		var cols []*vector.Vector
		for k, ty := range allTypes {
			nullable := r.IntN(2) == 0
			specs = append(specs, segment.ColumnSpec{UniqueID: int32(100 + k), Type: ty, Nullable: nullable})
			cols = append(cols, randomColumn(r, ty, n, nullable))
		}
		opts := segment.Options{PageSize: 64 + r.IntN(64<<10), MaxPageRows: 1 + r.IntN(70000)}
		st, info := writeSegment(t, r, specs, cols, n, opts)
		if info.NumRows != int64(n) {
			t.Fatalf("info rows %d, want %d", info.NumRows, n)
		}
		size := info.Size
		if iter%2 == 0 {
			size = -1 // Open stats the file
		}
		seg, err := segment.Open(ctx, st, "data/1/r_0.dat", size)
		if err != nil {
			t.Fatal(err)
		}
		if seg.NumRows() != int64(n) || len(seg.Columns()) != len(specs) {
			t.Fatalf("opened %d rows %d columns", seg.NumRows(), len(seg.Columns()))
		}
		checkZoneMaps(t, seg, cols)
		pick := r.Perm(len(specs))[:1+r.IntN(len(specs))]
		var idx []int
		for _, p := range pick {
			idx = append(idx, seg.FindColumn(specs[p].UniqueID))
		}
		it := seg.NewIterator(idx, 1+r.IntN(5000))
		row := 0
		for {
			b, err := it.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if b == nil {
				break
			}
			if err := b.Validate(); err != nil {
				t.Fatal(err)
			}
			for k, p := range pick {
				for i := range b.N {
					if got, want := format(b.Cols[k], i), format(cols[p], row+i); got != want {
						t.Fatalf("iter %d column %s row %d: got %s want %s", iter, specs[p].Type, row+i, got, want)
					}
				}
			}
			row += b.N
		}
		if row != n {
			t.Fatalf("read %d rows, wrote %d", row, n)
		}
	}
}

func checkZoneMaps(t *testing.T, seg *segment.Segment, cols []*vector.Vector) {
	t.Helper()
	for c, ci := range seg.Columns() {
		v := cols[c]
		for _, p := range ci.Pages {
			hasNull, lo, hi := false, "", ""
			var loV, hiV *vector.Vector
			first := true
			tooLong := false
			for i := p.FirstRow; i < p.FirstRow+p.NumRows; i++ {
				if v.IsNull(int(i)) {
					hasNull = true
					continue
				}
				if v.Type.IsFloat() && math.IsNaN(v.Float64[i]) {
					continue
				}
				if v.Type.IsString() && len(v.Bytes[i]) > 256 {
					tooLong = true
				}
				one := v.Slice(int(i), int(i)+1)
				if first || less(one, loV) {
					loV = one
				}
				if first || less(hiV, one) {
					hiV = one
				}
				first = false
			}
			if p.Zone.HasNull != hasNull {
				t.Fatalf("column %d page at row %d: has_null %v, want %v", c, p.FirstRow, p.Zone.HasNull, hasNull)
			}
			if tooLong || first {
				if p.Zone.HasMinMax {
					t.Fatalf("column %d page at row %d: unexpected min/max", c, p.FirstRow)
				}
				continue
			}
			lo, hi = plain(loV), plain(hiV)
			if !p.Zone.HasMinMax || string(p.Zone.Min) != lo || string(p.Zone.Max) != hi {
				t.Fatalf("column %s page at row %d: zone %x..%x, want %x..%x", v.Type, p.FirstRow, p.Zone.Min, p.Zone.Max, lo, hi)
			}
		}
	}
}

func less(a, b *vector.Vector) bool {
	switch a.Type.Physical() {
	case types.PhysInt64:
		return a.Int64[0] < b.Int64[0]
	case types.PhysInt128:
		return a.Int128[0].Cmp(b.Int128[0]) < 0
	case types.PhysFloat64:
		return a.Float64[0] < b.Float64[0]
	}
	return bytes.Compare(a.Bytes[0], b.Bytes[0]) < 0
}

func plain(v *vector.Vector) string {
	switch v.Type.Physical() {
	case types.PhysInt64:
		return string(binary.LittleEndian.AppendUint64(nil, uint64(v.Int64[0])))
	case types.PhysInt128:
		b := binary.LittleEndian.AppendUint64(nil, v.Int128[0].Lo)
		return string(binary.LittleEndian.AppendUint64(b, uint64(v.Int128[0].Hi)))
	case types.PhysFloat64:
		return string(binary.LittleEndian.AppendUint64(nil, math.Float64bits(v.Float64[0])))
	}
	return string(v.Bytes[0])
}

// smallSegment returns the bytes of a small segment with several pages per column.
func smallSegment(t testing.TB) []byte {
	r := rand.New(rand.NewPCG(7, 7))
	specs := []segment.ColumnSpec{
		{UniqueID: 1, Type: types.New(types.BigInt)},
		{UniqueID: 2, Type: types.VarcharOf(10), Nullable: true},
		{UniqueID: 3, Type: types.DecimalOf(30, 4), Nullable: true},
		{UniqueID: 4, Type: types.New(types.Double), Nullable: true},
	}
	n := 40
	cols := []*vector.Vector{randomColumn(r, specs[0].Type, n, false), randomColumn(r, specs[1].Type, n, true),
		randomColumn(r, specs[2].Type, n, true), randomColumn(r, specs[3].Type, n, true)}
	var buf bytes.Buffer
	w, err := segment.NewWriter(&buf, specs, segment.Options{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(vector.NewBatch(cols, n)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAll opens data as a segment and reads every column; it returns the first error.
func readAll(data []byte) (int, error) {
	ctx := context.Background()
	st := mem.New()
	if _, err := st.Put(ctx, "s", bytes.NewReader(data)); err != nil {
		return 0, err
	}
	seg, err := segment.Open(ctx, st, "s", -1)
	if err != nil {
		return 0, err
	}
	idx := make([]int, len(seg.Columns()))
	for i := range idx {
		idx[i] = i
	}
	it := seg.NewIterator(idx, 7)
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
// damage must be reported as corruption when the file is read.
func TestEveryByteIsChecked(t *testing.T) {
	data := smallSegment(t)
	if rows, err := readAll(data); err != nil || rows != 40 {
		t.Fatalf("intact segment: %d rows, %v", rows, err)
	}
	for i := range data {
		bad := append([]byte{}, data...)
		bad[i] ^= 0x5a
		if _, err := readAll(bad); !errors.Is(err, segment.ErrCorrupt) {
			t.Fatalf("flipping byte %d of %d: %v, want ErrCorrupt", i, len(data), err)
		}
	}
	for n := range len(data) {
		if _, err := readAll(data[:n]); !errors.Is(err, segment.ErrCorrupt) {
			t.Fatalf("truncating to %d of %d bytes: %v, want ErrCorrupt", n, len(data), err)
		}
	}
}

func FuzzOpen(f *testing.F) {
	f.Add(smallSegment(f))
	f.Add([]byte("DORS"))
	f.Add(append(make([]byte, 12), "DORS"...))
	f.Fuzz(func(t *testing.T, data []byte) {
		readAll(data) // must not panic; errors are fine
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
}

// TestFixture pins the byte layout (FORMAT.md): the golden hex dump in testdata/fixture must not
// change unless the format version does. The checked-in bytes are also decoded back.
func TestFixture(t *testing.T) {
	datadriven.RunTest(t, "testdata/fixture", func(t *testing.T, d *datadriven.TestData) string {
		if d.Cmd != "write" {
			d.Fatalf(t, "unknown command %s", d.Cmd)
		}
		var pageSize int
		d.ScanArgs(t, "page-size", &pageSize)
		specs, cols, n := parseRows(t, d.Input)
		var buf bytes.Buffer
		w, err := segment.NewWriter(&buf, specs, segment.Options{PageSize: pageSize})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Append(vector.NewBatch(cols, n)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		// Decode the expected (checked-in) bytes when present, else what we wrote.
		data := buf.Bytes()
		if exp := undump(d.Expected); len(exp) > 0 {
			data = exp
		}
		st := mem.New()
		st.Put(context.Background(), "f", bytes.NewReader(data))
		seg, err := segment.Open(context.Background(), st, "f", int64(len(data)))
		if err != nil {
			t.Fatalf("decoding the fixture: %v", err)
		}
		idx := make([]int, len(specs))
		for i := range idx {
			idx[i] = i
		}
		it := seg.NewIterator(idx, 1000)
		row := 0
		for {
			b, err := it.Next(context.Background())
			if err != nil {
				t.Fatalf("decoding the fixture rows: %v", err)
			}
			if b == nil {
				break
			}
			for c := range cols {
				for i := range b.N {
					if b.Cols[c].Format(i) != cols[c].Format(row+i) {
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
	})
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
	case s == "date":
		return types.New(types.Date)
	case s == "largeint":
		return types.New(types.LargeInt)
	case strings.HasPrefix(s, "varchar"):
		var n int32
		fmt.Sscanf(s, "varchar(%d)", &n)
		return types.VarcharOf(n)
	case strings.HasPrefix(s, "decimal"):
		var p, sc int32
		fmt.Sscanf(s, "decimal(%d,%d)", &p, &sc)
		return types.DecimalOf(p, sc)
	}
	t.Fatalf("unknown type %q", s)
	return types.T{}
}
