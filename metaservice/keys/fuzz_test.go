package keys

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

// tupleFrom builds a field tuple from fuzz bytes: each step reads a selector byte; an even one
// makes an int64 from the next 8 bytes (zero-padded), an odd one a string of length sel/2 % 8
// from the following bytes. It is deterministic, so the fuzzer explores tuples through bytes.
func tupleFrom(b []byte) []field {
	var out []field
	for len(b) > 0 && len(out) < 8 {
		sel := b[0]
		b = b[1:]
		if sel%2 == 0 {
			var buf [8]byte
			k := copy(buf[:], b)
			b = b[k:]
			out = append(out, field{isInt: true, i: int64(binary.BigEndian.Uint64(buf[:]))})
			continue
		}
		n := min(int(sel/2)%8, len(b))
		out = append(out, field{s: string(b[:n])})
		b = b[n:]
	}
	return out
}

func encodeTuple(fs []field) []byte {
	b := []byte{SpaceUser}
	for _, f := range fs {
		if f.isInt {
			b = appendInt64(b, f.i)
		} else {
			b = appendBytes(b, f.s)
		}
	}
	return b
}

// compareTuples is the order the encoding must preserve: element-wise, strings before ints,
// strings byte-wise, ints numerically, a prefix before its extensions.
func compareTuples(a, b []field) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		switch {
		case x.isInt != y.isInt:
			if !x.isInt {
				return -1
			}
			return 1
		case x.isInt:
			if x.i != y.i {
				if x.i < y.i {
					return -1
				}
				return 1
			}
		default:
			if c := strings.Compare(x.s, y.s); c != 0 {
				return c
			}
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

func seeds(f *testing.F, n int) {
	corpus := [][]byte{
		{},
		{0},
		{1},
		{3, 0},
		{5, 'a', 0},
		{5, 0, 'a'},
		{7, 0xff, 0, 1},
		{0, 0x80, 0, 0, 0, 0, 0, 0, 0},
		{0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{9, 'm', 'e', 't', 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3},
		Rowset("i1", 10005, 3),
		TxnLabel("i1", 1, "a\x00b"),
		DeleteBitmap("i1", 10004, "02\x00", 7, 0),
		TabletStatsCounter("i1", 1, 2, 3, 4, StatsNumRows),
		JobRecycle("i1"),
		RecycleTxn("", -1, 1<<62),
	}
	for i, c := range corpus {
		if n == 1 {
			f.Add(c)
			continue
		}
		f.Add(c, corpus[(i+1)%len(corpus)])
		f.Add(c, c)
	}
}

// FuzzRoundTrip: every tuple decodes to itself, and every byte string the decoder accepts
// re-encodes to the same bytes (the encoding is canonical).
func FuzzRoundTrip(f *testing.F) {
	seeds(f, 1)
	f.Fuzz(func(t *testing.T, b []byte) {
		tup := tupleFrom(b)
		enc := encodeTuple(tup)
		dec, err := decodeFields(enc[1:])
		if err != nil {
			t.Fatalf("decode(%x): %v", enc, err)
		}
		if len(dec) != len(tup) || (len(tup) > 0 && !reflect.DeepEqual(dec, tup)) {
			t.Fatalf("round trip of %v gave %v", tup, dec)
		}
		if fs, err := decodeFields(b); err == nil {
			if again := encodeTuple(fs); !bytes.Equal(again[1:], b) {
				t.Fatalf("decode(%x) = %v re-encodes to %x", b, fs, again[1:])
			}
		}
		_ = Pretty(b) // never panics
	})
}

// FuzzOrder: the byte order of encodings is the tuple order.
func FuzzOrder(f *testing.F) {
	seeds(f, 2)
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ta, tb := tupleFrom(a), tupleFrom(b)
		want := compareTuples(ta, tb)
		if got := bytes.Compare(encodeTuple(ta), encodeTuple(tb)); got != want {
			t.Fatalf("order of %v vs %v: bytes %d, tuples %d", ta, tb, got, want)
		}
	})
}
