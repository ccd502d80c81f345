package expr

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Date and time functions. DATE values are days since 1970-01-01, DATETIME values microseconds
// since 1970-01-01 00:00:00 (wall-clock time: no time zone is applied except by now(),
// unix_timestamp and from_unixtime, which use the Env's). A result outside Doris's range
// 0000-01-01 .. 9999-12-31 23:59:59.999999 is NULL.

var (
	minDays = daysFromCivil(0, 1, 1)
	maxDays = daysFromCivil(9999, 12, 31)
)

// civil is a broken-down DATETIME.
type civil struct {
	days                int64
	y, m, d, hh, mi, ss int64
	us                  int64
}

func civilOf(t types.T, x int64) civil {
	var c civil
	if t.Kind == types.DateTime {
		c.days = floorDiv(x, microsPerDay)
		rem := x - c.days*microsPerDay
		secs := rem / microsPerSecond
		c.us = rem % microsPerSecond
		c.hh, c.mi, c.ss = secs/3600, secs/60%60, secs%60
	} else {
		c.days = x
	}
	c.y, c.m, c.d = civilFromDays(c.days)
	return c
}

func (c civil) micros() int64 {
	return c.days*microsPerDay + (c.hh*3600+c.mi*60+c.ss)*microsPerSecond + c.us
}

// dow0 is the weekday of a day count, 0 = Sunday (1970-01-01 was a Thursday).
func dow0(days int64) int64 { return ((days % 7) + 7 + 4) % 7 }

func dayOfYear(days, y int64) int64 { return days - daysFromCivil(y, 1, 1) + 1 }

// isoWeek is the ISO 8601 week number (WEEKOFYEAR, week mode 3).
func isoWeek(days int64) int64 {
	wd := (dow0(days)+6)%7 + 1 // Monday 1 .. Sunday 7
	thu := days - (wd - 1) + 3
	ty, _, _ := civilFromDays(thu)
	return (thu-daysFromCivil(ty, 1, 1))/7 + 1
}

// week0 is WEEK(d) in mode 0: weeks start on Sunday; days before the year's first Sunday are in
// week 0.
func week0(days, y int64) int64 {
	jan1 := daysFromCivil(y, 1, 1)
	first := jan1 + (7-dow0(jan1))%7
	if days < first {
		return 0
	}
	return (days-first)/7 + 1
}

// daysOf returns the day numbers of a DATE or DATETIME vector's rows (in place when DATE).
func daysOf(v *vector.Vector) func(i int32) int64 {
	if v.Type.Kind == types.DateTime {
		x := v.Int64
		return func(i int32) int64 { return floorDiv(x[i], microsPerDay) }
	}
	x := v.Int64
	return func(i int32) int64 { return x[i] }
}

