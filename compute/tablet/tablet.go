package tablet

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/model"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
)

// ErrUnsupported classifies requests this engine cannot serve yet (a table model, a schema
// change it cannot reconcile).
var ErrUnsupported = errors.New("not supported")

// Reader captures and scans tablets.
type Reader struct {
	Meta       metapb.MetaServiceClient
	InstanceID string
	Vaults     vault.Resolver
	// Keys caches the primary-key indexes of merge-on-write segments (SegmentKeys); nil: none.
	Keys *KeyCache
	// Segments caches open segments and their decoded pages for scans; nil: none.
	Segments *segment.Cache
}

// Snapshot is the set of rowsets of a tablet visible at a version, in version order.
type Snapshot struct {
	TabletID int64
	Version  int64
	Rowsets  []*metapb.RowsetMeta
}

// Capture fetches the rowsets of tablet visible at version.
func (r *Reader) Capture(ctx context.Context, tabletID, version int64) (*Snapshot, error) {
	resp, err := r.Meta.GetRowsets(ctx, &metapb.GetRowsetsRequest{
		InstanceId: r.InstanceID, TabletId: tabletID, StartVersion: 0, EndVersion: version,
	})
	if err != nil {
		return nil, fmt.Errorf("tablet %d: get rowsets up to version %d: %w", tabletID, version, err)
	}
	rs := append([]*metapb.RowsetMeta(nil), resp.GetRowsets()...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].GetStartVersion() < rs[j].GetStartVersion() })
	for k, m := range rs {
		switch {
		case m.GetTabletId() != tabletID:
			return nil, fmt.Errorf("BUG: meta service returned rowset %s of tablet %d for tablet %d", m.GetRowsetId(), m.GetTabletId(), tabletID)
		case m.GetEndVersion() > version || m.GetStartVersion() > m.GetEndVersion():
			return nil, fmt.Errorf("BUG: meta service returned rowset %s [%d-%d] for version %d", m.GetRowsetId(), m.GetStartVersion(), m.GetEndVersion(), version)
		case k > 0 && m.GetStartVersion() <= rs[k-1].GetEndVersion():
			return nil, fmt.Errorf("BUG: tablet %d rowsets %s [%d-%d] and %s [%d-%d] overlap", tabletID,
				rs[k-1].GetRowsetId(), rs[k-1].GetStartVersion(), rs[k-1].GetEndVersion(), m.GetRowsetId(), m.GetStartVersion(), m.GetEndVersion())
		case len(m.GetSegmentSizes()) != 0 && len(m.GetSegmentSizes()) != int(m.GetNumSegments()):
			return nil, fmt.Errorf("BUG: rowset %s has %d segments and %d segment sizes", m.GetRowsetId(), m.GetNumSegments(), len(m.GetSegmentSizes()))
		}
	}
	return &Snapshot{TabletID: tabletID, Version: version, Rowsets: rs}, nil
}

// column is a column a scanner reads: where it is found by unique id and what it is.
type column struct {
	uid      int32
	t        types.T
	nullable bool
	def      *vector.Vector // one-row default for segments without the column (NULL if none)
}

// Scanner yields the rows of a snapshot. See the package doc for what it applies.
type Scanner struct {
	r         *Reader
	snap      *Snapshot
	cols      []column // the output columns
	batchSize int

	raw     *rawScanner // reads the needed columns, without deleted rows
	project []int       // output column k is raw column project[k]
	sign    int         // raw column of the delete sign, -1 for none
	mow     bool        // merge-on-write: delete bitmaps are fetched on the first Next

	// Filter: the conjuncts the scan applies (over the output columns), and the raw columns
	// they read.
	conj     []*expr.Expr
	conjCols []int
	lazyOff  bool // late materialization stopped paying (see lazyProbation)
	prefix   int  // how many leading conjuncts given to Filter are in conj
	applied  int  // Applied's answer for the last batch

	// AGGREGATE and UNIQUE merge-on-read tables: the raw rows are folded on the first Next.
	fold   *model.Model
	merged *vector.Batch
	pos    int
}

