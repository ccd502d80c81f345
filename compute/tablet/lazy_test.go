package tablet_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
)

// loadVectors writes one rowset whose segments hold the given columns (in specs' order) and
// commits it at the next version of partition 7; it returns the rowset id.
func (f *fixture) loadVectors(t *testing.T, tabletID int64, specs []segment.ColumnSpec, preds []*commonpb.DeletePredicate, opts segment.Options, segs ...[]*vector.Vector) string {
	t.Helper()
	ctx := context.Background()
	f.txn++
	rs := &metapb.RowsetMeta{RowsetId: fmt.Sprintf("rs%d", f.txn), TabletId: tabletID, PartitionId: 7, TxnId: f.txn, VaultId: "v",
		NumSegments: int32(len(segs)), DeletePredicates: preds}
	if _, err := f.meta.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{InstanceId: inst, Rowset: rs}); err != nil {
		t.Fatal(err)
	}
	for i, cols := range segs {
		n := 0
		if len(cols) > 0 {
			n = cols[0].Len()
		}
		info, err := segment.WriteToVault(ctx, f.st, vault.SegmentPath(tabletID, rs.RowsetId, i), specs, opts, func(w *segment.Writer) error {
			return w.Append(vector.NewBatch(cols, n))
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

func strLit(s string) *planpb.Expr {
	return &planpb.Expr{Type: types.New(types.String).Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Bytes: []byte(s)}}}
}

// lazyTable is a random tablet for the late-materialization tests: key k, nullable BIGINTs a
// and b (few distinct values, in runs), a VARCHAR s, and — in the merge-on-write model — the
// delete sign; column d (BIGINT, default 7) is added to the schema after the first rowset.
type lazyTable struct {
	sch     *commonpb.TabletSchema
	ids     []int32 // the scan's columns
	mow     bool
	rowsets int
}

func randomLazyTablet(t *testing.T, r *rand.Rand, f *fixture, m *bitmapMeta) *lazyTable {
	i64, str := types.New(types.BigInt), types.VarcharOf(20)
	lt := &lazyTable{mow: r.IntN(2) == 0}
	cols := []*commonpb.Column{bigint(1), nullable(2, "a"), nullable(3, "b"), {UniqueId: 4, Name: "s", Type: str.Proto(), Nullable: true}}
	sch := &commonpb.TabletSchema{KeysType: commonpb.KeysType_DUP_KEYS, NumKeyColumns: 1, Columns: cols}
	if lt.mow {
		sign := int32(len(cols))
		sch.KeysType, sch.EnableUniqueKeyMergeOnWrite, sch.DeleteSignIdx = commonpb.KeysType_UNIQUE_KEYS, true, &sign
		sch.Columns = append(sch.Columns, &commonpb.Column{UniqueId: 5, Name: "__DORIS_DELETE_SIGN__", Type: types.New(types.TinyInt).Proto(), Hidden: true})
	}
	specs := specsOf(sch)
	withD := append(append([]*commonpb.Column(nil), sch.Columns...), &commonpb.Column{UniqueId: 6, Name: "d", Type: i64.Proto(), HasDefault: true, DefaultValue: "7", Nullable: true})
	opts := segment.Options{PageSize: []int{64, 512, 4096}[r.IntN(3)], MaxPageRows: []int{0, 1 + r.IntN(300)}[r.IntN(2)], NumSortKeyColumns: 1}
	key := int64(0)
	for rs := range 1 + r.IntN(4) {
		if rs == 1 {
			sch.Columns = withD
			specs = specsOf(sch)
		}
		var segs [][]*vector.Vector
		for range 1 + r.IntN(3) {
			n := r.IntN(1500)
			seg := make([]*vector.Vector, len(specs))
			for k, s := range specs {
				seg[k] = vector.New(s.Type, n)
			}
			run := r.Int64N(20)
			for i := range n {
				key++
				if r.IntN(30) == 0 {
					run = r.Int64N(20)
				}
				for k, s := range specs {
					v := seg[k]
					switch s.UniqueID {
					case 1:
						v.Int64[i] = key
					case 2, 6:
						v.Int64[i] = run + r.Int64N(2)
					case 3:
						v.Int64[i] = r.Int64N(100)
					case 4:
						v.Bytes[i] = fmt.Appendf(nil, "s%d-%d", run, r.IntN(5))
					case 5:
						if r.IntN(10) == 0 {
							v.Int64[i] = 1
						}
					}
					if s.Nullable && r.IntN(15) == 0 {
						v.SetNull(i)
					}
				}
			}
			segs = append(segs, seg)
		}
		var preds []*commonpb.DeletePredicate
		if !lt.mow && rs > 0 && r.IntN(2) == 0 {
			preds = pred(cond(3, []string{"<", ">=", "="}[r.IntN(3)], fmt.Sprint(r.IntN(100))))
		}
		id := f.loadVectors(t, 7, specs, preds, opts, segs...)
		if lt.mow {
			for s, seg := range segs {
				var marked []uint32
				for i := range seg[0].Len() {
					if r.IntN(6) == 0 {
						marked = append(marked, uint32(i))
					}
				}
				m.entries = append(m.entries, bitmapEntry(t, id, int64(rs+2), int64(s), marked...))
			}
		}
		lt.rowsets++
	}
	lt.sch = sch
	for _, p := range r.Perm(len(sch.Columns)) {
		if id := sch.Columns[p].GetUniqueId(); id != 5 || r.IntN(2) == 0 {
			lt.ids = append(lt.ids, id)
		}
	}
	lt.ids = lt.ids[:r.IntN(len(lt.ids)+1)]
	return lt
}

// randomConjunct is a conjunct over the scan's columns; safe tells whether Filter may take it.
func randomConjunct(r *rand.Rand, lt *lazyTable) (e *planpb.Expr, safe bool) {
	boolean := types.New(types.Boolean)
	var byType []int
	typ := func(k int) types.T {
		for _, c := range lt.sch.Columns {
			if c.GetUniqueId() == lt.ids[k] {
				return types.FromProto(c.GetType())
			}
		}
		panic("no column")
	}
	for k := range lt.ids {
		byType = append(byType, k)
	}
	k := byType[r.IntN(len(byType))]
	t := typ(k)
	col := colRef(int32(k), t)
	if t.IsString() {
		switch r.IntN(3) {
		case 0:
			return call("like", boolean, col, strLit(fmt.Sprintf("s%d-%%", r.IntN(20)))), true
		case 1:
			return call("eq", boolean, call("substring", t, col, lit(types.New(types.Int), 1), lit(types.New(types.Int), 2)), strLit(fmt.Sprintf("s%d", r.IntN(10)))), true
		}
		return call("is_null", boolean, col), true
	}
	v := r.Int64N(25)
	switch r.IntN(7) {
	case 0:
		return call("in", boolean, col, lit(t, v), lit(t, v+3), lit(t, 70)), true
	case 1:
		return call("or", boolean, call("lt", boolean, col, lit(t, v)), call("is_null", boolean, col)), true
	case 2:
		return call("not", boolean, call("ge", boolean, col, lit(t, v))), true
	case 3: // arithmetic may overflow: left to the caller
		return call("gt", boolean, call("add", t, col, lit(t, 1)), lit(t, v)), false
	case 4:
		return call("eq", boolean, col, lit(t, v)), true
	}
	return call([]string{"lt", "le", "gt", "ge", "ne"}[r.IntN(5)], boolean, col, lit(t, v)), true
}

// TestFilterMatchesScanThenFilter: over random tablets (DUPLICATE with delete predicates,
// merge-on-write with delete bitmaps and tombstones, a column added after the first rowset),
// random column lists and conjuncts, a scan with Filter yields exactly the rows, in order, of a
// plain scan filtered by the conjuncts afterwards — with and without a page cache, with and
// without Reuse, with random batch sizes.
func TestFilterMatchesScanThenFilter(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 12))
	ctx := context.Background()
	took := 0
	for iter := range 30 {
		f := newFixture()
		m := &bitmapMeta{}
		f.reader.Meta = metaWithBitmaps{f.meta, m}
		lt := randomLazyTablet(t, r, f, m)
		if len(lt.ids) == 0 {
			continue
		}
		snap, err := f.reader.Capture(ctx, 7, int64(lt.rowsets+1))
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			var conj []*planpb.Expr
			allSafe := true
			for range 1 + r.IntN(3) {
				e, safe := randomConjunct(r, lt)
				conj = append(conj, e)
				allSafe = allSafe && safe
			}
			batch := 1 + r.IntN(700)
			scan := func(filter, reuse bool) ([]string, int) {
				if r.IntN(2) == 0 {
					f.reader.Segments = segment.NewCache([]int64{1, 16 << 10, 1 << 30}[r.IntN(3)])
				} else {
					f.reader.Segments = nil
				}
				sc, err := f.reader.Scan(snap, lt.sch, lt.ids, batch)
				if err != nil {
					t.Fatal(err)
				}
				if reuse {
					sc.Reuse()
				}
				applied := 0
				if filter {
					applied = sc.Filter(conj)
				}
				var preds []*expr.Expr
				for _, c := range conj {
					p, err := expr.Compile(c, sc.Types())
					if err != nil {
						t.Fatal(err)
					}
					preds = append(preds, p)
				}
				var out []string
				for {
					b, err := sc.Next(ctx)
					if err != nil {
						t.Fatalf("iter %d: %v", iter, err)
					}
					if b == nil {
						return out, applied
					}
					if err := b.Validate(); err != nil {
						t.Fatal(err)
					}
					if !filter && b.Sel != nil {
						t.Fatal("a scan without Filter returned a selection")
					}
					k := sc.Applied() // the leading conjuncts this batch satisfies already
					if !filter && k != 0 || allSafe && k != 0 && k != len(conj) {
						t.Fatalf("iter %d: Applied %d (filter %v, %d conjuncts, all safe %v)", iter, k, filter, len(conj), allSafe)
					}
					for _, i := range b.Rows(nil) {
						keep, keepApplied := true, true
						for c, p := range preds {
							v, err := p.Eval(b)
							if err != nil {
								t.Fatal(err)
							}
							keep = keep && !v.IsNull(int(i)) && v.Int64[i] != 0
							if c < k {
								keepApplied = keep
							}
						}
						// A batch the late path selected holds only rows that satisfy the
						// conjuncts it says it applied (after it stops paying, batches come whole,
						// Applied is 0 and the caller filters them).
						if !keepApplied {
							t.Fatalf("iter %d: a selected row fails the %d conjuncts applied: %s", iter, k, formatRow(b, int(i)))
						}
						if keep {
							out = append(out, formatRow(b, int(i)))
						}
					}
				}
			}
			want, _ := scan(false, false)
			got, applied := scan(true, r.IntN(2) == 0)
			if allSafe && applied != len(conj) {
				t.Fatalf("iter %d: Filter took %d of %d safe conjuncts", iter, applied, len(conj))
			}
			took += applied
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("iter %d (mow %v, columns %v, conjuncts %v): filtered scan\n%v\nscan then filter\n%v", iter, lt.mow, lt.ids, conj, got, want)
			}
		}
	}
	if took == 0 {
		t.Fatal("Filter never took a conjunct")
	}
}

