package exec

import (
	"slices"
	"sync"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// MaxInFilterValues is the most distinct build keys an RF_IN_OR_BLOOM filter holds as an IN list;
// beyond it the filter is a bloom filter (blocked: 16 bits per key, a key's three bits in one
// 64-bit word, so a probe reads one word).
const MaxInFilterValues = 1024

// Memory accounts the memory of one query. Reserve fails — with an error the operator returns,
// wrapped — when n more bytes would exceed the query's limit; Release gives bytes back.
// Implementations are safe for concurrent use.
type Memory interface {
	Reserve(n int64) error
	Release(n int64)
}

// RuntimeFilters is the registry through which the hash joins of a fragment publish runtime
// filters and its scans find them: a join publishes when its build side is complete, a scan
// consults the registry for every batch and drops the rows the filters published so far say
// cannot match. Safe for concurrent use.
type RuntimeFilters struct {
	mu       sync.Mutex
	byTarget map[int32][]*runtimeFilter
	stats    map[int32]*FilterStats
}

// FilterStats counts what the runtime filters did at one scan node.
type FilterStats struct {
	Rows    int64 // rows that reached the filters
	Dropped int64 // rows they dropped
	Applied int   // filters the scan has applied (at least once)
}

// NewRuntimeFilters returns an empty registry.
func NewRuntimeFilters() *RuntimeFilters {
	return &RuntimeFilters{byTarget: map[int32][]*runtimeFilter{}, stats: map[int32]*FilterStats{}}
}

// Stats returns the counts of scan node id.
func (r *RuntimeFilters) Stats(id int32) FilterStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.stats[id]; s != nil {
		return *s
	}
	return FilterStats{}
}

// Published reports how many filters target scan node id.
func (r *RuntimeFilters) Published(id int32) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byTarget[id])
}

func (r *RuntimeFilters) publish(f *runtimeFilter) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byTarget[f.target] = append(r.byTarget[f.target], f)
}

func (r *RuntimeFilters) forTarget(id int32) []*runtimeFilter {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byTarget[id] // append-only: the caller may read the prefix it got
}

func (r *RuntimeFilters) count(id int32, rows, dropped int64, applied int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats[id]
	if s == nil {
		s = &FilterStats{}
		r.stats[id] = s
	}
	s.Rows += rows
	s.Dropped += dropped
	s.Applied = max(s.Applied, applied)
}

type filterKind uint8

const (
	filterMinMax filterKind = iota
	filterIn                // distinct values in a joinTable (strings, floats, 128-bit)
	filterIntSet            // distinct int64 values, open addressing
	filterBitmap            // int64 values within [base, base+span): one bit each, exact
	filterBloom
)

// Bitmap filters: an int64 build key whose values span at most minBitmapSpan, or at most
// maxBitmapSpan and bitmapBitsPerKey bits per build row, gets an exact bitmap (one bit per value
// of the span) instead of an IN list or a bloom filter; a probe is one shift and one load.
const (
	maxBitmapSpan    = 1 << 26 // 8 MiB
	minBitmapSpan    = 1 << 23 // always allowed up to here (1 MiB)
	bitmapBitsPerKey = 64
)

// runtimeFilter is an immutable filter on one scan column.
type runtimeFilter struct {
	id       int32
	target   int32
	column   int
	class    keyClass
	spec     keySpec // of the build key (phys after widening; trim)
	keepNull bool    // NULL may match (a null-safe key with a NULL on the build side)
	empty    bool    // no non-NULL build key: only NULLs (if keepNull) pass
	kind     filterKind
	min, max *vector.Vector // one value each (filterMinMax)
	in       *joinTable     // the distinct values (filterIn)
	set      []int64        // filterIntSet: slots (power of two), used per slot in setUsed
	setUsed  []bool
	base     int64    // filterBitmap: the smallest value
	span     uint64   // filterBitmap: values base .. base+span-1
	bits     []uint64 // filterBitmap
	bloom    []uint64 // filterBloom
	hs       hasher
}

// publishFilters builds the join's runtime filters from its complete build side. Filters are
// only built for join types whose unmatched probe rows produce no output; the planner should not
// ask for others, and they are ignored.
func (j *join) publishFilters() {
	if j.env.RuntimeFilters == nil || len(j.filters) == 0 {
		return
	}
	switch j.typ {
	case planpb.JoinType_INNER, planpb.JoinType_LEFT_SEMI, planpb.JoinType_RIGHT_OUTER, planpb.JoinType_RIGHT_SEMI, planpb.JoinType_RIGHT_ANTI:
	default:
		return
	}
	for _, pf := range j.filters {
		k := int(pf.GetBuildKey())
		v := j.table.keys[k]
		f := &runtimeFilter{
			id: pf.GetId(), target: pf.GetTargetNodeId(), column: int(pf.GetTargetColumn()),
			class: classOf(j.buildKeys[k].Type()), spec: j.specs[k], hs: j.table.hs,
		}
		f.spec.wide, f.spec.nullSafe = false, false
		nonNull := make([]int32, 0, j.table.n)
		for i := range j.table.n {
			if v.IsNull(i) {
				f.keepNull = f.keepNull || j.specs[k].nullSafe
			} else {
				nonNull = append(nonNull, int32(i))
			}
		}
		f.empty = len(nonNull) == 0
		if !f.empty {
			f.build(v, nonNull, pf.GetType())
		}
		j.env.RuntimeFilters.publish(f)
	}
}

