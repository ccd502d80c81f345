package segment_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault/mem"
)

func benchData() ([]segment.ColumnSpec, []*vector.Vector, int) {
	r := rand.New(rand.NewPCG(1, 1))
	n := 256 << 10
	specs := []segment.ColumnSpec{{UniqueID: 1, Type: types.New(types.BigInt)}, {UniqueID: 2, Type: types.VarcharOf(40), Nullable: true}}
	return specs, []*vector.Vector{randomColumn(r, specs[0].Type, n, false), randomColumn(r, specs[1].Type, n, true)}, n
}

// MB/s is encoded segment bytes per second.
func BenchmarkWrite(b *testing.B) {
	specs, cols, n := benchData()
	var size int64
	for range b.N {
		var buf bytes.Buffer
		w, _ := segment.NewWriter(&buf, specs, segment.Options{})
		for lo := 0; lo < n; lo += 4096 {
			bt := vector.NewBatch([]*vector.Vector{cols[0].Slice(lo, lo+4096), cols[1].Slice(lo, lo+4096)}, 4096)
			if err := w.Append(bt); err != nil {
				b.Fatal(err)
			}
		}
		info, err := w.Close()
		if err != nil {
			b.Fatal(err)
		}
		size = info.Size
	}
	b.SetBytes(size)
}

func BenchmarkRead(b *testing.B) {
	specs, cols, n := benchData()
	st := mem.New()
	ctx := context.Background()
	info, err := segment.WriteToVault(ctx, st, "s", specs, segment.Options{}, func(w *segment.Writer) error {
		return w.Append(vector.NewBatch(cols, n))
	})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(info.Size)
	b.ResetTimer()
	for range b.N {
		seg, err := segment.Open(ctx, st, "s", info.Size)
		if err != nil {
			b.Fatal(err)
		}
		it := seg.NewIterator([]int{0, 1}, 4096)
		for {
			bt, err := it.Next(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if bt == nil {
				break
			}
		}
	}
}
