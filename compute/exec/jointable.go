package exec

import (
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// joinTable is a chained hash table over n key rows (the build side of a hash join, or the
// distinct values of an IN runtime filter): per bucket the first row, per row the next row of its
// bucket, and every row's hash so that chains compare hashes before values. Rows with a NULL in a
// key that is not null-safe are not chained (they never equal anything); they are listed in
// nullRows.
type joinTable struct {
	hs       hasher
	specs    []keySpec
	keys     []*vector.Vector // widened per spec; n values each
	n        int
	first    []int32     // bucket → first row + 1 (0: empty)
	chain    []joinEntry // by row: its hash and the next row of its bucket (one cache line)
	mask     uint64
	nullRows []int32
	int64Key bool // one int64 key, not null-safe: chain entries hold the key instead of its hash
	intKeys  bool // int64 keys only, none null-safe
}

// joinEntry is a build row's hash (with joinTable.int64Key: its key, so that a probe compares
// keys reading one entry) and the next row of its bucket + 1 (0: none).
type joinEntry struct {
	hash uint64
	next int32
}

// newJoinTable hashes and chains the rows of keys (which must already be widened per specs).
func newJoinTable(hs hasher, specs []keySpec, keys []*vector.Vector, n int) *joinTable {
	t := &joinTable{hs: hs, specs: specs, keys: keys, n: n, intKeys: true}
	for _, s := range specs {
		t.intKeys = t.intKeys && s.phys == types.PhysInt64 && !s.nullSafe
	}
	t.int64Key = t.intKeys && len(specs) == 1
	rows := vector.Identity(nil, n)
	hashes := make([]uint64, n)
	for k, v := range keys {
		hs.hashKey(specs[k], v, rows, hashes, k == 0)
	}
	var isNull []bool
	for k, v := range keys {
		if specs[k].nullSafe || v.Nulls == nil {
			continue
		}
		if isNull == nil {
			isNull = make([]bool, n)
		}
		for i := range n {
			if v.Nulls.Get(i) {
				isNull[i] = true
			}
		}
	}
	nb := 16
	for nb < 2*n {
		nb <<= 1
	}
	t.first = make([]int32, nb)
	t.chain = make([]joinEntry, n)
	t.mask = uint64(nb - 1)
	for j := n - 1; j >= 0; j-- { // backwards, so that chains list rows in input order
		t.chain[j].hash = hashes[j]
		if t.int64Key {
			t.chain[j].hash = uint64(keys[0].Int64[j])
		}
		if isNull != nil && isNull[j] {
			continue
		}
		b := hashes[j] & t.mask
		t.chain[j].next = t.first[b]
		t.first[b] = int32(j + 1)
	}
	for j := range isNull {
		if isNull[j] {
			t.nullRows = append(t.nullRows, int32(j))
		}
	}
	return t
}

// bytes estimates the table's memory beyond its key vectors.
func (t *joinTable) bytes() int64 {
	return int64(len(t.first))*4 + int64(len(t.chain))*16
}

// hashProbe walks the chains of one probe batch's rows, yielding the (probe row, build row) pairs
// whose keys are equal. It is resumable: next stops after limit pairs and continues where it left.
//
// reset hashes the batch's keys a column at a time and loads every row's bucket head in one
// tight loop (independent loads, so that the cache misses overlap); next then walks the chains
// with the key comparison inlined for the common key shapes (see probeMode).
type hashProbe struct {
	t       *joinTable
	pk      []*vector.Vector // probe keys, widened
	eqs     []func(i, j int32) bool
	mode    probeMode
	pInts   [][]int64 // probeInts: the probe and build keys' values
	bInts   [][]int64
	rows    []int32
	h       []uint64
	head    []int32 // per k: the first chain entry + 1 of rows[k]'s bucket; 0: none or a NULL key
	nullKey []bool  // per k: rows[k] has a NULL in a key that is not null-safe
	k       int
	cursor  int32 // next chain entry + 1 of rows[k]; 0 with inRow: chain done
	inRow   bool
	loaded  int    // head is set for rows[:loaded]
	sink    uint64 // of load's loads, so that they are not optimized away
}

// probeMode is how next compares a probe row's keys with a chained build row's.
type probeMode uint8

const (
	probeGeneric probeMode = iota // per-key closures, three-valued (null-safe keys)
	probeInt64                    // joinTable.int64Key: the chain entry holds the key
	probeInts                     // int64 keys, none null-safe: compared inline
	probeBytes                    // one string key, not null-safe, not CHAR: compared inline
)

// reset starts the probe of rows of the probe key vectors pk (already widened).
func (p *hashProbe) reset(t *joinTable, pk []*vector.Vector, rows []int32) {
	p.t, p.pk, p.rows, p.k, p.cursor, p.inRow = t, pk, rows, 0, 0, false
	p.eqs = p.eqs[:0]
	p.pInts, p.bInts = p.pInts[:0], p.bInts[:0]
	p.mode = probeGeneric
	switch {
	case t.int64Key:
		p.mode = probeInt64
	case t.intKeys:
		p.mode = probeInts
		for k := range pk {
			p.pInts, p.bInts = append(p.pInts, pk[k].Int64), append(p.bInts, t.keys[k].Int64)
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
	p.head = resize(p.head, len(rows))
	p.loaded = 0
}

// probeChunk is how many rows' bucket heads and first chain entries load is given at a time: few
// enough for the touched cache lines to stay in cache until next walks their chains.
const probeChunk = 256

// load sets head for rows [p.loaded, p.loaded+probeChunk) and touches their first chain entries:
// independent loads whose cache misses overlap, where the walk in next would take them one at a
// time.
func (p *hashProbe) load() {
	t := p.t
	lo := p.loaded
	hi := min(len(p.rows), lo+probeChunk)
	p.loaded = hi
	first, mask, head := t.first, t.mask, p.head[lo:hi]
	for x, h := range p.h[lo:hi] {
		head[x] = first[h&mask]
	}
	if len(p.nullKey) > 0 {
		for x, null := range p.nullKey[lo:hi] {
			if null {
				head[x] = 0
			}
		}
	}
	var sum uint64
	for _, c := range head {
		if c != 0 {
			sum += t.chain[c-1].hash
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
	chain, rows, head, hs := t.chain, p.rows, p.head, p.h
	k, cursor, inRow := p.k, p.cursor, p.inRow
	var x []int64
	var px, bx [][]byte
	var eq0 func(i, j int32) bool
	switch p.mode {
	case probeInt64:
		x = p.pk[0].Int64
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
			cursor = head[k]
			if cursor == 0 || (skip != nil && skip[i]) {
				k++
				continue
			}
			inRow = true
		}
		h := hs[k]
		if p.mode == probeInt64 {
			h = uint64(x[i]) // the chain entries hold the keys
		}
		for cursor != 0 {
			j := cursor - 1
			e := &chain[j]
			cursor = e.next
			if e.hash != h {
				continue
			}
			switch p.mode {
			case probeInt64:
			case probeInts:
				if !intsEq(p.pInts, p.bInts, i, j) {
					continue
				}
			case probeBytes:
				if string(px[i]) != string(bx[j]) {
					continue
				}
			default:
				if eq0 != nil {
					if !eq0(i, j) {
						continue
					}
				} else if tupleEq3(t.specs, p.eqs, p.pk, t.keys, i, j) != cmpTrue {
					continue
				}
			}
			l, r = append(l, i), append(r, j)
			if firstOnly {
				cursor = 0
			}
			if len(l) >= limit {
				if cursor == 0 {
					k++
					inRow = false
				}
				p.k, p.cursor, p.inRow = k, cursor, inRow
				return l, r, k < len(rows)
			}
		}
		k++
		inRow = false
	}
	p.k, p.cursor, p.inRow = k, cursor, inRow
	return l, r, false
}

// intsEq reports whether probe row i equals build row j on every int64 key.
func intsEq(p, b [][]int64, i, j int32) bool {
	for c := range p {
		if p[c][i] != b[c][j] {
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
