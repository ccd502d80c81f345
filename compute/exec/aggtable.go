package exec

import (
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// groupTable maps group-key tuples to dense group ids 0, 1, ...: an open-addressing table
// (linear probing) over the tuples' hashes, computed a column at a time with the join's hasher
// (hash.go), whose slots hold group ids; a candidate is confirmed by the stored hash and then
// column by column against the group's key values. Keys are equal as GROUP BY says: NULL equals
// NULL, CHAR ignores trailing spaces, floats -0 = +0 and NaN = NaN.
type groupTable struct {
	specs  []keySpec
	hs     hasher
	slots  []int32  // group id + 1; 0: empty. len is a power of two
	hashes []uint64 // by group id
	keys   []*vector.Vector
	n      int    // groups
	arena  []byte // the current chunk of the copied string keys

	// Packed keys (modePacked): while every key value fits a word (int64 representations;
	// strings of at most 7 bytes, CHAR without trailing spaces), a group's key is its words and
	// a mask of its NULL columns, stride len(specs)+1, and hashes are of the words. The first
	// batch with a longer string turns the table generic for good (toGeneric rehashes).
	mode   uint8
	direct []int32  // modeDirect: group id + 1 by the tuple's codes (findDirect)
	idx    []int32  // per batch: the rows' direct codes
	packed []uint64 // by group
	rowKey []uint64 // per batch: the rows' packed keys

	h     []uint64 // per batch: the rows' hashes
	first []int32  // per batch: the row that made group n0+k (n0: groups before the batch)
	eqOld []func(i, j int32) bool
	eqNew []func(i, j int32) bool
}

func newGroupTable(ts []types.T) *groupTable {
	t := &groupTable{hs: newHasher(), slots: make([]int32, 64)}
	for _, ty := range ts {
		t.specs = append(t.specs, keySpec{phys: ty.Physical(), trim: ty.Kind == types.Char, nullSafe: true})
		t.keys = append(t.keys, vector.NewWithCap(ty, 0))
	}
	t.eqOld = make([]func(i, j int32) bool, len(ts))
	t.eqNew = make([]func(i, j int32) bool, len(ts))
	return t
}

// find sets gids[k] to the group of row rows[k] of the key vectors keyv, making new groups for
// new tuples; it returns the rows that made new groups (in group id order). The caller appends
// their keys (appendKeys) before the next find.
func (t *groupTable) find(keyv []*vector.Vector, rows []int32, gids []int32, fresh []int32) []int32 {
	if t.mode == modeUndecided || t.mode == modeDirect {
		if t.findDirect(keyv, rows, gids) {
			t.mode = modeDirect
			return append(fresh, t.first...)
		}
		if t.mode == modeDirect {
			t.leaveDirect()
		}
	}
	if t.mode != modeGeneric && len(keyv) == 1 && t.specs[0].phys == types.PhysInt64 && keyv[0].Nulls == nil {
		t.mode = modePacked
		return t.findInt64(keyv[0].Int64, rows, gids, fresh)
	}
	if t.mode != modeGeneric && len(keyv) <= maxPacked {
		if t.pack(keyv, rows) {
			t.mode = modePacked
			return t.findPacked(rows, gids, fresh)
		}
		if t.mode == modePacked {
			t.toGeneric()
		}
	}
	t.mode = modeGeneric
	if cap(t.h) < len(rows) {
		t.h = make([]uint64, max(len(rows), 1024))
	}
	h := t.h[:len(rows)]
	clear(h)
	for c, v := range keyv {
		t.hs.hashColumn(t.specs[c], v, rows, h)
		t.eqOld[c] = t.specs[c].eqFunc(v, t.keys[c])
		t.eqNew[c] = t.specs[c].eqFunc(v, v)
	}
	n0 := t.n
	t.first = t.first[:0]
	for k, i := range rows {
		hv := h[k] // hashColumn's values are mixed already
		mask := len(t.slots) - 1
		pos := int(hv) & mask
		for {
			s := t.slots[pos]
			if s == 0 {
				g := int32(t.n)
				t.n++
				t.slots[pos] = g + 1
				t.reserve(0)
				t.hashes = append(t.hashes, hv)
				t.first = append(t.first, i)
				fresh = append(fresh, i)
				gids[k] = g
				if 2*t.n > len(t.slots) {
					t.grow()
				}
				break
			}
			g := s - 1
			if t.hashes[g] == hv && t.equal(keyv, i, int(g), n0) {
				gids[k] = g
				break
			}
			pos = (pos + 1) & mask
		}
	}
	return fresh
}

const (
	modeUndecided uint8 = iota
	modeDirect
	modePacked
	modeGeneric
	maxPacked  = 4   // key columns
	maxDirect  = 2   // key columns
	directCard = 258 // codes of a one-byte string column: NULL, '', then the 256 bytes
)

// findDirect is find for one or two string key columns whose values are NULL or at most one
// byte long (flags such as TPC-H's l_returnflag): a tuple's codes index a table of group ids
// directly, with no hashing. It returns false, having changed nothing, for other batches. The new
// groups' rows are left in first.
func (t *groupTable) findDirect(keyv []*vector.Vector, rows []int32, gids []int32) bool {
	if len(keyv) > maxDirect {
		return false
	}
	for _, sp := range t.specs {
		if sp.phys != types.PhysBytes {
			return false
		}
	}
	if cap(t.idx) < len(rows) {
		t.idx = make([]int32, max(len(rows), 1024))
	}
	idx := t.idx[:len(rows)]
	clear(idx)
	for c, v := range keyv {
		bs, trim, nulls := v.Bytes, t.specs[c].trim, v.Nulls
		for k, i := range rows {
			b := bs[i]
			if trim && len(b) > 0 && b[len(b)-1] == ' ' {
				b = trimSpaces(b)
			}
			var code int32
			switch {
			case nulls != nil && nulls.Get(int(i)):
			case len(b) == 0:
				code = 1
			case len(b) == 1:
				code = 2 + int32(b[0])
			default:
				return false
			}
			idx[k] = idx[k]*directCard + code
		}
	}
	if t.direct == nil {
		size := directCard
		if len(keyv) == 2 {
			size *= directCard
		}
		t.direct = make([]int32, size) // group id + 1; 0: none
	}
	t.first = t.first[:0]
	for k, x := range idx {
		g := t.direct[x] - 1
		if g < 0 {
			g = int32(t.n)
			t.n++
			t.direct[x] = g + 1
			t.first = append(t.first, rows[k])
		}
		gids[k] = g
	}
	return true
}

// leaveDirect turns a direct table into a packed one (every one-byte key packs).
func (t *groupTable) leaveDirect() {
	t.mode, t.direct = modePacked, nil
	rows := vector.Identity(nil, t.n)
	if !t.pack(t.keys, rows) {
		t.toGeneric()
		return
	}
	w := len(t.specs) + 1
	t.packed = append(t.packed[:0], t.rowKey[:w*t.n]...)
	t.hashes = t.hashes[:0]
	for g := range t.n {
		t.hashes = append(t.hashes, packedHash(t.packed[g*w:g*w+w]))
	}
	t.rehash()
}

// pack computes the packed keys of rows into rowKey; false when some value does not fit a word.
func (t *groupTable) pack(keyv []*vector.Vector, rows []int32) bool {
	w := len(keyv) + 1
	if cap(t.rowKey) < w*len(rows) {
		t.rowKey = make([]uint64, max(w*len(rows), 1024))
	}
	rk := t.rowKey[:w*len(rows)]
	for c, v := range keyv {
		switch t.specs[c].phys {
		case types.PhysInt64:
			xs := v.Int64
			for k, i := range rows {
				rk[k*w+c] = uint64(xs[i])
			}
		case types.PhysBytes:
			bs, trim := v.Bytes, t.specs[c].trim
			for k, i := range rows {
				b := bs[i]
				if trim && len(b) > 0 && b[len(b)-1] == ' ' {
					b = trimSpaces(b)
				}
				var x uint64
				switch len(b) {
				case 0:
				case 1: // CHAR(1) flags
					x = 1<<56 | uint64(b[0])
				default:
					if len(b) > 7 {
						if v.Nulls.Get(int(i)) {
							break
						}
						return false
					}
					x = uint64(len(b)) << 56
					for j, ch := range b {
						x |= uint64(ch) << (8 * j)
					}
				}
				rk[k*w+c] = x
			}
		default:
			return false
		}
	}
	for k, i := range rows {
		var m uint64
		for c, v := range keyv {
			if v.Nulls != nil && v.Nulls.Get(int(i)) {
				m |= 1 << c
				rk[k*w+c] = 0
			}
		}
		rk[k*w+w-1] = m
	}
	return true
}

// packedHash hashes a packed key (its words, then the NULL mask).
func packedHash(key []uint64) uint64 {
	h := key[len(key)-1] * 0x9e3779b97f4a7c15
	for _, x := range key[:len(key)-1] {
		h = fmix64(h ^ x)
	}
	return h
}

// findPacked is find over the packed keys of the batch (rowKey).
func (t *groupTable) findPacked(rows []int32, gids []int32, fresh []int32) []int32 {
	w := len(t.specs) + 1
	rk := t.rowKey
	if w == 2 {
		return t.findPacked1(rows, gids, fresh)
	}
	for k, i := range rows {
		key := rk[k*w : k*w+w]
		if k > 0 && equalWords(key, rk[(k-1)*w:k*w]) { // runs of one key are common
			gids[k] = gids[k-1]
			continue
		}
		hv := packedHash(key)
		mask := len(t.slots) - 1
		pos := int(hv) & mask
		for {
			s := t.slots[pos]
			if s == 0 {
				g := int32(t.n)
				t.n++
				t.slots[pos] = g + 1
				t.reserve(w)
				t.hashes = append(t.hashes, hv)
				t.packed = append(t.packed, key...)
				fresh = append(fresh, i)
				gids[k] = g
				if 2*t.n > len(t.slots) {
					t.grow()
				}
				break
			}
			if g := int(s - 1); t.hashes[g] == hv && equalWords(t.packed[g*w:g*w+w], key) {
				gids[k] = int32(g)
				break
			}
			pos = (pos + 1) & mask
		}
	}
	return fresh
}

// findInt64 is findPacked for one int64 key without NULLs: the packed key is (x, 0), read in
// place.
func (t *groupTable) findInt64(xs []int64, rows []int32, gids []int32, fresh []int32) []int32 {
	prev, prevG := int64(0), int32(-1)
	for k, i := range rows {
		x := xs[i]
		if prevG >= 0 && x == prev {
			gids[k] = prevG
			continue
		}
		hv := fmix64(uint64(x)) // packedHash of (x, 0)
		mask := len(t.slots) - 1
		pos := int(hv) & mask
		for {
			s := t.slots[pos]
			if s == 0 {
				g := int32(t.n)
				t.n++
				t.slots[pos] = g + 1
				t.reserve(2)
				t.hashes = append(t.hashes, hv)
				t.packed = append(t.packed, uint64(x), 0)
				fresh = append(fresh, i)
				gids[k] = g
				if 2*t.n > len(t.slots) {
					t.grow()
				}
				break
			}
			if g := int(s - 1); t.packed[2*g] == uint64(x) && t.packed[2*g+1] == 0 {
				gids[k] = int32(g)
				break
			}
			pos = (pos + 1) & mask
		}
		prev, prevG = x, gids[k]
	}
	return fresh
}

// findPacked1 is findPacked for one key column.
func (t *groupTable) findPacked1(rows []int32, gids []int32, fresh []int32) []int32 {
	rk := t.rowKey
	for k, i := range rows {
		x, m := rk[2*k], rk[2*k+1]
		if k > 0 && x == rk[2*k-2] && m == rk[2*k-1] {
			gids[k] = gids[k-1]
			continue
		}
		hv := fmix64(m*0x9e3779b97f4a7c15 ^ x) // packedHash
		mask := len(t.slots) - 1
		pos := int(hv) & mask
		for {
			s := t.slots[pos]
			if s == 0 {
				g := int32(t.n)
				t.n++
				t.slots[pos] = g + 1
				t.reserve(2)
				t.hashes = append(t.hashes, hv)
				t.packed = append(t.packed, x, m)
				fresh = append(fresh, i)
				gids[k] = g
				if 2*t.n > len(t.slots) {
					t.grow()
				}
				break
			}
			if g := int(s - 1); t.packed[2*g] == x && t.packed[2*g+1] == m {
				gids[k] = int32(g)
				break
			}
			pos = (pos + 1) & mask
		}
	}
	return fresh
}

func equalWords(a, b []uint64) bool {
	for j := range a {
		if a[j] != b[j] {
			return false
		}
	}
	return true
}

// toGeneric rehashes the groups made with packed keys the generic way (their key values are in
// keys), for a batch whose keys do not pack.
func (t *groupTable) toGeneric() {
	t.mode = modeGeneric
	t.packed = nil
	rows := vector.Identity(nil, t.n)
	h := make([]uint64, t.n)
	for c, v := range t.keys {
		t.hs.hashColumn(t.specs[c], v, rows, h)
	}
	t.hashes = h
	t.rehash()
}

// equal reports whether row i of keyv equals the keys of group g (groups from n0 on were made
// in this batch: their keys are rows of keyv).
func (t *groupTable) equal(keyv []*vector.Vector, i int32, g, n0 int) bool {
	src, j, eq := t.keys, int32(g), t.eqOld
	if g >= n0 {
		src, j, eq = keyv, t.first[g-n0], t.eqNew
	}
	for c, v := range keyv {
		a, b := v.Nulls.Get(int(i)), src[c].Nulls.Get(int(j))
		if a || b {
			if a != b {
				return false
			}
			continue
		}
		if !eq[c](i, j) {
			return false
		}
	}
	return true
}

// grow doubles the slots.
func (t *groupTable) grow() { t.rehashTo(2 * len(t.slots)) }

// reserve makes room for one more group of packed width w in hashes and packed, doubling their
// capacity when they are full (append's growth of a quarter for large slices would allocate
// about five times their final size over a table of millions of groups).
func (t *groupTable) reserve(w int) {
	if len(t.hashes) == cap(t.hashes) {
		h := make([]uint64, len(t.hashes), max(2*cap(t.hashes), 64))
		copy(h, t.hashes)
		t.hashes = h
	}
	if cap(t.packed)-len(t.packed) < w {
		p := make([]uint64, len(t.packed), max(2*cap(t.packed), 64*w))
		copy(p, t.packed)
		t.packed = p
	}
}

// rehash rebuilds the slots from hashes, at least twice as many as groups.
func (t *groupTable) rehash() {
	size := 64
	for size < 2*t.n+2 {
		size *= 2
	}
	t.rehashTo(size)
}

func (t *groupTable) rehashTo(size int) {
	slots := make([]int32, size)
	mask := len(slots) - 1
	for g, hv := range t.hashes {
		pos := int(hv) & mask
		for slots[pos] != 0 {
			pos = (pos + 1) & mask
		}
		slots[pos] = int32(g) + 1
	}
	t.slots = slots
}

// appendKeys records the keys of the new groups (rows fresh of keyv). String values are copied:
// the table keeps no reference into its input (a scan may reuse its buffers, see scan.reuse).
func (t *groupTable) appendKeys(keyv []*vector.Vector, fresh []int32) {
	for c, v := range keyv {
		k := t.keys[c]
		from := len(k.Bytes)
		k.AppendRows(v, fresh)
		for j := from; j < len(k.Bytes); j++ {
			k.Bytes[j] = t.copyBytes(k.Bytes[j])
		}
	}
}

// copyBytes copies b into the table's arena (chunks that are never moved).
func (t *groupTable) copyBytes(b []byte) []byte {
	if len(b) == 0 {
		return []byte{}
	}
	if cap(t.arena)-len(t.arena) < len(b) {
		t.arena = make([]byte, 0, max(len(b), 32<<10))
	}
	n := len(t.arena)
	t.arena = append(t.arena, b...)
	return t.arena[n:len(t.arena):len(t.arena)]
}