func (f *runtimeFilter) build(v *vector.Vector, rows []int32, typ planpb.RuntimeFilterType) {
	if typ == planpb.RuntimeFilterType_RF_MIN_MAX {
		f.kind = filterMinMax
		c := vector.Comparator(v)
		lo, hi := rows[0], rows[0]
		for _, i := range rows[1:] {
			if c(int(i), int(lo)) < 0 {
				lo = i
			}
			if c(int(i), int(hi)) > 0 {
				hi = i
			}
		}
		f.min, f.max = v.Gather([]int32{lo}), v.Gather([]int32{hi})
		return
	}
	if f.spec.phys == types.PhysInt64 && f.buildBitmap(v.Int64, rows) {
		return
	}
	if typ == planpb.RuntimeFilterType_RF_IN_OR_BLOOM {
		if distinct, ok := f.distinct(v, rows); ok {
			if f.spec.phys == types.PhysInt64 {
				f.buildIntSet(v.Int64, distinct)
				return
			}
			f.kind = filterIn
			f.in = newJoinTable(f.hs, []keySpec{f.spec}, []*vector.Vector{v.Gather(distinct)}, len(distinct))
			return
		}
	}
	f.kind = filterBloom
	h := make([]uint64, len(rows))
	f.hs.hashColumn(f.spec, v, rows, h)
	words := 1
	for words*64 < 16*len(rows) {
		words <<= 1
	}
	f.bloom = make([]uint64, words)
	mask := uint64(words - 1)
	for _, x := range h {
		w, bits := bloomBits(x, mask)
		f.bloom[w] |= bits
	}
}

// buildBitmap makes f an exact bitmap filter over the values x[rows] when their span is small
// enough (see maxBitmapSpan); it reports whether it did.
func (f *runtimeFilter) buildBitmap(x []int64, rows []int32) bool {
	lo, hi := x[rows[0]], x[rows[0]]
	for _, i := range rows[1:] {
		lo, hi = min(lo, x[i]), max(hi, x[i])
	}
	span := uint64(hi-lo) + 1 // wraps to 0 only for the full int64 range
	if span == 0 || hi-lo < 0 || span > maxBitmapSpan || (span > minBitmapSpan && span > bitmapBitsPerKey*uint64(len(rows))) {
		return false
	}
	f.kind, f.base, f.span = filterBitmap, lo, span
	f.bits = make([]uint64, span/64+1) // bit span (and those after it) stay 0: out of range
	for _, i := range rows {
		d := uint64(x[i] - lo)
		f.bits[d>>6] |= 1 << (d & 63)
	}
	return true
}

// buildIntSet makes f an IN filter over the distinct values x[rows] in an open-addressing set.
func (f *runtimeFilter) buildIntSet(x []int64, rows []int32) {
	n := 16
	for n < 4*len(rows) {
		n <<= 1
	}
	f.kind, f.set, f.setUsed = filterIntSet, make([]int64, n), make([]bool, n)
	mask := uint64(n - 1)
	for _, i := range rows {
		s := fmix64(uint64(x[i])) & mask
		for f.setUsed[s] && f.set[s] != x[i] {
			s = (s + 1) & mask
		}
		f.set[s], f.setUsed[s] = x[i], true
	}
}

// bloomBits places a hash in the (blocked) bloom filter: its three bits all lie in one word, so
// a probe reads one word. mask is the number of words minus one.
func bloomBits(h, mask uint64) (word, bits uint64) {
	return (h >> 32) & mask, 1<<(h&63) | 1<<((h>>6)&63) | 1<<((h>>12)&63)
}

