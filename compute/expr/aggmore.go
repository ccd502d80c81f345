package expr

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// The aggregates beyond count/sum/min/max/avg. Serialized intermediate states are described in
// STATES.md.

func badState(name string, b []byte) error {
	return fmt.Errorf("BUG: %s: malformed intermediate state of %d bytes", name, len(b))
}

// ---------------------------------------------------------------- bool_and, bool_or

type boolState struct {
	and  bool
	vals []int8 // -1: no value yet
}

func (s *boolState) Grow(n int) {
	for len(s.vals) < n {
		s.vals = append(s.vals, -1)
	}
}

func (s *boolState) Update(args []*vector.Vector, rows []int32, gids []int32) error {
	v := args[0]
	for k, i := range rows {
		if v.Type.Kind == types.Null || v.IsNull(int(i)) {
			continue
		}
		g, x := gids[k], int8(b2i(v.Int64[i] != 0))
		switch {
		case s.vals[g] < 0:
			s.vals[g] = x
		case s.and:
			s.vals[g] &= x
		default:
			s.vals[g] |= x
		}
	}
	return nil
}

func (s *boolState) Merge(v *vector.Vector, rows []int32, gids []int32) error {
	return s.Update([]*vector.Vector{v}, rows, gids)
}

func (s *boolState) Result() (*vector.Vector, error) {
	out := vector.New(boolT, len(s.vals))
	for g, x := range s.vals {
		if x < 0 {
			out.SetNull(g)
		} else {
			out.Int64[g] = int64(x)
		}
	}
	return out, nil
}

func (s *boolState) Partial() (*vector.Vector, error) { return s.Result() }

// ---------------------------------------------------------------- variance, stddev

// varianceState keeps count, mean and the sum of squared deviations per group (Welford), and
// merges partial states with Chan et al.'s formula.
type varianceState struct {
	kind     string
	n        []int64
	mean, m2 []float64
}

func (s *varianceState) Grow(n int) {
	s.n, s.mean, s.m2 = vector.Grown(s.n, n), vector.Grown(s.mean, n), vector.Grown(s.m2, n)
}

func (s *varianceState) Update(args []*vector.Vector, rows []int32, gids []int32) error {
	v := args[0]
	if v.Type.Kind == types.Null {
		return nil
	}
	for k, i := range rows {
		if v.IsNull(int(i)) {
			continue
		}
		g, x := gids[k], v.Float64[i]
		s.n[g]++
		d := x - s.mean[g]
		s.mean[g] += d / float64(s.n[g])
		s.m2[g] += d * (x - s.mean[g])
	}
	return nil
}

func (s *varianceState) Merge(v *vector.Vector, rows []int32, gids []int32) error {
	for k, i := range rows {
		if v.IsNull(int(i)) {
			continue
		}
		b := v.Bytes[i]
		if len(b) != 24 {
			return badState(s.kind, b)
		}
		nb := int64(binary.LittleEndian.Uint64(b))
		if nb == 0 {
			continue
		}
		mb := math.Float64frombits(binary.LittleEndian.Uint64(b[8:]))
		m2b := math.Float64frombits(binary.LittleEndian.Uint64(b[16:]))
		g := gids[k]
		na := s.n[g]
		n := na + nb
		d := mb - s.mean[g]
		s.mean[g] += d * float64(nb) / float64(n)
		s.m2[g] += m2b + d*d*float64(na)*float64(nb)/float64(n)
		s.n[g] = n
	}
	return nil
}

func (s *varianceState) Partial() (*vector.Vector, error) {
	out := vector.New(stringT, len(s.n))
	for g := range s.n {
		b := make([]byte, 0, 24)
		b = binary.LittleEndian.AppendUint64(b, uint64(s.n[g]))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.mean[g]))
		out.Bytes[g] = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.m2[g]))
	}
	return out, nil
}

