package txn

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/rowset"
	"github.com/doricdb/doric/metaservice/stats"
	"github.com/doricdb/doric/metaservice/tablet"
	"github.com/doricdb/doric/metaservice/version"
)

// bigTablets adds tablets 5000+p*1000+b (b < buckets) to partitions partitionOf(p).
func (e *env) bigTablets(partitions, buckets int) []int64 {
	var metas []*metapb.TabletMeta
	var ids []int64
	for p := range partitions {
		for b := range buckets {
			id := int64(5000 + p*1000 + b)
			ids = append(ids, id)
			metas = append(metas, &metapb.TabletMeta{TabletId: id, DbId: db1, TableId: table, IndexId: index, PartitionId: partitionOf(p)})
		}
	}
	e.do(func(tx kv.Txn) error { return tablet.Create(tx, inst, metas, "vault-1", t0) })
	return ids
}

// bigRowset is a rowset of about size bytes of metadata (segment sizes).
func bigRowset(txnID, tabletID int64, size int) *metapb.RowsetMeta {
	rs := &metapb.RowsetMeta{RowsetId: fmt.Sprintf("big-%d-%d", txnID, tabletID), TabletId: tabletID, TxnId: txnID, NumRows: 7, TotalSize: 1000}
	for i := range size / 6 { // 6-byte varints
		rs.SegmentSizes = append(rs.SegmentSizes, 1<<40+int64(i))
	}
	rs.NumSegments = int32(len(rs.SegmentSizes))
	return rs
}

