package model_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/model"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// batches yields a batch in random-size slices (some empty).
type batches struct {
	b   *vector.Batch
	pos int
	rnd *rand.Rand
}

func (s *batches) Next(context.Context) (*vector.Batch, error) {
	if s.pos >= s.b.N {
		return nil, nil
	}
	n := min(s.rnd.IntN(7), s.b.N-s.pos)
	cols := make([]*vector.Vector, len(s.b.Cols))
	for k, c := range s.b.Cols {
		cols[k] = c.Slice(s.pos, s.pos+n)
	}
	s.pos += n
	return vector.NewBatch(cols, n), nil
}

// TestMergeEqualsApply: merging folded runs gives what Apply gives on their concatenation, for
// every model, random keys with NULLs and duplicates, random batch sizes in and out.
func TestMergeEqualsApply(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(300) {
		rnd := rand.New(rand.NewPCG(seed, 7))
		kind := []commonpb.KeysType{commonpb.KeysType_DUP_KEYS, commonpb.KeysType_AGG_KEYS, commonpb.KeysType_UNIQUE_KEYS}[seed%3]
		aggs := []string{"", "", "SUM", "MAX", "REPLACE", "REPLACE_IF_NOT_NULL", "MIN"}
		seq := -1
		if kind != commonpb.KeysType_AGG_KEYS {
			aggs = []string{"", "", "", "", "", "", ""}
			if kind == commonpb.KeysType_UNIQUE_KEYS && rnd.IntN(2) == 0 {
				seq = 3
			}
		}
		m, err := model.New(kind, 2, aggs, seq)
		if err != nil {
			t.Fatal(err)
		}
		typs := []types.T{types.New(types.Int), types.VarcharOf(8), types.New(types.BigInt), types.New(types.Int),
			types.VarcharOf(8), types.New(types.Double), types.New(types.SmallInt)}
		nin := rnd.IntN(6)
		var runs []*vector.Batch
		var inputs []model.Iterator
		for range nin {
			n := rnd.IntN(40)
			cols := make([]*vector.Vector, len(typs))
			for k, ty := range typs {
				cols[k] = vector.New(ty, n)
				for i := range n {
					if k != 0 && rnd.IntN(6) == 0 {
						cols[k].SetNull(i)
						continue
					}
					x := rnd.IntN(8)
					switch ty.Physical() {
					case types.PhysFloat64:
						cols[k].Float64[i] = float64(x) / 2
					case types.PhysInt64:
						cols[k].Int64[i] = int64(x)
					default:
						cols[k].Bytes[i] = []byte(fmt.Sprint("s", x%3))
					}
				}
			}
			run, err := m.Apply(vector.NewBatch(cols, n))
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, run)
			inputs = append(inputs, &batches{b: run, rnd: rnd})
		}
		all := make([]*vector.Vector, len(typs))
		total := 0
		for k, ty := range typs {
			all[k] = vector.NewWithCap(ty, 0)
			for _, r := range runs {
				all[k].AppendRange(r.Cols[k], 0, r.N)
			}
		}
		for _, r := range runs {
			total += r.N
		}
		want, err := m.Apply(vector.NewBatch(all, total))
		if err != nil {
			t.Fatal(err)
		}
		mg := m.Merge(inputs, 1+rnd.IntN(10))
		var got []string
		for {
			b, err := mg.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if b == nil {
				break
			}
			if b.N == 0 {
				t.Fatalf("seed %d: empty batch", seed)
			}
			got = append(got, text(b)...)
		}
		if w := text(want); !slices.Equal(got, w) {
			t.Fatalf("seed %d (%v, %d inputs, seq %d):\ngot  %q\nwant %q", seed, kind, nin, seq, got, w)
		}
	}
}