func (s *varianceState) Result() (*vector.Vector, error) {
	out := vector.New(types.New(types.Double), len(s.n))
	samp := s.kind == "stddev_samp" || s.kind == "var_samp"
	for g, n := range s.n {
		if n == 0 || (samp && n == 1) {
			out.SetNull(g)
			continue
		}
		d := float64(n)
		if samp {
			d--
		}
		r := max(s.m2[g], 0) / d
		if s.kind == "stddev_pop" || s.kind == "stddev_samp" {
			r = math.Sqrt(r)
		}
		out.Float64[g] = r
	}
	return out, nil
}

// ---------------------------------------------------------------- group_concat

type concatEntry struct {
	sep, val []byte
	row      int32 // into the ORDER BY key vectors
}

// groupConcatState collects each group's non-NULL values with the separator before each (the
// second argument of the row, ", " by default) and joins them at the end, in ORDER BY order when
// the call has one (otherwise in arrival order).
type groupConcatState struct {
	nargs    int
	keys     []*vector.Vector // copies of the ORDER BY key rows
	desc     []bool
	nullsFst []bool
	groups   [][]concatEntry
	t        types.T
}

var defaultSeparator = []byte(", ")

func newGroupConcatState(a *Aggregate) *groupConcatState {
	s := &groupConcatState{nargs: len(a.argTypes), desc: a.desc, nullsFst: a.nullsFst, t: a.t}
	for _, o := range a.order {
		s.keys = append(s.keys, vector.NewWithCap(o.Type(), 0))
	}
	return s
}

func (s *groupConcatState) Grow(n int) { s.groups = vector.Grown(s.groups, n) }

func (s *groupConcatState) Update(args []*vector.Vector, rows []int32, gids []int32) error {
	v := args[0]
	if v.Type.Kind == types.Null {
		return nil
	}
	var kept []int32
	for k, i := range rows {
		if v.IsNull(int(i)) {
			continue
		}
		sep := defaultSeparator
		if s.nargs == 2 {
			if sv := args[1]; sv.Type.Kind == types.Null || sv.IsNull(int(i)) {
				sep = nil
			} else {
				sep = append([]byte(nil), sv.Bytes[i]...)
			}
		}
		row := int32(-1)
		if len(s.keys) > 0 {
			row = int32(s.keys[0].Len() + len(kept))
			kept = append(kept, i)
		}
		g := gids[k]
		s.groups[g] = append(s.groups[g], concatEntry{sep: sep, val: append([]byte(nil), v.Bytes[i]...), row: row})
	}
	for k, kv := range s.keys {
		kv.AppendRows(args[s.nargs+k], kept)
	}
	return nil
}

// Partial: uvarint entry count, then per entry uvarint length + separator, uvarint length + value.
func (s *groupConcatState) Partial() (*vector.Vector, error) {
	out := vector.New(stringT, len(s.groups))
	for g, es := range s.groups {
		if len(es) == 0 {
			out.SetNull(g)
			continue
		}
		b := binary.AppendUvarint(nil, uint64(len(es)))
		for _, e := range es {
			b = binary.AppendUvarint(b, uint64(len(e.sep)))
			b = append(b, e.sep...)
			b = binary.AppendUvarint(b, uint64(len(e.val)))
			b = append(b, e.val...)
		}
		out.Bytes[g] = b
	}
	return out, nil
}

func (s *groupConcatState) Merge(v *vector.Vector, rows []int32, gids []int32) error {
	for k, i := range rows {
		if v.IsNull(int(i)) {
			continue
		}
		b := v.Bytes[i]
		n, w := binary.Uvarint(b)
		if w <= 0 {
			return badState("group_concat", v.Bytes[i])
		}
		b = b[w:]
		next := func() ([]byte, bool) {
			l, w := binary.Uvarint(b)
			if w <= 0 || uint64(len(b)-w) < l {
				return nil, false
			}
			x := append([]byte(nil), b[w:w+int(l)]...)
			b = b[w+int(l):]
			return x, true
		}
		g := gids[k]
		for ; n > 0; n-- {
			sep, ok1 := next()
			val, ok2 := next()
			if !ok1 || !ok2 {
				return badState("group_concat", v.Bytes[i])
			}
			s.groups[g] = append(s.groups[g], concatEntry{sep: sep, val: val, row: -1})
		}
	}
	return nil
}

