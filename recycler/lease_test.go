package recycler

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/doricdb/doric/metaservice/keys"
)

// TestLeaseFormat pins the lease value byte-exactly (FORMAT.md): "encode" prints the bytes of a
// lease given as key=value lines, "decode" prints the lease of hex bytes.
func TestLeaseFormat(t *testing.T) {
	datadriven.RunTest(t, "testdata/lease", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "encode":
			l := &Lease{}
			for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
				k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
				n, _ := strconv.ParseInt(v, 10, 64)
				switch k {
				case "instance":
					l.InstanceID = v
				case "owner":
					l.Owner = v
				case "start":
					l.StartMs = n
				case "expiration":
					l.ExpirationMs = n
				case "finish":
					l.LastFinishMs = n
				case "busy":
					l.Busy = v == "true"
				case "success":
					l.LastSuccessMs = n
				default:
					d.Fatalf(t, "unknown field %q", k)
				}
			}
			b := l.Marshal()
			back, err := UnmarshalLease(b)
			if err != nil || *back != *l {
				d.Fatalf(t, "round trip: %+v %v, want %+v", back, err, l)
			}
			return hexLines(b)
		case "decode":
			b, err := hex.DecodeString(strings.Join(strings.Fields(d.Input), ""))
			if err != nil {
				d.Fatalf(t, "bad hex: %v", err)
			}
			l, err := UnmarshalLease(b)
			if err != nil {
				return "error: " + err.Error()
			}
			return fmt.Sprintf("%+v", *l)
		}
		d.Fatalf(t, "unknown command %s", d.Cmd)
		return ""
	})
}

func hexLines(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); i += 16 {
		sb.WriteString(hex.EncodeToString(b[i:min(i+16, len(b))]))
		sb.WriteByte('\n')
	}
	return sb.String()
}

// FuzzLease: decoding never panics, and what decodes re-encodes to a value that decodes the same.
func FuzzLease(f *testing.F) {
	f.Add((&Lease{InstanceID: "i", Owner: "o", StartMs: 1, ExpirationMs: 2, Busy: true}).Marshal())
	f.Add([]byte{0x08, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := UnmarshalLease(b)
		if err != nil {
			return
		}
		again, err := UnmarshalLease(l.Marshal())
		if err != nil || *again != *l {
			t.Fatalf("re-encoded lease %+v %v, want %+v", again, err, l)
		}
	})
}

// TestInstanceRanges: the instance-wide ranges hold every key of their family, extreme ids
// included, and no key of a neighbouring family or instance.
func TestInstanceRanges(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ids := []int64{math.MinInt64, -1, 0, 1, math.MaxInt64 - 1, math.MaxInt64}
	for range 20 {
		ids = append(ids, r.Int64())
	}
	pick := func() int64 { return ids[r.IntN(len(ids))] }
	type family struct {
		name string
		rng  func(string) ([]byte, []byte)
		make func(string) []byte
	}
	neighbours := []func(string) []byte{
		// The first four are the families below, in their order.
		func(i string) []byte { return keys.Rowset(i, pick(), pick()) },
		func(i string) []byte { return keys.RowsetTmp(i, pick(), pick()) },
		func(i string) []byte { return keys.TxnRunning(i, pick(), pick()) },
		func(i string) []byte { return keys.Tablet(i, pick(), pick(), pick(), pick()) },
		func(i string) []byte { return keys.TxnLabel(i, pick(), "label") },
		func(i string) []byte { return keys.TabletIndex(i, pick()) },
		func(i string) []byte { return keys.Schema(i, pick(), pick()) },
		func(i string) []byte { return keys.Instance(i) },
	}
	fams := []family{
		{"rowset", allRowsets, func(i string) []byte { return keys.Rowset(i, pick(), pick()) }},
		{"rowset_tmp", allTmpRowsets, func(i string) []byte { return keys.RowsetTmp(i, pick(), pick()) }},
		{"txn_running", allRunningTxns, func(i string) []byte { return keys.TxnRunning(i, pick(), pick()) }},
		{"tablet", allTablets, func(i string) []byte { return keys.Tablet(i, pick(), pick(), pick(), pick()) }},
	}
	in := func(k, b, e []byte) bool { return bytes.Compare(k, b) >= 0 && bytes.Compare(k, e) < 0 }
	for fi, f := range fams {
		b, e := f.rng("i1")
		for range 500 {
			if k := f.make("i1"); !in(k, b, e) {
				t.Fatalf("%s: key %s outside its instance range", f.name, keys.Pretty(k))
			}
			for _, inst := range []string{"i", "i0", "i1\x00", "i2"} {
				if k := f.make(inst); in(k, b, e) {
					t.Fatalf("%s: key %s of instance %q inside the range of i1", f.name, keys.Pretty(k), inst)
				}
			}
			for ni, n := range neighbours {
				if ni == fi {
					continue
				}
				if k := n("i1"); in(k, b, e) {
					t.Fatalf("%s: key %s of another family inside the range", f.name, keys.Pretty(k))
				}
			}
		}
	}
}

func TestParseDataPath(t *testing.T) {
	for _, c := range []struct {
		path   string
		tablet int64
		rowset string
		ok     bool
	}{
		{"data/7/0200abc_0.dat", 7, "0200abc", true},
		{"data/7/0200abc_12.idx", 7, "0200abc", true},
		{"data/7/0200abc_0_3.idx", 7, "0200abc", true},
		{"data/x/0200abc_0.dat", 0, "", false},
		{"data/7/noseg.dat", 0, "", false},
		{"data/7/_0.dat", 0, "", false},
		{"other/7/r_0.dat", 0, "", false},
		{"data/7", 0, "", false},
	} {
		tb, rs, ok := parseDataPath(c.path)
		if tb != c.tablet || rs != c.rowset || ok != c.ok {
			t.Errorf("parseDataPath(%q) = %d, %q, %v; want %d, %q, %v", c.path, tb, rs, ok, c.tablet, c.rowset, c.ok)
		}
	}
}
