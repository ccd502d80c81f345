package compaction

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/publish"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// rowMap maps the rows of a merge-on-write compaction's inputs to the rows of its output: per
// input segment, the output position (a row of the output as one sorted run) of each input row
// ordinal, -1 for rows the output does not hold (deleted as of the inputs' end version, or
// tombstones a compaction from the first version dropped).
type rowMap struct {
	segmentRows int
	pos         map[tablet.SegmentRef][]int32
}

func (m *rowMap) set(o tablet.Origin, pos int) {
	s := m.pos[o.Ref]
	for len(s) <= int(o.Row) {
		s = append(s, -1)
	}
	s[o.Row] = int32(pos)
	m.pos[o.Ref] = s
}

// output returns the output segment and row of an input row (false: the output lacks it).
func (m *rowMap) output(ref tablet.SegmentRef, row uint32) (int64, uint32, bool) {
	s := m.pos[ref]
	if int(row) >= len(s) || s[row] < 0 {
		return 0, 0, false
	}
	p := int(s[row])
	return int64(p / m.segmentRows), uint32(p % m.segmentRows), true
}

// mergeMoW reads the inputs of a merge-on-write compaction with the delete bitmaps of versions up
// to the range's end applied, sorts the live rows by key (at most one per key: the merge-on-write
// invariant) and returns them with the row-id map. Tombstones stay rows unless the inputs start
// at the tablet's first version and the table has no sequence column (a kept tombstone with a
// larger sequence value still beats a later row of the key).
func (c *Compactor) mergeMoW(ctx context.Context, t Tablet, p Pick) (*vector.Batch, *rowMap, int64, error) {
	schema := t.Schema
	cols := schema.GetColumns()
	nk := int(schema.GetNumKeyColumns())
	if nk <= 0 || nk > len(cols) {
		return nil, nil, 0, fmt.Errorf("BUG: tablet %d: %d key columns of %d", t.ID, nk, len(cols))
	}
	if schema.DeleteSignIdx != nil {
		if sign := int(schema.GetDeleteSignIdx()); sign < 0 || sign >= len(cols) {
			return nil, nil, 0, fmt.Errorf("BUG: tablet %d: delete sign column %d of %d", t.ID, sign, len(cols))
		}
		if !p.FromFirst || schema.SequenceColIdx != nil {
			schema = proto.Clone(schema).(*commonpb.TabletSchema)
			schema.DeleteSignIdx = nil
		}
	}
	var inRows int64
	for _, rs := range p.Inputs {
		inRows += rs.GetNumRows()
	}
	r := &tablet.Reader{Meta: c.cfg.Meta, InstanceID: c.cfg.InstanceID, Vaults: c.cfg.Vaults}
	// The bitmaps of versions up to the range's end: rows superseded by then are dropped; later
	// bitmaps are carried over to the output at the commit.
	snap := &tablet.Snapshot{TabletID: t.ID, Version: p.End(), Rowsets: p.Inputs}
	uids := make([]int32, len(cols))
	all := make([]*vector.Vector, len(cols))
	for i, col := range cols {
		uids[i] = col.GetUniqueId()
		all[i] = vector.NewWithCap(types.FromProto(col.GetType()), 0)
	}
	sc, err := r.Scan(snap, schema, uids, c.cfg.BatchSize)
	if err != nil {
		return nil, nil, 0, err
	}
	if err := sc.TrackOrigins(); err != nil {
		return nil, nil, 0, err
	}
	var origins []tablet.Origin
	n := 0
	for {
		b, err := sc.Next(ctx)
		if err != nil {
			return nil, nil, 0, err
		}
		if b == nil {
			break
		}
		o := sc.Origins()
		if len(o) != b.N {
			return nil, nil, 0, fmt.Errorf("BUG: tablet %d: a batch of %d rows with %d origins", t.ID, b.N, len(o))
		}
		origins = append(origins, o...)
		b = b.Compact()
		for k, v := range b.Cols {
			all[k].AppendRange(v, 0, b.N)
		}
		n += b.N
	}
	// Sort by key (memcomparable encoding, the segments' order).
	var buf []byte
	offs := make([]int, 0, n+1)
	offs = append(offs, 0)
	for i := range n {
		buf = tablet.AppendKey(buf, all[:nk], i)
		offs = append(offs, len(buf))
	}
	key := func(i int32) []byte { return buf[offs[i]:offs[i+1]] }
	order := vector.Identity(nil, n)
	sort.Slice(order, func(a, b int) bool { return bytes.Compare(key(order[a]), key(order[b])) < 0 })
	for k := 1; k < n; k++ {
		if a, b := order[k-1], order[k]; bytes.Equal(key(a), key(b)) {
			var vals []string
			for _, v := range all[:nk] {
				vals = append(vals, v.Format(int(a)))
			}
			return nil, nil, 0, fmt.Errorf("BUG: merge-on-write tablet %d: key (%s) is live twice as of version %d: rowset %s segment %d row %d and rowset %s segment %d row %d",
				t.ID, strings.Join(vals, ", "), p.End(), origins[a].Ref.RowsetID, origins[a].Ref.Segment, origins[a].Row,
				origins[b].Ref.RowsetID, origins[b].Ref.Segment, origins[b].Row)
		}
	}
	out := make([]*vector.Vector, len(all))
	for k, v := range all {
		out[k] = v.Gather(order)
	}
	rm := &rowMap{segmentRows: c.cfg.SegmentRows, pos: map[tablet.SegmentRef][]int32{}}
	for pos, i := range order {
		rm.set(origins[i], pos)
	}
	return vector.NewBatch(out, n), rm, inRows, nil
}

