package index

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/doricdb/doric/compute/segment/encoding"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

var keyTypes = []types.T{types.New(types.Boolean), types.New(types.TinyInt), types.New(types.SmallInt),
	types.New(types.Int), types.New(types.BigInt), types.New(types.LargeInt), types.DecimalOf(9, 2),
	types.DecimalOf(18, 2), types.DecimalOf(30, 2), types.New(types.Date), types.DateTimeOf(3),
	types.CharOf(6), types.VarcharOf(50), types.New(types.String)}

func randValue(r *rand.Rand, t types.T) Value {
	switch t.Physical() {
	case types.PhysInt64:
		lo, hi := types.IntegerRange(t.Kind)
		if t.Kind == types.Date || t.Kind == types.Decimal && t.Precision <= 9 {
			lo, hi = -1<<31, 1<<31-1
		}
		if r.IntN(4) == 0 { // near the ends and small
			return Value{Int64: []int64{lo, hi, 0, -1, 1}[r.IntN(5)]}
		}
		return Value{Int64: lo + int64(r.Uint64N(uint64(hi-lo)))}
	case types.PhysInt128:
		return Value{Int128: types.Int128{Hi: r.Int64N(7) - 3, Lo: r.Uint64()}}
	}
	b := make([]byte, r.IntN(45))
	for i := range b {
		b[i] = "ab \x00\xff"[r.IntN(5)]
	}
	return Value{Bytes: b}
}

// TestShortKeyOrder checks that short keys order like their rows: for random rows of random
// key types, comparing the encoded keys never contradicts comparing the rows (NULL first), and
// bounds clamped into a column's range keep that.
func TestShortKeyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for range 300 {
		var ts []types.T
		for range 1 + r.IntN(4) {
			ts = append(ts, keyTypes[r.IntN(len(keyTypes))])
		}
		n := ShortKeyColumns(ts)
		if n == 0 {
			continue
		}
		ts = ts[:n]
		cols := make([]*vector.Vector, n)
		rows := 200
		for k, ty := range ts {
			cols[k] = vector.New(ty, rows)
			for i := range rows {
				if r.IntN(10) == 0 {
					cols[k].SetNull(i)
					continue
				}
				v := randValue(r, ty)
				if ty.Physical() == types.PhysInt64 {
					cols[k].Int64[i] = v.Int64
				} else if ty.Physical() == types.PhysInt128 {
					cols[k].Int128[i] = v.Int128
				} else {
					cols[k].Bytes[i] = v.Bytes
				}
			}
		}
		keys := make([][]byte, rows)
		for i := range rows {
			keys[i] = AppendKeyRow(nil, cols, i)
			if len(keys[i]) > MaxShortKeyLen {
				t.Fatalf("key of %d bytes for %v", len(keys[i]), ts)
			}
		}
		cmpRows := func(i, j int) int {
			for _, c := range cols {
				in, jn := c.IsNull(i), c.IsNull(j)
				switch {
				case in && jn:
					continue
				case in:
					return -1
				case jn:
					return 1
				}
				if x := Compare(c.Type, ValueAt(c, i), ValueAt(c, j)); x != 0 {
					return x
				}
			}
			return 0
		}
		for range 400 {
			i, j := r.IntN(rows), r.IntN(rows)
			if cmpRows(i, j) < 0 && bytes.Compare(keys[i], keys[j]) > 0 {
				t.Fatalf("types %v: row %d sorts before row %d but its key %x is greater than %x", ts, i, j, keys[i], keys[j])
			}
		}
		// Seek never excludes a row whose key prefix is within the bounds.
		order := vector.Identity(nil, rows)
		slices.SortStableFunc(order, func(a, b int32) int { return cmpRows(int(a), int(b)) })
		interval := int64(1 + r.IntN(20))
		x := &ShortKeyIndex{Interval: interval, NumRows: int64(rows)}
		for i := int64(0); i < int64(rows); i += interval {
			x.Keys = append(x.Keys, keys[order[i]])
		}
		lo, hi := int(order[r.IntN(rows)]), int(order[r.IntN(rows)])
		if cols[0].IsNull(lo) || cols[0].IsNull(hi) {
			continue
		}
		if cmpRows(lo, hi) > 0 {
			lo, hi = hi, lo
		}
		enc := func(i int) []byte {
			var vals []Value
			for _, c := range cols {
				if c.IsNull(i) {
					break
				}
				vals = append(vals, ValueAt(c, i))
			}
			return AppendKeyValues(nil, ts, vals)
		}
		start, end := x.Seek(enc(lo), enc(hi))
		for pos, row := range order {
			if cmpRows(int(row), lo) >= 0 && cmpRows(int(row), hi) <= 0 && (int64(pos) < start || int64(pos) >= end) {
				t.Fatalf("types %v: row at %d within the bounds but Seek gave [%d, %d)", ts, pos, start, end)
			}
		}
	}
}

