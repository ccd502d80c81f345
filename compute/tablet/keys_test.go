package tablet_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/model"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// randomColumn fills n rows of a column of t with few distinct values (so keys collide), NULLs
// included.
func randomColumn(r *rand.Rand, t types.T, n int) *vector.Vector {
	v := vector.New(t, n)
	for i := range n {
		if r.IntN(7) == 0 {
			v.SetNull(i)
			continue
		}
		switch t.Physical() {
		case types.PhysInt64:
			v.Int64[i] = []int64{math.MinInt64, -2, -1, 0, 1, 2, math.MaxInt64}[r.IntN(7)]
		case types.PhysInt128:
			v.Int128[i] = types.Int128{Hi: int64(r.IntN(3) - 1), Lo: []uint64{0, 1, math.MaxUint64}[r.IntN(3)]}
		case types.PhysFloat64:
			v.Float64[i] = []float64{math.Inf(-1), -1.5, math.Copysign(0, -1), 0, 2.25, math.Inf(1), math.NaN()}[r.IntN(7)]
		default:
			v.Bytes[i] = []byte([]string{"", "a", "a\x00", "a\x00b", "ab", "b", "a ", "\x00", "\xff"}[r.IntN(9)])
		}
	}
	return v
}

// The key encoding orders tuples as segments sort them (model.SortByKeys: NULL first, SQL order)
// and is equal exactly for equal keys.
func TestKeyEncodingOrder(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	kinds := []types.T{types.New(types.BigInt), types.New(types.LargeInt), types.New(types.Double), types.VarcharOf(10), types.CharOf(4), types.DecimalOf(30, 2)}
	for range 50 {
		nk := 1 + r.IntN(3)
		n := 1 + r.IntN(60)
		cols := make([]*vector.Vector, nk)
		for k := range cols {
			cols[k] = randomColumn(r, kinds[r.IntN(len(kinds))], n)
		}
		b := vector.NewBatch(cols, n)
		rows := vector.Identity(nil, n)
		model.SortByKeys(b, nk, rows)
		keys := make([][]byte, n)
		for i := range n {
			keys[i] = tablet.AppendKey(nil, cols, i)
		}
		for p := 1; p < n; p++ {
			a, c := rows[p-1], rows[p]
			if bytes.Compare(keys[a], keys[c]) > 0 {
				t.Fatalf("rows %d and %d sort in that order, their keys do not: %x > %x", a, c, keys[a], keys[c])
			}
		}
		// Equal keys ⇔ equal tuples (as the model folds them).
		m, err := model.New(commonpb.KeysType_UNIQUE_KEYS, nk, make([]string, nk), -1)
		if err != nil {
			t.Fatal(err)
		}
		folded, err := m.Apply(b)
		if err != nil {
			t.Fatal(err)
		}
		distinct := map[string]bool{}
		for _, k := range keys {
			distinct[string(k)] = true
		}
		if len(distinct) != folded.N {
			t.Fatalf("%d distinct encoded keys, the model folds to %d", len(distinct), folded.N)
		}
	}
}

