package segment_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/segment/index"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault/mem"
)

var allTypes = []types.T{
	types.New(types.Boolean), types.New(types.TinyInt), types.New(types.SmallInt), types.New(types.Int),
	types.New(types.BigInt), types.New(types.LargeInt), types.New(types.Float), types.New(types.Double),
	types.DecimalOf(9, 2), types.DecimalOf(18, 4), types.DecimalOf(27, 9), types.DecimalOf(38, 0),
	types.New(types.Date), types.DateTimeOf(0), types.DateTimeOf(6), types.CharOf(8), types.VarcharOf(100),
	types.New(types.String),
}

// distribution is how a random column's values are drawn.
type distribution int

const (
	distUniform distribution = iota // the whole range of the type
	distNarrow                      // a small range
	distSorted                      // non-decreasing
	distRuns                        // long runs of equal values
	distFew                         // a few distinct values
	distConst                       // one value
	numDists
)

// randomValue draws a value of t from a pool that depends on the distribution; k is a
// distribution-specific small integer (the run value, the distinct value index, the rank).
func randomValue(r *rand.Rand, t types.T, k int64, d distribution) index.Value {
	var v index.Value
	switch t.Physical() {
	case types.PhysInt64:
		lo, hi := types.IntegerRange(t.Kind)
		switch t.Kind {
		case types.Decimal:
			m := types.MaxUnscaled(t.Precision).Int64()
			lo, hi = -m, m
		case types.Date:
			lo, hi = types.DaysFromCivil(0, 1, 1), types.DaysFromCivil(9999, 12, 31)
		case types.DateTime:
			lo, hi = types.DaysFromCivil(0, 1, 1)*86400e6, types.DaysFromCivil(9999, 12, 31)*86400e6
		}
		switch d {
		case distUniform:
			v.Int64 = lo + int64(r.Uint64N(uint64(hi-lo)))
		default:
			v.Int64 = min(max(lo, k), hi)
		}
	case types.PhysInt128:
		if d == distUniform {
			v.Int128 = types.Int128{Hi: r.Int64N(1<<40) - 1<<39, Lo: r.Uint64()}
			if t.Kind == types.Decimal && t.Precision < 38 {
				v.Int128 = types.I128(r.Int64())
			}
		} else {
			v.Int128 = types.I128(k)
		}
	case types.PhysFloat64:
		switch d {
		case distUniform:
			v.Float64 = r.NormFloat64() * math.Pow(10, float64(r.IntN(20)-10))
			if r.IntN(100) == 0 {
				v.Float64 = []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1)}[r.IntN(4)]
			}
		default:
			v.Float64 = float64(k) / 4
		}
		if t.Kind == types.Float {
			v.Float64 = float64(float32(v.Float64))
		}
	default:
		maxLen := 40
		if t.Kind == types.Char {
			maxLen = int(t.Length)
		}
		var s []byte
		if d == distUniform {
			s = make([]byte, r.IntN(maxLen+1))
			for i := range s {
				s[i] = byte(r.IntN(256))
			}
			if t.Kind != types.Char && r.IntN(200) == 0 {
				s = bytes.Repeat([]byte{0xff}, 100+r.IntN(200)) // beyond the zone map limit
			}
		} else {
			s = fmt.Appendf(nil, "v%08d", k+1<<20)
			if t.Kind == types.Char && r.IntN(3) == 0 {
				s = append(s, ' ') // trailing spaces do not count in CHAR comparisons
			}
		}
		v.Bytes = s[:min(len(s), maxLen+2)]
		if t.Kind == types.Char {
			v.Bytes = v.Bytes[:min(len(v.Bytes), int(t.Length))]
		}
	}
	return v
}

func setValue(vec *vector.Vector, i int, v index.Value) {
	switch vec.Type.Physical() {
	case types.PhysInt64:
		vec.Int64[i] = v.Int64
	case types.PhysInt128:
		vec.Int128[i] = v.Int128
	case types.PhysFloat64:
		vec.Float64[i] = v.Float64
	default:
		vec.Bytes[i] = v.Bytes
	}
}

