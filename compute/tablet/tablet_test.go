package tablet_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/computetest"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/mem"
)

const inst = "i"

type fixture struct {
	meta   *computetest.FakeMeta
	st     *mem.Storage
	reader *tablet.Reader
	txn    int64
}

func newFixture() *fixture {
	f := &fixture{meta: computetest.NewFakeMeta(inst), st: mem.New(), txn: 1}
	f.reader = &tablet.Reader{Meta: f.meta, InstanceID: inst, Vaults: func(_ context.Context, id string) (vault.Storage, error) {
		if id != "v" {
			return nil, fmt.Errorf("unknown vault %q", id)
		}
		return f.st, nil
	}}
	return f
}

// load writes one rowset of segments (each a slice of int64 values for column 1) and commits it
// as the next version of its partition (each tablet is its own partition here).
func (f *fixture) load(t *testing.T, tabletID int64, specs []segment.ColumnSpec, segs ...[]int64) {
	t.Helper()
	ctx := context.Background()
	f.txn++
	rs := &metapb.RowsetMeta{RowsetId: fmt.Sprintf("rs%d", f.txn), TabletId: tabletID, PartitionId: tabletID, TxnId: f.txn, VaultId: "v", NumSegments: int32(len(segs))}
	if _, err := f.meta.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{InstanceId: inst, Rowset: rs}); err != nil {
		t.Fatal(err)
	}
	for i, vals := range segs {
		cols := make([]*vector.Vector, len(specs))
		for k, s := range specs {
			cols[k] = vector.New(s.Type, len(vals))
			for r, x := range vals {
				cols[k].Int64[r] = x * int64(k+1)
			}
		}
		info, err := segment.WriteToVault(ctx, f.st, vault.SegmentPath(tabletID, rs.RowsetId, i), specs, segment.Options{PageSize: 64}, func(w *segment.Writer) error {
			return w.Append(vector.NewBatch(cols, len(vals)))
		})
		if err != nil {
			t.Fatal(err)
		}
		rs.NumRows += info.NumRows
		rs.TotalSize += info.Size
		rs.SegmentSizes = append(rs.SegmentSizes, info.Size)
	}
	if _, err := f.meta.CommitRowset(ctx, &metapb.CommitRowsetRequest{InstanceId: inst, Rowset: rs}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.meta.CommitTxn(ctx, &metapb.CommitTxnRequest{InstanceId: inst, TxnId: f.txn}); err != nil {
		t.Fatal(err)
	}
}

func schema(cols ...*commonpb.Column) *commonpb.TabletSchema {
	return &commonpb.TabletSchema{KeysType: commonpb.KeysType_DUP_KEYS, Columns: cols, NumKeyColumns: 1}
}

func bigint(id int32) *commonpb.Column {
	return &commonpb.Column{UniqueId: id, Name: fmt.Sprint("c", id), Type: types.New(types.BigInt).Proto()}
}

func scanAll(t *testing.T, f *fixture, tabletID, version int64, sch *commonpb.TabletSchema, ids []int32, batch int) [][]string {
	t.Helper()
	ctx := context.Background()
	snap, err := f.reader.Capture(ctx, tabletID, version)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := f.reader.Scan(snap, sch, ids, batch)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for {
		b, err := sc.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			return out
		}
		if b.N > batch {
			t.Fatalf("batch of %d rows, asked for at most %d", b.N, batch)
		}
		for i := range b.N {
			var row []string
			for k, c := range b.Cols {
				if c.Type != sc.Types()[k] {
					t.Fatalf("column %d is %s, scanner says %s", k, c.Type, sc.Types()[k])
				}
				row = append(row, c.Format(i))
			}
			out = append(out, row)
		}
	}
}

func TestVersionsAndSegments(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	f := newFixture()
	specs := []segment.ColumnSpec{{UniqueID: 1, Type: types.New(types.BigInt)}, {UniqueID: 2, Type: types.New(types.BigInt)}}
	sch := schema(bigint(1), bigint(2))
	var expect [][]int64 // rows loaded per version, starting at version 2
	for v := range 4 {
		var segs [][]int64
		var all []int64
		for range 1 + r.IntN(3) {
			var vals []int64
			for range r.IntN(200) {
				vals = append(vals, int64(v*1000+r.IntN(1000)))
			}
			segs = append(segs, vals)
			all = append(all, vals...)
		}
		f.load(t, 42, specs, segs...)
		expect = append(expect, all)
		f.load(t, 43, specs, []int64{int64(v)}) // another tablet
	}
	for version := int64(1); version <= 5; version++ {
		var want []string
		for v := int64(2); v <= version; v++ {
			for _, x := range expect[v-2] {
				want = append(want, fmt.Sprint(2*x, "|", x))
			}
		}
		got := scanAll(t, f, 42, version, sch, []int32{2, 1}, 1+r.IntN(100))
		if len(got) != len(want) {
			t.Fatalf("version %d: %d rows, want %d", version, len(got), len(want))
		}
		for i := range got {
			if s := got[i][0] + "|" + got[i][1]; s != want[i] {
				t.Fatalf("version %d row %d: %s, want %s", version, i, s, want[i])
			}
		}
	}
	// COUNT(*)-style scan of no columns still yields every row.
	if got := scanAll(t, f, 42, 5, sch, nil, 50); len(got) != len(expect[0])+len(expect[1])+len(expect[2])+len(expect[3]) {
		t.Fatalf("scan of no columns: %d rows", len(got))
	}
}

