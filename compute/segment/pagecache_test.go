package segment_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/vault/faulty"
)

// TestPageCache: a second scan of a segment through the cache reads nothing from the vault and
// decodes nothing, yet returns the same values (also when the first scan reused its buffers,
// which must never reach the cached pages); the cache stays within its capacity; concurrent
// scans through a small cache (constant eviction) all read right.
func TestPageCache(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	ctx := context.Background()
	for iter := range 12 {
		tb := randomTable(r, 2000+r.IntN(8000))
		opts := randomOptions(r, tb)
		st, info := writeTable(t, r, tb, opts)
		counted := faulty.New(st, faulty.Config{})
		all := make([]int, len(tb.specs))
		for k := range all {
			all[k] = k
		}
		scan := func(c *segment.Cache, reuse bool, batch int) (segment.ReadStats, error) {
			seg, err := c.Open(ctx, counted, segPath, info.Size)
			if err != nil {
				return segment.ReadStats{}, err
			}
			it := seg.NewIterator(all, segment.IteratorOptions{BatchSize: batch, Reuse: reuse})
			for {
				b, err := it.Next(ctx)
				if err != nil {
					return it.Stats(), err
				}
				if b == nil {
					return it.Stats(), nil
				}
				row := int(it.Ordinal())
				for k := range all {
					for i := range b.N {
						if !sameValue(b.Cols[k], i, tb.cols[k], row+i) {
							return it.Stats(), fmt.Errorf("column %s row %d: got %s want %s", tb.specs[k].Type, row+i, b.Cols[k].Format(i), tb.cols[k].Format(row+i))
						}
					}
				}
			}
		}

		big := segment.NewCache(1 << 30)
		first, err := scan(big, r.IntN(2) == 0, 1+r.IntN(3000))
		if err != nil {
			t.Fatalf("iter %d, first scan: %v", iter, err)
		}
		counted.ResetCounts()
		second, err := scan(big, r.IntN(2) == 0, 1+r.IntN(3000))
		if err != nil {
			t.Fatalf("iter %d, cached scan: %v", iter, err)
		}
		if n := counted.Calls(faulty.OpRead); n != 0 || second.Reads != 0 || second.PagesRead != 0 {
			t.Fatalf("iter %d: the cached scan made %d vault reads, %d reads, decoded %d pages", iter, n, second.Reads, second.PagesRead)
		}
		if second.PagesCached != first.PagesRead {
			t.Fatalf("iter %d: %d pages from the cache, the first scan decoded %d", iter, second.PagesCached, first.PagesRead)
		}
		if st := big.Stats(); st.Hits == 0 || st.Bytes <= 0 || st.Bytes > st.Capacity {
			t.Fatalf("iter %d: stats %+v", iter, st)
		}

		small := segment.NewCache(int64(8<<10 + r.IntN(64<<10)))
		errs := make(chan error, 4)
		for range cap(errs) {
			batch := 1 + r.IntN(3000)
			go func() {
				_, err := scan(small, false, batch)
				errs <- err
			}()
		}
		for range cap(errs) {
			if err := <-errs; err != nil {
				t.Fatalf("iter %d, concurrent scans: %v", iter, err)
			}
		}
		if st := small.Stats(); st.Bytes > st.Capacity {
			t.Fatalf("iter %d: %d bytes held, capacity %d", iter, st.Bytes, st.Capacity)
		}
	}
}
