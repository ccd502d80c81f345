package load

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/model"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
)

// Defaults of the memtable.
const (
	// DefaultFlushBytes is how many bytes of rows a tablet's memtable holds before it is sorted,
	// folded and flushed as a segment (Doris's write_buffer_size is 200 MB; ours is smaller
	// because a load holds one memtable per tablet it writes).
	DefaultFlushBytes = 64 << 20
	// DefaultMaxSegments is how many segments a rowset of a DUPLICATE table may have before
	// they are merged at Close (Doris's segcompaction_batch_size).
	DefaultMaxSegments = 10
)

// Session writes the rows of one load into the tablets of one sink: rows arrive in any number
// of batches (Append) and become one rowset per tablet written (Close).
//
// Each tablet has a memtable. When its rows pass Loader.FlushBytes they are sorted by key, folded
// by the table model and written as the next segment of the tablet's rowset (PrepareRowset, the
// recycle marker, comes before the first upload). At Close the remaining rows are flushed; then a
// rowset whose segments overlap is merged (model.Merge, streaming, one batch per segment in
// memory) into one sorted run of segments under a new rowset id — always for AGGREGATE and UNIQUE
// tables, so that their rowsets hold each key once, and for DUPLICATE tables when there are more
// than Loader.MaxSegments segments (segment compaction before commit). Finally CommitRowset
// registers each rowset with the txn. A failure anywhere fails Close; nothing is committed before
// every tablet is done, so the caller aborts the txn on error and the recycler reclaims the
// files. A Session is used by one goroutine (its flushes run in the background, at most
// Loader.Parallel at a time).
type Session struct {
	l       *Loader
	loadID  string
	txnID   int64
	sink    *computepb.TabletSink
	storage vault.Storage
	specs   []segment.ColumnSpec
	opts    segment.Options
	model   *model.Model
	flushAt int64

	tablets map[int64]*memtable
	rows    int64 // rows appended

	wg    sync.WaitGroup
	sem   chan struct{}
	mu    sync.Mutex
	err   error // first background failure
	ctx   context.Context
	abort context.CancelFunc
}

// memtable is one tablet's rows not yet flushed, and its rowset so far.
type memtable struct {
	tabletID  int64
	partition int64
	pieces    []*vector.Batch // the rows of each Append, gathered (joined once, at flush)
	n         int
	bytes     int64

	meta   *metapb.RowsetMeta // the rowset, once its first flush prepared it
	merged bool               // its segments are one sorted run (compactSegments wrote them)

	mu    sync.Mutex // guards sizes and rows, which background flushes fill in
	sizes []int64    // per segment id (assigned in flush order: the age order of the rows)
	rows  []int64
}

func (mt *memtable) totalRows() int64 {
	var n int64
	for _, r := range mt.rows {
		n += r
	}
	return n
}

// Open starts a session for txnID into sink (one partition).
func (l *Loader) Open(ctx context.Context, loadID string, txnID int64, sink *computepb.TabletSink) (*Session, error) {
	req := &computepb.WriteRequest{LoadId: loadID, TxnId: txnID, Sink: sink}
	if err := checkSink(req); err != nil {
		return nil, err
	}
	schema := sink.GetSchema()
	storage, err := l.Vaults(ctx, sink.GetVaultId())
	if err != nil {
		return nil, fmt.Errorf("load %s: vault %q: %w", loadID, sink.GetVaultId(), err)
	}
	s := &Session{l: l, loadID: loadID, txnID: txnID, sink: sink, storage: storage, tablets: map[int64]*memtable{},
		flushAt: l.FlushBytes}
	if s.flushAt <= 0 {
		s.flushAt = DefaultFlushBytes
	}
	s.specs = make([]segment.ColumnSpec, len(schema.GetColumns()))
	for i, c := range schema.GetColumns() {
		s.specs[i] = segment.ColumnSpec{UniqueID: c.GetUniqueId(), Type: types.FromProto(c.GetType()), Nullable: c.GetNullable()}
	}
	s.opts = l.Segment
	s.opts.NumSortKeyColumns = int(schema.GetNumKeyColumns())
	s.opts.BloomFilterColumns = schema.GetBloomFilterColumns()
	if s.opts.Compression, err = segment.ParseCompression(schema.GetCompression()); err != nil {
		return nil, fmt.Errorf("%w: table property compression: %w", ErrInvalidInput, err)
	}
	if s.model, err = model.ForSchema(schema); err != nil {
		return nil, fmt.Errorf("BUG: schema checked, yet: %w", err)
	}
	par := l.Parallel
	if par <= 0 {
		par = 4
	}
	s.sem = make(chan struct{}, par)
	s.ctx, s.abort = context.WithCancel(context.WithoutCancel(ctx))
	return s, nil
}

