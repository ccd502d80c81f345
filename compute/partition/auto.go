package partition

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/doricdb/doric/compute/types"
)

// MaxBatchPartitions is how many partitions one FROM .. TO .. INTERVAL clause may expand to
// (Doris's max_multi_partition_num).
const MaxBatchPartitions = 4096

// batchPrefix starts the names of the partitions a FROM .. TO .. INTERVAL clause expands to
// (Doris's multi_partition_name_prefix).
const batchPrefix = "p_"

// Batch is a FROM (From) TO (To) INTERVAL Interval [Unit] clause; Unit is upper-case, empty for
// a numeric interval.
type Batch struct {
	From, To string
	Interval int64
	Unit     string
}

// Named is one partition a Batch expands to: its name and bounds [Lower, Upper), as text.
type Named struct {
	Name         string
	Lower, Upper string
}

// ExpandBatch expands a FROM .. TO .. INTERVAL clause over a partition column of type t into the
// partitions Doris creates for it, with Doris's names: p_20240101 (DAY), p_2024_01 (WEEK, ISO
// weeks starting Monday), p_202401 (MONTH), p_2024 (YEAR), p_2024010100 (HOUR), p_1_11 (numbers).
func ExpandBatch(t types.T, b Batch) ([]Named, error) {
	if b.Interval <= 0 {
		return nil, errorf("Multi partition time interval must be larger than zero.")
	}
	if b.Unit == "" {
		return expandNumbers(b)
	}
	switch b.Unit {
	case "HOUR", "DAY", "WEEK", "MONTH", "YEAR":
	case "SECOND", "MINUTE", "QUARTER":
		return nil, errorf("Multi build partition does not support time interval type: %s", b.Unit)
	default:
		return nil, errorf("Multi build partition got an unknown time interval type: %s", b.Unit)
	}
	if !t.IsTemporal() {
		return nil, errorf("Multi build partition with a time interval needs a DATE or DATETIME partition column, not %s", TypeName(t))
	}
	start, okS := batchTime(b.Unit, b.From)
	end, okE := batchTime(b.Unit, b.To)
	if !okS || !okE {
		return nil, errorf("Multi build partition start or end time style is illegal.")
	}
	if !start.Before(end) {
		return nil, errorf("Multi build partition start time should less than end time.")
	}
	layout := func(orig string) string {
		if b.Unit == "HOUR" || len(orig) == 19 || len(orig) >= 21 && len(orig) <= 26 {
			return "2006-01-02 15:04:05"
		}
		return "2006-01-02"
	}
	n := int(b.Interval)
	var out []Named
	for start.Before(end) {
		lower := start.Format(layout(b.From))
		var name string
		switch b.Unit {
		case "HOUR":
			name = batchPrefix + start.Format("2006010215")
			start = start.Add(time.Duration(n) * time.Hour)
		case "DAY":
			name = batchPrefix + start.Format("20060102")
			start = start.AddDate(0, 0, n)
		case "WEEK":
			name = fmt.Sprintf("%s%s_%02d", batchPrefix, start.Format("2006"), weekOfYear(start))
			start = start.AddDate(0, 0, -(int(start.Weekday())+6)%7) // Monday of its week
			start = start.AddDate(0, 0, 7*n)
		case "MONTH":
			name = batchPrefix + start.Format("200601")
			start = time.Date(start.Year(), start.Month(), 1, start.Hour(), start.Minute(), start.Second(), 0, time.UTC).AddDate(0, n, 0)
		case "YEAR":
			name = batchPrefix + start.Format("2006")
			start = time.Date(start.Year(), 1, 1, start.Hour(), start.Minute(), start.Second(), 0, time.UTC).AddDate(n, 0, 0)
		}
		if b.Unit != "DAY" && start.After(end) {
			start = end
		}
		out = append(out, Named{Name: name, Lower: lower, Upper: start.Format(layout(b.To))})
		if len(out) > MaxBatchPartitions {
			return nil, errorf("The number of Multi partitions too much, should not exceed:%d", MaxBatchPartitions)
		}
	}
	return out, nil
}

