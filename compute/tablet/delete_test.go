package tablet_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"google.golang.org/grpc"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
)

// bitmapMeta adds delete bitmaps (GetDeleteBitmap over hand-written entries) to the fake Meta
// Service, filtering by range as the real one does.
type bitmapMeta struct {
	entries []*metapb.DeleteBitmapEntry
}

func (m *bitmapMeta) GetDeleteBitmap(_ context.Context, in *metapb.GetDeleteBitmapRequest, _ ...grpc.CallOption) (*metapb.GetDeleteBitmapResponse, error) {
	out := &metapb.GetDeleteBitmapResponse{}
	for _, r := range in.GetRanges() {
		for _, e := range m.entries {
			if e.GetRowsetId() == r.GetRowsetId() && e.GetVersion() >= r.GetStartVersion() && e.GetVersion() <= r.GetEndVersion() {
				out.Bitmaps = append(out.Bitmaps, e)
			}
		}
	}
	return out, nil
}

// rowsetOf loads one rowset whose segments hold the given rows (each row one int64 per column,
// -1 meaning NULL) and commits it at the next version of partition 7 (which holds every tablet
// here); it returns the rowset id.
func (f *fixture) rowsetOf(t *testing.T, tabletID int64, specs []segment.ColumnSpec, preds []*commonpb.DeletePredicate, segs ...[][]int64) string {
	t.Helper()
	ctx := context.Background()
	f.txn++
	rs := &metapb.RowsetMeta{RowsetId: fmt.Sprintf("rs%d", f.txn), TabletId: tabletID, PartitionId: 7, TxnId: f.txn, VaultId: "v",
		NumSegments: int32(len(segs)), DeletePredicates: preds}
	if _, err := f.meta.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{InstanceId: inst, Rowset: rs}); err != nil {
		t.Fatal(err)
	}
	for i, rows := range segs {
		cols := make([]*vector.Vector, len(specs))
		for k, s := range specs {
			cols[k] = vector.New(s.Type, len(rows))
			for r, row := range rows {
				if row[k] < 0 {
					cols[k].SetNull(r)
				} else {
					cols[k].Int64[r] = row[k]
				}
			}
		}
		info, err := segment.WriteToVault(ctx, f.st, vault.SegmentPath(tabletID, rs.RowsetId, i), specs, segment.Options{PageSize: 64}, func(w *segment.Writer) error {
			return w.Append(vector.NewBatch(cols, len(rows)))
		})
		if err != nil {
			t.Fatal(err)
		}
		rs.NumRows += info.NumRows
		rs.SegmentSizes = append(rs.SegmentSizes, info.Size)
	}
	if _, err := f.meta.CommitRowset(ctx, &metapb.CommitRowsetRequest{InstanceId: inst, Rowset: rs}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.meta.CommitTxn(ctx, &metapb.CommitTxnRequest{InstanceId: inst, TxnId: f.txn}); err != nil {
		t.Fatal(err)
	}
	return rs.RowsetId
}

func nullable(id int32, name string) *commonpb.Column {
	return &commonpb.Column{UniqueId: id, Name: name, Type: types.New(types.BigInt).Proto(), Nullable: true}
}

func specsOf(sch *commonpb.TabletSchema) []segment.ColumnSpec {
	var out []segment.ColumnSpec
	for _, c := range sch.GetColumns() {
		out = append(out, segment.ColumnSpec{UniqueID: c.GetUniqueId(), Type: types.FromProto(c.GetType()), Nullable: c.GetNullable()})
	}
	return out
}

func sortedRows(rows [][]string) [][]string {
	sort.Slice(rows, func(i, j int) bool { return strings.Join(rows[i], ",") < strings.Join(rows[j], ",") })
	return rows
}

func bitmapEntry(t *testing.T, rowset string, version, seg int64, rows ...uint32) *metapb.DeleteBitmapEntry {
	t.Helper()
	b, err := tablet.EncodeBitmap(roaring.BitmapOf(rows...))
	if err != nil {
		t.Fatal(err)
	}
	return &metapb.DeleteBitmapEntry{RowsetId: rowset, Version: version, SegmentId: seg, Bitmap: b}
}

