package txn

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/rowset"
	"github.com/doricdb/doric/metaservice/tablet"
	"github.com/doricdb/doric/metaservice/version"
)

const (
	inst           = "i1"
	db1            = int64(100)
	table          = int64(200)
	index          = int64(300)
	retention      = 24 * time.Hour
	labelRetention = 48 * time.Hour
)

var (
	ctx = context.Background()
	t0  = time.UnixMilli(1_700_000_000_000)
)

// env is a store with tablets: tablet 1000+p*10+b is bucket b of partition 400+p.
type env struct {
	t    *testing.T
	db   kv.DB
	opts Options
}

func tabletOf(partition, bucket int) int64 { return 1000 + int64(partition)*10 + int64(bucket) }
func partitionOf(p int) int64              { return 400 + int64(p) }

func newEnv(t *testing.T, partitions, buckets int) *env {
	t.Helper()
	db, err := local.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var metas []*metapb.TabletMeta
	for p := range partitions {
		for b := range buckets {
			metas = append(metas, &metapb.TabletMeta{TabletId: tabletOf(p, b), DbId: db1, TableId: table, IndexId: index, PartitionId: partitionOf(p)})
		}
	}
	e := &env{t: t, db: db, opts: Options{RowsetRetention: retention, LabelRetention: labelRetention}}
	e.do(func(tx kv.Txn) error { return tablet.Create(tx, inst, metas, "vault-1", t0) })
	return e
}

func (e *env) do(fn func(tx kv.Txn) error) {
	e.t.Helper()
	if err := e.db.Update(ctx, fn); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) try(fn func(tx kv.Txn) error) error { return e.db.Update(ctx, fn) }

func (e *env) begin(label string) (*metapb.TxnInfo, bool) {
	e.t.Helper()
	var info *metapb.TxnInfo
	var existed bool
	e.do(func(tx kv.Txn) error {
		var err error
		info, existed, err = Begin(tx, inst, &metapb.TxnInfo{DbId: db1, Label: label, TableIds: []int64{table}}, t0, e.opts)
		return err
	})
	return info, existed
}

func (e *env) load(txnID, tabletID int64, rowsetID string) error {
	rs := &metapb.RowsetMeta{RowsetId: rowsetID, TabletId: tabletID, TxnId: txnID, NumRows: 3, NumSegments: 1, SegmentSizes: []int64{100}}
	if err := e.try(func(tx kv.Txn) error { return PrepareRowset(tx, inst, rs, t0, e.opts) }); err != nil {
		return err
	}
	return e.try(func(tx kv.Txn) error { return CommitRowset(tx, inst, rs, t0) })
}

// commit commits a txn, lazily when it is larger than the budget.
func (e *env) commit(txnID int64) (*metapb.TxnInfo, []*metapb.PartitionVersion, error) {
	var info *metapb.TxnInfo
	now := t0.Add(time.Second)
	err := e.try(func(tx kv.Txn) error {
		var err error
		info, err = Commit(tx, inst, CommitSpec{DBID: db1, TxnID: txnID}, now, e.opts)
		return err
	})
	if err == nil && info.GetStatus() == metapb.TxnStatus_TXN_COMMITTED {
		info, err = FinishLazy(ctx, e.db, inst, db1, txnID, func() time.Time { return now }, e.opts)
	}
	return info, info.GetVersions(), err
}

func (e *env) abort(txnID int64, label string) (*metapb.TxnInfo, error) {
	var info *metapb.TxnInfo
	err := e.try(func(tx kv.Txn) error {
		var err error
		info, err = Abort(tx, inst, db1, txnID, label, "test", t0.Add(time.Second), e.opts)
		return err
	})
	return info, err
}