func formatRow(b *vector.Batch, i int) string {
	var s []string
	for _, c := range b.Cols {
		s = append(s, c.Format(i))
	}
	return strings.Join(s, "|")
}

// TestFilterSkipsPages: a selective conjunct on one column leaves rows in a single page of the
// others; of those, only that page is read from the vault (with or without a page cache), and a
// conjunct that leaves no row reads none of them. Merged models ignore Filter.
func TestFilterSkipsPages(t *testing.T) {
	ctx := context.Background()
	i64, boolean := types.New(types.BigInt), types.New(types.Boolean)
	f := newFixture()
	rec := &recordingVault{Storage: f.st}
	f.reader.Vaults = func(context.Context, string) (vault.Storage, error) { return rec, nil }
	sch := schema(bigint(1), bigint(2), bigint(3))
	specs := specsOf(sch)
	const n = 20000
	cols := make([]*vector.Vector, 3)
	for k := range cols {
		cols[k] = vector.New(i64, n)
		for i := range n {
			cols[k].Int64[i] = int64(i*(k+1)) % 7919 // not sorted: zone maps cannot help
		}
	}
	cols[0] = vector.New(i64, n)
	for i := range n {
		cols[0].Int64[i] = int64(i)
	}
	id := f.loadVectors(t, 7, specs, nil, segment.Options{PageSize: 4096, NumSortKeyColumns: 1}, cols)
	path := vault.SegmentPath(7, id, 0)
	seg, err := segment.Open(ctx, f.st, path, -1)
	if err != nil {
		t.Fatal(err)
	}
	// pagesRead lists the pages of column c that some read since the last reset overlapped.
	pagesRead := func(c int) []int {
		ord, err := seg.Ordinal(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for p := range ord.Len() {
			if rec.overlaps(path, ord.Offset[p], ord.Offset[p]+ord.Size[p], seg.Size()) {
				out = append(out, p)
			}
		}
		return out
	}
	snap, err := f.reader.Capture(ctx, 7, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, cached := range []bool{false, true} {
		for _, target := range []int64{12345, -5} {
			f.reader.Segments = nil
			if cached { // a cold cache: what it has not got is read
				f.reader.Segments = segment.NewCache(1 << 30)
			}
			rec.reset()
			sc, err := f.reader.Scan(snap, sch, []int32{3, 1, 2}, 1000)
			if err != nil {
				t.Fatal(err)
			}
			// c3 and c2 are projected, c1 = target is the conjunct (on output column 1).
			if got := sc.Filter([]*planpb.Expr{call("eq", boolean, colRef(1, i64), lit(i64, target))}); got != 1 {
				t.Fatalf("Filter took %d conjuncts", got)
			}
			var rows []string
			for {
				b, err := sc.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if b == nil {
					break
				}
				for _, i := range b.Rows(nil) {
					rows = append(rows, formatRow(b, int(i)))
				}
			}
			wantRows := []string(nil)
			if target >= 0 {
				wantRows = []string{fmt.Sprintf("%d|%d|%d", target*3%7919, target, target*2%7919)}
			}
			if !reflect.DeepEqual(rows, wantRows) {
				t.Fatalf("rows %v, want %v", rows, wantRows)
			}
			if len(pagesRead(0)) < 2 {
				t.Fatalf("the conjunct's column: pages %v read, want all", pagesRead(0))
			}
			for _, c := range []int{1, 2} {
				ord, _ := seg.Ordinal(ctx, c)
				var want []int
				if target >= 0 {
					want = []int{ord.Page(target)}
				}
				if got := pagesRead(c); !reflect.DeepEqual(got, want) {
					t.Fatalf("cached %v: column %d (%d pages): pages %v read, want %v", cached, c+1, ord.Len(), got, want)
				}
			}
		}
	}
	// A merged model does not take conjuncts.
	agg := schema(bigint(1), bigint(2), bigint(3))
	agg.KeysType = commonpb.KeysType_AGG_KEYS
	agg.Columns[1].Aggregation, agg.Columns[2].Aggregation = "SUM", "SUM"
	sc, err := f.reader.Scan(snap, agg, []int32{1, 2}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Filter([]*planpb.Expr{call("eq", boolean, colRef(0, i64), lit(i64, 1))}); got != 0 {
		t.Fatalf("an AGGREGATE scan took %d conjuncts", got)
	}
}

// recordingVault records the byte ranges read.
type recordingVault struct {
	vault.Storage
	mu    sync.Mutex
	reads map[string][][2]int64
}

func (v *recordingVault) ReadAt(ctx context.Context, path string, p []byte, off int64) error {
	v.mu.Lock()
	if v.reads == nil {
		v.reads = map[string][][2]int64{}
	}
	v.reads[path] = append(v.reads[path], [2]int64{off, off + int64(len(p))})
	v.mu.Unlock()
	return v.Storage.ReadAt(ctx, path, p, off)
}

func (v *recordingVault) reset() {
	v.mu.Lock()
	v.reads = nil
	v.mu.Unlock()
}

// overlaps reports whether a read of path overlapped [lo, hi), not counting reads of the tail
// of the file (of its footer and indexes, ending at size).
func (v *recordingVault) overlaps(path string, lo, hi, size int64) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, r := range v.reads[path] {
		if r[0] < hi && lo < r[1] && r[1] != size {
			return true
		}
	}
	return false
}

// TestFilterStopsWhenItDoesNotPay: a scan whose batches nearly all keep rows (so every column is
// read anyway) stops evaluating the conjuncts after its probation and returns whole batches for
// the caller to filter; a selective scan keeps filtering to the end.
func TestFilterStopsWhenItDoesNotPay(t *testing.T) {
	ctx := context.Background()
	i64, boolean := types.New(types.BigInt), types.New(types.Boolean)
	f := newFixture()
	sch := schema(bigint(1), bigint(2))
	const n, batch = 20000, 100
	cols := []*vector.Vector{vector.New(i64, n), vector.New(i64, n)}
	for i := range n {
		cols[0].Int64[i], cols[1].Int64[i] = int64(i), int64(i%10)
	}
	f.loadVectors(t, 7, specsOf(sch), nil, segment.Options{PageSize: 4096, NumSortKeyColumns: 1}, cols)
	snap, err := f.reader.Capture(ctx, 7, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		target   int64 // c2 <> target keeps 90% of every batch; c1 = target one row
		op       string
		stopping bool
	}{{"unselective", 3, "ne", true}, {"selective", 12345, "eq", false}} {
		sc, err := f.reader.Scan(snap, sch, []int32{1, 2}, batch)
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int32{"ne": 1, "eq": 0}[tc.op]
		if got := sc.Filter([]*planpb.Expr{call(tc.op, boolean, colRef(col, i64), lit(i64, tc.target))}); got != 1 {
			t.Fatalf("%s: Filter took %d conjuncts", tc.name, got)
		}
		batches, failing := 0, 0
		for {
			b, err := sc.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if b == nil {
				break
			}
			batches++
			for _, i := range b.Rows(nil) {
				v := b.Cols[col].Int64[i]
				if (tc.op == "ne" && v == tc.target) || (tc.op == "eq" && v != tc.target) {
					failing++
				}
			}
		}
		if tc.stopping && (failing == 0 || batches < n/batch) {
			t.Fatalf("%s: %d batches, %d rows failing the conjunct: the scan never stopped filtering", tc.name, batches, failing)
		}
		if !tc.stopping && (failing != 0 || batches != 1) {
			t.Fatalf("%s: %d batches, %d rows failing the conjunct", tc.name, batches, failing)
		}
	}
}
