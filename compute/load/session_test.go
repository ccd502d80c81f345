package load_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
)

// TestSessionMemtableFlushes: a load arriving in many batches through tiny memtables is flushed
// as many segments; AGGREGATE and UNIQUE rowsets are merged into one run of unique keys, and
// DUPLICATE rowsets past MaxSegments too; whatever the flush points, the table reads as the
// model of all rows, and a rowset's segments overlap only when the session says so.
func TestSessionMemtableFlushes(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind commonpb.KeysType
		seq  bool
	}{
		{"duplicate", commonpb.KeysType_DUP_KEYS, false},
		{"aggregate", commonpb.KeysType_AGG_KEYS, false},
		{"unique-mor", commonpb.KeysType_UNIQUE_KEYS, false},
		{"unique-mor-seq", commonpb.KeysType_UNIQUE_KEYS, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			multi, merges := 0, 0 // rowsets of several segments seen; rowsets merged before commit
			defer func() {
				if merges == 0 || tc.kind == commonpb.KeysType_DUP_KEYS && multi == 0 {
					t.Errorf("%d multi-segment rowsets, %d merges: the flush paths were not exercised", multi, merges)
				}
			}()
			for round := range 6 {
				seed := rand.Uint64()
				r := rand.New(rand.NewPCG(seed, 9))
				e := newEnv(r)
				e.loader.FlushBytes = int64(64 + r.IntN(4096))
				e.loader.MaxSegments = 1 + r.IntN(6)
				appends, maxRows := 1+r.IntN(12), 80
				if round == 0 { // surely several flushes, and (DUPLICATE) no merge
					e.loader.FlushBytes, e.loader.MaxSegments, appends, maxRows = 512, 1000, 10, 81
				}
				var mu sync.Mutex
				written := map[string]bool{} // rowset ids that got segments
				e.vault.fail = func(path string) error {
					mu.Lock()
					defer mu.Unlock()
					written[strings.Split(strings.Split(path, "/")[2], "_")[0]] = true
					return nil
				}
				ctx := context.Background()
				s := modelSchema(tc.kind, tc.seq)
				tablets := []int64{301, 302, 303}[:1+r.IntN(3)]
				sink := &computepb.TabletSink{DbId: 1, TableId: 2, IndexId: 3, Schema: s, DistributionColumns: []int32{0}, VaultId: "v1",
					Partitions: []*computepb.PartitionSink{{PartitionId: 7, TabletIds: tablets}}}
				sess, err := e.loader.Open(ctx, "l1", 1, sink)
				if err != nil {
					t.Fatal(err)
				}
				state := map[string][]cell{}
				var dup []string
				total := 0
				for a := range appends {
					n := r.IntN(maxRows)
					if round == 0 {
						n = 40 + a
					}
					rows := modelRows(r, s, n)
					total += rows.N
					if err := sess.Append(ctx, rows); err != nil {
						t.Fatal(err)
					}
					for i := range rows.N {
						row := make([]cell, len(rows.Cols))
						for k, v := range rows.Cols {
							row[k] = cellOf(v, i)
						}
						if tc.kind == commonpb.KeysType_DUP_KEYS {
							dup = append(dup, rowCells(row))
							continue
						}
						key := row[0].String() + "|" + row[1].String()
						state[key] = reference(tc.kind, tc.seq, state[key], row)
					}
				}
				resp, err := sess.Close(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if resp.GetNumRows() != int64(total) {
					t.Fatalf("seed %d: %d rows reported, %d appended", seed, resp.GetNumRows(), total)
				}
				if len(e.vault.unprepared) > 0 {
					t.Fatalf("seed %d: segments uploaded before their PrepareRowset: %v", seed, e.vault.unprepared)
				}
				merges += len(written) - len(e.meta.TmpRowsets(1))
				for _, rs := range e.meta.TmpRowsets(1) {
					switch {
					case tc.kind != commonpb.KeysType_DUP_KEYS && rs.GetSegmentsOverlap():
						t.Fatalf("seed %d: %s rowset with overlapping segments: %v", seed, tc.kind, rs)
					case int(rs.GetNumSegments()) > e.loader.MaxSegments && rs.GetSegmentsOverlap():
						t.Fatalf("seed %d: %d overlapping segments, MaxSegments %d", seed, rs.GetNumSegments(), e.loader.MaxSegments)
					}
					if rs.GetNumSegments() > 1 {
						multi++
					}
				}
				if _, err := e.meta.CommitTxn(ctx, &metapb.CommitTxnRequest{InstanceId: instance, TxnId: 1}); err != nil {
					t.Fatal(err)
				}
				want := dup
				for _, row := range state {
					want = append(want, rowCells(row))
				}
				var got []string
				for _, tb := range tablets {
					got = append(got, e.readModel(t, s, tb, 2)...)
				}
				slices.Sort(want)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Fatalf("seed %d (flush %d B, max %d segments):\n got %v\nwant %v", seed, e.loader.FlushBytes, e.loader.MaxSegments, got, want)
				}
			}
		})
	}
}

// TestSessionBadRowsFailIt: a bad row fails Append with row, column and value, and the session
// commits nothing.
func TestSessionBadRowsFailIt(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	e := newEnv(r)
	e.loader.FlushBytes = 100
	ctx := context.Background()
	s := modelSchema(commonpb.KeysType_DUP_KEYS, false)
	sink := &computepb.TabletSink{DbId: 1, TableId: 2, IndexId: 3, Schema: s, DistributionColumns: []int32{0}, VaultId: "v1",
		Partitions: []*computepb.PartitionSink{{PartitionId: 7, TabletIds: []int64{301}}}}
	sess, err := e.loader.Open(ctx, "l1", 1, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Append(ctx, modelRows(r, s, 50)); err != nil {
		t.Fatal(err)
	}
	bad := modelRows(r, s, 3)
	bad.Cols[0].SetNull(2) // k1 is NOT NULL
	err = sess.Append(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), "k1") || !strings.Contains(err.Error(), "row 3") {
		t.Fatalf("bad row: %v", err)
	}
	sess.Abort()
	if tmp := e.meta.TmpRowsets(1); len(tmp) != 0 {
		t.Fatalf("an aborted session committed rowsets: %v", tmp)
	}
}

func rowCells(row []cell) string {
	var parts []string
	for _, c := range row {
		parts = append(parts, c.String())
	}
	return strings.Join(parts, "|")
}
