package exec

import (
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
	filterIn
	filterBloom
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
	bloom    []uint64       // filterBloom
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
	case planpb.JoinType_INNER, planpb.JoinType_LEFT_SEMI, planpb.JoinType_RIGHT_OUTER, planpb.JoinType_RIGHT_SEMI:
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
	switch typ {
	case planpb.RuntimeFilterType_RF_MIN_MAX:
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
	case planpb.RuntimeFilterType_RF_IN_OR_BLOOM:
		if distinct, ok := f.distinct(v, rows); ok {
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

// keep narrows rows (active rows of column v) to those that may match, appending to out. ok is
// false when the filter does not apply to v's type (then rows are kept as they are).
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
	switch f.kind {
	case filterMinMax:
		if f.spec.trim {
			return nil, false // trailing-space semantics make the bounds unreliable
		}
		if f.spec.phys == types.PhysInt64 {
			lo, hi, x := f.min.Int64[0], f.max.Int64[0], v.Int64
			for _, i := range rows {
				if nulls != nil && nulls.Get(int(i)) {
					if f.keepNull {
						out = append(out, i)
					}
					continue
				}
				if x[i] >= lo && x[i] <= hi {
					out = append(out, i)
				}
			}
			return out, true
		}
		for _, i := range rows {
			if nulls.Get(int(i)) {
				if f.keepNull {
					out = append(out, i)
				}
				continue
			}
			if vector.CompareAt(v, int(i), f.min, 0) >= 0 && vector.CompareAt(v, int(i), f.max, 0) <= 0 {
				out = append(out, i)
			}
		}
		return out, true
	case filterIn:
		var p hashProbe
		p.reset(f.in, []*vector.Vector{v}, rows)
		var l, r []int32
		l, _, _ = p.next(l, r, len(rows)+1, nil, true)
		// l lists the rows with a value in the set, in order; merge in the NULLs that may match.
		if !f.keepNull || nulls == nil {
			return append(out, l...), true
		}
		x := 0
		for _, i := range rows {
			if x < len(l) && l[x] == i {
				out = append(out, i)
				x++
			} else if nulls.Get(int(i)) {
				out = append(out, i)
			}
		}
		return out, true
	}
	h := make([]uint64, len(rows))
	f.hs.hashColumn(f.spec, v, rows, h)
	mask := uint64(len(f.bloom) - 1)
	bloom := f.bloom
	for k, i := range rows {
		if nulls != nil && nulls.Get(int(i)) {
			if f.keepNull {
				out = append(out, i)
			}
			continue
		}
		if w, bits := bloomBits(h[k], mask); bloom[w]&bits == bits {
			out = append(out, i)
		}
	}
	return out, true
}

// applyFilters narrows b by the runtime filters published for scan node id.
func applyFilters(reg *RuntimeFilters, id int32, b *vector.Batch) *vector.Batch {
	fs := reg.forTarget(id)
	if len(fs) == 0 {
		return b
	}
	in := int64(b.Len())
	rows := b.Rows(nil)
	applied := 0
	for _, f := range fs {
		if f.column < 0 || f.column >= len(b.Cols) || len(rows) == 0 {
			continue
		}
		kept, ok := f.keep(b.Cols[f.column], rows, make([]int32, 0, len(rows)))
		if ok {
			rows = kept
			applied++
		}
	}
	reg.count(id, in, in-int64(len(rows)), applied)
	if int64(len(rows)) == in {
		return b
	}
	return &vector.Batch{Cols: b.Cols, N: b.N, Sel: rows}
}
