package types

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Pow10 returns 10^n as an Int128 for 0 <= n <= 38.
func Pow10(n int32) Int128 {
	v := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	r, _ := Int128FromBig(v)
	return r
}

// MaxUnscaled is the largest unscaled value of a DECIMAL of precision p: 10^p - 1.
func MaxUnscaled(p int32) Int128 { return Pow10(p).Sub(I128(1)) }

// ParseDecimal parses a decimal literal ("-12.345", "1e3", "  7 ") into the unscaled value of
// DECIMAL(p,s). Extra fractional digits are rounded half away from zero, as Doris does; a value
// whose integer part does not fit in p-s digits is an error.
func ParseDecimal(text string, p, s int32) (Int128, error) {
	str := strings.TrimSpace(text)
	r, ok := new(big.Rat).SetString(str)
	if !ok || str == "" {
		return Int128{}, fmt.Errorf("invalid decimal value %q", text)
	}
	return DecimalFromRat(r, p, s, text)
}

// DecimalFromRat rounds r to scale s (half away from zero) and checks it fits DECIMAL(p,s).
func DecimalFromRat(r *big.Rat, p, s int32, orig string) (Int128, error) {
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(Pow10(s).Big()))
	num, den := scaled.Num(), scaled.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Sign() != 0 {
		twice := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
		if twice.Cmp(den) >= 0 {
			if num.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	v, ok := Int128FromBig(q)
	max := MaxUnscaled(p)
	if !ok || v.Cmp(max) > 0 || v.Cmp(max.Neg()) < 0 {
		return Int128{}, fmt.Errorf("value %s out of range for DECIMAL(%d,%d)", orig, p, s)
	}
	return v, nil
}

// FormatDecimal renders an unscaled value with exactly s fractional digits.
func FormatDecimal(v Int128, s int32) string {
	digits := v.String()
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	if s > 0 {
		if int32(len(digits)) <= s {
			digits = strings.Repeat("0", int(s)-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-int(s)] + "." + digits[len(digits)-int(s):]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

const (
	microsPerSecond = int64(1_000_000)
	secondsPerDay   = int64(86400)
	// Doris's DATE range: 0000-01-01 .. 9999-12-31.
	minYear = 0
	maxYear = 9999
)

// ParseDate parses YYYY-MM-DD (also YYYYMMDD, and a DATETIME string whose time part is dropped).
func ParseDate(text string) (int64, error) {
	s := strings.TrimSpace(text)
	if len(s) > 10 {
		us, err := ParseDateTime(s)
		if err != nil {
			return 0, fmt.Errorf("invalid date value %q", text)
		}
		return floorDiv(us, microsPerSecond*secondsPerDay), nil
	}
	var y, m, d int
	var err error
	switch {
	case len(s) == 8 && !strings.ContainsAny(s, "-/"):
		y, err = atoiN(s[0:4])
		if err == nil {
			m, err = atoiN(s[4:6])
		}
		if err == nil {
			d, err = atoiN(s[6:8])
		}
	default:
		parts := strings.Split(s, "-")
		if len(parts) != 3 {
			return 0, fmt.Errorf("invalid date value %q", text)
		}
		y, err = atoiN(parts[0])
		if err == nil {
			m, err = atoiN(parts[1])
		}
		if err == nil {
			d, err = atoiN(parts[2])
		}
	}
	if err != nil || !validDate(y, m, d) {
		return 0, fmt.Errorf("invalid date value %q", text)
	}
	return DaysFromCivil(y, m, d), nil
}

// ParseDateTime parses 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]' (also with a 'T' separator).
func ParseDateTime(text string) (int64, error) {
	s := strings.TrimSpace(text)
	datePart, timePart := s, ""
	if i := strings.IndexAny(s, " T"); i >= 0 {
		datePart, timePart = s[:i], strings.TrimSpace(s[i+1:])
	}
	if len(datePart) > 10 { // checked first: ParseDate hands long text back to ParseDateTime
		return 0, fmt.Errorf("invalid datetime value %q", text)
	}
	days, err := ParseDate(datePart)
	if err != nil {
		return 0, fmt.Errorf("invalid datetime value %q", text)
	}
	var hh, mm, ss, frac int64
	if timePart != "" {
		main, fracText, hasFrac := strings.Cut(timePart, ".")
		parts := strings.Split(main, ":")
		if len(parts) < 1 || len(parts) > 3 {
			return 0, fmt.Errorf("invalid datetime value %q", text)
		}
		vals := [3]int64{}
		for i, p := range parts {
			n, err := atoiN(p)
			if err != nil {
				return 0, fmt.Errorf("invalid datetime value %q", text)
			}
			vals[i] = int64(n)
		}
		hh, mm, ss = vals[0], vals[1], vals[2]
		if hh > 23 || mm > 59 || ss > 59 {
			return 0, fmt.Errorf("invalid datetime value %q", text)
		}
		if hasFrac {
			if len(fracText) == 0 || len(fracText) > 6 {
				return 0, fmt.Errorf("invalid datetime value %q", text)
			}
			n, err := atoiN(fracText)
			if err != nil {
				return 0, fmt.Errorf("invalid datetime value %q", text)
			}
			frac = int64(n)
			for i := len(fracText); i < 6; i++ {
				frac *= 10
			}
		}
	}
	return days*secondsPerDay*microsPerSecond + (hh*3600+mm*60+ss)*microsPerSecond + frac, nil
}

// FormatDate renders days since the epoch as YYYY-MM-DD.
func FormatDate(days int64) string {
	y, m, d := CivilFromDays(days)
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

// FormatDateTime renders microseconds since the epoch as 'YYYY-MM-DD HH:MM:SS[.f]' with scale
// fractional digits.
func FormatDateTime(us int64, scale int32) string {
	days := floorDiv(us, microsPerSecond*secondsPerDay)
	rem := us - days*microsPerSecond*secondsPerDay
	secs, micros := rem/microsPerSecond, rem%microsPerSecond
	out := fmt.Sprintf("%s %02d:%02d:%02d", FormatDate(days), secs/3600, secs/60%60, secs%60)
	if scale > 0 {
		f := fmt.Sprintf("%06d", micros)
		out += "." + f[:scale]
	}
	return out
}

// DaysFromCivil converts a proleptic Gregorian date to days since 1970-01-01.
func DaysFromCivil(y, m, d int) int64 {
	return int64(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay)
}

// CivilFromDays converts days since 1970-01-01 to year, month, day.
func CivilFromDays(days int64) (y, m, d int) {
	t := time.Unix(days*secondsPerDay, 0).UTC()
	return t.Year(), int(t.Month()), t.Day()
}

func validDate(y, m, d int) bool {
	if y < minYear || y > maxYear || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func atoiN(s string) (int, error) {
	if s == "" {
		return 0, strconv.ErrSyntax
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.Atoi(s)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
