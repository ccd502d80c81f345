package expr

import (
	"bytes"
	"math"
	"strconv"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// cast converts its argument to t. Values that cannot be converted become NULL.
type cast struct {
	arg node
	t   types.T
}

func newCast(arg node, t types.T) (node, error) {
	if !CanCast(arg.typ(), t) {
		return nil, badPlan("cannot cast %s to %s", arg.typ(), t)
	}
	return &cast{arg: arg, t: t}, nil
}

// CanCast reports whether Cast converts from to to.
func CanCast(from, to types.T) bool {
	ok := func(t types.T) bool { return t.Kind > types.Invalid && t.Kind < types.Null }
	return (ok(from) || from.Kind == types.Null) && ok(to)
}

func (c *cast) typ() types.T { return c.t }

func (c *cast) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	v, err := c.arg.eval(b, rows)
	if err != nil {
		return nil, err
	}
	return Cast(v, rows, c.t), nil
}

// Cast converts rows of v to type to. A value that cannot be represented (invalid text, a number
// out of the target's range) becomes NULL, as in Doris's non-strict mode. The result has v's
// length; other rows are unspecified. v is not modified (the result may share its storage).
func Cast(v *vector.Vector, rows []int32, to types.T) *vector.Vector {
	from := v.Type
	if from == to || (from.IsString() && to.IsString()) ||
		(from.Kind == to.Kind && from.Kind != types.Decimal && from.Kind != types.DateTime) {
		return retype(v, to)
	}
	n := v.Len()
	out := vector.New(to, n)
	if from.Kind == types.Null {
		out.Nulls = allNulls(n)
		return out
	}
	if v.Nulls != nil {
		out.Nulls = append(vector.Bitmap(nil), v.Nulls...)
	}
	switch {
	case to.Kind == types.Boolean:
		castToBool(v, rows, out)
	case to.Kind == types.LargeInt:
		castToLargeInt(v, rows, out)
	case to.IsInteger():
		castToInt(v, rows, out)
	case to.IsFloat():
		castToFloat(v, rows, out)
	case to.Kind == types.Decimal:
		castToDecimal(v, rows, out)
	case to.Kind == types.Date:
		castToDate(v, rows, out)
	case to.Kind == types.DateTime:
		castToDateTime(v, rows, out)
	case to.IsString():
		castToString(v, rows, out)
	default:
		panic("BUG: cast to " + to.String())
	}
	return out
}

// temporalNumber renders a DATE as the number YYYYMMDD and a DATETIME as YYYYMMDDhhmmss (the
// fraction dropped), as Doris's casts to numbers do.
func temporalNumber(t types.T, x int64) int64 {
	if t.Kind == types.Date {
		y, m, d := civilFromDays(x)
		return y*10000 + m*100 + d
	}
	days := floorDiv(x, microsPerDay)
	secs := (x - days*microsPerDay) / microsPerSecond
	y, m, d := civilFromDays(days)
	return (y*10000+m*100+d)*1_000_000 + secs/3600*10000 + secs/60%60*100 + secs%60
}

// exactOf returns row i of an exact-numeric or temporal vector as an unscaled value and scale.
func exactOf(v *vector.Vector, i int32) (types.Int128, int32) {
	t := v.Type
	switch {
	case t.IsTemporal():
		return types.I128(temporalNumber(t, v.Int64[i])), 0
	case t.Physical() == types.PhysInt128:
		return v.Int128[i], scaleOf(t)
	}
	return types.I128(v.Int64[i]), scaleOf(t)
}

func castToInt(v *vector.Vector, rows []int32, out *vector.Vector) {
	lo, hi := types.IntegerRange(out.Type.Kind)
	from := v.Type
	set := func(i int32, x int64, ok bool) {
		if ok && x >= lo && x <= hi {
			out.Int64[i] = x
		} else {
			out.SetNull(int(i))
		}
	}
	switch {
	case from.Physical() == types.PhysInt64 && !from.IsTemporal() && from.Kind != types.Decimal:
		for _, i := range rows {
			set(i, v.Int64[i], true)
		}
	case from.IsFloat():
		for _, i := range rows {
			f := math.Trunc(v.Float64[i])
			set(i, int64(f), f >= -(1<<63) && f < 1<<63)
		}
	case from.IsString():
		for _, i := range rows {
			if out.IsNull(int(i)) {
				continue
			}
			r, ok := parseExact(v.Bytes[i], 0, false)
			set(i, r.Int64(), ok && r.IsInt64())
		}
	default: // LARGEINT, DECIMAL, DATE, DATETIME
		for _, i := range rows {
			x, s := exactOf(v, i)
			r := truncScale128(x, s, 0)
			set(i, r.Int64(), r.IsInt64())
		}
	}
}