// A merge-on-write table is read without merging: rows its delete bitmaps mark at versions up to
// the snapshot's are skipped, tombstones (delete sign 1) too; a bitmap at a version no rowset of
// the tablet holds (a publish that never committed) is ignored.
func TestMergeOnWriteBitmapsAtVersions(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 3))
	f := newFixture()
	m := &bitmapMeta{}
	f.reader.Meta = metaWithBitmaps{f.meta, m}
	sign := int32(2)
	sch := &commonpb.TabletSchema{KeysType: commonpb.KeysType_UNIQUE_KEYS, EnableUniqueKeyMergeOnWrite: true, NumKeyColumns: 1,
		Columns:       []*commonpb.Column{bigint(1), nullable(2, "v"), {UniqueId: 3, Name: "__DORIS_DELETE_SIGN__", Type: types.New(types.TinyInt).Proto(), Hidden: true}},
		DeleteSignIdx: &sign}
	specs := specsOf(sch)
	// Version 2: keys 1..4 (two segments). Version 3: keys 2 (update), 3 (tombstone), 5.
	rs2 := f.rowsetOf(t, 7, specs, nil, [][]int64{{1, 10, 0}, {2, 20, 0}}, [][]int64{{3, 30, 0}, {4, -1, 0}})
	rs3 := f.rowsetOf(t, 7, specs, nil, [][]int64{{2, 21, 0}, {3, 0, 1}, {5, 50, 0}})
	// Version 4: key 5 again, key 3 back to life.
	f.rowsetOf(t, 7, specs, nil, [][]int64{{3, 33, 0}, {5, 51, 0}})
	m.entries = []*metapb.DeleteBitmapEntry{
		bitmapEntry(t, rs2, 3, 0, 1),    // key 2 of version 2
		bitmapEntry(t, rs2, 3, 1, 0),    // key 3 of version 2
		bitmapEntry(t, rs3, 4, 0, 1, 2), // the tombstone of 3 and key 5 of version 3
		bitmapEntry(t, rs2, 5, 0, 0),    // a publish of version 5 that never committed on tablet 7
		bitmapEntry(t, rs2, 6, 0, 0),    // key 1, superseded at version 6
	}
	want := map[int64][][]string{
		2: {{"1", "10"}, {"2", "20"}, {"3", "30"}, {"4", "NULL"}},
		3: {{"1", "10"}, {"2", "21"}, {"4", "NULL"}, {"5", "50"}},
		4: {{"1", "10"}, {"2", "21"}, {"3", "33"}, {"4", "NULL"}, {"5", "51"}},
	}
	for v := int64(2); v <= 4; v++ {
		got := sortedRows(scanAll(t, f, 7, v, sch, []int32{1, 2}, 1+r.IntN(3)))
		if !reflect.DeepEqual(got, want[v]) {
			t.Fatalf("version %d: got %v, want %v", v, got, want[v])
		}
	}
	// Version 5 goes to another tablet of the partition: tablet 7 holds no rowset at 5, so the
	// bitmap written at 5 does not apply; version 6 is tablet 7's, and its bitmap applies.
	f.rowsetOf(t, 8, specs, nil, [][]int64{{1, 1, 0}})
	got := sortedRows(scanAll(t, f, 7, 5, sch, []int32{1, 2}, 1+r.IntN(3)))
	if !reflect.DeepEqual(got, want[4]) {
		t.Fatalf("version 5: got %v, want %v", got, want[4])
	}
	f.rowsetOf(t, 7, specs, nil, [][]int64{{1, 19, 0}})
	got = sortedRows(scanAll(t, f, 7, 6, sch, []int32{1, 2}, 1+r.IntN(3)))
	if w := [][]string{{"1", "19"}, {"2", "21"}, {"3", "33"}, {"4", "NULL"}, {"5", "51"}}; !reflect.DeepEqual(got, w) {
		t.Fatalf("version 6: got %v, want %v", got, w)
	}
	// COUNT(*)-style scans (no columns) count the same rows.
	if got := scanAll(t, f, 7, 4, sch, nil, 2); len(got) != 5 {
		t.Fatalf("version 4, no columns: %d rows, want 5", len(got))
	}
}

// metaWithBitmaps routes GetDeleteBitmap to the bitmap fake and the rest to the fake Meta Service.
type metaWithBitmaps struct {
	metapb.MetaServiceClient
	b *bitmapMeta
}

func (m metaWithBitmaps) GetDeleteBitmap(ctx context.Context, in *metapb.GetDeleteBitmapRequest, o ...grpc.CallOption) (*metapb.GetDeleteBitmapResponse, error) {
	return m.b.GetDeleteBitmap(ctx, in, o...)
}