// Scan returns a scanner over the columns with the given unique ids of schema.
func (r *Reader) Scan(snap *Snapshot, schema *commonpb.TabletSchema, uniqueIDs []int32, batchSize int) (*Scanner, error) {
	cols := schema.GetColumns()
	nk := int(schema.GetNumKeyColumns())
	if nk > len(cols) || nk < 0 {
		return nil, fmt.Errorf("tablet %d: %d key columns of %d", snap.TabletID, nk, len(cols))
	}
	byID := map[int32]*commonpb.Column{}
	for _, c := range cols {
		byID[c.GetUniqueId()] = c
	}
	kind := schema.GetKeysType()
	mow := kind == commonpb.KeysType_UNIQUE_KEYS && schema.GetEnableUniqueKeyMergeOnWrite()
	merge := kind == commonpb.KeysType_AGG_KEYS || (kind == commonpb.KeysType_UNIQUE_KEYS && !mow)

	var ids []int32
	var aggs []string
	at := map[int32]int{}
	add := func(c *commonpb.Column) int {
		if k, ok := at[c.GetUniqueId()]; ok {
			return k
		}
		at[c.GetUniqueId()] = len(ids)
		ids = append(ids, c.GetUniqueId())
		aggs = append(aggs, c.GetAggregation())
		return len(ids) - 1
	}
	seq := -1
	if merge {
		for _, c := range cols[:nk] {
			add(c)
		}
		if schema.SequenceColIdx != nil {
			i := int(schema.GetSequenceColIdx())
			if i < 0 || i >= len(cols) {
				return nil, fmt.Errorf("tablet %d: sequence column %d of %d", snap.TabletID, i, len(cols))
			}
			seq = add(cols[i])
		}
	}
	for _, id := range uniqueIDs {
		c, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("tablet %d: no column with unique id %d in the schema", snap.TabletID, id)
		}
		add(c)
	}
	sign := -1
	if schema.DeleteSignIdx != nil {
		i := int(schema.GetDeleteSignIdx())
		if i < 0 || i >= len(cols) {
			return nil, fmt.Errorf("tablet %d: delete sign column %d of %d", snap.TabletID, i, len(cols))
		}
		sign = add(cols[i])
	}
	// Delete predicates: those of a rowset apply to the rowsets of lower versions.
	preds := make([][]*DeletePredicate, len(snap.Rowsets))
	for _, d := range snap.Rowsets {
		for _, p := range d.GetDeletePredicates() {
			dp, err := CompileDeletePredicate(schema, p)
			if err != nil {
				return nil, fmt.Errorf("tablet %d rowset %s: %w", snap.TabletID, d.GetRowsetId(), err)
			}
			for _, id := range dp.Columns() {
				add(byID[id])
			}
			for k, rs := range snap.Rowsets {
				if rs.GetEndVersion() < d.GetStartVersion() {
					preds[k] = append(preds[k], dp)
				}
			}
		}
	}
	raw, err := r.newRaw(snap, byID, ids, batchSize)
	if err != nil {
		return nil, err
	}
	raw.preds = preds
	raw.predCols = make([]bool, len(raw.cols))
	for _, ps := range preds {
		for _, p := range ps {
			for _, id := range p.Columns() {
				raw.predCols[at[id]] = true
			}
		}
	}
	s := &Scanner{r: r, snap: snap, batchSize: raw.batchSize, raw: raw, sign: sign, mow: mow}
	for _, id := range uniqueIDs {
		s.project = append(s.project, at[id])
		s.cols = append(s.cols, raw.cols[at[id]])
	}
	if merge {
		if s.fold, err = model.New(kind, nk, aggs, seq); err != nil {
			return nil, fmt.Errorf("tablet %d: %w", snap.TabletID, err)
		}
	}
	return s, nil
}

// Prune lets the scan skip, through each segment's indexes, rows that preds rule out (see
// Pushdown): the caller still filters the rows it gets exactly. Only DUPLICATE KEY tablets use
// it — in the other models an older row version must be read to be folded (or marked) even when
// the query does not want it — and only before the first Next.
func (s *Scanner) Prune(preds []ColumnPredicate) {
	if s.fold == nil && !s.mow && s.sign < 0 {
		s.raw.prune = preds
	}
}

