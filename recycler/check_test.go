package recycler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/server"
	"github.com/doricdb/doric/recycler"
	"github.com/doricdb/doric/vault"
)

// TestCheckerReportsLeaksBothWays plants each kind of leak and checks the checker reports
// exactly those: files nothing references (a stray rowset in a live tablet, a file of a tablet
// that does not exist, a file that is not a segment) and missing segments of visible rowsets;
// while files behind recycle entries, of tablets of a dropped partition (also with a segment
// missing) and of tmp rowsets are not leaks.
func TestCheckerReportsLeaksBothWays(t *testing.T) {
	e := newEnv(t)
	p1 := e.tablets(1, 2, 1)
	p2 := e.tablets(2, 1, 1)
	e.load("l0", p1[0])
	live := e.load("l1", p1...)
	dropped := e.load("p2", p2...)
	e.stage(e.begin("tmp"), p1[0], true)     // a tmp rowset of a running txn
	e.stage(e.begin("marker"), p1[1], false) // an upload marker
	e.compact(p1[0])                         // compacted inputs with their entries
	if _, err := e.srv.DropPartition(ctx, &metapb.PartitionRequest{InstanceId: inst, DbId: dbID, TableId: table, IndexIds: []int64{1}, PartitionIds: []int64{2}}); err != nil {
		t.Fatal(err)
	}
	r := e.recycler(nil)
	c := e.check(r)
	if c.Files == 0 || c.Rowsets != 2 {
		t.Fatalf("checker saw %d files and %d rowsets", c.Files, c.Rowsets)
	}

	put := func(p string) {
		if _, err := e.st.Put(ctx, p, bytes.NewReader([]byte("x"))); err != nil {
			t.Fatal(err)
		}
	}
	strays := []string{
		vault.SegmentPath(p1[1], "ffffffffffffffff", 0), // no rowset of that id anywhere
		vault.SegmentPath(999, "0123", 3),               // no such tablet
		"data/junk",                                     // not a segment path
	}
	for _, p := range strays {
		put(p)
	}
	missing := vault.SegmentPath(live[1].GetTabletId(), live[1].GetRowsetId(), 1)
	if err := e.st.Delete(ctx, missing); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Delete(ctx, vault.SegmentPath(dropped[0].GetTabletId(), dropped[0].GetRowsetId(), 0)); err != nil {
		t.Fatal(err)
	}
	c, err := r.Check(ctx, inst)
	if err != nil {
		t.Fatal(err)
	}
	var leaked []string
	for _, l := range c.Leaked {
		if l.VaultID != e.vaultID || l.Size != 1 {
			t.Errorf("leak %+v", l)
		}
		leaked = append(leaked, l.Path)
	}
	slices.Sort(strays)
	if !slices.Equal(leaked, strays) {
		t.Fatalf("leaked %v, want %v\n%s", leaked, strays, c)
	}
	if len(c.Missing) != 1 || c.Missing[0].Path != missing || c.Missing[0].RowsetID != live[1].GetRowsetId() || c.Missing[0].TabletID != live[1].GetTabletId() {
		t.Fatalf("missing %+v, want %s\n%s", c.Missing, missing, c)
	}
}

// TestRetentionIsConfigurable: the recycler's retentions delay entries beyond their own
// expiration, and a negative one leaves the decision to the expiration the Meta Service set.
func TestRetentionIsConfigurable(t *testing.T) {
	e := newEnv(t, server.WithRetention(time.Hour))
	tablets := e.tablets(1, 2, 1)
	e.load("a", tablets[0])
	e.load("b", tablets[0])
	inputs := e.compact(tablets[0])
	aborted := e.garbage(1, tablets[1:], 0)

	long := e.recycler(func(c *recycler.Config) { c.Retention.Compacted = 2 * time.Hour })
	short := e.recycler(func(c *recycler.Config) { c.Retention.General = -1 })

	e.clk.Advance(61 * time.Minute)
	// The compacted inputs' own expiration (30 min) passed, the long retention (2 h) did not;
	// the aborted rowset's own expiration (the Meta Service's 1 h) passed, the default 72 h
	// general retention did not.
	wantKinds(t, "61 min, long", e.round(long), nil)
	if e.filesOf(inputs[0]) == 0 || e.filesOf(aborted[0]) == 0 {
		t.Fatal("files deleted before the retention passed")
	}
	wantKinds(t, "61 min, short", e.round(short), map[string]int{"rowset": 1, "compacted_rowset": 2})
	if e.filesOf(inputs[0]) != 0 || e.filesOf(aborted[0]) != 0 {
		t.Fatal("files kept after the retention passed")
	}
	e.check(short)
}

// TestInstancesListsEveryInstance: Instances finds every instance, skipping the keys under each
// (compute groups, nodes, counters).
func TestInstancesListsEveryInstance(t *testing.T) {
	e := newEnv(t)
	var want []string
	for i := range 4 {
		id := fmt.Sprintf("inst-%d", i)
		want = append(want, id)
		if _, err := e.srv.CreateInstance(ctx, &metapb.CreateInstanceRequest{InstanceId: id, Name: id,
			DefaultComputeGroup: &metapb.ComputeGroup{Name: "g"}}); err != nil {
			t.Fatal(err)
		}
	}
	e.load("l", e.tablets(1, 1, 1)...) // a txn id counter under rtest
	want = append(want, inst)
	slices.Sort(want)
	got, err := recycler.Instances(ctx, e.db)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Instances = %v, %v; want %v", got, err, want)
	}
}

// TestRoundOfAnUnknownInstance fails without leaving a lease behind.
func TestRoundOfAnUnknownInstance(t *testing.T) {
	e := newEnv(t)
	r := e.recycler(nil)
	if _, err := r.Round(ctx, "nope"); !errors.Is(err, recycler.ErrNoInstance) {
		t.Fatalf("round of an unknown instance: %v", err)
	}
	if l, err := recycler.ReadLease(ctx, e.db, "nope"); l != nil || err != nil {
		t.Fatalf("lease of an unknown instance: %+v %v", l, err)
	}
}

// TestRunRecyclesEveryInstanceAndServesMetrics: Run without instance ids finds the instances
// itself, and /metrics shows what it did.
func TestRunRecyclesEveryInstanceAndServesMetrics(t *testing.T) {
	e := newEnv(t)
	rss := e.garbage(3, e.tablets(1, 1, 1), 73*time.Hour)
	r := e.recycler(func(c *recycler.Config) {
		c.InstanceIDs, c.HTTPAddr, c.Interval = nil, "127.0.0.1:0", 5*time.Millisecond
	})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- r.Run(rctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for e.filesOf(rss[len(rss)-1]) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not reclaim the garbage within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The files go first and the bookkeeping (which the counter follows) second: poll the metric.
	want := fmt.Sprintf(`doric_recycler_recycled_total{instance=%q,kind="rowset"} 3`, inst)
	for {
		resp, err := http.Get("http://" + r.HTTPAddr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %s:\n%s", want, body)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