// commitBig commits one tmp rowset of about rowsetSize bytes per tablet to txn, a few per kv
// transaction, and returns the bytes of metadata committed.
func (e *env) commitBig(txnID int64, tablets []int64, rowsetSize int) int {
	total := 0
	for chunk := range slices.Chunk(tablets, 1+rand.IntN(20)) {
		e.do(func(tx kv.Txn) error {
			for _, tb := range chunk {
				if err := CommitRowset(tx, inst, bigRowset(txnID, tb, rowsetSize), t0); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for _, tb := range tablets {
		total += proto.Size(bigRowset(txnID, tb, rowsetSize))
	}
	return total
}

// snapshotCheck checks, in one read snapshot, that a partition without pending lazy commits
// shows txn all-or-nothing: every tablet has its rowset at the version, or none has. It returns
// what it saw: "before", "pending" or "after".
func snapshotCheck(tx kv.ReadTxn, txnID int64, tablets []int64, partitions int, oldVersion int64) (string, error) {
	pending := false
	var versions []int64
	for p := range partitions {
		pv, err := version.Partition(tx, inst, db1, table, partitionOf(p))
		if err != nil {
			return "", err
		}
		if slices.Contains(pv.GetPendingTxnIds(), txnID) {
			pending = true
		}
		versions = append(versions, pv.GetVersion())
	}
	if pending {
		return "pending", nil
	}
	visible := 0
	for _, tb := range tablets {
		begin, end := keys.RowsetRange(inst, tb, oldVersion+1, oldVersion+1)
		kvs, err := tx.GetRange(begin, end, 0, false)
		if err != nil {
			return "", err
		}
		visible += len(kvs)
	}
	switch {
	case visible == 0 && slices.Max(versions) == oldVersion:
		return "before", nil
	case visible == len(tablets) && slices.Min(versions) == oldVersion+1:
		return "after", nil
	}
	return "", fmt.Errorf("partial state: %d of %d rowsets visible, versions %v, no pending marker", visible, len(tablets), versions)
}

// TestLazyCommitOverBudget commits more than 7 MiB of rowset metadata with the default budget
// while readers look: a snapshot reader checks that no snapshot without a pending marker is
// partial, and a finishing reader (what get_version and get_rowsets do) finishes the commit itself
// and must see all of it.
func TestLazyCommitOverBudget(t *testing.T) {
	e := newEnv(t, 0, 0)
	const parts = 2
	tablets := e.bigTablets(parts, 45)
	info, _ := e.begin("big")
	id := info.GetTxnId()
	total := e.commitBig(id, tablets, 90_000)
	if total <= DefaultCommitBudget {
		t.Fatalf("only %d bytes of rowset metadata", total)
	}
	stop := make(chan struct{})
	var seen sync.Map
	var finishedByReader atomic.Bool
	var wg sync.WaitGroup
	pause := func() bool {
		select {
		case <-stop:
			return false
		case <-time.After(time.Millisecond):
			return true
		}
	}
	wg.Go(func() { // snapshot reader
		for pause() {
			if err := e.db.View(ctx, func(tx kv.ReadTxn) error {
				what, err := snapshotCheck(tx, id, tablets, parts, version.Initial)
				seen.Store(what, true)
				return err
			}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Go(func() { // finishing reader
		for pause() {
			var pending []int64
			if err := e.db.View(ctx, func(tx kv.ReadTxn) error {
				pv, err := version.Partition(tx, inst, db1, table, partitionOf(rand.IntN(parts)))
				pending = pv.GetPendingTxnIds()
				return err
			}); err != nil {
				t.Error(err)
				return
			}
			for _, p := range pending {
				if _, err := FinishLazy(ctx, e.db, inst, db1, p, time.Now, e.opts); err != nil {
					t.Error(err)
					return
				}
				finishedByReader.Store(true)
			}
			if err := e.db.View(ctx, func(tx kv.ReadTxn) error {
				what, err := snapshotCheck(tx, id, tablets, parts, version.Initial)
				if what == "pending" {
					err = errors.New("pending after FinishLazy")
				}
				return err
			}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
	got, vs, err := e.commit(id)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got.GetStatus() != metapb.TxnStatus_TXN_VISIBLE || len(vs) != parts {
		t.Fatalf("commit: %v", got)
	}
	t.Logf("%d bytes; readers saw %v; a reader finished it: %v", total, keysOf(&seen), finishedByReader.Load())
	if err := e.db.View(ctx, func(tx kv.ReadTxn) error {
		what, err := snapshotCheck(tx, id, tablets, parts, version.Initial)
		if what != "after" {
			t.Errorf("after commit: %s", what)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	e.checkDone(id, tablets)
}

func keysOf(m *sync.Map) []any {
	var out []any
	m.Range(func(k, _ any) bool { out = append(out, k); return true })
	return out
}

// checkDone checks what a finished commit leaves: no tmp rowset, no pending marker, a recycle-txn
// entry (for id != 0), statistics that sum the visible rowsets of the tablets.
func (e *env) checkDone(id int64, tablets []int64) {
	e.t.Helper()
	if n := e.count(keys.RowsetTmpRange(inst, id)); n != 0 {
		e.t.Errorf("%d tmp rowsets left", n)
	}
	e.do(func(tx kv.Txn) error {
		for p := range 4 {
			pv, err := version.Partition(tx, inst, db1, table, partitionOf(p))
			if err != nil {
				return err
			}
			if len(pv.GetPendingTxnIds()) != 0 {
				e.t.Errorf("partition %d still pending %v", p, pv.GetPendingTxnIds())
			}
		}
		rt := &metapb.RecycleTxn{}
		if ok, err := kv.GetProto(tx, keys.RecycleTxn(inst, db1, id), rt); id != 0 && (err != nil || !ok || rt.GetStatus() != metapb.TxnStatus_TXN_VISIBLE) {
			e.t.Errorf("recycle txn entry %v %v", rt, err)
		}
		for _, tb := range tablets {
			ids, err := tablet.Index(tx, inst, tb)
			if err != nil {
				return err
			}
			st, err := stats.Get(tx, inst, ids)
			if err != nil {
				return err
			}
			rs, _ := rowset.Visible(tx, inst, tb, 0, 1<<62)
			var want stats.Delta
			for _, r := range rs {
				want = want.Plus(stats.Of(r))
			}
			if got := (stats.Delta{NumRows: st.NumRows, DataSize: st.DataSize, NumRowsets: st.NumRowsets, NumSegments: st.NumSegments}); got != want {
				e.t.Errorf("tablet %d stats %+v, visible rowsets sum to %+v", tb, got, want)
			}
		}
		return nil
	})
}

// TestLazyCommitCrashAndTakeOver runs lazy commits with small random budgets, stops the first
// finisher after a random number of batches (a crash), checks the partial state is guarded by the
// pending marker, and lets another finisher (another server) complete it; a replayed commit and a
// replayed batch change nothing.
func TestLazyCommitCrashAndTakeOver(t *testing.T) {
	e := newEnv(t, 0, 0)
	const parts = 3
	tablets := e.bigTablets(parts, 4+rand.IntN(8))
	for round := range 3 {
		info, _ := e.begin(fmt.Sprint("lazy-", round))
		id := info.GetTxnId()
		total := e.commitBig(id, tablets, 500+rand.IntN(3000))
		e.opts.CommitBudget = 1 + rand.IntN(total)
		now := t0.Add(time.Second)
		var c *metapb.TxnInfo
		e.do(func(tx kv.Txn) error {
			var err error
			c, err = Commit(tx, inst, CommitSpec{DBID: db1, TxnID: id}, now, e.opts)
			return err
		})
		if c.GetStatus() != metapb.TxnStatus_TXN_COMMITTED {
			t.Fatalf("round %d: commit over budget %d: %v", round, e.opts.CommitBudget, c.GetStatus())
		}
		// A replayed commit point reserves nothing new.
		var again *metapb.TxnInfo
		e.do(func(tx kv.Txn) error {
			var err error
			again, err = Commit(tx, inst, CommitSpec{DBID: db1, TxnID: id}, now, e.opts)
			return err
		})
		if !proto.Equal(again, c) {
			t.Fatalf("replayed commit point: %v, want %v", again, c)
		}
		for _, pv := range c.GetVersions() {
			if pv.GetVersion() != int64(round)+2 {
				t.Fatalf("round %d reserved %v", round, pv)
			}
		}
		crashAfter := rand.IntN(4)
		for range crashAfter {
			e.do(func(tx kv.Txn) error { _, err := FinishBatch(tx, inst, db1, id, now, e.opts); return err })
			if err := e.db.View(ctx, func(tx kv.ReadTxn) error {
				_, err := snapshotCheck(tx, id, tablets, parts, int64(round)+1)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		// Another server takes over, twice at once.
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				if info, err := FinishLazy(ctx, e.db, inst, db1, id, time.Now, e.opts); err != nil || info.GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
					t.Errorf("FinishLazy: %v %v", info, err)
				}
			})
		}
		wg.Wait()
		e.do(func(tx kv.Txn) error { _, err := FinishBatch(tx, inst, db1, id, now, e.opts); return err })
		if err := e.db.View(ctx, func(tx kv.ReadTxn) error {
			what, err := snapshotCheck(tx, id, tablets, parts, int64(round)+1)
			if what != "after" {
				t.Errorf("round %d: %s after FinishLazy", round, what)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		e.checkDone(id, tablets)
	}
}

// TestImmediateCommitKeepsPendingMarker: a small commit into a partition with a pending lazy
// commit takes the next version and keeps the marker, so readers still finish the lazy one.
func TestImmediateCommitKeepsPendingMarker(t *testing.T) {
	e := newEnv(t, 1, 2)
	bigTablets := e.bigTablets(1, 3)
	e.opts.CommitBudget = 3000
	big, _ := e.begin("big")
	e.commitBig(big.GetTxnId(), bigTablets, 2000)
	e.do(func(tx kv.Txn) error {
		_, err := Commit(tx, inst, CommitSpec{DBID: db1, TxnID: big.GetTxnId()}, t0, e.opts)
		return err
	})
	small, _ := e.begin("small")
	if err := e.load(small.GetTxnId(), tabletOf(0, 0), "small-r"); err != nil {
		t.Fatal(err)
	}
	_, vs, err := e.commit(small.GetTxnId())
	if err != nil || len(vs) != 1 || vs[0].GetVersion() != 3 {
		t.Fatalf("small commit: %v %v", vs, err)
	}
	e.do(func(tx kv.Txn) error {
		pv, err := version.Partition(tx, inst, db1, table, partitionOf(0))
		if err == nil && (pv.GetVersion() != 3 || !slices.Equal(pv.GetPendingTxnIds(), []int64{big.GetTxnId()})) {
			t.Errorf("partition after the small commit: %v", pv)
		}
		return err
	})
	if _, err := FinishLazy(ctx, e.db, inst, db1, big.GetTxnId(), time.Now, e.opts); err != nil {
		t.Fatal(err)
	}
	for _, tb := range bigTablets {
		if rs := e.visible(tb); len(rs) != 1 || rs[0].GetEndVersion() != 2 {
			t.Fatalf("tablet %d: %v", tb, rs)
		}
	}
	if v := e.version(0); v != 3 {
		t.Fatalf("version %d", v)
	}
}

// TestLazyCommitSurvivesRecycledTablet: a tablet recycled between the commit point and the
// batches (its partition dropped while the commit waited) does not wedge the commit; its rowset
// goes to the recycler.
func TestLazyCommitSurvivesRecycledTablet(t *testing.T) {
	e := newEnv(t, 0, 0)
	tablets := e.bigTablets(1, 3)
	e.opts.CommitBudget = 100
	info, _ := e.begin("doomed")
	id := info.GetTxnId()
	e.commitBig(id, tablets, 1000)
	e.do(func(tx kv.Txn) error {
		_, err := Commit(tx, inst, CommitSpec{DBID: db1, TxnID: id}, t0, e.opts)
		return err
	})
	gone := tablets[1]
	e.do(func(tx kv.Txn) error {
		if err := tx.Clear(keys.TabletIndex(inst, gone)); err != nil {
			return err
		}
		return tx.Clear(keys.Tablet(inst, table, index, partitionOf(0), gone))
	})
	got, err := FinishLazy(ctx, e.db, inst, db1, id, time.Now, e.opts)
	if err != nil || got.GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
		t.Fatalf("FinishLazy: %v %v", got, err)
	}
	for _, tb := range tablets {
		if n := len(e.visible(tb)); (tb == gone) != (n == 0) {
			t.Errorf("tablet %d: %d visible rowsets", tb, n)
		}
	}
	e.do(func(tx kv.Txn) error {
		m, err := rowset.Marked(tx, inst, gone, fmt.Sprintf("big-%d-%d", id, gone))
		if m == nil {
			t.Errorf("the recycled tablet's rowset has no recycle entry")
		}
		return err
	})
}
