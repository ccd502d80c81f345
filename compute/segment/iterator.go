package segment

import (
	"context"
	"fmt"
	"sort"

	"github.com/doricdb/doric/compute/segment/encoding"
	"github.com/doricdb/doric/compute/segment/index"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/filecache"
	"github.com/doricdb/doric/vault"
)

// IteratorOptions tune an Iterator. Zero values mean the defaults.
type IteratorOptions struct {
	BatchSize int // rows per batch at most (default 4096)
	// Predicates restrict the rows read to the row ranges Prune keeps. The iterator still
	// returns every row of those ranges: callers filter exactly.
	Predicates []Predicate
	// ReadAhead is the most bytes one read fetches: consecutive needed pages of a column that lie
	// together in the file are read at once, up to this size (default 1 MiB).
	ReadAhead int
	// Reuse lets the iterator decode later pages into the buffers of earlier ones: a batch stays
	// valid only until the next call to Next. This departs from the ownership rule of package
	// vector (a batch is never modified once handed over); it is for consumers that are done
	// with a batch before they ask for the next one and keep no reference to it (aggregation,
	// compaction, exporting), which then save an allocation per page (and per read).
	Reuse bool
	// Lazy lists columns (positions in the iterator's column list) that the caller loads only
	// for some batches: it moves on with Advance and asks for columns with Column (late
	// materialization). A page of a lazy column that no batch asks for is never decoded nor
	// looked up in the Cache, and is read only as part of a read-ahead window: a lazy column's
	// reads start with the one page asked for, and while the asks stay on consecutive pages
	// each read covers up to twice the pages of the one before (1, 2, 4, ..., within ReadAhead
	// bytes); a skipped page starts again at one. So a sparse ask reads just its pages, a dense
	// one reads in big runs, and the pages read ahead in vain never outnumber those asked for.
	Lazy []int
}

// ReadStats counts an iterator's work.
type ReadStats struct {
	PruneStats
	Reads       int   // ranged reads of page bytes
	BytesRead   int64 // bytes those reads fetched
	PagesRead   int   // pages decoded
	PagesCached int   // pages taken decoded from the segment's Cache
	RowsOutput  int64 // rows of the batches Next and Advance moved over
}

// Iterator reads rows of some columns of a segment in order, in batches.
type Iterator struct {
	seg     *Segment
	cols    []colReader
	opts    IteratorOptions
	started bool
	ranges  []RowRange
	rng     int   // current range
	row     int64 // next row to return: the end of the current batch
	lastRow int64 // the first row of the current batch
	n       int   // its length (0: none, or the end)
	err     error // the first error Next returned
	stats   ReadStats
	dec     encoding.Decoder
	scratch []byte
}

type colReader struct {
	c          int
	meta       *ColumnInfo
	ord        *index.Ordinal
	lazy       bool  // read on demand (IteratorOptions.Lazy)
	lastLoad   int   // lazy: the page loaded last (-2: none)
	window     int   // lazy: how many pages the last read covered
	streak     bool  // lazy: every load since the last read was of the page after the one before
	page       int   // the page that holds the current batch
	pStart     int64 // its rows: [pStart, pEnd) (none yet: both 0)
	pEnd       int64
	start, end int64 // rows of the decoded page (none yet: both 0)
	v          *vector.Vector
	buf        []byte // bytes [bufOff, bufOff+len(buf)) of the file
	bufOff     int64
	raw        []byte // decompression buffer of string pages, with Reuse
	shared     bool   // buf holds bytes a cached page points into
}

// NewIterator returns an iterator over the columns with the given indexes (in that order).
// Batches never straddle a page boundary, so their vectors share the decoded pages. With no
// columns it still yields batches (of no columns) with the row counts.
func (s *Segment) NewIterator(cols []int, opts IteratorOptions) *Iterator {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 4096
	}
	if opts.ReadAhead <= 0 {
		opts.ReadAhead = 1 << 20
	}
	it := &Iterator{seg: s, opts: opts, cols: make([]colReader, len(cols))}
	for k, c := range cols {
		it.cols[k] = colReader{c: c, lastLoad: -2}
	}
	for _, k := range opts.Lazy {
		if k >= 0 && k < len(cols) {
			it.cols[k].lazy = true
		}
	}
	return it
}

// Stats returns what the iterator did so far.
func (it *Iterator) Stats() ReadStats { return it.stats }

// Ordinal is the segment row number of the first row of the batch Next returned last.
func (it *Iterator) Ordinal() int64 { return it.lastRow }

