package segment_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/faulty"
)

// TestLazyColumns reads random segments twice in lockstep: with Next, and with Advance and
// Column asking for a random subset of the columns of each batch (some of them lazy), with and
// without a page cache (shared with plain scans, and of random size), with and without Reuse.
// Both see the same batches with the same values; the pages decoded or taken from the cache are
// exactly those of the batches that asked for the column; of lazy columns every read is of a
// page asked for, and the pages read ahead in vain are no more than those asked for.
func TestLazyColumns(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 11))
	ctx := context.Background()
	for iter := range 40 {
		tb := randomTable(r, r.IntN(12000))
		opts := randomOptions(r, tb)
		st, info := writeTable(t, r, tb, opts)
		counted := faulty.New(st, faulty.Config{})
		var cache *segment.Cache
		if iter%2 == 1 {
			cache = segment.NewCache([]int64{1, 64 << 10, 1 << 30}[r.IntN(3)])
		}
		rec := &recordingVault{Storage: st}
		open := func(st vault.Storage) *segment.Segment {
			var seg *segment.Segment
			var err error
			if cache != nil {
				seg, err = cache.Open(ctx, st, segPath, info.Size)
			} else {
				seg, err = segment.Open(ctx, st, segPath, info.Size)
			}
			if err != nil {
				t.Fatalf("iter %d: %v", iter, err)
			}
			return seg
		}
		for round := range 3 {
			pick := r.Perm(len(tb.specs))[:1+r.IntN(len(tb.specs))]
			var idx, lazy []int
			seg := open(rec)
			rec.reset()
			for k, p := range pick {
				idx = append(idx, seg.FindColumn(tb.specs[p].UniqueID))
				if r.IntN(3) > 0 {
					lazy = append(lazy, k)
				}
			}
			var preds []segment.Predicate
			if r.IntN(2) == 0 {
				preds = randomPredicates(r, tb)
			}
			batch := 1 + r.IntN(5000)
			plain := open(counted).NewIterator(idx, segment.IteratorOptions{BatchSize: batch, Predicates: preds, Reuse: r.IntN(2) == 0})
			it := seg.NewIterator(idx, segment.IteratorOptions{BatchSize: batch, Predicates: preds, Reuse: r.IntN(2) == 0,
				ReadAhead: r.IntN(200000), Lazy: lazy})
			ords := make([]*struct{ page int }, len(idx))
			for k := range ords {
				ords[k] = &struct{ page int }{-1}
			}
			isLazy := make([]bool, len(idx))
			for _, k := range lazy {
				isLazy[k] = true
			}
			wantLoads := 0 // pages the lazy iterator must read or take from the cache
			askRatio := r.Float64()
			for {
				want, err := plain.Next(ctx)
				if err != nil {
					t.Fatalf("iter %d: %v", iter, err)
				}
				n, err := it.Advance(ctx)
				if err != nil {
					t.Fatalf("iter %d: %v", iter, err)
				}
				if want == nil {
					if n != 0 {
						t.Fatalf("iter %d: lazy iterator has a batch of %d rows after the end", iter, n)
					}
					break
				}
				if n != want.N || it.Ordinal() != plain.Ordinal() {
					t.Fatalf("iter %d: lazy batch [%d, +%d), plain [%d, +%d)", iter, it.Ordinal(), n, plain.Ordinal(), want.N)
				}
				row := int(it.Ordinal())
				for _, k := range r.Perm(len(idx)) {
					if isLazy[k] && r.Float64() >= askRatio {
						continue
					}
					v, err := it.Column(ctx, k)
					if err != nil {
						t.Fatalf("iter %d: %v", iter, err)
					}
					if v.Len() != n {
						t.Fatalf("iter %d: column %d has %d rows of a batch of %d", iter, k, v.Len(), n)
					}
					ord, err := seg.Ordinal(ctx, idx[k])
					if err != nil {
						t.Fatal(err)
					}
					if p := ord.Page(int64(row)); p != ords[k].page {
						ords[k].page = p
						wantLoads++
					}
					for i := range n {
						if !sameValue(v, i, want.Cols[k], i) || !sameValue(v, i, tb.cols[pick[k]], row+i) {
							t.Fatalf("iter %d column %s row %d: got %s want %s", iter, tb.specs[pick[k]].Type, row+i, v.Format(i), tb.cols[pick[k]].Format(row+i))
						}
					}
				}
			}
			st := it.Stats()
			if st.PagesRead+st.PagesCached != wantLoads {
				t.Fatalf("iter %d round %d: %d pages decoded and %d from the cache, want %d loads", iter, round, st.PagesRead, st.PagesCached, wantLoads)
			}
			if len(lazy) == len(idx) && st.Reads > st.PagesRead {
				t.Fatalf("iter %d round %d: %d reads for %d lazy pages decoded", iter, round, st.Reads, st.PagesRead)
			}
			if len(lazy) == len(idx) && cache == nil { // pages read ahead in vain <= pages asked for
				read := 0
				for _, c := range idx {
					ord, err := seg.Ordinal(ctx, c)
					if err != nil {
						t.Fatal(err)
					}
					for p := range ord.Len() {
						if rec.overlaps(ord.Offset[p], ord.Offset[p]+ord.Size[p], info.Size) {
							read++
						}
					}
				}
				if read > 2*wantLoads {
					t.Fatalf("iter %d round %d: %d pages read for %d asked for", iter, round, read, wantLoads)
				}
			}
		}
	}
}

// recordingVault records the byte ranges read.
type recordingVault struct {
	vault.Storage
	mu    sync.Mutex
	reads [][2]int64
}

func (v *recordingVault) ReadAt(ctx context.Context, path string, p []byte, off int64) error {
	v.mu.Lock()
	v.reads = append(v.reads, [2]int64{off, off + int64(len(p))})
	v.mu.Unlock()
	return v.Storage.ReadAt(ctx, path, p, off)
}

func (v *recordingVault) reset() {
	v.mu.Lock()
	v.reads = nil
	v.mu.Unlock()
}

// overlaps reports whether a read overlapped [lo, hi), not counting reads of the tail of the
// file (of its footer and indexes, ending at size).
func (v *recordingVault) overlaps(lo, hi, size int64) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, r := range v.reads {
		if r[0] < hi && lo < r[1] && r[1] != size {
			return true
		}
	}
	return false
}

// TestLazyColumnErrors: Column before Advance, after the end, or of a column the iterator does
// not have is an error, and so is every call after a failed one.
func TestLazyColumnErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	ctx := context.Background()
	tb := randomTable(r, 100)
	st, info := writeTable(t, r, tb, randomOptions(r, tb))
	seg, err := segment.Open(ctx, st, segPath, info.Size)
	if err != nil {
		t.Fatal(err)
	}
	it := seg.NewIterator([]int{0}, segment.IteratorOptions{Lazy: []int{0}})
	if _, err := it.Column(ctx, 0); err == nil {
		t.Fatal("Column before Advance: no error")
	}
	it = seg.NewIterator([]int{0}, segment.IteratorOptions{Lazy: []int{0}})
	n, err := it.Advance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no batch")
	}
	if _, err := it.Column(ctx, 1); err == nil {
		t.Fatal("Column 1 of a one-column iterator: no error")
	}
	if _, err := it.Advance(ctx); err == nil {
		t.Fatal("Advance after an error: no error")
	}
}
