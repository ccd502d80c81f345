package kvtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/doricdb/doric/metaservice/kv"
)

// Opener returns a new, empty DB that applies o. The suite closes it (Close may be called twice).
type Opener func(t *testing.T, o kv.Options) kv.DB

// Config describes the DB under test.
type Config struct {
	// Faulty: Update attempts of the DB may fail with injected kv.ErrConflict and
	// kv.ErrCommitUnknown — after applying or not — as kv/faulty injects them (not timeouts).
	// The suite then gives Update a retry budget that outlasts the injection and checks attempt
	// counts as bounds; everything else it checks the same way, because every transaction
	// function of the suite that commits is idempotent.
	Faulty bool
}

// Run runs the conformance suite on a DB that injects no faults.
func Run(t *testing.T, open Opener) { RunConfig(t, open, Config{}) }

// RunConfig runs the conformance suite.
func RunConfig(t *testing.T, open Opener, c Config) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("kvtest seed %d", seed)
	s := &suite{open: open, cfg: c, rng: rand.New(rand.NewPCG(seed, seed>>1))}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"GetSetClear", s.getSetClear},
		{"ReadYourWrites", s.readYourWrites},
		{"Rollback", s.rollback},
		{"Range", s.rangeReads},
		{"ClearRange", s.clearRange},
		{"AtomicAdd", s.atomicAdd},
		{"KeyValueLimits", s.keyValueLimits},
		{"TxnSizeLimit", s.txnSizeLimit},
		{"TxnSizeLimitDefault", s.txnSizeLimitDefault},
		{"TxnTooOld", s.txnTooOld},
		{"VersionstampLimits", s.versionstampLimits},
		{"RetryOnConflict", s.retryOnConflict},
		{"RetryExhausted", s.retryExhausted},
		{"RetryOnCommitUnknown", s.retryOnCommitUnknown},
		{"CommitUnknownExhausted", s.commitUnknownExhausted},
		{"IdempotentRetry", s.idempotentRetry},
		{"NoRetryOnOtherErrors", s.noRetryOnOtherErrors},
		{"ConcurrentReadModifyWrite", s.concurrentRMW},
		{"ConcurrentAtomicAdd", s.concurrentAtomicAdd},
		{"PhantomWriteSkew", s.phantomWriteSkew},
		{"PhantomSequence", s.phantomSequence},
		{"Versionstamps", s.versionstamps},
		{"VersionstampUnreadable", s.versionstampUnreadable},
		{"VersionstampOrder", s.versionstampOrder},
		{"SnapshotIsolation", s.snapshot},
		{"Context", s.context},
		{"Closed", s.closed},
	} {
		t.Run(tc.name, tc.fn)
	}
}

type suite struct {
	open Opener
	cfg  Config
	mu   sync.Mutex
	rng  *rand.Rand
}

func (s *suite) intn(lo, hi int) int { // in [lo, hi]
	s.mu.Lock()
	defer s.mu.Unlock()
	return lo + s.rng.IntN(hi-lo+1)
}

// options returns the default limits and a fast, randomised retry policy.
func (s *suite) options() kv.Options {
	o := kv.DefaultOptions()
	attempts := s.intn(3, 8)
	if s.cfg.Faulty {
		// Injected faults consume attempts; at a fault rate of 1/2 (far above what a test
		// injects) 30 attempts all fail with probability 1e-9.
		attempts = s.intn(30, 40)
	}
	o.Retry = kv.RetryPolicy{
		MaxAttempts: attempts,
		MinBackoff:  time.Duration(s.intn(10, 200)) * time.Microsecond,
		MaxBackoff:  time.Duration(s.intn(1, 3)) * time.Millisecond,
	}
	return o
}

func (s *suite) db(t *testing.T, o kv.Options) kv.DB {
	t.Helper()
	db := s.open(t, o)
	t.Cleanup(func() { db.Close() })
	return db
}

var ctx = context.Background()

func k(parts ...string) []byte { return append([]byte{0x01}, []byte(fmt.Sprint(parts))...) }

