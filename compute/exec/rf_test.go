package exec

import (
	"math"
	"testing"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// TestFilterKind: which structure a runtime filter gets for its build keys, and that each one
// keeps exactly the rows it must (bitmaps and IN sets are exact; a bloom filter keeps every
// member).
func TestFilterKind(t *testing.T) {
	dense := func(n int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(i*3) - 7
		}
		return out
	}
	wide := func(n int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(i) * 1_000_000_007
		}
		return out
	}
	cases := []struct {
		name string
		typ  planpb.RuntimeFilterType
		keys []int64
		want filterKind
	}{
		{"dense in", planpb.RuntimeFilterType_RF_IN_OR_BLOOM, dense(100), filterBitmap},
		{"dense bloom", planpb.RuntimeFilterType_RF_BLOOM, dense(100_000), filterBitmap},
		{"one value", planpb.RuntimeFilterType_RF_IN_OR_BLOOM, []int64{42, 42}, filterBitmap},
		{"extremes", planpb.RuntimeFilterType_RF_IN_OR_BLOOM, []int64{math.MinInt64, math.MaxInt64, 0}, filterIntSet},
		{"wide in", planpb.RuntimeFilterType_RF_IN_OR_BLOOM, wide(MaxInFilterValues), filterIntSet},
		{"wide in, too many", planpb.RuntimeFilterType_RF_IN_OR_BLOOM, wide(MaxInFilterValues + 1), filterBloom},
		{"wide bloom", planpb.RuntimeFilterType_RF_BLOOM, wide(10), filterBloom},
		{"sparse beyond bits per key", planpb.RuntimeFilterType_RF_BLOOM, []int64{0, minBitmapSpan * bitmapBitsPerKey}, filterBloom},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := vector.New(types.New(types.BigInt), len(tc.keys))
			copy(v.Int64, tc.keys)
			rows := vector.Identity(nil, len(tc.keys))
			f := &runtimeFilter{class: classOf(v.Type), spec: keySpec{phys: types.PhysInt64}, hs: newHasher()}
			f.build(v, rows, tc.typ)
			if f.kind != tc.want {
				t.Fatalf("kind %d, want %d", f.kind, tc.want)
			}
			member := map[int64]bool{}
			probe := vector.New(types.New(types.BigInt), 0)
			for _, k := range tc.keys {
				member[k] = true
				probe.Int64 = append(probe.Int64, k, k+1, k-1, -k, k^0x5555)
			}
			rows = vector.Identity(nil, len(probe.Int64))
			kept, ok := f.keep(probe, rows, rows[:0]) // in place
			if !ok {
				t.Fatal("filter does not apply to its own type")
			}
			got := map[int32]bool{}
			for _, i := range kept {
				got[i] = true
			}
			for i, x := range probe.Int64 {
				switch {
				case member[x] && !got[int32(i)]:
					t.Fatalf("member %d dropped", x)
				case !member[x] && got[int32(i)] && f.kind != filterBloom:
					t.Fatalf("non-member %d kept by an exact filter", x)
				}
			}
		})
	}
}
