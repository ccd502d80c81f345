package compaction_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/compaction"
	"github.com/doricdb/doric/compute/load"
	"google.golang.org/grpc"
)

var (
	cumulative = metapb.CompactionType_COMPACTION_CUMULATIVE
	base       = metapb.CompactionType_COMPACTION_BASE
	full       = metapb.CompactionType_COMPACTION_FULL
)

func seeded(t *testing.T) *rand.Rand {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, 1))
}

func compactAll(t *testing.T, ctx context.Context, e *env, c *compaction.Compactor, kind metapb.CompactionType) []compaction.Result {
	t.Helper()
	var out []compaction.Result
	for _, id := range e.tablets {
		res, err := c.Compact(ctx, id, kind)
		if err != nil {
			t.Fatalf("%v compaction of tablet %d: %v", kind, id, err)
		}
		out = append(out, res)
	}
	return out
}

// TestCompactionKeepsContents: for each model (DUPLICATE, AGGREGATE with SUM, MAX, MIN, REPLACE
// and REPLACE_IF_NOT_NULL, UNIQUE merge-on-read with tombstones), random loads with colliding keys
// and NULLs, then cumulative, more loads, base and full compactions against a real Meta Service:
// the table reads the same after each, the rowset count drops, the replaced rowsets get recycle
// entries, the outputs' versions cover the inputs', and full leaves one rowset per tablet.
func TestCompactionKeepsContents(t *testing.T) {
	for _, kind := range []commonpb.KeysType{commonpb.KeysType_DUP_KEYS, commonpb.KeysType_AGG_KEYS, commonpb.KeysType_UNIQUE_KEYS} {
		t.Run(kind.String(), func(t *testing.T) {
			ctx := context.Background()
			r := seeded(t)
			e := newEnv(t, r, schemaOf(kind), 1+r.IntN(3))
			c := e.compactor(compaction.Config{Disabled: true})
			loads := func(n int) {
				for range n {
					if err := e.load(ctx, e.randomRows(1+r.IntN(40), 0.15)); err != nil {
						t.Fatal(err)
					}
				}
			}
			loads(6 + r.IntN(8))
			step := func(kind metapb.CompactionType) {
				t.Helper()
				want := e.contents(ctx)
				before := map[int64][]*metapb.RowsetMeta{}
				n := 0
				for _, id := range e.tablets {
					before[id] = e.rowsets(ctx, id)
					n += len(before[id])
				}
				results := compactAll(t, ctx, e, c, kind)
				if got := e.contents(ctx); !reflect.DeepEqual(got, want) {
					t.Fatalf("after %v compaction the table reads\n%v\nwant\n%v", kind, got, want)
				}
				after := e.rowsetCount(ctx)
				compacted := 0
				for k, res := range results {
					if !res.Compacted {
						continue
					}
					compacted++
					out := res.Output
					if out.GetNumSegments() != int32(len(out.GetSegmentSizes())) || res.Stats == nil {
						t.Fatalf("output %v, stats %v", out, res.Stats)
					}
					// Every input covered by the output is gone and handed to the recycler.
					for _, rs := range before[e.tablets[k]] {
						if rs.GetStartVersion() >= out.GetStartVersion() && rs.GetEndVersion() <= out.GetEndVersion() {
							if !e.recycled(ctx, rs) {
								t.Fatalf("input rowset %s [%d-%d] has no recycle entry", rs.GetRowsetId(), rs.GetStartVersion(), rs.GetEndVersion())
							}
						}
					}
				}
				t.Logf("%v: %d of %d tablets compacted, rowsets %d -> %d", kind, compacted, len(e.tablets), n, after)
				if compacted > 0 && after >= n {
					t.Fatalf("%v compaction left %d rowsets of %d", kind, after, n)
				}
			}
			step(cumulative)
			loads(3 + r.IntN(5))
			step(cumulative)
			loads(2 + r.IntN(3))
			step(full)
			for _, id := range e.tablets {
				if n := len(e.rowsets(ctx, id)); n != 1 {
					t.Fatalf("tablet %d has %d rowsets after a full compaction", id, n)
				}
			}
			loads(6)
			step(cumulative)
			step(base) // below the point: the full output; with one rowset nothing to do
			loads(3)
			step(full)
		})
	}
}