// Append adds rows (every column of the schema, in schema order, of the column types). Rows that
// violate the schema fail it with an error wrapping ErrInvalidInput naming row (of b), column
// and value; the session is then unusable.
func (s *Session) Append(ctx context.Context, b *vector.Batch) error {
	if err := s.failed(); err != nil {
		return err
	}
	if err := checkRows(s.sink.GetSchema(), b); err != nil {
		return s.fail(err)
	}
	if b.N == 0 {
		return nil
	}
	part := s.sink.GetPartitions()[0]
	for _, w := range route(b, s.sink.GetDistributionColumns(), part) {
		mt := s.tablets[w.tabletID]
		if mt == nil {
			mt = &memtable{tabletID: w.tabletID, partition: w.partition}
			s.tablets[w.tabletID] = mt
		}
		cols := make([]*vector.Vector, len(b.Cols))
		for k, c := range b.Cols {
			cols[k] = c.Gather(w.rows)
			mt.bytes += rowBytes(c, w.rows)
		}
		mt.pieces = append(mt.pieces, vector.NewBatch(cols, len(w.rows)))
		mt.n += len(w.rows)
		if mt.bytes >= s.flushAt {
			if err := s.flush(ctx, mt); err != nil {
				return err
			}
		}
	}
	s.rows += int64(b.N)
	return nil
}

// join concatenates batches of n rows in all into one (allocated once, at its size).
func join(pieces []*vector.Batch, n int) *vector.Batch {
	if len(pieces) == 1 {
		return pieces[0]
	}
	cols := make([]*vector.Vector, len(pieces[0].Cols))
	for k, c := range pieces[0].Cols {
		cols[k] = vector.NewWithCap(c.Type, n)
		for _, p := range pieces {
			cols[k].AppendRange(p.Cols[k], 0, p.N)
		}
	}
	return vector.NewBatch(cols, n)
}

// rowBytes estimates the memory of rows of v.
func rowBytes(v *vector.Vector, rows []int32) int64 {
	switch v.Type.Physical() {
	case types.PhysInt64, types.PhysFloat64:
		return 8 * int64(len(rows))
	case types.PhysInt128:
		return 16 * int64(len(rows))
	}
	n := 24 * int64(len(rows))
	for _, r := range rows {
		n += int64(len(v.Bytes[r]))
	}
	return n
}

// flush hands mt's rows to a background upload as its tablet's next segment (the segment id is
// taken here, in the order the rows came).
func (s *Session) flush(ctx context.Context, mt *memtable) error {
	rows := join(mt.pieces, mt.n)
	mt.pieces, mt.n, mt.bytes = nil, 0, 0
	if mt.meta == nil {
		// The tablet's first segment of this load: refuse it over max_tablet_version_num (-235)
		// before anything is uploaded.
		if err := s.l.checkVersions(ctx, []*tabletRows{{tabletID: mt.tabletID, partition: mt.partition}}); err != nil {
			return s.fail(err)
		}
	}
	if err := s.prepare(ctx, mt); err != nil {
		return s.fail(err)
	}
	mt.mu.Lock()
	id := len(mt.sizes)
	mt.sizes = append(mt.sizes, 0)
	mt.rows = append(mt.rows, 0)
	mt.mu.Unlock()
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return s.fail(ctx.Err())
	case <-s.ctx.Done():
		return s.failed()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-s.sem }()
		if err := s.writeSegment(s.ctx, mt, id, rows); err != nil {
			s.fail(err)
		}
	}()
	return nil
}