func compileDateFn(name string, t types.T, args []node, env *Env) (node, bool, error) {
	switch name {
	case "year", "month", "day", "quarter", "dayofweek", "dayofyear", "weekofyear", "week",
		"hour", "minute", "second":
		if err := arityErr(name, args, 1, 1); err != nil {
			return nil, true, err
		}
		n, err := newDatePart(name, t, args[0])
		return n, true, err
	case "to_date", "last_day", "dayname", "monthname":
		if err := arityErr(name, args, 1, 1); err != nil {
			return nil, true, err
		}
		if err := checkArgs(name, args, isTemporal); err != nil {
			return nil, true, err
		}
		return &fn{t: t, args: args, k: dateUnary(name)}, true, nil
	case "datediff":
		if err := arityErr(name, args, 2, 2); err != nil {
			return nil, true, err
		}
		if err := checkArgs(name, args, isTemporal); err != nil {
			return nil, true, err
		}
		return &fn{t: t, args: args, k: func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
			a, b := daysOf(in[0]), daysOf(in[1])
			for _, i := range rows {
				out.Int64[i] = a(i) - b(i)
			}
			return nil
		}}, true, nil
	case "date_trunc":
		if err := arityErr(name, args, 2, 2); err != nil {
			return nil, true, err
		}
		n, err := newDateTrunc(t, args)
		return n, true, err
	case "date_format":
		if err := arityErr(name, args, 2, 2); err != nil {
			return nil, true, err
		}
		if err := checkArgs(name, args, isTemporal, isStr); err != nil {
			return nil, true, err
		}
		return &fn{t: t, args: args, k: func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
			var arena []byte
			for _, i := range rows {
				if out.IsNull(int(i)) {
					continue
				}
				start := len(arena)
				arena = formatDate(arena, civilOf(in[0].Type, in[0].Int64[i]), in[1].Bytes[i])
				out.Bytes[i] = arena[start:len(arena):len(arena)]
			}
			return nil
		}}, true, nil
	case "str_to_date":
		if err := arityErr(name, args, 2, 2); err != nil {
			return nil, true, err
		}
		if err := checkArgs(name, args, isStr); err != nil {
			return nil, true, err
		}
		if !t.IsTemporal() {
			return nil, true, badPlan("str_to_date: result type %s", t)
		}
		return &fn{t: t, args: args, k: func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
			for _, i := range rows {
				if out.IsNull(int(i)) {
					continue
				}
				c, ok := parseWithFormat(in[0].Bytes[i], in[1].Bytes[i])
				if !ok {
					out.SetNull(int(i))
					continue
				}
				if t.Kind == types.Date {
					out.Int64[i] = c.days
				} else {
					out.Int64[i] = roundMicros(c.micros(), t.Scale)
				}
			}
			return nil
		}}, true, nil
	case "now", "current_date":
		if err := arityErr(name, args, 0, 1); err != nil {
			return nil, true, err
		}
		wall := env.Now.In(env.loc())
		y, mo, d := wall.Date()
		days := daysFromCivil(int64(y), int64(mo), int64(d))
		lit := &literal{t: t, i64: days}
		if t.Kind == types.DateTime {
			us := days*microsPerDay + int64(wall.Hour()*3600+wall.Minute()*60+wall.Second())*microsPerSecond +
				int64(wall.Nanosecond()/1000)
			unit := pow10i64[6-t.Scale]
			lit.i64 = floorDiv(us, unit) * unit
		} else if t.Kind != types.Date {
			return nil, true, badPlan("%s: result type %s", name, t)
		}
		return lit, true, nil
	case "unix_timestamp":
		n, err := newUnixTimestamp(t, args, env)
		return n, true, err
	case "from_unixtime":
		if err := arityErr(name, args, 1, 2); err != nil {
			return nil, true, err
		}
		if err := checkArgs(name, args, isInt, isStr); err != nil {
			return nil, true, err
		}
		loc := env.loc()
		defaultFmt := []byte("%Y-%m-%d %H:%i:%s")
		return &fn{t: t, args: args, k: func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
			var arena []byte
			for _, i := range rows {
				if out.IsNull(int(i)) {
					continue
				}
				secs := in[0].Int64[i]
				if secs < 0 || secs > 32536771199 { // Doris: outside [0, 3001-01-19] is NULL
					out.SetNull(int(i))
					continue
				}
				f := defaultFmt
				if len(in) == 2 {
					f = in[1].Bytes[i]
				}
				w := time.Unix(secs, 0).In(loc)
				y, mo, d := w.Date()
				c := civil{days: daysFromCivil(int64(y), int64(mo), int64(d)), y: int64(y), m: int64(mo), d: int64(d),
					hh: int64(w.Hour()), mi: int64(w.Minute()), ss: int64(w.Second())}
				start := len(arena)
				arena = formatDate(arena, c, f)
				out.Bytes[i] = arena[start:len(arena):len(arena)]
			}
			return nil
		}}, true, nil
	}
	if unit, op, ok := intervalName(name); ok {
		if err := arityErr(name, args, 2, 2); err != nil {
			return nil, true, err
		}
		if op == "diff" {
			if err := checkArgs(name, args, isTemporal); err != nil {
				return nil, true, err
			}
			return &fn{t: t, args: args, k: diffKernel(unit)}, true, nil
		}
		if err := checkArgs(name, args, isTemporal, isInt); err != nil {
			return nil, true, err
		}
		if args[0].typ().Kind != t.Kind && args[0].typ().Kind != types.Null {
			return nil, true, badPlan("%s of %s with result type %s", name, args[0].typ(), t)
		}
		return &fn{t: t, args: args, k: intervalKernel(unit, op == "sub")}, true, nil
	}
	return nil, false, nil
}

