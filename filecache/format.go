package filecache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zeebo/xxh3"
)

// Layout constants (FORMAT.md).
const (
	// BlockSize is the size of a cache block: every block but an object's last is this long.
	BlockSize = 1 << 20
	// ChunkSize is the checksum granularity inside a block.
	ChunkSize     = 64 << 10
	formatVersion = 1
	footerSize    = 64
	footerMagic   = "DFCB"
	versionText   = "doric-filecache 1\n"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// fileKey identifies an object: the xxh3-128 of its path.
type fileKey struct{ hi, lo uint64 }

func keyOf(path string) fileKey {
	h := xxh3.HashString128(path)
	return fileKey{h.Hi, h.Lo}
}

func (k fileKey) String() string { return fmt.Sprintf("%016x%016x", k.hi, k.lo) }

// blockName is the path of a block file relative to the blocks directory.
func blockName(k fileKey, index int64) string {
	h := k.String()
	return filepath.Join(h[:2], fmt.Sprintf("%s_%08x", h, index))
}

// parseBlockName parses a block file's base name.
func parseBlockName(base string) (fileKey, int64, error) {
	h, idx, ok := strings.Cut(base, "_")
	if !ok || len(h) != 32 || len(idx) < 8 {
		return fileKey{}, 0, fmt.Errorf("block file name %q: want {32 hex}_{8+ hex}", base)
	}
	hi, err1 := strconv.ParseUint(h[:16], 16, 64)
	lo, err2 := strconv.ParseUint(h[16:], 16, 64)
	n, err3 := strconv.ParseUint(idx, 16, 63)
	if err := errors.Join(err1, err2, err3); err != nil || strings.ToLower(base) != base {
		return fileKey{}, 0, fmt.Errorf("block file name %q: not lowercase hex", base)
	}
	return fileKey{hi, lo}, int64(n), nil
}

// blockMeta is what a block file's trailer says about its block.
type blockMeta struct {
	key        fileKey
	index      int64
	objectSize int64
	expiration int64 // Unix seconds, 0 = none
	kind       Kind
	dataLen    int
	path       string
}

func numChunks(dataLen int) int { return (dataLen + ChunkSize - 1) / ChunkSize }

// fileBytes is the size of the block file.
func (m *blockMeta) fileBytes() int64 {
	return int64(m.dataLen + len(m.path) + 4*numChunks(m.dataLen) + footerSize)
}

// expectedLen is the data length of block index of an object of size bytes.
func expectedLen(objectSize, index int64) int {
	return int(min(objectSize-index*BlockSize, BlockSize))
}

// chunkCRCs computes the CRC of each chunk of data.
func chunkCRCs(data []byte) []uint32 {
	out := make([]uint32, 0, numChunks(len(data)))
	for len(data) > 0 {
		n := min(len(data), ChunkSize)
		out = append(out, crc32.Checksum(data[:n], castagnoli))
		data = data[n:]
	}
	return out
}

// encodeTrailer returns the bytes that follow the data in a block file: path, chunk CRCs and
// footer.
func encodeTrailer(m *blockMeta, crcs []uint32) []byte {
	if len(crcs) != numChunks(m.dataLen) || len(m.path) > 0xffff {
		panic(fmt.Sprintf("BUG: filecache: trailer of %d bytes with %d CRCs, path of %d bytes", m.dataLen, len(crcs), len(m.path)))
	}
	b := make([]byte, 0, len(m.path)+4*len(crcs)+footerSize)
	b = append(b, m.path...)
	for _, c := range crcs {
		b = binary.LittleEndian.AppendUint32(b, c)
	}
	b = append(b, footerMagic...)
	b = binary.LittleEndian.AppendUint16(b, formatVersion)
	b = append(b, byte(m.kind), 0)
	b = binary.LittleEndian.AppendUint64(b, m.key.hi)
	b = binary.LittleEndian.AppendUint64(b, m.key.lo)
	b = binary.LittleEndian.AppendUint64(b, uint64(m.index))
	b = binary.LittleEndian.AppendUint64(b, uint64(m.objectSize))
	b = binary.LittleEndian.AppendUint64(b, uint64(m.expiration))
	b = binary.LittleEndian.AppendUint32(b, uint32(m.dataLen))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(m.path)))
	b = append(b, 0, 0, 0, 0, 0, 0)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeFooter parses the last footerSize bytes of a block file (without checking the CRC,
// which covers the path and chunk CRCs too: see decodeTrailer).
func decodeFooter(f []byte) (blockMeta, error) {
	if len(f) != footerSize {
		return blockMeta{}, fmt.Errorf("footer of %d bytes", len(f))
	}
	if string(f[:4]) != footerMagic {
		return blockMeta{}, fmt.Errorf("bad magic %q", f[:4])
	}
	if v := binary.LittleEndian.Uint16(f[4:]); v != formatVersion {
		return blockMeta{}, fmt.Errorf("format version %d, want %d", v, formatVersion)
	}
	m := blockMeta{
		kind:       Kind(f[6]),
		key:        fileKey{binary.LittleEndian.Uint64(f[8:]), binary.LittleEndian.Uint64(f[16:])},
		index:      int64(binary.LittleEndian.Uint64(f[24:])),
		objectSize: int64(binary.LittleEndian.Uint64(f[32:])),
		expiration: int64(binary.LittleEndian.Uint64(f[40:])),
		dataLen:    int(binary.LittleEndian.Uint32(f[48:])),
	}
	pathLen := int(binary.LittleEndian.Uint16(f[52:]))
	m.path = strings.Repeat("\x00", pathLen) // length only; decodeTrailer fills it in
	switch {
	case m.kind >= numKinds:
		return m, fmt.Errorf("queue %d", m.kind)
	case f[7] != 0 || string(f[54:60]) != "\x00\x00\x00\x00\x00\x00":
		return m, errors.New("reserved bytes are not zero")
	case m.dataLen < 1 || m.dataLen > BlockSize:
		return m, fmt.Errorf("data length %d", m.dataLen)
	case m.index < 0 || m.objectSize <= 0 || m.index > (m.objectSize-1)/BlockSize:
		return m, fmt.Errorf("block %d of an object of %d bytes", m.index, m.objectSize)
	case m.dataLen != expectedLen(m.objectSize, m.index):
		return m, fmt.Errorf("block %d of an object of %d bytes holds %d bytes", m.index, m.objectSize, m.dataLen)
	}
	return m, nil
}

// decodeTrailer parses and verifies a block file's trailer: tail is everything after the data
// (path, chunk CRCs, footer).
func decodeTrailer(tail []byte) (blockMeta, []uint32, error) {
	if len(tail) < footerSize {
		return blockMeta{}, nil, fmt.Errorf("trailer of %d bytes", len(tail))
	}
	m, err := decodeFooter(tail[len(tail)-footerSize:])
	if err != nil {
		return m, nil, err
	}
	n := numChunks(m.dataLen)
	if want := len(m.path) + 4*n + footerSize; len(tail) != want {
		return m, nil, fmt.Errorf("trailer of %d bytes, want %d", len(tail), want)
	}
	if got, want := crc32.Checksum(tail[:len(tail)-4], castagnoli), binary.LittleEndian.Uint32(tail[len(tail)-4:]); got != want {
		return m, nil, fmt.Errorf("trailer checksum %08x, stored %08x", got, want)
	}
	m.path = string(tail[:len(m.path)])
	if keyOf(m.path) != m.key {
		return m, nil, fmt.Errorf("path %q does not hash to %s", m.path, m.key)
	}
	crcs := make([]uint32, n)
	for i := range crcs {
		crcs[i] = binary.LittleEndian.Uint32(tail[len(m.path)+4*i:])
	}
	return m, crcs, nil
}