// Tombstones of a merge-on-read table: the newest row of a key decides; a key whose newest row
// has the delete sign is gone, and comes back when a later load writes it again.
func TestMergeOnReadDeleteSign(t *testing.T) {
	f := newFixture()
	sign := int32(2)
	sch := &commonpb.TabletSchema{KeysType: commonpb.KeysType_UNIQUE_KEYS, NumKeyColumns: 1,
		Columns:       []*commonpb.Column{bigint(1), nullable(2, "v"), {UniqueId: 3, Name: "__DORIS_DELETE_SIGN__", Type: types.New(types.TinyInt).Proto(), Hidden: true}},
		DeleteSignIdx: &sign}
	specs := specsOf(sch)
	f.rowsetOf(t, 7, specs, nil, [][]int64{{1, 10, 0}, {2, 20, 0}, {3, 30, 0}})
	f.rowsetOf(t, 7, specs, nil, [][]int64{{1, 0, 1}, {3, 31, 0}})
	f.rowsetOf(t, 7, specs, nil, [][]int64{{1, 12, 0}, {3, -1, 1}})
	want := map[int64][][]string{
		2: {{"1", "10"}, {"2", "20"}, {"3", "30"}},
		3: {{"2", "20"}, {"3", "31"}},
		4: {{"1", "12"}, {"2", "20"}},
	}
	for v, w := range want {
		if got := scanAll(t, f, 7, v, sch, []int32{1, 2}, 2); !reflect.DeepEqual(got, w) {
			t.Fatalf("version %d: got %v, want %v", v, got, w)
		}
		// Asking for the value column only: the sign is still read and applied.
		if got := scanAll(t, f, 7, v, sch, []int32{2}, 2); len(got) != len(w) {
			t.Fatalf("version %d, column v only: %v, want %d rows", v, got, len(w))
		}
	}
}

func cond(uid int32, op string, vals ...string) *commonpb.DeleteCondition {
	return &commonpb.DeleteCondition{ColumnUniqueId: uid, ColumnName: fmt.Sprint("c", uid), Op: op, Values: vals}
}

func pred(conds ...*commonpb.DeleteCondition) []*commonpb.DeletePredicate {
	return []*commonpb.DeletePredicate{{Conditions: conds}}
}

// Delete predicates of DUPLICATE and AGGREGATE tables delete the matching rows of the rowsets
// below them (never those loaded later), at every snapshot version, before an AGGREGATE table
// folds its rows; NULL never matches a comparison.
func TestDeletePredicatesAtVersions(t *testing.T) {
	for _, kind := range []commonpb.KeysType{commonpb.KeysType_DUP_KEYS, commonpb.KeysType_AGG_KEYS} {
		t.Run(kind.String(), func(t *testing.T) {
			f := newFixture()
			sch := &commonpb.TabletSchema{KeysType: kind, NumKeyColumns: 1, Columns: []*commonpb.Column{bigint(1), nullable(2, "v")}}
			if kind == commonpb.KeysType_AGG_KEYS {
				sch.Columns[1].Aggregation = "SUM"
			}
			specs := specsOf(sch)
			f.rowsetOf(t, 7, specs, nil, [][]int64{{1, 10}, {2, 20}, {3, -1}, {4, 40}})          // v2
			f.rowsetOf(t, 7, nil, pred(cond(2, ">=", "20"), cond(1, "!=", "4")))                 // v3: deletes key 2
			f.rowsetOf(t, 7, specs, nil, [][]int64{{1, 11}, {2, 22}, {5, 50}})                   // v4
			f.rowsetOf(t, 7, nil, pred(cond(1, "IN", "1", "5")))                                 // v5: deletes keys 1 and 5
			f.rowsetOf(t, 7, specs, nil, [][]int64{{1, 100}, {3, 3}})                            // v6
			f.rowsetOf(t, 7, nil, append(pred(cond(2, "IS NULL")), pred(cond(2, "<", "50"))...)) // v7: NULL v, or v < 50
			var want map[int64][][]string
			if kind == commonpb.KeysType_DUP_KEYS {
				want = map[int64][][]string{
					2: {{"1", "10"}, {"2", "20"}, {"3", "NULL"}, {"4", "40"}},
					3: {{"1", "10"}, {"3", "NULL"}, {"4", "40"}},
					4: {{"1", "10"}, {"1", "11"}, {"2", "22"}, {"3", "NULL"}, {"4", "40"}, {"5", "50"}},
					5: {{"2", "22"}, {"3", "NULL"}, {"4", "40"}},
					6: {{"1", "100"}, {"2", "22"}, {"3", "3"}, {"3", "NULL"}, {"4", "40"}},
					7: {{"1", "100"}},
				}
			} else {
				want = map[int64][][]string{
					2: {{"1", "10"}, {"2", "20"}, {"3", "NULL"}, {"4", "40"}},
					3: {{"1", "10"}, {"3", "NULL"}, {"4", "40"}},
					4: {{"1", "21"}, {"2", "22"}, {"3", "NULL"}, {"4", "40"}, {"5", "50"}},
					5: {{"2", "22"}, {"3", "NULL"}, {"4", "40"}},
					6: {{"1", "100"}, {"2", "22"}, {"3", "3"}, {"4", "40"}},
					7: {{"1", "100"}},
				}
			}
			for v := int64(2); v <= 7; v++ {
				got := sortedRows(scanAll(t, f, 7, v, sch, []int32{1, 2}, 1+rand.IntN(3)))
				if !reflect.DeepEqual(got, sortedRows(want[v])) {
					t.Fatalf("version %d: got %v, want %v", v, got, want[v])
				}
			}
		})
	}
}

