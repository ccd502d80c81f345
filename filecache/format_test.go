package filecache

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// fixtureData is the data of fixture blocks: a fixed pattern, so the CRCs are stable.
func fixtureData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// TestFormatFixtures pins the bytes of block files (FORMAT.md): the name, the trailer (path,
// chunk CRCs, footer) of blocks of several shapes, and what decoding reports for damaged ones.
// Regenerate with -rewrite after a deliberate format change (and bump the format version).
func TestFormatFixtures(t *testing.T) {
	var last []byte // the trailer of the last block command
	datadriven.RunTest(t, "testdata/format", func(t *testing.T, td *datadriven.TestData) string {
		switch td.Cmd {
		case "block":
			var path, kind string
			var index, size, exp int64
			td.ScanArgs(t, "path", &path)
			td.ScanArgs(t, "index", &index)
			td.ScanArgs(t, "size", &size)
			td.ScanArgs(t, "kind", &kind)
			td.MaybeScanArgs(t, "expiration", &exp)
			k := Kind(0)
			for k < numKinds && k.String() != kind {
				k++
			}
			m := blockMeta{key: keyOf(path), index: index, objectSize: size, expiration: exp, kind: k,
				dataLen: expectedLen(size, index), path: path}
			data := fixtureData(m.dataLen)
			last = encodeTrailer(&m, chunkCRCs(data))
			// Round trip.
			got, crcs, err := decodeTrailer(last)
			if err != nil || got != m || len(crcs) != numChunks(m.dataLen) {
				t.Fatalf("round trip: %+v, %v", got, err)
			}
			return fmt.Sprintf("name: %s\ndata: %d bytes, file: %d bytes\ntrailer:\n%s", blockName(m.key, m.index),
				m.dataLen, m.fileBytes(), hex.Dump(last))
		case "damage":
			// Flip one byte of the last trailer (at, negative: from its end) and decode it.
			var at int
			td.ScanArgs(t, "at", &at)
			if at < 0 {
				at += len(last)
			}
			b := append([]byte(nil), last...)
			b[at] ^= 0x01
			_, _, err := decodeTrailer(b)
			if err == nil {
				return "decoded without error\n"
			}
			return "error: " + err.Error() + "\n"
		case "name":
			_, _, err := parseBlockName(strings.TrimSpace(td.Input))
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			return "ok\n"
		}
		t.Fatalf("unknown command %s", td.Cmd)
		return ""
	})
}

func TestBlockNames(t *testing.T) {
	k := keyOf("data/1/x_0.dat")
	for _, idx := range []int64{0, 1, 255, 1 << 33} {
		name := blockName(k, idx)
		base := name[strings.LastIndexByte(name, '/')+1:]
		gk, gi, err := parseBlockName(base)
		if err != nil || gk != k || gi != idx {
			t.Fatalf("%s → %v %d %v", name, gk, gi, err)
		}
	}
}