// intervalName splits <unit>s_add, <unit>s_sub and <unit>s_diff.
func intervalName(name string) (unit, op string, ok bool) {
	for _, op := range []string{"add", "sub", "diff"} {
		if u, found := strings.CutSuffix(name, "s_"+op); found {
			switch u {
			case "year", "quarter", "month", "week", "day", "hour", "minute", "second":
				return u, op, true
			}
		}
	}
	return "", "", false
}

// addMonths adds n months to a date, clamping the day to the month's length (2024-01-31 + 1
// month = 2024-02-29); ok is false outside the DATE range.
func addMonths(c civil, n int64) (civil, bool) {
	total := c.y*12 + (c.m - 1) + n
	if total < 0 || total > 9999*12+11 {
		return c, false
	}
	c.y, c.m = total/12, total%12+1
	c.d = min(c.d, daysInMonth(c.y, c.m))
	c.days = daysFromCivil(c.y, c.m, c.d)
	return c, true
}

var unitMicros = map[string]int64{"week": 7 * microsPerDay, "day": microsPerDay, "hour": 3600 * microsPerSecond,
	"minute": 60 * microsPerSecond, "second": microsPerSecond}

func intervalKernel(unit string, sub bool) kernel {
	return func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
		v, nv := in[0], in[1]
		isDT := v.Type.Kind == types.DateTime
		per := unitMicros[unit]
		if !isDT { // a DATE plus weeks or days
			per /= microsPerDay
		}
		for _, i := range rows {
			if out.IsNull(int(i)) {
				continue
			}
			n := nv.Int64[i]
			if sub {
				if n == -1<<63 {
					out.SetNull(int(i))
					continue
				}
				n = -n
			}
			var r int64
			ok := true
			switch unit {
			case "year", "quarter", "month":
				months := n
				switch unit {
				case "year":
					months, ok = mulFits(n, 12)
				case "quarter":
					months, ok = mulFits(n, 3)
				}
				var c civil
				if ok {
					c, ok = addMonths(civilOf(v.Type, v.Int64[i]), months)
				}
				if isDT {
					r = c.micros()
				} else {
					r = c.days
				}
			default:
				var d int64
				if d, ok = mulFits(n, per); ok {
					r = v.Int64[i] + d
					ok = (d >= 0) == (r >= v.Int64[i])
				}
			}
			days := r
			if isDT {
				days = floorDiv(r, microsPerDay)
			}
			if !ok || days < minDays || days > maxDays {
				out.SetNull(int(i))
				continue
			}
			out.Int64[i] = r
		}
		return nil
	}
}

func mulFits(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	p := a * b
	return p, p/b == a && !(a == -1 && b == -1<<63)
}

