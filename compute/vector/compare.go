package vector

import (
	"bytes"
	"cmp"
	"math"

	"github.com/doricdb/doric/compute/types"
)

// Comparator returns a function that orders rows of v by value: negative, zero or positive as
// row i sorts before, with or after row j. NULLs are not handled (callers place them); within a
// type the order is SQL's: numbers and temporal values by value, DECIMAL by unscaled value (one
// scale per vector), strings bytewise (CHAR ignoring trailing spaces), NaN after every other
// float. The kind is switched on once, not per comparison.
func Comparator(v *Vector) func(i, j int) int {
	switch v.Type.Physical() {
	case types.PhysInt64:
		x := v.Int64
		return func(i, j int) int { return cmp.Compare(x[i], x[j]) }
	case types.PhysInt128:
		x := v.Int128
		return func(i, j int) int { return x[i].Cmp(x[j]) }
	case types.PhysFloat64:
		x := v.Float64
		return func(i, j int) int { return compareFloat(x[i], x[j]) }
	}
	x := v.Bytes
	if v.Type.Kind == types.Char {
		return func(i, j int) int { return bytes.Compare(trimRight(x[i]), trimRight(x[j])) }
	}
	return func(i, j int) int { return bytes.Compare(x[i], x[j]) }
}

func compareFloat(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an || bn:
		if an && bn {
			return 0
		}
		if an {
			return 1
		}
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func trimRight(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// CompareAt orders x[i] against y[j] — two vectors of one type — as Comparator orders rows of
// one vector, with NULL before every value and equal to NULL.
func CompareAt(x *Vector, i int, y *Vector, j int) int {
	xn, yn := x.IsNull(i), y.IsNull(j)
	switch {
	case xn && yn:
		return 0
	case xn:
		return -1
	case yn:
		return 1
	}
	switch x.Type.Physical() {
	case types.PhysInt64:
		return cmp.Compare(x.Int64[i], y.Int64[j])
	case types.PhysInt128:
		return x.Int128[i].Cmp(y.Int128[j])
	case types.PhysFloat64:
		return compareFloat(x.Float64[i], y.Float64[j])
	}
	if x.Type.Kind == types.Char {
		return bytes.Compare(trimRight(x.Bytes[i]), trimRight(y.Bytes[j]))
	}
	return bytes.Compare(x.Bytes[i], y.Bytes[j])
}
