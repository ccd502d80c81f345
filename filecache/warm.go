package filecache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// WarmOptions configures a warm-up.
type WarmOptions struct {
	// Hint is the hint of the warm-up's reads: the queue (and TTL) of the blocks it brings in.
	// Its Size is ignored.
	Hint Hint
	// BytesPerSecond caps the rate of bytes fetched from the vault (0: unlimited). Blocks
	// already cached cost nothing.
	BytesPerSecond int64
}

// WarmProgress reports how far a warm-up got.
type WarmProgress struct {
	Files        int   // files asked for
	Done         int   // files finished (warmed or failed)
	Failed       int   // files that could not be warmed
	BytesFetched int64 // bytes fetched from the vault
}

// Warmup is a warm-up running in the background.
type Warmup struct {
	cancel context.CancelFunc
	done   chan struct{}

	files          int
	doneN, failedN atomic.Int64
	fetched        atomic.Int64
	mu             sync.Mutex
	errs           []error
}

// warmStep is how much one read of a warm-up asks for.
const warmStep = 8 * BlockSize

// Warm downloads the listed objects into the cache in the background, at most
// opts.BytesPerSecond, and returns at once. The warm-up stops at Cancel, at Close of the cache,
// or when every file is done; a file that fails (missing, vault error) is recorded and skipped.
// Callers: the rebalancer before it routes a tablet to a new node, or an operator's request.
func (c *Cache) Warm(paths []string, opts WarmOptions) *Warmup {
	ctx, cancel := context.WithCancel(c.ctx)
	w := &Warmup{cancel: cancel, done: make(chan struct{}), files: len(paths)}
	paths = append([]string(nil), paths...)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer close(w.done)
		defer cancel()
		w.run(ctx, c, paths, opts)
	}()
	return w
}

func (w *Warmup) run(ctx context.Context, c *Cache, paths []string, opts WarmOptions) {
	h := opts.Hint
	h.Size = 0
	prof := &Profile{}
	rctx := WithProfile(WithHint(ctx, h), prof)
	start := time.Now()
	buf := make([]byte, warmStep)
	for _, path := range paths {
		err := func() error {
			_, size, err := c.sizeOf(ctx, path, 0)
			if err != nil {
				return err
			}
			for off := int64(0); off < size; off += warmStep {
				n := min(warmStep, size-off)
				if err := c.ReadAt(rctx, path, buf[:n], off); err != nil {
					return err
				}
				w.fetched.Store(prof.BytesScannedFromRemote.Load())
				if err := pace(ctx, start, w.fetched.Load(), opts.BytesPerSecond); err != nil {
					return err
				}
			}
			return nil
		}()
		if err != nil {
			if ctx.Err() != nil {
				return // cancelled: the files left are neither done nor failed
			}
			w.failedN.Add(1)
			w.mu.Lock()
			w.errs = append(w.errs, fmt.Errorf("warm %q: %w", path, err))
			w.mu.Unlock()
		}
		w.doneN.Add(1)
	}
}

// pace sleeps until fetching total bytes since start keeps within rate bytes per second.
func pace(ctx context.Context, start time.Time, total, rate int64) error {
	if rate <= 0 {
		return nil
	}
	due := start.Add(time.Duration(float64(total) / float64(rate) * float64(time.Second)))
	d := time.Until(due)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Cancel stops the warm-up; blocks already fetched stay cached.
func (w *Warmup) Cancel() { w.cancel() }

// Done is closed when the warm-up has finished or stopped.
func (w *Warmup) Done() <-chan struct{} { return w.done }

// Wait waits for the warm-up to end (or ctx to), and returns the errors of the files that
// failed, joined; a cancelled warm-up returns context.Canceled.
func (w *Warmup) Wait(ctx context.Context) error {
	select {
	case <-w.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	err := errors.Join(w.errs...)
	if int(w.doneN.Load()) < w.files {
		err = errors.Join(context.Canceled, err)
	}
	return err
}

// Progress reports the warm-up's progress so far.
func (w *Warmup) Progress() WarmProgress {
	return WarmProgress{Files: w.files, Done: int(w.doneN.Load()), Failed: int(w.failedN.Load()), BytesFetched: w.fetched.Load()}
}
