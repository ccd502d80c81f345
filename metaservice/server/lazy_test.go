package server_test

import (
	"fmt"
	"github.com/doricdb/doric/metaservice/kv/local/localtest"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/server"
	"github.com/doricdb/doric/metaservice/txn"
)

// TestLazyCommitThroughGRPC commits more than 7 MiB of rowset metadata with the default budget,
// so commit_txn is lazy, while readers on a second server over the same store read a
// partition's version and then every tablet of it at that version: they must see each load's
// rowset on all tablets or on none. First with a committer that stops after the commit point
// (a crash: the readers finish the commit), then through gRPC with readers running alongside.
func TestLazyCommitThroughGRPC(t *testing.T) {
	db := localtest.Open(t)
	writer, reader := serve(t, db), serve(t, db, server.WithCommitBudget(server.DefaultCommitBudget))
	cl := &cluster{t: t, c: writer}
	cl.bootstrap() // instance, group
	const parts, buckets, rowsetBytes = 2, 42, 90_000
	tabletOf := func(p, b int) int64 { return int64(10_000 + p*100 + b) }
	var tablets []*metapb.TabletMeta
	for p := range parts {
		for b := range buckets {
			tablets = append(tablets, &metapb.TabletMeta{TabletId: tabletOf(p, b), DbId: dbID, TableId: table, IndexId: index, PartitionId: int64(p + 1)})
		}
	}
	_, err := writer.CreateTablets(ctx, &metapb.CreateTabletsRequest{Tablets: tablets})
	cl.must(err, "create tablets")
	// bigTxn begins a txn and commits a ~90 KB tmp rowset to every tablet.
	bigTxn := func(label string) (int64, int) {
		b, err := writer.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: label, TableIds: []int64{table}})
		cl.must(err, "begin")
		total := 0
		for _, tm := range tablets {
			rs := &metapb.RowsetMeta{RowsetId: fmt.Sprint(label, "-", tm.GetTabletId()), TabletId: tm.GetTabletId(), TxnId: b.GetTxnId(), NumRows: 1}
			for i := range rowsetBytes / 6 {
				rs.SegmentSizes = append(rs.SegmentSizes, 1<<40+int64(i))
			}
			_, err := writer.CommitRowset(ctx, &metapb.CommitRowsetRequest{Rowset: rs})
			cl.must(err, "commit rowset")
			total += len(rs.SegmentSizes) * 6
		}
		if total <= server.DefaultCommitBudget {
			t.Fatalf("only %d bytes", total)
		}
		return b.GetTxnId(), total
	}
	// check reads partition p's version and then every tablet of it at that version: the loads
	// committed so far are on all of them, the others on none.
	check := func(p int) (int64, error) {
		gv, err := reader.GetVersion(ctx, &metapb.GetVersionRequest{Partitions: []*metapb.PartitionVersion{{DbId: dbID, TableId: table, PartitionId: int64(p + 1)}}})
		if err != nil {
			return 0, err
		}
		v := gv.GetVersions()[0].GetVersion()
		for bk := range buckets {
			rs, err := reader.GetRowsets(ctx, &metapb.GetRowsetsRequest{TabletId: tabletOf(p, bk), StartVersion: 0, EndVersion: v})
			if err != nil {
				return 0, err
			}
			if int64(len(rs.GetRowsets())) != v-1 {
				return 0, fmt.Errorf("partition %d at version %d: tablet %d has %d rowsets", p+1, v, tabletOf(p, bk), len(rs.GetRowsets()))
			}
		}
		return v, nil
	}

	// 1. A server crashed right after the commit point of a lazy commit (simulated by running
	// the commit point alone): the first reader finishes the commit and sees all of it.
	crashed, _ := bigTxn("crashed")
	if err := db.Update(ctx, func(tx kv.Txn) error {
		info, err := txn.Commit(tx, inst, txn.CommitSpec{DBID: dbID, TxnID: crashed}, time.Now(), txn.Options{})
		if err == nil && info.GetStatus() != metapb.TxnStatus_TXN_COMMITTED {
			err = fmt.Errorf("commit point of a large txn: %v", info.GetStatus())
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rs, err := reader.GetRowsets(ctx, &metapb.GetRowsetsRequest{TabletId: tabletOf(1, 7), StartVersion: 0, EndVersion: math.MaxInt64})
	cl.must(err, "get rowsets during a crashed lazy commit")
	if len(rs.GetRowsets()) != 1 || rs.GetRowsets()[0].GetEndVersion() != 2 {
		t.Fatalf("rowsets %v", rs.GetRowsets())
	}
	for p := range parts {
		if v, err := check(p); err != nil || v != 2 {
			t.Fatalf("after the crashed lazy commit: %d %v", v, err)
		}
	}
	gt, err := reader.GetTxn(ctx, &metapb.GetTxnRequest{TxnId: crashed})
	cl.must(err, "get txn")
	if gt.GetTxn().GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
		t.Fatalf("crashed lazy commit: %v", gt.GetTxn().GetStatus())
	}

	// 2. A lazy commit through gRPC while readers read through the other server.
	id, total := bigTxn("big")
	abort := make(chan struct{}) // closed when the commit fails
	var rounds, sawNew atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for sawNew.Load() < 2 { // until the load has been seen twice
				select {
				case <-abort:
					return
				default:
				}
				v, err := check(rand.IntN(parts))
				if err != nil {
					t.Error(err)
					return
				}
				rounds.Add(1)
				if v == 3 {
					sawNew.Add(1)
				}
			}
		})
	}
	ct, err := writer.CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: id})
	if err != nil {
		close(abort)
		wg.Wait()
		t.Fatal(err)
	}
	wg.Wait()
	if ct.GetTxn().GetStatus() != metapb.TxnStatus_TXN_VISIBLE || len(ct.GetVersions()) != parts || ct.GetVersions()[0].GetVersion() != 3 {
		t.Fatalf("commit answered %v", ct.GetTxn())
	}
	t.Logf("%d bytes of rowset metadata; %d reader rounds", total, rounds.Load())
	st, err := reader.GetTabletStats(ctx, &metapb.GetTabletStatsRequest{TabletIds: []int64{tabletOf(0, 0), tabletOf(1, buckets-1)}})
	cl.must(err, "stats")
	for _, s := range st.GetStats() {
		if s.GetNumRowsets() != 2 || s.GetNumSegments() != 0 || s.GetNumRows() != 2 {
			t.Fatalf("stats %v", s)
		}
	}
}