func expandNumbers(b Batch) ([]Named, error) {
	begin, err1 := strconv.ParseInt(strings.TrimSpace(b.From), 10, 64)
	end, err2 := strconv.ParseInt(strings.TrimSpace(b.To), 10, 64)
	if err1 != nil || err2 != nil {
		return nil, errorf("Batch build partition INTERVAL is number type but From or TO does not type match.")
	}
	if begin >= end {
		return nil, errorf("Multi build partition start number should less than end number.")
	}
	var out []Named
	for begin < end {
		next := end
		if begin <= end-b.Interval {
			next = begin + b.Interval
		}
		out = append(out, Named{Name: fmt.Sprintf("%s%d_%d", batchPrefix, begin, next),
			Lower: strconv.FormatInt(begin, 10), Upper: strconv.FormatInt(next, 10)})
		if len(out) > MaxBatchPartitions {
			return nil, errorf("The number of Multi partitions too much, should not exceed:%d", MaxBatchPartitions)
		}
		begin = next
	}
	return out, nil
}

// batchTime parses a FROM/TO value in the formats Doris accepts for the unit.
func batchTime(unit, s string) (time.Time, bool) {
	var layouts []string
	switch unit {
	case "HOUR":
		layouts = []string{"2006010215", "2006-01-02 15"}
	case "DAY", "WEEK":
		layouts = []string{"20060102", "2006-01-02"}
	case "MONTH":
		layouts = []string{"200601", "2006-01", "2006-01-02"}
	case "YEAR":
		layouts = []string{"2006", "20060102", "2006-01-02"}
	}
	for _, l := range layouts {
		if len(l) == len(s) {
			if t, err := time.Parse(l, s); err == nil {
				return t, true
			}
		}
	}
	if len(s) == 19 || len(s) >= 21 && len(s) <= 26 {
		if t, err := time.Parse("2006-01-02 15:04:05.999999", s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// weekOfYear is Java's WeekFields.of(MONDAY, 1).weekOfYear(): week 1 is the week (Monday to
// Sunday) holding January 1st.
func weekOfYear(t time.Time) int {
	jan1 := time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	offset := (int(jan1.Weekday()) + 6) % 7 // days from Monday to January 1st
	return (t.YearDay()-1+offset)/7 + 1
}

// AutoUnits are the units AUTO PARTITION BY RANGE(date_trunc(col, unit)) accepts.
var AutoUnits = []string{"year", "quarter", "month", "week", "day", "hour", "minute", "second"}

// CheckAutoUnit checks a date_trunc unit for a partition column of type t.
func CheckAutoUnit(t types.T, unit string) error {
	for i, u := range AutoUnits {
		if u == unit {
			if t.Kind == types.Date && i > 4 {
				return errorf("date_trunc unit '%s' needs a DATETIME partition column; the column is DATE", unit)
			}
			return nil
		}
	}
	return errorf("date_trunc unit '%s' is not supported; use one of %s", unit, strings.Join(AutoUnits, ", "))
}

// AutoRange returns the partition AUTO PARTITION BY RANGE(date_trunc(col, unit)) creates for
// the value v of a column of type t, with Doris's name: p + the truncated value as
// YYYYMMDDHHMMSS (p20240101000000). Its upper bound is MAXVALUE when the next unit is past
// 9999-12-31.
func AutoRange(t types.T, unit string, v Value) (string, *Bounds, error) {
	if v.Null {
		return "", nil, errorf("Can't create partition for NULL Range")
	}
	d, err := decode(t, v)
	if err != nil {
		return "", nil, err
	}
	var at time.Time
	if t.Kind == types.Date {
		at = time.Unix(d.i*86400, 0).UTC()
	} else {
		at = time.UnixMicro(d.i).UTC()
	}
	y, mo, day := at.Date()
	h, mi, s := at.Clock()
	var begin, end time.Time
	switch unit {
	case "year":
		begin = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		end = begin.AddDate(1, 0, 0)
	case "quarter":
		begin = time.Date(y, (mo-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
		end = begin.AddDate(0, 3, 0)
	case "month":
		begin = time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC)
		end = begin.AddDate(0, 1, 0)
	case "week":
		begin = time.Date(y, mo, day, 0, 0, 0, 0, time.UTC)
		begin = begin.AddDate(0, 0, -(int(begin.Weekday())+6)%7)
		end = begin.AddDate(0, 0, 7)
	case "day":
		begin = time.Date(y, mo, day, 0, 0, 0, 0, time.UTC)
		end = begin.AddDate(0, 0, 1)
	case "hour":
		begin = time.Date(y, mo, day, h, 0, 0, 0, time.UTC)
		end = begin.Add(time.Hour)
	case "minute":
		begin = time.Date(y, mo, day, h, mi, 0, 0, time.UTC)
		end = begin.Add(time.Minute)
	case "second":
		begin = time.Date(y, mo, day, h, mi, s, 0, time.UTC)
		end = begin.Add(time.Second)
	default:
		return "", nil, CheckAutoUnit(t, unit)
	}
	name := "p" + begin.Format("20060102150405")
	text := func(x time.Time) string {
		if t.Kind == types.Date {
			return x.Format("2006-01-02")
		}
		return format(t, datum{i: x.UnixMicro()})
	}
	b := &Bounds{Lower: Key{{Text: text(begin)}}, Upper: Key{{Text: text(end)}}}
	if end.Year() > 9999 {
		b.Upper = Key{{Max: true}}
	}
	return name, b, nil
}

// maxAutoListName is how long an AUTO LIST partition name may get before it is shortened
// (Doris's MAX_PARTITION_NAME_LENGTH).
const maxAutoListName = 50

// AutoList returns the partition AUTO PARTITION BY LIST creates for the key k, with Doris's
// name: p followed by each value and its length (X for NULL), characters other than ASCII
// letters and digits written as hexadecimal code points (a leading '-' also gives '_'): 'abc'
// → pabc3, -5 → p_2d52. With a string partition column a name longer than 50 characters is cut
// to 50 and suffixed with _ and the hexadecimal Java hash of the whole name.
func (s Spec) AutoList(k Key) (string, *Bounds) {
	var filter strings.Builder
	hasString := false
	for i, v := range k {
		if s.Types[i].IsString() {
			hasString = true
		}
		if v.Null {
			filter.WriteString("X")
			continue
		}
		filter.WriteString(v.Text)
		filter.WriteString(strconv.Itoa(len(utf16.Encode([]rune(v.Text)))))
	}
	name := "p" + escapeName(filter.String())
	if hasString {
		if u := utf16.Encode([]rune(name)); len(u) > maxAutoListName {
			name = string(utf16.Decode(u[:maxAutoListName])) + "_" + strconv.FormatUint(uint64(uint32(javaHash(u))), 16)
		}
	}
	return name, &Bounds{In: []Key{append(Key(nil), k...)}}
}

// escapeName is Doris's getFormatPartitionValue, over UTF-16 code units as Java's.
func escapeName(v string) string {
	u := utf16.Encode([]rune(v))
	var b strings.Builder
	if len(u) > 0 && u[0] == '-' {
		b.WriteString("_")
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(byte(c))
		default:
			cp := rune(c)
			if utf16.IsSurrogate(cp) && i+1 < len(u) {
				if r := utf16.DecodeRune(cp, rune(u[i+1])); r != '\uFFFD' {
					cp = r
				}
			}
			b.WriteString(strconv.FormatInt(int64(cp), 16))
		}
	}
	return b.String()
}

// javaHash is Java's String.hashCode over UTF-16 code units.
func javaHash(u []uint16) int32 {
	var h int32
	for _, c := range u {
		h = 31*h + int32(c)
	}
	return h
}