func (e *env) visible(tabletID int64) []*metapb.RowsetMeta {
	e.t.Helper()
	var rs []*metapb.RowsetMeta
	if err := e.db.View(ctx, func(tx kv.ReadTxn) error {
		var err error
		rs, err = rowset.Visible(tx, inst, tabletID, 0, 1<<62)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return rs
}

func (e *env) version(p int) int64 {
	e.t.Helper()
	var v int64
	if err := e.db.View(ctx, func(tx kv.ReadTxn) error {
		var err error
		v, err = version.Get(tx, inst, db1, table, partitionOf(p))
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return v
}

// count returns how many keys the range [begin, end) holds.
func (e *env) count(begin, end []byte) int {
	e.t.Helper()
	var n int
	if err := e.db.View(ctx, func(tx kv.ReadTxn) error {
		kvs, err := tx.GetRange(begin, end, 0, false)
		n = len(kvs)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestLoadCycle(t *testing.T) {
	e := newEnv(t, 2, 2)
	info, existed := e.begin("load-1")
	if existed || info.GetStatus() != metapb.TxnStatus_TXN_PREPARED || info.GetTimeoutMs() != DefaultTimeout.Milliseconds() {
		t.Fatalf("Begin = %v existed=%v", info, existed)
	}
	id := info.GetTxnId()
	// Three tablets: two buckets of partition 0, one of partition 1.
	for i, tb := range []int64{tabletOf(0, 0), tabletOf(0, 1), tabletOf(1, 0)} {
		if err := e.load(id, tb, fmt.Sprint("r", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.count(keys.RecycleRowsetRange(inst)); n != 0 {
		t.Fatalf("%d recycle entries left after commit_rowset", n)
	}
	got, vs, err := e.commit(id)
	if err != nil {
		t.Fatal(err)
	}
	if got.GetStatus() != metapb.TxnStatus_TXN_VISIBLE || got.GetCommitTimeMs() != t0.Add(time.Second).UnixMilli() {
		t.Fatalf("committed txn %v", got)
	}
	if len(vs) != 2 || vs[0].GetPartitionId() != partitionOf(0) || vs[0].GetVersion() != 2 ||
		vs[1].GetPartitionId() != partitionOf(1) || vs[1].GetVersion() != 2 {
		t.Fatalf("versions %v", vs)
	}
	for _, tb := range []int64{tabletOf(0, 0), tabletOf(0, 1), tabletOf(1, 0)} {
		rs := e.visible(tb)
		if len(rs) != 1 || rs[0].GetStartVersion() != 2 || rs[0].GetEndVersion() != 2 || rs[0].GetTxnId() != id ||
			rs[0].GetVaultId() != "vault-1" || rs[0].GetNumRows() != 3 {
			t.Fatalf("tablet %d rowsets %v", tb, rs)
		}
	}
	if rs := e.visible(tabletOf(1, 1)); len(rs) != 0 {
		t.Fatalf("untouched tablet has rowsets %v", rs)
	}
	if e.version(0) != 2 || e.version(1) != 2 {
		t.Fatalf("versions %d %d", e.version(0), e.version(1))
	}
	if n := e.count(keys.RowsetTmpRange(inst, id)); n != 0 {
		t.Fatalf("%d tmp rowsets left", n)
	}
	if n := e.count(keys.TxnRunningRange(inst, db1)); n != 0 {
		t.Fatalf("%d running keys left", n)
	}
	// Retry: unchanged, the same versions, no new ones.
	again, vs2, err := e.commit(id)
	if err != nil || again.GetStatus() != metapb.TxnStatus_TXN_VISIBLE || fmt.Sprint(vs2) != fmt.Sprint(vs) || e.version(0) != 2 {
		t.Fatalf("commit retry: %v %v %v", again, vs2, err)
	}
	// The label is taken by a visible txn.
	dup, existed := e.begin("load-1")
	if !existed || dup.GetTxnId() != id || dup.GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
		t.Fatalf("Begin with a used label: %v existed=%v", dup, existed)
	}
	// Rowsets cannot be added to a visible txn, and it cannot be aborted.
	if err := e.load(id, tabletOf(1, 1), "late"); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("rowset for a visible txn: %v", err)
	}
	if _, err := e.abort(id, ""); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("abort of a visible txn: %v", err)
	}
	// A second load moves only the partitions it touches.
	info2, _ := e.begin("load-2")
	if info2.GetTxnId() <= id {
		t.Fatalf("txn ids not increasing: %d after %d", info2.GetTxnId(), id)
	}
	if err := e.load(info2.GetTxnId(), tabletOf(1, 1), "r9"); err != nil {
		t.Fatal(err)
	}
	if _, vs, err := e.commit(info2.GetTxnId()); err != nil || len(vs) != 1 || vs[0].GetVersion() != 3 {
		t.Fatalf("second commit: %v %v", vs, err)
	}
	if e.version(0) != 2 || e.version(1) != 3 {
		t.Fatalf("versions %d %d", e.version(0), e.version(1))
	}
}

func TestLabels(t *testing.T) {
	e := newEnv(t, 1, 1)
	a, _ := e.begin("l")
	b, existed := e.begin("l")
	if !existed || b.GetTxnId() != a.GetTxnId() || b.GetStatus() != metapb.TxnStatus_TXN_PREPARED {
		t.Fatalf("label of a prepared txn: %v existed=%v", b, existed)
	}
	// Other databases have their own labels.
	var other *metapb.TxnInfo
	e.do(func(tx kv.Txn) error {
		var err error
		other, _, err = Begin(tx, inst, &metapb.TxnInfo{DbId: db1 + 1, Label: "l"}, t0, e.opts)
		return err
	})
	if other.GetTxnId() == a.GetTxnId() {
		t.Fatalf("label shared across databases")
	}
	if _, err := e.abort(0, "l"); err != nil {
		t.Fatal(err)
	}
	c, existed := e.begin("l")
	if existed || c.GetTxnId() == a.GetTxnId() {
		t.Fatalf("label of an aborted txn not reusable: %v existed=%v", c, existed)
	}
	var byLabel *metapb.TxnInfo
	e.do(func(tx kv.Txn) error {
		var err error
		byLabel, err = Find(tx, inst, db1, 0, "l")
		return err
	})
	if byLabel.GetTxnId() != c.GetTxnId() {
		t.Fatalf("label finds txn %d, want the latest %d", byLabel.GetTxnId(), c.GetTxnId())
	}
	for _, spec := range []*metapb.TxnInfo{
		{DbId: 0, Label: "x"},
		{DbId: db1},
		{DbId: db1, Label: strings.Repeat("x", MaxLabelLen+1)},
		{DbId: db1, Label: "x", TimeoutMs: -1},
	} {
		err := e.try(func(tx kv.Txn) error { _, _, err := Begin(tx, inst, spec, t0, e.opts); return err })
		if !errors.Is(err, metaerr.ErrInvalidArgument) {
			t.Errorf("Begin(%v) = %v, want ErrInvalidArgument", spec, err)
		}
	}
}

func TestAbort(t *testing.T) {
	e := newEnv(t, 1, 2)
	info, _ := e.begin("a")
	id := info.GetTxnId()
	if err := e.load(id, tabletOf(0, 0), "r0"); err != nil {
		t.Fatal(err)
	}
	// Prepared but never committed: its marker stays, expiring after the txn's deadline.
	orphan := &metapb.RowsetMeta{RowsetId: "r1", TabletId: tabletOf(0, 1), TxnId: id}
	e.do(func(tx kv.Txn) error { return PrepareRowset(tx, inst, orphan, t0, e.opts) })
	aborted, err := e.abort(id, "")
	if err != nil || aborted.GetStatus() != metapb.TxnStatus_TXN_ABORTED || aborted.GetReason() != "test" {
		t.Fatalf("Abort = %v, %v", aborted, err)
	}
	e.do(func(tx kv.Txn) error {
		m0, err := rowset.Marked(tx, inst, tabletOf(0, 0), "r0")
		if err != nil {
			return err
		}
		if m0 == nil || m0.GetExpirationMs() != t0.Add(time.Second+retention).UnixMilli() {
			t.Errorf("committed rowset of the aborted txn: recycle entry %v", m0)
		}
		m1, err := rowset.Marked(tx, inst, tabletOf(0, 1), "r1")
		if err != nil {
			return err
		}
		if want := t0.Add(DefaultTimeout + retention).UnixMilli(); m1 == nil || m1.GetExpirationMs() != want {
			t.Errorf("prepared rowset: recycle entry %v, want expiration %d", m1, want)
		}
		return nil
	})
	if n := e.count(keys.RowsetTmpRange(inst, id)); n != 0 {
		t.Fatalf("%d tmp rowsets after abort", n)
	}
	if n := e.count(keys.TxnRunningRange(inst, db1)); n != 0 {
		t.Fatalf("running key after abort")
	}
	if again, err := e.abort(id, ""); err != nil || again.GetStatus() != metapb.TxnStatus_TXN_ABORTED {
		t.Fatalf("abort again: %v %v", again, err)
	}
	if _, _, err := e.commit(id); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("commit of an aborted txn: %v", err)
	}
	if err := e.load(id, tabletOf(0, 1), "r2"); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("rowset for an aborted txn: %v", err)
	}
	if e.version(0) != version.Initial || len(e.visible(tabletOf(0, 0))) != 0 {
		t.Fatalf("an aborted txn changed the partition")
	}
	if _, err := e.abort(0, "never-used"); !errors.Is(err, metaerr.ErrNotFound) {
		t.Fatalf("abort of an unknown label: %v", err)
	}
	if _, err := e.abort(99999, ""); !errors.Is(err, metaerr.ErrNotFound) {
		t.Fatalf("abort of an unknown txn: %v", err)
	}
}

func TestRowsetChecks(t *testing.T) {
	e := newEnv(t, 2, 1)
	info, _ := e.begin("c")
	id := info.GetTxnId()
	prepare := func(rs *metapb.RowsetMeta) error {
		return e.try(func(tx kv.Txn) error { return PrepareRowset(tx, inst, rs, t0, e.opts) })
	}
	for _, tc := range []struct {
		rs   *metapb.RowsetMeta
		want error
	}{
		{&metapb.RowsetMeta{TabletId: tabletOf(0, 0), TxnId: id}, metaerr.ErrInvalidArgument},
		{&metapb.RowsetMeta{RowsetId: "r", TxnId: id}, metaerr.ErrInvalidArgument},
		{&metapb.RowsetMeta{RowsetId: "r", TabletId: tabletOf(0, 0)}, metaerr.ErrInvalidArgument},
		{&metapb.RowsetMeta{RowsetId: "r", TabletId: 5, TxnId: id}, metaerr.ErrNotFound},
		{&metapb.RowsetMeta{RowsetId: "r", TabletId: tabletOf(0, 0), TxnId: id + 100}, metaerr.ErrNotFound},
		{&metapb.RowsetMeta{RowsetId: "r", TabletId: tabletOf(0, 0), TxnId: id, PartitionId: partitionOf(1)}, metaerr.ErrInvalidArgument},
		{&metapb.RowsetMeta{RowsetId: "r", TabletId: tabletOf(0, 0), TxnId: id, IndexId: index + 1}, metaerr.ErrInvalidArgument},
	} {
		if err := prepare(tc.rs); !errors.Is(err, tc.want) {
			t.Errorf("PrepareRowset(%v) = %v, want %v", tc.rs, err, tc.want)
		}
	}
	if err := e.load(id, tabletOf(0, 0), "r"); err != nil {
		t.Fatal(err)
	}
	// A commit_rowset retry is a no-op; another rowset for the tablet, or a late prepare, is not.
	if err := e.try(func(tx kv.Txn) error {
		return CommitRowset(tx, inst, &metapb.RowsetMeta{RowsetId: "r", TabletId: tabletOf(0, 0), TxnId: id}, t0)
	}); err != nil {
		t.Fatalf("commit_rowset retry: %v", err)
	}
	if err := e.load(id, tabletOf(0, 0), "r-other"); !errors.Is(err, metaerr.ErrAlreadyExists) {
		t.Fatalf("second rowset on a tablet: %v", err)
	}
	if err := prepare(&metapb.RowsetMeta{RowsetId: "r", TabletId: tabletOf(0, 0), TxnId: id}); !errors.Is(err, metaerr.ErrAlreadyExists) {
		t.Fatalf("prepare after commit_rowset: %v", err)
	}
	if n := e.count(keys.RecycleRowsetRange(inst)); n != 0 {
		t.Fatalf("%d recycle entries for committed rowsets", n)
	}
}

// TestRandomLoads runs a random schedule of loads that commit or abort and checks the
// invariants: each partition's version is 1 + the commits that touched it, each tablet's chain is
// exactly those versions, nothing tmp or running is left, and every aborted rowset has a recycle
// entry.
func TestRandomLoads(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	parts, buckets := 1+rng.IntN(3), 1+rng.IntN(3)
	e := newEnv(t, parts, buckets)
	// A few hundred bytes: commits of several rowsets are lazy, single ones are not.
	e.opts.CommitBudget = 200 + rng.IntN(800)
	commitsTotal := 0
	type load struct {
		id      int64
		tablets []int64
	}
	var open []load
	commits := make([]int, parts) // commits per partition
	chain := map[int64][]int64{}  // tablet -> versions it got
	aborted := map[string]bool{}  // rowset ids of aborted loads
	rowsetOf := func(id, tb int64) string { return fmt.Sprint(id, "-", tb) }
	for step := 0; step < 20+rng.IntN(30); step++ {
		if len(open) == 0 || rng.IntN(3) == 0 {
			info, existed := e.begin(fmt.Sprint("label-", step))
			if existed {
				t.Fatalf("fresh label exists")
			}
			l := load{id: info.GetTxnId()}
			for p := range parts {
				for b := range buckets {
					if rng.IntN(2) == 0 {
						tb := tabletOf(p, b)
						l.tablets = append(l.tablets, tb)
						if err := e.load(l.id, tb, rowsetOf(l.id, tb)); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			open = append(open, l)
			continue
		}
		i := rng.IntN(len(open))
		l := open[i]
		open = append(open[:i], open[i+1:]...)
		if rng.IntN(4) == 0 {
			if _, err := e.abort(l.id, ""); err != nil {
				t.Fatal(err)
			}
			for _, tb := range l.tablets {
				aborted[rowsetOf(l.id, tb)] = true
			}
			continue
		}
		_, vs, err := e.commit(l.id)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) > 0 {
			commitsTotal++
		}
		touched := map[int64]int64{}
		for _, pv := range vs {
			touched[pv.GetPartitionId()] = pv.GetVersion()
		}
		for p := range parts {
			v, ok := touched[partitionOf(p)]
			if !ok {
				continue
			}
			commits[p]++
			if v != int64(commits[p]+1) {
				t.Fatalf("partition %d got version %d on its commit #%d", p, v, commits[p])
			}
		}
		for _, tb := range l.tablets {
			p := int((tb - 1000) / 10)
			chain[tb] = append(chain[tb], touched[partitionOf(p)])
		}
		if len(touched) != len(distinctPartitions(l.tablets)) {
			t.Fatalf("commit touched %v, loaded tablets %v", touched, l.tablets)
		}
	}
	for p := range parts {
		if got := e.version(p); got != int64(commits[p]+1) {
			t.Errorf("partition %d: version %d, want %d", p, got, commits[p]+1)
		}
		for b := range buckets {
			tb := tabletOf(p, b)
			var got []int64
			for _, rs := range e.visible(tb) {
				got = append(got, rs.GetEndVersion())
			}
			if fmt.Sprint(got) != fmt.Sprint(chain[tb]) {
				t.Errorf("tablet %d: versions %v, want %v", tb, got, chain[tb])
			}
		}
	}
	e.checkDone(0, allTablets(parts, buckets))
	e.do(func(tx kv.Txn) error {
		v, err := version.Table(tx, inst, db1, table)
		if err == nil && v != int64(commitsTotal) {
			t.Errorf("table version %d after %d commits", v, commitsTotal)
		}
		return err
	})
	running := len(open)
	if n := e.count(keys.TxnRunningRange(inst, db1)); n != running {
		t.Errorf("%d running keys, want %d", n, running)
	}
	if n := e.count(keys.RecycleRowsetRange(inst)); n != len(aborted) {
		t.Errorf("%d recycle entries, want %d (aborted rowsets)", n, len(aborted))
	}
}

func allTablets(parts, buckets int) []int64 {
	var out []int64
	for p := range parts {
		for b := range buckets {
			out = append(out, tabletOf(p, b))
		}
	}
	return out
}

func distinctPartitions(tablets []int64) map[int64]bool {
	out := map[int64]bool{}
	for _, tb := range tablets {
		out[(tb-1000)/10] = true
	}
	return out
}
