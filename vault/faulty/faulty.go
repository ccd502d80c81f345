package faulty

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doricdb/doric/vault"
)

// Op names an operation of vault.Storage.
type Op int

// The operations.
const (
	OpPut Op = iota
	OpRead
	OpStat
	OpList
	OpDelete
	OpDeletePrefix
	numOps
)

var opNames = [numOps]string{"put", "read", "stat", "list", "delete", "delete-prefix"}

func (o Op) String() string {
	if o < 0 || o >= numOps {
		return fmt.Sprintf("Op(%d)", int(o))
	}
	return opNames[o]
}

// ErrInjected is the error of injected faults unless Config.Err says otherwise. It is classified
// as vault.ErrUnavailable.
var ErrInjected = fmt.Errorf("faulty vault: injected fault: %w", vault.ErrUnavailable)

// Config says which faults to inject. The zero value injects nothing.
type Config struct {
	// Seed makes the fault pattern reproducible; different seeds give different patterns.
	Seed uint64
	// ErrorRate is the probability that a call of one of Ops fails with Err.
	ErrorRate float64
	// PartialReadRate is the probability that a ReadAt (not already failed by ErrorRate) fills
	// only a prefix of its buffer and fails with an error wrapping vault.ErrUnavailable and
	// io.ErrUnexpectedEOF.
	PartialReadRate float64
	// Latency is added to every call of one of Ops, plus up to LatencyJitter more (uniform,
	// deterministic like the faults). The pause ends early when the call's context ends.
	Latency, LatencyJitter time.Duration
	// Ops are the operations faults and latency apply to; empty means all.
	Ops []Op
	// PathPrefix restricts faults and latency to paths (List and DeletePrefix: prefixes; Delete:
	// its first path) that start with it.
	PathPrefix string
	// Err is the injected error; nil means ErrInjected.
	Err error
}

// OpCounts counts the calls of one operation.
type OpCounts struct {
	Calls  int64 // every call, faulted or not
	Faults int64 // calls that failed by injection (errors and partial reads)
	Bytes  int64 // bytes read (ReadAt) or stored (Put) by successful calls
}

// Counts are the counters of every operation, indexed by Op.
type Counts [numOps]OpCounts

// Storage is the fault-injecting wrapper.
type Storage struct {
	inner vault.Storage
	cfg   atomic.Pointer[Config]

	mu    sync.Mutex
	seq   map[seqKey]uint64 // calls per (op, path) so far: the fault pattern's clock
	count [numOps]struct{ calls, faults, bytes atomic.Int64 }
}

type seqKey struct {
	op   Op
	path string
}

var _ vault.Storage = (*Storage)(nil)

// New wraps inner.
func New(inner vault.Storage, cfg Config) *Storage {
	s := &Storage{inner: inner, seq: map[seqKey]uint64{}}
	s.SetConfig(cfg)
	return s
}

// SetConfig replaces the fault configuration for the calls that start from now on.
func (s *Storage) SetConfig(cfg Config) {
	cfg.Ops = append([]Op(nil), cfg.Ops...)
	s.cfg.Store(&cfg)
}

// Inner is the wrapped storage.
func (s *Storage) Inner() vault.Storage { return s.inner }

// Counts returns a snapshot of the counters.
func (s *Storage) Counts() Counts {
	var c Counts
	for i := range c {
		c[i] = OpCounts{Calls: s.count[i].calls.Load(), Faults: s.count[i].faults.Load(), Bytes: s.count[i].bytes.Load()}
	}
	return c
}

// Calls is the number of calls of op so far.
func (s *Storage) Calls(op Op) int64 { return s.count[op].calls.Load() }

// ResetCounts zeroes the counters (not the fault pattern's clock).
func (s *Storage) ResetCounts() {
	for i := range s.count {
		s.count[i].calls.Store(0)
		s.count[i].faults.Store(0)
		s.count[i].bytes.Store(0)
	}
}

// decision is what happens to one call.
type decision struct {
	fail    bool
	partial float64 // in (0,1): the fraction of a partial read; 0: none
	delay   time.Duration
	err     error
}

// decide draws the fate of the n-th call of op on path: deterministic in (seed, op, path, n).
func (s *Storage) decide(op Op, path string) decision {
	s.count[op].calls.Add(1)
	cfg := s.cfg.Load()
	if !cfg.applies(op, path) {
		return decision{}
	}
	s.mu.Lock()
	k := seqKey{op, path}
	n := s.seq[k]
	s.seq[k] = n + 1
	s.mu.Unlock()

	h := fnv.New64a()
	var buf [24]byte
	binary.LittleEndian.PutUint64(buf[0:], cfg.Seed)
	binary.LittleEndian.PutUint64(buf[8:], uint64(op))
	binary.LittleEndian.PutUint64(buf[16:], n)
	h.Write(buf[:])
	h.Write([]byte(path))
	x := h.Sum64()
	next := func() float64 { // splitmix64 → uniform [0,1)
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		return float64(z>>11) / (1 << 53)
	}
	d := decision{delay: cfg.Latency, err: cfg.Err}
	if d.err == nil {
		d.err = ErrInjected
	}
	if cfg.LatencyJitter > 0 {
		d.delay += time.Duration(next() * float64(cfg.LatencyJitter))
	}
	errDraw, partDraw, fracDraw := next(), next(), next()
	switch {
	case errDraw < cfg.ErrorRate:
		d.fail = true
	case op == OpRead && partDraw < cfg.PartialReadRate:
		d.partial = math.Max(fracDraw, 1e-9)
	}
	if d.fail || d.partial > 0 {
		s.count[op].faults.Add(1)
	}
	return d
}