// distinct returns one row per distinct value of v among rows, or false beyond MaxInFilterValues.
func (f *runtimeFilter) distinct(v *vector.Vector, rows []int32) ([]int32, bool) {
	h := make([]uint64, len(rows))
	f.hs.hashColumn(f.spec, v, rows, h)
	eq := f.spec.eqFunc(v, v)
	seen := map[uint64][]int32{}
	var out []int32
	for k, i := range rows {
		reps := seen[h[k]]
		dup := false
		for _, j := range reps {
			if eq(i, j) {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		if len(out) == MaxInFilterValues {
			return nil, false
		}
		seen[h[k]] = append(reps, i)
		out = append(out, i)
	}
	return out, true
}

// keep narrows rows (active rows of column v) to those that may match, appending to out, which
// may be rows[:0] (rows are read before they are overwritten). ok is false when the filter does
// not apply to v's type (then rows are kept as they are, and out is not written).
func (f *runtimeFilter) keep(v *vector.Vector, rows, out []int32) ([]int32, bool) {
	if classOf(v.Type) != f.class {
		return nil, false
	}
	if v.Type.Physical() != f.spec.phys {
		if f.spec.phys != types.PhysInt128 {
			return nil, false
		}
		v = keySpec{wide: true}.widen(v)
	}
	nulls := v.Nulls
	if f.empty {
		for _, i := range rows {
			if f.keepNull && nulls.Get(int(i)) {
				out = append(out, i)
			}
		}
		return out, true
	}
	if f.kind == filterMinMax && f.spec.trim {
		return nil, false // trailing-space semantics make the bounds unreliable
	}
	if nulls != nil { // rare: a nullable probe column; NULLs decided here, values below
		return f.keepNullable(v, rows, out), true
	}
	return f.keepValues(v, rows, out), true
}

// keepNullable is keep for a column with NULLs: one row at a time.
func (f *runtimeFilter) keepNullable(v *vector.Vector, rows, out []int32) []int32 {
	var one [1]int32
	var buf [1]int32
	for _, i := range rows {
		if v.Nulls.Get(int(i)) {
			if f.keepNull {
				out = append(out, i)
			}
			continue
		}
		one[0] = i
		if len(f.keepValues(v, one[:], buf[:0])) == 1 {
			out = append(out, i)
		}
	}
	return out
}

// keepValues is keep for rows that are not NULL.
func (f *runtimeFilter) keepValues(v *vector.Vector, rows, out []int32) []int32 {
	switch f.kind {
	case filterMinMax:
		if f.spec.phys == types.PhysInt64 {
			lo, hi, x := f.min.Int64[0], f.max.Int64[0], v.Int64
			for _, i := range rows {
				if x[i] >= lo && x[i] <= hi {
					out = append(out, i)
				}
			}
			return out
		}
		for _, i := range rows {
			if vector.CompareAt(v, int(i), f.min, 0) >= 0 && vector.CompareAt(v, int(i), f.max, 0) <= 0 {
				out = append(out, i)
			}
		}
		return out
	case filterBitmap:
		// Branch-free: a value outside the span tests bit span, which is 0.
		x, bits, base, span := v.Int64, f.bits, f.base, f.span
		n := len(out)
		out = slices.Grow(out, len(rows))[:n+len(rows)]
		if k := len(rows); k > 0 && int(rows[k-1]) == k-1 { // rows are 0..k-1
			for i, xi := range x[:k] {
				d := min(uint64(xi-base), span)
				out[n] = int32(i)
				n += int(bits[d>>6] >> (d & 63) & 1)
			}
			return out[:n]
		}
		for _, i := range rows {
			d := min(uint64(x[i]-base), span)
			out[n] = i
			n += int(bits[d>>6] >> (d & 63) & 1)
		}
		return out[:n]
	case filterIntSet:
		x, set, used := v.Int64, f.set, f.setUsed
		mask := uint64(len(set) - 1)
		for _, i := range rows {
			for s := fmix64(uint64(x[i])) & mask; used[s]; s = (s + 1) & mask {
				if set[s] == x[i] {
					out = append(out, i)
					break
				}
			}
		}
		return out
	case filterIn:
		var p hashProbe
		p.reset(f.in, []*vector.Vector{v}, rows)
		l, _, _ := p.next(nil, nil, len(rows)+1, nil, true)
		return append(out, l...)
	}
	mask := uint64(len(f.bloom) - 1)
	bloom := f.bloom
	if f.spec.phys == types.PhysInt64 { // hashColumn of one int64 column is fmix64
		x := v.Int64
		for _, i := range rows {
			if w, bits := bloomBits(fmix64(uint64(x[i])), mask); bloom[w]&bits == bits {
				out = append(out, i)
			}
		}
		return out
	}
	h := make([]uint64, len(rows))
	f.hs.hashColumn(f.spec, v, rows, h)
	for k, i := range rows {
		if w, bits := bloomBits(h[k], mask); bloom[w]&bits == bits {
			out = append(out, i)
		}
	}
	return out
}

// applyFilters narrows b by the runtime filters published for scan node id; the selection it
// makes is written into buf (reallocated when short), which it returns. ident, when long enough,
// is 0, 1, 2, ... (read only): the rows of a batch without a selection.
func applyFilters(reg *RuntimeFilters, id int32, b *vector.Batch, buf, ident []int32) (*vector.Batch, []int32) {
	fs := reg.forTarget(id)
	if len(fs) == 0 {
		return b, buf
	}
	in := int64(b.Len())
	if cap(buf) < b.Len() {
		buf = make([]int32, 0, max(b.Len(), 1024))
	}
	rows := b.Sel
	if rows == nil {
		if len(ident) >= b.N {
			rows = ident[:b.N]
		} else {
			rows = vector.Identity(nil, b.N)
		}
	}
	applied := 0
	for _, f := range fs {
		if f.column < 0 || f.column >= len(b.Cols) || len(rows) == 0 {
			continue
		}
		kept, ok := f.keep(b.Cols[f.column], rows, buf[:0])
		if ok {
			rows, buf = kept, kept
			applied++
		}
	}
	reg.count(id, in, in-int64(len(rows)), applied)
	if int64(len(rows)) == in {
		return b, buf
	}
	return &vector.Batch{Cols: b.Cols, N: b.N, Sel: rows}, buf
}
