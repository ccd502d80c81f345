package faulty

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/kvtest"
	"github.com/doricdb/doric/metaservice/kv/local"
)

var ctx = context.Background()

// openLocal opens a local store that makes single attempts, the wrapper being the retry loop.
func openLocal(t *testing.T, o kv.Options) kv.DB {
	t.Helper()
	o.Retry = kv.RetryPolicy{MaxAttempts: 1}
	db, err := local.OpenWith(filepath.Join(t.TempDir(), "meta.db"), o)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func wrap(t *testing.T, inner kv.DB, c Config) *DB {
	t.Helper()
	db, err := New(inner, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestConformance runs kvtest on faulty(local) with conflicts and unknown results (applied and
// not) injected, and checks that they were.
func TestConformance(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	rates := Rates{
		Conflict:          0.05 + 0.15*rng.Float64(),
		UnknownNotApplied: 0.05 + 0.10*rng.Float64(),
		UnknownApplied:    0.05 + 0.15*rng.Float64(),
	}
	t.Logf("seed %d, rates %+v", seed, rates)
	var (
		mu  sync.Mutex
		dbs []*DB
	)
	kvtest.RunConfig(t, func(t *testing.T, o kv.Options) kv.DB {
		mu.Lock()
		defer mu.Unlock()
		db := wrap(t, openLocal(t, o), Config{Seed: seed + uint64(len(dbs)), Rates: rates, Retry: o.Retry})
		dbs = append(dbs, db)
		return db
	}, kvtest.Config{Faulty: true})
	var sum Counts
	for _, db := range dbs {
		c := db.Counts()
		sum.Attempts += c.Attempts
		sum.Conflicts += c.Conflicts
		sum.UnknownApplied += c.UnknownApplied
		sum.UnknownNotApplied += c.UnknownNotApplied
		sum.Timeouts += c.Timeouts
	}
	t.Logf("injected over the suite: %+v", sum)
	if sum.Conflicts == 0 || sum.UnknownApplied == 0 || sum.UnknownNotApplied == 0 || sum.Timeouts != 0 {
		t.Fatalf("the suite ran without the faults it was meant to survive: %+v", sum)
	}
}

// addOnce runs a deliberately non-idempotent Update (a blind add) and returns its error and the
// counter afterwards, so that a test sees how often the commit applied.
func addOnce(t *testing.T, db *DB) (int64, error) {
	t.Helper()
	err := db.Update(ctx, func(tx kv.Txn) error { return tx.AtomicAdd([]byte{1, 'n'}, 1) })
	var n int64
	if verr := db.inner.View(ctx, func(tx kv.ReadTxn) error {
		v, err := tx.Get([]byte{1, 'n'})
		n = kv.CounterValue(v)
		return err
	}); verr != nil {
		t.Fatal(verr)
	}
	return n, err
}

func TestEachFault(t *testing.T) {
	attempts := 2 + rand.IntN(5)
	retry := kv.RetryPolicy{MaxAttempts: attempts, MinBackoff: 10 * time.Microsecond, MaxBackoff: 100 * time.Microsecond}
	for _, tc := range []struct {
		name    string
		rates   Rates
		want    []error // the error wraps each
		applied int64   // how many times the commit applied
		counts  Counts
	}{
		{"conflict", Rates{Conflict: 1}, []error{kv.ErrConflict, ErrInjected}, 0,
			Counts{Attempts: int64(attempts), Conflicts: int64(attempts)}},
		{"timeout", Rates{Timeout: 1}, []error{kv.ErrTxnTooOld, ErrInjected}, 0,
			Counts{Attempts: 1, Timeouts: 1}},
		{"unknown, not applied", Rates{UnknownNotApplied: 1}, []error{kv.ErrCommitUnknown, ErrInjected}, 0,
			Counts{Attempts: int64(attempts), UnknownNotApplied: int64(attempts)}},
		// Each attempt applies and reports an unknown result: a blind add applies every time,
		// which is why Update's functions must be idempotent.
		{"unknown, applied", Rates{UnknownApplied: 1}, []error{kv.ErrCommitUnknown, ErrInjected}, int64(attempts),
			Counts{Attempts: int64(attempts), UnknownApplied: int64(attempts)}},
		{"none", Rates{}, nil, 1, Counts{Attempts: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := wrap(t, openLocal(t, kv.DefaultOptions()), Config{Seed: rand.Uint64(), Rates: tc.rates, Retry: retry})
			n, err := addOnce(t, db)
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("Update = %v, want it to wrap %v", err, w)
				}
			}
			if tc.want == nil && err != nil {
				t.Errorf("Update = %v", err)
			}
			if n != tc.applied {
				t.Errorf("applied %d times, want %d", n, tc.applied)
			}
			if got := db.Counts(); got != tc.counts {
				t.Errorf("counts %+v, want %+v", got, tc.counts)
			}
		})
	}
}

func TestViewTimeout(t *testing.T) {
	db := wrap(t, openLocal(t, kv.DefaultOptions()), Config{Rates: Rates{Timeout: 1}})
	calls := 0
	err := db.View(ctx, func(kv.ReadTxn) error { calls++; return nil })
	if !errors.Is(err, kv.ErrTxnTooOld) || !errors.Is(err, ErrInjected) || calls != 1 {
		t.Fatalf("View = %v after %d calls", err, calls)
	}
	if c := db.Counts(); c.Views != 1 || c.Timeouts != 1 || c.Attempts != 0 {
		t.Fatalf("counts %+v", c)
	}
	// A View that fails on its own is not faulted.
	boom := errors.New("boom")
	if err := db.View(ctx, func(kv.ReadTxn) error { return boom }); err != boom {
		t.Fatalf("View = %v, want boom as is", err)
	}
}

// TestVersionstampHiddenByUnknownResult: after an unknown result that applied, the attempt's
// future does not give the stamp (the caller would not know it), though the write is there.
func TestVersionstampHiddenByUnknownResult(t *testing.T) {
	db := wrap(t, openLocal(t, kv.DefaultOptions()), Config{Rates: Rates{UnknownApplied: 1}, Retry: kv.RetryPolicy{MaxAttempts: 1}})
	var fut *kv.VersionstampFuture
	err := db.Update(ctx, func(tx kv.Txn) error {
		fut = tx.Versionstamp()
		return tx.SetVersionstampedKey([]byte{1, 'p'}, nil)
	})
	if !errors.Is(err, kv.ErrCommitUnknown) {
		t.Fatalf("Update = %v", err)
	}
	if _, err := fut.Get(); !errors.Is(err, kv.ErrCommitUnknown) {
		t.Fatalf("future = %v, want ErrCommitUnknown", err)
	}
	var n int
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		kvs, err := tx.GetRange([]byte{1, 'p'}, []byte{1, 'q'}, 0, false)
		n = len(kvs)
		return err
	}); err != nil || n != 1 {
		t.Fatalf("stamped keys: %d, %v; want the applied one", n, err)
	}
	// Without faults, the wrapper passes the stamp through.
	if err := db.SetRates(Rates{}); err != nil {
		t.Fatal(err)
	}
	vs, err := kv.UpdateStamped(ctx, db, func(tx kv.Txn) error { return tx.Set([]byte{1, 'x'}, nil) })
	if err != nil || vs.CommitVersion() == 0 {
		t.Fatalf("UpdateStamped = %s, %v", vs, err)
	}
}