func (c *Config) applies(op Op, path string) bool {
	if c.ErrorRate <= 0 && c.PartialReadRate <= 0 && c.Latency <= 0 && c.LatencyJitter <= 0 {
		return false
	}
	if !strings.HasPrefix(path, c.PathPrefix) {
		return false
	}
	if len(c.Ops) == 0 {
		return true
	}
	for _, o := range c.Ops {
		if o == op {
			return true
		}
	}
	return false
}

func (d decision) wait(ctx context.Context) error {
	if d.delay <= 0 {
		return nil
	}
	t := time.NewTimer(d.delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *Storage) Put(ctx context.Context, path string, r io.Reader) (int64, error) {
	d := s.decide(OpPut, path)
	if err := d.wait(ctx); err != nil {
		return 0, fmt.Errorf("faulty vault: put %q: %w", path, err)
	}
	if d.fail {
		// The inner Put consumes some of the data and then sees its reader fail.
		r = &failAfter{r: r, left: 1 << 16, err: d.err}
	}
	n, err := s.inner.Put(ctx, path, r)
	if err == nil {
		s.count[OpPut].bytes.Add(n)
	}
	return n, err
}

// failAfter yields up to left bytes of r, then err.
type failAfter struct {
	r    io.Reader
	left int
	err  error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, f.err
	}
	n, err := f.r.Read(p[:min(len(p), f.left)])
	f.left -= n
	if err == io.EOF {
		return n, f.err // fail even a short object: the injected fault is a failed upload
	}
	return n, err
}

func (s *Storage) ReadAt(ctx context.Context, path string, p []byte, off int64) error {
	d := s.decide(OpRead, path)
	if err := d.wait(ctx); err != nil {
		return fmt.Errorf("faulty vault: read %q: %w", path, err)
	}
	if d.fail {
		return fmt.Errorf("faulty vault: read %q: %w", path, d.err)
	}
	if d.partial > 0 && len(p) > 0 {
		n := int(d.partial * float64(len(p)))
		if err := s.inner.ReadAt(ctx, path, p[:n], off); err != nil {
			return err
		}
		// The rest of p holds whatever garbage a cut connection leaves.
		for i := n; i < len(p); i++ {
			p[i] ^= 0x5a
		}
		return fmt.Errorf("faulty vault: read %q [%d,+%d): cut after %d bytes: %w", path, off, len(p), n,
			errors.Join(vault.ErrUnavailable, io.ErrUnexpectedEOF))
	}
	if err := s.inner.ReadAt(ctx, path, p, off); err != nil {
		return err
	}
	s.count[OpRead].bytes.Add(int64(len(p)))
	return nil
}

func (s *Storage) Stat(ctx context.Context, path string) (vault.ObjectInfo, error) {
	d := s.decide(OpStat, path)
	if err := d.wait(ctx); err != nil {
		return vault.ObjectInfo{}, fmt.Errorf("faulty vault: stat %q: %w", path, err)
	}
	if d.fail {
		return vault.ObjectInfo{}, fmt.Errorf("faulty vault: stat %q: %w", path, d.err)
	}
	return s.inner.Stat(ctx, path)
}

func (s *Storage) List(ctx context.Context, prefix string) ([]vault.ObjectInfo, error) {
	d := s.decide(OpList, prefix)
	if err := d.wait(ctx); err != nil {
		return nil, fmt.Errorf("faulty vault: list %q: %w", prefix, err)
	}
	if d.fail {
		return nil, fmt.Errorf("faulty vault: list %q: %w", prefix, d.err)
	}
	return s.inner.List(ctx, prefix)
}

func (s *Storage) Delete(ctx context.Context, paths ...string) error {
	key := ""
	if len(paths) > 0 {
		key = paths[0]
	}
	d := s.decide(OpDelete, key)
	if err := d.wait(ctx); err != nil {
		return fmt.Errorf("faulty vault: delete: %w", err)
	}
	if d.fail {
		return fmt.Errorf("faulty vault: delete %d objects: %w", len(paths), d.err)
	}
	return s.inner.Delete(ctx, paths...)
}

func (s *Storage) DeletePrefix(ctx context.Context, prefix string) error {
	d := s.decide(OpDeletePrefix, prefix)
	if err := d.wait(ctx); err != nil {
		return fmt.Errorf("faulty vault: delete prefix %q: %w", prefix, err)
	}
	if d.fail {
		return fmt.Errorf("faulty vault: delete prefix %q: %w", prefix, d.err)
	}
	return s.inner.DeletePrefix(ctx, prefix)
}