func castToLargeInt(v *vector.Vector, rows []int32, out *vector.Vector) {
	from := v.Type
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		var r types.Int128
		ok := true
		switch {
		case from.IsFloat():
			var f float64
			if f = math.Trunc(v.Float64[i]); math.Abs(f) < 1.7e38 {
				r, ok = floatToDecimal(f, 0)
			} else {
				ok = false
			}
		case from.IsString():
			r, ok = parseExact(v.Bytes[i], 0, false)
		default:
			x, s := exactOf(v, i)
			r = truncScale128(x, s, 0)
		}
		if ok {
			out.Int128[i] = r
		} else {
			out.SetNull(int(i))
		}
	}
}

func castToBool(v *vector.Vector, rows []int32, out *vector.Vector) {
	from := v.Type
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		var b, ok = false, true
		switch {
		case from.IsFloat():
			b = v.Float64[i] != 0
		case from.IsString():
			b, ok = parseBool(v.Bytes[i])
		case from.IsTemporal():
			ok = false
		case from.Physical() == types.PhysInt128:
			b = v.Int128[i] != (types.Int128{})
		default:
			b = v.Int64[i] != 0
		}
		switch {
		case !ok:
			out.SetNull(int(i))
		case b:
			out.Int64[i] = 1
		}
	}
}

func castToFloat(v *vector.Vector, rows []int32, out *vector.Vector) {
	from := v.Type
	isFloat32 := out.Type.Kind == types.Float
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		var f float64
		ok := true
		switch {
		case from.IsFloat():
			f = v.Float64[i]
		case from.IsString():
			f, ok = parseFloat(v.Bytes[i])
		case from.Kind == types.Decimal || from.Kind == types.LargeInt:
			x, s := exactOf(v, i)
			f = decimalToFloat(x, s)
		case from.IsTemporal():
			f = float64(temporalNumber(from, v.Int64[i]))
		default:
			f = float64(v.Int64[i])
		}
		if ok && isFloat32 {
			if !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
				ok = false
			}
			f = float64(float32(f))
		}
		if ok {
			out.Float64[i] = f
		} else {
			out.SetNull(int(i))
		}
	}
}

func castToDecimal(v *vector.Vector, rows []int32, out *vector.Vector) {
	from := v.Type
	s, p := out.Type.Scale, out.Type.Precision
	// A widening cast of 64-bit exact numbers (as q19's DECIMAL(15,2) -> DECIMAL(21,2)): every
	// value fits once scaled up, so it is one multiply per row and nothing to check.
	if sf := scaleOf(from); (from.Kind == types.Decimal || intLike(from)) && from.Physical() == types.PhysInt64 &&
		s >= sf && s-sf <= 18 && precisionOf(from)-sf+s <= p {
		m, x := pow10i64[s-sf], v.Int64
		if out.Type.Physical() == types.PhysInt64 {
			for _, i := range rows {
				out.Int64[i] = x[i] * m
			}
		} else {
			for _, i := range rows {
				out.Int128[i] = mul64(x[i], m)
			}
		}
		return
	}
	res := make([]types.Int128, out.Len())
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		var r types.Int128
		ok := true
		switch {
		case from.IsFloat():
			r, ok = floatToDecimal(v.Float64[i], s)
		case from.IsString():
			r, ok = parseExact(v.Bytes[i], s, true)
		default:
			x, xs := exactOf(v, i)
			r, ok = rescale128(x, xs, s)
		}
		if ok && fitsPrecision(r, p) {
			res[i] = r
		} else {
			out.SetNull(int(i))
		}
	}
	storeDecimal(out, res, rows)
}

