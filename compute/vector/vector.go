package vector

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/doricdb/doric/compute/types"
)

// Vector is one column of values of one SQL type. See the package doc.
type Vector struct {
	Type    types.T
	Int64   []int64
	Int128  []types.Int128
	Float64 []float64
	Bytes   [][]byte
	Nulls   Bitmap // nil: no NULLs
}

// New returns a vector of n zero, non-NULL values.
func New(t types.T, n int) *Vector {
	v := &Vector{Type: t}
	switch t.Physical() {
	case types.PhysInt64:
		v.Int64 = make([]int64, n)
	case types.PhysInt128:
		v.Int128 = make([]types.Int128, n)
	case types.PhysFloat64:
		v.Float64 = make([]float64, n)
	case types.PhysBytes:
		v.Bytes = make([][]byte, n)
	}
	return v
}

// NewWithCap returns an empty vector with room for n values (for Append).
func NewWithCap(t types.T, n int) *Vector {
	v := &Vector{Type: t}
	switch t.Physical() {
	case types.PhysInt64:
		v.Int64 = make([]int64, 0, n)
	case types.PhysInt128:
		v.Int128 = make([]types.Int128, 0, n)
	case types.PhysFloat64:
		v.Float64 = make([]float64, 0, n)
	case types.PhysBytes:
		v.Bytes = make([][]byte, 0, n)
	}
	return v
}

// Len is the number of values (the physical length).
func (v *Vector) Len() int {
	switch v.Type.Physical() {
	case types.PhysInt64:
		return len(v.Int64)
	case types.PhysInt128:
		return len(v.Int128)
	case types.PhysFloat64:
		return len(v.Float64)
	default:
		return len(v.Bytes)
	}
}

// IsNull reports whether row i is NULL.
func (v *Vector) IsNull(i int) bool { return v.Nulls.Get(i) }

// SetNull marks row i NULL, allocating the bitmap on first use.
func (v *Vector) SetNull(i int) {
	if v.Nulls == nil {
		v.Nulls = NewBitmap(v.Len())
	}
	v.Nulls = v.Nulls.grow(i + 1)
	v.Nulls.Set(i)
}

// MayHaveNulls is a cheap check: false means no row is NULL.
func (v *Vector) MayHaveNulls() bool { return v.Nulls != nil }

// Slice returns rows [lo, hi) as a vector that shares the value slices (not the bitmap).
func (v *Vector) Slice(lo, hi int) *Vector {
	out := &Vector{Type: v.Type, Nulls: v.Nulls.SliceBits(lo, hi)}
	switch v.Type.Physical() {
	case types.PhysInt64:
		out.Int64 = v.Int64[lo:hi:hi]
	case types.PhysInt128:
		out.Int128 = v.Int128[lo:hi:hi]
	case types.PhysFloat64:
		out.Float64 = v.Float64[lo:hi:hi]
	default:
		out.Bytes = v.Bytes[lo:hi:hi]
	}
	return out
}

// Gather returns a new vector holding rows sel of v, in that order.
func (v *Vector) Gather(sel []int32) *Vector {
	out := NewWithCap(v.Type, len(sel))
	out.AppendRows(v, sel)
	return out
}

// AppendRows appends rows sel of src (which has v's physical type) to v.
func (v *Vector) AppendRows(src *Vector, sel []int32) {
	base := v.Len()
	switch v.Type.Physical() {
	case types.PhysInt64:
		v.Int64 = gatherAppend(v.Int64, src.Int64, sel)
	case types.PhysInt128:
		v.Int128 = gatherAppend(v.Int128, src.Int128, sel)
	case types.PhysFloat64:
		v.Float64 = gatherAppend(v.Float64, src.Float64, sel)
	default:
		v.Bytes = gatherAppend(v.Bytes, src.Bytes, sel)
	}
	if src.Nulls != nil {
		for k, i := range sel {
			if src.Nulls.Get(int(i)) {
				v.SetNull(base + k)
			}
		}
	}
	if v.Nulls != nil {
		v.Nulls = v.Nulls.grow(v.Len())
	}
}