// The evaluator on its own: every operator, NULLs, literals cast to the column type.
func TestDeletePredicateEvaluator(t *testing.T) {
	sch := &commonpb.TabletSchema{Columns: []*commonpb.Column{
		nullable(1, "n"),
		{UniqueId: 2, Name: "s", Type: types.VarcharOf(10).Proto(), Nullable: true},
		{UniqueId: 3, Name: "d", Type: types.DecimalOf(9, 2).Proto(), Nullable: true},
	}}
	n := vector.New(types.New(types.BigInt), 5)
	s := vector.New(types.VarcharOf(10), 5)
	d := vector.New(types.DecimalOf(9, 2), 5)
	for i := range 5 {
		n.Int64[i] = int64(i)
		s.Bytes[i] = []byte(fmt.Sprint("s", i))
		d.Int64[i] = int64(i * 150) // 0.00 1.50 3.00 4.50 6.00
	}
	n.SetNull(4)
	s.SetNull(3)
	byID := map[int32]*vector.Vector{1: n, 2: s, 3: d}
	cases := []struct {
		conds []*commonpb.DeleteCondition
		want  []int
	}{
		{[]*commonpb.DeleteCondition{cond(1, "=", "2")}, []int{2}},
		{[]*commonpb.DeleteCondition{cond(1, "!=", "2")}, []int{0, 1, 3}},
		{[]*commonpb.DeleteCondition{cond(1, "<", "2")}, []int{0, 1}},
		{[]*commonpb.DeleteCondition{cond(1, "<=", "2")}, []int{0, 1, 2}},
		{[]*commonpb.DeleteCondition{cond(1, ">", "2")}, []int{3}},
		{[]*commonpb.DeleteCondition{cond(1, ">=", "2")}, []int{2, 3}},
		{[]*commonpb.DeleteCondition{cond(1, "in", "0", "3", "7")}, []int{0, 3}},
		{[]*commonpb.DeleteCondition{cond(1, "NOT IN", "0", "3")}, []int{1, 2}},
		{[]*commonpb.DeleteCondition{cond(1, "IS NULL")}, []int{4}},
		{[]*commonpb.DeleteCondition{cond(2, "IS NOT NULL"), cond(1, ">", "1")}, []int{2}},
		{[]*commonpb.DeleteCondition{cond(2, "=", "s1")}, []int{1}},
		{[]*commonpb.DeleteCondition{cond(3, ">", "1.5")}, []int{2, 3, 4}},
		{[]*commonpb.DeleteCondition{cond(3, "=", "4.5"), cond(2, "IS NULL")}, []int{3}},
		{nil, nil}, // no conditions: nothing (a DELETE always has a WHERE)
	}
	for _, c := range cases {
		p, err := tablet.CompileDeletePredicate(sch, &commonpb.DeletePredicate{Conditions: c.conds})
		if err != nil {
			t.Fatalf("%v: %v", c.conds, err)
		}
		del := make([]bool, 5)
		p.Match(func(uid int32) *vector.Vector { return byID[uid] }, 5, del)
		var got []int
		for i, x := range del {
			if x {
				got = append(got, i)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%v: deleted %v, want %v", c.conds, got, c.want)
		}
	}
	for _, bad := range []*commonpb.DeleteCondition{cond(9, "=", "1"), cond(1, "~", "1"), cond(1, "=", "x"), cond(1, "=", "1", "2"), cond(1, "IN")} {
		if _, err := tablet.CompileDeletePredicate(sch, &commonpb.DeletePredicate{Conditions: []*commonpb.DeleteCondition{bad}}); err == nil {
			t.Errorf("%v compiled", bad)
		}
	}
}
