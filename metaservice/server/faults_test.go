package server_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/faulty"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/metaservice/server"
)

// faultyDB is the embedded store behind a wrapper that injects conflicts and unknown commit
// results (applied or not) into every kind of transaction.
func faultyDB(t *testing.T, seed uint64) *faulty.DB {
	t.Helper()
	inner, err := local.OpenWith(filepath.Join(t.TempDir(), "meta.db"), kv.Options{Retry: kv.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	db, err := faulty.New(inner, faulty.Config{Seed: seed, Retry: kv.RetryPolicy{MaxAttempts: 40, MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestLoadsUnderFaults: concurrent clients run loads (some lazy, some aborted) through two
// servers over a store that injects conflicts and unknown commit results. Per partition the
// versions are exactly 2..N+1, every rowset of a committed load is visible exactly once and none
// of an aborted one, statistics count them, every label retry returns the original txn.
func TestLoadsUnderFaults(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	db := faultyDB(t, seed)
	a, b := serve(t, db, server.WithCommitBudget(1200)), serve(t, db, server.WithCommitBudget(1200))
	boot := &cluster{t: t, c: a}
	boot.bootstrap(1, 2, 3, 4)
	if err := db.SetRates(faulty.Rates{Conflict: 0.1, UnknownNotApplied: 0.05, UnknownApplied: 0.1}); err != nil {
		t.Fatal(err)
	}
	const workers, loads = 8, 12
	type done struct {
		txn     int64
		rowsets []string
		vs      []*metapb.PartitionVersion
	}
	var mu sync.Mutex
	var committed []done
	aborted := map[string]bool{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := range loads {
				c := a
				if rng.IntN(2) == 0 {
					c = b
				}
				label := fmt.Sprintf("w%d-%d", w, i)
				bt, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: label, TableIds: []int64{table}})
				if err != nil || bt.GetLabelExists() {
					t.Errorf("begin %s: %v %v", label, bt, err)
					return
				}
				var ids []string
				for _, p := range rng.Perm(4)[:1+rng.IntN(3)] {
					tb := tabletID(int64(p+1), rng.IntN(2))
					rs := &metapb.RowsetMeta{RowsetId: fmt.Sprintf("%s-%d", label, tb), TabletId: tb, TxnId: bt.GetTxnId(), NumRows: 1, TotalSize: 10, NumSegments: 1}
					if _, err := c.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{Rowset: rs}); err != nil {
						t.Errorf("prepare: %v", err)
						return
					}
					if _, err := c.CommitRowset(ctx, &metapb.CommitRowsetRequest{Rowset: rs}); err != nil {
						t.Errorf("commit rowset: %v", err)
						return
					}
					ids = append(ids, rs.GetRowsetId())
				}
				if rng.IntN(6) == 0 {
					if _, err := c.AbortTxn(ctx, &metapb.AbortTxnRequest{DbId: dbID, TxnId: bt.GetTxnId(), Reason: "test"}); err != nil {
						t.Errorf("abort: %v", err)
						return
					}
					mu.Lock()
					for _, id := range ids {
						aborted[id] = true
					}
					mu.Unlock()
					continue
				}
				ct, err := c.CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: bt.GetTxnId()})
				if err != nil || ct.GetTxn().GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
					t.Errorf("commit %s: %v %v", label, ct, err)
					return
				}
				dup, err := b.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: label})
				if err != nil || !dup.GetLabelExists() || dup.GetTxnId() != bt.GetTxnId() {
					t.Errorf("label retry %s: %v %v", label, dup, err)
					return
				}
				mu.Lock()
				committed = append(committed, done{bt.GetTxnId(), ids, ct.GetVersions()})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	counts := db.Counts()
	t.Logf("%d commits; injected %+v", len(committed), counts)
	if counts.UnknownApplied == 0 || counts.Conflicts == 0 {
		t.Fatalf("no faults injected: %+v", counts)
	}
	perPartition := map[int64][]int64{}
	visible := map[string]bool{}
	for _, d := range committed {
		for _, pv := range d.vs {
			perPartition[pv.GetPartitionId()] = append(perPartition[pv.GetPartitionId()], pv.GetVersion())
		}
		for _, id := range d.rowsets {
			visible[id] = true
		}
	}
	for p := int64(1); p <= 4; p++ {
		vs := perPartition[p]
		seen := map[int64]bool{}
		for _, v := range vs {
			if v < 2 || v > int64(len(vs))+1 || seen[v] {
				t.Fatalf("partition %d: versions %v are not 2..%d", p, vs, len(vs)+1)
			}
			seen[v] = true
		}
		if got := boot.version(p); got != int64(len(vs))+1 {
			t.Fatalf("partition %d at version %d after %d commits", p, got, len(vs))
		}
	}
	found := 0
	for p := int64(1); p <= 4; p++ {
		for bk := range 2 {
			tb := tabletID(p, bk)
			rs := boot.rowsets(tb, 0, 1<<40)
			for _, r := range rs {
				if !visible[r.GetRowsetId()] {
					t.Fatalf("tablet %d: rowset %s is not of a committed load", tb, r.GetRowsetId())
				}
				found++
			}
			st, err := a.GetTabletStats(ctx, &metapb.GetTabletStatsRequest{TabletIds: []int64{tb}})
			if err != nil || st.GetStats()[0].GetNumRowsets() != int64(len(rs)) || st.GetStats()[0].GetNumRows() != int64(len(rs)) {
				t.Fatalf("tablet %d: stats %v for %d rowsets (%v)", tb, st, len(rs), err)
			}
		}
	}
	if found != len(visible) {
		t.Fatalf("%d rowsets visible, %d committed", found, len(visible))
	}
	for id := range aborted {
		if visible[id] {
			t.Fatalf("aborted rowset %s visible", id)
		}
	}
}