func mustUpdate(t *testing.T, db kv.DB, fn func(kv.Txn) error) {
	t.Helper()
	if err := db.Update(ctx, fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func get(t *testing.T, db kv.DB, key []byte) []byte {
	t.Helper()
	var v []byte
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		var err error
		v, err = tx.Get(key)
		return err
	}); err != nil {
		t.Fatalf("View Get %q: %v", key, err)
	}
	return v
}

func scan(t *testing.T, db kv.DB, begin, end []byte) []kv.KeyValue {
	t.Helper()
	var out []kv.KeyValue
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		var err error
		out, err = tx.GetRange(begin, end, 0, false)
		return err
	}); err != nil {
		t.Fatalf("View GetRange: %v", err)
	}
	return out
}

func (s *suite) getSetClear(t *testing.T) {
	db := s.db(t, s.options())
	a, b := k("a"), k("b")
	if v := get(t, db, a); v != nil {
		t.Fatalf("absent key: got %q", v)
	}
	buf := []byte("one")
	mustUpdate(t, db, func(tx kv.Txn) error { return tx.Set(a, buf) })
	buf[0] = 'X' // the store keeps its own copy
	if v := get(t, db, a); string(v) != "one" {
		t.Fatalf("got %q, want one", v)
	}
	mustUpdate(t, db, func(tx kv.Txn) error { return tx.Set(a, []byte("two")) })
	v := get(t, db, a)
	if string(v) != "two" {
		t.Fatalf("overwrite: got %q", v)
	}
	v[0] = 'X' // the caller owns returned slices
	if v := get(t, db, a); string(v) != "two" {
		t.Fatalf("returned slice aliased the store: %q", v)
	}
	mustUpdate(t, db, func(tx kv.Txn) error { return tx.Set(b, nil) })
	if v := get(t, db, b); v == nil || len(v) != 0 {
		t.Fatalf("empty value: got %#v, want non-nil empty", v)
	}
	mustUpdate(t, db, func(tx kv.Txn) error {
		if err := tx.Clear(a); err != nil {
			return err
		}
		return tx.Clear(k("never-written"))
	})
	if v := get(t, db, a); v != nil {
		t.Fatalf("cleared key: got %q", v)
	}
	if v := get(t, db, b); v == nil {
		t.Fatalf("clearing a removed b")
	}
}

func (s *suite) readYourWrites(t *testing.T) {
	db := s.db(t, s.options())
	mustUpdate(t, db, func(tx kv.Txn) error {
		for _, key := range []string{"a", "b", "c"} {
			if err := tx.Set(k(key), []byte(key)); err != nil {
				return err
			}
		}
		return nil
	})
	mustUpdate(t, db, func(tx kv.Txn) error {
		if err := tx.Set(k("d"), []byte("d")); err != nil {
			return err
		}
		if err := tx.Clear(k("b")); err != nil {
			return err
		}
		if err := tx.Set(k("a"), []byte("A")); err != nil {
			return err
		}
		if v, err := tx.Get(k("d")); err != nil || string(v) != "d" {
			return fmt.Errorf("own Set not visible: %q %v", v, err)
		}
		if v, err := tx.Get(k("b")); err != nil || v != nil {
			return fmt.Errorf("own Clear not visible: %q %v", v, err)
		}
		kvs, err := tx.GetRange(k("a"), k("z"), 0, false)
		if err != nil {
			return err
		}
		if got := render(kvs); got != "a=A c=c d=d" {
			return fmt.Errorf("range inside txn: %s", got)
		}
		return nil
	})
}

func render(kvs []kv.KeyValue) string {
	var b bytes.Buffer
	for i, e := range kvs {
		if i > 0 {
			b.WriteByte(' ')
		}
		key := e.Key[1:]
		key = bytes.Trim(key, "[]")
		fmt.Fprintf(&b, "%s=%s", key, e.Value)
	}
	return b.String()
}

