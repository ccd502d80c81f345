package publish

import (
	"bytes"

	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/segment/index"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Segment is one segment taking part in a bitmap calculation.
type Segment struct {
	Ref  tablet.SegmentRef
	Keys *tablet.SegmentKeys // nil: the segment cannot hold any key of the new rowset (skipped)
}

// Calculate computes the delete bitmap a new rowset adds. olds are the segments of the tablet's
// visible rowsets, oldest first (version order, then segment order); news are the new rowset's
// segments in order (a later segment is newer); deleted holds the rows already deleted (the
// union of the bitmaps in force) and is updated in place.
//
// For each row of the new segments it looks for the live row with the same key — newest segment
// first, the new rowset's earlier segments before the old ones; by the merge-on-write invariant
// there is at most one — and marks it; with a sequence column, when the live row's sequence
// value is larger than the new row's, the new row is marked instead (ties go to the new row, as
// package model folds). The returned bitmap holds only the marks this rowset adds.
//
// Keys must be unique within each new segment (the load folds each segment by key).
func Calculate(olds, news []Segment, deleted tablet.DeleteBitmap) tablet.DeleteBitmap {
	out := tablet.DeleteBitmap{}
	mark := func(ref tablet.SegmentRef, row int) {
		deleted.Mark(ref, uint32(row))
		out.Mark(ref, uint32(row))
	}
	for j, ns := range news {
		if ns.Keys == nil {
			continue
		}
		// Candidates, newest first.
		cands := make([]Segment, 0, j+len(olds))
		for k := j - 1; k >= 0; k-- {
			cands = append(cands, news[k])
		}
		for k := len(olds) - 1; k >= 0; k-- {
			if olds[k].Keys != nil && olds[k].Keys.Rows() > 0 {
				cands = append(cands, olds[k])
			}
		}
		for i := range ns.Keys.Rows() {
			key := ns.Keys.Key(i)
			for _, c := range cands {
				found := -1
				c.Keys.Find(key, func(row int) bool {
					if deleted.Deleted(c.Ref, uint32(row)) {
						return true
					}
					found = row
					return false
				})
				if found < 0 {
					continue
				}
				if ns.Keys.HasSeq() && c.Keys.HasSeq() && bytes.Compare(c.Keys.Seq(found), ns.Keys.Seq(i)) > 0 {
					mark(ns.Ref, i)
				} else {
					mark(c.Ref, found)
				}
				break
			}
		}
	}
	return out
}

// KeyRange is the smallest and largest encoded key of the new segments (nil, nil when they hold
// no rows).
func KeyRange(news []Segment) (lo, hi []byte) {
	for _, s := range news {
		if s.Keys == nil || s.Keys.Rows() == 0 {
			continue
		}
		if lo == nil || bytes.Compare(s.Keys.Min(), lo) < 0 {
			lo = s.Keys.Min()
		}
		if hi == nil || bytes.Compare(s.Keys.Max(), hi) > 0 {
			hi = s.Keys.Max()
		}
	}
	return lo, hi
}

// MayHold reports whether an old segment may hold a key in [lo, hi] (encoded keys), judged by
// the segment zone map of its first key column (uniqueID, of type t): a cheap test made before
// reading the segment's key columns. Zone maps are bounds, so the answer errs towards true.
func MayHold(sg *segment.Segment, uniqueID int32, t types.T, lo, hi []byte) bool {
	if lo == nil {
		return false
	}
	ci := sg.FindColumn(uniqueID)
	if ci < 0 {
		return true
	}
	z := sg.Columns()[ci].Zone
	newNull := lo[0] == 0x00 // the smallest new key's first column is NULL
	if z.NullCount > 0 && newNull {
		return true
	}
	if !z.HasMinMax {
		return z.NullCount < sg.NumRows() // values without bounds
	}
	emin, emax := encodeOne(t, z.Min), encodeOne(t, z.Max)
	if bytes.Compare(hi, emin) < 0 {
		return false
	}
	if bytes.Compare(lo, emax) > 0 && !bytes.HasPrefix(lo, emax) {
		return false
	}
	return true
}

// encodeOne is the key encoding (tablet.AppendKey) of one value of t.
func encodeOne(t types.T, v index.Value) []byte {
	vec := vector.New(t, 1)
	switch t.Physical() {
	case types.PhysInt64:
		vec.Int64[0] = v.Int64
	case types.PhysInt128:
		vec.Int128[0] = v.Int128
	case types.PhysFloat64:
		vec.Float64[0] = v.Float64
	default:
		vec.Bytes[0] = v.Bytes
	}
	return tablet.AppendKey(nil, []*vector.Vector{vec}, 0)
}
