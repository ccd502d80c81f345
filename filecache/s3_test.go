package filecache_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/doricdb/doric/filecache"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/s3/s3test"
)

// TestOverS3 runs the cache's acceptance checks on the S3 vault against a VersityGW server: a
// cold read issues at most one GET per block (one per run of missing blocks), a repeated read
// none, 64 concurrent readers of a cold block one, and the contents survive a restart.
func TestOverS3(t *testing.T) {
	srv := s3test.Start(t)
	r := seed(t)
	e := newEnv(t, srv.Storage(t), filecache.Config{})
	ctx := context.Background()
	size := int64(4*MiB + r.IntN(2*MiB))
	data := randBytes(r, int(size))
	if _, err := e.cache.Put(ctx, vault.SegmentPath(1, "r", 0), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	path := vault.SegmentPath(1, "r", 0)

	off := MiB + r.Int64N(MiB) // block 0 stays cold
	e.read(ctx, path, data, off, size-off)
	if e.gets() != 1 {
		t.Fatalf("cold read of %d blocks: %d GETs", blocksOf(off, size-off), e.gets())
	}
	e.read(ctx, path, data, 0, size) // fetches block 0 only
	e.read(ctx, path, data, 0, size)
	if e.gets() != 2 {
		t.Fatalf("whole object twice after a partial cold read: %d GETs, want 2", e.gets())
	}

	// 64 concurrent readers of one cold block of another object.
	path2 := vault.SegmentPath(2, "r", 0)
	if _, err := e.vault.Put(ctx, path2, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	gets := e.gets()
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rr := rand.New(rand.NewPCG(uint64(i), 2))
			o := 2*MiB + rr.Int64N(MiB)
			n := 1 + rr.Int64N(3*MiB-o)
			got, err := vault.ReadRange(ctx, e.cache, path2, o, n)
			if err != nil || !bytes.Equal(got, data[o:o+n]) {
				t.Errorf("reader %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if e.gets() != gets+1 {
		t.Fatalf("64 concurrent readers of a cold block: %d GETs", e.gets()-gets)
	}

	e.cache.Close()
	e.vault.ResetCounts()
	e.open()
	e.read(ctx, path, data, 0, size)
	if e.gets() != 0 || e.stats() != 0 {
		t.Fatalf("after a restart: %d GETs, %d Stats", e.gets(), e.stats())
	}
}
