package stats

import (
	"context"
	"github.com/doricdb/doric/metaservice/kv/local/localtest"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/kv"
)

var ctx = context.Background()

func get(t *testing.T, db kv.DB, m *metapb.TabletMeta) *metapb.TabletStats {
	t.Helper()
	var st *metapb.TabletStats
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		var err error
		st, err = Get(tx, "i", m)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestConcurrentAddsSum: concurrent random deltas (rowsets added and removed) sum exactly, on
// top of the stored message, and leave a neighbour tablet alone.
func TestConcurrentAddsSum(t *testing.T) {
	db := localtest.Open(t)
	m := &metapb.TabletMeta{TabletId: 4, DbId: 1, TableId: 2, IndexId: 3, PartitionId: 5}
	neighbour := &metapb.TabletMeta{TabletId: 6, DbId: 1, TableId: 2, IndexId: 3, PartitionId: 5}
	if err := db.Update(ctx, func(tx kv.Txn) error {
		if err := Init(tx, "i", m); err != nil {
			return err
		}
		return Init(tx, "i", neighbour)
	}); err != nil {
		t.Fatal(err)
	}
	if st := get(t, db, m); st.GetNumRowsets() != 0 || st.GetTabletId() != 4 || st.GetPartitionId() != 5 {
		t.Fatalf("fresh stats %v", st)
	}
	var mu sync.Mutex
	var want Delta
	var wg sync.WaitGroup
	for range 4 + rand.IntN(8) {
		wg.Go(func() {
			rs := &metapb.RowsetMeta{NumRows: rand.Int64N(1000), TotalSize: rand.Int64N(1 << 20), NumSegments: rand.Int32N(5)}
			d := Of(rs)
			if rand.IntN(3) == 0 {
				d = Delta{}.Minus(d)
			}
			if err := db.Update(ctx, func(tx kv.Txn) error { return Add(tx, "i", m, d) }); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			want = want.Plus(d)
			mu.Unlock()
		})
	}
	wg.Wait()
	// The message keeps its own fields; Init again changes nothing.
	if err := db.Update(ctx, func(tx kv.Txn) error {
		base, err := Base(tx, "i", m)
		if err != nil {
			return err
		}
		base.CumulativePoint = 9
		base.NumRows = 100 // a base value the counters add to
		if err := PutBase(tx, "i", base); err != nil {
			return err
		}
		return Init(tx, "i", m)
	}); err != nil {
		t.Fatal(err)
	}
	st := get(t, db, m)
	got := Delta{NumRows: st.NumRows - 100, DataSize: st.DataSize, NumRowsets: st.NumRowsets, NumSegments: st.NumSegments}
	if got != want || st.GetCumulativePoint() != 9 {
		t.Fatalf("stats %v, want %+v (+100 rows) and cumulative point 9", st, want)
	}
	if n := get(t, db, neighbour); n.GetNumRowsets() != 0 || n.GetNumRows() != 0 {
		t.Fatalf("neighbour %v", n)
	}
	if AddCost("i", m) <= 4*8 {
		t.Fatalf("AddCost %d", AddCost("i", m))
	}
}
