package exec

import (
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
}

// joinEntry is a build row's hash and the next row of its bucket + 1 (0: none).
type joinEntry struct {
	hash uint64
	next int32
}

// newJoinTable hashes and chains the rows of keys (which must already be widened per specs).
func newJoinTable(hs hasher, specs []keySpec, keys []*vector.Vector, n int) *joinTable {
	t := &joinTable{hs: hs, specs: specs, keys: keys, n: n}
	rows := vector.Identity(nil, n)
	hashes := make([]uint64, n)
	for k, v := range keys {
		hs.hashColumn(specs[k], v, rows, hashes)
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
type hashProbe struct {
	t       *joinTable
	pk      []*vector.Vector // probe keys, widened
	eqs     []func(i, j int32) bool
	rows    []int32
	h       []uint64
	nullKey []bool // per k: rows[k] has a NULL in a key that is not null-safe
	k       int
	cursor  int32 // next chain entry + 1 of rows[k]; 0 with inRow: chain done
	inRow   bool
}

// reset starts the probe of rows of the probe key vectors pk (already widened).
func (p *hashProbe) reset(t *joinTable, pk []*vector.Vector, rows []int32) {
	p.t, p.pk, p.rows, p.k, p.cursor, p.inRow = t, pk, rows, 0, 0, false
	p.eqs = p.eqs[:0]
	for k, s := range t.specs {
		p.eqs = append(p.eqs, s.eqFunc(pk[k], t.keys[k]))
	}
	if cap(p.h) < len(rows) {
		p.h = make([]uint64, len(rows))
	}
	p.h = p.h[:len(rows)]
	clear(p.h)
	for k, v := range pk {
		t.hs.hashColumn(t.specs[k], v, rows, p.h)
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
}

// rowHasNullKey reports whether probe row rows[x] has a NULL in a key that is not null-safe.
func (p *hashProbe) rowHasNullKey(x int) bool { return len(p.nullKey) > 0 && p.nullKey[x] }

// next appends up to limit-len(l) key-equal pairs to l, r and reports whether more may follow.
// Probe rows with skip[row] set are passed over; with firstOnly a row yields at most one pair.
func (p *hashProbe) next(l, r []int32, limit int, skip []bool, firstOnly bool) ([]int32, []int32, bool) {
	t := p.t
	single := len(p.eqs) == 1 && !t.specs[0].nullSafe
	var eq0 func(i, j int32) bool
	if single {
		eq0 = p.eqs[0]
	}
	for p.k < len(p.rows) {
		i := p.rows[p.k]
		if !p.inRow {
			if p.rowHasNullKey(p.k) || (skip != nil && skip[i]) {
				p.k++
				continue
			}
			p.cursor = t.first[p.h[p.k]&t.mask]
			p.inRow = true
		}
		h := p.h[p.k]
		for p.cursor != 0 {
			j := p.cursor - 1
			e := &t.chain[j]
			p.cursor = e.next
			if e.hash != h {
				continue
			}
			if single {
				if !eq0(i, j) {
					continue
				}
			} else if tupleEq3(t.specs, p.eqs, p.pk, t.keys, i, j) != cmpTrue {
				continue
			}
			l, r = append(l, i), append(r, j)
			if firstOnly {
				p.cursor = 0
			}
			if len(l) >= limit {
				if p.cursor == 0 {
					p.k++
					p.inRow = false
				}
				return l, r, p.k < len(p.rows)
			}
		}
		p.k++
		p.inRow = false
	}
	return l, r, false
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
