package recycler_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/recycler"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/faulty"
)

// scene is a store with garbage of every kind that has files, all due: compacted inputs, an
// aborted txn's tmp rowset, an upload marker whose commit never came, a dropped partition and a
// dropped index (each with loaded rowsets), plus live data.
type scene struct {
	live, rowsets []*metapb.RowsetMeta // rowsets: files behind a recycle entry
	dropped       []int64              // tablets of the dropped partition and index
}

func newScene(e *env) scene {
	e.t.Helper()
	p1 := e.tablets(1, 2, 1, 2)
	p2 := e.tablets(2, 2, 1)
	var s scene
	e.load("l1", p1[0], p1[1])
	e.load("l2", p1[0])
	e.load("ix", p1[2], p1[3])
	e.load("p2", p2...)
	s.rowsets = append(s.rowsets, e.compact(p1[0])...)
	a := e.begin("a")
	s.rowsets = append(s.rowsets, e.stage(a, p1[1], true))
	if _, err := e.srv.AbortTxn(ctx, &metapb.AbortTxnRequest{InstanceId: inst, DbId: dbID, TxnId: a}); err != nil {
		e.t.Fatal(err)
	}
	m := e.begin("m")
	s.rowsets = append(s.rowsets, e.stage(m, p1[1], false))
	if _, err := e.srv.DropPartition(ctx, &metapb.PartitionRequest{InstanceId: inst, DbId: dbID, TableId: table, IndexIds: []int64{1}, PartitionIds: []int64{2}}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.srv.DropIndex(ctx, &metapb.IndexRequest{InstanceId: inst, DbId: dbID, TableId: table, IndexIds: []int64{2}}); err != nil {
		e.t.Fatal(err)
	}
	s.dropped = append(append(s.dropped, p2...), p1[2:]...)
	s.live = append(e.visible(p1[0]), e.visible(p1[1])...)
	e.clk.Advance(74 * time.Hour)
	return s
}

func (s scene) filesGone(e *env) {
	e.t.Helper()
	for _, rs := range s.rowsets {
		if n := e.filesOf(rs); n != 0 {
			e.t.Fatalf("rowset %s of tablet %d still has %d files", rs.GetRowsetId(), rs.GetTabletId(), n)
		}
	}
	for _, tb := range s.dropped {
		if objs, err := e.st.List(ctx, vault.TabletPrefix(tb)); err != nil || len(objs) != 0 {
			e.t.Fatalf("dropped tablet %d still has files %v (%v)", tb, objs, err)
		}
	}
	for _, rs := range s.live {
		if n := e.filesOf(rs); n != int(rs.GetNumSegments())+1 {
			e.t.Fatalf("live rowset %s lost files: %d left", rs.GetRowsetId(), n)
		}
	}
}

// entries reports how many of the scene's recycle entries and dropped tablets' keys are left.
func (s scene) entries(e *env) (rowsetEntries, tabletKeys int) {
	e.t.Helper()
	for _, rs := range s.rowsets {
		if e.has(keys.RecycleRowset(inst, rs.GetTabletId(), rs.GetRowsetId())) {
			rowsetEntries++
		}
	}
	for _, tb := range s.dropped {
		if e.has(keys.TabletIndex(inst, tb)) {
			tabletKeys++
		}
	}
	return rowsetEntries, tabletKeys
}

// TestAFaultBetweenFileAndKeyDeletionIsFinishedByTheNextRound: the kv transactions that would
// remove the recycle entries and the dropped tablets' keys fail after the files were deleted;
// the files are gone, the bookkeeping stays (nothing dangles: the checker is clean), and the
// next round removes it.
func TestAFaultBetweenFileAndKeyDeletionIsFinishedByTheNextRound(t *testing.T) {
	dir := t.TempDir()
	inner, err := local.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	fdb := &failingDB{DB: inner}
	e := newEnvOver(t, dir, fdb)
	s := newScene(e)
	r := e.recycler(nil)

	fdb.arm(func(key []byte) bool {
		_, rr := keys.ParseRecycleRowset(key)
		_, ti := keys.ParseTabletIndex(key)
		_, ro := keys.ParseRowset(key) // ClearRange of a dropped tablet's rowsets starts at one
		return rr == nil || ti == nil || ro == nil
	})
	rep, err := r.Round(ctx, inst)
	if !errors.Is(err, errInjected) || fdb.fails == 0 {
		t.Fatalf("round with faults: %v (%d injected)\n%s", err, fdb.fails, rep.String())
	}
	for _, k := range []recycler.Kind{recycler.KindRowset, recycler.KindCompacted, recycler.KindPartition, recycler.KindIndex} {
		if kr := rep.Kinds[k]; kr.Failed == 0 || kr.Recycled != 0 {
			t.Fatalf("%s after the faulty round: %+v", k, kr)
		}
	}
	s.filesGone(e)
	if re, tk := s.entries(e); re != len(s.rowsets) || tk != len(s.dropped) {
		t.Fatalf("after the faulty round %d of %d entries and %d of %d tablets are left; want all", re, len(s.rowsets), tk, len(s.dropped))
	}
	e.check(r)
	if l, _ := recycler.ReadLease(ctx, e.db, inst); l == nil || l.Busy || l.LastSuccessMs != 0 {
		t.Fatalf("a failed round must not count as a success: %+v", l)
	}

	fdb.arm(nil)
	rep = e.round(r)
	wantKinds(t, "the next round", rep, map[string]int{"rowset": 2, "compacted_rowset": 2, "partition": 1, "index": 1})
	s.filesGone(e)
	if re, tk := s.entries(e); re != 0 || tk != 0 {
		t.Fatalf("after the next round %d entries and %d tablets are left", re, tk)
	}
	e.check(r)
}

// TestAFailedVaultDeletionKeepsTheBookkeeping: vault deletions fail; every recycle entry and
// tablet key stays, and a round without faults finishes the job.
func TestAFailedVaultDeletionKeepsTheBookkeeping(t *testing.T) {
	e := newEnv(t)
	s := newScene(e)
	var fv *faulty.Storage
	r := e.recycler(withVault(func(st vault.Storage) vault.Storage {
		if fv == nil { // one wrapper over the rounds (a round opens its vaults afresh)
			fv = faulty.New(st, faulty.Config{Seed: 7, ErrorRate: 1, Ops: []faulty.Op{faulty.OpDeletePrefix}})
		}
		return fv
	}))
	rep, err := r.Round(ctx, inst)
	if !errors.Is(err, vault.ErrUnavailable) {
		t.Fatalf("round with a failing vault: %v\n%s", err, rep.String())
	}
	if re, tk := s.entries(e); re != len(s.rowsets) || tk != len(s.dropped) {
		t.Fatalf("%d of %d entries and %d of %d tablets left; want all", re, len(s.rowsets), tk, len(s.dropped))
	}
	for _, rs := range s.rowsets {
		if e.filesOf(rs) == 0 {
			t.Fatalf("rowset %s lost its files although every deletion failed", rs.GetRowsetId())
		}
	}
	e.check(r)
	fv.SetConfig(faulty.Config{})
	e.round(r)
	s.filesGone(e)
	if re, tk := s.entries(e); re != 0 || tk != 0 {
		t.Fatalf("%d entries and %d tablets left", re, tk)
	}
	e.check(r)
}
