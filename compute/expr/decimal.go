package expr

import (
	"math"
	"math/big"
	"strconv"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Powers of ten, computed once; read-only.
var (
	pow10i64 = func() (t [19]int64) {
		t[0] = 1
		for i := 1; i < len(t); i++ {
			t[i] = t[i-1] * 10
		}
		return t
	}()
	pow10i128 = func() (t [39]types.Int128) {
		for i := range t {
			t[i] = types.Pow10(int32(i))
		}
		return t
	}()
	pow10f = func() (t [23]float64) {
		t[0] = 1
		for i := 1; i < len(t); i++ {
			t[i] = t[i-1] * 10
		}
		return t
	}()
)

func bigPow10(n int32) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// scaleOf is the decimal scale of a numeric type (0 for integers).
func scaleOf(t types.T) int32 {
	if t.Kind == types.Decimal {
		return t.Scale
	}
	return 0
}

// precisionOf is the number of decimal digits a value of an exact numeric type may have.
func precisionOf(t types.T) int32 {
	switch t.Kind {
	case types.Decimal:
		return t.Precision
	case types.Boolean:
		return 1
	case types.TinyInt:
		return 3
	case types.SmallInt:
		return 5
	case types.Int:
		return 10
	case types.BigInt:
		return 19
	default: // LARGEINT
		return 39
	}
}

// wide returns the values of an exact numeric vector (integer or DECIMAL) as Int128s.
func wide(v *vector.Vector) []types.Int128 {
	if v.Int128 != nil || v.Type.Physical() == types.PhysInt128 {
		return v.Int128
	}
	out := make([]types.Int128, len(v.Int64))
	for i, x := range v.Int64 {
		out[i] = types.I128(x)
	}
	return out
}

func add128(a, b types.Int128) (types.Int128, bool) {
	r := a.Add(b)
	// Overflow iff a and b have the same sign and r's differs.
	return r, !((a.Hi < 0) == (b.Hi < 0) && (r.Hi < 0) != (a.Hi < 0))
}

func sub128(a, b types.Int128) (types.Int128, bool) {
	r := a.Sub(b)
	return r, !((a.Hi < 0) != (b.Hi < 0) && (r.Hi < 0) != (a.Hi < 0))
}

func scaleUp128(a types.Int128, k int32) (types.Int128, bool) {
	if k == 0 || a == (types.Int128{}) {
		return a, true
	}
	if k >= int32(len(pow10i128)) {
		return types.Int128{}, false
	}
	if a.IsInt64() && k <= 18 {
		x, m := a.Int64(), pow10i64[k]
		if x < math.MaxInt64/m && x > math.MinInt64/m {
			return types.I128(x * m), true
		}
	}
	return a.Mul(pow10i128[k])
}

// divRound128 returns a/b rounded half away from zero; b != 0. ok is false on overflow.
func divRound128(a, b types.Int128) (types.Int128, bool) {
	if a.IsInt64() && b.IsInt64() {
		x, y := a.Int64(), b.Int64()
		if !(x == math.MinInt64 && y == -1) {
			q, r := x/y, x%y
			if r != 0 && 2*absU64(r) >= absU64(y) {
				if (x < 0) != (y < 0) {
					q--
				} else {
					q++
				}
			}
			return types.I128(q), true
		}
	}
	return types.Int128FromBig(divRoundBig(a.Big(), b.Big()))
}

func absU64(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}

// divRoundBig returns n/d rounded half away from zero.
func divRoundBig(n, d *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	if r.Sign() != 0 {
		r2 := new(big.Int).Abs(r)
		r2.Lsh(r2, 1)
		if r2.CmpAbs(d) >= 0 {
			if (n.Sign() < 0) != (d.Sign() < 0) {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	return q
}

// rescale128 converts an unscaled value from scale `from` to scale `to`, rounding half away
// from zero.
func rescale128(a types.Int128, from, to int32) (types.Int128, bool) {
	switch {
	case to == from:
		return a, true
	case to > from:
		return scaleUp128(a, to-from)
	case from-to >= int32(len(pow10i128)):
		return types.Int128{}, true
	default:
		return divRound128(a, pow10i128[from-to])
	}
}

// truncScale128 converts from scale `from` to a smaller scale `to`, truncating toward zero.
func truncScale128(a types.Int128, from, to int32) types.Int128 {
	if to >= from {
		r, _ := scaleUp128(a, to-from)
		return r
	}
	k := from - to
	if k >= int32(len(pow10i128)) {
		return types.Int128{}
	}
	if a.IsInt64() && k <= 18 {
		return types.I128(a.Int64() / pow10i64[k])
	}
	r, _ := types.Int128FromBig(new(big.Int).Quo(a.Big(), bigPow10(k)))
	return r
}

// fitsPrecision reports |a| <= 10^p - 1.
func fitsPrecision(a types.Int128, p int32) bool {
	if p >= int32(len(pow10i128)) {
		return true
	}
	if a.IsInt64() {
		if p >= 19 {
			return true
		}
		x, m := a.Int64(), pow10i64[p]
		return x < m && x > -m
	}
	m := pow10i128[p]
	return a.Cmp(m) < 0 && a.Cmp(m.Neg()) > 0
}

// decimalToFloat converts an unscaled value of scale s to the nearest float64.
func decimalToFloat(a types.Int128, s int32) float64 {
	if a.IsInt64() {
		x := a.Int64()
		if x < 1<<53 && x > -(1<<53) && s < int32(len(pow10f)) {
			return float64(x) / pow10f[s] // both exact: one correctly rounded division
		}
	}
	f, _ := strconv.ParseFloat(types.FormatDecimal(a, s), 64)
	return f
}

// floatToDecimal converts f to an unscaled value of scale s, rounding half away from zero; ok
// is false for NaN, infinities and values that do not fit 128 bits.
func floatToDecimal(f float64, s int32) (types.Int128, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return types.Int128{}, false
	}
	if s < int32(len(pow10f)) {
		if v := f * pow10f[s]; math.Abs(v) < 1<<62 {
			return types.I128(int64(math.Round(v))), true
		}
	}
	r := new(big.Rat).SetFloat64(f)
	r.Mul(r, new(big.Rat).SetInt(bigPow10(s)))
	return types.Int128FromBig(divRoundBig(r.Num(), r.Denom()))
}

// decimalOp evaluates op on x (scale sx) and y (scale sy) exactly, rounded half away from zero
// to scale s. null is set for division by zero; ok is false when the result does not fit 128
// bits.
func decimalOp(op arithOp, x types.Int128, sx int32, y types.Int128, sy int32, s int32) (r types.Int128, null, ok bool) {
	// Fast paths in 128 bits at the natural scale.
	switch op {
	case opAdd, opSub:
		m := max(sx, sy)
		xa, ok1 := scaleUp128(x, m-sx)
		ya, ok2 := scaleUp128(y, m-sy)
		if ok1 && ok2 {
			var v types.Int128
			var ok3 bool
			if op == opAdd {
				v, ok3 = add128(xa, ya)
			} else {
				v, ok3 = sub128(xa, ya)
			}
			if ok3 {
				if r, ok := rescale128(v, m, s); ok {
					return r, false, true
				}
			}
		}
	case opMul:
		if v, ok := x.Mul(y); ok {
			if r, ok := rescale128(v, sx+sy, s); ok {
				return r, false, true
			}
		}
	case opDiv, opMod:
		if y == (types.Int128{}) {
			return types.Int128{}, true, true
		}
		if op == opDiv {
			// x/10^sx / (y/10^sy) * 10^s = x * 10^(s+sy-sx) / y
			if k := s + sy - sx; k >= 0 {
				if n, ok := scaleUp128(x, k); ok {
					if r, ok := divRound128(n, y); ok {
						return r, false, true
					}
				}
			}
		}
	}
	return decimalOpBig(op, x, sx, y, sy, s)
}

func decimalOpBig(op arithOp, x types.Int128, sx int32, y types.Int128, sy int32, s int32) (types.Int128, bool, bool) {
	bx, by := x.Big(), y.Big()
	var num, den *big.Int
	switch op {
	case opAdd, opSub:
		a := new(big.Int).Mul(bx, bigPow10(sy))
		b := new(big.Int).Mul(by, bigPow10(sx))
		if op == opAdd {
			num = a.Add(a, b)
		} else {
			num = a.Sub(a, b)
		}
		den = bigPow10(sx + sy)
	case opMul:
		num, den = new(big.Int).Mul(bx, by), bigPow10(sx+sy)
	case opDiv:
		if by.Sign() == 0 {
			return types.Int128{}, true, true
		}
		num = new(big.Int).Mul(bx, bigPow10(sy))
		den = new(big.Int).Mul(by, bigPow10(sx))
	case opMod:
		if by.Sign() == 0 {
			return types.Int128{}, true, true
		}
		m := max(sx, sy)
		a := new(big.Int).Mul(bx, bigPow10(m-sx))
		b := new(big.Int).Mul(by, bigPow10(m-sy))
		num, den = new(big.Int).Rem(a, b), bigPow10(m)
	}
	num.Mul(num, bigPow10(s))
	r, ok := types.Int128FromBig(divRoundBig(num, den))
	return r, false, ok
}
