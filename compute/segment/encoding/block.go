package encoding

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// ErrCorrupt classifies every decoding failure: the bytes are not a valid encoding.
var ErrCorrupt = errors.New("corrupt segment")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// Castagnoli is the CRC32C table every checksum of the format uses.
var Castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Codec is a block compression codec; its value is the byte a block header stores.
type Codec uint8

const (
	None Codec = 0
	LZ4  Codec = 1 // LZ4 block format (no frame)
	ZSTD Codec = 2 // one ZSTD frame
)

func (c Codec) String() string {
	switch c {
	case None:
		return "none"
	case LZ4:
		return "lz4"
	case ZSTD:
		return "zstd"
	}
	return fmt.Sprintf("codec(%d)", uint8(c))
}

// MaxBlockRaw bounds the decompressed size of one block (FORMAT.md).
const MaxBlockRaw = 1 << 30

// Most a codec can expand its input, used to reject absurd raw lengths before allocating:
// an LZ4 sequence byte yields at most 255 bytes; a ZSTD RLE block of 4 bytes yields 128 KiB.
const (
	lz4MaxRatio  = 256
	zstdMaxRatio = 32 << 10
)

// MinSaving is the fraction of a block compression must save to be kept (1/MinSaving); a
// block that compresses worse is stored with codec None, which is faster to read.
const MinSaving = 10

var (
	zstdEncoder = sync.OnceValue(func() *zstd.Encoder {
		e, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithZeroFrames(true), zstd.WithEncoderCRC(false))
		if err != nil {
			panic(fmt.Sprintf("BUG: zstd encoder: %v", err))
		}
		return e
	})
	zstdDecoder = sync.OnceValue(func() *zstd.Decoder {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecodeAllCapLimit(true),
			zstd.WithDecoderMaxMemory(MaxBlockRaw))
		if err != nil {
			panic(fmt.Sprintf("BUG: zstd decoder: %v", err))
		}
		return d
	})
)

// Compressor frames and compresses blocks. The zero value is ready; it keeps scratch state and
// is used by one goroutine at a time.
type Compressor struct {
	// HC makes LZ4 blocks with the high-compression compressor: smaller, several times slower
	// to write, as fast to read (the block format is the same).
	HC    bool
	lz4   lz4.Compressor
	lz4hc lz4.CompressorHC
	buf   []byte
}

// AppendBlock appends the block framing of raw (FORMAT.md "Blocks") to dst: raw compressed with
// codec, or stored as is (codec None) when compression saves less than 1/MinSaving of it.
func (c *Compressor) AppendBlock(dst, raw []byte, codec Codec) []byte {
	start := len(dst)
	var payload []byte
	switch codec {
	case LZ4:
		if bound := lz4.CompressBlockBound(len(raw)); cap(c.buf) < bound {
			c.buf = make([]byte, bound)
		}
		var n int
		var err error
		if c.HC {
			n, err = c.lz4hc.CompressBlock(raw, c.buf[:cap(c.buf)])
		} else {
			n, err = c.lz4.CompressBlock(raw, c.buf[:cap(c.buf)])
		}
		if err == nil && n > 0 {
			payload = c.buf[:n]
		}
	case ZSTD:
		c.buf = zstdEncoder().EncodeAll(raw, c.buf[:0])
		payload = c.buf
	}
	if payload == nil || len(payload) > len(raw)-len(raw)/MinSaving {
		codec, payload = None, raw
	}
	dst = append(dst, byte(codec))
	dst = binary.AppendUvarint(dst, uint64(len(raw)))
	dst = append(dst, payload...)
	return binary.LittleEndian.AppendUint32(dst, crc(dst[start:]))
}

func crc(b []byte) uint32 { return crc32.Checksum(b, Castagnoli) }

// decodeSlack is spare capacity DecodeBlock gives the buffers it decompresses into.
const decodeSlack = 16

// MinBlockLen is the length of the smallest block (an empty one).
const MinBlockLen = 1 + 1 + 4

// DecodeBlock checks and decompresses one block (all of b). The result aliases b when the block
// is stored uncompressed; otherwise it is written into scratch when that has room, else into a
// new buffer.
func DecodeBlock(b, scratch []byte) ([]byte, error) {
	if len(b) < MinBlockLen {
		return nil, corrupt("block of %d bytes is shorter than its header and checksum", len(b))
	}
	body := b[:len(b)-4]
	if got, want := crc(body), binary.LittleEndian.Uint32(b[len(body):]); got != want {
		return nil, corrupt("block checksum mismatch (stored %08x, computed %08x)", want, got)
	}
	codec := Codec(body[0])
	rawLen, n := binary.Uvarint(body[1:])
	if n <= 0 {
		return nil, corrupt("bad block length varint")
	}
	payload := body[1+n:]
	var limit uint64
	switch codec {
	case None:
		if rawLen != uint64(len(payload)) {
			return nil, corrupt("uncompressed block says %d bytes, holds %d", rawLen, len(payload))
		}
		return payload, nil
	case LZ4:
		limit = lz4MaxRatio*uint64(len(payload)) + 16
	case ZSTD:
		limit = zstdMaxRatio*uint64(len(payload)) + 16
	default:
		return nil, corrupt("unknown block codec %d", codec)
	}
	if rawLen > MaxBlockRaw || rawLen > limit {
		return nil, corrupt("%s block of %d bytes cannot decompress to %d bytes", codec, len(payload), rawLen)
	}
	// The slack lets the ZSTD decoder use its fast copies, which may write past the end.
	var dst []byte
	if uint64(cap(scratch)) >= rawLen+decodeSlack {
		dst = scratch[:rawLen]
	} else {
		dst = make([]byte, rawLen, rawLen+decodeSlack)
	}
	switch codec {
	case LZ4:
		m, err := lz4.UncompressBlock(payload, dst)
		if err != nil {
			return nil, corrupt("lz4 block: %v", err)
		}
		if uint64(m) != rawLen {
			return nil, corrupt("lz4 block decompressed to %d bytes, header says %d", m, rawLen)
		}
	default:
		out, err := zstdDecoder().DecodeAll(payload, dst[:0])
		if err != nil {
			return nil, corrupt("zstd block: %v", err)
		}
		if uint64(len(out)) != rawLen || (rawLen > 0 && &out[0] != &dst[0]) {
			return nil, corrupt("zstd block decompressed to %d bytes, header says %d", len(out), rawLen)
		}
	}
	return dst, nil
}