// TestCompactionDeletes: delete predicates (DUPLICATE, AGGREGATE) and tombstones (UNIQUE) inside
// a cumulative range are kept by its output (predicates as the union, tombstones as rows), so
// rows below the range stay deleted; a full compaction applies and drops them.
func TestCompactionDeletes(t *testing.T) {
	for _, kind := range []commonpb.KeysType{commonpb.KeysType_DUP_KEYS, commonpb.KeysType_AGG_KEYS, commonpb.KeysType_UNIQUE_KEYS} {
		t.Run(kind.String(), func(t *testing.T) {
			ctx := context.Background()
			r := seeded(t)
			e := newEnv(t, r, schemaOf(kind), 1)
			c := e.compactor(compaction.Config{Disabled: true, Policy: compaction.Policy{MinCumulativeScore: 2}})
			for range 4 {
				if err := e.load(ctx, e.randomRows(30, 0)); err != nil {
					t.Fatal(err)
				}
			}
			// Settle the first loads below the point: a full compaction.
			compactAll(t, ctx, e, c, full)
			bound := int64(5 + r.IntN(15))
			for i := range 5 {
				del := 0.0
				if kind == commonpb.KeysType_UNIQUE_KEYS {
					del = 0.4
				}
				if err := e.load(ctx, e.randomRows(20, del)); err != nil {
					t.Fatal(err)
				}
				if kind != commonpb.KeysType_UNIQUE_KEYS && i == 2 {
					e.deleteWhere(ctx, &commonpb.DeletePredicate{Conditions: []*commonpb.DeleteCondition{
						{ColumnUniqueId: 1, ColumnName: "k1", Op: "<", Values: []string{fmt.Sprint(bound)}}}})
				}
			}
			want := e.contents(ctx)
			// Rows of the loads before the delete with k1 < bound are gone; later loads add some.
			below := 0
			for _, row := range want[0] {
				var k1 int64
				fmt.Sscanf(row, "%d|", &k1)
				if k1 < bound {
					below++
				}
			}
			t.Logf("%d rows, %d of them with k1 < %d", len(want[0]), below, bound)
			// A cumulative compaction above the point: stops before the delete rowset (the run
			// after it is compacted, or the rowsets before it).
			for range 3 {
				compactAll(t, ctx, e, c, cumulative)
				if got := e.contents(ctx); !reflect.DeepEqual(got, want) {
					t.Fatalf("after a cumulative compaction the table reads\n%v\nwant\n%v", got, want)
				}
			}
			// The delete rowset stopped a cumulative run and went below the point with it: base
			// compaction applies it.
			res := compactAll(t, ctx, e, c, base)
			if kind != commonpb.KeysType_UNIQUE_KEYS {
				if !res[0].Compacted || len(res[0].Output.GetDeletePredicates()) != 0 {
					t.Fatalf("base compaction over the delete rowset: %+v", res[0])
				}
			}
			if got := e.contents(ctx); !reflect.DeepEqual(got, want) {
				t.Fatalf("after a base compaction the table reads\n%v\nwant\n%v", got, want)
			}
			compactAll(t, ctx, e, c, full)
			if got := e.contents(ctx); !reflect.DeepEqual(got, want) {
				t.Fatalf("after a full compaction the table reads\n%v\nwant\n%v", got, want)
			}
			rs := e.rowsets(ctx, e.tablets[0])
			if len(rs) != 1 || len(rs[0].GetDeletePredicates()) != 0 {
				t.Fatalf("after a full compaction: %v", rs)
			}
			if rows := rs[0].GetNumRows(); rows != int64(len(want[0])) {
				t.Fatalf("full output has %d rows, the table reads %d (tombstones and deleted rows must be gone)", rows, len(want[0]))
			}
		})
	}
}