func (s *groupConcatState) Result() (*vector.Vector, error) {
	out := vector.New(s.t, len(s.groups))
	for g, es := range s.groups {
		if len(es) == 0 {
			out.SetNull(g)
			continue
		}
		if len(s.keys) > 0 {
			sort.SliceStable(es, func(x, y int) bool { return s.less(es[x].row, es[y].row) })
		}
		var b []byte
		for k, e := range es {
			if k > 0 {
				b = append(b, e.sep...)
			}
			b = append(b, e.val...)
		}
		out.Bytes[g] = b
	}
	return out, nil
}

func (s *groupConcatState) less(x, y int32) bool {
	for k, kv := range s.keys {
		xn, yn := kv.IsNull(int(x)), kv.IsNull(int(y))
		var c int
		switch {
		case xn && yn:
			continue
		case xn || yn:
			// NULLs first or last regardless of the direction.
			if xn == s.nullsFst[k] {
				return true
			}
			return false
		default:
			c = vector.CompareAt(kv, int(x), kv, int(y))
		}
		if c != 0 {
			return (c < 0) != s.desc[k]
		}
	}
	return false
}

// ---------------------------------------------------------------- approx_count_distinct

// HyperLogLog with 2^14 registers; a group keeps its exact set of hashes until it has more than
// hllExplicitMax of them (so small counts are exact, as Doris's HLL).
const (
	hllP           = 14
	hllM           = 1 << hllP
	hllExplicitMax = 2048
)

type hll struct {
	explicit map[uint64]struct{}
	regs     []uint8
}

func (h *hll) add(x uint64) {
	if h.regs == nil {
		if h.explicit == nil {
			h.explicit = map[uint64]struct{}{}
		}
		h.explicit[x] = struct{}{}
		if len(h.explicit) > hllExplicitMax {
			h.regs = make([]uint8, hllM)
			for y := range h.explicit {
				h.addDense(y)
			}
			h.explicit = nil
		}
		return
	}
	h.addDense(x)
}

func (h *hll) addDense(x uint64) {
	j := x >> (64 - hllP)
	r := uint8(bits.LeadingZeros64(x<<hllP|1<<(hllP-1)) + 1)
	if r > h.regs[j] {
		h.regs[j] = r
	}
}

func (h *hll) estimate() int64 {
	if h.regs == nil {
		return int64(len(h.explicit))
	}
	sum, zeros := 0.0, 0
	for _, r := range h.regs {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	m := float64(hllM)
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int64(e + 0.5)
}

// hash64 is FNV-1a finished with the splitmix64 mixer: deterministic across processes, so
// partial states from different nodes merge.
func hash64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}

type hllState struct {
	groups []hll
	key    []byte
}

func (s *hllState) Grow(n int) { s.groups = vector.Grown(s.groups, n) }

// Update hashes the AppendKey encoding of the arguments; rows with a NULL argument are skipped.
func (s *hllState) Update(args []*vector.Vector, rows []int32, gids []int32) error {
	for k, i := range rows {
		if anyNull(args, i) {
			continue
		}
		key := s.key[:0]
		for _, a := range args {
			key = AppendKey(key, a, int(i))
		}
		s.key = key
		s.groups[gids[k]].add(hash64(key))
	}
	return nil
}

// Partial: byte 0 then uvarint count and 8-byte hashes (explicit), or byte 1 then the 2^14
// registers (dense).
func (s *hllState) Partial() (*vector.Vector, error) {
	out := vector.New(stringT, len(s.groups))
	for g, h := range s.groups {
		if h.regs != nil {
			out.Bytes[g] = append([]byte{1}, h.regs...)
			continue
		}
		b := binary.AppendUvarint([]byte{0}, uint64(len(h.explicit)))
		xs := make([]uint64, 0, len(h.explicit))
		for x := range h.explicit {
			xs = append(xs, x)
		}
		slices.Sort(xs)
		for _, x := range xs {
			b = binary.LittleEndian.AppendUint64(b, x)
		}
		out.Bytes[g] = b
	}
	return out, nil
}