// randomColumn returns n values of t with roughly nullRatio NULLs.
func randomColumn(r *rand.Rand, t types.T, n int, nullRatio float64, d distribution) *vector.Vector {
	vec := vector.New(t, n)
	few := 1 + r.IntN(8)
	runVal := r.Int64N(1000)
	rank := r.Int64N(1000) - 500
	for i := range n {
		var k int64
		switch d {
		case distNarrow:
			k = r.Int64N(200) - 100
		case distSorted:
			rank += r.Int64N(3)
			k = rank
		case distRuns:
			if r.IntN(200) == 0 {
				runVal = r.Int64N(1000)
			}
			k = runVal
		case distFew:
			k = int64(r.IntN(few)) * 7919
		case distConst:
			k = 42
		}
		setValue(vec, i, randomValue(r, t, k, d))
		if nullRatio > 0 && r.Float64() < nullRatio {
			vec.SetNull(i)
			setValue(vec, i, index.Value{})
		}
	}
	return vec
}

// table is a random schema and its rows, sorted by the first numKeys columns.
type table struct {
	specs   []segment.ColumnSpec
	cols    []*vector.Vector
	n       int
	numKeys int
	dists   []distribution
}

func randomTable(r *rand.Rand, n int) *table {
	tb := &table{n: n}
	ncols := 1 + r.IntN(8)
	for k := range ncols {
		t := allTypes[r.IntN(len(allTypes))]
		nullRatio := []float64{0, 0, 0.01, 0.3, 1}[r.IntN(5)]
		d := distribution(r.IntN(int(numDists)))
		tb.specs = append(tb.specs, segment.ColumnSpec{UniqueID: int32(10 + 3*k), Type: t, Nullable: nullRatio > 0 || r.IntN(2) == 0})
		tb.cols = append(tb.cols, randomColumn(r, t, n, nullRatio, d))
		tb.dists = append(tb.dists, d)
	}
	tb.numKeys = r.IntN(min(ncols, 4) + 1)
	tb.sortByKeys()
	return tb
}

func (tb *table) sortByKeys() {
	if tb.numKeys == 0 {
		return
	}
	rows := vector.Identity(nil, tb.n)
	cmps := make([]func(i, j int) int, tb.numKeys)
	for k := range cmps {
		cmps[k] = vector.Comparator(tb.cols[k])
	}
	slices.SortStableFunc(rows, func(x, y int32) int {
		for k, c := range cmps {
			xn, yn := tb.cols[k].IsNull(int(x)), tb.cols[k].IsNull(int(y))
			switch {
			case xn && yn:
				continue
			case xn:
				return -1
			case yn:
				return 1
			}
			if r := c(int(x), int(y)); r != 0 {
				return r
			}
		}
		return 0
	})
	for k, c := range tb.cols {
		tb.cols[k] = c.Gather(rows)
	}
}

func randomOptions(r *rand.Rand, tb *table) segment.Options {
	opts := segment.Options{
		PageSize:          []int{64, 1000, 8 << 10, 64 << 10}[r.IntN(4)] + r.IntN(100),
		MaxPageRows:       []int{0, 1 + r.IntN(5000)}[r.IntN(2)],
		Compression:       segment.Compression(r.IntN(5)),
		NumSortKeyColumns: tb.numKeys,
		ShortKeyInterval:  []int{0, 1 + r.IntN(64), 1 + r.IntN(3000)}[r.IntN(3)],
		ChunkSize:         []int{0, 1, 1 + r.IntN(100000)}[r.IntN(3)],
	}
	for _, s := range tb.specs {
		if r.IntN(3) == 0 {
			opts.BloomFilterColumns = append(opts.BloomFilterColumns, s.UniqueID)
		}
	}
	return opts
}

const segPath = "data/1/r_0.dat"