// Reuse lets a streamed scan (every model but the merged ones) decode pages into the buffers of
// earlier pages (segment.IteratorOptions.Reuse): a batch, and the strings it holds, are then
// valid only until the next call of Next. For consumers that are done with a batch and keep no
// reference into it before they ask for the next (aggregations of numbers). Call it before the
// first Next.
func (s *Scanner) Reuse() {
	if s.fold == nil {
		s.raw.reuse = true
	}
}

// Pruned is the number of rows the segments' indexes let the scan skip, in the segments read to
// the end so far.
func (s *Scanner) Pruned() int64 { return s.raw.pruned }

// Types are the output column types.
func (s *Scanner) Types() []types.T {
	out := make([]types.T, len(s.cols))
	for i, c := range s.cols {
		out[i] = c.t
	}
	return out
}

// defaultValue is the one-row value a missing column reads as.
func defaultValue(c *commonpb.Column, t types.T) *vector.Vector {
	text := vector.New(types.New(types.String), 1)
	if c.GetHasDefault() {
		text.Bytes[0] = []byte(c.GetDefaultValue())
	} else {
		text.SetNull(0)
	}
	return expr.Cast(text, []int32{0}, t)
}

// Next returns the next batch, or nil at the end. Batches carry no selection.
func (s *Scanner) Next(ctx context.Context) (*vector.Batch, error) {
	if s.mow && s.raw.bitmaps == nil {
		d, err := s.r.DeleteBitmaps(ctx, s.snap)
		if err != nil {
			return nil, err
		}
		s.raw.bitmaps = d
	}
	if s.fold != nil {
		return s.nextMerged(ctx)
	}
	s.applied = 0
	if len(s.conj) > 0 && !s.raw.track && !s.lazyOff {
		if s.raw.lazySeen >= lazyProbation && s.raw.lazySkipped*lazyWorthIt < s.raw.lazySeen {
			// Nearly every batch had rows left, so every column was read anyway: the scan
			// goes on reading whole batches and leaves the conjuncts to its caller, which
			// evaluates them once instead of twice.
			s.lazyOff = true
		} else {
			s.applied = s.prefix
			return s.nextFiltered(ctx)
		}
	}
	for {
		b, err := s.raw.next(ctx)
		if err != nil || b == nil {
			return nil, err
		}
		if b = s.finish(b); b.N > 0 {
			return b, nil
		}
	}
}

// nextFiltered serves scans with conjuncts (Filter): the raw scanner reads the columns they
// need, and the others only for batches with rows left.
func (s *Scanner) nextFiltered(ctx context.Context) (*vector.Batch, error) {
	if !s.raw.lazy {
		s.raw.lazy, s.raw.keep = true, s.keep
		s.raw.first = make([]bool, len(s.raw.cols))
		for _, k := range s.conjCols {
			s.raw.first[k] = true
		}
		if s.sign >= 0 {
			s.raw.first[s.sign] = true
		}
	}
	b, err := s.raw.nextLazy(ctx)
	if err != nil || b == nil {
		return nil, err
	}
	out := make([]*vector.Vector, len(s.project))
	for k, p := range s.project {
		out[k] = b.Cols[p]
	}
	return &vector.Batch{Cols: out, N: b.N, Sel: b.Sel}, nil
}

// Origin is where a scanned row is stored: its segment and its row ordinal in the segment file
// (the numbering of delete bitmaps).
type Origin struct {
	Ref SegmentRef
	Row uint32
}

// TrackOrigins makes the scanner record where each row it yields is stored (Origins). Only
// scans that do not merge rows can: DUPLICATE and merge-on-write UNIQUE tables (merge-on-write
// compaction builds its row-id map from them). Call it before the first Next.
func (s *Scanner) TrackOrigins() error {
	if s.fold != nil {
		return fmt.Errorf("tablet %d: origins of a merged scan: %w", s.snap.TabletID, ErrUnsupported)
	}
	s.raw.track = true
	return nil
}

// Origins are the origins of the rows of the batch Next returned last, one per row (valid until
// the next call of Next).
func (s *Scanner) Origins() []Origin { return s.raw.origins }