func TestMissingColumnReadsDefault(t *testing.T) {
	f := newFixture()
	specs := []segment.ColumnSpec{{UniqueID: 1, Type: types.New(types.BigInt)}}
	f.load(t, 7, specs, []int64{1, 2})
	withDefault := &commonpb.Column{UniqueId: 5, Name: "added", Type: types.DecimalOf(5, 2).Proto(), HasDefault: true, DefaultValue: "1.5"}
	nullable := &commonpb.Column{UniqueId: 6, Name: "n", Type: types.VarcharOf(3).Proto(), Nullable: true}
	got := scanAll(t, f, 7, 2, schema(bigint(1), withDefault, nullable), []int32{1, 5, 6}, 10)
	if fmt.Sprint(got) != "[[1 1.50 NULL] [2 1.50 NULL]]" {
		t.Fatalf("got %v", got)
	}
	// A NOT NULL column without a default cannot be filled.
	ctx := context.Background()
	snap, _ := f.reader.Capture(ctx, 7, 2)
	sc, err := f.reader.Scan(snap, schema(bigint(1), bigint(9)), []int32{9}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Next(ctx); err == nil {
		t.Fatal("missing NOT NULL column without default read without error")
	}
}

func TestRejects(t *testing.T) {
	f := newFixture()
	f.load(t, 7, []segment.ColumnSpec{{UniqueID: 1, Type: types.New(types.BigInt)}}, []int64{1})
	ctx := context.Background()
	snap, err := f.reader.Capture(ctx, 7, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.reader.Scan(snap, schema(bigint(1)), []int32{99}, 10); err == nil {
		t.Fatal("unknown column accepted")
	}
	changed := schema(&commonpb.Column{UniqueId: 1, Name: "c1", Type: types.New(types.Double).Proto()})
	sc, err := f.reader.Scan(snap, changed, []int32{1}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Next(ctx); !errors.Is(err, tablet.ErrUnsupported) {
		t.Fatalf("type changed under the segment: %v", err)
	}
}

// An AGGREGATE table's rows with equal keys are folded across segments and rowsets, only up to
// the captured version, whichever columns are asked for.
func TestAggregateMergesRowsetsAtVersion(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 9))
	f := newFixture()
	specs := []segment.ColumnSpec{{UniqueID: 1, Type: types.New(types.BigInt)}, {UniqueID: 2, Type: types.New(types.BigInt)}, {UniqueID: 3, Type: types.New(types.BigInt)}}
	sch := schema(bigint(1), bigint(2), bigint(3))
	sch.KeysType = commonpb.KeysType_AGG_KEYS
	sch.Columns[1].Aggregation, sch.Columns[2].Aggregation = "SUM", "MIN"
	sums := map[int64]int64{} // key -> SUM of column 2 (2 * key per row); MIN of column 3 is 3 * key
	var want [][][]string     // per version: rows (key, sum, min) in key order
	for range 1 + r.IntN(4) {
		var segs [][]int64
		for range 1 + r.IntN(3) {
			var seg []int64
			for range 1 + r.IntN(6) {
				seg = append(seg, r.Int64N(6))
			}
			slices.Sort(seg)
			segs = append(segs, seg)
			for _, k := range seg {
				sums[k] += 2 * k
			}
		}
		f.load(t, 7, specs, segs...)
		var rows [][]string
		for _, k := range slices.Sorted(maps.Keys(sums)) {
			rows = append(rows, []string{fmt.Sprint(k), fmt.Sprint(sums[k]), fmt.Sprint(3 * k)})
		}
		want = append(want, rows)
	}
	for v, rows := range want {
		got := scanAll(t, f, 7, int64(v+2), sch, []int32{1, 2, 3}, 1+r.IntN(4))
		if !reflect.DeepEqual(got, rows) {
			t.Fatalf("version %d: got %v, want %v", v+2, got, rows)
		}
		// Only a value column: still folded by key, in key order.
		got = scanAll(t, f, 7, int64(v+2), sch, []int32{2}, 1+r.IntN(4))
		if len(got) != len(rows) {
			t.Fatalf("version %d: %d rows of column 2, want %d", v+2, len(got), len(rows))
		}
		for i := range got {
			if got[i][0] != rows[i][1] {
				t.Fatalf("version %d row %d: sum %s, want %s", v+2, i, got[i][0], rows[i][1])
			}
		}
	}
}
