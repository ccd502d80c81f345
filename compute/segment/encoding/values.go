package encoding

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/doricdb/doric/compute/types"
)

// ---------------------------------------------------------------- 128-bit integers

// AppendInt128s appends an int128 stream holding v: Split (two int64 streams) when that is
// smaller than Plain.
func (e *Encoder) AppendInt128s(dst []byte, v []types.Int128) []byte {
	start := len(dst)
	dst = e.appendSplit(dst, v)
	if len(dst)-start > 1+16*len(v) {
		return appendPlain128(dst[:start], v)
	}
	return dst
}

// AppendInt128sAs appends an int128 stream of kind k.
func (e *Encoder) AppendInt128sAs(dst []byte, v []types.Int128, k Kind) ([]byte, error) {
	switch k {
	case Plain:
		return appendPlain128(dst, v), nil
	case Split:
		return e.appendSplit(dst, v), nil
	}
	return dst, fmt.Errorf("encoding: %s is not an int128 stream kind", k)
}

func appendPlain128(dst []byte, v []types.Int128) []byte {
	dst = append(dst, byte(Plain))
	dst = slices.Grow(dst, 16*len(v))
	for _, x := range v {
		dst = binary.LittleEndian.AppendUint64(dst, x.Lo)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(x.Hi))
	}
	return dst
}

func (e *Encoder) appendSplit(dst []byte, v []types.Int128) []byte {
	e.hi, e.lo = e.hi[:0], e.lo[:0]
	for _, x := range v {
		e.hi = append(e.hi, x.Hi)
		e.lo = append(e.lo, int64(x.Lo))
	}
	dst = append(dst, byte(Split))
	dst = e.appendInt64s(dst, e.hi, intIndexes)
	return e.appendInt64s(dst, e.lo, intIndexes)
}

// Int128s decodes an int128 stream of len(dst) values from the front of src.
func (d *Decoder) Int128s(dst []types.Int128, src []byte) (int, error) {
	if len(src) < 1 {
		return 0, corrupt("int128 stream: missing kind")
	}
	n := len(dst)
	switch k := Kind(src[0]); k {
	case Plain:
		if len(src)-1 < 16*n {
			return 0, corrupt("plain int128 stream: %d bytes for %d values", len(src)-1, n)
		}
		b := src[1 : 1+16*n]
		for i := range dst {
			dst[i] = types.Int128{Lo: binary.LittleEndian.Uint64(b[16*i:]), Hi: int64(binary.LittleEndian.Uint64(b[16*i+8:]))}
		}
		return 1 + 16*n, nil
	case Split:
		d.hi, d.lo = grow(d.hi, n), grow(d.lo, n)
		p := 1
		m, err := d.int64s(d.hi, src[p:], intIndexes)
		if err != nil {
			return 0, err
		}
		p += m
		m, err = d.int64s(d.lo, src[p:], intIndexes)
		if err != nil {
			return 0, err
		}
		p += m
		for i := range dst {
			dst[i] = types.Int128{Hi: d.hi[i], Lo: uint64(d.lo[i])}
		}
		return p, nil
	default:
		return 0, corrupt("int128 stream: kind %s not allowed here", k)
	}
}

// ---------------------------------------------------------------- floats

// AppendFloat64s appends a float stream holding v: a dictionary when few distinct values
// repeat, else the byte planes of the values (4 when every value is exactly a float32).
func (e *Encoder) AppendFloat64s(dst []byte, v []float64) []byte {
	k := Shuffle64
	if float32Exact(v) {
		k = Shuffle32
	}
	size := 1 + 8*len(v)
	if k == Shuffle32 {
		size = 1 + 4*len(v)
	}
	if len(v) >= 16 {
		if d := e.distinctFloats(v, min(len(v)/4, MaxDictSize)); d > 0 {
			if 1+uvarintLen(uint64(d))+1+8*d+2+PackedLen(len(v), bits.Len(uint(d-1))) < size {
				k = Dict
			}
		}
	}
	out, _ := e.AppendFloat64sAs(dst, v, k)
	return out
}

