package encoding

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
)

// Kind is the first byte of every value stream (FORMAT.md "Value streams").
type Kind uint8

const (
	Plain     Kind = 0 // values as fixed-width little-endian words (strings: lengths + bytes)
	FOR       Kind = 1 // frame of reference: base, width, bit-packed differences from base
	Delta     Kind = 2 // first value, then bit-packed differences from the previous value
	RLE       Kind = 3 // runs: run values and run lengths, each an int stream
	Dict      Kind = 4 // dictionary of distinct values and an int stream of indexes into it
	Split     Kind = 5 // 128-bit integers as two int streams: high and low 64 bits
	Shuffle64 Kind = 6 // floats, byte k of every value together (8 planes)
	Shuffle32 Kind = 7 // floats exactly representable as float32, 4 planes of their bits
)

func (k Kind) String() string {
	switch k {
	case Plain:
		return "plain"
	case FOR:
		return "for"
	case Delta:
		return "delta"
	case RLE:
		return "rle"
	case Dict:
		return "dict"
	case Split:
		return "split"
	case Shuffle64:
		return "shuffle64"
	case Shuffle32:
		return "shuffle32"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// kinds is a set of stream kinds allowed at one place of a stream tree.
type kinds uint16

func (s kinds) has(k Kind) bool { return k < 16 && s&(1<<k) != 0 }

func setOf(ks ...Kind) kinds {
	var s kinds
	for _, k := range ks {
		s |= 1 << k
	}
	return s
}

// Where each kind may appear (FORMAT.md): nesting is at most two levels deep.
var (
	intTop     = setOf(Plain, FOR, Delta, RLE, Dict) // a page's int64 values
	intLeaf    = setOf(Plain, FOR, Delta)            // inside RLE, dictionary values
	intIndexes = setOf(Plain, FOR, Delta, RLE)       // dictionary indexes, string lengths, split halves
	floatTop   = setOf(Plain, Shuffle64, Shuffle32, Dict)
	floatLeaf  = setOf(Plain, Shuffle64, Shuffle32)
)

const (
	noEstimate = 1 << 62
	// MaxDictSize bounds the entries of a dictionary stream.
	MaxDictSize = 1 << 16
)

// Encoder encodes value streams, choosing the smallest kind for the data. The zero value is
// ready; it keeps scratch buffers and is used by one goroutine at a time.
type Encoder struct {
	deltas  []int64
	runVals []int64
	runLens []int64
	idx     []int64
	dictI   []int64
	hi, lo  []int64
	lens    []int64
	set     intSet
	strIDs  map[string]int32
	dictB   [][]byte
	dictF   []float64
}

func varintLen(x int64) int { return uvarintLen(uint64(x<<1) ^ uint64(x>>63)) }

func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

// intStats summarizes an int64 stream for the choice of its kind.
type intStats struct {
	n          int
	min, max   int64
	runs       int
	maxRun     int
	dmin, dmax int64 // of the wrapping differences v[i]-v[i-1], when n >= 2
}

func statsOf(v []int64) intStats {
	s := intStats{n: len(v)}
	if len(v) == 0 {
		return s
	}
	s.min, s.max = v[0], v[0]
	s.runs, s.maxRun = 1, 1
	run := 1
	prev := v[0]
	first := true
	for _, x := range v[1:] {
		s.min = min(s.min, x)
		s.max = max(s.max, x)
		d := x - prev
		if first {
			s.dmin, s.dmax, first = d, d, false
		} else {
			s.dmin = min(s.dmin, d)
			s.dmax = max(s.dmax, d)
		}
		if x == prev {
			run++
		} else {
			s.maxRun = max(s.maxRun, run)
			s.runs++
			run = 1
		}
		prev = x
	}
	s.maxRun = max(s.maxRun, run)
	return s
}

func width(lo, hi int64) int { return bits.Len64(uint64(hi) - uint64(lo)) }

func (s intStats) forSize() int {
	w := width(s.min, s.max)
	if w > MaxWidth {
		return noEstimate
	}
	return 2 + varintLen(s.min) + PackedLen(s.n, w)
}

func (s intStats) deltaSize(first int64) int {
	if s.n < 2 {
		return noEstimate
	}
	w := width(s.dmin, s.dmax)
	if w > MaxWidth {
		return noEstimate
	}
	return 2 + varintLen(first) + varintLen(s.dmin) + PackedLen(s.n-1, w)
}

// rleSize estimates RLE with FOR-packed run values and lengths. Runs shorter than 4 values on
// average are not worth their slower decoding.
func (s intStats) rleSize() int {
	w := width(s.min, s.max)
	if w > MaxWidth || s.runs*4 > s.n {
		return noEstimate
	}
	return 1 + uvarintLen(uint64(s.runs)) + 2 + varintLen(s.min) + PackedLen(s.runs, w) + 3 + PackedLen(s.runs, bits.Len(uint(s.maxRun-1)))
}

// AppendInt64s appends an int64 stream holding v, of the smallest kind for the data.
func (e *Encoder) AppendInt64s(dst []byte, v []int64) []byte { return e.appendInt64s(dst, v, intTop) }

// AppendInt64sAs appends an int64 stream of kind k (its nested streams chosen by the data). It
// fails when k cannot hold v (a frame wider than MaxWidth) or is not an int64 kind.
func (e *Encoder) AppendInt64sAs(dst []byte, v []int64, k Kind) ([]byte, error) {
	if !intTop.has(k) {
		return dst, fmt.Errorf("encoding: %s is not an int64 stream kind", k)
	}
	s := statsOf(v)
	if (k == FOR && s.forSize() == noEstimate) || (k == Delta && len(v) >= 2 && s.deltaSize(v[0]) == noEstimate) {
		return dst, fmt.Errorf("encoding: values too far apart for %s", k)
	}
	if k == Dict && e.distinctInts(v, len(v)) < 0 {
		return dst, fmt.Errorf("encoding: too many distinct values for %s", k)
	}
	return e.appendInt64sKind(dst, v, k, s), nil
}

func (e *Encoder) appendInt64s(dst []byte, v []int64, allowed kinds) []byte {
	s := statsOf(v)
	best, size := Plain, 1+8*len(v)
	try := func(k Kind, sz int) {
		if allowed.has(k) && sz < size {
			best, size = k, sz
		}
	}
	try(FOR, s.forSize())
	if len(v) >= 2 {
		try(Delta, s.deltaSize(v[0]))
	}
	try(RLE, s.rleSize())
	if allowed.has(Dict) && len(v) >= 16 && width(s.min, s.max) >= 4 {
		// A dictionary pays only when its indexes are narrower than the best so far.
		wmax := (8*(size-8))/len(v) - 1
		if wmax >= 1 {
			limit := min(1<<min(wmax, 20), len(v)/2, MaxDictSize)
			if d := e.distinctInts(v, limit); d > 0 {
				// Sorted distinct values, FOR-packed indexes.
				ds := statsOf(e.dictI[:d])
				est := 1 + uvarintLen(uint64(d)) + min(ds.forSize(), ds.deltaSize(e.dictI[0]), 1+8*d) + 2 + PackedLen(len(v), bits.Len(uint(d-1)))
				try(Dict, est)
			}
		}
	}
	if best == Plain {
		return appendPlainInts(dst, v)
	}
	return e.appendInt64sKind(dst, v, best, s)
}

func appendPlainInts(dst []byte, v []int64) []byte {
	dst = append(dst, byte(Plain))
	dst = slices.Grow(dst, 8*len(v))
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(x))
	}
	return dst
}

