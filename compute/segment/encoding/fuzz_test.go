package encoding

import (
	"encoding/binary"
	"testing"

	"github.com/doricdb/doric/compute/types"
)

// FuzzStreams feeds arbitrary bytes to every stream decoder and to the block decoder: they
// must return an error or values, never panic. Seeds are valid streams of every kind.
func FuzzStreams(f *testing.F) {
	var e Encoder
	ints := []int64{5, 5, 5, 9, 9, 1 << 40, -3, 5, 9, 9, 9, 9, 5, 5, 5, 5}
	for _, k := range []Kind{Plain, FOR, Delta, RLE, Dict} {
		b, _ := e.AppendInt64sAs(nil, ints, k)
		f.Add(b, uint16(len(ints)), uint8(0))
	}
	f.Add(e.AppendInt128s(nil, []types.Int128{{Hi: 1, Lo: 2}, {Hi: -1, Lo: 3}}), uint16(2), uint8(1))
	for _, k := range []Kind{Plain, Shuffle64, Shuffle32, Dict} {
		b, _ := e.AppendFloat64sAs(nil, []float64{1, 2, 1, 1, 0.5}, k)
		f.Add(b, uint16(5), uint8(2))
	}
	for _, k := range []Kind{Plain, Dict} {
		b, _ := e.AppendBytesAs(nil, [][]byte{[]byte("a"), nil, []byte("bc"), []byte("a")}, k)
		f.Add(b, uint16(4), uint8(3))
	}
	var c Compressor
	for _, codec := range []Codec{None, LZ4, ZSTD} {
		f.Add(c.AppendBlock(nil, []byte("abcabcabcabcabcabcabcabcabcabcabc"), codec), uint16(0), uint8(4))
	}
	f.Fuzz(func(t *testing.T, data []byte, n uint16, which uint8) {
		var d Decoder
		switch which % 5 {
		case 0:
			d.Int64s(make([]int64, n), data)
		case 1:
			d.Int128s(make([]types.Int128, n), data)
		case 2:
			d.Float64s(make([]float64, n), data)
		case 3:
			d.Bytes(make([][]byte, n), data)
		default:
			DecodeBlock(data, nil)
			// A block whose checksum is right: the decompressors see the bytes too.
			if len(data) >= MinBlockLen {
				body := data[:len(data)-4]
				fixed := binary.LittleEndian.AppendUint32(append([]byte(nil), body...), crc(body))
				DecodeBlock(fixed, nil)
			}
		}
	})
}
