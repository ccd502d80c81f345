package index

import (
	"bytes"
	"math"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"google.golang.org/protobuf/encoding/protowire"
)

// MaxZoneBytes is the longest string a zone map stores: a longer minimum is cut to a prefix
// (still a lower bound) and a longer maximum is cut and rounded up (still an upper bound).
const MaxZoneBytes = 64

// ZoneMap is the value range of a page or a segment: the minimum and maximum non-NULL values
// (bounds, see MaxZoneBytes) and how many rows are NULL. Min and Max are meaningful only when
// HasMinMax; a zone without them (no non-NULL value, or a maximum that cannot be bounded) prunes
// nothing but by its NULL count.
type ZoneMap struct {
	Min, Max  Value
	HasMinMax bool
	NullCount int64
}

// ZoneOf computes the zone map of rows [lo, hi) of v.
func ZoneOf(v *vector.Vector, lo, hi int) ZoneMap {
	var z ZoneMap
	if v.Nulls != nil {
		for i := lo; i < hi; i++ {
			if v.Nulls.Get(i) {
				z.NullCount++
			}
		}
	}
	t := v.Type
	nulls := z.NullCount > 0
	first := true
	switch t.Physical() {
	case types.PhysInt64:
		var mn, mx int64
		for i := lo; i < hi; i++ {
			if nulls && v.Nulls.Get(i) {
				continue
			}
			x := v.Int64[i]
			if first {
				mn, mx, first = x, x, false
			}
			mn = min(mn, x)
			mx = max(mx, x)
		}
		z.Min.Int64, z.Max.Int64 = mn, mx
	case types.PhysInt128:
		var mn, mx types.Int128
		for i := lo; i < hi; i++ {
			if nulls && v.Nulls.Get(i) {
				continue
			}
			x := v.Int128[i]
			if first {
				mn, mx, first = x, x, false
			}
			if x.Cmp(mn) < 0 {
				mn = x
			}
			if x.Cmp(mx) > 0 {
				mx = x
			}
		}
		z.Min.Int128, z.Max.Int128 = mn, mx
	case types.PhysFloat64:
		var mn, mx float64
		nan := false
		for i := lo; i < hi; i++ {
			if nulls && v.Nulls.Get(i) {
				continue
			}
			x := v.Float64[i]
			if math.IsNaN(x) {
				nan = true
				continue
			}
			if first {
				mn, mx, first = x, x, false
			}
			mn = min(mn, x)
			mx = max(mx, x)
		}
		if nan { // NaN sorts last
			if first {
				mn = math.NaN()
			}
			mx, first = math.NaN(), false
		}
		z.Min.Float64, z.Max.Float64 = normFloat(mn), normFloat(mx)
	default:
		var mn, mx []byte
		char := t.Kind == types.Char
		for i := lo; i < hi; i++ {
			if nulls && v.Nulls.Get(i) {
				continue
			}
			x := v.Bytes[i]
			if char {
				x = bytes.TrimRight(x, " ")
			}
			if first {
				mn, mx, first = x, x, false
			}
			if len(x) > 0 && len(mn) > 0 && len(mx) > 0 && x[0] > mn[0] && x[0] < mx[0] {
				continue // the first byte puts x strictly between min and max
			}
			if bytes.Compare(x, mn) < 0 {
				mn = x
			}
			if bytes.Compare(x, mx) > 0 {
				mx = x
			}
		}
		if !first {
			var ok bool
			z.Min.Bytes = append([]byte(nil), mn[:min(len(mn), MaxZoneBytes)]...)
			if z.Max.Bytes, ok = upperBound(mx, char); !ok {
				return ZoneMap{NullCount: z.NullCount}
			}
		}
	}
	z.HasMinMax = !first
	return z
}

// upperBound returns b, or when it is longer than MaxZoneBytes the shortest string of at most
// that length greater than every string starting with its prefix; ok is false when there is none
// (or, for CHAR, when it would end in a space, which CHAR comparison ignores).
func upperBound(b []byte, char bool) ([]byte, bool) {
	if len(b) <= MaxZoneBytes {
		return append([]byte(nil), b...), true
	}
	if char {
		return nil, false
	}
	p := append([]byte(nil), b[:MaxZoneBytes]...)
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != 0xff {
			p[i]++
			return p[:i+1], true
		}
	}
	return nil, false
}