func (e *Encoder) appendInt64sKind(dst []byte, v []int64, k Kind, s intStats) []byte {
	switch k {
	case Plain:
		return appendPlainInts(dst, v)
	case FOR:
		w := width(s.min, s.max)
		dst = append(dst, byte(FOR))
		dst = binary.AppendVarint(dst, s.min)
		dst = append(dst, byte(w))
		return appendPacked(dst, v, s.min, uint(w))
	case Delta:
		dst = append(dst, byte(Delta))
		if len(v) == 0 {
			return append(dst, 0, 0, 0)
		}
		e.deltas = e.deltas[:0]
		for i := 1; i < len(v); i++ {
			e.deltas = append(e.deltas, v[i]-v[i-1])
		}
		w := 0
		if len(v) >= 2 {
			w = width(s.dmin, s.dmax)
		}
		dst = binary.AppendVarint(dst, v[0])
		dst = binary.AppendVarint(dst, s.dmin)
		dst = append(dst, byte(w))
		return appendPacked(dst, e.deltas, s.dmin, uint(w))
	case RLE:
		vals, lens := e.runVals[:0], e.runLens[:0]
		for i := 0; i < len(v); {
			j := i + 1
			for j < len(v) && v[j] == v[i] {
				j++
			}
			vals = append(vals, v[i])
			lens = append(lens, int64(j-i))
			i = j
		}
		e.runVals, e.runLens = vals, lens
		dst = append(dst, byte(RLE))
		dst = binary.AppendUvarint(dst, uint64(len(vals)))
		dst = e.appendInt64s(dst, vals, intLeaf)
		return e.appendInt64s(dst, lens, intLeaf)
	case Dict:
		// The caller has just collected the distinct values of v (distinctInts).
		dict := e.dictI
		e.set.assignSorted(dict)
		e.idx = e.idx[:0]
		for _, x := range v {
			e.idx = append(e.idx, int64(e.set.id(x)))
		}
		dst = append(dst, byte(Dict))
		dst = binary.AppendUvarint(dst, uint64(len(dict)))
		dst = e.appendInt64s(dst, dict, intLeaf)
		idx := e.idx
		return e.appendInt64s(dst, idx, intIndexes)
	}
	panic(fmt.Sprintf("BUG: int64 stream kind %s", k))
}

