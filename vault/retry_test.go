package vault_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/doricdb/doric/vault"
)

func TestRetry(t *testing.T) {
	ctx := context.Background()
	b := vault.Backoff{Attempts: 2 + rand.IntN(5), Base: time.Microsecond, Max: 10 * time.Microsecond}
	for _, c := range []struct {
		err   error
		tries int
	}{
		{fmt.Errorf("x: %w", vault.ErrThrottled), b.Attempts},
		{fmt.Errorf("x: %w", vault.ErrUnavailable), b.Attempts},
		{fmt.Errorf("x: %w", vault.ErrNotFound), 1},
		{fmt.Errorf("x: %w", vault.ErrPermission), 1},
		{errors.Join(vault.ErrUnavailable, context.Canceled), 1},
	} {
		tries := 0
		err := vault.Retry(ctx, b, func(context.Context) error { tries++; return c.err })
		if tries != c.tries || !errors.Is(err, c.err) {
			t.Errorf("%v: %d tries, %v; want %d tries", c.err, tries, err, c.tries)
		}
	}
	// Success after failures.
	tries := 0
	err := vault.Retry(ctx, b, func(context.Context) error {
		if tries++; tries < b.Attempts {
			return vault.ErrUnavailable
		}
		return nil
	})
	if err != nil || tries != b.Attempts {
		t.Fatalf("%d tries, %v", tries, err)
	}
	// A context ending during the pause stops the retries.
	cctx, cancel := context.WithCancel(ctx)
	err = vault.Retry(cctx, vault.Backoff{Attempts: 100, Base: time.Hour}, func(context.Context) error {
		cancel()
		return vault.ErrThrottled
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled retry: %v", err)
	}
}

func TestBackoffDelay(t *testing.T) {
	b := vault.Backoff{Base: 10 * time.Millisecond, Max: 80 * time.Millisecond}
	for attempt := 1; attempt < 10; attempt++ {
		ceil := min(b.Base<<(attempt-1), b.Max)
		for range 50 {
			d := b.Delay(attempt, false)
			if d < 0 || d > ceil {
				t.Fatalf("attempt %d: delay %v outside [0,%v]", attempt, d, ceil)
			}
			if d := b.Delay(attempt, true); d < ceil/2 || d > ceil {
				t.Fatalf("attempt %d throttled: delay %v outside [%v,%v]", attempt, d, ceil/2, ceil)
			}
		}
	}
}