// TestCompactionUnderFaults: compactions started, renewed and committed through a store that
// injects unknown commit results still swap each range exactly once.
func TestCompactionUnderFaults(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	db := faultyDB(t, seed)
	cl := &cluster{t: t, c: serve(t, db)}
	cl.bootstrap(1)
	tb := tabletID(1, 0)
	for i := range 12 {
		_, err := cl.load(fmt.Sprint("l", i), tb)
		cl.must(err, "load")
	}
	if err := db.SetRates(faulty.Rates{Conflict: 0.1, UnknownNotApplied: 0.1, UnknownApplied: 0.3}); err != nil {
		t.Fatal(err)
	}
	c := cl.c
	// Fold versions 2..13 pairwise: [2,3], [4,5], ...
	for v := int64(2); v < 14; v += 2 {
		id := fmt.Sprint("job-", v)
		_, err := c.StartTabletJob(ctx, &metapb.StartTabletJobRequest{TabletId: tb, Compaction: &metapb.CompactionJob{Id: id, StartVersion: v, EndVersion: v + 1}})
		cl.must(err, "start")
		_, err = c.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{TabletId: tb, JobId: id, Action: metapb.TabletJobAction_JOB_LEASE})
		cl.must(err, "lease")
		out := &metapb.RowsetMeta{RowsetId: "out-" + id, StartVersion: v, EndVersion: v + 1, NumRows: 2, NumSegments: 1}
		_, err = c.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{Rowset: &metapb.RowsetMeta{RowsetId: out.RowsetId, TabletId: tb}, JobId: id})
		cl.must(err, "prepare output")
		_, err = c.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{TabletId: tb, JobId: id, Action: metapb.TabletJobAction_JOB_COMMIT, OutputRowset: out})
		cl.must(err, "commit")
	}
	rs := cl.rowsets(tb, 0, 1<<40)
	if len(rs) != 6 {
		t.Fatalf("%d rowsets after 6 compactions: %v", len(rs), rs)
	}
	for i, r := range rs {
		if r.GetStartVersion() != int64(2+2*i) || r.GetEndVersion() != int64(3+2*i) {
			t.Fatalf("rowset %d: %v", i, r)
		}
	}
	st, err := c.GetTabletStats(ctx, &metapb.GetTabletStatsRequest{TabletIds: []int64{tb}})
	cl.must(err, "stats")
	if s := st.GetStats()[0]; s.GetNumRowsets() != 6 || s.GetNumRows() != 12 || s.GetCumulativeCompactionCnt() != 6 {
		t.Fatalf("stats %v", s)
	}
	t.Logf("injected %+v", db.Counts())
}
