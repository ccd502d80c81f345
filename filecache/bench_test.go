package filecache_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/filecache"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/mem"
	"github.com/doricdb/doric/vault/s3/s3test"
)

const benchObject = 32 * MiB

func benchEnv(b *testing.B, inner vault.Storage) (*filecache.Cache, []byte) {
	b.Helper()
	c, err := filecache.New(inner, filecache.Config{Path: b.TempDir(), Capacity: 2 * benchObject, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	data := randBytes(rand.New(rand.NewPCG(1, 2)), benchObject)
	if _, err := inner.Put(context.Background(), "data/1/bench.dat", bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
	return c, data
}

// BenchmarkHitRead: reads served from cached blocks on local disk (checksums verified).
func BenchmarkHitRead(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10, MiB} {
		b.Run(sizeName(size), func(b *testing.B) {
			c, _ := benchEnv(b, mem.New())
			ctx := context.Background()
			p := make([]byte, size)
			for off := int64(0); off < benchObject; off += MiB { // warm everything
				if err := c.ReadAt(ctx, "data/1/bench.dat", p[:min(size, MiB)], off); err != nil {
					b.Fatal(err)
				}
			}
			r := rand.New(rand.NewPCG(3, 4))
			b.SetBytes(int64(size))
			b.ResetTimer()
			for range b.N {
				if err := c.ReadAt(ctx, "data/1/bench.dat", p, r.Int64N(benchObject-int64(size))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchMiss reads run blocks at a time, always cold: the cache is cleared (outside the timer)
// whenever the whole object has been read.
func benchMiss(b *testing.B, inner vault.Storage, run int) {
	c, _ := benchEnv(b, inner)
	ctx := filecache.WithHint(context.Background(), filecache.Hint{Size: benchObject})
	p := make([]byte, run*MiB)
	b.SetBytes(int64(len(p)))
	b.ResetTimer()
	off := int64(0)
	for range b.N {
		if off+int64(len(p)) > benchObject {
			b.StopTimer()
			c.Flush()
			c.Clear()
			off = 0
			b.StartTimer()
		}
		if err := c.ReadAt(ctx, "data/1/bench.dat", p, off); err != nil {
			b.Fatal(err)
		}
		off += int64(len(p))
	}
	c.Flush() // the block writes still in flight are part of the cost
	b.StopTimer()
	if st := c.Stats(); st.HitBytes != 0 {
		b.Fatalf("a miss benchmark hit the cache for %d bytes", st.HitBytes)
	}
}

// BenchmarkMissRead: cold reads of 1 and 4 blocks that fetch from the vault and write the
// blocks to the cache, from the in-memory vault (the cache's own cost) and from a local S3
// server (VersityGW).
func BenchmarkMissRead(b *testing.B) {
	for _, run := range []int{1, 4} {
		b.Run("mem/"+sizeName(run*MiB), func(b *testing.B) { benchMiss(b, mem.New(), run) })
	}
	srv := s3test.Start(b)
	for _, run := range []int{1, 4} {
		b.Run("s3/"+sizeName(run*MiB), func(b *testing.B) { benchMiss(b, srv.Storage(b), run) })
	}
}

// BenchmarkS3DirectRead is the baseline of the S3 miss benchmark: the same ranged reads without
// the cache.
func BenchmarkS3DirectRead(b *testing.B) {
	srv := s3test.Start(b)
	st := srv.Storage(b)
	_, _ = benchEnv(b, st)
	for _, run := range []int{1, 4} {
		b.Run(sizeName(run*MiB), func(b *testing.B) {
			p := make([]byte, run*MiB)
			b.SetBytes(int64(len(p)))
			off := int64(0)
			for range b.N {
				if off+int64(len(p)) > benchObject {
					off = 0
				}
				if err := st.ReadAt(context.Background(), "data/1/bench.dat", p, off); err != nil {
					b.Fatal(err)
				}
				off += int64(len(p))
			}
		})
	}
}

func sizeName(n int) string {
	if n >= MiB {
		return itoa(n/MiB) + "MiB"
	}
	return itoa(n>>10) + "KiB"
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