func (it *Iterator) start(ctx context.Context) error {
	it.started = true
	s := it.seg
	for k := range it.cols {
		cr := &it.cols[k]
		if cr.c < 0 || cr.c >= len(s.f.columns) {
			return fmt.Errorf("segment %s: column %d of %d", s.path, cr.c, len(s.f.columns))
		}
		cr.meta = &s.f.columns[cr.c].ColumnInfo
		ord, err := s.Ordinal(ctx, cr.c)
		if err != nil {
			return err
		}
		cr.ord = ord
	}
	if len(it.opts.Predicates) == 0 {
		if s.f.numRows > 0 {
			it.ranges = []RowRange{{0, s.f.numRows}}
		}
		it.stats.Rows = s.f.numRows
		return nil
	}
	ranges, st, err := s.Prune(ctx, it.opts.Predicates)
	if err != nil {
		return err
	}
	it.ranges, it.stats.PruneStats = ranges, st
	return nil
}

// Next returns the next batch (of every column), or nil at the end. After an error the
// iterator is done: every later call returns the same error.
func (it *Iterator) Next(ctx context.Context) (*vector.Batch, error) {
	n, err := it.Advance(ctx)
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]*vector.Vector, len(it.cols))
	for k := range it.cols {
		if out[k], err = it.Column(ctx, k); err != nil {
			return nil, err
		}
	}
	return vector.NewBatch(out, n), nil
}

// Advance moves to the next batch of rows and returns its length, 0 at the end; it reads no
// page: Column loads the columns the caller wants of it. Batches never straddle a page boundary
// of any of the iterator's columns. After an error the iterator is done: every later call (of
// Advance, Next or Column) returns the same error.
func (it *Iterator) Advance(ctx context.Context) (int, error) {
	if it.err != nil {
		return 0, it.err
	}
	n, err := it.advance(ctx)
	if err != nil {
		it.err = err
	}
	return n, err
}

func (it *Iterator) advance(ctx context.Context) (int, error) {
	if !it.started {
		if err := it.start(ctx); err != nil {
			return 0, err
		}
	}
	for it.rng < len(it.ranges) && it.row >= it.ranges[it.rng].End {
		it.rng++
	}
	if it.rng >= len(it.ranges) {
		it.n = 0
		return 0, nil
	}
	r := it.ranges[it.rng]
	it.row = max(it.row, r.Start)
	end := min(r.End, it.row+int64(it.opts.BatchSize))
	for k := range it.cols {
		cr := &it.cols[k]
		if it.row < cr.pStart || it.row >= cr.pEnd {
			cr.page = cr.ord.Page(it.row)
			cr.pStart, cr.pEnd = cr.ord.Rows(cr.page)
		}
		end = min(end, cr.pEnd)
	}
	n := int(end - it.row)
	it.lastRow, it.n = it.row, n
	it.row = end
	it.stats.RowsOutput += int64(n)
	return n, nil
}

// Column returns column k (a position in the iterator's column list) of the current batch,
// the one Advance moved to last, reading and decoding its page unless that is done already.
// The vector shares the decoded page (see IteratorOptions.Reuse for how long it stays valid).
func (it *Iterator) Column(ctx context.Context, k int) (*vector.Vector, error) {
	if it.err != nil {
		return nil, it.err
	}
	if k < 0 || k >= len(it.cols) || it.n == 0 {
		it.err = fmt.Errorf("BUG: segment %s: column %d of %d, batch [%d, %d)", it.seg.path, k, len(it.cols), it.lastRow, it.row)
		return nil, it.err
	}
	cr := &it.cols[k]
	if it.lastRow < cr.start || it.lastRow >= cr.end {
		if err := it.load(ctx, cr, cr.page); err != nil {
			it.err = err
			return nil, err
		}
	}
	return cr.v.Slice(int(it.lastRow-cr.start), int(it.row-cr.start)), nil
}

// needed reports whether rows [start, end) overlap a range not yet passed.
func (it *Iterator) needed(start, end int64) bool {
	rs := it.ranges[it.rng:]
	k := sort.Search(len(rs), func(i int) bool { return rs[i].End > start })
	return k < len(rs) && rs[k].Start < end
}

// maxLazyWindow bounds the pages one read of a lazy column covers (ReadAhead bounds its bytes).
const maxLazyWindow = 1 << 10