func TestShortKeyColumns(t *testing.T) {
	for _, tc := range []struct {
		ts   []types.T
		want int
	}{
		{[]types.T{types.New(types.Int), types.New(types.BigInt), types.New(types.Date), types.New(types.Int)}, 3},
		{[]types.T{types.VarcharOf(10), types.New(types.Int)}, 1},
		{[]types.T{types.New(types.Double)}, 0},
		{[]types.T{types.New(types.LargeInt), types.New(types.LargeInt), types.New(types.LargeInt)}, 2},
		{[]types.T{types.New(types.LargeInt), types.New(types.LargeInt), types.New(types.String)}, 3},
		{[]types.T{types.New(types.Int), types.New(types.Float), types.New(types.Int)}, 1},
	} {
		if got := ShortKeyColumns(tc.ts); got != tc.want {
			t.Errorf("ShortKeyColumns(%v) = %d, want %d", tc.ts, got, tc.want)
		}
	}
}

// TestBloom checks that filters have no false negatives and about the false-positive rate
// they are sized for.
func TestBloom(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 1))
	ty := types.New(types.BigInt)
	for _, n := range []int{1, 10, 1000, 20000} {
		f := NewBloom(n, DefaultBloomFPP)
		for i := range n {
			f.Insert(Hash(ty, Value{Int64: int64(i)}))
		}
		for i := range n {
			if !f.MayContain(Hash(ty, Value{Int64: int64(i)})) {
				t.Fatalf("n=%d: value %d missing", n, i)
			}
		}
		fp := 0
		for range 20000 {
			if f.MayContain(Hash(ty, Value{Int64: int64(n) + r.Int64N(1<<40)})) {
				fp++
			}
		}
		if rate := float64(fp) / 20000; rate > 2*DefaultBloomFPP {
			t.Errorf("n=%d: false-positive rate %.3f", n, rate)
		}
	}
	if (Bloom(nil)).MayContain(42) {
		t.Error("an empty filter contains something")
	}
	// Canonical forms hash alike.
	ch := types.CharOf(5)
	if Hash(ch, Value{Bytes: []byte("ab  ")}) != Hash(ch, Value{Bytes: []byte("ab")}) {
		t.Error("CHAR trailing spaces change the hash")
	}
	dbl := types.New(types.Double)
	if Hash(dbl, Value{Float64: math.Copysign(0, -1)}) != Hash(dbl, Value{Float64: 0}) {
		t.Error("-0 and +0 hash differently")
	}
}

