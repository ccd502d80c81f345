package kvtest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/doricdb/doric/metaservice/kv"
)

// stamped runs fn through UpdateStamped and returns the stamp, or ok false when the committed
// attempt wrote nothing — which only a faulty DB causes here (an idempotent function re-run
// after an unknown result that applied).
func (s *suite) stamped(t *testing.T, db kv.DB, fn func(kv.Txn) error) (kv.Versionstamp, bool) {
	t.Helper()
	vs, err := kv.UpdateStamped(ctx, db, fn)
	if err != nil {
		if s.cfg.Faulty && errors.Is(err, kv.ErrNoCommitVersion) {
			return vs, false
		}
		t.Fatalf("UpdateStamped: %v", err)
	}
	return vs, true
}

func stampOf(key, prefix []byte) (kv.Versionstamp, error) {
	var vs kv.Versionstamp
	if len(key) != len(prefix)+kv.VersionstampLen || !bytes.HasPrefix(key, prefix) {
		return vs, fmt.Errorf("%x is not %x + a versionstamp", key, prefix)
	}
	copy(vs[:], key[len(prefix):])
	return vs, nil
}

// versionstamps: stamped keys and values carry the committing transaction's stamp, which
// UpdateStamped returns; later transactions get greater stamps; a transaction that writes
// nothing has none.
func (s *suite) versionstamps(t *testing.T) {
	db := s.db(t, s.options())
	prefix := k("log")
	n := s.intn(2, 6)
	var stamps []kv.Versionstamp
	for i := 0; i < n; i++ {
		op := strconv.Itoa(i)
		vs, ok := s.stamped(t, db, once(k("op", op), func(tx kv.Txn) error {
			if _, err := tx.Versionstamp().Get(); !errors.Is(err, kv.ErrNoCommitVersion) {
				return fmt.Errorf("versionstamp before commit: %v, want ErrNoCommitVersion", err)
			}
			if err := tx.SetVersionstampedKey(prefix, []byte(op)); err != nil {
				return err
			}
			return tx.SetVersionstampedValue(k("val", op), []byte(op+"@"))
		}))
		entries := scan(t, db, prefix, append(bytes.Clone(prefix), 0xFF))
		if len(entries) != i+1 {
			t.Fatalf("after %d stamped txns: %d stamped keys", i+1, len(entries))
		}
		last := entries[i]
		kvs, err := stampOf(last.Key, prefix)
		if err != nil || string(last.Value) != op {
			t.Fatalf("last stamped key %x = %q (%v), want txn %s's", last.Key, last.Value, err, op)
		}
		if ok && kvs != vs {
			t.Fatalf("txn %s: key stamp %s, UpdateStamped %s", op, kvs, vs)
		}
		v := get(t, db, k("val", op))
		if !bytes.Equal(v, append([]byte(op+"@"), kvs[:]...)) {
			t.Fatalf("txn %s: stamped value %x, want %q + %x", op, v, op+"@", kvs[:])
		}
		if len(stamps) > 0 && bytes.Compare(kvs[:], stamps[len(stamps)-1][:]) <= 0 {
			t.Fatalf("txn %s: stamp %s not after the previous txn's %s", op, kvs, stamps[len(stamps)-1])
		}
		stamps = append(stamps, kvs)
	}
	// Stamps are unique even for transactions that write only plain keys.
	vs, ok := s.stamped(t, db, func(tx kv.Txn) error { return tx.Set(k("plain"), nil) })
	if ok && bytes.Compare(vs[:], stamps[len(stamps)-1][:]) <= 0 {
		t.Fatalf("plain txn: stamp %s not after %s", vs, stamps[len(stamps)-1])
	}
	// A read-only transaction has no versionstamp.
	_, err := kv.UpdateStamped(ctx, db, func(tx kv.Txn) error { _, err := tx.Get(k("plain")); return err })
	if !errors.Is(err, kv.ErrNoCommitVersion) {
		t.Fatalf("read-only txn: %v, want ErrNoCommitVersion", err)
	}
	// Nor does one that failed.
	var fut *kv.VersionstampFuture
	boom := errors.New("boom")
	err = db.Update(ctx, func(tx kv.Txn) error {
		fut = tx.Versionstamp()
		if err := tx.Set(k("x"), nil); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := fut.Get(); err == nil {
		t.Fatalf("a failed txn has a versionstamp")
	}
}

var errAbort = errors.New("abort")

// versionstampUnreadable: a transaction cannot read what it wrote with its versionstamp (the
// bytes are fixed at commit), but reads elsewhere work.
func (s *suite) versionstampUnreadable(t *testing.T) {
	db := s.db(t, s.options())
	prefix := k("log")
	mustUpdate(t, db, func(tx kv.Txn) error {
		if err := tx.Set(prefix, []byte("p")); err != nil {
			return err
		}
		return tx.Set(k("val"), []byte("old"))
	})
	for _, tc := range []struct {
		name string
		op   func(kv.Txn) error
		read func(kv.ReadTxn) error
	}{
		{"value", func(tx kv.Txn) error { return tx.SetVersionstampedValue(k("val"), nil) },
			func(tx kv.ReadTxn) error { _, err := tx.Get(k("val")); return err }},
		{"value in range", func(tx kv.Txn) error { return tx.SetVersionstampedValue(k("val"), nil) },
			func(tx kv.ReadTxn) error { _, err := tx.GetRange(k("v"), k("w"), 0, false); return err }},
		{"key range", func(tx kv.Txn) error { return tx.SetVersionstampedKey(prefix, []byte("x")) },
			func(tx kv.ReadTxn) error {
				_, err := tx.GetRange(prefix, append(bytes.Clone(prefix), 0xFF), 0, false)
				return err
			}},
	} {
		err := db.Update(ctx, func(tx kv.Txn) error {
			if err := tc.op(tx); err != nil {
				return err
			}
			if err := tc.read(tx); !errors.Is(err, kv.ErrUnreadable) {
				return fmt.Errorf("read after versionstamped %s: %v, want ErrUnreadable", tc.name, err)
			}
			// Other reads still work: the key the prefix is, and keys elsewhere.
			if v, err := tx.Get(prefix); err != nil || string(v) != "p" {
				return fmt.Errorf("read of the prefix key: %q, %v", v, err)
			}
			if _, err := tx.GetRange(k("a"), k("b"), 0, false); err != nil {
				return fmt.Errorf("unrelated range: %v", err)
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	if v := get(t, db, k("val")); string(v) != "old" {
		t.Fatalf("aborted versionstamped write applied: %q", v)
	}
}

// versionstampOrder: under concurrent committers, byte order of versionstamps is commit order.
// Commit order is observed through a counter each transaction reads and increments (so the
// transactions conflict and serialise), stored as the stamped key's value.
func (s *suite) versionstampOrder(t *testing.T) {
	db := s.db(t, s.options())
	workers, each := s.intn(3, 6), s.intn(4, 10)
	prefix := k("stamped")
	type result struct {
		op string
		vs kv.Versionstamp
	}
	results := make(chan result, workers*each)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				op := strconv.Itoa(w) + "." + strconv.Itoa(i)
				vs, err := kv.UpdateStamped(ctx, db, once(k("op", op), func(tx kv.Txn) error {
					v, err := tx.Get(k("clock"))
					if err != nil {
						return err
					}
					next := binary.BigEndian.AppendUint64(nil, uint64(kv.CounterValue(v)+1))
					if err := tx.AtomicAdd(k("clock"), 1); err != nil {
						return err
					}
					if err := tx.Set(k("tick", op), next); err != nil {
						return err
					}
					return tx.SetVersionstampedKey(prefix, next)
				}))
				switch {
				case err == nil:
					results <- result{op, vs}
				case s.cfg.Faulty && errors.Is(err, kv.ErrNoCommitVersion):
				default:
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(results)
	entries := scan(t, db, prefix, append(bytes.Clone(prefix), 0xFF))
	if len(entries) != workers*each {
		t.Fatalf("%d stamped keys, want %d", len(entries), workers*each)
	}
	byStamp := map[kv.Versionstamp][]byte{}
	for i, e := range entries {
		vs, err := stampOf(e.Key, prefix)
		if err != nil {
			t.Fatal(err)
		}
		if tick := binary.BigEndian.Uint64(e.Value); tick != uint64(i+1) {
			t.Fatalf("stamped key %d (stamp %s) was committed as number %d: versionstamp order is not commit order", i, vs, tick)
		}
		byStamp[vs] = e.Value
	}
	n := 0
	for r := range results {
		n++
		if tick := get(t, db, k("tick", r.op)); !bytes.Equal(byStamp[r.vs], tick) {
			t.Fatalf("op %s: UpdateStamped returned %s, whose key holds %x, but the op was number %x", r.op, r.vs, byStamp[r.vs], tick)
		}
	}
	if !s.cfg.Faulty && n != workers*each {
		t.Fatalf("%d stamps returned, want %d", n, workers*each)
	}
}

// versionstampLimits: stamped keys and values obey the key, value and transaction limits with
// their 10 stamp bytes.
func (s *suite) versionstampLimits(t *testing.T) {
	o := s.options()
	db := s.db(t, o)
	lim := o.Limits
	long := bytes.Repeat([]byte{'k'}, lim.KeyBytes)
	long[0] = 0x01
	mustUpdate(t, db, once(k("done"), func(tx kv.Txn) error {
		for _, op := range []struct {
			name string
			err  error
			want error
		}{
			{"key over the limit", tx.SetVersionstampedKey(long[:lim.KeyBytes-kv.VersionstampLen+1], nil), kv.ErrKeyTooLarge},
			{"empty prefix", tx.SetVersionstampedKey(nil, nil), kv.ErrInvalidKey},
			{"system prefix", tx.SetVersionstampedKey([]byte{0xFF}, nil), kv.ErrInvalidKey},
			{"big value", tx.SetVersionstampedKey(k("p"), make([]byte, lim.ValueBytes+1)), kv.ErrValueTooLarge},
			{"value prefix over the limit", tx.SetVersionstampedValue(k("v"), make([]byte, lim.ValueBytes-kv.VersionstampLen+1)), kv.ErrValueTooLarge},
			{"value key too large", tx.SetVersionstampedValue(append(bytes.Clone(long), 'x'), nil), kv.ErrKeyTooLarge},
			{"value empty key", tx.SetVersionstampedValue(nil, nil), kv.ErrInvalidKey},
		} {
			if !errors.Is(op.err, op.want) {
				return fmt.Errorf("%s: %v, want %v", op.name, op.err, op.want)
			}
		}
		// At the limits both succeed.
		if err := tx.SetVersionstampedKey(long[:lim.KeyBytes-kv.VersionstampLen], nil); err != nil {
			return fmt.Errorf("key at the limit: %w", err)
		}
		return tx.SetVersionstampedValue(k("v"), make([]byte, lim.ValueBytes-kv.VersionstampLen))
	}))
	if v := get(t, db, k("v")); len(v) != lim.ValueBytes {
		t.Fatalf("stamped value at the limit: %d bytes", len(v))
	}
	// The stamp bytes count toward the transaction size.
	o.Limits.TxnBytes = s.intn(20_000, 100_000)
	lim = o.Limits
	db = s.db(t, o)
	prefix, val := k("s"), make([]byte, s.intn(100, 2000))
	fits := lim.TxnBytes / (len(prefix) + kv.VersionstampLen + len(val))
	err := db.Update(ctx, func(tx kv.Txn) error {
		for i := 0; ; i++ {
			if err := tx.SetVersionstampedKey(prefix, val); err != nil {
				if i != fits {
					return fmt.Errorf("accepted %d stamped keys, want %d: %w", i, fits, err)
				}
				return err
			}
		}
	})
	if !errors.Is(err, kv.ErrTooLarge) {
		t.Fatalf("Update = %v, want ErrTooLarge", err)
	}
}