// dateFromNumber reads YYYYMMDD or YYYYMMDDhhmmss; ok false when it is no valid date.
func dateFromNumber(x int64) (days, secs int64, ok bool) {
	switch {
	case x >= 1_000_000_000_000 && x <= 99_991_231_235_959:
		secs = x % 1_000_000
		x /= 1_000_000
		h, m, s := secs/10000, secs/100%100, secs%100
		if h > 23 || m > 59 || s > 59 {
			return 0, 0, false
		}
		secs = h*3600 + m*60 + s
	case x < 101 || x > 99_991_231:
		return 0, 0, false
	}
	y, m, d := x/10000, x/100%100, x%100
	if !validDate(y, m, d) {
		return 0, 0, false
	}
	return daysFromCivil(y, m, d), secs, true
}

func castToDate(v *vector.Vector, rows []int32, out *vector.Vector) {
	from := v.Type
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		var days int64
		ok := true
		switch {
		case from.Kind == types.DateTime:
			days = floorDiv(v.Int64[i], microsPerDay)
		case from.IsString():
			d, err := types.ParseDate(string(v.Bytes[i]))
			days, ok = d, err == nil
		case from.IsFloat():
			f := math.Trunc(v.Float64[i])
			if ok = f >= 0 && f < 1e15; ok {
				days, _, ok = dateFromNumber(int64(f))
			}
		case from.Kind == types.Boolean:
			ok = false
		default:
			x, s := exactOf(v, i)
			r := truncScale128(x, s, 0)
			if ok = r.IsInt64(); ok {
				days, _, ok = dateFromNumber(r.Int64())
			}
		}
		if ok {
			out.Int64[i] = days
		} else {
			out.SetNull(int(i))
		}
	}
}

func castToDateTime(v *vector.Vector, rows []int32, out *vector.Vector) {
	from := v.Type
	scale := out.Type.Scale
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		var us int64
		ok := true
		switch {
		case from.Kind == types.Date:
			us = v.Int64[i] * microsPerDay
		case from.Kind == types.DateTime:
			us = v.Int64[i]
		case from.IsString():
			var err error
			us, err = types.ParseDateTime(string(v.Bytes[i]))
			ok = err == nil
		case from.IsFloat():
			f := math.Trunc(v.Float64[i])
			if ok = f >= 0 && f < 1e15; ok {
				var days, secs int64
				days, secs, ok = dateFromNumber(int64(f))
				us = days*microsPerDay + secs*microsPerSecond
			}
		case from.Kind == types.Boolean:
			ok = false
		default:
			x, s := exactOf(v, i)
			r := truncScale128(x, s, 0)
			if ok = r.IsInt64(); ok {
				var days, secs int64
				days, secs, ok = dateFromNumber(r.Int64())
				us = days*microsPerDay + secs*microsPerSecond
			}
		}
		if ok {
			us = roundMicros(us, scale)
			if y, _, _ := civilFromDays(floorDiv(us, microsPerDay)); y > 9999 {
				ok = false
			}
		}
		if ok {
			out.Int64[i] = us
		} else {
			out.SetNull(int(i))
		}
	}
}

func castToString(v *vector.Vector, rows []int32, out *vector.Vector) {
	from := v.Type
	arena := make([]byte, 0, 16*len(rows))
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		start := len(arena)
		switch {
		case from.Kind == types.Decimal || from.Kind == types.LargeInt:
			x, s := exactOf(v, i)
			arena = append(arena, types.FormatDecimal(x, s)...)
		case from.IsFloat():
			arena = append(arena, vector.FormatFloat(v.Float64[i], from.Kind == types.Float)...)
		case from.Kind == types.Date:
			arena = appendDate(arena, v.Int64[i])
		case from.Kind == types.DateTime:
			arena = appendDateTime(arena, v.Int64[i], from.Scale)
		default: // BOOLEAN and the integers
			arena = strconv.AppendInt(arena, v.Int64[i], 10)
		}
		out.Bytes[i] = arena[start:len(arena):len(arena)]
	}
}

func appendPadded(b []byte, x int64, width int) []byte {
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], x, 10)
	for k := len(s); k < width; k++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

func appendDate(b []byte, days int64) []byte {
	y, m, d := civilFromDays(days)
	b = appendPadded(b, y, 4)
	b = append(b, '-')
	b = appendPadded(b, m, 2)
	b = append(b, '-')
	return appendPadded(b, d, 2)
}

