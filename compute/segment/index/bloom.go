package index

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/cespare/xxhash/v2"
	"github.com/doricdb/doric/compute/types"
	"google.golang.org/protobuf/encoding/protowire"
)

// DefaultBloomFPP is the false-positive probability bloom filters are sized for, as Doris.
const DefaultBloomFPP = 0.05

// MaxBloomBytes bounds one filter.
const MaxBloomBytes = 1 << 27

const bloomBlock = 32 // bytes: eight 32-bit words

// The salts of Parquet's split-block bloom filter.
var bloomSalt = [8]uint32{0x47b6137b, 0x44974d91, 0x8824ad5b, 0xa2b7289d, 0x705495c7, 0x2df1424b, 0x9efc4947, 0x5c6bfb31}

// Bloom is a split-block bloom filter (the layout of Parquet's, FORMAT.md): a power-of-two
// number of 32-byte blocks. An empty Bloom contains nothing.
type Bloom []byte

// BloomSize is the byte size of a filter for ndv distinct values at false-positive rate fpp:
// Parquet's formula, rounded up to a power of two, at least one block.
func BloomSize(ndv int, fpp float64) int {
	if ndv <= 0 {
		return 0
	}
	if fpp <= 0 || fpp >= 1 {
		fpp = DefaultBloomFPP
	}
	m := -8 * float64(ndv) / math.Log(1-math.Pow(fpp, 1.0/8)) // bits
	size := bloomBlock
	for float64(size*8) < m && size < MaxBloomBytes {
		size *= 2
	}
	return size
}

// NewBloom returns an empty filter sized for ndv distinct values.
func NewBloom(ndv int, fpp float64) Bloom { return make(Bloom, BloomSize(ndv, fpp)) }

func (b Bloom) block(h uint64) []byte {
	n := uint64(len(b) / bloomBlock)
	i := ((h >> 32) * n) >> 32
	return b[i*bloomBlock : (i+1)*bloomBlock]
}

// Insert adds the value with hash h.
func (b Bloom) Insert(h uint64) {
	blk := b.block(h)
	key := uint32(h)
	for i, s := range bloomSalt {
		w := binary.LittleEndian.Uint32(blk[4*i:])
		binary.LittleEndian.PutUint32(blk[4*i:], w|1<<((key*s)>>27))
	}
}

// MayContain reports whether a value with hash h may have been inserted.
func (b Bloom) MayContain(h uint64) bool {
	if len(b) == 0 {
		return false
	}
	blk := b.block(h)
	key := uint32(h)
	for i, s := range bloomSalt {
		if binary.LittleEndian.Uint32(blk[4*i:])&(1<<((key*s)>>27)) == 0 {
			return false
		}
	}
	return true
}

// Hash is the bloom-filter hash of a non-NULL value of t: XXH64 (seed 0) of the plain encoding
// of its canonical form (Normalize).
func Hash(t types.T, v Value) uint64 {
	v = Normalize(t, v)
	if t.Physical() == types.PhysBytes {
		return xxhash.Sum64(v.Bytes)
	}
	var buf [16]byte
	return xxhash.Sum64(appendValue(buf[:0], t, v))
}

// AppendBloomIndex appends the filters of a column's pages as a BloomFilterIndex message body.
func AppendBloomIndex(dst []byte, filters []Bloom) []byte {
	for _, f := range filters {
		dst = appendBytesField(dst, 1, f)
	}
	return dst
}

// DecodeBloomIndex decodes the bloom index of a column of numPages pages.
func DecodeBloomIndex(msg []byte, numPages int) ([]Bloom, error) {
	var out []Bloom
	err := Fields(msg, func(num protowire.Number, _ uint64, b []byte, isBytes bool) error {
		if num != 1 {
			return nil
		}
		if !isBytes || len(b) > MaxBloomBytes || (len(b) > 0 && (len(b) < bloomBlock || bits.OnesCount(uint(len(b))) != 1)) {
			return corrupt("bloom filter of %d bytes is not a power-of-two number of %d-byte blocks", len(b), bloomBlock)
		}
		out = append(out, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) != numPages {
		return nil, corrupt("bloom index has %d filters for %d pages", len(out), numPages)
	}
	return out, nil
}
