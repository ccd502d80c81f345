package index

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/doricdb/doric/compute/segment/encoding"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", encoding.ErrCorrupt, fmt.Sprintf(format, args...))
}

// Value is one non-NULL value in the physical representation of its type (compute/types): only
// the field of that representation is meaningful.
type Value struct {
	Int64   int64
	Int128  types.Int128
	Float64 float64
	Bytes   []byte
}

// ValueAt returns row i of v (which must not be NULL).
func ValueAt(v *vector.Vector, i int) Value {
	switch v.Type.Physical() {
	case types.PhysInt64:
		return Value{Int64: v.Int64[i]}
	case types.PhysInt128:
		return Value{Int128: v.Int128[i]}
	case types.PhysFloat64:
		return Value{Float64: v.Float64[i]}
	}
	return Value{Bytes: v.Bytes[i]}
}

// Normalize returns the canonical form of a value of t: CHAR without trailing spaces, -0 as +0
// and one NaN. Equal values (in SQL) have equal canonical forms.
func Normalize(t types.T, v Value) Value {
	switch t.Physical() {
	case types.PhysFloat64:
		v.Float64 = normFloat(v.Float64)
	case types.PhysBytes:
		if t.Kind == types.Char {
			v.Bytes = bytes.TrimRight(v.Bytes, " ")
		}
	}
	return v
}

func normFloat(f float64) float64 {
	if f == 0 {
		return 0
	}
	if math.IsNaN(f) {
		return math.NaN()
	}
	return f
}

// Compare orders two values of type t in SQL order (see the package doc).
func Compare(t types.T, a, b Value) int {
	switch t.Physical() {
	case types.PhysInt64:
		return cmp.Compare(a.Int64, b.Int64)
	case types.PhysInt128:
		return a.Int128.Cmp(b.Int128)
	case types.PhysFloat64:
		an, bn := math.IsNaN(a.Float64), math.IsNaN(b.Float64)
		switch {
		case an || bn:
			return cmp.Compare(b2i(an), b2i(bn))
		case a.Float64 < b.Float64:
			return -1
		case a.Float64 > b.Float64:
			return 1
		}
		return 0
	}
	if t.Kind == types.Char {
		return bytes.Compare(bytes.TrimRight(a.Bytes, " "), bytes.TrimRight(b.Bytes, " "))
	}
	return bytes.Compare(a.Bytes, b.Bytes)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// appendValue appends the plain encoding of v (FORMAT.md "Zone maps").
func appendValue(dst []byte, t types.T, v Value) []byte {
	switch t.Physical() {
	case types.PhysInt64:
		return binary.LittleEndian.AppendUint64(dst, uint64(v.Int64))
	case types.PhysInt128:
		dst = binary.LittleEndian.AppendUint64(dst, v.Int128.Lo)
		return binary.LittleEndian.AppendUint64(dst, uint64(v.Int128.Hi))
	case types.PhysFloat64:
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.Float64))
	}
	return append(dst, v.Bytes...)
}

func decodeValue(t types.T, b []byte) (Value, error) {
	switch t.Physical() {
	case types.PhysInt64:
		if len(b) != 8 {
			return Value{}, corrupt("%d-byte %s value", len(b), t)
		}
		return Value{Int64: int64(binary.LittleEndian.Uint64(b))}, nil
	case types.PhysInt128:
		if len(b) != 16 {
			return Value{}, corrupt("%d-byte %s value", len(b), t)
		}
		return Value{Int128: types.Int128{Lo: binary.LittleEndian.Uint64(b), Hi: int64(binary.LittleEndian.Uint64(b[8:]))}}, nil
	case types.PhysFloat64:
		if len(b) != 8 {
			return Value{}, corrupt("%d-byte %s value", len(b), t)
		}
		return Value{Float64: math.Float64frombits(binary.LittleEndian.Uint64(b))}, nil
	}
	if len(b) > MaxZoneBytes {
		return Value{}, corrupt("%d-byte zone map string exceeds %d", len(b), MaxZoneBytes)
	}
	return Value{Bytes: b}, nil
}