// distinctInts collects the distinct values of v, sorted, into e.dictI and returns how many
// there are, or -1 when there are more than limit.
func (e *Encoder) distinctInts(v []int64, limit int) int {
	if limit < 1 || len(v) == 0 {
		return -1
	}
	e.set.reset(min(limit, len(v)))
	for _, x := range v {
		if e.set.add(x) && e.set.len() > limit {
			return -1
		}
	}
	e.dictI = append(e.dictI[:0], e.set.keys...)
	slices.Sort(e.dictI)
	return len(e.dictI)
}

// intSet is an open-addressing hash set of int64 that also maps each member to an id.
type intSet struct {
	slots []int32 // 0 empty, else 1 + index into keys
	keys  []int64
	ids   []int32
	shift uint
}

func (s *intSet) reset(capacity int) {
	size := 16
	for size < 2*capacity {
		size *= 2
	}
	if cap(s.slots) >= size {
		s.slots = s.slots[:size]
		clear(s.slots)
	} else {
		s.slots = make([]int32, size)
	}
	s.shift = uint(64 - bits.TrailingZeros(uint(size)))
	s.keys = s.keys[:0]
	s.ids = s.ids[:0]
}

func (s *intSet) len() int { return len(s.keys) }

func (s *intSet) find(x int64) int {
	mask := len(s.slots) - 1
	h := int((uint64(x) * 0x9E3779B97F4A7C15) >> s.shift)
	for {
		k := s.slots[h]
		if k == 0 || s.keys[k-1] == x {
			return h
		}
		h = (h + 1) & mask
	}
}

// add inserts x and reports whether it was new. The table must not be full: reset with the
// capacity, and stop adding once len exceeds it.
func (s *intSet) add(x int64) bool {
	if len(s.keys)*2 >= len(s.slots) {
		s.grow()
	}
	h := s.find(x)
	if s.slots[h] != 0 {
		return false
	}
	s.keys = append(s.keys, x)
	s.ids = append(s.ids, 0)
	s.slots[h] = int32(len(s.keys))
	return true
}

func (s *intSet) grow() {
	keys := append([]int64(nil), s.keys...)
	s.reset(len(s.slots))
	for _, k := range keys {
		s.add(k)
	}
}

// assignSorted numbers the members by their position in sorted (which holds them all).
func (s *intSet) assignSorted(sorted []int64) {
	for i, x := range sorted {
		s.ids[s.slots[s.find(x)]-1] = int32(i)
	}
}

func (s *intSet) id(x int64) int32 { return s.ids[s.slots[s.find(x)]-1] }

// ---------------------------------------------------------------- decoding