// diffKernel is <unit>s_diff(a, b): the number of whole units from b to a (negative when a < b),
// as Doris's years_diff ... seconds_diff.
func diffKernel(unit string) kernel {
	per := unitMicros[unit]
	return func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
		for _, i := range rows {
			if out.IsNull(int(i)) {
				continue
			}
			a, b := civilOf(in[0].Type, in[0].Int64[i]), civilOf(in[1].Type, in[1].Int64[i])
			ua, ub := a.micros(), b.micros()
			var r int64
			switch unit {
			case "year", "quarter", "month":
				months := (a.y*12 + a.m) - (b.y*12 + b.m)
				// An incomplete last month does not count.
				ra := (a.d*86400+a.hh*3600+a.mi*60+a.ss)*microsPerSecond + a.us
				rb := (b.d*86400+b.hh*3600+b.mi*60+b.ss)*microsPerSecond + b.us
				if months > 0 && ra < rb {
					months--
				} else if months < 0 && ra > rb {
					months++
				}
				r = months
				if unit == "year" {
					r = months / 12
				} else if unit == "quarter" {
					r = months / 3
				}
			default:
				r = (ua - ub) / per
			}
			out.Int64[i] = r
		}
		return nil
	}
}

var (
	dayNames   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December"}
)

func dateUnary(name string) kernel {
	return func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
		v := in[0]
		days := daysOf(v)
		for _, i := range rows {
			if out.IsNull(int(i)) {
				continue
			}
			d := days(i)
			switch name {
			case "to_date":
				out.Int64[i] = d
			case "last_day":
				y, m, _ := civilFromDays(d)
				out.Int64[i] = daysFromCivil(y, m, daysInMonth(y, m))
			case "dayname":
				out.Bytes[i] = []byte(dayNames[dow0(d)])
			case "monthname":
				_, m, _ := civilFromDays(d)
				out.Bytes[i] = []byte(monthNames[m-1])
			}
		}
		return nil
	}
}

// datePart extracts one field of a DATE or DATETIME as an integer.
type datePart struct {
	part string
	t    types.T
	arg  node
}

func newDatePart(name string, t types.T, arg node) (node, error) {
	k := arg.typ().Kind
	if k != types.Date && k != types.DateTime && k != types.Null {
		return nil, badPlan("%s of %s", name, arg.typ())
	}
	if t.Physical() != types.PhysInt64 || !t.IsInteger() {
		return nil, badPlan("%s: result type %s", name, t)
	}
	return &datePart{part: name, t: t, arg: arg}, nil
}

func (n *datePart) typ() types.T { return n.t }

func (n *datePart) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	v, err := n.arg.eval(b, rows)
	if err != nil {
		return nil, err
	}
	out := vector.New(n.t, b.N)
	orNulls(out, b.N, v)
	if v.Type.Kind == types.Null {
		return out, nil
	}
	x, res := v.Int64, out.Int64
	if v.Type.Kind == types.DateTime {
		switch n.part {
		case "hour", "minute", "second":
			div, mod := map[string][2]int64{"hour": {3600 * microsPerSecond, 24}, "minute": {60 * microsPerSecond, 60},
				"second": {microsPerSecond, 60}}[n.part][0], map[string]int64{"hour": 24, "minute": 60, "second": 60}[n.part]
			for _, i := range rows {
				res[i] = floorDiv(x[i], div) % mod
				if res[i] < 0 {
					res[i] += mod
				}
			}
			return out, nil
		}
		days := make([]int64, len(x))
		for _, i := range rows {
			days[i] = floorDiv(x[i], microsPerDay)
		}
		x = days
	} else if n.part == "hour" || n.part == "minute" || n.part == "second" {
		return out, nil // a DATE is at midnight
	}
	switch n.part {
	case "year":
		for _, i := range rows {
			res[i], _, _ = civilFromDays(x[i])
		}
	case "month":
		for _, i := range rows {
			_, res[i], _ = civilFromDays(x[i])
		}
	case "day":
		for _, i := range rows {
			_, _, res[i] = civilFromDays(x[i])
		}
	case "quarter":
		for _, i := range rows {
			_, m, _ := civilFromDays(x[i])
			res[i] = (m + 2) / 3
		}
	case "dayofweek":
		for _, i := range rows {
			res[i] = dow0(x[i]) + 1
		}
	case "dayofyear":
		for _, i := range rows {
			y, _, _ := civilFromDays(x[i])
			res[i] = dayOfYear(x[i], y)
		}
	case "weekofyear":
		for _, i := range rows {
			res[i] = isoWeek(x[i])
		}
	case "week":
		for _, i := range rows {
			y, _, _ := civilFromDays(x[i])
			res[i] = week0(x[i], y)
		}
	}
	return out, nil
}

