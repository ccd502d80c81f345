package load_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/load"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// TestDistributionHashFixture pins the placement hash (package doc, "Data placement"): data
// already placed depends on these values never changing. Each input line is one row of
// "type:value" fields (value NULL for NULL); the output is the CRC32C hash in hex.
func TestDistributionHashFixture(t *testing.T) {
	datadriven.RunTest(t, "testdata/hash", func(t *testing.T, d *datadriven.TestData) string {
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
			var cols []*vector.Vector
			for _, f := range strings.Split(line, " ") {
				ts, val, _ := strings.Cut(f, ":")
				ty := parseType(t, ts)
				text := vector.New(types.New(types.String), 1)
				if val == "NULL" {
					text.SetNull(0)
				} else {
					text.Bytes[0] = []byte(strings.ReplaceAll(val, "_", " "))
				}
				v := expr.Cast(text, []int32{0}, ty)
				if v.IsNull(0) != (val == "NULL") {
					t.Fatalf("bad value %q", f)
				}
				cols = append(cols, v)
			}
			h := make([]uint32, 1)
			load.DistributionHash(cols, []int32{0}, h)
			out = append(out, fmt.Sprintf("%s -> %08x", line, h[0]))
		}
		return strings.Join(out, "\n") + "\n"
	})
}

func parseType(t *testing.T, s string) types.T {
	switch s {
	case "int":
		return types.New(types.Int)
	case "bigint":
		return types.New(types.BigInt)
	case "tinyint":
		return types.New(types.TinyInt)
	case "largeint":
		return types.New(types.LargeInt)
	case "double":
		return types.New(types.Double)
	case "dec9_2":
		return types.DecimalOf(9, 2)
	case "dec30_2":
		return types.DecimalOf(30, 2)
	case "date":
		return types.New(types.Date)
	case "datetime":
		return types.DateTimeOf(0)
	case "varchar":
		return types.VarcharOf(20)
	case "char":
		return types.CharOf(10)
	}
	t.Fatalf("unknown type %q", s)
	return types.T{}
}
