package faulty

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/doricdb/doric/metaservice/kv"
)

// Rates are the probabilities of each fault per attempt. Each is in [0, 1] and their sum is at
// most 1; the rest of the attempts run unharmed.
type Rates struct {
	Conflict          float64
	Timeout           float64
	UnknownNotApplied float64
	UnknownApplied    float64
}

func (r Rates) validate() error {
	sum := 0.0
	for _, p := range []float64{r.Conflict, r.Timeout, r.UnknownNotApplied, r.UnknownApplied} {
		if !(p >= 0 && p <= 1) { // also rejects NaN
			return fmt.Errorf("faulty: rate %v not in [0, 1]", p)
		}
		sum += p
	}
	if sum > 1 {
		return fmt.Errorf("faulty: rates sum to %v > 1", sum)
	}
	return nil
}

// Config configures a DB.
type Config struct {
	Seed  uint64
	Rates Rates
	// Retry is the wrapper's retry loop; zero fields take kv.DefaultRetryPolicy's.
	Retry kv.RetryPolicy
}

// Counts are the faults a DB injected so far, and the attempts it decided on.
type Counts struct {
	Attempts          int64 // Update attempts whose function returned nil
	Views             int64 // View attempts whose function returned nil
	Conflicts         int64
	Timeouts          int64 // in Updates and Views
	UnknownNotApplied int64
	UnknownApplied    int64 // counted only when the inner commit did succeed
}

// ErrInjected is wrapped by every injected error besides its kv sentinel, so that a test can
// tell an injected failure from a real one.
var ErrInjected = errors.New("faulty: injected")

type fault int

const (
	none fault = iota
	conflict
	timeout
	unknownNotApplied
	unknownApplied
)

// DB is a kv.DB that injects faults into another one.
type DB struct {
	inner kv.DB
	retry kv.RetryPolicy

	mu     sync.Mutex
	rng    *rand.Rand
	rates  Rates
	counts Counts
}

var _ kv.DB = (*DB)(nil)

// New wraps inner. It fails on rates out of range.
func New(inner kv.DB, c Config) (*DB, error) {
	if err := c.Rates.validate(); err != nil {
		return nil, err
	}
	retry := (kv.Options{Retry: c.Retry}).WithDefaults().Retry
	return &DB{
		inner: inner,
		retry: retry,
		rng:   rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15)),
		rates: c.Rates,
	}, nil
}

// SetRates changes the rates from the next decision on (for instance zero while a test seeds
// its data).
func (d *DB) SetRates(r Rates) error {
	if err := r.validate(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rates = r
	return nil
}

// Counts returns what was injected so far.
func (d *DB) Counts() Counts {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.counts
}

// decide draws the fault of one Update attempt (view false) or View attempt (view true).
func (d *DB) decide(view bool) fault {
	d.mu.Lock()
	defer d.mu.Unlock()
	u := d.rng.Float64()
	r := d.rates
	if view {
		d.counts.Views++
		if u < r.Timeout {
			d.counts.Timeouts++
			return timeout
		}
		return none
	}
	d.counts.Attempts++
	for _, c := range []struct {
		p     float64
		f     fault
		count *int64
	}{
		{r.Conflict, conflict, &d.counts.Conflicts},
		{r.Timeout, timeout, &d.counts.Timeouts},
		{r.UnknownNotApplied, unknownNotApplied, &d.counts.UnknownNotApplied},
		{r.UnknownApplied, unknownApplied, nil}, // counted when the commit succeeded
	} {
		if u < c.p {
			if c.count != nil {
				*c.count++
			}
			return c.f
		}
		u -= c.p
	}
	return none
}

func injected(sentinel error, what string) error {
	return fmt.Errorf("%w %s: %w", ErrInjected, what, sentinel)
}

// Update implements kv.DB.
func (d *DB) Update(ctx context.Context, fn func(kv.Txn) error) error {
	return kv.Retry(ctx, d.retry, func() error {
		var (
			f  fault
			ft *txn
		)
		err := d.inner.Update(ctx, func(tx kv.Txn) error {
			ft = &txn{Txn: tx}
			f = none
			if err := fn(ft); err != nil {
				return err
			}
			switch f = d.decide(false); f {
			case conflict:
				return injected(kv.ErrConflict, "conflict")
			case timeout:
				return injected(kv.ErrTxnTooOld, "timeout")
			case unknownNotApplied:
				return injected(kv.ErrCommitUnknown, "unknown result (not applied)")
			}
			return nil
		})
		if err == nil && f == unknownApplied {
			d.mu.Lock()
			d.counts.UnknownApplied++
			d.mu.Unlock()
			err = injected(kv.ErrCommitUnknown, "unknown result (applied)")
			ft.resolve(err)
			return err
		}
		if ft != nil {
			ft.resolve(err)
		}
		return err
	})
}

// View implements kv.DB.
func (d *DB) View(ctx context.Context, fn func(kv.ReadTxn) error) error {
	return d.inner.View(ctx, func(tx kv.ReadTxn) error {
		if err := fn(tx); err != nil {
			return err
		}
		if d.decide(true) == timeout {
			return injected(kv.ErrTxnTooOld, "timeout")
		}
		return nil
	})
}

// Close closes the inner DB.
func (d *DB) Close() error { return d.inner.Close() }

// txn passes everything to the inner Txn but the versionstamp future, which it resolves itself
// once it knows whether the attempt's result was hidden from the caller.
type txn struct {
	kv.Txn
	inner *kv.VersionstampFuture // the inner attempt's future, when asked for
	fut   *kv.VersionstampFuture
}

func (t *txn) Versionstamp() *kv.VersionstampFuture {
	if t.fut == nil {
		t.inner = t.Txn.Versionstamp()
		t.fut = kv.NewVersionstampFuture()
	}
	return t.fut
}

// resolve settles the future after the attempt: with err when the attempt failed (or its
// success is hidden), else with the inner attempt's outcome.
func (t *txn) resolve(err error) {
	if t.fut == nil {
		return
	}
	if err != nil {
		t.fut.Resolve(kv.Versionstamp{}, fmt.Errorf("%w: the attempt failed: %w", kv.ErrNoCommitVersion, err))
		return
	}
	t.fut.Resolve(t.inner.Get())
}
