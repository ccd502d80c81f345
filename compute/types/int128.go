package types

import (
	"math/big"
	"math/bits"
)

// Int128 is a two's-complement 128-bit integer: the value is Hi<<64 | Lo with Hi signed.
type Int128 struct {
	Hi int64
	Lo uint64
}

// I128 widens an int64.
func I128(v int64) Int128 { return Int128{Hi: v >> 63, Lo: uint64(v)} }

func (a Int128) Add(b Int128) Int128 {
	lo, carry := bits.Add64(a.Lo, b.Lo, 0)
	return Int128{Hi: a.Hi + b.Hi + int64(carry), Lo: lo}
}

func (a Int128) Sub(b Int128) Int128 { return a.Add(b.Neg()) }

func (a Int128) Neg() Int128 {
	lo, borrow := bits.Sub64(0, a.Lo, 0)
	return Int128{Hi: -a.Hi - int64(borrow), Lo: lo}
}

func (a Int128) Sign() int {
	switch {
	case a.Hi < 0:
		return -1
	case a.Hi == 0 && a.Lo == 0:
		return 0
	}
	return 1
}

// Cmp returns -1, 0 or 1.
func (a Int128) Cmp(b Int128) int {
	if a.Hi != b.Hi {
		if a.Hi < b.Hi {
			return -1
		}
		return 1
	}
	if a.Lo != b.Lo {
		if a.Lo < b.Lo {
			return -1
		}
		return 1
	}
	return 0
}

// IsInt64 reports whether the value fits in an int64.
func (a Int128) IsInt64() bool { return a.Hi == int64(a.Lo)>>63 }

// Int64 truncates to the low 64 bits.
func (a Int128) Int64() int64 { return int64(a.Lo) }

// Big converts to a big.Int.
func (a Int128) Big() *big.Int {
	v := new(big.Int).SetInt64(a.Hi)
	v.Lsh(v, 64)
	return v.Or(v, new(big.Int).SetUint64(a.Lo))
}

var (
	big128Min = new(big.Int).Lsh(big.NewInt(-1), 127)
	big128Max = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 127), big.NewInt(1))
	mask64    = new(big.Int).SetUint64(^uint64(0))
)

// Int128FromBig converts a big.Int; ok is false when it does not fit.
func Int128FromBig(v *big.Int) (Int128, bool) {
	if v.Cmp(big128Min) < 0 || v.Cmp(big128Max) > 0 {
		return Int128{}, false
	}
	lo := new(big.Int).And(v, mask64).Uint64()
	hi := new(big.Int).Rsh(v, 64).Int64()
	return Int128{Hi: hi, Lo: lo}, true
}

// Mul multiplies; ok is false on overflow.
func (a Int128) Mul(b Int128) (Int128, bool) {
	if a.IsInt64() && b.IsInt64() {
		x, y := a.Int64(), b.Int64()
		hi, lo := bits.Mul64(uint64(abs64(x)), uint64(abs64(y)))
		if hi>>63 == 0 && x != -1<<63 && y != -1<<63 {
			r := Int128{Hi: int64(hi), Lo: lo}
			if (x < 0) != (y < 0) {
				r = r.Neg()
			}
			return r, true
		}
	}
	return Int128FromBig(new(big.Int).Mul(a.Big(), b.Big()))
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// String renders the value in base 10.
func (a Int128) String() string {
	if a.IsInt64() {
		return big.NewInt(a.Int64()).String()
	}
	return a.Big().String()
}