func TestZoneMaps(t *testing.T) {
	s := vector.New(types.VarcharOf(200), 3)
	s.Bytes[0] = bytes.Repeat([]byte("b"), 100)
	s.Bytes[1] = []byte("a")
	s.SetNull(2)
	z := ZoneOf(s, 0, 3)
	if !z.HasMinMax || string(z.Min.Bytes) != "a" || z.NullCount != 1 {
		t.Fatalf("zone %+v", z)
	}
	if len(z.Max.Bytes) != MaxZoneBytes-1+1 || Compare(s.Type, z.Max, Value{Bytes: s.Bytes[0]}) <= 0 {
		t.Fatalf("long max %q is not a short upper bound", z.Max.Bytes)
	}
	back, err := DecodeZoneMap(s.Type, AppendZoneMap(nil, s.Type, z))
	if err != nil || !bytes.Equal(back.Min.Bytes, z.Min.Bytes) || !bytes.Equal(back.Max.Bytes, z.Max.Bytes) || back.NullCount != 1 {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	if z.MayContain(s.Type, Value{Bytes: []byte("c")}, 3) || !z.MayContain(s.Type, Value{Bytes: []byte("b")}, 3) {
		t.Error("MayContain")
	}
	all := vector.New(types.New(types.Int), 2)
	all.SetNull(0)
	all.SetNull(1)
	za := ZoneOf(all, 0, 2)
	if za.HasMinMax || za.MayOverlap(all.Type, nil, nil, 2) {
		t.Errorf("all-NULL zone %+v may hold a value", za)
	}
	m := NewZoneMerger(s.Type)
	m.Add(z, 3)
	m.Add(za, 2)
	if mz := m.Zone(); !mz.HasMinMax || mz.NullCount != 3 {
		t.Errorf("merged %+v", mz)
	}
	if _, err := DecodeZoneMap(types.New(types.Int), []byte{0x0a, 0x01, 0x00, 0x20, 0x01}); !errors.Is(err, encoding.ErrCorrupt) {
		t.Errorf("a 1-byte INT min: %v", err)
	}
}

func TestOrdinal(t *testing.T) {
	o := &Ordinal{FirstRow: []int64{0, 10, 25}, Offset: []int64{0, 100, 200}, Size: []int64{100, 100, 50}, NumRows: 30}
	back, err := DecodeOrdinal(AppendOrdinal(nil, o), 3, 30, 250)
	if err != nil || !slices.Equal(back.FirstRow, o.FirstRow) || !slices.Equal(back.Size, o.Size) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	for row, want := range map[int64]int{0: 0, 9: 0, 10: 1, 24: 1, 25: 2, 29: 2} {
		if got := back.Page(row); got != want {
			t.Errorf("Page(%d) = %d, want %d", row, got, want)
		}
	}
	for _, bad := range []struct {
		pages         int
		rows, dataEnd int64
	}{{2, 30, 250}, {3, 25, 250}, {3, 30, 249}} {
		if _, err := DecodeOrdinal(AppendOrdinal(nil, o), bad.pages, bad.rows, bad.dataEnd); !errors.Is(err, encoding.ErrCorrupt) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// TestShortKeyClamp: a bound outside a column's range encodes as the end of the range, so it
// still compares correctly with every stored key.
func TestShortKeyClamp(t *testing.T) {
	ts := []types.T{types.New(types.TinyInt)}
	hi := AppendKeyValues(nil, ts, []Value{{Int64: 1000}})
	lo := AppendKeyValues(nil, ts, []Value{{Int64: -1000}})
	for x := int64(-128); x <= 127; x++ {
		k := AppendKeyValues(nil, ts, []Value{{Int64: x}})
		if bytes.Compare(k, hi) > 0 || bytes.Compare(k, lo) < 0 {
			t.Fatalf("key of %d (%x) outside the clamped bounds [%x, %x]", x, k, lo, hi)
		}
	}
	if !bytes.Equal(hi, AppendKeyValues(nil, ts, []Value{{Int64: 127}})) {
		t.Errorf("1000 in a TINYINT key is %x", hi)
	}
}

// FuzzDecoders feeds arbitrary bytes to every index decoder: errors are fine, panics are not.
func FuzzDecoders(f *testing.F) {
	o := &Ordinal{FirstRow: []int64{0, 10}, Offset: []int64{0, 100}, Size: []int64{100, 50}, NumRows: 20}
	f.Add(AppendOrdinal(nil, o), uint8(0))
	iv := vector.New(types.New(types.Int), 2)
	iv.Int64[1] = 9
	f.Add(AppendZoneMap(nil, iv.Type, ZoneOf(iv, 0, 2)), uint8(1))
	b := NewBloom(10, DefaultBloomFPP)
	b.Insert(7)
	f.Add(AppendBloomIndex(nil, []Bloom{b, nil}), uint8(2))
	f.Add(AppendShortKeyIndex(nil, [][]byte{{2, 0x80, 0, 0, 1}, {2, 0x80, 0, 0, 7}}), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		switch which % 5 {
		case 0:
			DecodeOrdinal(data, 2, 20, 150)
		case 1:
			DecodeZoneMap(types.New(types.Int), data)
		case 2:
			DecodeZoneMap(types.VarcharOf(10), data)
		case 3:
			if bs, err := DecodeBloomIndex(data, 2); err == nil {
				bs[0].MayContain(7)
			}
		default:
			if x, err := DecodeShortKeyIndex(data, 1024, 2000); err == nil {
				x.Seek([]byte{2, 0x80}, []byte{2, 0x81})
			}
		}
	})
}
