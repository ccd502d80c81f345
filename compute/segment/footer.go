package segment

import (
	"errors"
	"fmt"

	"github.com/doricdb/doric/compute/types"
	"google.golang.org/protobuf/encoding/protowire"
)

// Format constants (FORMAT.md).
const (
	FormatVersion = 1
	Magic         = "DORS"
	trailerSize   = 16
	pageHeaderLen = 6 // encoding, flags, num_values
	pageCRCLen    = 4
	maxZoneBytes  = 256
)

// ErrCorrupt classifies every decoding failure of a segment file.
var ErrCorrupt = errors.New("corrupt segment")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// ZoneMap is the value range of a page. Min and Max are plain encodings of one value (see
// FORMAT.md) and are meaningful only when HasMinMax.
type ZoneMap struct {
	Min, Max  []byte
	HasNull   bool
	HasMinMax bool
}

// PageInfo locates one page.
type PageInfo struct {
	Offset, Size      int64
	FirstRow, NumRows int64
	Zone              ZoneMap
}

// ColumnInfo describes one column of a segment.
type ColumnInfo struct {
	UniqueID int32
	Type     types.T
	Nullable bool
	Pages    []PageInfo
}

type footer struct {
	version uint32
	numRows int64
	columns []ColumnInfo
}

// ---------------------------------------------------------------- encoding

func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func appendUint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendInt32(b []byte, num protowire.Number, v int32) []byte {
	return appendUint(b, num, uint64(int64(v))) // proto int32: sign-extended varint
}

func appendBool(b []byte, num protowire.Number, v bool) []byte {
	if !v {
		return b
	}
	return appendUint(b, num, 1)
}

func encodeFooter(f *footer) []byte {
	b := appendUint(nil, 1, uint64(f.version))
	b = appendUint(b, 2, uint64(f.numRows))
	for _, c := range f.columns {
		b = appendMessage(b, 3, encodeColumn(&c))
	}
	return b
}

func encodeColumn(c *ColumnInfo) []byte {
	b := appendInt32(nil, 1, c.UniqueID)
	var t []byte
	t = appendUint(t, 1, uint64(c.Type.Kind))
	t = appendInt32(t, 2, c.Type.Precision)
	t = appendInt32(t, 3, c.Type.Scale)
	t = appendInt32(t, 4, c.Type.Length)
	b = appendMessage(b, 2, t)
	b = appendBool(b, 3, c.Nullable)
	for _, p := range c.Pages {
		var pb []byte
		pb = appendUint(pb, 1, uint64(p.Offset))
		pb = appendUint(pb, 2, uint64(p.Size))
		pb = appendUint(pb, 3, uint64(p.FirstRow))
		pb = appendUint(pb, 4, uint64(p.NumRows))
		var z []byte
		if p.Zone.HasMinMax {
			z = appendMessage(z, 1, p.Zone.Min)
			z = appendMessage(z, 2, p.Zone.Max)
		}
		z = appendBool(z, 3, p.Zone.HasNull)
		z = appendBool(z, 4, p.Zone.HasMinMax)
		pb = appendMessage(pb, 5, z)
		b = appendMessage(b, 4, pb)
	}
	return b
}

// ---------------------------------------------------------------- decoding

// fields calls fn for every field of msg; fn gets the varint value or the bytes.
func fields(msg []byte, fn func(num protowire.Number, v uint64, b []byte) error) error {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return corrupt("footer: bad tag: %v", protowire.ParseError(n))
		}
		msg = msg[n:]
		switch typ {
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(msg)
			if n < 0 {
				return corrupt("footer: bad varint: %v", protowire.ParseError(n))
			}
			msg = msg[n:]
			if err := fn(num, v, nil); err != nil {
				return err
			}
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(msg)
			if n < 0 {
				return corrupt("footer: bad bytes field: %v", protowire.ParseError(n))
			}
			msg = msg[n:]
			if err := fn(num, 0, v); err != nil {
				return err
			}
		default:
			n := protowire.ConsumeFieldValue(num, typ, msg)
			if n < 0 {
				return corrupt("footer: bad field %d: %v", num, protowire.ParseError(n))
			}
			msg = msg[n:]
		}
	}
	return nil
}

// wantBytes rejects a varint where a message was expected (and vice versa).
func wantBytes(num protowire.Number, b []byte) error {
	if b == nil {
		return corrupt("footer: field %d has the wrong wire type", num)
	}
	return nil
}

func decodeFooter(msg []byte) (*footer, error) {
	f := &footer{}
	err := fields(msg, func(num protowire.Number, v uint64, b []byte) error {
		switch num {
		case 1:
			f.version = uint32(v)
		case 2:
			if v > 1<<48 {
				return corrupt("footer: %d rows", v)
			}
			f.numRows = int64(v)
		case 3:
			if err := wantBytes(num, b); err != nil {
				return err
			}
			c, err := decodeColumn(b)
			if err != nil {
				return err
			}
			f.columns = append(f.columns, c)
		}
		return nil
	})
	return f, err
}

func decodeColumn(msg []byte) (ColumnInfo, error) {
	var c ColumnInfo
	err := fields(msg, func(num protowire.Number, v uint64, b []byte) error {
		switch num {
		case 1:
			c.UniqueID = int32(v)
		case 2:
			if err := wantBytes(num, b); err != nil {
				return err
			}
			return fields(b, func(num protowire.Number, v uint64, _ []byte) error {
				switch num {
				case 1:
					c.Type.Kind = types.Kind(int32(v))
				case 2:
					c.Type.Precision = int32(v)
				case 3:
					c.Type.Scale = int32(v)
				case 4:
					c.Type.Length = int32(v)
				}
				return nil
			})
		case 3:
			c.Nullable = v != 0
		case 4:
			if err := wantBytes(num, b); err != nil {
				return err
			}
			p, err := decodePage(b)
			if err != nil {
				return err
			}
			c.Pages = append(c.Pages, p)
		}
		return nil
	})
	return c, err
}

func decodePage(msg []byte) (PageInfo, error) {
	var p PageInfo
	big := func(v uint64) (int64, error) {
		if v > 1<<48 {
			return 0, corrupt("footer: page field %d too large", v)
		}
		return int64(v), nil
	}
	err := fields(msg, func(num protowire.Number, v uint64, b []byte) error {
		var err error
		switch num {
		case 1:
			p.Offset, err = big(v)
		case 2:
			p.Size, err = big(v)
		case 3:
			p.FirstRow, err = big(v)
		case 4:
			p.NumRows, err = big(v)
		case 5:
			if err := wantBytes(num, b); err != nil {
				return err
			}
			return fields(b, func(num protowire.Number, v uint64, b []byte) error {
				switch num {
				case 1:
					p.Zone.Min = append([]byte{}, b...)
				case 2:
					p.Zone.Max = append([]byte{}, b...)
				case 3:
					p.Zone.HasNull = v != 0
				case 4:
					p.Zone.HasMinMax = v != 0
				}
				return nil
			})
		}
		return err
	})
	return p, err
}