func (s *Session) fail(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
		s.abort()
	}
	return s.err
}

func (s *Session) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *Session) now() time.Time {
	if s.l.Now != nil {
		return s.l.Now()
	}
	return time.Now()
}

// prepare gives mt a rowset (and its recycle marker) when it has none.
func (s *Session) prepare(ctx context.Context, mt *memtable) error {
	if mt.meta != nil {
		return nil
	}
	m := &metapb.RowsetMeta{RowsetId: newRowsetID(), TabletId: mt.tabletID, PartitionId: mt.partition,
		IndexId: s.sink.GetIndexId(), TxnId: s.txnID, VaultId: s.sink.GetVaultId(), CreationTimeMs: s.now().UnixMilli()}
	if _, err := s.l.Meta.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{InstanceId: s.l.InstanceID, Rowset: m}); err != nil {
		return fmt.Errorf("load %s: prepare rowset of tablet %d: %w", s.loadID, mt.tabletID, err)
	}
	mt.meta = m
	return nil
}

// writeSegment sorts and folds rows and writes them as segment id of mt's rowset.
func (s *Session) writeSegment(ctx context.Context, mt *memtable, id int, rows *vector.Batch) error {
	folded, err := s.model.Apply(rows)
	if err != nil {
		return err
	}
	info, err := segment.WriteToVault(ctx, s.storage, vault.SegmentPath(mt.tabletID, mt.meta.GetRowsetId(), id), s.specs, s.opts,
		func(w *segment.Writer) error { return w.Append(folded) })
	if err != nil {
		return fmt.Errorf("load %s: tablet %d: %w", s.loadID, mt.tabletID, err)
	}
	mt.mu.Lock()
	mt.sizes[id], mt.rows[id] = info.Size, info.NumRows
	mt.mu.Unlock()
	return nil
}

// Close flushes every memtable, merges overlapping segments where needed, and commits each
// tablet's rowset to the txn. It returns what Write returns.
func (s *Session) Close(ctx context.Context) (*computepb.WriteResponse, error) {
	ids := make([]int64, 0, len(s.tablets))
	for id := range s.tablets {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if mt := s.tablets[id]; mt.n > 0 {
			if err := s.flush(ctx, mt); err != nil {
				break
			}
		}
	}
	s.wg.Wait()
	if err := s.failed(); err != nil {
		return nil, err
	}
	maxSegs := s.l.MaxSegments
	if maxSegs <= 0 {
		maxSegs = DefaultMaxSegments
	}
	for _, id := range ids {
		mt := s.tablets[id]
		if len(mt.sizes) > 1 && (s.model.Folds() || len(mt.sizes) > maxSegs) {
			s.sem <- struct{}{}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer func() { <-s.sem }()
				if err := s.compactSegments(s.ctx, mt); err != nil {
					s.fail(err)
				}
			}()
		}
	}
	s.wg.Wait()
	if err := s.failed(); err != nil {
		return nil, err
	}
	resp := &computepb.WriteResponse{NumRows: s.rows}
	for _, id := range ids {
		mt := s.tablets[id]
		if mt.meta == nil {
			continue
		}
		mt.meta.NumSegments = int32(len(mt.sizes))
		mt.meta.SegmentSizes = mt.sizes
		mt.meta.NumRows = mt.totalRows()
		mt.meta.SegmentsOverlap = len(mt.sizes) > 1 && !mt.merged
		var total int64
		for _, z := range mt.sizes {
			total += z
		}
		mt.meta.TotalSize = total
		if _, err := s.l.Meta.CommitRowset(ctx, &metapb.CommitRowsetRequest{InstanceId: s.l.InstanceID, Rowset: mt.meta}); err != nil {
			return nil, fmt.Errorf("load %s: commit rowset %s of tablet %d: %w", s.loadID, mt.meta.GetRowsetId(), id, err)
		}
		resp.Tablets = append(resp.Tablets, &computepb.TabletCommitInfo{TabletId: id, RowsetId: mt.meta.GetRowsetId(), NumRows: mt.meta.GetNumRows()})
	}
	if s.l.Written != nil && len(resp.Tablets) > 0 {
		ids := make([]int64, len(resp.Tablets))
		for i, t := range resp.Tablets {
			ids[i] = t.GetTabletId()
		}
		s.l.Written(s.sink, ids)
	}
	return resp, nil
}

