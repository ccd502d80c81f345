package index

import (
	"bytes"
	"encoding/binary"
	"math"
	"sort"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"google.golang.org/protobuf/encoding/protowire"
)

// Short-key limits, as Doris: at most this many leading sort-key columns, and their key widths
// may add up to at most this many bytes.
const (
	ShortKeyMaxColumns = 3
	ShortKeyMaxBytes   = 36
	// DefaultShortKeyInterval is the rows between two short-key entries.
	DefaultShortKeyInterval = 1024
)

// Key markers: a NULL sorts before every value.
const (
	keyNull  = 0x01
	keyValue = 0x02
)

// keyWidth is the number of bytes a value of t takes in a short key: 0 for a type that cannot
// be part of one (FLOAT, DOUBLE), -1 for strings (the rest of the budget).
func keyWidth(t types.T) int {
	switch t.Kind {
	case types.Boolean, types.TinyInt:
		return 1
	case types.SmallInt:
		return 2
	case types.Int, types.Date:
		return 4
	case types.BigInt, types.DateTime:
		return 8
	case types.LargeInt:
		return 16
	case types.Decimal:
		switch {
		case t.Precision <= 9:
			return 4
		case t.Precision <= 18:
			return 8
		}
		return 16
	case types.Char, types.Varchar, types.String:
		return -1
	}
	return 0
}

// ShortKeyColumns returns how many of the leading sort-key columns of types ts the short key
// covers: at most ShortKeyMaxColumns, while their widths fit ShortKeyMaxBytes; a string column
// takes the rest of the bytes and ends the key; a float column ends it before itself.
func ShortKeyColumns(ts []types.T) int {
	used := 0
	for i, t := range ts {
		if i == ShortKeyMaxColumns {
			return i
		}
		w := keyWidth(t)
		switch {
		case w == 0:
			return i
		case w < 0:
			if used < ShortKeyMaxBytes {
				return i + 1
			}
			return i
		case used+w > ShortKeyMaxBytes:
			return i
		}
		used += w
	}
	return len(ts)
}

// AppendKeyRow appends the short key of row i of cols (the short-key columns, in order).
func AppendKeyRow(dst []byte, cols []*vector.Vector, i int) []byte {
	used := 0
	for _, c := range cols {
		if c.IsNull(i) {
			dst = append(dst, keyNull)
			if w := keyWidth(c.Type); w > 0 {
				used += w
			}
			continue
		}
		dst, used = appendKeyValue(dst, c.Type, ValueAt(c, i), used)
	}
	return dst
}

// AppendKeyValues appends the short key of a prefix of the short-key columns holding the
// non-NULL values vals (ts their types). Values outside a column's key range are clamped,
// which keeps every comparison with stored keys conservative.
func AppendKeyValues(dst []byte, ts []types.T, vals []Value) []byte {
	used := 0
	for k, v := range vals {
		dst, used = appendKeyValue(dst, ts[k], v, used)
	}
	return dst
}

func appendKeyValue(dst []byte, t types.T, v Value, used int) ([]byte, int) {
	dst = append(dst, keyValue)
	w := keyWidth(t)
	switch {
	case w < 0:
		b := v.Bytes
		if t.Kind == types.Char {
			b = bytes.TrimRight(b, " ")
		}
		return append(dst, b[:min(len(b), max(ShortKeyMaxBytes-used, 0))]...), ShortKeyMaxBytes
	case t.Physical() == types.PhysInt128:
		dst = binary.BigEndian.AppendUint64(dst, uint64(v.Int128.Hi)^(1<<63))
		return binary.BigEndian.AppendUint64(dst, v.Int128.Lo), used + 16
	}
	// Two's complement with the sign bit flipped orders like the signed values; a type narrower
	// than 8 bytes keeps the low w bytes of its value clamped to their range.
	x := v.Int64
	if w == 8 {
		return binary.BigEndian.AppendUint64(dst, uint64(x)^(1<<63)), used + 8
	}
	lo, hi := int64(-1)<<(8*w-1), int64(1)<<(8*w-1)-1
	u := uint64(min(max(x, lo), hi)) ^ (1 << (8*w - 1))
	for k := w - 1; k >= 0; k-- {
		dst = append(dst, byte(u>>(8*k)))
	}
	return dst, used + w
}

// ShortKeyIndex is the short key of every Interval-th row of a segment: Keys[k] is the key of
// row k*Interval. Keys never decrease, since rows are sorted by the sort key.
type ShortKeyIndex struct {
	Interval int64
	NumRows  int64
	Keys     [][]byte
}

// Seek returns a row range [start, end) holding every row whose short-key prefix lies between
// the encoded bounds lo and hi (nil = unbounded, both inclusive). Rows outside it are sure not
// to match; rows inside may or may not.
func (x *ShortKeyIndex) Seek(lo, hi []byte) (start, end int64) {
	n := len(x.Keys)
	start, end = 0, x.NumRows
	if lo != nil {
		// Entries strictly below lo: every row before the last of them is below lo too.
		c := sort.Search(n, func(k int) bool { return comparePrefix(x.Keys[k], lo) >= 0 })
		if c > 0 {
			start = int64(c-1) * x.Interval
		}
	}
	if hi != nil {
		// The first entry strictly above hi: it and every row after it are above hi.
		c := sort.Search(n, func(k int) bool { return comparePrefix(x.Keys[k], hi) > 0 })
		if c < n {
			end = int64(c) * x.Interval
		}
	}
	if end < start {
		end = start
	}
	return start, end
}

// comparePrefix compares key cut to the length of bound with bound.
func comparePrefix(key, bound []byte) int {
	return bytes.Compare(key[:min(len(key), len(bound))], bound)
}

// AppendShortKeyIndex appends the keys as a ShortKeyIndex message body (FORMAT.md).
func AppendShortKeyIndex(dst []byte, keys [][]byte) []byte {
	for _, k := range keys {
		dst = appendBytesField(dst, 1, k)
	}
	return dst
}

// MaxShortKeyLen bounds an encoded short key.
const MaxShortKeyLen = ShortKeyMaxBytes + ShortKeyMaxColumns

// DecodeShortKeyIndex decodes and validates a short-key index of a segment of numRows rows.
func DecodeShortKeyIndex(msg []byte, interval, numRows int64) (*ShortKeyIndex, error) {
	if interval < 1 || interval > math.MaxInt32 {
		return nil, corrupt("short-key interval %d", interval)
	}
	x := &ShortKeyIndex{Interval: interval, NumRows: numRows}
	err := Fields(msg, func(num protowire.Number, _ uint64, b []byte, isBytes bool) error {
		if num != 1 {
			return nil
		}
		if !isBytes || len(b) > MaxShortKeyLen {
			return corrupt("short-key index: bad key")
		}
		if k := len(x.Keys); k > 0 && bytes.Compare(b, x.Keys[k-1]) < 0 {
			return corrupt("short-key index: key %d sorts before key %d", k, k-1)
		}
		x.Keys = append(x.Keys, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if want := (numRows + interval - 1) / interval; int64(len(x.Keys)) != want {
		return nil, corrupt("short-key index has %d keys, %d rows need %d", len(x.Keys), numRows, want)
	}
	return x, nil
}
