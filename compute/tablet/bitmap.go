package tablet

import (
	"context"
	"fmt"
	"math"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/doricdb/doric/api/metapb"
)

// SegmentRef names one segment of one rowset.
type SegmentRef struct {
	RowsetID string
	Segment  int64
}

// DeleteBitmap is the union, per segment, of the delete bitmaps that apply to a snapshot: the
// row ordinals of each segment that are deleted (superseded by a newer row with the same key).
// A segment without an entry has no deleted rows.
type DeleteBitmap map[SegmentRef]*roaring.Bitmap

// Deleted reports whether row of the segment is deleted.
func (d DeleteBitmap) Deleted(ref SegmentRef, row uint32) bool {
	b := d[ref]
	return b != nil && b.Contains(row)
}

// Mark adds row of the segment.
func (d DeleteBitmap) Mark(ref SegmentRef, row uint32) {
	b := d[ref]
	if b == nil {
		b = roaring.New()
		d[ref] = b
	}
	b.Add(row)
}

// EncodeBitmap serializes a bitmap in the format of FORMAT.md (roaring's portable format, run
// containers where they are smaller).
func EncodeBitmap(b *roaring.Bitmap) ([]byte, error) {
	b = b.Clone()
	b.RunOptimize()
	return b.ToBytes()
}

// DecodeBitmap parses bytes of FORMAT.md's format.
func DecodeBitmap(p []byte) (*roaring.Bitmap, error) {
	b := roaring.New()
	if err := b.UnmarshalBinary(p); err != nil {
		return nil, err
	}
	return b, nil
}

// Covered reports whether some rowset of rowsets holds version v: a bitmap entry at a version
// no rowset of the tablet holds is a failed publish's garbage and never applies (ApplyBitmaps).
// Merge-on-write compaction keeps the rule when it carries bitmaps over to its output.
func Covered(rowsets []*metapb.RowsetMeta, v int64) bool { return covered(rowsets, v) }

// covered reports whether some rowset of rowsets holds version v.
func covered(rowsets []*metapb.RowsetMeta, v int64) bool {
	for _, rs := range rowsets {
		if rs.GetStartVersion() <= v && v <= rs.GetEndVersion() {
			return true
		}
	}
	return false
}

// ApplyBitmaps unions the bitmap entries that apply to rowsets at version: entries of those
// rowsets whose version is at most version and is held by one of the rowsets. The last rule
// drops the bitmaps of a publish that never committed: a publish writes its bitmaps at the
// version it expects (v+1) only for tablets it adds a rowset to, so an entry at a version that no
// rowset of the tablet holds was written by a publish whose commit did not happen (its lock
// expired and another load took that version). The Meta Service deletes such pending bitmaps
// when the next load updates the tablet; until then the rule keeps them out of reads.
// Compaction of merge-on-write tablets must keep that rule when it folds versions.
func ApplyBitmaps(rowsets []*metapb.RowsetMeta, version int64, entries []*metapb.DeleteBitmapEntry) (DeleteBitmap, error) {
	ids := map[string]bool{}
	for _, rs := range rowsets {
		ids[rs.GetRowsetId()] = true
	}
	out := DeleteBitmap{}
	for _, e := range entries {
		if !ids[e.GetRowsetId()] || e.GetVersion() > version || !covered(rowsets, e.GetVersion()) {
			continue
		}
		b, err := DecodeBitmap(e.GetBitmap())
		if err != nil {
			return nil, fmt.Errorf("delete bitmap of rowset %s segment %d version %d: %w", e.GetRowsetId(), e.GetSegmentId(), e.GetVersion(), err)
		}
		ref := SegmentRef{RowsetID: e.GetRowsetId(), Segment: e.GetSegmentId()}
		if have := out[ref]; have != nil {
			have.Or(b)
		} else {
			out[ref] = b
		}
	}
	return out, nil
}

// DeleteBitmaps fetches the delete bitmaps of the snapshot's rowsets (GetDeleteBitmap) and
// unions those that apply at the snapshot's version (ApplyBitmaps).
func (r *Reader) DeleteBitmaps(ctx context.Context, snap *Snapshot) (DeleteBitmap, error) {
	if len(snap.Rowsets) == 0 {
		return DeleteBitmap{}, nil
	}
	req := &metapb.GetDeleteBitmapRequest{InstanceId: r.InstanceID, TabletId: snap.TabletID}
	for _, rs := range snap.Rowsets {
		if rs.GetNumSegments() == 0 {
			continue
		}
		req.Ranges = append(req.Ranges, &metapb.DeleteBitmapRange{RowsetId: rs.GetRowsetId(), StartVersion: 0, EndVersion: min(snap.Version, math.MaxInt64)})
	}
	if len(req.Ranges) == 0 {
		return DeleteBitmap{}, nil
	}
	resp, err := r.Meta.GetDeleteBitmap(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("tablet %d: get delete bitmaps up to version %d: %w", snap.TabletID, snap.Version, err)
	}
	d, err := ApplyBitmaps(snap.Rowsets, snap.Version, resp.GetBitmaps())
	if err != nil {
		return nil, fmt.Errorf("tablet %d: %w", snap.TabletID, err)
	}
	return d, nil
}
