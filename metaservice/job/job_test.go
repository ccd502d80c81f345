package job

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/rowset"
	"github.com/doricdb/doric/metaservice/stats"
	"github.com/doricdb/doric/metaservice/tablet"
	"github.com/doricdb/doric/metaservice/version"
)

const (
	inst = "i"
	tab  = int64(77)
)

var (
	ctx  = context.Background()
	t0   = time.UnixMilli(1_700_000_000_000)
	opts = Options{DefaultLease: time.Minute, CompactedRetention: 30 * time.Minute, RowsetRetention: time.Hour}
	ids  = &metapb.TabletMeta{TabletId: tab, DbId: 1, TableId: 2, IndexId: 3, PartitionId: 4}
)

type env struct {
	t  *testing.T
	db kv.DB
}

func newEnv(t *testing.T) *env {
	db, err := local.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t, db}
	e.do(func(tx kv.Txn) error { return tablet.Create(tx, inst, []*metapb.TabletMeta{ids}, "v", t0) })
	return e
}

func (e *env) do(fn func(tx kv.Txn) error) {
	e.t.Helper()
	if err := e.db.Update(ctx, fn); err != nil {
		e.t.Fatal(err)
	}
}

// load adds a visible rowset [v, v] the way a load commit does (rowset and statistics).
func (e *env) load(v int64) *metapb.RowsetMeta {
	rs := &metapb.RowsetMeta{RowsetId: fmt.Sprint("load-", v), TabletId: tab, PartitionId: 4, IndexId: 3, StartVersion: v, EndVersion: v,
		NumRows: rand.Int64N(100), TotalSize: rand.Int64N(1000), NumSegments: 1 + rand.Int32N(3)}
	e.do(func(tx kv.Txn) error {
		if err := rowset.PutVisible(tx, inst, rs); err != nil {
			return err
		}
		return stats.Add(tx, inst, ids, stats.Of(rs))
	})
	return rs
}

func (e *env) start(id string, start, end int64, now time.Time, inputIDs ...string) (*metapb.CompactionJob, error) {
	var j *metapb.CompactionJob
	err := e.db.Update(ctx, func(tx kv.Txn) error {
		var err error
		j, _, err = Start(tx, inst, tab, &metapb.CompactionJob{Id: id, Initiator: "be-" + id, Type: metapb.CompactionType_COMPACTION_CUMULATIVE,
			StartVersion: start, EndVersion: end, InputRowsetIds: inputIDs}, now, opts)
		return err
	})
	return j, err
}

func (e *env) commit(id string, out *metapb.RowsetMeta, point int64, now time.Time) (*metapb.TabletStats, error) {
	var st *metapb.TabletStats
	err := e.db.Update(ctx, func(tx kv.Txn) error {
		var err error
		st, err = Commit(tx, inst, tab, id, out, point, 0, now, opts)
		return err
	})
	return st, err
}

func (e *env) visible() []*metapb.RowsetMeta {
	e.t.Helper()
	var rs []*metapb.RowsetMeta
	e.do(func(tx kv.Txn) error {
		var err error
		rs, err = rowset.Visible(tx, inst, tab, 0, 1<<62)
		return err
	})
	return rs
}

func (e *env) marked(rowsetID string) *metapb.RecycleRowset {
	e.t.Helper()
	var m *metapb.RecycleRowset
	e.do(func(tx kv.Txn) error {
		var err error
		m, err = rowset.Marked(tx, inst, tab, rowsetID)
		return err
	})
	return m
}

func output(id string, start, end int64) *metapb.RowsetMeta {
	return &metapb.RowsetMeta{RowsetId: id, StartVersion: start, EndVersion: end, NumRows: 5, TotalSize: 50, NumSegments: 1}
}

