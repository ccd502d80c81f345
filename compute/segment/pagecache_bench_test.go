package segment_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/mem"
)

// stringSegment is a segment of strRows rows of a key and two string columns, as TPC-H's
// comments (random text, plain-encoded) and flags (few values, dictionary-encoded, some NULL).
type stringSegment struct {
	st   vault.Storage
	path string
	size int64
}

const strRows = 1 << 20

var stringSegments = sync.OnceValues(func() ([]stringSegment, error) {
	ctx := context.Background()
	specs := []segment.ColumnSpec{
		{UniqueID: 1, Type: types.New(types.BigInt)},
		{UniqueID: 2, Type: types.New(types.String)},
		{UniqueID: 3, Type: types.New(types.String), Nullable: true},
	}
	flags := [][]byte{[]byte("MAIL"), []byte("SHIP"), []byte("AIR"), []byte("RAIL"), []byte("TRUCK"), []byte("REG AIR"), []byte("FOB")}
	r := rand.New(rand.NewPCG(5, 6))
	k, c, f := vector.New(specs[0].Type, strRows), vector.New(specs[1].Type, strRows), vector.New(specs[2].Type, strRows)
	f.Nulls = vector.NewBitmap(strRows)
	for i := range strRows {
		k.Int64[i] = int64(i)
		b := make([]byte, 10+r.IntN(33))
		for j := range b {
			b[j] = byte('a' + r.IntN(26))
		}
		c.Bytes[i] = b
		if r.IntN(50) == 0 {
			f.Nulls.Set(i)
		} else {
			f.Bytes[i] = flags[r.IntN(len(flags))]
		}
	}
	st := mem.New()
	var out []stringSegment
	for s := range 4 { // enough decoded pages that the cache's pointers would dominate a GC
		path := fmt.Sprintf("data/1/r_%d.dat", s)
		info, err := segment.WriteToVault(ctx, st, path, specs, segment.Options{NumSortKeyColumns: 1}, func(w *segment.Writer) error {
			return w.Append(vector.NewBatch([]*vector.Vector{k, c, f}, strRows))
		})
		if err != nil {
			return nil, err
		}
		out = append(out, stringSegment{st, path, info.Size})
	}
	return out, nil
})

func stringSegmentsOrFail(b *testing.B) []stringSegment {
	segs, err := stringSegments()
	if err != nil {
		b.Fatal(err)
	}
	return segs
}

// scanStrings reads the string columns of a segment through c and returns the bytes they hold.
func scanStrings(ctx context.Context, c *segment.Cache, s stringSegment, reuse bool) (int, error) {
	seg, err := c.Open(ctx, s.st, s.path, s.size)
	if err != nil {
		return 0, err
	}
	it := seg.NewIterator([]int{1, 2}, segment.IteratorOptions{Reuse: reuse})
	n := 0
	for {
		b, err := it.Next(ctx)
		if err != nil || b == nil {
			return n, err
		}
		for _, v := range b.Cols {
			for _, x := range v.Bytes {
				n += len(x)
			}
		}
	}
}

// BenchmarkPageCacheHit scans the two string columns of one segment (1Mi rows) whose pages
// are all in the cache: what a hot query pays to get cached string pages.
func BenchmarkPageCacheHit(b *testing.B) {
	ctx := context.Background()
	s := stringSegmentsOrFail(b)[0]
	c := segment.NewCache(8 << 30)
	want, err := scanStrings(ctx, c, s, false)
	if err != nil {
		b.Fatal(err)
	}
	for _, reuse := range []bool{false, true} {
		b.Run(fmt.Sprintf("reuse=%v", reuse), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got, err := scanStrings(ctx, c, s, reuse)
				if err != nil || got != want {
					b.Fatalf("%d bytes, want %d: %v", got, want, err)
				}
			}
		})
	}
	// The worst case: a GC cycle (not timed) before every scan, so that nothing the scans
	// before made of the cached pages is left.
	b.Run("afterGC", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			runtime.GC()
			b.StartTimer()
			got, err := scanStrings(ctx, c, s, false)
			if err != nil || got != want {
				b.Fatalf("%d bytes, want %d: %v", got, want, err)
			}
		}
	})
}

// BenchmarkPageCacheGC times a full garbage collection while the cache holds the decoded
// string pages of 4 segments (8Mi values): the marking the cache adds to every GC cycle.
func BenchmarkPageCacheGC(b *testing.B) {
	ctx := context.Background()
	c := segment.NewCache(8 << 30)
	for _, s := range stringSegmentsOrFail(b) {
		if _, err := scanStrings(ctx, c, s, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.Stats().Bytes), "cache-bytes")
	for b.Loop() {
		runtime.GC()
	}
	runtime.KeepAlive(c)
}