// Decoder decodes value streams. The zero value is ready; it keeps scratch buffers and is used
// by one goroutine at a time.
type Decoder struct {
	runs   []int64
	dictI  []int64
	idx    []int64
	hi, lo []int64
	lens   []int64
	dictF  []float64
	dictB  [][]byte
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Int64s decodes an int64 stream of len(dst) values from the front of src into dst and returns
// how many bytes it took.
func (d *Decoder) Int64s(dst []int64, src []byte) (int, error) { return d.int64s(dst, src, intTop) }

func (d *Decoder) int64s(dst []int64, src []byte, allowed kinds) (int, error) {
	if len(src) < 1 {
		return 0, corrupt("int stream: missing kind")
	}
	k := Kind(src[0])
	if !allowed.has(k) {
		return 0, corrupt("int stream: kind %s not allowed here", k)
	}
	n := len(dst)
	p := 1
	switch k {
	case Plain:
		if len(src)-p < 8*n {
			return 0, corrupt("plain int stream: %d bytes for %d values", len(src)-p, n)
		}
		b := src[p : p+8*n]
		for i := range dst {
			dst[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return p + 8*n, nil
	case FOR:
		base, m := binary.Varint(src[p:])
		if m <= 0 {
			return 0, corrupt("for stream: bad base")
		}
		p += m
		q, err := unpackAt(dst, src, p, base)
		return q, err
	case Delta:
		first, m := binary.Varint(src[p:])
		if m <= 0 {
			return 0, corrupt("delta stream: bad first value")
		}
		p += m
		dmin, m := binary.Varint(src[p:])
		if m <= 0 {
			return 0, corrupt("delta stream: bad minimum delta")
		}
		p += m
		if n == 0 {
			if p >= len(src) || src[p] != 0 {
				return 0, corrupt("delta stream of no values has a width")
			}
			return p + 1, nil
		}
		q, err := unpackAt(dst[1:], src, p, dmin)
		if err != nil {
			return 0, err
		}
		dst[0] = first
		for i := 1; i < n; i++ {
			dst[i] += dst[i-1]
		}
		return q, nil
	case RLE:
		r64, m := binary.Uvarint(src[p:])
		if m <= 0 || r64 > uint64(n) || (n > 0) != (r64 > 0) {
			return 0, corrupt("rle stream: bad run count for %d values", n)
		}
		p += m
		r := int(r64)
		m, err := d.int64s(dst[n-r:], src[p:], intLeaf)
		if err != nil {
			return 0, err
		}
		p += m
		lens := grow(d.runs, r)
		d.runs = lens
		m, err = d.int64s(lens, src[p:], intLeaf)
		if err != nil {
			return 0, err
		}
		p += m
		pos := 0
		for j, l := range lens {
			if l < 1 || l > int64(n-pos-(r-1-j)) {
				return 0, corrupt("rle stream: run %d of length %d does not fit %d values", j, l, n)
			}
			x := dst[n-r+j]
			run := dst[pos : pos+int(l)]
			for i := range run {
				run[i] = x
			}
			pos += int(l)
		}
		if pos != n {
			return 0, corrupt("rle stream: runs cover %d of %d values", pos, n)
		}
		return p, nil
	case Dict:
		size, m := binary.Uvarint(src[p:])
		if m <= 0 || size > uint64(max(n, 1)) || size > MaxDictSize || (n > 0 && size == 0) {
			return 0, corrupt("dictionary stream: bad size for %d values", n)
		}
		p += m
		dict := grow(d.dictI, int(size))
		d.dictI = dict
		m, err := d.int64s(dict, src[p:], intLeaf)
		if err != nil {
			return 0, err
		}
		p += m
		m, err = d.int64s(dst, src[p:], intIndexes)
		if err != nil {
			return 0, err
		}
		p += m
		for i, x := range dst {
			if uint64(x) >= size {
				return 0, corrupt("dictionary index %d out of range [0, %d)", x, size)
			}
			dst[i] = dict[x]
		}
		return p, nil
	}
	return 0, corrupt("int stream: unknown kind %d", k)
}

// unpackAt reads a width byte at src[p] and len(dst) packed values after it into dst.
func unpackAt(dst []int64, src []byte, p int, base int64) (int, error) {
	if p >= len(src) {
		return 0, corrupt("packed stream: missing width")
	}
	w := int(src[p])
	p++
	if w > MaxWidth {
		return 0, corrupt("packed stream: width %d exceeds %d", w, MaxWidth)
	}
	nb := PackedLen(len(dst), w)
	if len(src)-p < nb {
		return 0, corrupt("packed stream: %d bytes for %d values of %d bits", len(src)-p, len(dst), w)
	}
	unpack(dst, src[p:p+nb], base, uint(w))
	return p + nb, nil
}