// AppendRange appends rows [lo, hi) of src to v.
func (v *Vector) AppendRange(src *Vector, lo, hi int) {
	base := v.Len()
	switch v.Type.Physical() {
	case types.PhysInt64:
		v.Int64 = append(v.Int64, src.Int64[lo:hi]...)
	case types.PhysInt128:
		v.Int128 = append(v.Int128, src.Int128[lo:hi]...)
	case types.PhysFloat64:
		v.Float64 = append(v.Float64, src.Float64[lo:hi]...)
	default:
		v.Bytes = append(v.Bytes, src.Bytes[lo:hi]...)
	}
	if src.Nulls != nil {
		for i := lo; i < hi; i++ {
			if src.Nulls.Get(i) {
				v.SetNull(base + i - lo)
			}
		}
	}
	if v.Nulls != nil {
		v.Nulls = v.Nulls.grow(v.Len())
	}
}

// AppendNull appends one NULL (with a zero value slot).
func (v *Vector) AppendNull() {
	n := v.Len()
	switch v.Type.Physical() {
	case types.PhysInt64:
		v.Int64 = append(v.Int64, 0)
	case types.PhysInt128:
		v.Int128 = append(v.Int128, types.Int128{})
	case types.PhysFloat64:
		v.Float64 = append(v.Float64, 0)
	default:
		v.Bytes = append(v.Bytes, nil)
	}
	v.SetNull(n)
}

// Format renders row i as SQL text the way a MySQL client shows it (NULL as "NULL"). For tests,
// errors and debugging; not a hot path.
func (v *Vector) Format(i int) string {
	if v.IsNull(i) {
		return "NULL"
	}
	t := v.Type
	switch t.Kind {
	case types.Boolean, types.TinyInt, types.SmallInt, types.Int, types.BigInt:
		return strconv.FormatInt(v.Int64[i], 10)
	case types.LargeInt:
		return v.Int128[i].String()
	case types.Float, types.Double:
		return FormatFloat(v.Float64[i], t.Kind == types.Float)
	case types.Decimal:
		if t.Physical() == types.PhysInt128 {
			return types.FormatDecimal(v.Int128[i], t.Scale)
		}
		return types.FormatDecimal(types.I128(v.Int64[i]), t.Scale)
	case types.Date:
		return types.FormatDate(v.Int64[i])
	case types.DateTime:
		return types.FormatDateTime(v.Int64[i], t.Scale)
	case types.Char, types.Varchar, types.String:
		return string(v.Bytes[i])
	case types.Null:
		return "NULL"
	}
	return fmt.Sprintf("BUG: unknown type %v", t)
}

// FormatFloat renders a FLOAT/DOUBLE as Doris does: the shortest text that reads back to the same
// value, in plain notation for decimal exponents in [-5, 15] and scientific otherwise ("1e+16").
func FormatFloat(f float64, float32Precision bool) string {
	bitSize := 64
	if float32Precision {
		bitSize = 32
	}
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	sci := strconv.FormatFloat(f, 'e', -1, bitSize)
	exp, err := strconv.Atoi(sci[strings.LastIndexByte(sci, 'e')+1:])
	if err != nil || exp < -5 || exp > 15 {
		return sci
	}
	return strconv.FormatFloat(f, 'f', -1, bitSize)
}

// gatherAppend appends src[i] for each i of sel to dst (grown as Grown grows it).
func gatherAppend[T any](dst, src []T, sel []int32) []T {
	n := len(dst)
	dst = Grown(dst, n+len(sel))
	for k, i := range sel {
		dst[n+k] = src[i]
	}
	return dst
}

// Grown returns s extended to length n (n <= len(s): s itself) with the new elements zero. When
// it must reallocate it at least doubles the capacity: a vector or state grown batch by batch to
// millions of entries then allocates about twice its final size in all — append's growth of a
// quarter for large slices allocates about five times that, every byte of it fresh memory to
// fault in.
func Grown[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		old := len(s)
		s = s[:n]
		clear(s[old:])
		return s
	}
	out := make([]T, n, max(n, 2*cap(s)))
	copy(out, s)
	return out
}