func (s *hllState) Merge(v *vector.Vector, rows []int32, gids []int32) error {
	for k, i := range rows {
		if v.IsNull(int(i)) {
			continue
		}
		b, h := v.Bytes[i], &s.groups[gids[k]]
		switch {
		case len(b) == hllM+1 && b[0] == 1:
			if h.regs == nil {
				h.regs = make([]uint8, hllM)
				for y := range h.explicit {
					h.addDense(y)
				}
				h.explicit = nil
			}
			for j, r := range b[1:] {
				h.regs[j] = max(h.regs[j], r)
			}
		case len(b) >= 1 && b[0] == 0:
			n, w := binary.Uvarint(b[1:])
			if w <= 0 || uint64(len(b)-1-w) != 8*n {
				return badState("approx_count_distinct", b)
			}
			for p := 1 + w; p < len(b); p += 8 {
				h.add(binary.LittleEndian.Uint64(b[p:]))
			}
		default:
			return badState("approx_count_distinct", b)
		}
	}
	return nil
}

func (s *hllState) Result() (*vector.Vector, error) {
	out := vector.New(bigIntT, len(s.groups))
	for g := range s.groups {
		out.Int64[g] = s.groups[g].estimate()
	}
	return out, nil
}

// ---------------------------------------------------------------- percentile_approx

// digest is a merging t-digest: centroids sorted by mean, plus unmerged values. With fewer values
// than the compression every value is its own centroid and quantiles are exact (linear
// interpolation between neighbouring values, as Doris's percentile).
type digest struct {
	means, weights []float64
	buf            []float64
	total          float64
}

const (
	defaultCompression = 10000
	minCompression     = 2048
	maxCompression     = 10000
)

func (d *digest) add(x, w float64, compression float64) {
	if w == 1 {
		d.buf = append(d.buf, x)
	} else {
		d.means = append(d.means, x)
		d.weights = append(d.weights, w) // unsorted until compress
	}
	d.total += w
	if len(d.buf)+len(d.means) > int(4*compression) {
		d.compress(compression)
	}
}

// compress merges the buffer into the centroids. Up to `compression` values every value stays its
// own centroid (quantiles are exact); beyond, neighbouring values merge while a centroid spans at
// most one unit of the t-digest scale k1(q) = compression/(2π)·asin(2q−1) — small centroids at
// the tails, large ones in the middle, and fewer than compression of them whatever the
// number of values (so compressing stays rare: the buffer holds 4·compression).
func (d *digest) compress(compression float64) {
	type c struct{ m, w float64 }
	all := make([]c, 0, len(d.means)+len(d.buf))
	for k := range d.means {
		all = append(all, c{d.means[k], d.weights[k]})
	}
	for _, x := range d.buf {
		all = append(all, c{x, 1})
	}
	d.buf = d.buf[:0]
	slices.SortFunc(all, func(a, b c) int { return cmp.Compare(a.m, b.m) })
	d.means, d.weights = d.means[:0], d.weights[:0]
	n := d.total
	if n <= compression {
		for _, x := range all {
			d.means = append(d.means, x.m)
			d.weights = append(d.weights, x.w)
		}
		return
	}
	k1 := func(q float64) float64 { return compression / (2 * math.Pi) * math.Asin(2*q-1) }
	k1inv := func(k float64) float64 { return (math.Sin(k*2*math.Pi/compression) + 1) / 2 }
	cum := 0.0 // the weight of the centroids before the last one
	limit := k1inv(k1(0) + 1)
	for _, x := range all {
		if k := len(d.means) - 1; k >= 0 {
			w := d.weights[k] + x.w
			if (cum+w)/n <= limit {
				d.means[k] += (x.m - d.means[k]) * x.w / w
				d.weights[k] = w
				continue
			}
			cum += d.weights[k]
			limit = k1inv(min(k1(cum/n)+1, compression/4))
		}
		d.means = append(d.means, x.m)
		d.weights = append(d.weights, x.w)
	}
}

