package recycler_test

import (
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
)

// TestReclaimedRowsetsLoseTheirBitmaps: when a compaction's inputs are reclaimed, their delete
// bitmaps (every version and segment) go with them; the bitmaps of live rowsets — the output's
// and those of rowsets of the same tablet outside the compaction — stay.
func TestReclaimedRowsetsLoseTheirBitmaps(t *testing.T) {
	e := newEnv(t)
	tb := e.tablets(1, 1, 1)[0]
	e.load("l1", tb)
	e.load("l2", tb)
	inputs := e.visible(tb)
	put := func(rowsetID string, version, segment int64) []byte {
		k := keys.DeleteBitmap(inst, tb, rowsetID, version, segment)
		if err := e.db.Update(ctx, func(tx kv.Txn) error {
			return kv.SetProto(tx, k, &metapb.DeleteBitmapEntry{Bitmap: []byte{1, 2, 3}})
		}); err != nil {
			t.Fatal(err)
		}
		return k
	}
	var inputKeys [][]byte
	for _, rs := range inputs {
		for _, v := range []int64{rs.GetEndVersion(), rs.GetEndVersion() + 1, 99} {
			for seg := range int64(2) {
				inputKeys = append(inputKeys, put(rs.GetRowsetId(), v, seg))
			}
		}
	}
	e.compact(tb)
	out := e.visible(tb)[0]
	outKey := put(out.GetRowsetId(), 99, 0)
	e.load("l3", tb)
	later := e.visible(tb)[1]
	laterKey := put(later.GetRowsetId(), 99, 0)

	r := e.recycler(nil)
	e.clk.Advance(29 * time.Minute)
	wantKinds(t, "29 min", e.round(r), nil)
	for _, k := range inputKeys {
		if !e.has(k) {
			t.Fatalf("29 min: bitmap %s removed before its rowset", keys.Pretty(k))
		}
	}
	e.clk.Advance(2 * time.Minute)
	wantKinds(t, "31 min", e.round(r), map[string]int{"compacted_rowset": 2})
	for _, k := range inputKeys {
		if e.has(k) {
			t.Fatalf("bitmap %s of a reclaimed rowset survived", keys.Pretty(k))
		}
	}
	for _, k := range [][]byte{outKey, laterKey} {
		if !e.has(k) {
			t.Fatalf("bitmap %s of a live rowset was removed", keys.Pretty(k))
		}
	}
	e.check(r)
}
