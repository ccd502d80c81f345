package types_test

import (
	"errors"
	"testing"
	"time"

	"github.com/doricdb/doric/compute/types"
)

func TestLoadTimeZone(t *testing.T) {
	const bad = 1                                      // no zone is 1 s east of UTC
	at := time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC) // summer: New York is -4
	for _, tc := range []struct {
		name   string
		offset int // seconds east of UTC at `at`; bad: an error
	}{
		{"UTC", 0}, {"utc", 0}, {"GMT", 0},
		{"Asia/Shanghai", 8 * 3600}, {"CST", 8 * 3600}, {"America/New_York", -4 * 3600},
		{"+08:00", 8 * 3600}, {"+8:00", 8 * 3600}, {"-05:30", -(5*3600 + 30*60)}, {"+14:00", 14 * 3600},
		{"+14:01", bad}, {"-13:00", bad}, {"+08", bad}, {"+08:0", bad}, {"+ab:00", bad},
		{"Mars/Olympus", bad}, {"", bad}, {"Local", bad},
	} {
		loc, err := types.LoadTimeZone(tc.name)
		if tc.offset == bad {
			var ue *types.UnknownTimeZoneError
			if !errors.As(err, &ue) || ue.Name != tc.name {
				t.Errorf("%q: %v, want an UnknownTimeZoneError", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.name, err)
			continue
		}
		if _, off := at.In(loc).Zone(); off != tc.offset {
			t.Errorf("%q: offset %d, want %d", tc.name, off, tc.offset)
		}
	}
}
