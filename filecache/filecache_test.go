package filecache_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/doricdb/doric/filecache"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/faulty"
	"github.com/doricdb/doric/vault/mem"
	"github.com/doricdb/doric/vault/vaulttest"
)

const MiB = filecache.BlockSize

var quiet = slog.New(slog.DiscardHandler)

func seed(t testing.TB) *rand.Rand {
	s := uint64(time.Now().UnixNano())
	t.Logf("seed %d", s)
	return rand.New(rand.NewPCG(s, 0xfc))
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// env is a cache over a counting vault.
type env struct {
	t     testing.TB
	dir   string
	vault *faulty.Storage // counts the requests that reach the vault
	cache *filecache.Cache
	cfg   filecache.Config
}

func newEnv(t testing.TB, inner vault.Storage, cfg filecache.Config) *env {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = t.TempDir()
	}
	if cfg.Capacity == 0 {
		cfg.Capacity = 64 * MiB
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	e := &env{t: t, dir: cfg.Path, vault: faulty.New(inner, faulty.Config{}), cfg: cfg}
	e.open()
	return e
}

func (e *env) open() {
	e.t.Helper()
	c, err := filecache.New(e.vault, e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.cache = c
	e.t.Cleanup(func() { c.Close() })
}

func (e *env) gets() int64  { return e.vault.Calls(faulty.OpRead) }
func (e *env) stats() int64 { return e.vault.Calls(faulty.OpStat) }

func (e *env) put(path string, data []byte) {
	e.t.Helper()
	if _, err := e.vault.Inner().Put(context.Background(), path, bytes.NewReader(data)); err != nil {
		e.t.Fatal(err)
	}
}

// read reads [off, off+n) through the cache and checks it against data.
func (e *env) read(ctx context.Context, path string, data []byte, off, n int64) {
	e.t.Helper()
	got, err := vault.ReadRange(ctx, e.cache, path, off, n)
	if err != nil {
		e.t.Fatalf("read %q [%d,+%d): %v", path, off, n, err)
	}
	if !bytes.Equal(got, data[off:off+n]) {
		e.t.Fatalf("read %q [%d,+%d): wrong bytes", path, off, n)
	}
	e.cache.Flush() // the fetched blocks are on disk: the cache's state is deterministic
}

func blocksOf(off, n int64) int64 { return (off+n-1)/MiB - off/MiB + 1 }

func TestConformance(t *testing.T) {
	r := seed(t)
	vaulttest.Run(t, func(t *testing.T) vault.Storage {
		c, err := filecache.New(mem.New(), filecache.Config{
			Path: t.TempDir(), Capacity: int64(4+r.IntN(16)) * MiB, WriteThrough: r.IntN(2) == 0, Logger: quiet,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	})
}

// TestColdAndWarmReads: a cold read issues one GET for its run of missing blocks (never more
// than one per block), a repeated read none.
func TestColdAndWarmReads(t *testing.T) {
	r := seed(t)
	e := newEnv(t, mem.New(), filecache.Config{})
	size := int64(5*MiB + r.IntN(4*MiB))
	data := randBytes(r, int(size))
	e.put("data/1/r_0.dat", data)
	ctx := context.Background()

	off := r.Int64N(size / 2)
	n := 1 + r.Int64N(size-off)
	e.read(ctx, "data/1/r_0.dat", data, off, n)
	if e.gets() != 1 || e.stats() != 1 {
		t.Fatalf("cold read of %d blocks: %d GETs, %d Stats; want 1 and 1", blocksOf(off, n), e.gets(), e.stats())
	}
	for range 20 {
		o := off + r.Int64N(n)
		e.read(ctx, "data/1/r_0.dat", data, o, 1+r.Int64N(off+n-o))
	}
	if e.gets() != 1 || e.stats() != 1 {
		t.Fatalf("warm reads issued requests: %d GETs, %d Stats", e.gets(), e.stats())
	}
	// The whole object: only the missing blocks before and after the cached run are fetched,
	// one GET for each run.
	e.read(ctx, "data/1/r_0.dat", data, 0, size)
	want := int64(1)
	if off/MiB > 0 {
		want++
	}
	if (off+n-1)/MiB < (size-1)/MiB {
		want++
	}
	if e.gets() != want {
		t.Fatalf("after the whole object: %d GETs, want %d", e.gets(), want)
	}
	st := e.cache.Stats()
	if st.Blocks != int((size+MiB-1)/MiB) || st.FetchedBytes != size || st.MissBlocks != int64(st.Blocks) {
		t.Fatalf("stats after reading everything once: %+v", st)
	}
	// With the size in the hint, a cold object costs no Stat.
	e.put("data/2/r_0.dat", data[:MiB+7])
	e.read(filecache.WithHint(ctx, filecache.Hint{Size: MiB + 7}), "data/2/r_0.dat", data, 3, MiB)
	if e.stats() != 1 {
		t.Fatalf("a read with a size hint issued a Stat")
	}
	// Out of range and missing objects are the vault's errors.
	if err := e.cache.ReadAt(ctx, "data/1/r_0.dat", make([]byte, 2), size-1); !errors.Is(err, vault.ErrOutOfRange) {
		t.Fatalf("read past the end: %v", err)
	}
	if err := e.cache.ReadAt(ctx, "data/9/none", make([]byte, 2), 0); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("read of a missing object: %v", err)
	}
}

// TestConcurrentColdBlock: 64 readers of one cold block cause one GET (and one Stat).
func TestConcurrentColdBlock(t *testing.T) {
	r := seed(t)
	e := newEnv(t, mem.New(), filecache.Config{})
	data := randBytes(r, 3*MiB)
	e.put("data/1/hot.dat", data)
	// Slow GETs make the readers pile up on the fetch in flight.
	e.vault.SetConfig(faulty.Config{Latency: 20 * time.Millisecond, Ops: []faulty.Op{faulty.OpRead, faulty.OpStat}})
	block := int64(r.IntN(3))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rr := rand.New(rand.NewPCG(uint64(i), 1))
			off := block*MiB + rr.Int64N(MiB)
			n := 1 + rr.Int64N(block*MiB+MiB-off)
			<-start
			got, err := vault.ReadRange(context.Background(), e.cache, "data/1/hot.dat", off, n)
			if err != nil || !bytes.Equal(got, data[off:off+n]) {
				t.Errorf("reader %d [%d,+%d): %v", i, off, n, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if e.gets() != 1 || e.stats() != 1 {
		t.Fatalf("64 readers of one cold block: %d GETs and %d Stats, want 1 and 1", e.gets(), e.stats())
	}
}

func TestRestart(t *testing.T) {
	r := seed(t)
	inner := mem.New()
	e := newEnv(t, inner, filecache.Config{Capacity: 32 * MiB})
	var datas [][]byte
	for i := range 3 {
		d := randBytes(r, 1+r.IntN(3*MiB))
		datas = append(datas, d)
		e.put(fmt.Sprintf("data/%d/x.dat", i), d)
		e.read(context.Background(), fmt.Sprintf("data/%d/x.dat", i), d, 0, int64(len(d)))
	}
	before := e.cache.Stats()
	e.cache.Close()

	e2 := newEnv(t, inner, filecache.Config{Path: e.dir, Capacity: 32 * MiB})
	after := e2.cache.Stats()
	if after.Blocks != before.Blocks || after.Used != before.Used {
		t.Fatalf("after restart %d blocks / %d bytes, before %d / %d", after.Blocks, after.Used, before.Blocks, before.Used)
	}
	for i, d := range datas {
		e2.read(context.Background(), fmt.Sprintf("data/%d/x.dat", i), d, 0, int64(len(d)))
	}
	if e2.gets() != 0 || e2.stats() != 0 {
		t.Fatalf("reads after a restart: %d GETs, %d Stats; want none", e2.gets(), e2.stats())
	}
	e2.cache.Close()

	// A smaller capacity at restart evicts down to it.
	e3 := newEnv(t, inner, filecache.Config{Path: e.dir, Capacity: filecache.MinCapacity})
	if st := e3.cache.Stats(); st.Used > filecache.MinCapacity || st.Blocks == 0 {
		t.Fatalf("restart with a smaller capacity: %d bytes in %d blocks", st.Used, st.Blocks)
	}
}

func flipByte(t *testing.T, name string, at int64) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

// TestCorruptBlocks: a block whose data or trailer no longer matches its checksums is never
// served: reads fetch it again, restarts drop it.
func TestCorruptBlocks(t *testing.T) {
	r := seed(t)
	e := newEnv(t, mem.New(), filecache.Config{})
	data := randBytes(r, 2*MiB+r.IntN(MiB))
	const path = "data/5/c.dat"
	e.put(path, data)
	ctx := context.Background()
	e.read(ctx, path, data, 0, int64(len(data)))
	gets := e.gets()

	// Data of block 1.
	flipByte(t, filecache.BlockFile(e.cache, path, 1), r.Int64N(MiB))
	e.read(ctx, path, data, MiB, MiB)
	if e.gets() != gets+1 || e.cache.Stats().CorruptBlocks != 1 {
		t.Fatalf("corrupt block: %d more GETs, %d corrupt blocks", e.gets()-gets, e.cache.Stats().CorruptBlocks)
	}
	e.read(ctx, path, data, MiB, MiB)
	if e.gets() != gets+1 {
		t.Fatal("the refetched block was not cached again")
	}
	// The trailer of block 0: detected by a read, and at restart.
	name := filecache.BlockFile(e.cache, path, 0)
	flipByte(t, name, MiB+int64(len(path))+1)
	e.read(ctx, path, data, 10, 100)
	if e.gets() != gets+2 {
		t.Fatalf("corrupt trailer: %d more GETs", e.gets()-gets)
	}
	// Truncate block 2's file and corrupt block 0's footer: a restart drops both.
	if err := os.Truncate(filecache.BlockFile(e.cache, path, 2), 100); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(name)
	flipByte(t, name, fi.Size()-30)
	e.cache.Close()
	e.open()
	if st := e.cache.Stats(); st.Blocks != 1 {
		t.Fatalf("after restart with 2 bad blocks of 3: %d blocks", st.Blocks)
	}
	gets = e.gets()
	e.read(ctx, path, data, 0, int64(len(data)))
	if e.gets() != gets+2 {
		t.Fatalf("reading the 2 dropped blocks took %d GETs", e.gets()-gets)
	}
}

// TestDiskFull: with the disk full, reads still succeed, uncached; caching resumes later.
func TestDiskFull(t *testing.T) {
	r := seed(t)
	e := newEnv(t, mem.New(), filecache.Config{WriteThrough: true})
	data := randBytes(r, 2*MiB+r.IntN(MiB))
	ctx := context.Background()
	filecache.SetDiskFull(e.cache, true, time.Hour)
	if _, err := e.cache.Put(ctx, "data/1/a.dat", bytes.NewReader(data)); err != nil {
		t.Fatalf("write-through put on a full disk: %v", err)
	}
	for i := range 3 {
		e.read(ctx, "data/1/a.dat", data, 0, int64(len(data)))
		if e.gets() != int64(i+1) {
			t.Fatalf("read %d on a full disk: %d GETs", i, e.gets())
		}
	}
	st := e.cache.Stats()
	if st.Used != 0 || st.Blocks != 0 || st.WriteErrors == 0 || !st.DiskFull {
		t.Fatalf("stats on a full disk: %+v", st)
	}
	filecache.SetDiskFull(e.cache, false, 0)
	e.read(ctx, "data/1/a.dat", data, 0, int64(len(data)))
	e.read(ctx, "data/1/a.dat", data, 0, int64(len(data)))
	if e.gets() != 4 || e.cache.Stats().DiskFull {
		t.Fatalf("after the disk has room again: %d GETs, want 4", e.gets())
	}
}

// TestQueues: compaction (disposable) and index reads do not push the queries' normal blocks
// out; shares act as ratios when everything competes.
func TestQueues(t *testing.T) {
	r := seed(t)
	per := filecache.BlockFileBytes("data/1/normal.dat", MiB)
	capBlocks := int64(20)
	e := newEnv(t, mem.New(), filecache.Config{Capacity: capBlocks * per})
	normal := randBytes(r, 8*MiB) // the normal share is 40%: 8 of 20 blocks
	e.put("data/1/normal.dat", normal)
	big := randBytes(r, 60*MiB)
	e.put("data/2/compact.dat", big)
	ctx := context.Background()
	e.read(ctx, "data/1/normal.dat", normal, 0, int64(len(normal)))

	// A compaction streams 60 blocks through the cache in random-sized reads.
	dctx := filecache.WithKind(ctx, filecache.Disposable)
	for off := int64(0); off < int64(len(big)); {
		n := min(int64(len(big))-off, 1+r.Int64N(3*MiB))
		e.read(dctx, "data/2/compact.dat", big, off, n)
		off += n
	}
	gets := e.gets()
	e.read(ctx, "data/1/normal.dat", normal, 0, int64(len(normal)))
	if e.gets() != gets {
		t.Fatalf("a compaction evicted normal blocks: %d GETs to re-read them", e.gets()-gets)
	}
	st := e.cache.Stats()
	if st.Used > e.cfg.Capacity || st.Queues["disposable"].Blocks > int(capBlocks)-8 || st.Queues["normal"].Blocks != 8 {
		t.Fatalf("queues after a compaction: %+v", st.Queues)
	}
	if st.Queues["disposable"].Evictions == 0 || st.Queues["normal"].Evictions != 0 {
		t.Fatalf("evictions: %+v", st.Queues)
	}

	// Normal reads beyond the free space now take it back from the disposable queue first.
	more := randBytes(r, 10*MiB)
	e.put("data/3/more.dat", more)
	e.read(ctx, "data/3/more.dat", more, 0, int64(len(more)))
	st = e.cache.Stats()
	if st.Queues["normal"].Blocks != 18 || st.Queues["disposable"].Blocks != 2 {
		t.Fatalf("queues after 10 more normal blocks: %+v", st.Queues)
	}
	// Once normal and disposable both compete, each stays near its share ratio (40:5 of the
	// 45% they share): disposable gets about 2 of 20.
	for off := int64(0); off < 20*MiB; off += MiB {
		e.read(dctx, "data/2/compact.dat", big, off, MiB)
	}
	st = e.cache.Stats()
	if d := st.Queues["disposable"].Blocks; d < 1 || d > 3 {
		t.Fatalf("disposable holds %d of %d blocks under competition: %+v", d, capBlocks, st.Queues)
	}
}

func TestLRU(t *testing.T) {
	r := seed(t)
	per := filecache.BlockFileBytes("data/1/lru.dat", MiB)
	capBlocks := 4 + r.IntN(6)
	e := newEnv(t, mem.New(), filecache.Config{Capacity: int64(capBlocks) * per, Shares: filecache.Shares{Normal: 1}})
	data := randBytes(r, (capBlocks+3)*MiB)
	e.put("data/1/lru.dat", data)
	ctx := context.Background()
	for b := range capBlocks { // fill the cache
		e.read(ctx, "data/1/lru.dat", data, int64(b)*MiB, MiB)
	}
	e.read(ctx, "data/1/lru.dat", data, 0, 1) // block 0 is now the most recent
	gets := e.gets()
	e.read(ctx, "data/1/lru.dat", data, int64(capBlocks)*MiB, MiB) // evicts block 1, the least recent
	e.read(ctx, "data/1/lru.dat", data, 0, 1)
	if e.gets() != gets+1 {
		t.Fatal("the most recently used block was evicted")
	}
	e.read(ctx, "data/1/lru.dat", data, MiB, 1)
	if e.gets() != gets+2 {
		t.Fatal("the least recently used block was not evicted")
	}
	if st := e.cache.Stats(); st.Used > e.cfg.Capacity || st.Blocks != capBlocks {
		t.Fatalf("%d bytes in %d blocks, capacity %d blocks", st.Used, st.Blocks, capBlocks)
	}
}

func TestWriteThrough(t *testing.T) {
	r := seed(t)
	ctx := context.Background()
	for _, on := range []bool{true, false} {
		e := newEnv(t, mem.New(), filecache.Config{WriteThrough: on})
		data := randBytes(r, 1+r.IntN(4*MiB))
		if _, err := e.cache.Put(ctx, "data/1/w.dat", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		e.read(ctx, "data/1/w.dat", data, 0, int64(len(data)))
		if wantGets := map[bool]int64{true: 0, false: 1}[on]; e.gets() != wantGets || (on && e.stats() != 0) {
			t.Fatalf("write-through %v: %d GETs, %d Stats after the put", on, e.gets(), e.stats())
		}
		// Overwriting through the cache invalidates what it holds.
		data2 := randBytes(r, 1+r.IntN(2*MiB))
		if _, err := e.cache.Put(ctx, "data/1/w.dat", bytes.NewReader(data2)); err != nil {
			t.Fatal(err)
		}
		e.read(ctx, "data/1/w.dat", data2, 0, int64(len(data2)))
		// Deleting too.
		if err := e.cache.Delete(ctx, "data/1/w.dat"); err != nil {
			t.Fatal(err)
		}
		if err := e.cache.ReadAt(ctx, "data/1/w.dat", make([]byte, 1), 0); !errors.Is(err, vault.ErrNotFound) {
			t.Fatalf("read after delete: %v", err)
		}
	}
}

func TestProfileAndPeer(t *testing.T) {
	r := seed(t)
	data := randBytes(r, 3*MiB)
	var peerCalls int
	var mu sync.Mutex
	peerHas := map[int64]bool{0: true}
	e := newEnv(t, mem.New(), filecache.Config{PeerRead: func(ctx context.Context, path string, off int64, p []byte) error {
		mu.Lock()
		defer mu.Unlock()
		peerCalls++
		if !peerHas[off] || int(off)+len(p) > MiB {
			return errors.New("the peer does not have it")
		}
		copy(p, data[off:])
		return nil
	}})
	e.put("data/1/p.dat", data)
	var prof filecache.Profile
	ctx := filecache.WithProfile(context.Background(), &prof)
	e.read(ctx, "data/1/p.dat", data, 100, MiB-100) // block 0: from the peer
	if e.gets() != 0 || peerCalls != 1 {
		t.Fatalf("peer hit: %d GETs, %d peer calls", e.gets(), peerCalls)
	}
	e.read(ctx, "data/1/p.dat", data, MiB, 2*MiB) // blocks 1-2: the peer fails, the vault serves
	if e.gets() != 1 || peerCalls != 2 {
		t.Fatalf("peer miss: %d GETs, %d peer calls", e.gets(), peerCalls)
	}
	if got := prof.BytesScannedFromRemote.Load(); got != 3*MiB-100 || prof.BytesScannedFromCache.Load() != 0 {
		t.Fatalf("cold profile: remote %d, cache %d", got, prof.BytesScannedFromCache.Load())
	}
	var prof2 filecache.Profile
	n := 1 + r.Int64N(3*MiB)
	e.read(filecache.WithProfile(context.Background(), &prof2), "data/1/p.dat", data, 0, n)
	if prof2.BytesScannedFromCache.Load() != n || prof2.BytesScannedFromRemote.Load() != 0 {
		t.Fatalf("warm profile: cache %d, remote %d; want %d, 0", prof2.BytesScannedFromCache.Load(), prof2.BytesScannedFromRemote.Load(), n)
	}
	if st := e.cache.Stats(); st.PeerFetchedBytes != MiB || st.PeerBytes != MiB-100 {
		t.Fatalf("peer stats: %+v", st)
	}
}

func TestWarm(t *testing.T) {
	r := seed(t)
	e := newEnv(t, mem.New(), filecache.Config{})
	var paths []string
	var datas [][]byte
	total := 0
	for i := range 3 {
		d := randBytes(r, 1+r.IntN(MiB))
		total += len(d)
		p := fmt.Sprintf("data/%d/w.dat", i)
		e.put(p, d)
		paths = append(paths, p)
		datas = append(datas, d)
	}
	rate := int64(4 * MiB)
	start := time.Now()
	w := e.cache.Warm(append(paths, "data/9/missing.dat"), filecache.WarmOptions{
		Hint: filecache.Hint{Kind: filecache.Index}, BytesPerSecond: rate,
	})
	err := w.Wait(context.Background())
	elapsed := time.Since(start)
	if err == nil || !errors.Is(err, vault.ErrNotFound) || !strings.Contains(err.Error(), "data/9/missing.dat") {
		t.Fatalf("warm-up error: %v", err)
	}
	if p := w.Progress(); p.Files != 4 || p.Done != 4 || p.Failed != 1 || p.BytesFetched != int64(total) {
		t.Fatalf("progress %+v, want %d bytes", p, total)
	}
	if minTime := time.Duration(float64(total) / float64(rate) * float64(time.Second)); elapsed < minTime*9/10 {
		t.Fatalf("warmed %d bytes in %v at %d bytes/s", total, elapsed, rate)
	}
	gets := e.gets()
	for i, p := range paths {
		e.read(context.Background(), p, datas[i], 0, int64(len(datas[i])))
	}
	if e.gets() != gets {
		t.Fatal("reads after the warm-up went to the vault")
	}
	if st := e.cache.Stats(); st.Queues["index"].Blocks != 3 {
		t.Fatalf("warm-up with an index hint: %+v", st.Queues)
	}
	// Cancelling stops a slow warm-up.
	big := randBytes(r, 4*MiB)
	e.put("data/8/big.dat", big)
	w = e.cache.Warm([]string{"data/8/big.dat"}, filecache.WarmOptions{BytesPerSecond: 1})
	w.Cancel()
	if err := w.Wait(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled warm-up: %v", err)
	}
}

func TestTTL(t *testing.T) {
	r := seed(t)
	e := newEnv(t, mem.New(), filecache.Config{})
	now := time.Now()
	var mu sync.Mutex
	filecache.SetNow(e.cache, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	data := randBytes(r, 2*MiB)
	e.put("data/1/t.dat", data)
	ctx := filecache.WithHint(context.Background(), filecache.Hint{Kind: filecache.TTL, Expiration: now.Add(time.Hour)})
	e.read(ctx, "data/1/t.dat", data, 0, 2*MiB)
	if st := e.cache.Stats(); st.Queues["ttl"].Blocks != 2 {
		t.Fatalf("TTL read: %+v", st.Queues)
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	if st := e.cache.Stats(); st.Queues["ttl"].Blocks != 0 || st.Queues["normal"].Blocks != 2 {
		t.Fatalf("after the TTL expired: %+v", st.Queues)
	}
	// An expired TTL hint is a normal read.
	e.put("data/2/t.dat", data)
	e.read(ctx, "data/2/t.dat", data, 0, 10)
	if st := e.cache.Stats(); st.Queues["normal"].Blocks != 3 {
		t.Fatalf("expired TTL hint: %+v", st.Queues)
	}
}

func TestHTTPAndMetrics(t *testing.T) {
	r := seed(t)
	reg := prometheus.NewRegistry()
	e := newEnv(t, mem.New(), filecache.Config{Registerer: reg})
	data := randBytes(r, 2*MiB)
	e.put("data/1/h.dat", data)
	e.read(context.Background(), "data/1/h.dat", data, 0, 2*MiB)
	e.read(context.Background(), "data/1/h.dat", data, 5, 1000)

	srv := httptest.NewServer(http.StripPrefix("/api/file_cache", e.cache.Handler()))
	defer srv.Close()
	var st filecache.Stats
	resp, err := http.Get(srv.URL + "/api/file_cache/stats")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != 200 {
		t.Fatalf("stats: %d, %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if st.Blocks != 2 || st.HitBytes != 1000 || st.Queues["normal"].Blocks != 2 {
		t.Fatalf("stats over HTTP: %+v", st)
	}
	if got := counterValue(t, reg, "doric_filecache_read_bytes_total", "source", "cache"); got != 1000 {
		t.Fatalf("read_bytes_total{source=cache} = %v", got)
	}
	if resp, err := http.Get(srv.URL + "/api/file_cache/clear"); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET clear: %v %v", resp.Status, err)
	}
	resp, err = http.Post(srv.URL+"/api/file_cache/clear", "", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST clear: %v", err)
	}
	var cleared map[string]int64
	json.NewDecoder(resp.Body).Decode(&cleared)
	resp.Body.Close()
	if cleared["blocks"] != 2 || e.cache.Stats().Blocks != 0 {
		t.Fatalf("clear: %v, %d blocks left", cleared, e.cache.Stats().Blocks)
	}
	// Doris's form: ?op=clear.
	if resp, err := http.Get(srv.URL + "/api/file_cache?op=clear"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET ?op=clear: %v %v", resp.Status, err)
	}
	if resp, err := http.Get(srv.URL + "/api/file_cache?op=nonsense"); err != nil || resp.StatusCode != 404 {
		t.Fatalf("GET ?op=nonsense: %v %v", resp.Status, err)
	}
	// A second cache cannot register the same metrics on the same registry; after Close it can.
	if _, err := filecache.New(mem.New(), filecache.Config{Path: t.TempDir(), Capacity: filecache.MinCapacity, Registerer: reg, Logger: quiet}); err == nil {
		t.Fatal("two caches registered on one registry")
	}
	e.cache.Close()
	c, err := filecache.New(mem.New(), filecache.Config{Path: t.TempDir(), Capacity: filecache.MinCapacity, Registerer: reg, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// counterValue returns the value of the counter name{label=value} gathered from reg.
func counterValue(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("metric %s{%s=%q} not found", name, label, value)
	return 0
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []filecache.Config{
		{Capacity: 10 * MiB, Logger: quiet},
		{Path: t.TempDir(), Capacity: filecache.MinCapacity - 1},
		{Path: t.TempDir(), Capacity: 10 * MiB, Shares: filecache.Shares{Normal: -1, TTL: 2}},
	} {
		if _, err := filecache.New(mem.New(), cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
	// Another format version in the directory: the cache starts empty.
	dir := t.TempDir()
	os.WriteFile(dir+"/VERSION", []byte("doric-filecache 0\n"), 0o644)
	os.MkdirAll(dir+"/blocks/00", 0o755)
	os.WriteFile(dir+"/blocks/00/junk", []byte("x"), 0o644)
	c, err := filecache.New(mem.New(), filecache.Config{Path: dir, Capacity: filecache.MinCapacity, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := os.Stat(dir + "/blocks/00/junk"); !os.IsNotExist(err) {
		t.Fatalf("a cache of another version kept its files: %v", err)
	}
}

// TestFaultyVault: vault errors reach the reader and leave nothing cached; waiters of a failed
// fetch get its error; retried reads succeed.
func TestFaultyVault(t *testing.T) {
	r := seed(t)
	e := newEnv(t, mem.New(), filecache.Config{})
	data := randBytes(r, 2*MiB)
	e.put("data/1/f.dat", data)
	ctx := context.Background()
	e.vault.SetConfig(faulty.Config{Seed: r.Uint64(), ErrorRate: 1, Ops: []faulty.Op{faulty.OpRead}})
	if err := e.cache.ReadAt(ctx, "data/1/f.dat", make([]byte, 10), 0); !errors.Is(err, faulty.ErrInjected) {
		t.Fatalf("read with a failing vault: %v", err)
	}
	e.vault.SetConfig(faulty.Config{Seed: r.Uint64(), PartialReadRate: 0.5, ErrorRate: 0.2, Ops: []faulty.Op{faulty.OpRead}})
	for range 20 {
		off := r.Int64N(2 * MiB)
		n := 1 + r.Int64N(2*MiB-off)
		p := make([]byte, n)
		err := vault.Retry(ctx, vault.Backoff{Attempts: 50, Base: time.Microsecond}, func(ctx context.Context) error {
			return e.cache.ReadAt(ctx, "data/1/f.dat", p, off)
		})
		if err != nil || !bytes.Equal(p, data[off:off+n]) {
			t.Fatalf("retried read [%d,+%d): %v", off, n, err)
		}
	}
	// Whatever the cache holds now is correct.
	e.vault.SetConfig(faulty.Config{})
	e.read(ctx, "data/1/f.dat", data, 0, 2*MiB)
}

// TestManyObjects: the cache forgets objects of which it holds nothing, so reading many
// objects it cannot cache (here: the disk is full) keeps its memory bounded.
func TestManyObjects(t *testing.T) {
	inner := mem.New()
	e := newEnv(t, inner, filecache.Config{})
	filecache.SetDiskFull(e.cache, true, time.Hour)
	ctx := context.Background()
	for i := range 5000 {
		p := fmt.Sprintf("data/%d/x.dat", i)
		d := []byte(p)
		e.put(p, d)
		e.read(ctx, p, d, 0, int64(len(d)))
	}
	if st := e.cache.Stats(); st.Files > 4096 || st.Blocks != 0 {
		t.Fatalf("after 5000 uncacheable objects the cache knows %d files, %d blocks", st.Files, st.Blocks)
	}
}

// TestOverwriteRace: readers racing with overwrites of different sizes through the cache never
// panic or see unclassified errors; once the writes stop, reads return the last version.
func TestOverwriteRace(t *testing.T) {
	r := seed(t)
	e := newEnv(t, mem.New(), filecache.Config{WriteThrough: r.IntN(2) == 0})
	ctx := context.Background()
	version := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, MiB/2+i*MiB/3) }
	if _, err := e.cache.Put(ctx, "data/1/o.dat", bytes.NewReader(version(0))); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rr := rand.New(rand.NewPCG(uint64(g), 9))
			for {
				select {
				case <-stop:
					return
				default:
				}
				off := rr.Int64N(3 * MiB)
				err := e.cache.ReadAt(ctx, "data/1/o.dat", make([]byte, 1+rr.IntN(MiB)), off)
				if err != nil && !errors.Is(err, vault.ErrOutOfRange) && !errors.Is(err, vault.ErrUnavailable) {
					t.Errorf("read during overwrites: %v", err)
					return
				}
			}
		}()
	}
	last := 0
	for i := 1; i <= 8; i++ {
		last = i % 6
		if _, err := e.cache.Put(ctx, "data/1/o.dat", bytes.NewReader(version(last))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	want := version(last)
	e.read(ctx, "data/1/o.dat", want, 0, int64(len(want)))
}
