package encoding

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkInt64s measures decoding 8192-value int64 streams of each kind (MB/s of 8-byte
// values produced).
func BenchmarkInt64s(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const n = 8192
	v := make([]int64, n)
	for _, tc := range []struct {
		kind Kind
		gen  func(i int) int64
	}{
		{FOR, func(int) int64 { return r.Int64N(1 << 13) }},
		{FOR, func(int) int64 { return r.Int64N(1 << 27) }},
		{Delta, func(i int) int64 { return int64(i*4 + r.IntN(4)) }},
		{RLE, func(i int) int64 { return int64(i / 100) }},
		{Dict, func(int) int64 { return int64(r.IntN(7)) * 1e12 }},
		{Plain, func(int) int64 { return r.Int64() }},
	} {
		for i := range v {
			v[i] = tc.gen(i)
		}
		var e Encoder
		enc, err := e.AppendInt64sAs(nil, v, tc.kind)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s-%dB", tc.kind, len(enc)), func(b *testing.B) {
			var d Decoder
			out := make([]int64, n)
			b.SetBytes(8 * n)
			for range b.N {
				if _, err := d.Int64s(out, enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodeInt64s measures choosing and encoding 8192-value int64 streams.
func BenchmarkEncodeInt64s(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	v := make([]int64, 8192)
	for i := range v {
		v[i] = int64(i*4 + r.IntN(4))
	}
	var e Encoder
	var buf []byte
	b.SetBytes(8 * int64(len(v)))
	for range b.N {
		buf = e.AppendInt64s(buf[:0], v)
	}
}