// SegmentKeys finds every row of a key by binary search, with random segments and sizes.
func TestSegmentKeysFind(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	for range 30 {
		n := r.IntN(200)
		k := randomColumn(r, types.New(types.Int), n)
		seq := randomColumn(r, types.New(types.BigInt), n)
		b := vector.NewBatch([]*vector.Vector{k, seq}, n)
		rows := vector.Identity(nil, n)
		model.SortByKeys(b, 1, rows)
		sorted := vector.NewBatch([]*vector.Vector{k.Gather(rows), seq.Gather(rows)}, n)
		if r.IntN(3) == 0 { // also an unsorted segment: the index sorts a permutation
			sorted = b
		}
		sk := tablet.BuildSegmentKeys(sorted.Cols[:1], sorted.Cols[1], n)
		if sk.Rows() != n || !sk.HasSeq() {
			t.Fatalf("rows %d (want %d), seq %v", sk.Rows(), n, sk.HasSeq())
		}
		for range 20 {
			probe := randomColumn(r, types.New(types.Int), 1)
			key := tablet.AppendKey(nil, []*vector.Vector{probe}, 0)
			var got, want []int
			sk.Find(key, func(row int) bool { got = append(got, row); return true })
			for i := range n {
				if bytes.Equal(tablet.AppendKey(nil, sorted.Cols[:1], i), key) {
					want = append(want, i)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("key %x: rows %v, want %v", key, got, want)
			}
		}
	}
}

// Reader.SegmentKeys reads a segment's key and sequence columns once and serves them from the
// cache until they are evicted, least recently used first.
func TestSegmentKeysCache(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	f.reader.Keys = tablet.NewKeyCache(1) // room for the newest entry only
	seqIdx := int32(1)
	sch := &commonpb.TabletSchema{KeysType: commonpb.KeysType_UNIQUE_KEYS, EnableUniqueKeyMergeOnWrite: true, NumKeyColumns: 1,
		Columns: []*commonpb.Column{bigint(1), nullable(2, "s")}, SequenceColIdx: &seqIdx}
	f.rowsetOf(t, 7, specsOf(sch), nil, [][]int64{{1, 5}, {3, -1}, {8, 2}}, [][]int64{{2, 1}})
	snap, err := f.reader.Capture(ctx, 7, 2)
	if err != nil {
		t.Fatal(err)
	}
	rs := snap.Rowsets[0]
	get := func(seg int) *tablet.SegmentKeys {
		t.Helper()
		k, err := f.reader.SegmentKeys(ctx, sch, rs, seg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k0 := get(0)
	if k0.Rows() != 3 || !k0.HasSeq() {
		t.Fatalf("segment 0: %d rows, seq %v", k0.Rows(), k0.HasSeq())
	}
	one := vector.New(types.New(types.BigInt), 1)
	one.Int64[0] = 8
	found := -1
	k0.Find(tablet.AppendKey(nil, []*vector.Vector{one}, 0), func(row int) bool { found = row; return false })
	if found != 2 {
		t.Fatalf("key 8 found at row %d, want 2", found)
	}
	if get(0) != k0 {
		t.Fatal("second read of segment 0 not served from the cache")
	}
	get(1) // evicts segment 0
	if get(0) == k0 {
		t.Fatal("segment 0 still cached beyond the capacity")
	}
	if hits, misses, _ := f.reader.Keys.Stats(); hits != 1 || misses != 3 {
		t.Fatalf("hits %d misses %d, want 1 and 3", hits, misses)
	}
	// A segment the caller rules out by its zone maps is neither read nor cached.
	if k, err := f.reader.SegmentKeys(ctx, sch, rs, 1, func(*segment.Segment) bool { return false }); err != nil || k != nil {
		t.Fatalf("ruled-out segment: %v, %v", k, err)
	}
}

// FORMAT.md fixture: the bytes of a delete bitmap are roaring's portable serialization.
func TestBitmapFormatFixture(t *testing.T) {
	cases := []struct {
		rows []uint32
		hex  string
	}{
		// cookie 12346 (no run containers), 1 container; key 0, cardinality-1 = 2; offset 16;
		// the array container's values 1, 2, 1000 as little-endian uint16.
		{[]uint32{1, 2, 1000}, "3a300000" + "01000000" + "00000200" + "10000000" + "0100" + "0200" + "e803"},
		// 0..99 becomes one run container: cookie 12347 | (1 container - 1) << 16, the run flag
		// bitset, key 0 and cardinality-1 = 99, then 1 run: start 0, length-1 = 99.
		{seq(0, 100), "3b300000" + "01" + "00006300" + "0100" + "00006300"},
	}
	for _, c := range cases {
		got, err := tablet.EncodeBitmap(roaring.BitmapOf(c.rows...))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got) != c.hex {
			t.Errorf("rows %v: encoded %x, want %s", c.rows, got, c.hex)
		}
		want, _ := hex.DecodeString(c.hex)
		b, err := tablet.DecodeBitmap(want)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(b.ToArray(), c.rows) {
			t.Errorf("decoded %v, want %v", b.ToArray(), c.rows)
		}
	}
	if _, err := tablet.DecodeBitmap([]byte{1, 2, 3}); err == nil {
		t.Error("garbage decoded")
	}
}

func seq(lo, hi uint32) []uint32 {
	var out []uint32
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}
