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

// column is an output column: where it is found by unique id and what it is.
type column struct {
	uid      int32
	t        types.T
	nullable bool
	def      *vector.Vector // one-row default for segments without the column (NULL if none)
}

// Scanner yields the rows of a snapshot.
type Scanner struct {
	r         *Reader
	snap      *Snapshot
	cols      []column
	batchSize int
	rowset    int // index of the current rowset
	seg       int // next segment of the current rowset
	storage   vault.Storage
	it        *segment.Iterator
	present   []int // for each output column, its index among the iterator's columns, or -1

	// AGGREGATE and UNIQUE tables: raw scans the key, sequence and requested columns, which
	// are folded by fold on the first Next; project picks the requested ones out of them.
	raw     *Scanner
	fold    *model.Model
	project []int
	merged  *vector.Batch
	pos     int
}

// Scan returns a scanner over the columns with the given unique ids of schema.
func (r *Reader) Scan(snap *Snapshot, schema *commonpb.TabletSchema, uniqueIDs []int32, batchSize int) (*Scanner, error) {
	switch schema.GetKeysType() {
	case commonpb.KeysType_DUP_KEYS:
		return r.scan(snap, schema, uniqueIDs, batchSize)
	case commonpb.KeysType_UNIQUE_KEYS:
		if schema.GetEnableUniqueKeyMergeOnWrite() {
			return nil, fmt.Errorf("tablet %d: merge-on-write UNIQUE KEY tables: %w", snap.TabletID, ErrUnsupported)
		}
	}
	// Merge on read: the key columns, the sequence column and the requested ones.
	cols := schema.GetColumns()
	nk := int(schema.GetNumKeyColumns())
	if nk > len(cols) {
		return nil, fmt.Errorf("tablet %d: %d key columns of %d", snap.TabletID, nk, len(cols))
	}
	var ids []int32
	var aggs []string
	at := map[int32]int{}
	add := func(c *commonpb.Column) {
		if _, ok := at[c.GetUniqueId()]; !ok {
			at[c.GetUniqueId()] = len(ids)
			ids = append(ids, c.GetUniqueId())
			aggs = append(aggs, c.GetAggregation())
		}
	}
	for _, c := range cols[:nk] {
		add(c)
	}
	seq := -1
	if schema.SequenceColIdx != nil {
		i := int(schema.GetSequenceColIdx())
		if i < 0 || i >= len(cols) {
			return nil, fmt.Errorf("tablet %d: sequence column %d of %d", snap.TabletID, i, len(cols))
		}
		add(cols[i])
		seq = at[cols[i].GetUniqueId()]
	}
	byID := map[int32]*commonpb.Column{}
	for _, c := range cols {
		byID[c.GetUniqueId()] = c
	}
	for _, id := range uniqueIDs {
		c, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("tablet %d: no column with unique id %d in the schema", snap.TabletID, id)
		}
		add(c)
	}
	m, err := model.New(schema.GetKeysType(), nk, aggs, seq)
	if err != nil {
		return nil, fmt.Errorf("tablet %d: %w", snap.TabletID, err)
	}
	raw, err := r.scan(snap, schema, ids, batchSize)
	if err != nil {
		return nil, err
	}
	s := &Scanner{r: r, snap: snap, batchSize: raw.batchSize, raw: raw, fold: m}
	for _, id := range uniqueIDs {
		s.project = append(s.project, at[id])
		s.cols = append(s.cols, raw.cols[at[id]])
	}
	return s, nil
}

// scan reads every row of every rowset, in version order, with no merge.
func (r *Reader) scan(snap *Snapshot, schema *commonpb.TabletSchema, uniqueIDs []int32, batchSize int) (*Scanner, error) {
	byID := map[int32]*commonpb.Column{}
	for _, c := range schema.GetColumns() {
		byID[c.GetUniqueId()] = c
	}
	s := &Scanner{r: r, snap: snap, batchSize: batchSize}
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
		s.cols = append(s.cols, col)
	}
	return s, nil
}

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

// Next returns the next batch, or nil at the end.
func (s *Scanner) Next(ctx context.Context) (*vector.Batch, error) {
	if s.raw != nil {
		return s.nextMerged(ctx)
	}
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
			s.it = nil
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
		return vector.NewBatch(out, b.N), nil
	}
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
func (s *Scanner) openNext(ctx context.Context) (bool, error) {
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
		s.seg++
		seg, err := segment.Open(ctx, s.storage, path, size)
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
		// With no stored column needed (e.g. COUNT(*)) it still produces the segment's rows.
		s.it = seg.NewIterator(idx, segment.IteratorOptions{BatchSize: s.batchSize})
		return true, nil
	}
	return false, nil
}

// nextMerged serves AGGREGATE and UNIQUE tables: on the first call it reads the whole
// snapshot (rows in version order), folds it by the model, and then hands out slices.
func (s *Scanner) nextMerged(ctx context.Context) (*vector.Batch, error) {
	if s.merged == nil {
		all := make([]*vector.Vector, len(s.raw.cols))
		for k, c := range s.raw.cols {
			all[k] = vector.NewWithCap(c.t, 0)
		}
		n := 0
		for {
			b, err := s.raw.Next(ctx)
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
		out := make([]*vector.Vector, len(s.project))
		for k, p := range s.project {
			out[k] = folded.Cols[p]
		}
		s.merged = vector.NewBatch(out, folded.N)
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
