package vault

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Backoff is a retry policy: how often and how patiently an operation that failed with a
// retryable error (ErrThrottled, ErrUnavailable) is tried again. The zero value means the
// defaults (DefaultRetryAttempts, DefaultRetryBase, DefaultRetryMax).
//
// This is the one place where vault backends retry: a backend classifies the errors of its client
// into the sentinels and runs each idempotent operation (or each part of a multipart upload)
// through Retry; its client library's own retries are switched off.
type Backoff struct {
	// Attempts is the total number of tries, the first included. 1 disables retries.
	Attempts int
	// Base is the delay cap after the first failure; it doubles after each further failure.
	Base time.Duration
	// Max caps the delay between two tries.
	Max time.Duration
}

// Defaults of Backoff.
const (
	DefaultRetryAttempts = 8
	DefaultRetryBase     = 50 * time.Millisecond
	DefaultRetryMax      = 5 * time.Second
)

func (b Backoff) withDefaults() Backoff {
	if b.Attempts <= 0 {
		b.Attempts = DefaultRetryAttempts
	}
	if b.Base <= 0 {
		b.Base = DefaultRetryBase
	}
	if b.Max <= 0 {
		b.Max = DefaultRetryMax
	}
	if b.Max < b.Base {
		b.Max = b.Base
	}
	return b
}

// Delay is the pause before try number attempt+1 after attempt failed tries (attempt >= 1):
// "full jitter" exponential backoff, uniform in [0, min(Max, Base·2^(attempt-1))]. After a
// throttling error the lower half of that interval is skipped, so a throttled client really
// slows down.
func (b Backoff) Delay(attempt int, throttled bool) time.Duration {
	b = b.withDefaults()
	ceil := b.Base
	for i := 1; i < attempt && ceil < b.Max; i++ {
		ceil *= 2
	}
	ceil = min(ceil, b.Max)
	if throttled {
		return ceil/2 + rand.N(ceil/2+1)
	}
	return rand.N(ceil + 1)
}

// Retryable reports whether err is of a class worth retrying: ErrThrottled or ErrUnavailable
// (and not a cancelled or expired context).
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return errors.Is(err, ErrThrottled) || errors.Is(err, ErrUnavailable)
}

// Retry runs op until it succeeds, fails with an error that is not Retryable, the attempts of b
// are used up, or ctx ends. It returns op's last error (annotated with the number of tries when
// there were several), or ctx's error if ctx ended during a pause.
func Retry(ctx context.Context, b Backoff, op func(ctx context.Context) error) error {
	b = b.withDefaults()
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil || !Retryable(err) {
			return err
		}
		if attempt >= b.Attempts {
			if attempt == 1 {
				return err
			}
			return fmt.Errorf("after %d tries: %w", attempt, err)
		}
		t := time.NewTimer(b.Delay(attempt, errors.Is(err, ErrThrottled)))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (while retrying: %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}
