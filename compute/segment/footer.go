package segment

import (
	"fmt"

	"github.com/doricdb/doric/compute/segment/encoding"
	"github.com/doricdb/doric/compute/segment/index"
	"github.com/doricdb/doric/compute/types"
	"google.golang.org/protobuf/encoding/protowire"
)

// Format constants (FORMAT.md).
const (
	FormatVersion = 2
	Magic         = "DORS"
	trailerSize   = 16
	maxCount      = 1 << 48 // bound on every row count, offset and size a reader accepts
)

// ErrCorrupt classifies every decoding failure of a segment file (it is encoding.ErrCorrupt).
var ErrCorrupt = encoding.ErrCorrupt

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// ColumnInfo describes one column of a segment.
type ColumnInfo struct {
	UniqueID  int32
	Type      types.T
	Nullable  bool
	NumPages  int
	Zone      index.ZoneMap // of the whole segment
	HasBloom  bool          // the column has a bloom filter per page
	DataBytes int64         // stored bytes of its data pages
}

// blockPtr locates a block in the file.
type blockPtr struct{ off, size int64 }

type columnMeta struct {
	ColumnInfo
	ordinal, zones, bloom blockPtr
}

type footer struct {
	version          uint32
	numRows          int64
	columns          []columnMeta
	compression      encoding.Codec
	numSortKeys      int
	numShortKeys     int
	shortKeyInterval int64
	shortKeyIndex    blockPtr
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

func appendPtr(b []byte, num protowire.Number, p blockPtr) []byte {
	if p.size == 0 {
		return b
	}
	m := appendUint(nil, 1, uint64(p.off))
	m = appendUint(m, 2, uint64(p.size))
	return appendMessage(b, num, m)
}

func encodeFooter(f *footer) []byte {
	b := appendUint(nil, 1, uint64(f.version))
	b = appendUint(b, 2, uint64(f.numRows))
	for i := range f.columns {
		b = appendMessage(b, 3, encodeColumn(&f.columns[i]))
	}
	b = appendUint(b, 4, uint64(f.compression))
	b = appendUint(b, 5, uint64(f.numSortKeys))
	b = appendUint(b, 6, uint64(f.numShortKeys))
	b = appendUint(b, 7, uint64(f.shortKeyInterval))
	return appendPtr(b, 8, f.shortKeyIndex)
}

func encodeColumn(c *columnMeta) []byte {
	b := appendInt32(nil, 1, c.UniqueID)
	var t []byte
	t = appendUint(t, 1, uint64(c.Type.Kind))
	t = appendInt32(t, 2, c.Type.Precision)
	t = appendInt32(t, 3, c.Type.Scale)
	t = appendInt32(t, 4, c.Type.Length)
	b = appendMessage(b, 2, t)
	b = appendBool(b, 3, c.Nullable)
	b = appendUint(b, 4, uint64(c.NumPages))
	b = appendPtr(b, 5, c.ordinal)
	b = appendPtr(b, 6, c.zones)
	b = appendPtr(b, 7, c.bloom)
	b = appendMessage(b, 8, index.AppendZoneMap(nil, c.Type, c.Zone))
	return appendUint(b, 9, uint64(c.DataBytes))
}

// ---------------------------------------------------------------- decoding

// wireType checks that field num arrived with the wire type its schema has.
func wireType(num protowire.Number, isBytes, wantBytes bool) error {
	if isBytes != wantBytes {
		return corrupt("footer: field %d has the wrong wire type", num)
	}
	return nil
}

func count(what string, v uint64) (int64, error) {
	if v > maxCount {
		return 0, corrupt("footer: %s %d out of range", what, v)
	}
	return int64(v), nil
}

func decodePtr(msg []byte) (blockPtr, error) {
	var p blockPtr
	err := index.Fields(msg, func(num protowire.Number, v uint64, _ []byte, isBytes bool) error {
		var err error
		switch num {
		case 1:
			if err = wireType(num, isBytes, false); err == nil {
				p.off, err = count("block offset", v)
			}
		case 2:
			if err = wireType(num, isBytes, false); err == nil {
				p.size, err = count("block size", v)
			}
		}
		return err
	})
	return p, err
}

func decodeFooter(msg []byte) (*footer, error) {
	f := &footer{}
	var zoneBytes [][]byte
	err := index.Fields(msg, func(num protowire.Number, v uint64, b []byte, isBytes bool) error {
		if num >= 1 && num <= 8 {
			if err := wireType(num, isBytes, num == 3 || num == 8); err != nil {
				return err
			}
		}
		var err error
		switch num {
		case 1:
			f.version = uint32(v)
		case 2:
			f.numRows, err = count("row count", v)
		case 3:
			var c columnMeta
			var zb []byte
			if c, zb, err = decodeColumn(b); err == nil {
				f.columns = append(f.columns, c)
				zoneBytes = append(zoneBytes, zb)
			}
		case 4:
			if v > 255 {
				return corrupt("footer: compression %d", v)
			}
			f.compression = encoding.Codec(v)
		case 5:
			var n int64
			n, err = count("sort key columns", v)
			f.numSortKeys = int(n)
		case 6:
			var n int64
			n, err = count("short key columns", v)
			f.numShortKeys = int(n)
		case 7:
			f.shortKeyInterval, err = count("short key interval", v)
		case 8:
			f.shortKeyIndex, err = decodePtr(b)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// Zone maps decode once the column types are known to be valid (validate).
	for i := range f.columns {
		c := &f.columns[i]
		if err := validType(c.Type); err != nil {
			return nil, corrupt("column %d: %v", c.UniqueID, err)
		}
		if c.Zone, err = index.DecodeZoneMap(c.Type, zoneBytes[i]); err != nil {
			return nil, fmt.Errorf("column %d segment zone map: %w", c.UniqueID, err)
		}
	}
	return f, nil
}

func validType(t types.T) error {
	if t.Kind <= types.Invalid || t.Kind >= types.Null {
		return fmt.Errorf("invalid type kind %d", t.Kind)
	}
	if err := t.Validate(); err != nil {
		return fmt.Errorf("invalid type %s: %v", t, err)
	}
	return nil
}

func decodeColumn(msg []byte) (columnMeta, []byte, error) {
	var c columnMeta
	var zone []byte
	err := index.Fields(msg, func(num protowire.Number, v uint64, b []byte, isBytes bool) error {
		if num >= 1 && num <= 9 {
			if err := wireType(num, isBytes, num == 2 || (num >= 5 && num <= 8)); err != nil {
				return err
			}
		}
		var err error
		switch num {
		case 1:
			c.UniqueID = int32(v)
		case 2:
			return index.Fields(b, func(num protowire.Number, v uint64, _ []byte, isBytes bool) error {
				if isBytes {
					return corrupt("footer: type field %d has the wrong wire type", num)
				}
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
			var n int64
			n, err = count("page count", v)
			c.NumPages = int(n)
		case 5:
			c.ordinal, err = decodePtr(b)
		case 6:
			c.zones, err = decodePtr(b)
		case 7:
			c.bloom, err = decodePtr(b)
			c.HasBloom = true
		case 8:
			zone = b
		case 9:
			c.DataBytes, err = count("data bytes", v)
		}
		return err
	})
	return c, zone, err
}
