package publish_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/model"
	"github.com/doricdb/doric/compute/publish"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// refRow is a row of the serial reference: where it lives and its sequence value.
type refRow struct {
	ref tablet.SegmentRef
	row int
	seq int64 // -1: NULL
	val int64
}

// Random loads of random keys (NULL keys, collisions inside a load and across loads, sequence
// values or none, several segments per rowset): after each load's Calculate, exactly the
// reference's winner of each key is live, and nothing else.
func TestCalculateAgainstSerialReference(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	for round := range 20 {
		withSeq := r.IntN(2) == 0
		keyRange := 2 + r.IntN(40)
		var olds []publish.Segment
		all := map[tablet.SegmentRef]*tablet.SegmentKeys{}
		deleted := tablet.DeleteBitmap{}
		winner := map[string]refRow{} // encoded key -> the live row
		for load := range 1 + r.IntN(12) {
			var news []publish.Segment
			for seg := range 1 + r.IntN(3) {
				n := r.IntN(30)
				k := vector.New(types.New(types.Int), n)
				s := vector.New(types.New(types.BigInt), n)
				v := vector.New(types.New(types.BigInt), n)
				for i := range n {
					if r.IntN(10) == 0 {
						k.SetNull(i)
					} else {
						k.Int64[i] = r.Int64N(int64(keyRange))
					}
					if r.IntN(5) == 0 {
						s.SetNull(i)
					} else {
						s.Int64[i] = r.Int64N(5)
					}
					v.Int64[i] = int64(load*1000 + seg*100 + i)
				}
				// The memtable: sorted and folded by key (a segment holds each key once).
				seqAt := -1
				cols := []*vector.Vector{k, v}
				if withSeq {
					cols = append(cols, s)
					seqAt = 2
				}
				m, err := model.New(commonpb.KeysType_UNIQUE_KEYS, 1, make([]string, len(cols)), seqAt)
				if err != nil {
					t.Fatal(err)
				}
				b, err := m.Apply(vector.NewBatch(cols, n))
				if err != nil {
					t.Fatal(err)
				}
				var seqV *vector.Vector
				if withSeq {
					seqV = b.Cols[2]
				}
				ref := tablet.SegmentRef{RowsetID: fmt.Sprint("r", load), Segment: int64(seg)}
				keys := tablet.BuildSegmentKeys(b.Cols[:1], seqV, b.N)
				news = append(news, publish.Segment{Ref: ref, Keys: keys})
				all[ref] = keys
				// The reference: the newer row wins unless the live one has a larger sequence.
				for i := range b.N {
					row := refRow{ref: ref, row: i, seq: -1, val: b.Cols[1].Int64[i]}
					if withSeq && !seqV.IsNull(i) {
						row.seq = seqV.Int64[i]
					}
					key := string(keys.Key(i))
					if have, ok := winner[key]; ok && withSeq && have.seq > row.seq {
						continue
					}
					winner[key] = row
				}
			}
			publish.Calculate(olds, news, deleted)
			olds = append(olds, news...)
			// Live rows are exactly the winners.
			live := 0
			for ref, keys := range all {
				for i := range keys.Rows() {
					if deleted.Deleted(ref, uint32(i)) {
						continue
					}
					live++
					w, ok := winner[string(keys.Key(i))]
					if !ok || w.ref != ref || w.row != i {
						t.Fatalf("round %d load %d: live row %v/%d with key %x; the reference's winner is %+v", round, load, ref, i, keys.Key(i), w)
					}
				}
			}
			if live != len(winner) {
				t.Fatalf("round %d load %d: %d live rows, %d distinct keys", round, load, live, len(winner))
			}
		}
	}
}

// Calculate returns only the marks of this rowset, and a segment ruled out (nil keys) is never
// marked.
func TestCalculateReturnsNewMarksOnly(t *testing.T) {
	mk := func(vals ...int64) *tablet.SegmentKeys {
		k := vector.New(types.New(types.BigInt), len(vals))
		copy(k.Int64, vals)
		return tablet.BuildSegmentKeys([]*vector.Vector{k}, nil, len(vals))
	}
	a := publish.Segment{Ref: tablet.SegmentRef{RowsetID: "a"}, Keys: mk(1, 2, 3)}
	b := publish.Segment{Ref: tablet.SegmentRef{RowsetID: "b"}, Keys: mk(2, 3)}
	skipped := publish.Segment{Ref: tablet.SegmentRef{RowsetID: "s"}}
	deleted := tablet.DeleteBitmap{}
	first := publish.Calculate([]publish.Segment{a}, []publish.Segment{b}, deleted)
	if got := first[a.Ref].ToArray(); len(first) != 1 || fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("first load marks %v", first)
	}
	c := publish.Segment{Ref: tablet.SegmentRef{RowsetID: "c"}, Keys: mk(1, 3)}
	second := publish.Calculate([]publish.Segment{skipped, a, b}, []publish.Segment{c}, deleted)
	if len(second) != 2 || fmt.Sprint(second[a.Ref].ToArray()) != "[0]" || fmt.Sprint(second[b.Ref].ToArray()) != "[1]" {
		t.Fatalf("second load marks %v", second)
	}
	if fmt.Sprint(deleted[a.Ref].ToArray()) != "[0 1 2]" {
		t.Fatalf("deleted rows of a: %v", deleted[a.Ref].ToArray())
	}
}