// Abort stops background flushes; the files written stay behind their recycle markers.
func (s *Session) Abort() {
	s.fail(errors.New("load aborted"))
	s.wg.Wait()
}

// compactSegments merges mt's overlapping segments into one sorted, folded run of segments of a
// new rowset, and drops the old files (their recycle marker stays; nothing references them).
func (s *Session) compactSegments(ctx context.Context, mt *memtable) error {
	old := mt.meta
	var inputs []model.Iterator
	for i, size := range mt.sizes {
		seg, err := segment.Open(ctx, s.storage, vault.SegmentPath(mt.tabletID, old.GetRowsetId(), i), size)
		if err != nil {
			return fmt.Errorf("load %s: tablet %d: segment compaction: %w", s.loadID, mt.tabletID, err)
		}
		cols := make([]int, len(s.specs))
		for k, sp := range s.specs {
			cols[k] = seg.FindColumn(sp.UniqueID)
		}
		inputs = append(inputs, seg.NewIterator(cols, segment.IteratorOptions{}))
	}
	merged := s.model.Merge(inputs, 4096)
	out := &memtable{tabletID: mt.tabletID, partition: mt.partition}
	if err := s.prepare(ctx, out); err != nil {
		return err
	}
	// Segments of the merged run roll over at about the flush size (estimated from the inputs).
	var inBytes, inRows int64
	for _, z := range mt.sizes {
		inBytes += z
	}
	inRows = mt.totalRows()
	rollRows := inRows
	if inBytes > s.flushAt && inRows > 0 {
		rollRows = max(inRows*s.flushAt/inBytes, 1)
	}
	var pending *vector.Batch
	for done := false; !done; {
		id := len(out.sizes)
		var written int64
		info, err := segment.WriteToVault(ctx, s.storage, vault.SegmentPath(out.tabletID, out.meta.GetRowsetId(), id), s.specs, s.opts,
			func(w *segment.Writer) error {
				for written < rollRows {
					b := pending
					pending = nil
					if b == nil {
						var err error
						if b, err = merged.Next(ctx); err != nil {
							return err
						}
					}
					if b == nil {
						done = true
						return nil
					}
					if err := w.Append(b); err != nil {
						return err
					}
					written += int64(b.N)
				}
				return nil
			})
		if err != nil {
			return fmt.Errorf("load %s: tablet %d: segment compaction: %w", s.loadID, mt.tabletID, err)
		}
		if info.NumRows == 0 && done && id > 0 {
			// The last segment came out empty: drop it.
			_ = s.storage.Delete(ctx, vault.SegmentPath(out.tabletID, out.meta.GetRowsetId(), id))
			break
		}
		out.sizes = append(out.sizes, info.Size)
		out.rows = append(out.rows, info.NumRows)
	}
	_ = s.storage.DeletePrefix(ctx, vault.RowsetPrefix(mt.tabletID, old.GetRowsetId())) // best effort: the marker covers it
	mt.meta, mt.sizes, mt.rows, mt.merged = out.meta, out.sizes, out.rows, true
	return nil
}