func (s *suite) rollback(t *testing.T) {
	db := s.db(t, s.options())
	mustUpdate(t, db, func(tx kv.Txn) error { return tx.Set(k("a"), []byte("1")) })
	boom := errors.New("boom")
	calls := 0
	err := db.Update(ctx, func(tx kv.Txn) error {
		calls++
		if err := tx.Set(k("a"), []byte("2")); err != nil {
			return err
		}
		if err := tx.Set(k("b"), []byte("2")); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", boom)
	})
	if !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("Update = %v after %d calls, want boom after 1", err, calls)
	}
	if v := get(t, db, k("a")); string(v) != "1" {
		t.Fatalf("rolled-back write visible: a=%q", v)
	}
	if v := get(t, db, k("b")); v != nil {
		t.Fatalf("rolled-back write visible: b=%q", v)
	}
}

// model is a sorted in-memory copy of what the store should hold.
type model map[string]string

func (m model) scan(begin, end []byte, limit int, reverse bool) []kv.KeyValue {
	var keys []string
	for key := range m {
		if key >= string(begin) && key < string(end) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	if reverse {
		slices.Reverse(keys)
	}
	if limit > 0 && len(keys) > limit {
		keys = keys[:limit]
	}
	out := make([]kv.KeyValue, 0, len(keys))
	for _, key := range keys {
		out = append(out, kv.KeyValue{Key: []byte(key), Value: []byte(m[key])})
	}
	return out
}

func (s *suite) randKey() []byte {
	n := s.intn(1, 6)
	b := make([]byte, n)
	b[0] = byte(s.intn(1, 3)) // never the 0xFF system space
	for i := 1; i < n; i++ {
		b[i] = byte(s.intn(0, 255))
	}
	return b
}

func (s *suite) fill(t *testing.T, db kv.DB) model {
	m := model{}
	n := s.intn(20, 200)
	batch := s.intn(1, 50)
	for done := 0; done < n; done += batch {
		// The batch is drawn outside the transaction: a retried function writes the same one.
		var kvs []kv.KeyValue
		for i := 0; i < batch && done+i < n; i++ {
			kvs = append(kvs, kv.KeyValue{Key: s.randKey(), Value: []byte(strconv.Itoa(s.intn(0, 1<<20)))})
		}
		mustUpdate(t, db, func(tx kv.Txn) error {
			for _, e := range kvs {
				if err := tx.Set(e.Key, e.Value); err != nil {
					return err
				}
			}
			return nil
		})
		for _, e := range kvs {
			m[string(e.Key)] = string(e.Value)
		}
	}
	return m
}

func equalKVs(a, b []kv.KeyValue) bool {
	return slices.EqualFunc(a, b, func(x, y kv.KeyValue) bool {
		return bytes.Equal(x.Key, y.Key) && bytes.Equal(x.Value, y.Value)
	})
}

func (s *suite) rangeReads(t *testing.T) {
	db := s.db(t, s.options())
	m := s.fill(t, db)
	check := func(begin, end []byte, limit int, reverse bool) {
		t.Helper()
		var got []kv.KeyValue
		if err := db.View(ctx, func(tx kv.ReadTxn) error {
			var err error
			got, err = tx.GetRange(begin, end, limit, reverse)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if want := m.scan(begin, end, limit, reverse); !equalKVs(got, want) {
			t.Fatalf("GetRange(%x, %x, %d, %v) = %d entries %v, want %d %v",
				begin, end, limit, reverse, len(got), got, len(want), want)
		}
	}
	check([]byte{0x00}, []byte{0xFF}, 0, false)
	check([]byte{0x00}, []byte{0xFF}, 0, true)
	check([]byte{0x02}, []byte{0x02}, 0, false)
	check([]byte{0x03}, []byte{0x02}, 0, true)
	for i := 0; i < 100; i++ {
		begin, end := s.randKey(), s.randKey()
		if s.intn(0, 3) == 0 {
			begin, end = end, begin
		}
		check(begin, end, s.intn(0, 10)*s.intn(0, 1), s.intn(0, 1) == 1)
	}
}

func (s *suite) clearRange(t *testing.T) {
	db := s.db(t, s.options())
	m := s.fill(t, db)
	for i := 0; i < 5; i++ {
		begin, end := s.randKey(), s.randKey()
		inside := slices.Concat(begin, []byte{0x00})
		mustUpdate(t, db, func(tx kv.Txn) error {
			if err := tx.ClearRange(begin, end); err != nil {
				return err
			}
			if bytes.Compare(inside, end) < 0 {
				// A write after the clear, inside the range, survives.
				return tx.Set(inside, []byte("new"))
			}
			return nil
		})
		for key := range m {
			if key >= string(begin) && key < string(end) {
				delete(m, key)
			}
		}
		if bytes.Compare(inside, end) < 0 {
			m[string(inside)] = "new"
		}
		if got, want := scan(t, db, []byte{0x00}, []byte{0xFF}), m.scan([]byte{0x00}, []byte{0xFF}, 0, false); !equalKVs(got, want) {
			t.Fatalf("after ClearRange(%x, %x): %d entries, want %d", begin, end, len(got), len(want))
		}
	}
}

// once makes fn idempotent with a marker key: it runs fn and sets marker, unless marker is
// already set (by an earlier attempt whose commit result was unknown but did apply).
func once(marker []byte, fn func(kv.Txn) error) func(kv.Txn) error {
	return func(tx kv.Txn) error {
		v, err := tx.Get(marker)
		if err != nil || v != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Set(marker, nil)
	}
}

func le(v int64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(uint64(v) >> (8 * i))
	}
	return b
}

func (s *suite) atomicAdd(t *testing.T) {
	db := s.db(t, s.options())
	c := k("counter")
	d1, d2 := int64(s.intn(1, 1000)), -int64(s.intn(1, 5000))
	mustUpdate(t, db, once(k("op1"), func(tx kv.Txn) error { return tx.AtomicAdd(c, d1) }))
	if v := get(t, db, c); !bytes.Equal(v, le(d1)) {
		t.Fatalf("add to absent: %x, want %x", v, le(d1))
	}
	mustUpdate(t, db, once(k("op2"), func(tx kv.Txn) error {
		if err := tx.AtomicAdd(c, d2); err != nil {
			return err
		}
		v, err := tx.Get(c) // reads see the txn's own atomic ops
		if err != nil {
			return err
		}
		if kv.CounterValue(v) != d1+d2 {
			return fmt.Errorf("inside txn: %d, want %d", kv.CounterValue(v), d1+d2)
		}
		return nil
	}))
	if v := get(t, db, c); kv.CounterValue(v) != d1+d2 || len(v) != 8 {
		t.Fatalf("got %x, want %d", v, d1+d2)
	}
	// Shorter values are zero-extended, longer ones truncated to 8 bytes.
	mustUpdate(t, db, func(tx kv.Txn) error {
		if err := tx.Set(k("short"), []byte{0x01, 0x01}); err != nil {
			return err
		}
		if err := tx.Set(k("long"), []byte{1, 0, 0, 0, 0, 0, 0, 0, 9, 9}); err != nil {
			return err
		}
		if err := tx.AtomicAdd(k("short"), 1); err != nil {
			return err
		}
		return tx.AtomicAdd(k("long"), 1)
	})
	if v := get(t, db, k("short")); !bytes.Equal(v, le(0x0102)) {
		t.Fatalf("short: %x", v)
	}
	if v := get(t, db, k("long")); !bytes.Equal(v, le(2)) {
		t.Fatalf("long: %x", v)
	}
}

func (s *suite) keyValueLimits(t *testing.T) {
	o := s.options()
	db := s.db(t, o)
	lim := o.Limits
	bigKey := append([]byte{0x01}, bytes.Repeat([]byte{'k'}, lim.KeyBytes)...)
	maxKey := bigKey[:lim.KeyBytes]
	bigVal := make([]byte, lim.ValueBytes+1)
	mustUpdate(t, db, func(tx kv.Txn) error {
		for _, op := range []struct {
			name string
			err  error
			want error
		}{
			{"Set big key", tx.Set(bigKey, nil), kv.ErrKeyTooLarge},
			{"Get big key", func() error { _, err := tx.Get(bigKey); return err }(), kv.ErrKeyTooLarge},
			{"Clear big key", tx.Clear(bigKey), kv.ErrKeyTooLarge},
			{"AtomicAdd big key", tx.AtomicAdd(bigKey, 1), kv.ErrKeyTooLarge},
			{"Set big value", tx.Set(k("v"), bigVal), kv.ErrValueTooLarge},
			{"Set empty key", tx.Set(nil, nil), kv.ErrInvalidKey},
			{"Set system key", tx.Set([]byte{0xFF, 1}, nil), kv.ErrInvalidKey},
			{"Get empty key", func() error { _, err := tx.Get([]byte{}); return err }(), kv.ErrInvalidKey},
		} {
			if !errors.Is(op.err, op.want) {
				return fmt.Errorf("%s: %v, want %v", op.name, op.err, op.want)
			}
		}
		// A failed operation leaves the transaction usable; limits are inclusive.
		if err := tx.Set(maxKey, bigVal[:lim.ValueBytes]); err != nil {
			return fmt.Errorf("Set at the limits: %v", err)
		}
		return nil
	})
	if v := get(t, db, maxKey); len(v) != lim.ValueBytes {
		t.Fatalf("value at the limit: %d bytes", len(v))
	}
	if v := get(t, db, k("v")); v != nil {
		t.Fatalf("rejected Set was applied")
	}
}

// writeUntilFull sets values of size n under distinct keys until the store refuses, and returns
// how many it accepted and the refusal.
func writeUntilFull(tx kv.Txn, n int) (int, error) {
	val := make([]byte, n)
	for i := 0; ; i++ {
		if err := tx.Set(k(fmt.Sprintf("%06d", i)), val); err != nil {
			return i, err
		}
	}
}

func (s *suite) txnSizeLimit(t *testing.T) {
	o := s.options()
	o.Limits.TxnBytes = s.intn(20_000, 200_000)
	valSize := s.intn(100, 5000)
	keySize := len(k("000000"))
	db := s.db(t, o)
	fits := o.Limits.TxnBytes / (keySize + valSize)
	err := db.Update(ctx, func(tx kv.Txn) error {
		n, err := writeUntilFull(tx, valSize)
		if n != fits {
			return fmt.Errorf("accepted %d sets of %d bytes under a %d-byte limit, want %d", n, keySize+valSize, o.Limits.TxnBytes, fits)
		}
		return err
	})
	if !errors.Is(err, kv.ErrTooLarge) {
		t.Fatalf("Update = %v, want ErrTooLarge", err)
	}
	if got := scan(t, db, []byte{0x00}, []byte{0xFF}); len(got) != 0 {
		t.Fatalf("an aborted oversized txn left %d keys", len(got))
	}
	// Just under the limit commits.
	mustUpdate(t, db, func(tx kv.Txn) error {
		for i := 0; i < fits; i++ {
			if err := tx.Set(k(fmt.Sprintf("%06d", i)), make([]byte, valSize)); err != nil {
				return err
			}
		}
		return nil
	})
	if got := scan(t, db, []byte{0x00}, []byte{0xFF}); len(got) != fits {
		t.Fatalf("committed %d keys, want %d", len(got), fits)
	}
}

func (s *suite) txnSizeLimitDefault(t *testing.T) {
	db := s.db(t, s.options())
	err := db.Update(ctx, func(tx kv.Txn) error {
		n, err := writeUntilFull(tx, 100_000)
		if want := 10_000_000 / (100_000 + len(k("000000"))); n != want {
			return fmt.Errorf("accepted %d values of 100 KB, want %d", n, want)
		}
		return err
	})
	if !errors.Is(err, kv.ErrTooLarge) {
		t.Fatalf("Update = %v, want ErrTooLarge", err)
	}
}

func (s *suite) txnTooOld(t *testing.T) {
	o := s.options()
	o.Limits.Duration = time.Duration(s.intn(10, 40)) * time.Millisecond
	db := s.db(t, o)
	// An operation after the limit fails.
	err := db.Update(ctx, func(tx kv.Txn) error {
		if err := tx.Set(k("a"), []byte("1")); err != nil {
			return err
		}
		time.Sleep(o.Limits.Duration + 5*time.Millisecond)
		_, err := tx.Get(k("a"))
		return err
	})
	if !errors.Is(err, kv.ErrTxnTooOld) {
		t.Fatalf("Update = %v, want ErrTxnTooOld", err)
	}
	// A function that overran does not commit, even when it returns nil.
	err = db.Update(ctx, func(tx kv.Txn) error {
		if err := tx.Set(k("a"), []byte("1")); err != nil {
			return err
		}
		time.Sleep(o.Limits.Duration + 5*time.Millisecond)
		return nil
	})
	if !errors.Is(err, kv.ErrTxnTooOld) {
		t.Fatalf("Update = %v, want ErrTxnTooOld", err)
	}
	if v := get(t, db, k("a")); v != nil {
		t.Fatalf("an expired txn committed")
	}
	err = db.View(ctx, func(tx kv.ReadTxn) error {
		time.Sleep(o.Limits.Duration + 5*time.Millisecond)
		_, err := tx.GetRange([]byte{0}, []byte{0xFF}, 0, false)
		return err
	})
	if !errors.Is(err, kv.ErrTxnTooOld) {
		t.Fatalf("View = %v, want ErrTxnTooOld", err)
	}
}

func (s *suite) retryOnConflict(t *testing.T) {
	o := s.options()
	db := s.db(t, o)
	fail := s.intn(1, min(o.Retry.MaxAttempts-1, 7))
	attempts := 0
	mustUpdate(t, db, func(tx kv.Txn) error {
		attempts++
		if v, err := tx.Get(k("done")); err != nil || v != nil {
			return err // an earlier attempt applied
		}
		if err := tx.Set(k("attempt", strconv.Itoa(attempts)), nil); err != nil {
			return err
		}
		if err := tx.AtomicAdd(k("n"), 1); err != nil {
			return err
		}
		if err := tx.Set(k("done"), []byte(strconv.Itoa(attempts))); err != nil {
			return err
		}
		if attempts <= fail {
			return fmt.Errorf("injected: %w", kv.ErrConflict)
		}
		return nil
	})
	if attempts < fail+1 || (!s.cfg.Faulty && attempts != fail+1) {
		t.Fatalf("ran %d times, want %d", attempts, fail+1)
	}
	// Exactly one attempt's writes are kept, and not those of an attempt that failed.
	got := scan(t, db, []byte{0x00}, []byte{0xFF})
	if len(got) != 3 {
		t.Fatalf("kept writes: %s, want one attempt's", render(got))
	}
	kept, err := strconv.Atoi(string(got[1].Value))
	if err != nil || kept <= fail || !bytes.Equal(got[0].Key, k("attempt", strconv.Itoa(kept))) {
		t.Fatalf("kept writes: %s, want those of an attempt after %d", render(got), fail)
	}
	if !s.cfg.Faulty && kept != attempts {
		t.Fatalf("kept attempt %d's writes, want the last one's (%d)", kept, attempts)
	}
	if v := get(t, db, k("n")); kv.CounterValue(v) != 1 {
		t.Fatalf("counter %d, want 1", kv.CounterValue(v))
	}
}

func (s *suite) retryExhausted(t *testing.T) {
	o := s.options()
	db := s.db(t, o)
	attempts := 0
	err := db.Update(ctx, func(tx kv.Txn) error {
		attempts++
		if err := tx.Set(k("x"), nil); err != nil {
			return err
		}
		return kv.ErrConflict
	})
	if !errors.Is(err, kv.ErrConflict) || attempts != o.Retry.MaxAttempts {
		t.Fatalf("Update = %v after %d attempts, want ErrConflict after %d", err, attempts, o.Retry.MaxAttempts)
	}
	if v := get(t, db, k("x")); v != nil {
		t.Fatalf("a txn that never committed left its write")
	}
}

func (s *suite) noRetryOnOtherErrors(t *testing.T) {
	db := s.db(t, s.options())
	for _, want := range []error{errors.New("domain error"), kv.ErrTooLarge, kv.ErrTxnTooOld} {
		attempts := 0
		err := db.Update(ctx, func(kv.Txn) error { attempts++; return want })
		if !errors.Is(err, want) || attempts != 1 {
			t.Fatalf("Update = %v after %d attempts, want %v after 1", err, attempts, want)
		}
	}
}

func (s *suite) concurrentRMW(t *testing.T) {
	db := s.db(t, s.options())
	workers, each := s.intn(4, 8), s.intn(5, 15)
	c := k("rmw")
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				err := db.Update(ctx, once(k("op", strconv.Itoa(w), strconv.Itoa(i)), func(tx kv.Txn) error {
					v, err := tx.Get(c)
					if err != nil {
						return err
					}
					n := 0
					if v != nil {
						if n, err = strconv.Atoi(string(v)); err != nil {
							return err
						}
					}
					return tx.Set(c, []byte(strconv.Itoa(n+1)))
				}))
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if v := get(t, db, c); string(v) != strconv.Itoa(workers*each) {
		t.Fatalf("lost updates: %s, want %d", v, workers*each)
	}
}

func (s *suite) concurrentAtomicAdd(t *testing.T) {
	db := s.db(t, s.options())
	workers, each := s.intn(4, 8), s.intn(5, 15)
	c := k("adds")
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				op := k("op", strconv.Itoa(w), strconv.Itoa(i))
				if err := db.Update(ctx, once(op, func(tx kv.Txn) error { return tx.AtomicAdd(c, 2) })); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if v := get(t, db, c); kv.CounterValue(v) != int64(2*workers*each) {
		t.Fatalf("counter %d, want %d", kv.CounterValue(v), 2*workers*each)
	}
}

func (s *suite) snapshot(t *testing.T) {
	db := s.db(t, s.options())
	mustUpdate(t, db, func(tx kv.Txn) error { return tx.Set(k("a"), []byte("old")) })
	written, release := make(chan struct{}), make(chan struct{})
	var writtenOnce sync.Once // a retried function runs again
	done := make(chan error, 1)
	go func() {
		done <- db.Update(ctx, func(tx kv.Txn) error {
			if err := tx.Set(k("a"), []byte("new")); err != nil {
				return err
			}
			if err := tx.Set(k("b"), []byte("new")); err != nil {
				return err
			}
			writtenOnce.Do(func() { close(written) })
			<-release
			return nil
		})
	}()
	<-written
	// An uncommitted write is invisible to readers.
	if v := get(t, db, k("a")); string(v) != "old" {
		t.Fatalf("read uncommitted: a=%q", v)
	}
	if v := get(t, db, k("b")); v != nil {
		t.Fatalf("read uncommitted: b=%q", v)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v := get(t, db, k("a")); string(v) != "new" {
		t.Fatalf("after commit: a=%q", v)
	}
}

func (s *suite) context(t *testing.T) {
	db := s.db(t, s.options())
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	ran := false
	err := db.Update(cctx, func(tx kv.Txn) error { ran = true; return tx.Set(k("a"), nil) })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Update on a cancelled context = %v (ran %v)", err, ran)
	}
	if v := get(t, db, k("a")); v != nil {
		t.Fatalf("a cancelled Update committed")
	}
}

func (s *suite) closed(t *testing.T) {
	db := s.db(t, s.options())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(kv.Txn) error { return nil }); !errors.Is(err, kv.ErrClosed) {
		t.Fatalf("Update after Close = %v, want ErrClosed", err)
	}
	if err := db.View(ctx, func(kv.ReadTxn) error { return nil }); !errors.Is(err, kv.ErrClosed) {
		t.Fatalf("View after Close = %v, want ErrClosed", err)
	}
}