// newLockID is a fresh negative delete-bitmap lock id (a load's lock id is its positive txn id).
func newLockID() int64 {
	for {
		var b [8]byte
		rand.Read(b[:])
		if id := int64(binary.LittleEndian.Uint64(b[:]) >> 1); id != 0 {
			return -id
		}
	}
}

// maxBitmapsPerUpdate bounds the entries of one UpdateDeleteBitmap (one KV transaction).
const maxBitmapsPerUpdate = 64

// commitMoW commits a merge-on-write compaction (see the package doc): under the partition's
// delete-bitmap lock it carries the bitmaps the inputs got after the range's end over to the
// output, drops uncovered (garbage) bitmaps the output's range would make apply, and commits the
// job with the lock id; the lock is released in any case.
func (c *Compactor) commitMoW(ctx context.Context, t Tablet, p Pick, jobID string, out *metapb.RowsetMeta, point int64, rm *rowMap) (*metapb.FinishTabletJobResponse, error) {
	meta, inst := c.cfg.Meta, c.cfg.InstanceID
	lock := &publish.Lock{Meta: meta, InstanceID: inst, TableID: t.TableID, Partitions: []int64{out.GetPartitionId()}, LockID: newLockID(),
		Initiator: c.initiator, Lease: c.cfg.LockLease, Timeout: c.cfg.LockTimeout}
	if err := lock.Take(ctx); err != nil {
		return nil, err
	}
	lockedAt := time.Now()
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := lock.Release(rctx); err != nil {
			c.log.Warn("compaction: release the delete bitmap lock", "tablet", t.ID, "err", err)
		}
	}()
	renew := func() error {
		if time.Since(lockedAt) < c.cfg.LockLease/2 {
			return nil
		}
		if err := lock.Take(ctx); err != nil {
			return fmt.Errorf("renew: %w", err)
		}
		lockedAt = time.Now()
		return nil
	}
	// Under the lock no load's publish moves the tablet: its rowsets now are final until the commit.
	resp, err := meta.GetRowsets(ctx, &metapb.GetRowsetsRequest{InstanceId: inst, TabletId: t.ID, StartVersion: 0, EndVersion: math.MaxInt64})
	if err != nil {
		return nil, fmt.Errorf("rowsets: %w", err)
	}
	rowsets := resp.GetRowsets()
	inputs := map[string]bool{}
	for _, rs := range p.Inputs {
		inputs[rs.GetRowsetId()] = true
	}
	cur, found := int64(0), 0
	for _, rs := range rowsets {
		cur = max(cur, rs.GetEndVersion())
		if inputs[rs.GetRowsetId()] {
			found++
		}
	}
	if found != len(p.Inputs) {
		return nil, fmt.Errorf("inputs no longer visible: %w", ErrStale)
	}
	e := p.End()
	req := &metapb.GetDeleteBitmapRequest{InstanceId: inst, TabletId: t.ID}
	for _, rs := range rowsets {
		switch {
		case rs.GetNumSegments() == 0:
		case inputs[rs.GetRowsetId()] && cur > e:
			req.Ranges = append(req.Ranges, &metapb.DeleteBitmapRange{RowsetId: rs.GetRowsetId(), StartVersion: e + 1, EndVersion: cur})
		case rs.GetEndVersion() < p.Start():
			// Bitmaps at versions inside the range on older rowsets: once the output covers the
			// range, garbage among them (versions no rowset held) would apply.
			req.Ranges = append(req.Ranges, &metapb.DeleteBitmapRange{RowsetId: rs.GetRowsetId(), StartVersion: p.Start(), EndVersion: e})
		}
	}
	var garbage []*metapb.DeleteBitmapRange
	type at struct {
		version, segment int64
	}
	carried := map[at]*roaring.Bitmap{}
	if len(req.Ranges) > 0 {
		got, err := meta.GetDeleteBitmap(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("delete bitmaps: %w", err)
		}
		for _, b := range got.GetBitmaps() {
			v := b.GetVersion()
			if !inputs[b.GetRowsetId()] {
				if !tablet.Covered(rowsets, v) {
					garbage = append(garbage, &metapb.DeleteBitmapRange{RowsetId: b.GetRowsetId(), StartVersion: v, EndVersion: v})
				}
				continue
			}
			if v <= e || !tablet.Covered(rowsets, v) {
				continue // applied by the merge, or a failed publish's garbage
			}
			bm, err := tablet.DecodeBitmap(b.GetBitmap())
			if err != nil {
				return nil, fmt.Errorf("delete bitmap of rowset %s segment %d version %d: %w", b.GetRowsetId(), b.GetSegmentId(), v, err)
			}
			ref := tablet.SegmentRef{RowsetID: b.GetRowsetId(), Segment: b.GetSegmentId()}
			for it := bm.Iterator(); it.HasNext(); {
				seg, row, ok := rm.output(ref, it.Next())
				if !ok {
					continue // not in the output: deleted by version e, or a dropped tombstone
				}
				k := at{v, seg}
				if carried[k] == nil {
					carried[k] = roaring.New()
				}
				carried[k].Add(row)
			}
		}
	}
	keys := make([]at, 0, len(carried))
	for k := range carried {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b at) int {
		if a.version != b.version {
			return int(a.version - b.version)
		}
		return int(a.segment - b.segment)
	})
	var entries []*metapb.DeleteBitmapEntry
	for _, k := range keys {
		bs, err := tablet.EncodeBitmap(carried[k])
		if err != nil {
			return nil, fmt.Errorf("encode delete bitmap: %w", err)
		}
		entries = append(entries, &metapb.DeleteBitmapEntry{RowsetId: out.GetRowsetId(), Version: k.version, SegmentId: k.segment, Bitmap: bs})
	}
	for lo := 0; lo < len(entries); lo += maxBitmapsPerUpdate {
		if err := renew(); err != nil {
			return nil, err
		}
		if _, err := meta.UpdateDeleteBitmap(ctx, &metapb.UpdateDeleteBitmapRequest{InstanceId: inst, TableId: t.TableID, PartitionId: out.GetPartitionId(),
			LockId: lock.LockID, Initiator: c.initiator, TabletId: t.ID, Bitmaps: entries[lo:min(lo+maxBitmapsPerUpdate, len(entries))]}); err != nil {
			return nil, fmt.Errorf("write the output's delete bitmaps: %w", err)
		}
	}
	if len(garbage) > 0 {
		if _, err := meta.RemoveDeleteBitmap(ctx, &metapb.RemoveDeleteBitmapRequest{InstanceId: inst, TabletId: t.ID, Ranges: garbage}); err != nil {
			return nil, fmt.Errorf("remove garbage delete bitmaps: %w", err)
		}
	}
	if err := renew(); err != nil {
		return nil, err
	}
	return meta.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{InstanceId: inst, TabletId: t.ID, JobId: jobID,
		Action: metapb.TabletJobAction_JOB_COMMIT, OutputRowset: out, OutputCumulativePoint: point, DeleteBitmapLockId: lock.LockID})
}