// ---------------------------------------------------------------- date_trunc

func newDateTrunc(t types.T, args []node) (node, error) {
	if err := checkArgs("date_trunc", args, isTemporal, isStr); err != nil {
		return nil, err
	}
	l, ok := constArg(args[1])
	if !ok {
		return nil, badPlan("date_trunc: the unit must be a constant string")
	}
	unit := strings.ToLower(string(l.b))
	switch unit {
	case "year", "quarter", "month", "week", "day", "hour", "minute", "second":
	default:
		return nil, badPlan("date_trunc: unknown unit %q", unit)
	}
	return &fn{t: t, args: args[:1], k: func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
		v := in[0]
		for _, i := range rows {
			if out.IsNull(int(i)) {
				continue
			}
			c := civilOf(v.Type, v.Int64[i])
			switch unit {
			case "year":
				c.m, c.d = 1, 1
			case "quarter":
				c.m, c.d = (c.m-1)/3*3+1, 1
			case "month":
				c.d = 1
			case "week": // weeks start on Monday
				c.days -= (dow0(c.days) + 6) % 7
				c.y, c.m, c.d = civilFromDays(c.days)
			}
			if unit != "week" {
				c.days = daysFromCivil(c.y, c.m, c.d)
			}
			switch unit {
			case "year", "quarter", "month", "week", "day":
				c.hh, c.mi, c.ss, c.us = 0, 0, 0, 0
			case "hour":
				c.mi, c.ss, c.us = 0, 0, 0
			case "minute":
				c.ss, c.us = 0, 0
			case "second":
				c.us = 0
			}
			if v.Type.Kind == types.DateTime {
				out.Int64[i] = c.micros()
			} else {
				out.Int64[i] = c.days
			}
		}
		return nil
	}}, nil
}

// ---------------------------------------------------------------- date_format, str_to_date

// javaFormats are the Java-style patterns Doris's date_format also accepts.
var javaFormats = map[string]string{
	"yyyyMMdd": "%Y%m%d", "yyyy-MM-dd": "%Y-%m-%d", "yyyy-MM-dd HH:mm:ss": "%Y-%m-%d %H:%i:%s",
}