func appendDateTime(b []byte, us int64, scale int32) []byte {
	days := floorDiv(us, microsPerDay)
	rem := us - days*microsPerDay
	secs, frac := rem/microsPerSecond, rem%microsPerSecond
	b = appendDate(b, days)
	b = append(b, ' ')
	b = appendPadded(b, secs/3600, 2)
	b = append(b, ':')
	b = appendPadded(b, secs/60%60, 2)
	b = append(b, ':')
	b = appendPadded(b, secs%60, 2)
	if scale > 0 {
		b = append(b, '.')
		var buf [6]byte
		f := appendPadded(buf[:0], frac, 6)
		b = append(b, f[:scale]...)
	}
	return b
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// parseExact parses a decimal number ("-12.5", "3e2", " 7 ") to an unscaled value of scale s.
// Extra fractional digits are rounded half away from zero (round) or truncated. ok is false for
// malformed text or a value that does not fit 128 bits.
func parseExact(text []byte, s int32, round bool) (types.Int128, bool) {
	b := trimSpace(text)
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	var digits [40]byte
	nd, exp, seen := 0, 0, false
	dot := false
	k := 0
	for ; k < len(b); k++ {
		c := b[k]
		switch {
		case c >= '0' && c <= '9':
			seen = true
			if dot {
				exp--
			}
			if nd == 0 && c == '0' {
				continue
			}
			if nd == len(digits) {
				if !dot {
					return types.Int128{}, false // far beyond 128 bits
				}
				exp++ // drop a digit past our precision (it cannot matter)
				continue
			}
			digits[nd] = c - '0'
			nd++
		case c == '.' && !dot:
			dot = true
		default:
			goto tail
		}
	}
tail:
	if !seen {
		return types.Int128{}, false
	}
	if k < len(b) {
		if b[k] != 'e' && b[k] != 'E' {
			return types.Int128{}, false
		}
		e, err := strconv.Atoi(string(b[k+1:]))
		if err != nil || e > 100 || e < -100 {
			if err == nil && e < -100 {
				return types.Int128{}, true
			}
			return types.Int128{}, false
		}
		exp += e
	}
	// value = digits * 10^exp; we want digits * 10^(exp+s).
	shift := exp + int(s)
	keep := nd
	if shift < 0 {
		keep = nd + shift
	}
	var r types.Int128
	ten := types.I128(10)
	for j := 0; j < max(keep, 0); j++ {
		var ok bool
		if r, ok = r.Mul(ten); !ok {
			return types.Int128{}, false
		}
		if r, ok = add128(r, types.I128(int64(digits[j]))); !ok {
			return types.Int128{}, false
		}
	}
	if shift > 0 {
		var ok bool
		if r, ok = scaleUp128(r, int32(shift)); !ok {
			return types.Int128{}, false
		}
	} else if round && keep >= 0 && keep < nd && digits[keep] >= 5 {
		var ok bool
		if r, ok = add128(r, types.I128(1)); !ok {
			return types.Int128{}, false
		}
	}
	if neg {
		r = r.Neg()
	}
	return r, true
}

// parseFloat parses a decimal floating-point number; ok is false for malformed text and values
// beyond the float64 range.
func parseFloat(text []byte) (float64, bool) {
	b := trimSpace(text)
	k := 0
	if k < len(b) && (b[k] == '-' || b[k] == '+') {
		k++
	}
	digits := 0
	for ; k < len(b) && (b[k] >= '0' && b[k] <= '9' || b[k] == '.'); k++ {
		if b[k] != '.' {
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if k < len(b) {
		if b[k] != 'e' && b[k] != 'E' {
			return 0, false
		}
		k++
		if k < len(b) && (b[k] == '-' || b[k] == '+') {
			k++
		}
		if k == len(b) {
			return 0, false
		}
		for ; k < len(b); k++ {
			if b[k] < '0' || b[k] > '9' {
				return 0, false
			}
		}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

func parseBool(text []byte) (bool, bool) {
	b := trimSpace(text)
	switch {
	case bytes.EqualFold(b, []byte("true")):
		return true, true
	case bytes.EqualFold(b, []byte("false")):
		return false, true
	}
	f, ok := parseFloat(b)
	return f != 0, ok
}
