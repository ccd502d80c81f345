package stream

import (
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// The fast casts turn the text of a source column into integers, DECIMALs of up to 18 digits
// and DATEs without going through expr.Cast, for the plain spellings bulk loads carry
// ("-123", "24386.67", "1996-03-13"). A value in any other spelling (spaces, '+', exponents,
// more fraction digits than the scale, a DATETIME, YYYYMMDD, out of range...) is handed to
// expr.Cast, so the result is always exactly expr.Cast's: TestFastCastAgreesWithCast and
// FuzzFastCast hold the fast path to that.

// fastCastable says whether fastCast handles a cast from a string to t.
func fastCastable(t types.T) bool {
	switch t.Kind {
	case types.TinyInt, types.SmallInt, types.Int, types.BigInt, types.Date:
		return true
	case types.Decimal:
		return t.Physical() == types.PhysInt64
	}
	return false
}

// fastCast casts rows [0, n) of the string vector v to t (fastCastable(t)), as expr.Cast(v,
// rows, t) does.
func fastCast(v *vector.Vector, n int, t types.T) *vector.Vector {
	out := vector.New(t, n)
	if v.Nulls != nil {
		out.Nulls = append(vector.Bitmap(nil), v.Nulls...)
	}
	var slow []int32
	dst, src := out.Int64[:n], v.Bytes[:n]
	switch t.Kind {
	case types.Date:
		for r, b := range src {
			if d, ok := parseDate(b); ok {
				dst[r] = d
			} else if !v.IsNull(r) {
				slow = append(slow, int32(r))
			}
		}
	case types.Decimal:
		lim := pow10[t.Precision]
		for r, b := range src {
			if x, ok := parseDecimal(b, int(t.Scale)); ok && x < lim && x > -lim {
				dst[r] = x
			} else if !v.IsNull(r) {
				slow = append(slow, int32(r))
			}
		}
	default:
		lo, hi := types.IntegerRange(t.Kind)
		for r, b := range src {
			if x, ok := parseInt(b); ok && x >= lo && x <= hi {
				dst[r] = x
			} else if !v.IsNull(r) {
				slow = append(slow, int32(r))
			}
		}
	}
	if len(slow) > 0 {
		s := expr.Cast(v, slow, t)
		for _, r := range slow {
			if s.IsNull(int(r)) {
				out.SetNull(int(r))
			} else {
				dst[r] = s.Int64[r]
			}
		}
	}
	return out
}

var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// parseInt reads -?[0-9]{1,18}.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var x int64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		x = x*10 + int64(d)
	}
	if neg {
		x = -x
	}
	return x, true
}

// parseDecimal reads -?[0-9]+(\.[0-9]{1,scale})? of at most 18 digits as an unscaled value of
// the scale.
func parseDecimal(b []byte, scale int) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var x int64
	digits, frac, dot := 0, 0, false
	for _, c := range b {
		if c == '.' && !dot {
			dot = true
			continue
		}
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		x = x*10 + int64(d)
		digits++
		if dot {
			frac++
		}
	}
	if digits-frac == 0 || (dot && frac == 0) || frac > scale || digits+scale-frac > 18 {
		return 0, false
	}
	x *= pow10[scale-frac]
	if neg {
		x = -x
	}
	return x, true
}

// parseDate reads YYYY-MM-DD (year 0001 to 9999) as days since 1970-01-01.
func parseDate(b []byte) (int64, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return daysFromCivil(y, m, d), true
}

func digits(b []byte) (int, bool) {
	x := 0
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		x = x*10 + int(d)
	}
	return x, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is types.DaysFromCivil without time.Date (Hinnant's algorithm, proleptic
// Gregorian calendar).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y >= 0 here
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}