func (d *digest) quantile(p float64, compression float64) float64 {
	d.compress(compression)
	n := len(d.means)
	if n == 1 {
		return d.means[0]
	}
	// Centroid k sits at rank cum_k + (w_k - 1)/2 (0-based); interpolate at rank p·(N−1).
	r := p * (d.total - 1)
	cum := 0.0
	prevRank, prevMean := math.Inf(-1), d.means[0]
	for k := range n {
		rank := cum + (d.weights[k]-1)/2
		if r <= rank {
			if math.IsInf(prevRank, -1) {
				return d.means[k]
			}
			return prevMean + (d.means[k]-prevMean)*(r-prevRank)/(rank-prevRank)
		}
		prevRank, prevMean = rank, d.means[k]
		cum += d.weights[k]
	}
	return d.means[n-1]
}

type percentileState struct {
	groups      []digest
	p           float64
	hasP        bool
	compression float64
}

func (s *percentileState) Grow(n int) { s.groups = vector.Grown(s.groups, n) }

func (s *percentileState) comp() float64 {
	if s.compression == 0 {
		return defaultCompression
	}
	return s.compression
}

// Update reads the percentile (and compression) from the first row that has them: they are
// constants of the call.
func (s *percentileState) Update(args []*vector.Vector, rows []int32, gids []int32) error {
	v, pv := args[0], args[1]
	for k, i := range rows {
		if !s.hasP && pv.Type.Kind != types.Null && !pv.IsNull(int(i)) {
			p := pv.Float64[i]
			if !(p >= 0 && p <= 1) {
				return fmt.Errorf("%w: percentile_approx: the percentile %v is not in [0, 1]", ErrInvalidArgument, p)
			}
			s.p, s.hasP = p, true
			if len(args) == 3 && !args[2].IsNull(int(i)) && args[2].Type.Kind != types.Null {
				s.compression = min(max(args[2].Float64[i], minCompression), maxCompression)
			}
		}
		if v.Type.Kind == types.Null || v.IsNull(int(i)) || math.IsNaN(v.Float64[i]) {
			continue
		}
		s.groups[gids[k]].add(v.Float64[i], 1, s.comp())
	}
	return nil
}

// Partial: percentile, compression (8-byte floats; NaN percentile when none was seen), uvarint
// centroid count, then (mean, weight) pairs of 8-byte floats.
func (s *percentileState) Partial() (*vector.Vector, error) {
	out := vector.New(stringT, len(s.groups))
	p := s.p
	if !s.hasP {
		p = math.NaN()
	}
	for g := range s.groups {
		d := &s.groups[g]
		d.compress(s.comp())
		b := binary.LittleEndian.AppendUint64(nil, math.Float64bits(p))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.comp()))
		b = binary.AppendUvarint(b, uint64(len(d.means)))
		for k := range d.means {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(d.means[k]))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(d.weights[k]))
		}
		out.Bytes[g] = b
	}
	return out, nil
}

func (s *percentileState) Merge(v *vector.Vector, rows []int32, gids []int32) error {
	for k, i := range rows {
		if v.IsNull(int(i)) {
			continue
		}
		b := v.Bytes[i]
		if len(b) < 17 {
			return badState("percentile_approx", b)
		}
		p := math.Float64frombits(binary.LittleEndian.Uint64(b))
		if !math.IsNaN(p) && !s.hasP {
			s.p, s.hasP = p, true
			s.compression = math.Float64frombits(binary.LittleEndian.Uint64(b[8:]))
		}
		n, w := binary.Uvarint(b[16:])
		if w <= 0 || uint64(len(b)-16-w) != 16*n {
			return badState("percentile_approx", b)
		}
		d := &s.groups[gids[k]]
		for q := 16 + w; q < len(b); q += 16 {
			d.add(math.Float64frombits(binary.LittleEndian.Uint64(b[q:])), math.Float64frombits(binary.LittleEndian.Uint64(b[q+8:])), s.comp())
		}
	}
	return nil
}

func (s *percentileState) Result() (*vector.Vector, error) {
	out := vector.New(types.New(types.Double), len(s.groups))
	for g := range s.groups {
		d := &s.groups[g]
		if d.total == 0 || !s.hasP {
			out.SetNull(g)
			continue
		}
		out.Float64[g] = d.quantile(s.p, s.comp())
	}
	return out, nil
}
