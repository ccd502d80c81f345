package segment_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/filecache"
	"github.com/doricdb/doric/vault/faulty"
	"github.com/doricdb/doric/vault/mem"
)

// TestReadsTellTheCacheWhatTheyAre: a segment read through the file cache puts footer and index
// blocks in the index queue and data pages in the normal one, passes the object size so the cache
// never Stats the vault, and a compaction's hint (disposable) wins over both.
func TestReadsTellTheCacheWhatTheyAre(t *testing.T) {
	ctx := context.Background()
	inner := faulty.New(mem.New(), faulty.Config{})
	specs := []segment.ColumnSpec{{UniqueID: 1, Type: types.New(types.BigInt)}, {UniqueID: 2, Type: types.New(types.String), Nullable: true}}
	const rows = 300_000
	info, err := segment.WriteToVault(ctx, inner, "data/1/r_0.dat", specs, segment.Options{NumSortKeyColumns: 1, Compression: segment.CompressionNone}, func(w *segment.Writer) error {
		k, s := vector.New(specs[0].Type, rows), vector.New(specs[1].Type, rows)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range rows {
			k.Int64[i] = int64(i)
			b := make([]byte, 24)
			for j := range b {
				b[j] = byte('a' + r.IntN(26))
			}
			s.Bytes[i] = b
		}
		return w.Append(vector.NewBatch([]*vector.Vector{k, s}, rows))
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func(ctx context.Context, c *filecache.Cache) {
		seg, err := segment.Open(ctx, c, "data/1/r_0.dat", info.Size)
		if err != nil {
			t.Fatal(err)
		}
		it := seg.NewIterator([]int{0, 1}, segment.IteratorOptions{})
		n := 0
		for {
			b, err := it.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if b == nil {
				break
			}
			n += b.Len()
		}
		if n != rows {
			t.Fatalf("read %d rows, want %d", n, rows)
		}
	}
	c, err := filecache.New(inner, filecache.Config{Path: t.TempDir(), Capacity: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	inner.ResetCounts()
	read(ctx, c)
	c.Flush()
	st := c.Stats()
	if st.Queues["index"].Blocks == 0 || st.Queues["normal"].Blocks == 0 {
		t.Fatalf("queues after a query read: %+v", st.Queues)
	}
	if n := inner.Calls(faulty.OpStat); n != 0 {
		t.Errorf("the cache issued %d Stat calls; the reader gave it the size", n)
	}

	d, err := filecache.New(inner, filecache.Config{Path: t.TempDir(), Capacity: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	read(filecache.WithKind(ctx, filecache.Disposable), d)
	d.Flush()
	st = d.Stats()
	if st.Queues["disposable"].Blocks == 0 || st.Queues["index"].Blocks != 0 || st.Queues["normal"].Blocks != 0 {
		t.Fatalf("queues after a compaction read: %+v", st.Queues)
	}
}
