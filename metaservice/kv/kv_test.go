package kv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/build"
	"strings"
	"testing"
	"time"
)

func TestRetry(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 4, MinBackoff: 50 * time.Microsecond, MaxBackoff: time.Millisecond}
	n := 0
	err := Retry(context.Background(), p, func() error { n++; return ErrConflict })
	if !errors.Is(err, ErrConflict) || n != 4 {
		t.Fatalf("Retry = %v after %d attempts", err, n)
	}
	n = 0
	if err := Retry(context.Background(), p, func() error {
		n++
		if n < 3 {
			return ErrConflict
		}
		return nil
	}); err != nil || n != 3 {
		t.Fatalf("Retry = %v after %d attempts", err, n)
	}
	// Cancellation during the backoff stops the loop.
	ctx, cancel := context.WithCancel(context.Background())
	slow := RetryPolicy{MaxAttempts: 100, MinBackoff: time.Hour, MaxBackoff: time.Hour}
	n = 0
	err = Retry(ctx, slow, func() error { n++; cancel(); return ErrConflict })
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrConflict) || n != 1 {
		t.Fatalf("Retry = %v after %d attempts", err, n)
	}
}

func TestRetryCommitUnknown(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 3, MinBackoff: time.Microsecond, MaxBackoff: time.Microsecond}
	// Retried like a conflict.
	n := 0
	if err := Retry(context.Background(), p, func() error {
		n++
		if n == 1 {
			return ErrCommitUnknown
		}
		return nil
	}); err != nil || n != 2 {
		t.Fatalf("Retry = %v after %d attempts", err, n)
	}
	// After an unknown result, every failure says the commit may have applied.
	boom := errors.New("boom")
	for _, last := range []error{ErrConflict, boom, ErrTxnTooOld} {
		n = 0
		err := Retry(context.Background(), p, func() error {
			n++
			if n == 1 {
				return ErrCommitUnknown
			}
			return last
		})
		if !errors.Is(err, ErrCommitUnknown) || !errors.Is(err, last) {
			t.Errorf("Retry = %v, want %v and ErrCommitUnknown", err, last)
		}
	}
	// Without one, it does not.
	if err := Retry(context.Background(), p, func() error { return ErrConflict }); errors.Is(err, ErrCommitUnknown) {
		t.Errorf("Retry = %v claims an unknown result", err)
	}
	if Retryable(boom) || Retryable(ErrTxnTooOld) || !Retryable(fmt.Errorf("x: %w", ErrCommitUnknown)) || !Retryable(ErrConflict) {
		t.Errorf("Retryable classifies wrongly")
	}
}

func TestVersionstamp(t *testing.T) {
	v := NewVersionstamp(0x0102030405060708, 0x090a)
	if want := [10]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; [10]byte(v) != want {
		t.Fatalf("layout %x, want %x", v[:], want)
	}
	if v.CommitVersion() != 0x0102030405060708 || v.BatchOrder() != 0x090a {
		t.Fatalf("parts of %s", v)
	}
	// Byte order is (version, batch order) order.
	a, b, c := NewVersionstamp(1, 0xFFFF), NewVersionstamp(2, 0), NewVersionstamp(2, 1)
	if bytes.Compare(a[:], b[:]) >= 0 || bytes.Compare(b[:], c[:]) >= 0 {
		t.Fatalf("order of %s %s %s", a, b, c)
	}
	f := NewVersionstampFuture()
	if _, err := f.Get(); !errors.Is(err, ErrNoCommitVersion) {
		t.Fatalf("unresolved Get = %v", err)
	}
	f.Resolve(v, nil)
	f.Resolve(Versionstamp{}, ErrConflict) // ignored
	if got, err := f.Get(); got != v || err != nil {
		t.Fatalf("Get = %s, %v", got, err)
	}
}

func TestMeterVersionstamped(t *testing.T) {
	m := NewMeter(context.Background(), Limits{KeyBytes: 14, ValueBytes: 12, TxnBytes: 100, Duration: time.Hour})
	for _, tc := range []struct {
		err, want error
	}{
		{m.VersionstampedKey([]byte("abcd")), nil},
		{m.VersionstampedKey([]byte("abcde")), ErrKeyTooLarge},
		{m.VersionstampedKey(nil), ErrInvalidKey},
		{m.VersionstampedKey([]byte{0xFF}), ErrInvalidKey},
		{m.VersionstampedValue([]byte("ab")), nil},
		{m.VersionstampedValue([]byte("abc")), ErrValueTooLarge},
		{m.VersionstampedValue(nil), nil},
	} {
		if !errors.Is(tc.err, tc.want) || (tc.want == nil && tc.err != nil) {
			t.Errorf("got %v, want %v", tc.err, tc.want)
		}
	}
}

func TestCounterValue(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want int64
	}{
		{nil, 0},
		{[]byte{1}, 1},
		{[]byte{0, 1}, 256},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, -1},
		{[]byte{2, 0, 0, 0, 0, 0, 0, 0, 7}, 2},
	} {
		if got := CounterValue(tc.in); got != tc.want {
			t.Errorf("CounterValue(%x) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestMeter(t *testing.T) {
	m := NewMeter(context.Background(), Limits{KeyBytes: 4, ValueBytes: 8, TxnBytes: 10, Duration: time.Hour})
	for _, tc := range []struct {
		err, want error
	}{
		{m.Key(nil), ErrInvalidKey},
		{m.Key([]byte{0xff}), ErrInvalidKey},
		{m.Key([]byte("abcde")), ErrKeyTooLarge},
		{m.Key([]byte("abcd")), nil},
		{m.RangeBound([]byte("abcd\xff")), nil},
		{m.RangeBound(nil), nil},
		{m.Value(make([]byte, 9)), ErrValueTooLarge},
		{m.Write(10), nil},
		{m.Write(1), ErrTooLarge},
		{m.Alive(), nil},
	} {
		if !errors.Is(tc.err, tc.want) || (tc.want == nil && tc.err != nil) {
			t.Errorf("got %v, want %v", tc.err, tc.want)
		}
	}
}

// TestImports enforces DESIGN.md's dependency rule: the KV layer imports nothing else from the repo.
func TestImports(t *testing.T) {
	for _, dir := range []string{".", "local", "kvtest", "faulty"} {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports {
			if strings.HasPrefix(imp, "github.com/doricdb/doric/") && !strings.HasPrefix(imp, "github.com/doricdb/doric/metaservice/kv") {
				t.Errorf("%s imports %s", dir, imp)
			}
		}
	}
}

func TestWithDefaults(t *testing.T) {
	if got := (Options{}).WithDefaults(); got != DefaultOptions() {
		t.Fatalf("zero Options: %+v", got)
	}
	o := Options{Limits: Limits{Duration: time.Millisecond}, Retry: RetryPolicy{MaxAttempts: 2}}
	got := o.WithDefaults()
	if got.Limits.Duration != time.Millisecond || got.Retry.MaxAttempts != 2 || got.Limits.KeyBytes != 10_000 {
		t.Fatalf("partial Options: %+v", got)
	}
}
