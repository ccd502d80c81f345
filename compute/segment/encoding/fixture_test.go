package encoding

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/doricdb/doric/compute/types"
)

// TestStreams pins the byte layout of every value stream kind and of blocks (FORMAT.md):
// testdata/streams holds values and the exact bytes they encode to. The checked-in bytes are
// also decoded back, so a change to either side fails. Regenerate with -rewrite only with a new
// format version.
func TestStreams(t *testing.T) {
	datadriven.RunTest(t, "testdata/streams", func(t *testing.T, d *datadriven.TestData) string {
		kind := Kind(255)
		if d.HasArg("kind") {
			var name string
			d.ScanArgs(t, "kind", &name)
			kind = kindNamed(t, name)
		}
		var e Encoder
		var dec Decoder
		var enc []byte
		var err error
		var check func(b []byte) error
		switch d.Cmd {
		case "int64":
			var v []int64
			for _, f := range strings.Fields(d.Input) {
				x, err := strconv.ParseInt(f, 10, 64)
				if err != nil {
					d.Fatalf(t, "%v", err)
				}
				v = append(v, x)
			}
			if kind == 255 {
				enc = e.AppendInt64s(nil, v)
			} else {
				enc, err = e.AppendInt64sAs(nil, v, kind)
			}
			check = func(b []byte) error {
				got := make([]int64, len(v))
				if _, err := dec.Int64s(got, b); err != nil {
					return err
				}
				return equal(got, v)
			}
		case "int128":
			var v []types.Int128
			for _, f := range strings.Fields(d.Input) {
				hi, lo, _ := strings.Cut(f, ":")
				h, err1 := strconv.ParseInt(hi, 10, 64)
				l, err2 := strconv.ParseUint(lo, 10, 64)
				if err1 != nil || err2 != nil {
					d.Fatalf(t, "bad int128 %q (hi:lo)", f)
				}
				v = append(v, types.Int128{Hi: h, Lo: l})
			}
			if kind == 255 {
				enc = e.AppendInt128s(nil, v)
			} else {
				enc, err = e.AppendInt128sAs(nil, v, kind)
			}
			check = func(b []byte) error {
				got := make([]types.Int128, len(v))
				if _, err := dec.Int128s(got, b); err != nil {
					return err
				}
				return equal(got, v)
			}
		case "float":
			var v []float64
			for _, f := range strings.Fields(d.Input) {
				x, err := strconv.ParseFloat(f, 64)
				if err != nil {
					d.Fatalf(t, "%v", err)
				}
				v = append(v, x)
			}
			if kind == 255 {
				enc = e.AppendFloat64s(nil, v)
			} else {
				enc, err = e.AppendFloat64sAs(nil, v, kind)
			}
			check = func(b []byte) error {
				got := make([]float64, len(v))
				if _, err := dec.Float64s(got, b); err != nil {
					return err
				}
				for i := range v {
					if math.Float64bits(got[i]) != math.Float64bits(v[i]) {
						return fmt.Errorf("value %d: %v, want %v", i, got[i], v[i])
					}
				}
				return nil
			}
		case "bytes":
			var v [][]byte
			for _, line := range strings.Split(d.Input, "\n") {
				s, err := strconv.Unquote(line)
				if err != nil {
					d.Fatalf(t, "bad quoted string %s", line)
				}
				v = append(v, []byte(s))
			}
			if kind == 255 {
				enc = e.AppendBytes(nil, v)
			} else {
				enc, err = e.AppendBytesAs(nil, v, kind)
			}
			check = func(b []byte) error {
				got := make([][]byte, len(v))
				if _, err := dec.Bytes(got, b); err != nil {
					return err
				}
				for i := range v {
					if !bytes.Equal(got[i], v[i]) {
						return fmt.Errorf("value %d: %q, want %q", i, got[i], v[i])
					}
				}
				return nil
			}
		case "block":
			var codec string
			d.ScanArgs(t, "codec", &codec)
			c := map[string]Codec{"none": None, "lz4": LZ4, "zstd": ZSTD}[codec]
			var comp Compressor
			raw := []byte(d.Input)
			enc = comp.AppendBlock(nil, raw, c)
			check = func(b []byte) error {
				got, err := DecodeBlock(b, nil)
				if err != nil {
					return err
				}
				if !bytes.Equal(got, raw) {
					return fmt.Errorf("decoded %q", got)
				}
				return nil
			}
		default:
			d.Fatalf(t, "unknown command %s", d.Cmd)
		}
		if err != nil {
			return fmt.Sprintf("error: %v\n", err)
		}
		if err := check(enc); err != nil {
			t.Fatalf("%s: decoding what was encoded: %v", d.Pos, err)
		}
		if exp := undump(d.Expected); exp != nil {
			if err := check(exp); err != nil {
				t.Fatalf("%s: decoding the checked-in bytes: %v", d.Pos, err)
			}
		}
		label := "first " + firstKind(enc)
		if d.Cmd == "block" {
			label = "codec " + Codec(enc[0]).String()
		}
		return dump(enc, label)
	})
}

func kindNamed(t *testing.T, name string) Kind {
	for k := Plain; k <= Shuffle32; k++ {
		if k.String() == name {
			return k
		}
	}
	t.Fatalf("unknown kind %q", name)
	return 0
}

func equal[T comparable](got, want []T) error {
	for i := range want {
		if got[i] != want[i] {
			return fmt.Errorf("value %d: %v, want %v", i, got[i], want[i])
		}
	}
	return nil
}

// dump renders bytes as a line saying what they are and 16 hex bytes per line.
func dump(b []byte, label string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d bytes, %s\n", len(b), label)
	for i := 0; i < len(b); i += 16 {
		sb.WriteString(hex.EncodeToString(b[i:min(i+16, len(b))]))
		sb.WriteByte('\n')
	}
	return sb.String()
}

func firstKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	return Kind(b[0]).String()
}

// undump parses the output of dump; nil when there is none.
func undump(s string) []byte {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) < 1 || lines[0] == "" {
		return nil
	}
	var out []byte
	for _, l := range lines[1:] {
		b, err := hex.DecodeString(l)
		if err != nil {
			return nil
		}
		out = append(out, b...)
	}
	if out == nil {
		out = []byte{}
	}
	return out
}
