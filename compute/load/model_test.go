package load_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"google.golang.org/protobuf/proto"
)

// The table models, end to end: random loads with key collisions inside each load and across
// loads (and NULLs in keys and values) are written, committed, and read back at every version;
// the result must equal a model computed here, row by row.

func modelSchema(kind commonpb.KeysType, seq bool) *commonpb.TabletSchema {
	col := func(id int32, name string, t types.T, key bool, agg string) *commonpb.Column {
		return &commonpb.Column{UniqueId: id, Name: name, Type: t.Proto(), Nullable: id != 1, IsKey: key, Aggregation: agg}
	}
	s := &commonpb.TabletSchema{KeysType: kind, NumKeyColumns: 2}
	s.Columns = []*commonpb.Column{col(1, "k1", types.New(types.Int), true, ""), col(2, "k2", types.VarcharOf(4), true, "")}
	if kind == commonpb.KeysType_AGG_KEYS {
		s.Columns = append(s.Columns,
			col(3, "s", types.New(types.BigInt), false, "SUM"),
			col(4, "mx", types.New(types.Int), false, "MAX"),
			col(5, "mn", types.New(types.Int), false, "MIN"),
			col(6, "r", types.VarcharOf(8), false, "REPLACE"),
			col(7, "rn", types.VarcharOf(8), false, "REPLACE_IF_NOT_NULL"))
		return s
	}
	s.Columns = append(s.Columns,
		col(3, "v", types.New(types.BigInt), false, ""),
		col(4, "w", types.VarcharOf(8), false, ""),
		col(5, "q", types.New(types.BigInt), false, ""))
	if seq {
		s.SequenceColIdx = proto.Int32(4)
	}
	return s
}

func modelRows(r *rand.Rand, s *commonpb.TabletSchema, n int) *vector.Batch {
	cols := make([]*vector.Vector, len(s.Columns))
	for k, c := range s.Columns {
		cols[k] = vector.New(types.FromProto(c.Type), n)
	}
	for i := range n {
		cols[0].Int64[i] = r.Int64N(8)
		for k := 1; k < len(cols); k++ {
			v := cols[k]
			switch {
			case r.IntN(5) == 0:
				v.SetNull(i)
			case v.Type.IsString():
				v.Bytes[i] = []byte(fmt.Sprint("s", r.IntN(4)))
			default:
				v.Int64[i] = r.Int64N(7) - 3
			}
		}
	}
	return vector.NewBatch(cols, n)
}

// cell is a reference value: null or an int / string.
type cell struct {
	null bool
	i    int64
	s    string
}

func cellOf(v *vector.Vector, i int) cell {
	switch {
	case v.IsNull(i):
		return cell{null: true}
	case v.Type.IsString():
		return cell{s: string(v.Bytes[i])}
	}
	return cell{i: v.Int64[i]}
}

func (c cell) String() string {
	switch {
	case c.null:
		return "NULL"
	case c.s != "":
		return c.s
	}
	return fmt.Sprint(c.i)
}

// reference folds one row into the state of its key (nil for a new key), as the model says.
func reference(kind commonpb.KeysType, seq bool, old, row []cell) []cell {
	if old == nil {
		return row
	}
	if kind == commonpb.KeysType_UNIQUE_KEYS {
		if seq {
			o, n := old[4], row[4]
			if !o.null && (n.null || n.i < o.i) {
				return old
			}
		}
		return row
	}
	out := slices.Clone(old)
	if !row[2].null { // SUM
		out[2] = cell{i: old[2].i + row[2].i}
	}
	if !row[3].null && (old[3].null || row[3].i > old[3].i) { // MAX
		out[3] = row[3]
	}
	if !row[4].null && (old[4].null || row[4].i < old[4].i) { // MIN
		out[4] = row[4]
	}
	out[5] = row[5]   // REPLACE
	if !row[6].null { // REPLACE_IF_NOT_NULL
		out[6] = row[6]
	}
	return out
}

func TestModelsMatchReference(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind commonpb.KeysType
		seq  bool
	}{
		{"aggregate", commonpb.KeysType_AGG_KEYS, false},
		{"unique-mor", commonpb.KeysType_UNIQUE_KEYS, false},
		{"unique-mor-seq", commonpb.KeysType_UNIQUE_KEYS, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seed := rand.Uint64()
			t.Logf("seed %d", seed)
			r := rand.New(rand.NewPCG(seed, 5))
			e := newEnv(r)
			ctx := context.Background()
			s := modelSchema(tc.kind, tc.seq)
			tablets := []int64{201, 202}[:1+r.IntN(2)]
			state := map[string][]cell{}
			var versions []map[string][]cell // expected contents after each load
			for txn := int64(1); txn <= int64(2+r.IntN(4)); txn++ {
				rows := modelRows(r, s, 1+r.IntN(60))
				req := &computepb.WriteRequest{LoadId: fmt.Sprint("l", txn), TxnId: txn, Rows: vector.ToProto(rows),
					Sink: &computepb.TabletSink{DbId: 1, TableId: 2, IndexId: 3, Schema: s, DistributionColumns: []int32{0}, VaultId: "v1",
						Partitions: []*computepb.PartitionSink{{PartitionId: 7, TabletIds: tablets}}}}
				if _, err := e.loader.Write(ctx, req); err != nil {
					t.Fatal(err)
				}
				if _, err := e.meta.CommitTxn(ctx, &metapb.CommitTxnRequest{InstanceId: instance, TxnId: txn}); err != nil {
					t.Fatal(err)
				}
				for i := range rows.N {
					row := make([]cell, len(rows.Cols))
					for k, v := range rows.Cols {
						row[k] = cellOf(v, i)
					}
					key := row[0].String() + "|" + row[1].String()
					state[key] = reference(tc.kind, tc.seq, state[key], row)
				}
				snap := map[string][]cell{}
				for k, v := range state {
					snap[k] = v
				}
				versions = append(versions, snap)
			}
			// Every version, including old ones: a snapshot sees exactly the loads up to it.
			for vi, want := range versions {
				var wantRows []string
				for _, row := range want {
					var parts []string
					for _, c := range row {
						parts = append(parts, c.String())
					}
					wantRows = append(wantRows, strings.Join(parts, "|"))
				}
				var got []string
				for _, tb := range tablets {
					got = append(got, e.readModel(t, s, tb, int64(vi+2))...)
				}
				slices.Sort(wantRows)
				slices.Sort(got)
				if !slices.Equal(got, wantRows) {
					t.Fatalf("version %d:\n got %v\nwant %v", vi+2, got, wantRows)
				}
			}
		})
	}
}

// readModel reads every column of a tablet at version, as text, checking key order.
func (e *env) readModel(t *testing.T, s *commonpb.TabletSchema, tabletID, version int64) []string {
	t.Helper()
	ctx := context.Background()
	snap, err := e.reader.Capture(ctx, tabletID, version)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int32
	for _, c := range s.Columns {
		ids = append(ids, c.UniqueId)
	}
	sc, err := e.reader.Scan(snap, s, ids, 1+rand.IntN(10))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		b, err := sc.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			return out
		}
		for i := range b.N {
			out = append(out, rowText(b, i))
		}
	}
}
