package keys

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Field tags. A field's tag byte orders fields of different types (byte strings before integers)
// and tells the decoder how to read the rest of the field.
const (
	tagBytes byte = 0x01
	tagInt64 byte = 0x02
)

// Byte-string escaping: 0x00 in the payload becomes 0x00 0xFF; the field ends with 0x00 0x01.
const (
	escByte  byte = 0x00
	escFF    byte = 0xFF
	termByte byte = 0x01
)

// ErrMalformed is returned by every decoder for bytes that are not a key of the expected shape.
var ErrMalformed = errors.New("keys: malformed key")

// appendBytes appends a tagged, escaped, terminated byte string.
func appendBytes(dst []byte, s string) []byte {
	dst = append(dst, tagBytes)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == escByte {
			dst = append(dst, escByte, escFF)
			continue
		}
		dst = append(dst, c)
	}
	return append(dst, escByte, termByte)
}

// appendInt64 appends a tagged int64: 8 bytes big-endian with the sign bit flipped, so that the
// byte order of the encodings is the numeric order, negatives included.
func appendInt64(dst []byte, v int64) []byte {
	dst = append(dst, tagInt64)
	return binary.BigEndian.AppendUint64(dst, uint64(v)^(1<<63))
}

// field is one decoded tuple element: a byte string (isInt false) or an int64.
type field struct {
	isInt bool
	s     string
	i     int64
}

func (f field) String() string {
	if f.isInt {
		return strconv.FormatInt(f.i, 10)
	}
	return strconv.Quote(f.s)
}

// decodeFields decodes a sequence of tagged fields (everything after the key-space byte). The
// encoding is canonical: for every input it accepts, re-encoding the result gives the input back.
func decodeFields(b []byte) ([]field, error) {
	var out []field
	for len(b) > 0 {
		switch b[0] {
		case tagBytes:
			s, rest, err := decodeBytes(b[1:])
			if err != nil {
				return nil, err
			}
			out = append(out, field{s: s})
			b = rest
		case tagInt64:
			if len(b) < 9 {
				return nil, fmt.Errorf("%w: truncated int64 field", ErrMalformed)
			}
			v := int64(binary.BigEndian.Uint64(b[1:9]) ^ (1 << 63))
			out = append(out, field{isInt: true, i: v})
			b = b[9:]
		default:
			return nil, fmt.Errorf("%w: unknown field tag 0x%02x", ErrMalformed, b[0])
		}
	}
	return out, nil
}

// decodeBytes reads an escaped byte string up to its terminator and returns it and the rest.
func decodeBytes(b []byte) (string, []byte, error) {
	var sb strings.Builder
	for {
		i := bytes.IndexByte(b, escByte)
		if i < 0 || i+1 >= len(b) {
			return "", nil, fmt.Errorf("%w: unterminated byte string", ErrMalformed)
		}
		sb.Write(b[:i])
		switch b[i+1] {
		case termByte:
			return sb.String(), b[i+2:], nil
		case escFF:
			sb.WriteByte(escByte)
			b = b[i+2:]
		default:
			return "", nil, fmt.Errorf("%w: bad escape 0x00 0x%02x", ErrMalformed, b[i+1])
		}
	}
}

// Pretty renders any key built by this package (or any well-formed tagged key) for logs and
// tests: the key-space byte in hex, then each field, strings quoted, separated by '/'.
// Malformed input renders as its hex with a "malformed" note; Pretty never fails.
func Pretty(key []byte) string {
	if len(key) == 0 {
		return "<empty>"
	}
	fs, err := decodeFields(key[1:])
	if err != nil {
		return fmt.Sprintf("<malformed %x>", key)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "/%02x", key[0])
	for _, f := range fs {
		sb.WriteByte('/')
		sb.WriteString(f.String())
	}
	return sb.String()
}
