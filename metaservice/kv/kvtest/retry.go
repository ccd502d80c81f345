package kvtest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/doricdb/doric/metaservice/kv"
)

// retryOnCommitUnknown: a function that reports an unknown commit result is run again; the
// attempts that reported it were rolled back, so a non-idempotent body applies once.
func (s *suite) retryOnCommitUnknown(t *testing.T) {
	o := s.options()
	db := s.db(t, o)
	fail := s.intn(1, min(o.Retry.MaxAttempts-1, 7))
	attempts := 0
	mustUpdate(t, db, once(k("done"), func(tx kv.Txn) error {
		attempts++
		if err := tx.AtomicAdd(k("n"), 1); err != nil {
			return err
		}
		if attempts <= fail {
			return fmt.Errorf("injected, not applied: %w", kv.ErrCommitUnknown)
		}
		return nil
	}))
	if attempts < fail+1 || (!s.cfg.Faulty && attempts != fail+1) {
		t.Fatalf("ran %d times, want %d", attempts, fail+1)
	}
	if v := get(t, db, k("n")); kv.CounterValue(v) != 1 {
		t.Fatalf("counter %d after %d attempts, want 1", kv.CounterValue(v), attempts)
	}
}

// commitUnknownExhausted: when the retries run out after an unknown result, the error says the
// commit may have applied, whatever the last attempt's error was.
func (s *suite) commitUnknownExhausted(t *testing.T) {
	o := s.options()
	db := s.db(t, o)
	unknownAt := s.intn(1, o.Retry.MaxAttempts)
	attempts := 0
	err := db.Update(ctx, func(tx kv.Txn) error {
		attempts++
		if err := tx.Set(k("x"), nil); err != nil {
			return err
		}
		if attempts == unknownAt {
			return fmt.Errorf("injected: %w", kv.ErrCommitUnknown)
		}
		return fmt.Errorf("injected: %w", kv.ErrConflict)
	})
	if attempts != o.Retry.MaxAttempts {
		t.Fatalf("ran %d times, want %d", attempts, o.Retry.MaxAttempts)
	}
	if !errors.Is(err, kv.ErrCommitUnknown) {
		t.Fatalf("Update = %v, want an error wrapping ErrCommitUnknown (attempt %d's result was unknown)", err, unknownAt)
	}
	if unknownAt < attempts && !errors.Is(err, kv.ErrConflict) {
		t.Fatalf("Update = %v, want the last attempt's ErrConflict too", err)
	}
	// A later non-retryable error carries the uncertainty as well.
	boom := errors.New("boom")
	attempts = 0
	err = db.Update(ctx, func(tx kv.Txn) error {
		attempts++
		if attempts == 1 {
			return fmt.Errorf("injected: %w", kv.ErrCommitUnknown)
		}
		return boom
	})
	if !errors.Is(err, boom) || !errors.Is(err, kv.ErrCommitUnknown) || attempts != 2 {
		t.Fatalf("Update = %v after %d attempts, want boom and ErrCommitUnknown after 2", err, attempts)
	}
	if v := get(t, db, k("x")); v != nil {
		t.Fatalf("a txn that never committed left its write")
	}
}

// idempotentRetry: the pattern Update's contract asks for. A function that finds its effect
// already applied changes nothing when it runs again — as it does after a commit whose result
// was unknown but applied, which the second Update here stands for — and its transaction then
// has no versionstamp.
func (s *suite) idempotentRetry(t *testing.T) {
	db := s.db(t, s.options())
	amount := int64(s.intn(1, 100))
	transfer := once(k("transfer", "1"), func(tx kv.Txn) error {
		if err := tx.AtomicAdd(k("from"), -amount); err != nil {
			return err
		}
		return tx.AtomicAdd(k("to"), amount)
	})
	_, err := kv.UpdateStamped(ctx, db, transfer)
	if err != nil && !(s.cfg.Faulty && errors.Is(err, kv.ErrNoCommitVersion)) {
		t.Fatalf("first run: %v", err)
	}
	_, err = kv.UpdateStamped(ctx, db, transfer)
	if !errors.Is(err, kv.ErrNoCommitVersion) {
		t.Fatalf("second run of an applied idempotent function: %v, want ErrNoCommitVersion (it writes nothing)", err)
	}
	if f, to := kv.CounterValue(get(t, db, k("from"))), kv.CounterValue(get(t, db, k("to"))); f != -amount || to != amount {
		t.Fatalf("from %d to %d, want %d and %d: applied more than once", f, to, -amount, amount)
	}
}