// finish drops the tombstones of b (rows whose delete sign is 1) and projects the output columns.
func (s *Scanner) finish(b *vector.Batch) *vector.Batch {
	if s.sign >= 0 {
		sv := b.Cols[s.sign]
		var keep []int32
		dropped := false
		for i := range b.N {
			if !sv.IsNull(i) && sv.Int64[i] == 1 {
				if !dropped {
					keep = vector.Identity(make([]int32, 0, b.N), i)
					dropped = true
				}
				continue
			}
			if dropped {
				keep = append(keep, int32(i))
			}
		}
		if dropped {
			b = gatherBatch(b, keep)
			if s.raw.track && s.fold == nil {
				kept := make([]Origin, len(keep))
				for i, r := range keep {
					kept[i] = s.raw.origins[r]
				}
				s.raw.origins = kept
			}
		}
	}
	out := make([]*vector.Vector, len(s.project))
	for k, p := range s.project {
		out[k] = b.Cols[p]
	}
	return vector.NewBatch(out, b.N)
}

func gatherBatch(b *vector.Batch, rows []int32) *vector.Batch {
	cols := make([]*vector.Vector, len(b.Cols))
	for k, c := range b.Cols {
		cols[k] = c.Gather(rows)
	}
	return vector.NewBatch(cols, len(rows))
}

// nextMerged serves AGGREGATE and UNIQUE merge-on-read tables: on the first call it reads the
// whole snapshot (rows in version order), folds it by the model, and then hands out slices.
func (s *Scanner) nextMerged(ctx context.Context) (*vector.Batch, error) {
	if s.merged == nil {
		all := make([]*vector.Vector, len(s.raw.cols))
		for k, c := range s.raw.cols {
			all[k] = vector.NewWithCap(c.t, 0)
		}
		n := 0
		for {
			b, err := s.raw.next(ctx)
			if err != nil {
				return nil, err
			}
			if b == nil {
				break
			}
			for k, v := range b.Cols {
				all[k].AppendRange(v, 0, b.N)
			}
			n += b.N
		}
		folded, err := s.fold.Apply(vector.NewBatch(all, n))
		if err != nil {
			return nil, fmt.Errorf("tablet %d: %w", s.snap.TabletID, err)
		}
		s.merged = s.finish(folded)
	}
	if s.pos >= s.merged.N {
		return nil, nil
	}
	lo, hi := s.pos, min(s.pos+s.batchSize, s.merged.N)
	s.pos = hi
	out := make([]*vector.Vector, len(s.merged.Cols))
	for k, v := range s.merged.Cols {
		out[k] = v.Slice(lo, hi)
	}
	return vector.NewBatch(out, hi-lo), nil
}

// rawScanner reads columns of every rowset, in version order, with no merge; it skips the rows
// delete bitmaps mark and those delete predicates of newer rowsets match.
type rawScanner struct {
	r         *Reader
	snap      *Snapshot
	cols      []column
	at        map[int32]int // column position by unique id
	batchSize int
	bitmaps   DeleteBitmap         // nil: none
	preds     [][]*DeletePredicate // per rowset: the delete predicates that apply to it

	rowset  int // index of the current rowset
	seg     int // next segment of the current rowset
	storage vault.Storage
	it      *segment.Iterator
	present []int // for each column, its index among the iterator's columns, or -1
	cur     SegmentRef
	deleted []bool

	track   bool     // record origins
	origins []Origin // with track: where the rows of the last batch are stored

	// Late materialization (Scanner.Filter): lazy set, the raw columns in first (and those of
	// the delete predicates of the current rowset, predCols) are read for every batch, keep
	// selects its rows, and the other columns are read only when some row is left.
	lazy     bool
	first    []bool
	predCols []bool
	keep     func(b *vector.Batch, buf []int32) ([]int32, error)
	sel      []int32 // the selection scratch (with reuse, the batch's selection itself)
	loadNow  []bool  // for the open segment: first, or a column of a delete predicate that applies
	// lazySeen counts the batches read lazily, lazySkipped those whose other columns were not
	// read (no row left).
	lazySeen, lazySkipped int

	reuse   bool              // segment iterators reuse their buffers (Scanner.Reuse)
	prune   []ColumnPredicate // rows these rule out are skipped through the segments' indexes
	pruned  int64             // rows the indexes let the scan skip, in the segments done
	segRows int64             // rows of the open segment
}