// AppendFloat64sAs appends a float stream of kind k; Shuffle32 needs values exactly
// representable as float32.
func (e *Encoder) AppendFloat64sAs(dst []byte, v []float64, k Kind) ([]byte, error) {
	switch k {
	case Plain:
		dst = append(dst, byte(Plain))
		for _, x := range v {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(x))
		}
		return dst, nil
	case Shuffle64:
		dst = append(dst, byte(Shuffle64))
		n := len(v)
		start := len(dst)
		dst = slices.Grow(dst, 8*n)[:start+8*n]
		out := dst[start:]
		for i, x := range v {
			b := math.Float64bits(x)
			for p := range 8 {
				out[p*n+i] = byte(b >> (8 * p))
			}
		}
		return dst, nil
	case Shuffle32:
		if !float32Exact(v) {
			return dst, fmt.Errorf("encoding: values are not all float32")
		}
		dst = append(dst, byte(Shuffle32))
		n := len(v)
		start := len(dst)
		dst = slices.Grow(dst, 4*n)[:start+4*n]
		out := dst[start:]
		for i, x := range v {
			b := math.Float32bits(float32(x))
			out[i], out[n+i], out[2*n+i], out[3*n+i] = byte(b), byte(b>>8), byte(b>>16), byte(b>>24)
		}
		return dst, nil
	case Dict:
		d := e.distinctFloats(v, min(len(v), MaxDictSize))
		if d < 0 {
			return dst, fmt.Errorf("encoding: too many distinct values for %s", k)
		}
		// distinctFloats left the sorted distinct bit patterns in e.dictI.
		e.set.assignSorted(e.dictI[:d])
		e.idx = e.idx[:0]
		for _, x := range v {
			e.idx = append(e.idx, int64(e.set.id(int64(math.Float64bits(x)))))
		}
		e.dictF = e.dictF[:0]
		for _, b := range e.dictI[:d] {
			e.dictF = append(e.dictF, math.Float64frombits(uint64(b)))
		}
		dst = append(dst, byte(Dict))
		dst = binary.AppendUvarint(dst, uint64(d))
		leaf := Shuffle64
		if float32Exact(e.dictF) {
			leaf = Shuffle32
		}
		dst, _ = e.AppendFloat64sAs(dst, e.dictF, leaf)
		idx := e.idx
		return e.appendInt64s(dst, idx, intIndexes), nil
	}
	return dst, fmt.Errorf("encoding: %s is not a float stream kind", k)
}

func float32Exact(v []float64) bool {
	for _, x := range v {
		if math.Float64bits(float64(float32(x))) != math.Float64bits(x) {
			return false
		}
	}
	return true
}

// distinctFloats is distinctInts over the bit patterns of v.
func (e *Encoder) distinctFloats(v []float64, limit int) int {
	if limit < 1 || len(v) == 0 {
		return -1
	}
	e.set.reset(min(limit, len(v)))
	for _, x := range v {
		if e.set.add(int64(math.Float64bits(x))) && e.set.len() > limit {
			return -1
		}
	}
	e.dictI = append(e.dictI[:0], e.set.keys...)
	slices.Sort(e.dictI)
	return len(e.dictI)
}

// Float64s decodes a float stream of len(dst) values from the front of src.
func (d *Decoder) Float64s(dst []float64, src []byte) (int, error) {
	return d.float64s(dst, src, floatTop)
}