func writeTable(t testing.TB, r *rand.Rand, tb *table, opts segment.Options) (*mem.Storage, segment.Info) {
	t.Helper()
	st := mem.New()
	info, err := segment.WriteToVault(context.Background(), st, segPath, tb.specs, opts, func(w *segment.Writer) error {
		for lo := 0; lo < tb.n; {
			hi := min(tb.n, lo+1+r.IntN(3000))
			b := vector.NewBatch(tb.cols, tb.n)
			b.Sel = vector.Identity(nil, hi)[lo:]
			if r.IntN(3) == 0 { // a compact batch without selection
				cols := make([]*vector.Vector, len(tb.cols))
				for k, c := range tb.cols {
					cols[k] = c.Slice(lo, hi)
				}
				b = vector.NewBatch(cols, hi-lo)
			}
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

// sameValue compares row i of a with row j of b exactly (float bits, NULLs).
func sameValue(a *vector.Vector, i int, b *vector.Vector, j int) bool {
	if a.IsNull(i) || b.IsNull(j) {
		return a.IsNull(i) == b.IsNull(j)
	}
	switch a.Type.Physical() {
	case types.PhysInt64:
		return a.Int64[i] == b.Int64[j]
	case types.PhysInt128:
		return a.Int128[i] == b.Int128[j]
	case types.PhysFloat64:
		return math.Float64bits(a.Float64[i]) == math.Float64bits(b.Float64[j])
	}
	return bytes.Equal(a.Bytes[i], b.Bytes[j])
}

// TestRoundTrip writes random tables (random schemas, types, NULL ratios, distributions, page
// sizes, compression, batch sizes) and reads them back through random column subsets and random
// predicates, checking every value, the zone maps, and that pruning never drops a matching row.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	for iter := range 60 {
		n := r.IntN(12000)
		if iter == 0 {
			n = 0
		}
		tb := randomTable(r, n)
		opts := randomOptions(r, tb)
		st, info := writeTable(t, r, tb, opts)
		if info.NumRows != int64(n) {
			t.Fatalf("iter %d: info rows %d, want %d", iter, info.NumRows, n)
		}
		size := info.Size
		if iter%2 == 0 {
			size = -1 // Open stats the file
		}
		open := func() (*segment.Segment, error) { return segment.Open(ctx, st, segPath, size) }
		if iter%3 != 0 { // through a page cache, of a random size: later reads hit it
			cache := segment.NewCache([]int64{1, 64 << 10, 1 << 30}[r.IntN(3)])
			open = func() (*segment.Segment, error) { return cache.Open(ctx, st, segPath, size) }
		}
		seg, err := open()
		if err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		if seg.NumRows() != int64(n) || len(seg.Columns()) != len(tb.specs) || seg.NumSortKeyColumns() != tb.numKeys {
			t.Fatalf("iter %d: opened %d rows %d columns %d keys", iter, seg.NumRows(), len(seg.Columns()), seg.NumSortKeyColumns())
		}
		checkZoneMaps(t, seg, tb)
		for range 3 {
			if seg, err = open(); err != nil {
				t.Fatalf("iter %d: %v", iter, err)
			}
			pick := r.Perm(len(tb.specs))[:r.IntN(len(tb.specs)+1)]
			var idx []int
			for _, p := range pick {
				idx = append(idx, seg.FindColumn(tb.specs[p].UniqueID))
			}
			var preds []segment.Predicate
			if r.IntN(3) > 0 {
				preds = randomPredicates(r, tb)
			}
			it := seg.NewIterator(idx, segment.IteratorOptions{BatchSize: 1 + r.IntN(5000), Predicates: preds, ReadAhead: r.IntN(200000), Reuse: r.IntN(2) == 0})
			seen := make([]bool, n)
			next := int64(0)
			for {
				b, err := it.Next(ctx)
				if err != nil {
					t.Fatalf("iter %d: %v", iter, err)
				}
				if b == nil {
					break
				}
				if err := b.Validate(); err != nil {
					t.Fatal(err)
				}
				row := it.Ordinal()
				if row < next {
					t.Fatalf("iter %d: batch at row %d after row %d", iter, row, next)
				}
				next = row + int64(b.N)
				for k, p := range pick {
					for i := range b.N {
						if !sameValue(b.Cols[k], i, tb.cols[p], int(row)+i) {
							t.Fatalf("iter %d column %s row %d: got %s want %s", iter, tb.specs[p].Type, int(row)+i, b.Cols[k].Format(i), tb.cols[p].Format(int(row)+i))
						}
					}
				}
				for i := range b.N {
					seen[int(row)+i] = true
				}
			}
			for i := range n {
				if !seen[i] && matches(tb, preds, i) {
					t.Fatalf("iter %d: row %d matches %s but was pruned (stats %+v)", iter, i, describe(tb, preds), it.Stats())
				}
				if len(preds) == 0 && !seen[i] {
					t.Fatalf("iter %d: row %d not read", iter, i)
				}
			}
		}
	}
}

// checkZoneMaps compares every page zone map with the values of its page.
func checkZoneMaps(t *testing.T, seg *segment.Segment, tb *table) {
	t.Helper()
	ctx := context.Background()
	for c, ci := range seg.Columns() {
		ord, err := seg.Ordinal(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		zones, err := seg.ZoneMaps(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		v := tb.cols[c]
		var nulls int64
		for p := range ord.Len() {
			start, end := ord.Rows(p)
			z := zones[p]
			var pn int64
			for i := start; i < end; i++ {
				if v.IsNull(int(i)) {
					pn++
					continue
				}
				if !z.HasMinMax {
					continue
				}
				x := index.ValueAt(v, int(i))
				if index.Compare(ci.Type, x, z.Min) < 0 || index.Compare(ci.Type, x, z.Max) > 0 {
					t.Fatalf("column %s page %d: value %s outside its zone map", ci.Type, p, v.Format(int(i)))
				}
			}
			if z.NullCount != pn {
				t.Fatalf("column %s page %d: %d NULLs, zone map says %d", ci.Type, p, pn, z.NullCount)
			}
			if pn < end-start && !z.HasMinMax && !ci.Type.IsString() {
				t.Fatalf("column %s page %d: no min/max", ci.Type, p)
			}
			nulls += pn
		}
		if ci.Zone.NullCount != nulls {
			t.Fatalf("column %s: %d NULLs, segment zone map says %d", ci.Type, nulls, ci.Zone.NullCount)
		}
	}
}

func randomPredicates(r *rand.Rand, tb *table) []segment.Predicate {
	var preds []segment.Predicate
	for range 1 + r.IntN(3) {
		c := r.IntN(len(tb.specs))
		if r.IntN(2) == 0 && tb.numKeys > 0 {
			c = r.IntN(tb.numKeys) // favour the sort key, to exercise the short-key index
		}
		v := tb.cols[c]
		pick := func() index.Value {
			if tb.n > 0 && r.IntN(4) > 0 {
				i := r.IntN(tb.n)
				if !v.IsNull(i) {
					return index.ValueAt(v, i)
				}
			}
			return randomValue(r, v.Type, r.Int64N(1000)-500, tb.dists[c])
		}
		p := segment.Predicate{Column: c, Op: segment.Op(1 + r.IntN(8))}
		switch p.Op {
		case segment.OpIn:
			for range r.IntN(4) {
				p.Values = append(p.Values, pick())
			}
		case segment.OpIsNull, segment.OpNotNull:
		default:
			p.Values = []index.Value{pick()}
		}
		preds = append(preds, p)
	}
	return preds
}

// matches evaluates the predicates on row i the way SQL does (NaN equal to NaN and above every
// number, as the engine's comparator orders it).
func matches(tb *table, preds []segment.Predicate, i int) bool {
	for _, p := range preds {
		v := tb.cols[p.Column]
		t := v.Type
		if v.IsNull(i) {
			if p.Op != segment.OpIsNull {
				return false
			}
			continue
		}
		x := index.ValueAt(v, i)
		ok := false
		switch p.Op {
		case segment.OpIsNull:
		case segment.OpNotNull:
			ok = true
		case segment.OpIn:
			for _, c := range p.Values {
				ok = ok || index.Compare(t, x, c) == 0
			}
		default:
			c := index.Compare(t, x, p.Values[0])
			ok = map[segment.Op]bool{segment.OpEq: c == 0, segment.OpLt: c < 0, segment.OpLe: c <= 0, segment.OpGt: c > 0, segment.OpGe: c >= 0}[p.Op]
		}
		if !ok {
			return false
		}
	}
	return true
}

func describe(tb *table, preds []segment.Predicate) string {
	var b bytes.Buffer
	for _, p := range preds {
		fmt.Fprintf(&b, "[col %d %s %s", p.Column, tb.specs[p.Column].Type, p.Op)
		for _, v := range p.Values {
			one := vector.New(tb.specs[p.Column].Type, 1)
			setValue(one, 0, v)
			fmt.Fprintf(&b, " %s", one.Format(0))
		}
		b.WriteString("] ")
	}
	return b.String()
}

// TestConcurrentIterators reads one open segment from several goroutines at once, each with
// its own predicates, while its indexes load lazily.
func TestConcurrentIterators(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	tb := randomTable(r, 5000)
	for tb.numKeys == 0 || len(tb.specs) < 2 {
		tb = randomTable(r, 5000)
	}
	opts := randomOptions(r, tb)
	st, _ := writeTable(t, r, tb, opts)
	ctx := context.Background()
	seg, err := segment.Open(ctx, st, segPath, -1)
	if err != nil {
		t.Fatal(err)
	}
	preds := make([][]segment.Predicate, 8)
	for g := range preds {
		preds[g] = randomPredicates(r, tb)
	}
	errs := make(chan error, len(preds))
	for g := range preds {
		go func() {
			it := seg.NewIterator([]int{0, 1}, segment.IteratorOptions{Predicates: preds[g]})
			seen := 0
			for {
				b, err := it.Next(ctx)
				if err != nil || b == nil {
					if err == nil && seen != int(it.Stats().Rows) {
						err = fmt.Errorf("read %d rows, pruning left %d", seen, it.Stats().Rows)
					}
					errs <- err
					return
				}
				seen += b.N
			}
		}()
	}
	for range preds {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