func (r *Reader) newRaw(snap *Snapshot, byID map[int32]*commonpb.Column, uniqueIDs []int32, batchSize int) (*rawScanner, error) {
	s := &rawScanner{r: r, snap: snap, batchSize: batchSize, at: map[int32]int{}}
	if s.batchSize <= 0 {
		s.batchSize = 4096
	}
	for _, id := range uniqueIDs {
		c, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("tablet %d: no column with unique id %d in the schema", snap.TabletID, id)
		}
		col := column{uid: id, t: types.FromProto(c.GetType()), nullable: c.GetNullable()}
		if err := col.t.Validate(); err != nil {
			return nil, fmt.Errorf("tablet %d: column %q: %w", snap.TabletID, c.GetName(), err)
		}
		col.def = defaultValue(c, col.t)
		s.at[id] = len(s.cols)
		s.cols = append(s.cols, col)
	}
	return s, nil
}

func (s *rawScanner) next(ctx context.Context) (*vector.Batch, error) {
	for {
		if s.it == nil {
			ok, err := s.openNext(ctx)
			if err != nil || !ok {
				return nil, err
			}
		}
		b, err := s.it.Next(ctx)
		if err != nil {
			return nil, fmt.Errorf("tablet %d: %w", s.snap.TabletID, err)
		}
		if b == nil {
			s.segmentDone()
			continue
		}
		out := make([]*vector.Vector, len(s.cols))
		for k, c := range s.cols {
			if p := s.present[k]; p >= 0 {
				v := b.Cols[p]
				if v.Type != c.t { // e.g. VARCHAR(10) stored, VARCHAR(20) in the schema now
					cp := *v
					cp.Type = c.t
					v = &cp
				}
				out[k] = v
				continue
			}
			out[k] = constant(c.def, b.N)
		}
		ord := s.it.Ordinal()
		var keep []int32
		if b, keep = s.filter(vector.NewBatch(out, b.N), ord); b.N > 0 {
			if s.track {
				s.origins = s.origins[:0]
				for i := range b.N {
					r := i
					if keep != nil {
						r = int(keep[i])
					}
					s.origins = append(s.origins, Origin{Ref: s.cur, Row: uint32(ord) + uint32(r)})
				}
			}
			return b, nil
		}
	}
}

// segmentDone closes the iterator of the segment read to its end.
func (s *rawScanner) segmentDone() {
	if len(s.prune) > 0 {
		st := s.it.Stats()
		s.pruned += s.segRows - st.Rows
	}
	s.it = nil
}

// filter drops the rows of b (whose first row is row ord of the current segment) that the delete
// bitmap marks or a delete predicate deletes; keep lists the rows of b kept (nil: all of them).
func (s *rawScanner) filter(b *vector.Batch, ord int64) (_ *vector.Batch, keep []int32) {
	del := s.deletedRows(b, ord)
	if del == nil {
		return b, nil
	}
	keep = make([]int32, 0, b.N)
	for i, d := range del {
		if !d {
			keep = append(keep, int32(i))
		}
	}
	if len(keep) == b.N {
		return b, nil
	}
	return gatherBatch(b, keep), keep
}

// deletedRows marks the rows of b (whose first row is row ord of the current segment) that the
// delete bitmap marks or a delete predicate deletes; nil when nothing can be deleted. The slice
// is the scanner's, valid until the next call.
func (s *rawScanner) deletedRows(b *vector.Batch, ord int64) []bool {
	bm := s.bitmaps[s.cur]
	preds := s.preds[s.rowset]
	if bm == nil && len(preds) == 0 {
		return nil
	}
	if cap(s.deleted) < b.N {
		s.deleted = make([]bool, b.N)
	}
	del := s.deleted[:b.N]
	clear(del)
	if bm != nil {
		for i := range del {
			del[i] = bm.Contains(uint32(ord) + uint32(i))
		}
	}
	col := func(uid int32) *vector.Vector { return b.Cols[s.at[uid]] }
	for _, p := range preds {
		p.Match(col, b.N, del)
	}
	return del
}