func (d *Decoder) float64s(dst []float64, src []byte, allowed kinds) (int, error) {
	if len(src) < 1 {
		return 0, corrupt("float stream: missing kind")
	}
	k := Kind(src[0])
	if !allowed.has(k) {
		return 0, corrupt("float stream: kind %s not allowed here", k)
	}
	n := len(dst)
	switch k {
	case Plain:
		if len(src)-1 < 8*n {
			return 0, corrupt("plain float stream: %d bytes for %d values", len(src)-1, n)
		}
		b := src[1 : 1+8*n]
		for i := range dst {
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return 1 + 8*n, nil
	case Shuffle64:
		if len(src)-1 < 8*n {
			return 0, corrupt("shuffled float stream: %d bytes for %d values", len(src)-1, n)
		}
		b := src[1 : 1+8*n]
		p0, p1, p2, p3 := b[:n], b[n:2*n], b[2*n:3*n], b[3*n:4*n]
		p4, p5, p6, p7 := b[4*n:5*n], b[5*n:6*n], b[6*n:7*n], b[7*n:8*n]
		for i := range dst {
			dst[i] = math.Float64frombits(uint64(p0[i]) | uint64(p1[i])<<8 | uint64(p2[i])<<16 | uint64(p3[i])<<24 |
				uint64(p4[i])<<32 | uint64(p5[i])<<40 | uint64(p6[i])<<48 | uint64(p7[i])<<56)
		}
		return 1 + 8*n, nil
	case Shuffle32:
		if len(src)-1 < 4*n {
			return 0, corrupt("shuffled float32 stream: %d bytes for %d values", len(src)-1, n)
		}
		b := src[1 : 1+4*n]
		p0, p1, p2, p3 := b[:n], b[n:2*n], b[2*n:3*n], b[3*n:4*n]
		for i := range dst {
			dst[i] = float64(math.Float32frombits(uint32(p0[i]) | uint32(p1[i])<<8 | uint32(p2[i])<<16 | uint32(p3[i])<<24))
		}
		return 1 + 4*n, nil
	case Dict:
		size, m := binary.Uvarint(src[1:])
		if m <= 0 || size > uint64(max(n, 1)) || size > MaxDictSize || (n > 0 && size == 0) {
			return 0, corrupt("float dictionary: bad size for %d values", n)
		}
		p := 1 + m
		dict := grow(d.dictF, int(size))
		d.dictF = dict
		m, err := d.float64s(dict, src[p:], floatLeaf)
		if err != nil {
			return 0, err
		}
		p += m
		idx := grow(d.idx, n)
		d.idx = idx
		m, err = d.int64s(idx, src[p:], intIndexes)
		if err != nil {
			return 0, err
		}
		p += m
		for i, x := range idx {
			if uint64(x) >= size {
				return 0, corrupt("dictionary index %d out of range [0, %d)", x, size)
			}
			dst[i] = dict[x]
		}
		return p, nil
	}
	return 0, corrupt("float stream: unknown kind %d", k)
}

// ---------------------------------------------------------------- byte strings

// AppendBytes appends a bytes stream holding v: a dictionary when values repeat enough to pay
// for it, else the lengths and the concatenated bytes.
func (e *Encoder) AppendBytes(dst []byte, v [][]byte) []byte {
	total := 0
	for _, x := range v {
		total += len(x)
	}
	if len(v) >= 16 {
		if d, dictBytes := e.distinctBytes(v, len(v)/2); d > 0 {
			// Plain pays at least a byte per length; a dictionary pays its entries and the indexes.
			if dictBytes+d+PackedLen(len(v), bits.Len(uint(d-1)))+8 < total+len(v)/2 {
				return e.appendDictBytes(dst)
			}
		}
	}
	return e.appendPlainBytes(dst, v)
}

// AppendBytesAs appends a bytes stream of kind k.
func (e *Encoder) AppendBytesAs(dst []byte, v [][]byte, k Kind) ([]byte, error) {
	switch k {
	case Plain:
		return e.appendPlainBytes(dst, v), nil
	case Dict:
		if d, _ := e.distinctBytes(v, min(len(v), MaxDictSize)); d < 0 {
			return dst, fmt.Errorf("encoding: too many distinct values for %s", k)
		}
		return e.appendDictBytes(dst), nil
	}
	return dst, fmt.Errorf("encoding: %s is not a bytes stream kind", k)
}

// appendDictBytes appends the dictionary stream distinctBytes prepared.
func (e *Encoder) appendDictBytes(dst []byte) []byte {
	dst = append(dst, byte(Dict))
	dst = binary.AppendUvarint(dst, uint64(len(e.dictB)))
	dst = e.appendPlainBytes(dst, e.dictB)
	idx := e.idx
	return e.appendInt64s(dst, idx, intIndexes)
}

func (e *Encoder) appendPlainBytes(dst []byte, v [][]byte) []byte {
	e.lens = e.lens[:0]
	total := 0
	for _, x := range v {
		e.lens = append(e.lens, int64(len(x)))
		total += len(x)
	}
	dst = append(dst, byte(Plain))
	lens := e.lens
	dst = e.appendInt64s(dst, lens, intIndexes)
	dst = binary.AppendUvarint(dst, uint64(total))
	dst = slices.Grow(dst, total)
	for _, x := range v {
		dst = append(dst, x...)
	}
	return dst
}

// distinctBytes numbers the distinct values of v in order of first appearance (e.dictB) and
// records the number of each value (e.idx). It returns how many there are and their total
// length, or -1 when there are more than limit or too many to be worth it.
func (e *Encoder) distinctBytes(v [][]byte, limit int) (int, int) {
	if limit < 1 || len(v) == 0 {
		return -1, 0
	}
	if e.strIDs == nil {
		e.strIDs = make(map[string]int32)
	}
	clear(e.strIDs)
	e.dictB = e.dictB[:0]
	e.idx = e.idx[:0]
	size := 0
	for i, x := range v {
		id, ok := e.strIDs[string(x)]
		if !ok {
			id = int32(len(e.dictB))
			e.strIDs[string(x)] = id
			e.dictB = append(e.dictB, x)
			size += len(x)
			if len(e.dictB) > limit || (i >= 256 && 4*len(e.dictB) > 3*i) {
				return -1, 0
			}
		}
		e.idx = append(e.idx, int64(id))
	}
	return len(e.dictB), size
}

// Bytes decodes a bytes stream of len(dst) values from the front of src. The values alias src.
func (d *Decoder) Bytes(dst [][]byte, src []byte) (int, error) {
	if len(src) < 1 {
		return 0, corrupt("bytes stream: missing kind")
	}
	n := len(dst)
	switch k := Kind(src[0]); k {
	case Plain:
		return d.plainBytes(dst, src)
	case Dict:
		size, m := binary.Uvarint(src[1:])
		if m <= 0 || size > uint64(max(n, 1)) || size > MaxDictSize || (n > 0 && size == 0) {
			return 0, corrupt("bytes dictionary: bad size for %d values", n)
		}
		p := 1 + m
		dict := grow(d.dictB, int(size))
		d.dictB = dict
		m, err := d.plainBytes(dict, src[p:])
		if err != nil {
			return 0, err
		}
		p += m
		idx := grow(d.idx, n)
		d.idx = idx
		m, err = d.int64s(idx, src[p:], intIndexes)
		if err != nil {
			return 0, err
		}
		p += m
		for i, x := range idx {
			if uint64(x) >= size {
				return 0, corrupt("dictionary index %d out of range [0, %d)", x, size)
			}
			dst[i] = dict[x]
		}
		return p, nil
	default:
		return 0, corrupt("bytes stream: kind %s not allowed here", k)
	}
}

func (d *Decoder) plainBytes(dst [][]byte, src []byte) (int, error) {
	if len(src) < 1 || Kind(src[0]) != Plain {
		return 0, corrupt("bytes stream: expected plain")
	}
	p := 1
	lens := grow(d.lens, len(dst))
	d.lens = lens
	m, err := d.int64s(lens, src[p:], intIndexes)
	if err != nil {
		return 0, err
	}
	p += m
	total, m := binary.Uvarint(src[p:])
	if m <= 0 || total > uint64(len(src)-p-m) {
		return 0, corrupt("bytes stream: data length exceeds the stream")
	}
	p += m
	data := src[p : p+int(total)]
	off := 0
	for i, l := range lens {
		if l < 0 || l > int64(len(data)-off) {
			return 0, corrupt("bytes stream: value %d of length %d overruns the data", i, l)
		}
		end := off + int(l)
		dst[i] = data[off:end:end]
		off = end
	}
	if off != len(data) {
		return 0, corrupt("bytes stream: values cover %d of %d data bytes", off, len(data))
	}
	return p + int(total), nil
}
