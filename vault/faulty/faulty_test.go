package faulty_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/faulty"
	"github.com/doricdb/doric/vault/mem"
	"github.com/doricdb/doric/vault/vaulttest"
)

func TestConformanceFaultsOff(t *testing.T) {
	vaulttest.Run(t, func(t *testing.T) vault.Storage { return faulty.New(mem.New(), faulty.Config{Seed: 1}) })
}

// pattern returns which of n reads of each of paths fail.
func pattern(s *faulty.Storage, paths []string, n int) string {
	var b bytes.Buffer
	p := make([]byte, 4)
	for _, path := range paths {
		for range n {
			if err := s.ReadAt(context.Background(), path, p, 0); err != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteByte('|')
	}
	return b.String()
}

func newFilled(t *testing.T, cfg faulty.Config, paths ...string) *faulty.Storage {
	t.Helper()
	inner := mem.New()
	for _, p := range paths {
		if _, err := inner.Put(context.Background(), p, bytes.NewReader([]byte("0123456789"))); err != nil {
			t.Fatal(err)
		}
	}
	return faulty.New(inner, cfg)
}

func TestDeterministic(t *testing.T) {
	paths := []string{"a", "b/c", "d"}
	cfg := faulty.Config{Seed: 42, ErrorRate: 0.4}
	first := pattern(newFilled(t, cfg, paths...), paths, 40)
	// The same calls per path give the same pattern whatever the interleaving of paths.
	s := newFilled(t, cfg, paths...)
	got := make([]string, len(paths))
	for i := len(paths) - 1; i >= 0; i-- {
		got[i] = pattern(s, paths[i:i+1], 40)
	}
	if joined := got[0] + got[1] + got[2]; joined != first {
		t.Fatalf("same seed, other order:\n%s\n%s", first, joined)
	}
	cfg.Seed = 43
	if other := pattern(newFilled(t, cfg, paths...), paths, 40); other == first {
		t.Fatalf("seeds 42 and 43 gave the same pattern %s", first)
	}
}

func TestErrorRate(t *testing.T) {
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	rate := 0.1 + 0.6*r.Float64()
	seed := r.Uint64()
	s := newFilled(t, faulty.Config{Seed: seed, ErrorRate: rate}, "x")
	const n = 2000
	fails := 0
	p := make([]byte, 3)
	for range n {
		err := s.ReadAt(context.Background(), "x", p, 2)
		switch {
		case err == nil:
			if string(p) != "234" {
				t.Fatalf("successful read returned %q", p)
			}
		case errors.Is(err, faulty.ErrInjected) && errors.Is(err, vault.ErrUnavailable) && vault.Retryable(err):
			fails++
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if got := float64(fails) / n; got < rate-0.05 || got > rate+0.05 {
		t.Fatalf("seed %d: rate %.3f gave %.3f faults", seed, rate, got)
	}
	c := s.Counts()[faulty.OpRead]
	if c.Calls != n || c.Faults != int64(fails) || c.Bytes != int64(3*(n-fails)) {
		t.Fatalf("counts %+v after %d reads with %d faults", c, n, fails)
	}
}

func TestPartialReads(t *testing.T) {
	s := newFilled(t, faulty.Config{Seed: 7, PartialReadRate: 1}, "x")
	p := make([]byte, 10)
	err := s.ReadAt(context.Background(), "x", p, 0)
	if !errors.Is(err, vault.ErrUnavailable) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("partial read: %v", err)
	}
	if bytes.Equal(p, []byte("0123456789")) {
		t.Fatal("a partial read filled the whole buffer correctly")
	}
	// Retrying through vault.Retry with partial reads at 50% eventually reads everything.
	s.SetConfig(faulty.Config{Seed: 8, PartialReadRate: 0.5})
	err = vault.Retry(context.Background(), vault.Backoff{Attempts: 30, Base: time.Microsecond}, func(ctx context.Context) error {
		return s.ReadAt(ctx, "x", p, 0)
	})
	if err != nil || string(p) != "0123456789" {
		t.Fatalf("retried read: %q, %v", p, err)
	}
}

func TestInjectedPutLeavesNothing(t *testing.T) {
	inner := mem.New()
	s := faulty.New(inner, faulty.Config{ErrorRate: 1, Ops: []faulty.Op{faulty.OpPut}})
	ctx := context.Background()
	for _, size := range []int{10, 1 << 20} {
		path := fmt.Sprintf("p/%d", size)
		if _, err := s.Put(ctx, path, bytes.NewReader(make([]byte, size))); !errors.Is(err, faulty.ErrInjected) {
			t.Fatalf("put of %d bytes: %v", size, err)
		}
		if _, err := inner.Stat(ctx, path); !errors.Is(err, vault.ErrNotFound) {
			t.Fatalf("failed put of %d bytes left an object: %v", size, err)
		}
	}
	// Faults restricted to other ops or another prefix do not touch Put.
	s.SetConfig(faulty.Config{ErrorRate: 1, PathPrefix: "other/"})
	if _, err := s.Put(ctx, "p/ok", bytes.NewReader([]byte("ok"))); err != nil {
		t.Fatal(err)
	}
	if got := s.Counts()[faulty.OpPut]; got.Calls != 3 || got.Faults != 2 || got.Bytes != 2 {
		t.Fatalf("put counts %+v", got)
	}
}

func TestLatency(t *testing.T) {
	lat := time.Duration(5+rand.IntN(10)) * time.Millisecond
	s := newFilled(t, faulty.Config{Latency: lat, Ops: []faulty.Op{faulty.OpStat}}, "x")
	start := time.Now()
	if _, err := s.Stat(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < lat {
		t.Fatalf("stat took %v, latency is %v", d, lat)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.SetConfig(faulty.Config{Latency: time.Hour})
	if _, err := s.Stat(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("stat with a cancelled context during the latency: %v", err)
	}
}

func TestCheckNamesTheFailingStep(t *testing.T) {
	for _, c := range []struct {
		op   faulty.Op
		step string
	}{{faulty.OpPut, vault.CheckWrite}, {faulty.OpRead, vault.CheckRead}, {faulty.OpList, vault.CheckList}, {faulty.OpDelete, vault.CheckDelete}} {
		inner := mem.New()
		perm := fmt.Errorf("injected: %w", vault.ErrPermission)
		s := faulty.New(inner, faulty.Config{ErrorRate: 1, Ops: []faulty.Op{c.op}, Err: perm})
		err := vault.Check(context.Background(), s)
		var ce *vault.CheckError
		if !errors.As(err, &ce) || ce.Step != c.step || !errors.Is(err, vault.ErrPermission) {
			t.Errorf("check with failing %v: %v, want a CheckError of step %q", c.op, err, c.step)
			continue
		}
		if objs, _ := inner.List(context.Background(), ""); c.op != faulty.OpDelete && len(objs) != 0 {
			t.Errorf("check with failing %v left %v", c.op, objs)
		}
	}
}
