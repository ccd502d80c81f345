package recycler_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/server"
	"github.com/doricdb/doric/recycler"
	"github.com/doricdb/doric/vault"
)

// hookVault calls before ahead of every DeletePrefix of the storage it wraps.
type hookVault struct {
	vault.Storage
	before func(prefix string) error
}

func (h *hookVault) DeletePrefix(ctx context.Context, prefix string) error {
	if err := h.before(prefix); err != nil {
		return err
	}
	return h.Storage.DeletePrefix(ctx, prefix)
}

func withVault(wrap func(vault.Storage) vault.Storage) func(*recycler.Config) {
	return func(c *recycler.Config) {
		c.OpenVault = func(ctx context.Context, v *metapb.StorageVault) (vault.Storage, error) {
			st, err := recycler.OpenLocalVault(ctx, v)
			if err != nil {
				return nil, err
			}
			return wrap(st), nil
		}
	}
}

// garbage makes n aborted txns, each with a tmp rowset on one of the tablets, and moves the
// clock by advance (past their retention); it returns the rowsets.
func (e *env) garbage(n int, tablets []int64, advance time.Duration) []*metapb.RowsetMeta {
	e.t.Helper()
	var out []*metapb.RowsetMeta
	for i := range n {
		id := e.begin(fmt.Sprintf("g%d-%d", e.nextID, i))
		out = append(out, e.stage(id, tablets[i%len(tablets)], true))
		if _, err := e.srv.AbortTxn(ctx, &metapb.AbortTxnRequest{InstanceId: inst, DbId: dbID, TxnId: id}); err != nil {
			e.t.Fatal(err)
		}
	}
	e.clk.Advance(advance)
	return out
}

// TestASecondRecyclerWaitsForTheLease: while one recycler's round holds an instance's lease,
// another's round on it does nothing and says who holds it; once the first is done, the second
// takes the lease and finds nothing left.
func TestASecondRecyclerWaitsForTheLease(t *testing.T) {
	e := newEnv(t)
	tablets := e.tablets(1, 3, 1)
	rss := e.garbage(12, tablets, 73*time.Hour)

	inside, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	a := e.recycler(func(c *recycler.Config) {
		c.Owner = "A"
		c.Parallelism = 1
		withVault(func(st vault.Storage) vault.Storage {
			return &hookVault{st, func(string) error {
				once.Do(func() { close(inside); <-release })
				return nil
			}}
		})(c)
	})
	b := e.recycler(func(c *recycler.Config) { c.Owner = "B" })
	type result struct {
		rep recycler.Report
		err error
	}
	done := make(chan result)
	go func() {
		rep, err := a.Round(ctx, inst)
		done <- result{rep, err}
	}()
	<-inside
	rep, err := b.Round(ctx, inst)
	if err != nil || !rep.Busy || rep.Holder != "A" || rep.Recycled() != 0 {
		t.Fatalf("B's round while A holds the lease: %+v, %v", rep, err)
	}
	for _, rs := range rss[1:] { // A is blocked in its first deletion: nothing else went
		if e.filesOf(rs) != 3 || !e.has(keys.RecycleRowset(inst, rs.GetTabletId(), rs.GetRowsetId())) {
			t.Fatalf("rowset %s was touched while A was blocked", rs.GetRowsetId())
		}
	}
	close(release)
	ra := <-done
	if ra.err != nil || ra.rep.Kinds[recycler.KindRowset].Recycled != len(rss) {
		t.Fatalf("A's round: %v\n%s", ra.err, ra.rep.String())
	}
	rep, err = b.Round(ctx, inst)
	if err != nil || rep.Busy || rep.Recycled() != 0 {
		t.Fatalf("B's round after A: %v\n%s", err, rep.String())
	}
	if l, _ := recycler.ReadLease(ctx, e.db, inst); l == nil || l.Owner != "B" || l.Busy {
		t.Fatalf("lease after B's round: %+v", l)
	}
}