func TestLease(t *testing.T) {
	e := newEnv(t)
	for v := int64(2); v <= 5; v++ {
		e.load(v)
	}
	j, err := e.start("a", 2, 4, t0)
	if err != nil || j.GetExpirationMs() != t0.Add(time.Minute).UnixMilli() {
		t.Fatalf("start: %v %v", j, err)
	}
	if _, err := e.start("b", 5, 5, t0.Add(59*time.Second)); !errors.Is(err, metaerr.ErrBusy) {
		t.Fatalf("second compactor while the lease is live: %v", err)
	}
	// The holder renews; a replayed start renews too and keeps the creation time.
	var renewed *metapb.CompactionJob
	e.do(func(tx kv.Txn) error {
		var err error
		renewed, err = Lease(tx, inst, tab, "a", 90_000, t0.Add(50*time.Second), opts)
		return err
	})
	if renewed.GetExpirationMs() != t0.Add(140*time.Second).UnixMilli() {
		t.Fatalf("renewed to %d", renewed.GetExpirationMs())
	}
	if again, err := e.start("a", 2, 4, t0.Add(60*time.Second)); err != nil || again.GetCtimeMs() != t0.UnixMilli() {
		t.Fatalf("replayed start: %v %v", again, err)
	}
	if _, err := e.start("b", 5, 5, t0.Add(100*time.Second)); !errors.Is(err, metaerr.ErrBusy) {
		t.Fatalf("second compactor after the renewal: %v", err)
	}
	// Expired: b takes over; a can neither renew nor commit.
	if _, err := e.start("b", 5, 5, t0.Add(121*time.Second)); err != nil {
		t.Fatalf("take-over of an expired lease: %v", err)
	}
	if err := e.db.Update(ctx, func(tx kv.Txn) error {
		_, err := Lease(tx, inst, tab, "a", 0, t0.Add(122*time.Second), opts)
		return err
	}); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("renewal by the old holder: %v", err)
	}
	if _, err := e.commit("a", output("out-a", 2, 4), 0, t0.Add(122*time.Second)); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("commit by the old holder: %v", err)
	}
	// b's lease runs out before it commits: refused.
	if _, err := e.commit("b", output("out-b", 5, 5), 0, t0.Add(182*time.Second)); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("commit after the lease ran out: %v", err)
	}
	// Abort by a stranger is a no-op; by the holder it frees the tablet.
	e.do(func(tx kv.Txn) error { return Abort(tx, inst, tab, "zzz", nil, t0) })
	if _, err := e.start("c", 2, 2, t0.Add(130*time.Second)); !errors.Is(err, metaerr.ErrBusy) {
		t.Fatalf("abort by a stranger freed the lease: %v", err)
	}
	e.do(func(tx kv.Txn) error {
		return Abort(tx, inst, tab, "b", output("out-b", 5, 5), t0.Add(130*time.Second))
	})
	if m := e.marked("out-b"); m == nil || m.GetExpirationMs() != t0.Add(130*time.Second).UnixMilli() || m.GetRowset().GetPartitionId() != 4 {
		t.Fatalf("aborted output: recycle entry %v", m)
	}
	if _, err := e.start("c", 2, 2, t0.Add(131*time.Second)); err != nil {
		t.Fatalf("start after abort: %v", err)
	}
}

