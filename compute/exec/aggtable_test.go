package exec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// TestGroupTableMatchesKeyEncoding: the group table puts two rows in one group exactly when
// expr.AppendKey (GROUP BY's equality: NULL = NULL, CHAR without trailing spaces, -0 = +0, one
// NaN) encodes their key tuples alike, over random key types, batch splits and selections, with
// enough groups to grow the table.
func TestGroupTableMatchesKeyEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	kinds := []types.T{types.New(types.Int), types.New(types.BigInt), types.CharOf(3), types.VarcharOf(5),
		types.New(types.Double), types.DecimalOf(30, 2), types.New(types.Date)}
	for iter := range 200 {
		var ts []types.T
		for range 1 + r.IntN(3) {
			ts = append(ts, kinds[r.IntN(len(kinds))])
		}
		card := 1 + r.IntN(3000)
		tab := newGroupTable(ts)
		ref := map[string]int32{}
		for range 1 + r.IntN(6) {
			n := 1 + r.IntN(2000)
			keyv := make([]*vector.Vector, len(ts))
			nulls, long, short := r.IntN(2) == 0, r.IntN(4) == 0, r.IntN(2) == 0
			for c, ty := range ts {
				keyv[c] = randomKeys(r, ty, n, card, nulls, long, short)
			}
			rows := vector.Identity(nil, n)
			if r.IntN(2) == 0 {
				rows = rows[:0]
				for i := range n {
					if r.IntN(3) > 0 {
						rows = append(rows, int32(i))
					}
				}
			}
			gids := make([]int32, len(rows))
			fresh := tab.find(keyv, rows, gids, nil)
			tab.appendKeys(keyv, fresh)
			for k, i := range rows {
				var key []byte
				for _, v := range keyv {
					key = expr.AppendKey(key, v, int(i))
				}
				g, ok := ref[string(key)]
				if !ok {
					g = int32(len(ref))
					ref[string(key)] = g
				}
				if gids[k] != g {
					t.Fatalf("iter %d: row %d (%x) in group %d, want %d", iter, i, key, gids[k], g)
				}
			}
		}
		if tab.n != len(ref) {
			t.Fatalf("iter %d: %d groups, want %d", iter, tab.n, len(ref))
		}
	}
}

func randomKeys(r *rand.Rand, t types.T, n, card int, nulls, long, short bool) *vector.Vector {
	v := vector.New(t, n)
	for i := range n {
		x := r.IntN(card)
		if nulls && r.IntN(20) == 0 {
			v.SetNull(i)
			continue
		}
		switch t.Physical() {
		case types.PhysInt64:
			v.Int64[i] = int64(x) - int64(card/2)
		case types.PhysInt128:
			v.Int128[i] = types.Int128{Hi: int64(x % 3), Lo: uint64(x)}
		case types.PhysFloat64:
			switch x % 7 {
			case 0:
				v.Float64[i] = math.Copysign(0, -1)
			case 1:
				v.Float64[i] = math.NaN()
			case 2:
				v.Float64[i] = 0
			default:
				v.Float64[i] = float64(x)
			}
		default:
			s := []byte{byte('a' + x%26), byte('a' + x/26%26)}
			if short { // one byte or none: the direct table
				s = s[:x%2]
			}
			if r.IntN(2) == 0 {
				s = append(s, ' ')
			}
			if long && x%5 == 0 { // does not pack: the table turns generic
				s = append([]byte("longer-than-7-"), s...)
			}
			v.Bytes[i] = s
		}
	}
	return v
}