// ZoneMerger merges the zone maps of pages into the zone map of their segment.
type ZoneMerger struct {
	t       types.T
	z       ZoneMap
	started bool
	noRange bool
}

// NewZoneMerger returns a merger for zones of type t.
func NewZoneMerger(t types.T) *ZoneMerger { return &ZoneMerger{t: t} }

// Add merges the zone of a page of rows rows.
func (m *ZoneMerger) Add(z ZoneMap, rows int64) {
	m.z.NullCount += z.NullCount
	switch {
	case z.HasMinMax:
		if !m.started {
			m.z.Min, m.z.Max, m.started = z.Min, z.Max, true
			return
		}
		if Compare(m.t, z.Min, m.z.Min) < 0 {
			m.z.Min = z.Min
		}
		if Compare(m.t, z.Max, m.z.Max) > 0 {
			m.z.Max = z.Max
		}
	case z.NullCount < rows:
		m.noRange = true // non-NULL values without a range
	}
}

// Zone returns the merged zone map.
func (m *ZoneMerger) Zone() ZoneMap {
	z := m.z
	z.HasMinMax = m.started && !m.noRange
	if !z.HasMinMax {
		z.Min, z.Max = Value{}, Value{}
	}
	return z
}

// Bound is one end of a range of values.
type Bound struct {
	Value     Value
	Inclusive bool
}

// MayOverlap reports whether a zone of rows rows may hold a non-NULL value within the range
// from lo to hi (nil = unbounded).
func (z ZoneMap) MayOverlap(t types.T, lo, hi *Bound, rows int64) bool {
	if z.NullCount >= rows {
		return false
	}
	if !z.HasMinMax {
		return true
	}
	if lo != nil {
		c := Compare(t, z.Max, Normalize(t, lo.Value))
		if c < 0 || (c == 0 && !lo.Inclusive) {
			return false
		}
	}
	if hi != nil {
		c := Compare(t, z.Min, Normalize(t, hi.Value))
		if c > 0 || (c == 0 && !hi.Inclusive) {
			return false
		}
	}
	return true
}

// MayContain reports whether a zone of rows rows may hold the non-NULL value v.
func (z ZoneMap) MayContain(t types.T, v Value, rows int64) bool {
	b := &Bound{Value: v, Inclusive: true}
	return z.MayOverlap(t, b, b, rows)
}

// AppendZoneMap appends z as a ZoneMap message body (FORMAT.md).
func AppendZoneMap(dst []byte, t types.T, z ZoneMap) []byte {
	if z.HasMinMax {
		dst = appendBytesField(dst, 1, appendValue(nil, t, z.Min))
		dst = appendBytesField(dst, 2, appendValue(nil, t, z.Max))
	}
	dst = appendUintField(dst, 3, uint64(z.NullCount))
	if z.HasMinMax {
		dst = appendUintField(dst, 4, 1)
	}
	return dst
}

// DecodeZoneMap decodes a ZoneMap message body of a column of type t.
func DecodeZoneMap(t types.T, msg []byte) (ZoneMap, error) {
	var z ZoneMap
	var min, max []byte
	var hasMin, hasMax bool
	err := Fields(msg, func(num protowire.Number, v uint64, b []byte, isBytes bool) error {
		switch num {
		case 1:
			min, hasMin = b, isBytes
		case 2:
			max, hasMax = b, isBytes
		case 3:
			if isBytes || v > maxRows {
				return corrupt("zone map: bad null count")
			}
			z.NullCount = int64(v)
		case 4:
			z.HasMinMax = v != 0
		}
		return nil
	})
	if err != nil {
		return ZoneMap{}, err
	}
	if z.HasMinMax {
		if !hasMin || !hasMax {
			return ZoneMap{}, corrupt("zone map: min/max flagged but missing")
		}
		if z.Min, err = decodeValue(t, min); err != nil {
			return ZoneMap{}, err
		}
		if z.Max, err = decodeValue(t, max); err != nil {
			return ZoneMap{}, err
		}
		if Compare(t, z.Min, z.Max) > 0 {
			return ZoneMap{}, corrupt("zone map: min above max")
		}
	}
	return z, nil
}