func TestCommitSwap(t *testing.T) {
	e := newEnv(t)
	var in []*metapb.RowsetMeta
	for v := int64(2); v <= 6; v++ {
		in = append(in, e.load(v))
	}
	// Ranges that are not exactly a run of visible rowsets are refused at start.
	for _, r := range [][2]int64{{1, 3}, {2, 7}, {8, 9}} {
		if _, err := e.start("x", r[0], r[1], t0); !errors.Is(err, metaerr.ErrFailedPrecondition) {
			t.Errorf("range %v: %v", r, err)
		}
	}
	if _, err := e.start("x", 3, 4, t0, "load-3", "load-9"); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("wrong input ids: %v", err)
	}
	if _, err := e.start("x", 3, 5, t0, "load-3", "load-4", "load-5"); err != nil {
		t.Fatal(err)
	}
	// The output must cover the job's range exactly.
	if _, err := e.commit("x", output("out", 3, 4), 0, t0); !errors.Is(err, metaerr.ErrInvalidArgument) {
		t.Fatalf("output over [3, 4]: %v", err)
	}
	// Upload marker of the output, then commit.
	e.do(func(tx kv.Txn) error {
		return PrepareOutput(tx, inst, &metapb.RowsetMeta{RowsetId: "out", TabletId: tab}, "x", t0, opts)
	})
	if m := e.marked("out"); m == nil || m.GetExpirationMs() != t0.Add(time.Minute+time.Hour).UnixMilli() {
		t.Fatalf("output marker %v", m)
	}
	st, err := e.commit("x", output("out", 3, 5), 6, t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got := e.visible()
	var names []string
	for _, rs := range got {
		names = append(names, fmt.Sprintf("%s[%d-%d]", rs.GetRowsetId(), rs.GetStartVersion(), rs.GetEndVersion()))
	}
	if want := "[load-2[2-2] out[3-5] load-6[6-6]]"; fmt.Sprint(names) != want {
		t.Fatalf("visible %v, want %s", names, want)
	}
	if e.marked("out") != nil {
		t.Fatal("the output's upload marker is left")
	}
	for _, rs := range in[1:4] {
		if m := e.marked(rs.GetRowsetId()); m == nil || m.GetExpirationMs() != t0.Add(time.Second+30*time.Minute).UnixMilli() {
			t.Fatalf("input %s: recycle entry %v", rs.GetRowsetId(), m)
		}
	}
	want := stats.Of(in[0]).Plus(stats.Of(in[4])).Plus(stats.Of(output("out", 3, 5)))
	if (stats.Delta{NumRows: st.NumRows, DataSize: st.DataSize, NumRowsets: st.NumRowsets, NumSegments: st.NumSegments}) != want ||
		st.GetCumulativePoint() != 6 || st.GetCumulativeCompactionCnt() != 1 || st.GetLastCumuCompactionTimeMs() != t0.Add(time.Second).UnixMilli() {
		t.Fatalf("stats %v, want %+v", st, want)
	}
	// The lease is gone; a replayed commit (its first application's outcome lost) succeeds
	// without changing anything.
	if st2, err := e.commit("x", output("out", 3, 5), 6, t0.Add(time.Second)); err != nil || !proto.Equal(st2, st) || len(e.visible()) != 3 {
		t.Fatalf("replayed commit: %v %v", st2, err)
	}
	if _, err := e.commit("x", output("out-2", 3, 5), 6, t0.Add(time.Second)); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("another output after the commit: %v", err)
	}
	// A job whose inputs changed under it (another compaction after a take-over) is refused.
	if _, err := e.start("y", 2, 5, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.start("z", 5, 6, t0.Add(3*time.Hour)); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("a range cutting through rowset [3-5]: %v", err)
	}
	if _, err := e.start("z", 2, 6, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.commit("z", output("out-z", 2, 6), 0, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.commit("y", output("out-y", 2, 5), 0, t0.Add(3*time.Hour)); st != nil {
		t.Fatal("commit of a taken-over job")
	}
	// The cumulative point never moves back.
	e.load(7)
	if _, err := e.start("w", 7, 7, t0.Add(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if st, err := e.commit("w", output("out-w", 7, 7), 3, t0.Add(4*time.Hour)); err != nil || st.GetCumulativePoint() != 6 {
		t.Fatalf("cumulative point %v %v", st, err)
	}
}

func TestCommitWaitsForLazyCommit(t *testing.T) {
	e := newEnv(t)
	e.load(2)
	if _, err := e.start("x", 2, 2, t0); err != nil {
		t.Fatal(err)
	}
	e.do(func(tx kv.Txn) error {
		return version.Set(tx, inst, &metapb.PartitionVersion{DbId: 1, TableId: 2, PartitionId: 4, Version: 3, PendingTxnIds: []int64{99}})
	})
	if _, err := e.commit("x", output("out", 2, 2), 0, t0); !errors.Is(err, metaerr.ErrBusy) {
		t.Fatalf("commit during a lazy commit: %v", err)
	}
}

// TestRandomSchedule runs random loads, compactions (some committed, some aborted, some
// abandoned until their lease expires) and checks after every step that the visible rowsets are
// what a model says and the statistics are their sums.
func TestRandomSchedule(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	e := newEnv(t)
	type rs struct {
		id         string
		start, end int64
	}
	var chain []rs // the model: visible rowsets in version order
	next := int64(2)
	now := t0
	for step := range 80 + rng.IntN(80) {
		now = now.Add(time.Duration(rng.IntN(40)) * time.Second)
		if len(chain) < 2 || rng.IntN(3) == 0 {
			if rng.IntN(4) > 0 { // versions may skip a tablet
				r := e.load(next)
				chain = append(chain, rs{r.GetRowsetId(), next, next})
			}
			next++
			continue
		}
		i := rng.IntN(len(chain))
		j := i + rng.IntN(len(chain)-i)
		id := fmt.Sprint("job-", step)
		_, err := e.start(id, chain[i].start, chain[j].end, now)
		if errors.Is(err, metaerr.ErrBusy) {
			continue // an abandoned job's lease is live
		}
		if err != nil {
			t.Fatalf("step %d: start over [%d, %d] of %v: %v", step, chain[i].start, chain[j].end, chain, err)
		}
		switch rng.IntN(4) {
		case 0: // abandoned: its lease must expire before the next job
		case 1:
			e.do(func(tx kv.Txn) error { return Abort(tx, inst, tab, id, nil, now) })
		default:
			out := output("out-"+id, chain[i].start, chain[j].end)
			if _, err := e.commit(id, out, 0, now); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			chain = slices.Replace(chain, i, j+1, rs{out.RowsetId, out.StartVersion, out.EndVersion})
		}
		got := e.visible()
		var sum stats.Delta
		for k, r := range got {
			if k >= len(chain) || r.GetRowsetId() != chain[k].id || r.GetStartVersion() != chain[k].start || r.GetEndVersion() != chain[k].end {
				t.Fatalf("step %d: visible %v, model %v", step, got, chain)
			}
			sum = sum.Plus(stats.Of(r))
		}
		if len(got) != len(chain) {
			t.Fatalf("step %d: %d visible, model %v", step, len(got), chain)
		}
		e.do(func(tx kv.Txn) error {
			st, err := stats.Get(tx, inst, ids)
			if err == nil && (stats.Delta{NumRows: st.NumRows, DataSize: st.DataSize, NumRowsets: st.NumRowsets, NumSegments: st.NumSegments}) != sum {
				t.Errorf("step %d: stats %v, visible sum %+v", step, st, sum)
			}
			return err
		})
	}
	e.do(func(tx kv.Txn) error {
		begin, end := keys.RecycleRowsetRange(inst)
		kvs, err := tx.GetRange(begin, end, 0, false)
		for _, kv := range kvs {
			k, _ := keys.ParseRecycleRowset(kv.Key)
			if slices.ContainsFunc(chain, func(r rs) bool { return r.id == k.RowsetID }) {
				t.Errorf("visible rowset %s has a recycle entry", k.RowsetID)
			}
		}
		return err
	})
}
