package expr

import (
	"bytes"
	"math"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Math functions. DOUBLE functions give NULL where the result is not a number (sqrt(-1),
// ln(0), asin(2)), as Doris. ceil/floor/round/truncate of a DECIMAL are exact: the value is
// rounded (half away from zero), truncated (toward zero), or moved toward +/- infinity at the
// requested digit in 128-bit (or arbitrary) precision and represented at the result's scale.

func compileMathFn(name string, t types.T, args []node) (node, bool, error) {
	var f1 func(float64) float64
	switch name {
	case "sqrt":
		f1 = math.Sqrt
	case "ln":
		f1 = posLog(math.Log)
	case "log10":
		f1 = posLog(math.Log10)
	case "log2":
		f1 = posLog(math.Log2)
	case "exp":
		f1 = math.Exp
	case "sin":
		f1 = math.Sin
	case "cos":
		f1 = math.Cos
	case "tan":
		f1 = math.Tan
	case "asin":
		f1 = math.Asin
	case "acos":
		f1 = math.Acos
	case "atan":
		f1 = math.Atan
	case "degrees":
		f1 = func(x float64) float64 { return x * 180 / math.Pi }
	case "radians":
		f1 = func(x float64) float64 { return x * math.Pi / 180 }
	case "pi", "e":
		if err := arityErr(name, args, 0, 0); err != nil {
			return nil, true, err
		}
		v := math.Pi
		if name == "e" {
			v = math.E
		}
		return &literal{t: t, f64: v}, true, nil
	case "pow", "log":
		lo := 2
		if name == "log" {
			lo = 1
		}
		if err := arityErr(name, args, lo, 2); err != nil {
			return nil, true, err
		}
		if err := checkArgs(name, args, isDbl); err != nil {
			return nil, true, err
		}
		if name == "log" && len(args) == 1 {
			f1 = posLog(math.Log)
			break
		}
		return &fn{t: t, args: args, k: func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
			a, b := in[0].Float64, in[1].Float64
			for _, i := range rows {
				if out.IsNull(int(i)) {
					continue
				}
				var r float64
				if name == "pow" {
					r = math.Pow(a[i], b[i])
				} else if a[i] > 0 && a[i] != 1 && b[i] > 0 { // log(base, x)
					r = math.Log(b[i]) / math.Log(a[i])
				} else {
					r = math.NaN()
				}
				setFloat(out, i, r)
			}
			return nil
		}}, true, nil
	case "sign":
		if err := arityErr(name, args, 1, 1); err != nil {
			return nil, true, err
		}
		if err := checkArgs(name, args, isDbl); err != nil {
			return nil, true, err
		}
		return &fn{t: t, args: args, k: intKernel(func(in []*vector.Vector, i int32) int64 {
			x := in[0].Float64[i]
			switch {
			case x > 0:
				return 1
			case x < 0:
				return -1
			}
			return 0
		})}, true, nil
	case "greatest", "least":
		if err := arityErr(name, args, 1, -1); err != nil {
			return nil, true, err
		}
		n, err := newGreatest(name == "greatest", t, args)
		return n, true, err
	case "ceil", "floor", "round", "truncate":
		if err := arityErr(name, args, 1, 2); err != nil {
			return nil, true, err
		}
		n, err := newRounding(name, t, args)
		return n, true, err
	default:
		return nil, false, nil
	}
	if err := arityErr(name, args, 1, 1); err != nil {
		return nil, true, err
	}
	if err := checkArgs(name, args, isDbl); err != nil {
		return nil, true, err
	}
	return &fn{t: t, args: args, k: func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
		x := in[0].Float64
		for _, i := range rows {
			if !out.IsNull(int(i)) {
				setFloat(out, i, f1(x[i]))
			}
		}
		return nil
	}}, true, nil
}

func posLog(f func(float64) float64) func(float64) float64 {
	return func(x float64) float64 {
		if x <= 0 {
			return math.NaN()
		}
		return f(x)
	}
}

// setFloat stores r, or NULL when it is NaN or infinite.
func setFloat(out *vector.Vector, i int32, r float64) {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		out.SetNull(int(i))
		return
	}
	out.Float64[i] = r
}

// ---------------------------------------------------------------- greatest, least

func newGreatest(greatest bool, t types.T, args []node) (node, error) {
	for _, a := range args {
		if at := a.typ(); at != t && !(at.IsString() && t.IsString()) && at.Kind != types.Null {
			return nil, badPlan("greatest/least: argument of type %s for a %s result", at, t)
		}
	}
	better := func(c int) bool { return (c > 0) == greatest && c != 0 }
	return &fn{t: t, args: args, k: func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
		for _, i := range rows {
			if out.IsNull(int(i)) {
				continue
			}
			best := 0
			for k := 1; k < len(in); k++ {
				var c int
				switch t.Physical() {
				case types.PhysInt64:
					c = cmp3(in[k].Int64[i], in[best].Int64[i])
				case types.PhysInt128:
					c = in[k].Int128[i].Cmp(in[best].Int128[i])
				case types.PhysFloat64:
					c = cmp3(in[k].Float64[i], in[best].Float64[i])
				default:
					c = bytes.Compare(in[k].Bytes[i], in[best].Bytes[i])
				}
				if better(c) {
					best = k
				}
			}
			switch t.Physical() {
			case types.PhysInt64:
				out.Int64[i] = in[best].Int64[i]
			case types.PhysInt128:
				out.Int128[i] = in[best].Int128[i]
			case types.PhysFloat64:
				out.Float64[i] = in[best].Float64[i]
			default:
				out.Bytes[i] = in[best].Bytes[i]
			}
		}
		return nil
	}}, nil
}