// formatDate appends c rendered by a MySQL DATE_FORMAT pattern.
func formatDate(dst []byte, c civil, f []byte) []byte {
	if j, ok := javaFormats[string(f)]; ok {
		f = []byte(j)
	}
	for k := 0; k < len(f); k++ {
		if f[k] != '%' || k+1 == len(f) {
			dst = append(dst, f[k])
			continue
		}
		k++
		h12 := (c.hh+11)%12 + 1
		switch f[k] {
		case 'Y':
			dst = appendPadded(dst, c.y, 4)
		case 'y':
			dst = appendPadded(dst, c.y%100, 2)
		case 'm':
			dst = appendPadded(dst, c.m, 2)
		case 'c':
			dst = strconv.AppendInt(dst, c.m, 10)
		case 'd':
			dst = appendPadded(dst, c.d, 2)
		case 'e':
			dst = strconv.AppendInt(dst, c.d, 10)
		case 'D':
			dst = strconv.AppendInt(dst, c.d, 10)
			suffix := "th"
			if c.d/10 != 1 {
				switch c.d % 10 {
				case 1:
					suffix = "st"
				case 2:
					suffix = "nd"
				case 3:
					suffix = "rd"
				}
			}
			dst = append(dst, suffix...)
		case 'H':
			dst = appendPadded(dst, c.hh, 2)
		case 'k':
			dst = strconv.AppendInt(dst, c.hh, 10)
		case 'h', 'I':
			dst = appendPadded(dst, h12, 2)
		case 'l':
			dst = strconv.AppendInt(dst, h12, 10)
		case 'i':
			dst = appendPadded(dst, c.mi, 2)
		case 's', 'S':
			dst = appendPadded(dst, c.ss, 2)
		case 'f':
			dst = appendPadded(dst, c.us, 6)
		case 'p':
			if c.hh < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case 'T':
			dst = appendPadded(dst, c.hh, 2)
			dst = append(dst, ':')
			dst = appendPadded(dst, c.mi, 2)
			dst = append(dst, ':')
			dst = appendPadded(dst, c.ss, 2)
		case 'r':
			dst = appendPadded(dst, h12, 2)
			dst = append(dst, ':')
			dst = appendPadded(dst, c.mi, 2)
			dst = append(dst, ':')
			dst = appendPadded(dst, c.ss, 2)
			if c.hh < 12 {
				dst = append(dst, " AM"...)
			} else {
				dst = append(dst, " PM"...)
			}
		case 'j':
			dst = appendPadded(dst, dayOfYear(c.days, c.y), 3)
		case 'W':
			dst = append(dst, dayNames[dow0(c.days)]...)
		case 'a':
			dst = append(dst, dayNames[dow0(c.days)][:3]...)
		case 'w':
			dst = strconv.AppendInt(dst, dow0(c.days), 10)
		case 'M':
			dst = append(dst, monthNames[c.m-1]...)
		case 'b':
			dst = append(dst, monthNames[c.m-1][:3]...)
		case 'U':
			dst = appendPadded(dst, week0(c.days, c.y), 2)
		case 'v':
			dst = appendPadded(dst, isoWeek(c.days), 2)
		default: // %% and unknown specifiers: the character itself
			dst = append(dst, f[k])
		}
	}
	return dst
}