func constant(one *vector.Vector, n int) *vector.Vector {
	v := vector.New(one.Type, n)
	if one.IsNull(0) {
		v.Nulls = vector.NewBitmap(n)
		for i := range n {
			v.Nulls.Set(i)
		}
		return v
	}
	rows := make([]int32, n)
	v = vector.NewWithCap(one.Type, n)
	v.AppendRows(one, rows)
	return v
}

// openNext opens the next segment; false at the end of the snapshot.
func (s *rawScanner) openNext(ctx context.Context) (bool, error) {
	for s.rowset < len(s.snap.Rowsets) {
		rs := s.snap.Rowsets[s.rowset]
		if s.seg >= int(rs.GetNumSegments()) {
			s.rowset++
			s.seg, s.storage = 0, nil
			continue
		}
		if s.storage == nil {
			st, err := s.r.Vaults(ctx, rs.GetVaultId())
			if err != nil {
				return false, fmt.Errorf("tablet %d rowset %s: vault %q: %w", s.snap.TabletID, rs.GetRowsetId(), rs.GetVaultId(), err)
			}
			s.storage = st
		}
		size := int64(-1)
		if sizes := rs.GetSegmentSizes(); len(sizes) > s.seg {
			size = sizes[s.seg]
		}
		path := vault.SegmentPath(s.snap.TabletID, rs.GetRowsetId(), s.seg)
		s.cur = SegmentRef{RowsetID: rs.GetRowsetId(), Segment: int64(s.seg)}
		s.seg++
		var seg *segment.Segment
		var err error
		if c := s.r.Segments; c != nil {
			seg, err = c.Open(ctx, s.storage, path, size)
		} else {
			seg, err = segment.Open(ctx, s.storage, path, size)
		}
		if err != nil {
			return false, fmt.Errorf("tablet %d: %w", s.snap.TabletID, err)
		}
		var idx []int
		s.present = make([]int, len(s.cols))
		for k, c := range s.cols {
			ci := seg.FindColumn(c.uid)
			if ci < 0 {
				if c.def.IsNull(0) && !c.nullable {
					return false, fmt.Errorf("tablet %d: segment %s lacks non-nullable column %d, which has no default", s.snap.TabletID, path, c.uid)
				}
				s.present[k] = -1
				continue
			}
			st := seg.Columns()[ci].Type
			if st.Kind != c.t.Kind || st.Physical() != c.t.Physical() || (st.Kind == types.Decimal && st.Scale != c.t.Scale) || (st.Kind == types.DateTime && st.Scale != c.t.Scale) {
				return false, fmt.Errorf("tablet %d: segment %s stores column %d as %s, the schema says %s: %w", s.snap.TabletID, path, c.uid, st, c.t, ErrUnsupported)
			}
			s.present[k] = len(idx)
			idx = append(idx, ci)
		}
		var preds []segment.Predicate
		for _, p := range s.prune {
			ci := seg.FindColumn(p.UniqueID)
			if ci < 0 {
				continue // the column's default for every row: left to the exact filter
			}
			preds = append(preds, segment.Predicate{Column: ci, Op: p.Op, Values: p.Values})
		}
		// With no stored column needed (e.g. COUNT(*)) it still produces the segment's rows.
		var lazy []int
		if s.lazy {
			// Read first: the columns of the conjuncts, the delete sign, and the columns of the
			// delete predicates that apply to this rowset; the others on demand.
			s.loadNow = make([]bool, len(s.cols))
			for k := range s.cols {
				s.loadNow[k] = s.first[k] || (s.predCols[k] && len(s.preds[s.rowset]) > 0)
				if !s.loadNow[k] && s.present[k] >= 0 {
					lazy = append(lazy, s.present[k])
				}
			}
		}
		s.it = seg.NewIterator(idx, segment.IteratorOptions{BatchSize: s.batchSize, Predicates: preds, Reuse: s.reuse, Lazy: lazy})
		s.segRows = seg.NumRows()
		return true, nil
	}
	return false, nil
}