func cmp3[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ---------------------------------------------------------------- ceil, floor, round, truncate

type roundMode uint8

const (
	rmHalfAway roundMode = iota // round
	rmTrunc                     // truncate
	rmCeil
	rmFloor
)

// roundTo rounds the unscaled value v to a multiple of 10^k (k > 0) by mode, returning the
// quotient v / 10^k so rounded.
func roundTo(v types.Int128, k int32, mode roundMode) types.Int128 {
	if k >= int32(len(pow10i128)) {
		// |v| < 10^k: the quotient is 0, or +/-1 for ceil/floor of a non-zero value.
		switch {
		case mode == rmCeil && v.Sign() > 0:
			return types.I128(1)
		case mode == rmFloor && v.Sign() < 0:
			return types.I128(-1)
		}
		return types.Int128{}
	}
	if mode == rmHalfAway {
		q, _ := divRound128(v, pow10i128[k])
		return q
	}
	q, r := quoRem128(v, pow10i128[k])
	switch {
	case mode == rmCeil && r.Sign() > 0:
		q = q.Add(types.I128(1))
	case mode == rmFloor && r.Sign() < 0:
		q = q.Sub(types.I128(1))
	}
	return q
}

func newRounding(name string, t types.T, args []node) (node, error) {
	mode := map[string]roundMode{"round": rmHalfAway, "truncate": rmTrunc, "ceil": rmCeil, "floor": rmFloor}[name]
	at := args[0].typ()
	if len(args) == 2 && !intLike(args[1].typ()) && args[1].typ().Kind != types.Null {
		return nil, badPlan("%s: digits of type %s", name, args[1].typ())
	}
	digits := func(in []*vector.Vector, i int32) int64 {
		if len(in) == 2 {
			return in[1].Int64[i]
		}
		return 0
	}
	switch {
	case at.IsFloat():
		return &fn{t: t, args: args, k: func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
			x := in[0].Float64
			for _, i := range rows {
				if out.IsNull(int(i)) {
					continue
				}
				d := digits(in, i)
				m := math.Pow(10, float64(d))
				var r float64
				switch mode {
				case rmHalfAway:
					r = math.Round(x[i]*m) / m
				case rmTrunc:
					r = math.Trunc(x[i]*m) / m
				case rmCeil:
					r = math.Ceil(x[i])
				case rmFloor:
					r = math.Floor(x[i])
				}
				if math.IsInf(m, 0) || m == 0 {
					r = x[i]
					if m == 0 {
						r = 0
					}
				}
				if t.IsInteger() {
					if !(r >= -(1<<63) && r < 1<<63) {
						return outOfRange(t)
					}
					out.Int64[i] = int64(r)
					continue
				}
				out.Float64[i] = r
			}
			return nil
		}}, nil
	case at.Kind == types.Decimal || intLike(at) || at.Kind == types.Null:
		if !exact(t) {
			return nil, badPlan("%s of %s with result type %s", name, at, t)
		}
		s, rs := scaleOf(at), scaleOf(t)
		return &fn{t: t, args: args, k: func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
			x := wide(in[0])
			res := make([]types.Int128, len(x))
			for _, i := range rows {
				if out.IsNull(int(i)) {
					continue
				}
				d := digits(in, i)
				v := x[i]
				if k := int64(s) - d; k > 0 {
					q := roundTo(v, int32(min(k, 1000)), mode)
					// The value q * 10^k at scale s is q * 10^(rs-d) at scale rs (d <= rs here,
					// or rs == s and the value is already at rs).
					e := int64(rs) - d
					var ok bool
					if e >= 0 {
						v, ok = scaleUp128(q, int32(min(e, 1000)))
					} else {
						v, ok = divRound128(q, pow10i128[-e])
					}
					if !ok && q.Sign() != 0 {
						return outOfRange(t)
					}
					if q.Sign() == 0 {
						v = types.Int128{}
					}
				} else if rs != s {
					var ok bool
					if v, ok = rescale128(v, s, rs); !ok {
						return outOfRange(t)
					}
				}
				if !fitsPrecision(v, precisionOf(t)) {
					return outOfRange(t)
				}
				res[i] = v
			}
			if t.Kind == types.Decimal {
				storeDecimal(out, res, rows)
				return nil
			}
			return storeInt128(out, res, rows)
		}}, nil
	}
	return nil, badPlan("%s of %s", name, at)
}