// TestCumulativeKeepsPredicates: a forced cumulative compaction whose range holds a delete
// rowset is impossible by the policy (deletes stop the run); this checks the other half of the
// contract directly: a cumulative range above the first rowset, over rowsets holding UNIQUE
// tombstones, keeps the tombstones, so that the keys they delete below stay deleted.
func TestCumulativeKeepsTombstones(t *testing.T) {
	ctx := context.Background()
	r := seeded(t)
	e := newEnv(t, r, schemaOf(commonpb.KeysType_UNIQUE_KEYS), 1)
	c := e.compactor(compaction.Config{Disabled: true})
	if err := e.load(ctx, e.randomRows(60, 0)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := e.load(ctx, e.randomRows(30, 0.7)); err != nil {
			t.Fatal(err)
		}
	}
	want := e.contents(ctx)
	// The first rowset sits alone until the point passes it: cumulative from the first rowset
	// would drop tombstones legitimately. Pass the point over it with a full compaction of it
	// alone is not possible, so compact rowsets 2..4 by hand through the policy's cumulative
	// with the point after the first rowset.
	first := e.rowsets(ctx, e.tablets[0])
	if len(first) != 4 {
		t.Fatalf("%d rowsets", len(first))
	}
	p, ok := compaction.Policy{MinCumulativeScore: 2}.Cumulative(first, first[0].GetEndVersion()+1, true)
	if !ok || p.FromFirst || len(p.Inputs) != 3 {
		t.Fatalf("pick %+v %v", p, ok)
	}
	res, err := c.CompactPick(ctx, e.tablets[0], p)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.contents(ctx); !reflect.DeepEqual(got, want) {
		t.Fatalf("after a cumulative compaction over tombstones the table reads\n%v\nwant\n%v", got, want)
	}
	if !res.Compacted || res.Inputs != 3 {
		t.Fatalf("result %+v", res)
	}
}

// failingMeta is the Meta Service as seen by a compactor whose process dies between the upload
// and the commit: the commit and the abort never arrive.
type failingMeta struct {
	metapb.MetaServiceClient
}

var errCrash = errors.New("crashed")

func (f failingMeta) FinishTabletJob(ctx context.Context, req *metapb.FinishTabletJobRequest, opts ...grpc.CallOption) (*metapb.FinishTabletJobResponse, error) {
	if req.GetAction() == metapb.TabletJobAction_JOB_LEASE {
		return f.MetaServiceClient.FinishTabletJob(ctx, req, opts...)
	}
	return nil, errCrash
}

