package tablet_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
)

// TestScanOrigins: a merge-on-write scan that tracks origins reports, for every row it yields,
// the rowset, segment and row ordinal it is stored at — past rows its delete bitmaps drop and
// tombstones it skips, in batches of any size; a merged scan (AGGREGATE) cannot track them.
func TestScanOrigins(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 5))
	f := newFixture()
	m := &bitmapMeta{}
	f.reader.Meta = metaWithBitmaps{f.meta, m}
	sign := int32(2)
	sch := &commonpb.TabletSchema{KeysType: commonpb.KeysType_UNIQUE_KEYS, EnableUniqueKeyMergeOnWrite: true, NumKeyColumns: 1,
		Columns:       []*commonpb.Column{bigint(1), nullable(2, "v"), {UniqueId: 3, Name: "__DORIS_DELETE_SIGN__", Type: types.New(types.TinyInt).Proto(), Hidden: true}},
		DeleteSignIdx: &sign}
	specs := specsOf(sch)
	// Every row's value names where it is stored: rowset index*1000 + segment*100 + row.
	type at struct{ rowset, seg, row int }
	var ids []string
	var entries []*metapb.DeleteBitmapEntry
	tomb := map[at]bool{}
	for rs := range 3 {
		var segs [][][]int64
		for seg := range 1 + r.IntN(3) {
			var rows [][]int64
			for row := range 1 + r.IntN(30) {
				s := int64(0)
				if r.IntN(6) == 0 {
					s = 1
					tomb[at{rs, seg, row}] = true
				}
				rows = append(rows, []int64{int64(rs*1000 + seg*100 + row), int64(rs*1000 + seg*100 + row), s})
			}
			segs = append(segs, rows)
		}
		ids = append(ids, f.rowsetOf(t, 7, specs, nil, segs...))
		for seg, rows := range segs {
			var del []uint32
			for row := range rows {
				if r.IntN(4) == 0 {
					del = append(del, uint32(row))
				}
			}
			if len(del) > 0 {
				entries = append(entries, bitmapEntry(t, ids[rs], int64(rs+2), int64(seg), del...))
			}
		}
	}
	m.entries = entries
	ctx := context.Background()
	snap, err := f.reader.Capture(ctx, 7, 4)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := f.reader.Scan(snap, sch, []int32{2}, 1+r.IntN(7))
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.TrackOrigins(); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for {
		b, err := sc.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			break
		}
		o := sc.Origins()
		if len(o) != b.N {
			t.Fatalf("%d rows, %d origins", b.N, len(o))
		}
		for i := range b.N {
			v := b.Cols[0].Int64[i]
			rs := int(v / 1000)
			want := tablet.Origin{Ref: tablet.SegmentRef{RowsetID: ids[rs], Segment: v % 1000 / 100}, Row: uint32(v % 100)}
			if o[i] != want {
				t.Fatalf("row %d: origin %+v, want %+v", v, o[i], want)
			}
			if tomb[at{rs, int(v % 1000 / 100), int(v % 100)}] {
				t.Fatalf("tombstone %d yielded", v)
			}
			seen++
		}
	}
	if seen == 0 {
		t.Fatal("no rows")
	}
	agg := schema(bigint(1), &commonpb.Column{UniqueId: 2, Name: "s", Type: types.New(types.BigInt).Proto(), Aggregation: "SUM"})
	agg.KeysType = commonpb.KeysType_AGG_KEYS
	sc, err = f.reader.Scan(snap, agg, []int32{1, 2}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.TrackOrigins(); !errors.Is(err, tablet.ErrUnsupported) {
		t.Fatalf("origins of a merged scan: %v", err)
	}
}
