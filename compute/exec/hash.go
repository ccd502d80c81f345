package exec

import (
	"hash/maphash"
	"math"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Vectorized key hashing and key equality, shared by the hash join's table, its runtime filters
// and the scans that apply them.
//
// A key column is compared in one "class": exact numbers (integers, BOOLEAN and DECIMAL, as
// unscaled values at one scale; int64 or 128-bit), floats, DATE, DATETIME or strings. Two key
// columns may be joined when their classes agree; an int64 column joined with a 128-bit one is
// widened to 128 bits (keySpec.wide) so that both hash and compare alike.

// keyClass is what makes two key types comparable by value.
type keyClass struct {
	kind  uint8 // classExact, classFloat, classDate, classDateTime, classBytes
	scale int32 // exact numbers
}

const (
	classExact uint8 = iota
	classFloat
	classDate
	classDateTime
	classBytes
	classNone
)

func classOf(t types.T) keyClass {
	switch {
	case t.IsInteger() || t.Kind == types.Boolean:
		return keyClass{kind: classExact}
	case t.Kind == types.Decimal:
		return keyClass{kind: classExact, scale: t.Scale}
	case t.IsFloat():
		return keyClass{kind: classFloat}
	case t.Kind == types.Date:
		return keyClass{kind: classDate}
	case t.Kind == types.DateTime:
		return keyClass{kind: classDateTime}
	case t.IsString():
		return keyClass{kind: classBytes}
	}
	return keyClass{kind: classNone}
}

// keySpec says how one key column (a pair of probe and build types) is hashed and compared.
type keySpec struct {
	phys     types.Physical // after widening
	wide     bool           // int64 values are widened to 128 bits
	trim     bool           // CHAR semantics: trailing spaces ignored
	nullSafe bool           // NULL equals NULL (<=>)
}

// specFor returns the spec of comparing values of types a and b, or false when they are not
// comparable by value (the planner must cast them to a common type).
func specFor(a, b types.T) (keySpec, bool) {
	ca, cb := classOf(a), classOf(b)
	if ca != cb || ca.kind == classNone {
		return keySpec{}, false
	}
	s := keySpec{phys: a.Physical(), trim: a.Kind == types.Char || b.Kind == types.Char}
	if a.Physical() != b.Physical() {
		s.phys, s.wide = types.PhysInt128, true
	}
	return s, true
}

// widen returns v with 128-bit values when spec asks for them (v itself otherwise).
func (s keySpec) widen(v *vector.Vector) *vector.Vector {
	if !s.wide || v.Type.Physical() == types.PhysInt128 {
		return v
	}
	w := &vector.Vector{Type: types.New(types.LargeInt), Int128: make([]types.Int128, len(v.Int64)), Nulls: v.Nulls}
	if v.Type.Kind == types.Decimal {
		w.Type = types.DecimalOf(types.MaxDecimalPrecision, v.Type.Scale)
	}
	for i, x := range v.Int64 {
		w.Int128[i] = types.I128(x)
	}
	return w
}

const nullHash = 0x5bd1e9955bd1e995

// fmix64 is MurmurHash3's finalizer: every input bit affects every output bit.
func fmix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// hasher hashes key columns; one seed per hash table (and the filters built from it).
type hasher struct{ seed maphash.Seed }

func newHasher() hasher { return hasher{seed: maphash.MakeSeed()} }

// hashColumn mixes the hash of rows[k] of v into h[k] for every k (h[k] = 0 before the first
// column). v has the physical representation s.phys (see keySpec.widen).
func (hs hasher) hashColumn(s keySpec, v *vector.Vector, rows []int32, h []uint64) {
	hs.hashKey(s, v, rows, h, false)
}

// hashKey is hashColumn; with first, h's old values are ignored (as if they were 0), so that
// the first key column needs no clearing. A key of one int64 column hashes to fmix64 of the value
// (the runtime filters rely on it).
func (hs hasher) hashKey(s keySpec, v *vector.Vector, rows []int32, h []uint64, first bool) {
	h = h[:len(rows)]
	nulls := v.Nulls
	switch s.phys {
	case types.PhysInt64:
		x := v.Int64
		switch {
		case first && nulls == nil:
			for k, i := range rows {
				h[k] = fmix64(uint64(x[i]))
			}
		case nulls == nil:
			for k, i := range rows {
				h[k] = h[k]*31 + fmix64(uint64(x[i]))
			}
		default:
			for k, i := range rows {
				c := fmix64(uint64(x[i]))
				if nulls.Get(int(i)) {
					c = nullHash
				}
				if first {
					h[k] = c
				} else {
					h[k] = h[k]*31 + c
				}
			}
		}
		return
	case types.PhysInt128:
		x := v.Int128
		for k, i := range rows {
			c := fmix64(x[i].Lo ^ fmix64(uint64(x[i].Hi)))
			if nulls != nil && nulls.Get(int(i)) {
				c = nullHash
			}
			h[k] = mix(h[k], c, first)
		}
	case types.PhysFloat64:
		x := v.Float64
		for k, i := range rows {
			f := x[i]
			switch {
			case f == 0:
				f = 0 // -0 = +0
			case f != f:
				f = math.NaN() // one NaN
			}
			c := fmix64(math.Float64bits(f))
			if nulls != nil && nulls.Get(int(i)) {
				c = nullHash
			}
			h[k] = mix(h[k], c, first)
		}
	default:
		x := v.Bytes
		for k, i := range rows {
			var c uint64 = nullHash
			if nulls == nil || !nulls.Get(int(i)) {
				b := x[i]
				if s.trim {
					b = trimSpaces(b)
				}
				c = maphash.Bytes(hs.seed, b)
			}
			h[k] = mix(h[k], c, first)
		}
	}
}

// mix adds a column's hash c to a row's hash h (h taken as 0 with first).
func mix(h, c uint64, first bool) uint64 {
	if first {
		return c
	}
	return h*31 + c
}

func trimSpaces(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// eqFunc returns whether non-NULL row i of p equals non-NULL row j of b (both in s.phys).
func (s keySpec) eqFunc(p, b *vector.Vector) func(i, j int32) bool {
	switch s.phys {
	case types.PhysInt64:
		x, y := p.Int64, b.Int64
		return func(i, j int32) bool { return x[i] == y[j] }
	case types.PhysInt128:
		x, y := p.Int128, b.Int128
		return func(i, j int32) bool { return x[i] == y[j] }
	case types.PhysFloat64:
		x, y := p.Float64, b.Float64
		return func(i, j int32) bool {
			return x[i] == y[j] || (x[i] != x[i] && y[j] != y[j]) // NaN = NaN, as hashing says
		}
	}
	x, y := p.Bytes, b.Bytes
	if s.trim {
		return func(i, j int32) bool { return string(trimSpaces(x[i])) == string(trimSpaces(y[j])) }
	}
	return func(i, j int32) bool { return string(x[i]) == string(y[j]) }
}

// cmp3 is a three-valued comparison result of a key tuple.
type cmp3 uint8

const (
	cmpFalse cmp3 = iota
	cmpNull
	cmpTrue
)

// tupleEq3 compares row i of the probe keys with row j of the build keys in SQL's three-valued
// logic: FALSE when some component differs, else NULL when some component is NULL (and the key
// is not null-safe), else TRUE.
func tupleEq3(specs []keySpec, eqs []func(i, j int32) bool, pk, bk []*vector.Vector, i, j int32) cmp3 {
	r := cmpTrue
	for k, s := range specs {
		pn, bn := pk[k].IsNull(int(i)), bk[k].IsNull(int(j))
		switch {
		case pn || bn:
			if s.nullSafe {
				if pn != bn {
					return cmpFalse
				}
				continue
			}
			r = cmpNull
		case !eqs[k](i, j):
			return cmpFalse
		}
	}
	return r
}