// TestATakenOverRecyclerStops: a recycler that stalls past its lease is taken over; the new
// holder does the work, and the stalled one fails with ErrLeaseLost at its next bookkeeping
// step without removing anything or touching the new holder's lease.
func TestATakenOverRecyclerStops(t *testing.T) {
	e := newEnv(t)
	tablets := e.tablets(1, 2, 1)
	rss := e.garbage(6, tablets, 73*time.Hour)

	inside, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	a := e.recycler(func(c *recycler.Config) {
		c.Owner, c.BatchSize, c.Parallelism = "A", 100, 1
		withVault(func(st vault.Storage) vault.Storage {
			return &hookVault{st, func(string) error {
				once.Do(func() { close(inside); <-release })
				return nil
			}}
		})(c)
	})
	b := e.recycler(func(c *recycler.Config) { c.Owner = "B" })
	done := make(chan error)
	var repA recycler.Report
	go func() {
		var err error
		repA, err = a.Round(ctx, inst)
		done <- err
	}()
	<-inside
	e.clk.Advance(recycler.DefaultLease + time.Second)
	rep, err := b.Round(ctx, inst)
	if err != nil || rep.Busy || rep.Kinds[recycler.KindRowset].Recycled != len(rss) {
		t.Fatalf("B's take-over round: %v\n%s", err, rep.String())
	}
	close(release)
	err = <-done
	if !errors.Is(err, recycler.ErrLeaseLost) {
		t.Fatalf("A's round after the take-over: %v, want ErrLeaseLost", err)
	}
	if n := repA.Recycled(); n != 0 {
		t.Fatalf("A reclaimed %d entries after losing its lease", n)
	}
	l, _ := recycler.ReadLease(ctx, e.db, inst)
	if l == nil || l.Owner != "B" || l.Busy || l.LastSuccessMs != e.clk.Now().UnixMilli() {
		t.Fatalf("lease: %+v", l)
	}
	for _, rs := range rss {
		if e.filesOf(rs) != 0 || e.has(keys.RecycleRowset(inst, rs.GetTabletId(), rs.GetRowsetId())) {
			t.Fatalf("rowset %s not reclaimed", rs.GetRowsetId())
		}
	}
	e.check(b)
}

// TestConcurrentRecyclersHoldTheLeaseForEveryDeletion runs three recyclers' rounds in loops
// while loads make new garbage (due at once: the Meta Service keeps orphaned rowsets 1 ms and
// the recyclers add no retention, so the clock never jumps past a lease), and checks at every
// vault deletion that the deleting recycler holds the instance's lease at that moment.
func TestConcurrentRecyclersHoldTheLeaseForEveryDeletion(t *testing.T) {
	e := newEnv(t, server.WithRetention(time.Millisecond))
	tablets := e.tablets(1, 4, 1)
	var deletions, violations atomic.Int64
	rs := make([]*recycler.Recycler, 3)
	for i := range rs {
		owner := fmt.Sprintf("R%d", i)
		rs[i] = e.recycler(func(c *recycler.Config) {
			c.Owner = owner
			c.Retention.General = -1
			withVault(func(st vault.Storage) vault.Storage {
				return &hookVault{st, func(prefix string) error {
					deletions.Add(1)
					l, err := recycler.ReadLease(ctx, e.db, inst)
					if err != nil || l == nil || l.Owner != owner || !l.Busy {
						violations.Add(1)
						t.Errorf("%s deleted %s while the lease is %+v (%v)", owner, prefix, l, err)
					}
					return nil
				}}
			})(c)
		})
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var busy atomic.Int64
	for _, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				rep, err := r.Round(ctx, inst)
				if err != nil {
					t.Errorf("round: %v", err)
					return
				}
				if rep.Busy {
					busy.Add(1)
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	var all []*metapb.RowsetMeta
	for range 6 {
		all = append(all, e.garbage(8, tablets, time.Millisecond)...)
	}
	close(stop)
	wg.Wait()
	e.round(rs[0]) // whatever the loops had not reached
	for _, r := range all {
		if e.filesOf(r) != 0 {
			t.Fatalf("rowset %s not reclaimed", r.GetRowsetId())
		}
	}
	if deletions.Load() < int64(len(all)) || violations.Load() != 0 {
		t.Fatalf("%d deletions for %d rowsets, %d without the lease", deletions.Load(), len(all), violations.Load())
	}
	t.Logf("%d deletions, %d busy rounds", deletions.Load(), busy.Load())
	e.check(rs[1])
}
