package encoding

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/compute/types"
)

// randInts returns n values drawn from one of several distributions.
func randInts(r *rand.Rand, n int) []int64 {
	v := make([]int64, n)
	switch r.IntN(8) {
	case 0: // full range
		for i := range v {
			v[i] = int64(r.Uint64())
		}
	case 1: // small range around a random base
		base, span := int64(r.Uint64()), 1+r.Int64N(1<<uint(r.IntN(40)))
		for i := range v {
			v[i] = base + r.Int64N(span)
		}
	case 2: // sorted, with repeats
		x := r.Int64N(1 << 40)
		for i := range v {
			x += r.Int64N(1 + int64(r.IntN(100)))
			v[i] = x
		}
	case 3: // runs
		x := r.Int64N(100)
		for i := range v {
			if r.IntN(50) == 0 {
				x = r.Int64N(100) - 50
			}
			v[i] = x
		}
	case 4: // few distinct, far apart
		vals := make([]int64, 1+r.IntN(20))
		for k := range vals {
			vals[k] = int64(r.Uint64())
		}
		for i := range v {
			v[i] = vals[r.IntN(len(vals))]
		}
	case 5: // constant
		x := int64(r.Uint64())
		for i := range v {
			v[i] = x
		}
	case 6: // descending with extremes
		for i := range v {
			v[i] = math.MaxInt64 - int64(i)*int64(r.IntN(1000))
		}
		if n > 0 {
			v[r.IntN(n)] = math.MinInt64
		}
	default: // booleans
		for i := range v {
			v[i] = int64(r.IntN(2))
		}
	}
	return v
}

func TestInt64RoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	var e Encoder
	var d Decoder
	for iter := range 3000 {
		n := r.IntN(3000)
		if iter%10 == 0 {
			n = r.IntN(20)
		}
		v := randInts(r, n)
		b := e.AppendInt64s([]byte{0xee}, v)
		check := func(b []byte, what string) {
			t.Helper()
			got := make([]int64, n)
			m, err := d.Int64s(got, b[1:])
			if err != nil {
				t.Fatalf("iter %d %s: %v", iter, what, err)
			}
			if m != len(b)-1 {
				t.Fatalf("iter %d %s: consumed %d of %d bytes", iter, what, m, len(b)-1)
			}
			for i := range v {
				if got[i] != v[i] {
					t.Fatalf("iter %d %s: value %d is %d, want %d", iter, what, i, got[i], v[i])
				}
			}
		}
		check(b, "chosen "+Kind(b[1]).String())
		for _, k := range []Kind{Plain, FOR, Delta, RLE, Dict} {
			b, err := e.AppendInt64sAs([]byte{0xee}, v, k)
			if err != nil {
				continue
			}
			check(b, k.String())
		}
	}
}

func TestInt128RoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 1))
	var e Encoder
	var d Decoder
	for iter := range 500 {
		n := r.IntN(2000)
		hi, lo := randInts(r, n), randInts(r, n)
		v := make([]types.Int128, n)
		small := r.IntN(2) == 0
		for i := range v {
			v[i] = types.Int128{Hi: hi[i], Lo: uint64(lo[i])}
			if small {
				v[i] = types.I128(lo[i] >> 20)
			}
		}
		for _, k := range []Kind{255, Plain, Split} {
			var b []byte
			if k == 255 {
				b = e.AppendInt128s(nil, v)
			} else {
				b, _ = e.AppendInt128sAs(nil, v, k)
			}
			got := make([]types.Int128, n)
			m, err := d.Int128s(got, b)
			if err != nil || m != len(b) {
				t.Fatalf("iter %d kind %d: %v (consumed %d of %d)", iter, k, err, m, len(b))
			}
			for i := range v {
				if got[i] != v[i] {
					t.Fatalf("iter %d kind %d: value %d is %v, want %v", iter, k, i, got[i], v[i])
				}
			}
		}
	}
}

func TestFloatRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 1))
	var e Encoder
	var d Decoder
	for iter := range 500 {
		n := r.IntN(2000)
		v := make([]float64, n)
		mode := r.IntN(4)
		for i := range v {
			switch mode {
			case 0:
				v[i] = r.NormFloat64() * 1e6
			case 1:
				v[i] = float64(float32(r.NormFloat64()))
			case 2:
				v[i] = float64(r.IntN(5)) / 4
			default:
				v[i] = []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0, 1.5}[r.IntN(6)]
			}
		}
		for _, k := range []Kind{255, Plain, Shuffle64, Shuffle32, Dict} {
			var b []byte
			var err error
			if k == 255 {
				b = e.AppendFloat64s(nil, v)
			} else if b, err = e.AppendFloat64sAs(nil, v, k); err != nil {
				continue
			}
			got := make([]float64, n)
			m, err := d.Float64s(got, b)
			if err != nil || m != len(b) {
				t.Fatalf("iter %d kind %d: %v (consumed %d of %d)", iter, k, err, m, len(b))
			}
			for i := range v {
				if math.Float64bits(got[i]) != math.Float64bits(v[i]) {
					t.Fatalf("iter %d kind %d: value %d is %v, want %v", iter, k, i, got[i], v[i])
				}
			}
		}
	}
}

func TestBytesRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 1))
	var e Encoder
	var d Decoder
	for iter := range 500 {
		n := r.IntN(2000)
		v := make([][]byte, n)
		distinct := 1 + r.IntN(3000)
		for i := range v {
			k := r.IntN(distinct)
			v[i] = bytes.Repeat([]byte{byte('a' + k%26)}, k%37)
		}
		for _, k := range []Kind{255, Plain, Dict} {
			var b []byte
			var err error
			if k == 255 {
				b = e.AppendBytes(nil, v)
			} else if b, err = e.AppendBytesAs(nil, v, k); err != nil {
				continue
			}
			got := make([][]byte, n)
			m, err := d.Bytes(got, b)
			if err != nil || m != len(b) {
				t.Fatalf("iter %d kind %d: %v (consumed %d of %d)", iter, k, err, m, len(b))
			}
			for i := range v {
				if !bytes.Equal(got[i], v[i]) {
					t.Fatalf("iter %d kind %d: value %d is %q, want %q", iter, k, i, got[i], v[i])
				}
			}
		}
	}
}

func TestBlock(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 1))
	var c Compressor
	for iter := range 200 {
		raw := make([]byte, r.IntN(100000))
		for i := range raw {
			if r.IntN(4) == 0 {
				raw[i] = byte(r.IntN(256))
			}
		}
		for _, codec := range []Codec{None, LZ4, ZSTD} {
			b := c.AppendBlock([]byte("x"), raw, codec)[1:]
			got, err := DecodeBlock(b, nil)
			if err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("iter %d %s: %v", iter, codec, err)
			}
			if len(raw) > 0 {
				bad := append([]byte(nil), b...)
				bad[r.IntN(len(bad))] ^= 1 << r.IntN(8)
				if _, err := DecodeBlock(bad, nil); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("iter %d %s: flipped bit not detected: %v", iter, codec, err)
				}
			}
		}
	}
}
