package recycler_test

import (
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/recycler"
	"github.com/doricdb/doric/vault"
)

// kinds returns the Recycled count of every kind of a report, by name.
func kinds(rep recycler.Report) map[string]int {
	out := map[string]int{}
	for k, kr := range rep.Kinds {
		if kr.Recycled != 0 {
			out[recycler.Kind(k).String()] = kr.Recycled
		}
	}
	return out
}

func wantKinds(t *testing.T, step string, rep recycler.Report, want map[string]int) {
	t.Helper()
	got := kinds(rep)
	if len(got) != len(want) {
		t.Fatalf("%s: recycled %v, want %v\n%s", step, got, want, rep.String())
	}
	for k, n := range want {
		if got[k] != n {
			t.Fatalf("%s: recycled %v, want %v\n%s", step, got, want, rep.String())
		}
	}
}

// TestRoundReclaimsEachKindAfterItsRetention walks the clock through Doris's default
// retentions over a store with every kind of garbage and checks that each is reclaimed exactly
// when due (not a minute before), files first, that live data is never touched, and that the
// checker finds nothing at any step.
func TestRoundReclaimsEachKindAfterItsRetention(t *testing.T) {
	e := newEnv(t)
	p1 := e.tablets(1, 2, 1, 2) // index 1 (base) and 2 (a rollup)
	p2 := e.tablets(2, 2, 1)
	t110, t111, t210 := p1[0], p1[1], p1[2]

	l1 := e.load("l1", t110, t111, t210)
	e.load("l2", t110)
	p2rs := e.load("p2", p2...)
	inputs := e.compact(t110) // l1[0] and l2[0]
	mTxn := e.begin("m")      // uploads and never commits its rowset
	marker := e.stage(mTxn, t111, false)
	aTxn := e.begin("a") // aborted
	aborted := e.stage(aTxn, t111, true)
	if _, err := e.srv.AbortTxn(ctx, &metapb.AbortTxnRequest{InstanceId: inst, DbId: dbID, TxnId: aTxn, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	xTxn := e.begin("x") // commits its rowset, never the txn: expires
	expiredRs := e.stage(xTxn, t110, true)
	if _, err := e.srv.DropPartition(ctx, &metapb.PartitionRequest{InstanceId: inst, DbId: dbID, TableId: table, IndexIds: []int64{1}, PartitionIds: []int64{2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.DropIndex(ctx, &metapb.IndexRequest{InstanceId: inst, DbId: dbID, TableId: table, IndexIds: []int64{2}}); err != nil {
		t.Fatal(err)
	}
	live := append([]*metapb.RowsetMeta{l1[1]}, e.visible(t110)...) // t111's l1 rowset and t110's compaction output

	r := e.recycler(nil)
	liveOK := func(step string) {
		t.Helper()
		for _, rs := range live {
			if n := e.filesOf(rs); n != int(rs.GetNumSegments())+1 {
				t.Fatalf("%s: live rowset %s of tablet %d has %d files, want %d", step, rs.GetRowsetId(), rs.GetTabletId(), n, rs.GetNumSegments()+1)
			}
		}
		e.check(r)
	}
	gone := func(step string, rss ...*metapb.RowsetMeta) {
		t.Helper()
		for _, rs := range rss {
			if n := e.filesOf(rs); n != 0 {
				t.Fatalf("%s: rowset %s of tablet %d still has %d files", step, rs.GetRowsetId(), rs.GetTabletId(), n)
			}
			if e.has(keys.RecycleRowset(inst, rs.GetTabletId(), rs.GetRowsetId())) {
				t.Fatalf("%s: rowset %s still has its recycle entry", step, rs.GetRowsetId())
			}
		}
	}
	kept := func(step string, rss ...*metapb.RowsetMeta) {
		t.Helper()
		for _, rs := range rss {
			if n := e.filesOf(rs); n != int(rs.GetNumSegments())+1 {
				t.Fatalf("%s: rowset %s of tablet %d has %d files, want %d", step, rs.GetRowsetId(), rs.GetTabletId(), n, rs.GetNumSegments()+1)
			}
		}
	}

	wantKinds(t, "at once", e.round(r), nil)
	liveOK("at once")

	e.clk.Advance(29 * time.Minute)
	wantKinds(t, "29 min", e.round(r), nil)
	kept("29 min", inputs...)
	e.clk.Advance(2 * time.Minute)
	wantKinds(t, "31 min", e.round(r), map[string]int{"compacted_rowset": 2})
	gone("31 min", inputs...)
	liveOK("31 min")

	e.clk.Advance(30 * time.Minute) // the txns' 1 h timeout has passed
	wantKinds(t, "61 min", e.round(r), map[string]int{"expired_txn": 2})
	for _, id := range []int64{mTxn, xTxn} {
		g, err := e.srv.GetTxn(ctx, &metapb.GetTxnRequest{InstanceId: inst, DbId: dbID, TxnId: id})
		if err != nil || g.GetTxn().GetStatus() != metapb.TxnStatus_TXN_ABORTED {
			t.Fatalf("expired txn %d: %v %v", id, g, err)
		}
	}
	kept("61 min", marker, aborted, expiredRs)
	liveOK("61 min")

	e.clk.Advance(2 * time.Hour) // 3 h 1 min: the dropped partition and index
	wantKinds(t, "3 h", e.round(r), map[string]int{"partition": 1, "index": 1})
	gone("3 h", append(p2rs, l1[2])...)
	for _, tb := range append(p2, p1[2:]...) {
		if e.has(keys.TabletIndex(inst, tb)) {
			t.Fatalf("tablet %d of a dropped partition or index still has its index key", tb)
		}
		if _, err := e.srv.GetTablet(ctx, &metapb.GetTabletRequest{InstanceId: inst, TabletId: tb}); err == nil {
			t.Fatalf("tablet %d of a dropped partition or index still exists", tb)
		}
		if objs, _ := e.st.List(ctx, vault.TabletPrefix(tb)); len(objs) != 0 {
			t.Fatalf("tablet %d of a dropped partition or index still has files %v", tb, objs)
		}
	}
	if e.has(keys.PartitionVersion(inst, dbID, table, 2)) || !e.has(keys.PartitionVersion(inst, dbID, table, 1)) {
		t.Fatal("the dropped partition's version should be gone, the live one's kept")
	}
	if e.has(keys.RecyclePartition(inst, 2)) || e.has(keys.RecycleIndex(inst, 2)) {
		t.Fatal("recycle entries of the dropped partition and index are still there")
	}
	liveOK("3 h")

	e.clk.Advance(69 * time.Hour) // 72 h 1 min: the aborted txn's rowset; labels of txns finished at 0
	wantKinds(t, "72 h", e.round(r), map[string]int{"rowset": 1, "txn_label": 4})
	gone("72 h", aborted)
	kept("72 h", marker, expiredRs)
	for _, label := range []string{"l1", "l2", "a", "p2"} {
		if _, err := e.srv.GetTxn(ctx, &metapb.GetTxnRequest{InstanceId: inst, DbId: dbID, Label: label}); err == nil {
			t.Fatalf("label %s still has its txn", label)
		}
		if e.has(keys.TxnLabel(inst, dbID, label)) {
			t.Fatalf("label %s is still there", label)
		}
	}
	liveOK("72 h")

	e.clk.Advance(time.Hour) // 73 h 1 min: the marker and the expired txn's rowset, their labels
	wantKinds(t, "73 h", e.round(r), map[string]int{"rowset": 2, "txn_label": 2})
	gone("73 h", marker, expiredRs)
	liveOK("73 h")

	// Nothing is left in the recycle family; a label is reusable; the live data is readable.
	if n := countRange(t, e, keys.RecycleIndexRange, keys.RecyclePartitionRange, keys.RecycleRowsetRange, keys.RecycleTxnRange); n != 0 {
		t.Fatalf("%d recycle entries left", n)
	}
	e.load("l1", t111)
	if got := len(e.visible(t111)); got != 2 {
		t.Fatalf("tablet %d has %d visible rowsets, want 2", t111, got)
	}

	// Metrics: what the last round did and when the last success was.
	if got := metric(t, r, "doric_recycler_recycled_total", "rowset"); got != 3 {
		t.Errorf("recycled_total{rowset} = %v, want 3", got)
	}
	if got := metric(t, r, "doric_recycler_recycled_bytes_total", "compacted_rowset"); got != float64(inputs[0].GetTotalSize()+inputs[1].GetTotalSize()) {
		t.Errorf("recycled_bytes_total{compacted_rowset} = %v", got)
	}
	l, err := recycler.ReadLease(ctx, e.db, inst)
	if err != nil || l == nil || l.Busy || l.LastSuccessMs != e.clk.Now().UnixMilli() || l.Owner != r.Owner() {
		t.Fatalf("lease after the rounds: %+v %v", l, err)
	}
	if got := metric(t, r, "doric_recycler_last_success_timestamp_seconds", ""); got != float64(e.clk.Now().Unix()) {
		t.Fatalf("last success gauge %v, want %d", got, e.clk.Now().Unix())
	}
}

// metric returns the value of a counter or gauge of the registry with labels instance=inst and
// (when kind is not empty) kind.
func metric(t *testing.T, r *recycler.Recycler, name, kind string) float64 {
	t.Helper()
	mfs, err := r.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if (lp.GetName() == "instance" && lp.GetValue() != inst) || (lp.GetName() == "kind" && lp.GetValue() != kind) {
					continue next
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s{kind=%q}", name, kind)
	return 0
}

func countRange(t *testing.T, e *env, ranges ...func(string) ([]byte, []byte)) int {
	t.Helper()
	n := 0
	for _, rg := range ranges {
		b, en := rg(inst)
		if err := e.db.View(ctx, func(tx kv.ReadTxn) error {
			kvs, err := tx.GetRange(b, en, 0, false)
			n += len(kvs)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	return n
}