// parseWithFormat parses s by a STR_TO_DATE pattern; trailing text after the pattern is
// ignored (as MySQL, which warns). ok is false when s does not match or is no valid date.
func parseWithFormat(s, f []byte) (civil, bool) {
	if j, ok := javaFormats[string(f)]; ok {
		f = []byte(j)
	}
	c := civil{m: 1, d: 1}
	pm, hasAMPM, h12 := false, false, false
	p := 0
	num := func(maxDigits int) (int64, bool) {
		st := p
		for p < len(s) && p-st < maxDigits && s[p] >= '0' && s[p] <= '9' {
			p++
		}
		if p == st {
			return 0, false
		}
		n, _ := strconv.ParseInt(string(s[st:p]), 10, 64)
		return n, true
	}
	name := func(list []string, abbrev bool) (int64, bool) {
		for k, nm := range list {
			if abbrev {
				nm = nm[:3]
			}
			if len(s)-p >= len(nm) && bytes.EqualFold(s[p:p+len(nm)], []byte(nm)) {
				p += len(nm)
				return int64(k), true
			}
		}
		return 0, false
	}
	for k := 0; k < len(f); k++ {
		if f[k] != '%' || k+1 == len(f) {
			if f[k] == ' ' {
				for p < len(s) && s[p] == ' ' {
					p++
				}
				continue
			}
			if p >= len(s) || s[p] != f[k] {
				return c, false
			}
			p++
			continue
		}
		k++
		var ok bool
		switch f[k] {
		case 'Y':
			c.y, ok = num(4)
		case 'y':
			c.y, ok = num(2)
			if c.y < 70 {
				c.y += 2000
			} else {
				c.y += 1900
			}
		case 'm', 'c':
			c.m, ok = num(2)
		case 'd', 'e':
			c.d, ok = num(2)
		case 'H', 'k':
			c.hh, ok = num(2)
		case 'h', 'I', 'l':
			c.hh, ok = num(2)
			h12 = true
		case 'j': // day of the year: read, not used
			_, ok = num(3)
		case 'i':
			c.mi, ok = num(2)
		case 's', 'S':
			c.ss, ok = num(2)
		case 'f':
			st := p
			c.us, ok = num(6)
			for d := p - st; d < 6; d++ {
				c.us *= 10
			}
		case 'p':
			hasAMPM, ok = true, true
			switch {
			case len(s)-p >= 2 && bytes.EqualFold(s[p:p+2], []byte("PM")):
				pm = true
			case len(s)-p >= 2 && bytes.EqualFold(s[p:p+2], []byte("AM")):
			default:
				ok = false
			}
			p += 2
		case 'M':
			c.m, ok = name(monthNames, false)
			c.m++
		case 'b':
			c.m, ok = name(monthNames, true)
			c.m++
		case 'W':
			_, ok = name(dayNames, false)
		case 'a':
			_, ok = name(dayNames, true)
		case 'T':
			if c.hh, ok = num(2); ok && p < len(s) && s[p] == ':' {
				p++
				if c.mi, ok = num(2); ok && p < len(s) && s[p] == ':' {
					p++
					c.ss, ok = num(2)
				}
			}
		case '%':
			ok = p < len(s) && s[p] == '%'
			p++
		default:
			ok = p < len(s) && s[p] == f[k]
			p++
		}
		if !ok {
			return c, false
		}
	}
	if hasAMPM && h12 {
		if c.hh < 1 || c.hh > 12 {
			return c, false
		}
		c.hh %= 12
		if pm {
			c.hh += 12
		}
	}
	if !validDate(c.y, c.m, c.d) || c.hh > 23 || c.mi > 59 || c.ss > 59 {
		return c, false
	}
	c.days = daysFromCivil(c.y, c.m, c.d)
	return c, true
}

// ---------------------------------------------------------------- unix_timestamp

// newUnixTimestamp: unix_timestamp() is the query's time; unix_timestamp(d) the seconds from the
// epoch to d read in the session's time zone; unix_timestamp(s, fmt) parses s first. Outside
// [1970-01-01 00:00:00 UTC, 2038-01-19 03:14:07 UTC] the result is 0, as Doris.
func newUnixTimestamp(t types.T, args []node, env *Env) (node, error) {
	if err := arityErr("unix_timestamp", args, 0, 2); err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return &literal{t: t, i64: clampUnix(env.Now.Unix())}, nil
	}
	loc := env.loc()
	toUnix := func(c civil) int64 {
		if loc == time.UTC {
			return clampUnix(floorDiv(c.micros(), microsPerSecond))
		}
		return clampUnix(time.Date(int(c.y), time.Month(c.m), int(c.d), int(c.hh), int(c.mi), int(c.ss), 0, loc).Unix())
	}
	if len(args) == 2 {
		if err := checkArgs("unix_timestamp", args, isStr); err != nil {
			return nil, err
		}
		return &fn{t: t, args: args, k: func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
			for _, i := range rows {
				if out.IsNull(int(i)) {
					continue
				}
				c, ok := parseWithFormat(in[0].Bytes[i], in[1].Bytes[i])
				if !ok {
					out.SetNull(int(i))
					continue
				}
				out.Int64[i] = toUnix(c)
			}
			return nil
		}}, nil
	}
	if err := checkArgs("unix_timestamp", args, isTemporal); err != nil {
		return nil, err
	}
	return &fn{t: t, args: args, k: func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
		for _, i := range rows {
			if !out.IsNull(int(i)) {
				out.Int64[i] = toUnix(civilOf(in[0].Type, in[0].Int64[i]))
			}
		}
		return nil
	}}, nil
}

func clampUnix(s int64) int64 {
	if s < 0 || s > 1<<31-1 {
		return 0
	}
	return s
}
