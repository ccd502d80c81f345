package exec

import (
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// joinTable is a hash table over n key rows (the build side of a hash join, or the distinct
// values of an IN runtime filter) in a bucketed (CSR) layout: the rows are reordered so that each
// bucket's rows are contiguous, in input order, and bucket b holds rows [offs[b], offs[b+1]). A
// probe row's candidates are thus one contiguous run of hashes, or with int64 keys only (none
// null-safe) of the keys themselves (row-major when there are several), and in the join of the
// build columns, which are laid out alike: all read sequentially. Rows with a NULL in a key
// that is not null-safe are in no bucket (they never equal anything): they are the last rows,
// listed in nullRows.
//
// pos maps each input row to its row in the table, so that the caller can lay out other columns
// the same way (the join's build columns); it is then dropped.
type joinTable struct {
	hs       hasher
	specs    []keySpec
	keys     []*vector.Vector // widened per spec, in table order; n values each
	n        int
	offs     []int32  // bucket → its first row; offs[nb] = the rows in buckets
	hashes   []uint64 // by row: its hash (nil with intKeys: a probe compares the keys themselves)
	rowKeys  []int64  // intKeys and several keys: row j's keys at [j×len(specs), (j+1)×len(specs))
	mask     uint64
	nullRows []int32
	pos      []int32 // input row → table row; only until the caller has laid out its columns
	int64Key bool    // one int64 key, not null-safe: no hashes
	intKeys  bool    // int64 keys only, none null-safe
}

// joinBucketsPerRow: the table has the least power of two ≥ joinBucketsPerRow × n buckets.
const joinBucketsPerRow = 2

// newJoinTable hashes the rows of keys (which must already be widened per specs) and lays them
// out by bucket; t.keys are their reordered copies.
func newJoinTable(hs hasher, specs []keySpec, keys []*vector.Vector, n int) *joinTable {
	ts := make([]types.T, len(keys))
	for k, v := range keys {
		ts[k] = v.Type
	}
	return newJoinTablePieces(hs, specs, ts, []piece{{cols: keys, n: n}}, n)
}

// newJoinTablePieces is newJoinTable over keys given as pieces (column k of each piece is key k,
// of type ts[k], widened per specs), n rows in all: the keys are concatenated directly in the
// table's order.
func newJoinTablePieces(hs hasher, specs []keySpec, ts []types.T, pieces []piece, n int) *joinTable {
	t := &joinTable{hs: hs, specs: specs, n: n, intKeys: true}
	for _, s := range specs {
		t.intKeys = t.intKeys && s.phys == types.PhysInt64 && !s.nullSafe
	}
	t.int64Key = t.intKeys && len(specs) == 1
	hashes := make([]uint64, n)
	var isNull []bool
	var ident []int32
	off := 0
	for _, p := range pieces {
		rows := p.rows
		if rows == nil {
			ident = vector.Identity(ident, p.n)
			rows = ident
		}
		rows = rows[:p.n]
		h := hashes[off : off+p.n]
		for k, v := range p.cols {
			hs.hashKey(specs[k], v, rows, h, k == 0)
			if specs[k].nullSafe || v.Nulls == nil {
				continue
			}
			if isNull == nil {
				isNull = make([]bool, n)
			}
			for x, i := range rows {
				if v.Nulls.Get(int(i)) {
					isNull[off+x] = true
				}
			}
		}
		off += p.n
	}
	nb := 16
	for nb < joinBucketsPerRow*n {
		nb <<= 1
	}
	t.mask = uint64(nb - 1)
	// Counting sort by bucket: count, prefix sums (offs[b] = the end of bucket b), then place
	// the rows backwards so that each bucket keeps input order and offs[b] ends at its start.
	offs := make([]int32, nb+1)
	mask := t.mask
	inBuckets := 0
	for j, h := range hashes {
		if isNull != nil && isNull[j] {
			continue
		}
		offs[h&mask]++
		inBuckets++
	}
	var sum int32
	for b := range nb {
		sum += offs[b]
		offs[b] = sum
	}
	offs[nb] = sum
	pos := make([]int32, n)
	nulls := int32(n)
	for j := n - 1; j >= 0; j-- {
		if isNull != nil && isNull[j] {
			nulls--
			pos[j] = nulls
			continue
		}
		b := hashes[j] & mask
		offs[b]--
		pos[j] = offs[b]
	}
	t.offs, t.pos = offs, pos
	for j := inBuckets; j < n; j++ {
		t.nullRows = append(t.nullRows, int32(j))
	}
	t.keys = make([]*vector.Vector, len(specs))
	for k := range specs {
		t.keys[k] = concatPieces(ts[k], pieces, k, n, pos)
	}
	switch {
	case t.int64Key:
	case t.intKeys: // row-major, so that a probe compares a row's keys reading one cache line
		nk := len(specs)
		t.rowKeys = make([]int64, n*nk)
		for k, v := range t.keys {
			for j, x := range v.Int64 {
				t.rowKeys[j*nk+k] = x
			}
		}
	default:
		t.hashes = make([]uint64, n)
		permuteValues(t.hashes, hashes, pos)
	}
	return t
}

// bytes estimates the table's memory beyond its key vectors.
func (t *joinTable) bytes() int64 {
	return int64(len(t.offs))*4 + int64(len(t.hashes))*8 + int64(len(t.rowKeys))*8 + int64(len(t.pos))*4
}

// hashProbe walks the buckets of one probe batch's rows, yielding the (probe row, build row)
// pairs whose keys are equal. It is resumable: next stops after limit pairs and continues where
// it left.
//
// reset hashes the batch's keys a column at a time; load then reads the bucket bounds of a few
// hundred rows in one tight loop (independent loads, so that the cache misses overlap) and
// touches each bucket's first entry; next scans the buckets with the key comparison inlined for
// the common key shapes (see probeMode).
type hashProbe struct {
	t        *joinTable
	pk       []*vector.Vector // probe keys, widened
	eqs      []func(i, j int32) bool
	mode     probeMode
	pInts    [][]int64 // probeInts: the probe keys' values
	rows     []int32
	h        []uint64
	from, to []int32 // per k: the table rows [from, to) of rows[k]'s bucket; empty for a NULL key
	nullKey  []bool  // per k: rows[k] has a NULL in a key that is not null-safe
	k        int
	cursor   int32 // with inRow: the next table row of rows[k] to compare
	inRow    bool
	loaded   int // from and to are set for rows[:loaded]
	// skipBuild, when set, lists build rows to pass over (RIGHT_SEMI and RIGHT_ANTI: the rows
	// already matched, whose fate is decided); the caller may set more of them between calls.
	skipBuild []bool
	sink      uint64 // of load's loads, so that they are not optimized away
}

// probeMode is how next compares a probe row's keys with a build row's.
type probeMode uint8

const (
	probeGeneric probeMode = iota // per-key closures, three-valued (null-safe keys)
	probeInt64                    // joinTable.int64Key: compares the keys, no hashes
	probeInts                     // several int64 keys, none null-safe: joinTable.rowKeys, no hashes
	probeBytes                    // one string key, not null-safe, not CHAR: compared inline
)

// reset starts the probe of rows of the probe key vectors pk (already widened).
func (p *hashProbe) reset(t *joinTable, pk []*vector.Vector, rows []int32) {
	p.t, p.pk, p.rows, p.k, p.cursor, p.inRow = t, pk, rows, 0, 0, false
	p.skipBuild = nil
	p.eqs = p.eqs[:0]
	p.pInts = p.pInts[:0]
	p.mode = probeGeneric
	switch {
	case t.int64Key:
		p.mode = probeInt64
	case t.intKeys:
		p.mode = probeInts
		for k := range pk {
			p.pInts = append(p.pInts, pk[k].Int64)
		}
	case len(t.specs) == 1 && t.specs[0].phys == types.PhysBytes && !t.specs[0].trim && !t.specs[0].nullSafe:
		p.mode = probeBytes
	}
	for k, s := range t.specs {
		p.eqs = append(p.eqs, s.eqFunc(pk[k], t.keys[k]))
	}
	p.h = resize(p.h, len(rows))
	if len(pk) > 1 {
		clear(p.h)
	}
	for k, v := range pk {
		t.hs.hashKey(t.specs[k], v, rows, p.h, k == 0)
	}
	p.nullKey = p.nullKey[:0]
	anyNull := false
	for k, v := range pk {
		anyNull = anyNull || (v.Nulls != nil && !t.specs[k].nullSafe)
	}
	if anyNull {
		p.nullKey = append(p.nullKey, make([]bool, len(rows))...)
		for k, v := range pk {
			if v.Nulls == nil || t.specs[k].nullSafe {
				continue
			}
			for x, i := range rows {
				if v.Nulls.Get(int(i)) {
					p.nullKey[x] = true
				}
			}
		}
	}
	p.from = resize(p.from, len(rows))
	p.to = resize(p.to, len(rows))
	p.loaded = 0
}

// probeChunk is how many rows' buckets load reads at a time: few enough for the touched cache
// lines to stay in cache until next scans them.
const probeChunk = 256

// load sets from and to for rows [p.loaded, p.loaded+probeChunk) and touches the first entry of
// their buckets: independent loads whose cache misses overlap, where the scan in next would
// take them one at a time.
func (p *hashProbe) load() {
	t := p.t
	lo := p.loaded
	hi := min(len(p.rows), lo+probeChunk)
	p.loaded = hi
	offs, mask := t.offs, t.mask
	from, to := p.from[lo:hi], p.to[lo:hi]
	to = to[:len(from)]
	for x, h := range p.h[lo:hi] {
		b := h & mask
		from[x], to[x] = offs[b], offs[b+1]
	}
	if len(p.nullKey) > 0 {
		for x, null := range p.nullKey[lo:hi] {
			if null {
				to[x] = from[x]
			}
		}
	}
	var sum uint64
	switch {
	case t.int64Key:
		keys := t.keys[0].Int64
		for x, f := range from {
			if f < to[x] {
				sum += uint64(keys[f])
			}
		}
	case t.intKeys:
		nk := len(t.specs)
		for x, f := range from {
			if f < to[x] {
				sum += uint64(t.rowKeys[int(f)*nk])
			}
		}
	default:
		hashes := t.hashes
		for x, f := range from {
			if f < to[x] {
				sum += hashes[f]
			}
		}
	}
	p.sink += sum
}

// resize returns s with length n, reusing its array when it has room (the contents are stale).
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// rowHasNullKey reports whether probe row rows[x] has a NULL in a key that is not null-safe.
func (p *hashProbe) rowHasNullKey(x int) bool { return len(p.nullKey) > 0 && p.nullKey[x] }

// next appends up to limit-len(l) key-equal pairs to l, r and reports whether more may follow.
// Probe rows with skip[row] set are passed over; with firstOnly a row yields at most one pair.
func (p *hashProbe) next(l, r []int32, limit int, skip []bool, firstOnly bool) ([]int32, []int32, bool) {
	t := p.t
	hashes, rows, hs := t.hashes, p.rows, p.h
	k, cursor, inRow := p.k, p.cursor, p.inRow
	var x, bk, rk []int64
	nk := len(p.pInts)
	mode, skipBuild := p.mode, p.skipBuild
	var px, bx [][]byte
	var eq0 func(i, j int32) bool
	switch p.mode {
	case probeInt64:
		x, bk = p.pk[0].Int64, t.keys[0].Int64
	case probeInts:
		rk = t.rowKeys
	case probeBytes:
		px, bx = p.pk[0].Bytes, t.keys[0].Bytes
	case probeGeneric:
		if len(p.eqs) == 1 && !t.specs[0].nullSafe {
			eq0 = p.eqs[0]
		}
	}
	for k < len(rows) {
		i := rows[k]
		if !inRow {
			if k >= p.loaded {
				p.load()
			}
			cursor = p.from[k]
			if cursor == p.to[k] || (skip != nil && skip[i]) {
				k++
				continue
			}
			inRow = true
		}
		end := p.to[k]
		var key, key1 int64
		var h uint64
		switch p.mode {
		case probeInt64:
			key = x[i]
		case probeInts:
			key, key1 = p.pInts[0][i], p.pInts[nk-1][i]
		default:
			h = hs[k]
		}
		for ; cursor < end; cursor++ {
			j := cursor
			switch mode {
			case probeInt64: // the keys themselves, no hashes
				if bk[j] != key {
					continue
				}
			case probeInts: // the keys themselves, row-major, no hashes
				e := rk[int(j)*nk : int(j)*nk+nk]
				if e[0] != key || e[nk-1] != key1 || (nk > 2 && !intsEq(p.pInts, e, i)) {
					continue
				}
			default:
				if hashes[j] != h {
					continue
				}
				if mode == probeBytes {
					if string(px[i]) != string(bx[j]) {
						continue
					}
				} else if eq0 != nil {
					if !eq0(i, j) {
						continue
					}
				} else if tupleEq3(t.specs, p.eqs, p.pk, t.keys, i, j) != cmpTrue {
					continue
				}
			}
			if skipBuild != nil && skipBuild[j] {
				continue
			}
			l, r = append(l, i), append(r, j)
			if firstOnly {
				cursor = end
				break
			}
			if len(l) >= limit {
				cursor++
				break
			}
		}
		if cursor >= end {
			k++
			inRow = false
		}
		if len(l) >= limit {
			p.k, p.cursor, p.inRow = k, cursor, inRow
			return l, r, k < len(rows)
		}
	}
	p.k, p.cursor, p.inRow = k, cursor, inRow
	return l, r, false
}

// intsEq reports whether probe row i's int64 keys p equal a build row's, e.
func intsEq(p [][]int64, e []int64, i int32) bool {
	for c, v := range e {
		if p[c][i] != v {
			return false
		}
	}
	return true
}

// nlProbe yields every (probe row, build row) pair of one probe batch, resumably.
type nlProbe struct {
	rows []int32
	n    int32 // build rows
	k    int
	j    int32
}

func (p *nlProbe) next(l, r []int32, limit int, skip []bool) ([]int32, []int32, bool) {
	for p.k < len(p.rows) {
		i := p.rows[p.k]
		if p.n == 0 || (skip != nil && skip[i]) {
			p.k, p.j = p.k+1, 0
			continue
		}
		m := min(p.n-p.j, int32(limit-len(l)))
		for j := p.j; j < p.j+m; j++ {
			l, r = append(l, i), append(r, j)
		}
		p.j += m
		if p.j >= p.n {
			p.k, p.j = p.k+1, 0
		}
		if len(l) >= limit {
			return l, r, p.k < len(p.rows)
		}
	}
	return l, r, false
}
