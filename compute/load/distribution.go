package load

import (
	"encoding/binary"
	"hash/crc32"
	"math"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// canonicalNaN is the bit pattern every NaN hashes as.
const canonicalNaN = 0x7ff8000000000001

// DistributionHash sets out[k] to the placement hash (see the package doc) of row rows[k] over
// the distribution columns cols, in order.
func DistributionHash(cols []*vector.Vector, rows []int32, out []uint32) {
	for k := range rows {
		out[k] = 0
	}
	var buf [17]byte
	null, notNull := []byte{0}, []byte{1}
	for _, v := range cols {
		kind := v.Type.Kind
		for k, i := range rows {
			h := out[k]
			if v.IsNull(int(i)) {
				out[k] = crc32.Update(h, castagnoli, null)
				continue
			}
			var enc []byte
			switch v.Type.Physical() {
			case types.PhysInt64:
				if kind == types.Decimal {
					x := types.I128(v.Int64[i])
					enc = binary.LittleEndian.AppendUint64(append(buf[:0], 1), x.Lo)
					enc = binary.LittleEndian.AppendUint64(enc, uint64(x.Hi))
				} else {
					enc = binary.LittleEndian.AppendUint64(append(buf[:0], 1), uint64(v.Int64[i]))
				}
			case types.PhysInt128:
				x := v.Int128[i]
				enc = binary.LittleEndian.AppendUint64(append(buf[:0], 1), x.Lo)
				enc = binary.LittleEndian.AppendUint64(enc, uint64(x.Hi))
			case types.PhysFloat64:
				f := v.Float64[i]
				bits := math.Float64bits(f)
				switch {
				case f == 0:
					bits = 0
				case math.IsNaN(f):
					bits = canonicalNaN
				}
				enc = binary.LittleEndian.AppendUint64(append(buf[:0], 1), bits)
			default:
				s := v.Bytes[i]
				if kind == types.Char {
					for len(s) > 0 && s[len(s)-1] == ' ' {
						s = s[:len(s)-1]
					}
				}
				h = crc32.Update(h, castagnoli, notNull)
				h = crc32.Update(h, castagnoli, binary.LittleEndian.AppendUint32(buf[:0], uint32(len(s))))
				out[k] = crc32.Update(h, castagnoli, s)
				continue
			}
			out[k] = crc32.Update(h, castagnoli, enc)
		}
	}
}
