package segment_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault/faulty"
)

// stringTable is a key and string columns of every shape a page of strings takes: random
// bytes with empty values and NULLs (plain), a few values with empty and NULL ones (dictionary),
// all NULL, all empty.
func stringTable(r *rand.Rand, n int) *table {
	tb := &table{n: n, numKeys: 1}
	key := vector.New(types.New(types.BigInt), n)
	for i := range n {
		key.Int64[i] = int64(i)
	}
	tb.specs = append(tb.specs, segment.ColumnSpec{UniqueID: 1, Type: key.Type})
	tb.cols = append(tb.cols, key)
	few := [][]byte{{}, []byte("AIR"), []byte("REG AIR"), []byte("DELIVER IN PERSON"), {0, 0xff}}
	for k, shape := range []string{"random", "few", "null", "empty"} {
		t := []types.T{types.New(types.String), types.VarcharOf(60), types.CharOf(20)}[r.IntN(3)]
		v := vector.New(t, n)
		for i := range n {
			switch shape {
			case "random":
				b := make([]byte, r.IntN(30))
				for j := range b {
					b[j] = byte(r.IntN(256))
				}
				v.Bytes[i] = b
				if r.IntN(10) == 0 {
					v.SetNull(i)
					v.Bytes[i] = nil
				}
			case "few":
				v.Bytes[i] = few[r.IntN(len(few))]
				if r.IntN(20) == 0 {
					v.SetNull(i)
					v.Bytes[i] = nil
				}
			case "null":
				v.SetNull(i)
			case "empty":
				v.Bytes[i] = []byte{}
			}
		}
		tb.specs = append(tb.specs, segment.ColumnSpec{UniqueID: int32(2 + k), Type: t, Nullable: shape != "empty"})
		tb.cols = append(tb.cols, v)
	}
	return tb
}

// checkStrings holds the batch's string columns to the table's values, byte for byte: a NULL
// row is NULL with a nil value, an empty value is non-NULL and empty.
func checkStrings(tb *table, b *vector.Batch, row int) error {
	for k := 1; k < len(tb.cols); k++ {
		got, want := b.Cols[k-1], tb.cols[k]
		for i := range b.N {
			switch {
			case want.IsNull(row + i):
				if !got.IsNull(i) || got.Bytes[i] != nil {
					return fmt.Errorf("column %d row %d: got %q (NULL %v), want NULL", k, row+i, got.Bytes[i], got.IsNull(i))
				}
			case got.IsNull(i) || !bytes.Equal(got.Bytes[i], want.Bytes[row+i]):
				return fmt.Errorf("column %d row %d: got %q (NULL %v), want %q", k, row+i, got.Bytes[i], got.IsNull(i), want.Bytes[row+i])
			}
		}
	}
	return nil
}

// TestCachedStringPages: string pages come out of the cache byte-exact (empty values, NULLs,
// plain and dictionary pages, every compression) also once the GC has reclaimed the vectors the
// first reads made, so that they are made anew from the cached form; those new vectors point
// into the same cached bytes as the first ones (nothing is copied) while batches handed out
// before stay intact through scans that reuse their buffers and evict pages.
func TestCachedStringPages(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	ctx := context.Background()
	for iter := range 10 {
		tb := stringTable(r, 1+r.IntN(20000))
		opts := segment.Options{
			PageSize:          []int{100, 4 << 10, 64 << 10}[r.IntN(3)] + r.IntN(100),
			Compression:       segment.Compression(r.IntN(5)),
			NumSortKeyColumns: 1,
			ChunkSize:         []int{0, 1 + r.IntN(100000)}[r.IntN(2)],
		}
		st, info := writeTable(t, r, tb, opts)
		counted := faulty.New(st, faulty.Config{})
		cols := []int{1, 2, 3, 4}
		type held struct {
			b   *vector.Batch
			row int
		}
		batch := 1 + r.IntN(3000)
		scan := func(c *segment.Cache, reuse bool, keep bool) ([]held, segment.ReadStats, error) {
			seg, err := c.Open(ctx, counted, segPath, info.Size)
			if err != nil {
				return nil, segment.ReadStats{}, err
			}
			it := seg.NewIterator(cols, segment.IteratorOptions{BatchSize: batch, Reuse: reuse})
			var out []held
			for {
				b, err := it.Next(ctx)
				if err != nil || b == nil {
					return out, it.Stats(), err
				}
				if err := checkStrings(tb, b, int(it.Ordinal())); err != nil {
					return nil, it.Stats(), err
				}
				if keep {
					out = append(out, held{b, int(it.Ordinal())})
				}
			}
		}

		c := segment.NewCache(1 << 30)
		first, _, err := scan(c, false, true)
		if err != nil {
			t.Fatalf("iter %d (%+v), first scan: %v", iter, opts, err)
		}
		runtime.GC()
		runtime.GC()
		_, st2, err := scan(c, r.IntN(2) == 0, false)
		if err != nil {
			t.Fatalf("iter %d (%+v), scan from the cache after a GC: %v", iter, opts, err)
		}
		if st2.PagesRead != 0 || st2.PagesCached == 0 {
			t.Fatalf("iter %d: the second scan decoded %d pages, took %d from the cache", iter, st2.PagesRead, st2.PagesCached)
		}
		third, _, err := scan(c, false, true)
		if err != nil {
			t.Fatalf("iter %d, third scan: %v", iter, err)
		}
		// Every value of the third scan lies in the bytes the first decoded: the cache handed
		// out views of the same bytes, never copies.
		for j := range first {
			a, b := first[j].b, third[j].b
			if first[j].row != third[j].row || a.N != b.N {
				t.Fatalf("iter %d: batch %d at row %d (%d rows), then at row %d (%d rows)", iter, j, first[j].row, a.N, third[j].row, b.N)
			}
			for k := range a.Cols {
				for i := range a.N {
					x, y := a.Cols[k].Bytes[i], b.Cols[k].Bytes[i]
					if len(x) > 0 && &x[0] != &y[0] {
						t.Fatalf("iter %d: column %d row %d: the value was copied", iter, k+1, first[j].row+i)
					}
				}
			}
		}

		// Scans that reuse their buffers through a cache too small to keep the pages (so they
		// keep decoding and evicting) and through none leave what the first scan handed out as
		// it was.
		small := segment.NewCache(int64(4<<10 + r.IntN(32<<10)))
		for _, cache := range []*segment.Cache{small, small, nil} {
			seg, err := segment.Open(ctx, counted, segPath, info.Size)
			if cache != nil {
				seg, err = cache.Open(ctx, counted, segPath, info.Size)
			}
			if err != nil {
				t.Fatal(err)
			}
			it := seg.NewIterator(cols, segment.IteratorOptions{BatchSize: 1 + r.IntN(3000), Reuse: true})
			for {
				b, err := it.Next(ctx)
				if err != nil {
					t.Fatalf("iter %d, reusing scan: %v", iter, err)
				}
				if b == nil {
					break
				}
				if err := checkStrings(tb, b, int(it.Ordinal())); err != nil {
					t.Fatalf("iter %d, reusing scan: %v", iter, err)
				}
			}
		}
		runtime.GC()
		for _, h := range append(first, third...) {
			if err := checkStrings(tb, h.b, h.row); err != nil {
				t.Fatalf("iter %d, a batch handed out before: %v", iter, err)
			}
		}
	}
}