// load decodes page p of a column — or takes it from the segment's cache — reading it (and the
// needed pages that follow it in the file, up to ReadAhead bytes) unless an earlier read already
// fetched it.
func (it *Iterator) load(ctx context.Context, cr *colReader, p int) error {
	s := it.seg
	ord := cr.ord
	cache := s.cache
	if cr.lazy {
		if p != cr.lastLoad+1 {
			cr.streak = false
		}
		cr.lastLoad = p
	}
	if cache != nil {
		if v, sp := cache.page(s, cr.c, p); v != nil || sp != nil {
			if sp != nil {
				v = sp.vector()
			}
			cr.start, cr.end = ord.Rows(p)
			cr.v = v
			it.stats.PagesCached++
			return nil
		}
	}
	// Buffers are reused (IteratorOptions.Reuse) only for pages that are not cached: a cached
	// vector, and the bytes its strings point into, are shared.
	reuse := it.opts.Reuse && cache == nil
	off, size := ord.Offset[p], ord.Size[p]
	if off < cr.bufOff || off+size > cr.bufOff+int64(len(cr.buf)) {
		end := off + size
		window := ord.Len()
		if cr.lazy {
			// A lazy column asked for page after page reads ahead like the others, in windows
			// of twice the pages of the last read while every page since was asked for (one
			// page after a skip).
			window = 1
			if cr.streak {
				window = min(2*cr.window, maxLazyWindow)
			}
			cr.streak = true
		}
		q := p + 1
		for ; q < p+window && q < ord.Len() && ord.Offset[q] == end && end+ord.Size[q]-off <= int64(it.opts.ReadAhead); q++ {
			if qs, qe := ord.Rows(q); !it.needed(qs, qe) {
				break
			}
			end += ord.Size[q]
		}
		if cr.lazy {
			cr.window = q - p
		}
		var buf []byte
		var err error
		if it.opts.Reuse && int64(cap(cr.buf)) >= end-off && !cr.shared { // the pages it held are done with
			buf = cr.buf[:end-off]
			err = s.storage.ReadAt(hinted(ctx, filecache.Normal, s.size), s.path, buf, off)
		} else {
			buf, err = vault.ReadRange(hinted(ctx, filecache.Normal, s.size), s.storage, s.path, off, end-off)
		}
		if err != nil {
			cr.buf, cr.bufOff = nil, 0 // possibly overwritten in part
			return fmt.Errorf("segment %s: %w", s.path, err)
		}
		cr.buf, cr.bufOff, cr.shared = buf, off, false
		it.stats.Reads++
		it.stats.BytesRead += end - off
	}
	block := cr.buf[off-cr.bufOff : off-cr.bufOff+size]
	// Strings alias the decoded bytes, so they get a buffer of their own (reused only with
	// Reuse); other types copy out of a scratch buffer shared by the columns.
	strs := cr.meta.Type.Physical() == types.PhysBytes
	var scratch []byte
	switch {
	case !strs:
		scratch = it.scratch
	case reuse:
		scratch = cr.raw
	}
	body, err := encoding.DecodeBlock(block, scratch)
	if err != nil {
		return it.pageErr(cr, p, err)
	}
	compressed := encoding.Codec(block[0]) != encoding.None
	if compressed && cap(body) > cap(scratch) {
		switch {
		case !strs:
			it.scratch = body[:0]
		case reuse:
			cr.raw = body[:0]
		}
	}
	var into *vector.Vector
	if reuse {
		into = cr.v
	}
	start, end := ord.Rows(p)
	v, err := decodePage(&it.dec, body, cr.meta, int(end-start), into)
	if err != nil {
		return it.pageErr(cr, p, err)
	}
	cr.start, cr.end, cr.v = start, end, v
	it.stats.PagesRead++
	if cache == nil {
		return nil
	}
	if !strs {
		cache.putPage(s, cr.c, p, v)
		return nil
	}
	// Strings are cached as a strPage, which takes v as its first (shared) vector.
	sp, err := newStrPage(body, v)
	if err != nil {
		return it.pageErr(cr, p, err)
	}
	if !compressed {
		cr.shared = true // the cached strings point into cr.buf: not to be read into again
	}
	if sp != nil { // else too big for 32-bit offsets: not cached
		cache.putStrPage(s, cr.c, p, sp)
	}
	return nil
}

func (it *Iterator) pageErr(cr *colReader, p int, err error) error {
	return fmt.Errorf("segment %s: column %d page %d (rows %d.., offset %d): %w", it.seg.path, cr.meta.UniqueID, p,
		cr.ord.FirstRow[p], cr.ord.Offset[p], err)
}