// TestCrashBetweenUploadAndCommit: a compactor that uploads its output and dies before the commit
// leaves the visible rowsets and the contents unchanged; its output is behind an upload marker
// (the recycler reclaims it); its lease blocks another compactor until it expires, then the other
// compacts.
func TestCrashBetweenUploadAndCommit(t *testing.T) {
	ctx := context.Background()
	r := seeded(t)
	e := newEnv(t, r, schemaOf(commonpb.KeysType_AGG_KEYS), 1)
	for range 5 {
		if err := e.load(ctx, e.randomRows(25, 0)); err != nil {
			t.Fatal(err)
		}
	}
	want, before := e.contents(ctx), e.rowsets(ctx, e.tablets[0])
	lease := 1500 * time.Millisecond
	dying, err := compaction.New(compaction.Config{Meta: failingMeta{e.meta}, InstanceID: inst, Vaults: e.vaults, NodeID: "dying", Disabled: true, Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	defer dying.Stop()
	if _, err := dying.Compact(ctx, e.tablets[0], full); !errors.Is(err, errCrash) {
		t.Fatalf("compaction of the dying node: %v", err)
	}
	after := e.rowsets(ctx, e.tablets[0])
	if !reflect.DeepEqual(ids(after), ids(before)) {
		t.Fatalf("visible rowsets changed: %v -> %v", ids(before), ids(after))
	}
	if got := e.contents(ctx); !reflect.DeepEqual(got, want) {
		t.Fatalf("contents changed")
	}
	// The output's upload marker: some rowset of the tablet not visible has a recycle entry.
	marked := e.markedNotVisible(ctx, e.tablets[0], after)
	if len(marked) != 1 {
		t.Fatalf("upload markers of the dead job: %v", marked)
	}
	// Another node: busy while the lease lives, then it takes over.
	other := e.compactor(compaction.Config{NodeID: "other", Disabled: true})
	start := time.Now()
	res, err := other.Compact(ctx, e.tablets[0], full)
	if err != nil || !res.Compacted {
		t.Fatalf("take-over compaction: %+v %v", res, err)
	}
	if waited := time.Since(start); waited < lease/2 {
		t.Fatalf("the other compactor did not wait for the lease (%v)", waited)
	}
	if got := e.contents(ctx); !reflect.DeepEqual(got, want) {
		t.Fatalf("contents changed after the take-over")
	}
	if n := len(e.rowsets(ctx, e.tablets[0])); n != 1 {
		t.Fatalf("%d rowsets after the take-over", n)
	}
}

func ids(rs []*metapb.RowsetMeta) []string {
	var out []string
	for _, m := range rs {
		out = append(out, fmt.Sprintf("%s[%d-%d]", m.GetRowsetId(), m.GetStartVersion(), m.GetEndVersion()))
	}
	return out
}

// TestLeaseConflicts: two compactors (two nodes) compact one tablet over and over while loads
// go on: one of them wins each lease, the other fails with ErrBusy or ErrStale, nothing else;
// the table always reads as the serial reference.
func TestLeaseConflicts(t *testing.T) {
	ctx := context.Background()
	r := seeded(t)
	e := newEnv(t, r, schemaOf(commonpb.KeysType_AGG_KEYS), 1)
	a := e.compactor(compaction.Config{NodeID: "a", Disabled: true})
	b := e.compactor(compaction.Config{NodeID: "b", Disabled: true})
	for range 4 {
		if err := e.load(ctx, e.randomRows(20, 0)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var mu sync.Mutex
	won := map[string]int{}
	for name, c := range map[string]*compaction.Compactor{"a": a, "b": b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				p, ok := compaction.Policy{}.Full(e.rowsets(ctx, e.tablets[0]))
				if !ok {
					continue
				}
				res, err := c.CompactPick(ctx, e.tablets[0], p)
				if err != nil && !errors.Is(err, compaction.ErrBusy) && !errors.Is(err, compaction.ErrStale) {
					t.Errorf("compactor %s: %v", name, err)
					return
				}
				if err == nil && res.Compacted {
					mu.Lock()
					won[name]++
					mu.Unlock()
				}
			}
		}()
	}
	for range 15 {
		if err := e.load(ctx, e.randomRows(10, 0)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("compactions won: %v", won)
	want := e.contents(ctx)
	compactAll(t, ctx, e, a, full)
	if got := e.contents(ctx); !reflect.DeepEqual(got, want) {
		t.Fatalf("contents changed")
	}
	if won["a"]+won["b"] == 0 {
		t.Fatalf("no compaction won a lease")
	}
}

// TestTooManyVersions: with compaction off, loads succeed until the tablet has
// max_tablet_version_num visible rowsets, then fail with Doris's -235 text; a compaction
// brings the count down and loads succeed again.
func TestTooManyVersions(t *testing.T) {
	ctx := context.Background()
	r := seeded(t)
	e := newEnv(t, r, schemaOf(commonpb.KeysType_DUP_KEYS), 1)
	limit := 3 + r.IntN(6)
	e.loader.MaxTabletVersionNum = limit
	for range limit {
		if err := e.load(ctx, e.randomRows(3, 0)); err != nil {
			t.Fatal(err)
		}
	}
	err := e.load(ctx, e.randomRows(3, 0))
	var tm *load.TooManyVersionsError
	if !errors.Is(err, load.ErrTooManyVersions) || !errors.As(err, &tm) {
		t.Fatalf("load over the limit: %v", err)
	}
	want := fmt.Sprintf("[E-235]failed to init rowset builder. version count: %d, exceed limit: %d, tablet: %d. "+
		"Please reduce the frequency of loading data or adjust the max_tablet_version_num or time_series_max_tablet_version_num in be.conf to a larger value.",
		limit, limit, e.tablets[0])
	if err.Error() != want {
		t.Fatalf("-235 text:\n%s\nwant\n%s", err, want)
	}
	if n := e.rowsetCount(ctx); n != limit {
		t.Fatalf("%d rowsets after a refused load, want %d", n, limit)
	}
	c := e.compactor(compaction.Config{Disabled: true})
	compactAll(t, ctx, e, c, cumulative)
	if err := e.load(ctx, e.randomRows(3, 0)); err != nil {
		t.Fatalf("load after compaction: %v", err)
	}
}

// TestBackgroundCompaction: the producer, woken by the loads' hook, keeps the rowset count of a
// tablet under a stream of single-row loads bounded, and the contents stay right.
func TestBackgroundCompaction(t *testing.T) {
	ctx := context.Background()
	r := seeded(t)
	e := newEnv(t, r, schemaOf(commonpb.KeysType_AGG_KEYS), 1)
	e.loader.MaxTabletVersionNum = 40
	c := e.compactor(compaction.Config{MinInterval: time.Millisecond, Interval: 20 * time.Millisecond, CumulativeThreads: 1 + r.IntN(3), BaseThreads: 1})
	e.loader.Written = c.Loaded
	c.Start()
	maxCount := 0
	for range 150 {
		if err := e.load(ctx, e.randomRows(1, 0)); err != nil {
			t.Fatalf("load: %v", err)
		}
		maxCount = max(maxCount, e.rowsetCount(ctx))
	}
	t.Logf("max visible rowsets over 150 loads: %d", maxCount)
	if maxCount >= 40 {
		t.Fatalf("rowsets reached %d", maxCount)
	}
	want := e.contents(ctx)
	c.Stop()
	other := e.compactor(compaction.Config{Disabled: true})
	compactAll(t, ctx, e, other, full)
	if got := e.contents(ctx); !reflect.DeepEqual(got, want) {
		t.Fatalf("contents changed")
	}
}

// TestCumulativeKeepsPredicates: a cumulative range above the first rowset that holds a delete
// rowset (the policy never picks one; CompactPick can) keeps the delete predicate in its output,
// which goes on deleting the matching rows of the rowset below.
func TestCumulativeKeepsPredicates(t *testing.T) {
	ctx := context.Background()
	r := seeded(t)
	e := newEnv(t, r, schemaOf(commonpb.KeysType_DUP_KEYS), 1)
	c := e.compactor(compaction.Config{Disabled: true})
	for range 2 {
		if err := e.load(ctx, e.randomRows(40, 0)); err != nil {
			t.Fatal(err)
		}
	}
	e.deleteWhere(ctx, &commonpb.DeletePredicate{Conditions: []*commonpb.DeleteCondition{{ColumnUniqueId: 1, ColumnName: "k1", Op: "<", Values: []string{"15"}}}})
	if err := e.load(ctx, e.randomRows(40, 0)); err != nil {
		t.Fatal(err)
	}
	want := e.contents(ctx)
	rs := e.rowsets(ctx, e.tablets[0])
	p := compaction.Pick{Kind: cumulative, Inputs: rs[1:], Score: 3}
	res, err := c.CompactPick(ctx, e.tablets[0], p)
	if err != nil {
		t.Fatal(err)
	}
	if preds := res.Output.GetDeletePredicates(); len(preds) != 1 || preds[0].GetConditions()[0].GetValues()[0] != "15" {
		t.Fatalf("output predicates %v", preds)
	}
	if got := e.contents(ctx); !reflect.DeepEqual(got, want) {
		t.Fatalf("after a cumulative compaction over a delete the table reads\n%v\nwant\n%v", got, want)
	}
}
