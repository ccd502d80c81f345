package types

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// UnknownTimeZoneError is a time zone name LoadTimeZone does not know (MySQL's error 1298).
type UnknownTimeZoneError struct{ Name string }

func (e *UnknownTimeZoneError) Error() string {
	return fmt.Sprintf("Unknown or incorrect time zone: '%s'", e.Name)
}

// LoadTimeZone resolves a session time zone as Doris accepts it: an IANA name
// ("Asia/Shanghai", "America/New_York"), "UTC" or "GMT", an offset from UTC ("+08:00", "-05:30",
// "+8:00"), or "CST", which Doris reads as Asia/Shanghai. Names are case-insensitive for the
// abbreviations only, as IANA names are case-sensitive.
func LoadTimeZone(name string) (*time.Location, error) {
	n := strings.TrimSpace(name)
	switch strings.ToUpper(n) {
	case "UTC", "GMT", "Z":
		return time.UTC, nil
	case "CST":
		n = "Asia/Shanghai"
	}
	if n != "" && (n[0] == '+' || n[0] == '-') {
		if loc, ok := fixedOffset(n); ok {
			return loc, nil
		}
		return nil, &UnknownTimeZoneError{Name: name}
	}
	if n == "" || strings.EqualFold(n, "local") {
		return nil, &UnknownTimeZoneError{Name: name}
	}
	loc, err := time.LoadLocation(n)
	if err != nil {
		return nil, &UnknownTimeZoneError{Name: name}
	}
	return loc, nil
}

// fixedOffset parses ±h:mm or ±hh:mm within MySQL's range -12:59 .. +14:00.
func fixedOffset(s string) (*time.Location, bool) {
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	hh, mm, ok := strings.Cut(s[1:], ":")
	if !ok || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 {
		return nil, false
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 {
		return nil, false
	}
	secs := sign * (h*3600 + m*60)
	if secs > 14*3600 || secs < -(12*3600+59*60) {
		return nil, false
	}
	return time.FixedZone(s, secs), true
}