// TestDeterministic: the same seed gives the same faults, in the same order.
func TestDeterministic(t *testing.T) {
	rates := Rates{Conflict: 0.2, Timeout: 0.1, UnknownNotApplied: 0.1, UnknownApplied: 0.2}
	retry := kv.RetryPolicy{MaxAttempts: 3, MinBackoff: time.Microsecond, MaxBackoff: 10 * time.Microsecond}
	ops := 30 + rand.IntN(30)
	run := func(seed uint64) (string, Counts) {
		db := wrap(t, openLocal(t, kv.DefaultOptions()), Config{Seed: seed, Rates: rates, Retry: retry})
		trace := ""
		for i := 0; i < ops; i++ {
			n, err := addOnce(t, db)
			class := "ok"
			for _, c := range []struct {
				err  error
				name string
			}{{kv.ErrCommitUnknown, "unknown"}, {kv.ErrConflict, "conflict"}, {kv.ErrTxnTooOld, "timeout"}} {
				if errors.Is(err, c.err) {
					class = c.name
					break
				}
			}
			trace += fmt.Sprintf("%s:%d ", class, n)
		}
		return trace, db.Counts()
	}
	seed := rand.Uint64()
	t1, c1 := run(seed)
	t2, c2 := run(seed)
	if t1 != t2 || c1 != c2 {
		t.Fatalf("seed %d gave two runs:\n%s %+v\n%s %+v", seed, t1, c1, t2, c2)
	}
	if t3, _ := run(seed + 1); t3 == t1 {
		t.Fatalf("seeds %d and %d gave the same %d faults: %s", seed, seed+1, ops, t1)
	}
}

func TestRatesValidated(t *testing.T) {
	for _, r := range []Rates{{Conflict: -0.1}, {Timeout: 1.5}, {Conflict: 0.6, UnknownApplied: 0.6}, {UnknownNotApplied: math.NaN()}} {
		if _, err := New(nil, Config{Rates: r}); err == nil {
			t.Errorf("New accepted rates %+v", r)
		}
		db := &DB{}
		if err := db.SetRates(r); err == nil {
			t.Errorf("SetRates accepted rates %+v", r)
		}
	}
}
