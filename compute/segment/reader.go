package segment

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/bits"
	"sync"

	"github.com/doricdb/doric/compute/segment/encoding"
	"github.com/doricdb/doric/compute/segment/index"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/filecache"
	"github.com/doricdb/doric/vault"
	"google.golang.org/protobuf/encoding/protowire"
)

// tailRead is how many bytes Open reads from the end of the file at first: the trailer, the
// footer and, for most segments, the index blocks the writer put just before the footer.
const tailRead = 64 << 10

// Segment is an open segment file: its footer, and where to read its pages and indexes.
type Segment struct {
	storage vault.Storage
	path    string
	size    int64
	dataEnd int64 // where the footer starts
	f       *footer
	tail    []byte // the last bytes of the file, read by Open
	tailOff int64
	cache   *Cache // where its decoded pages are cached (Cache.Open); nil: nowhere

	mu       sync.Mutex // guards the lazily loaded indexes below
	indexes  []colIndexes
	shortKey *index.ShortKeyIndex
}

type colIndexes struct {
	ord    *index.Ordinal
	zones  []index.ZoneMap
	blooms []index.Bloom
}

// Open reads and validates the footer of the segment at path. size is the file's size when the
// caller knows it (from the rowset meta), or negative to ask the vault.
func Open(ctx context.Context, s vault.Storage, path string, size int64) (*Segment, error) {
	if size < 0 {
		info, err := s.Stat(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("segment %s: %w", path, err)
		}
		size = info.Size
	}
	if size < trailerSize {
		return nil, fmt.Errorf("segment %s: %w", path, corrupt("%d bytes is shorter than the %d-byte trailer", size, trailerSize))
	}
	n := min(size, tailRead)
	tail, err := vault.ReadRange(hinted(ctx, filecache.Index, size), s, path, size-n, n)
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", path, err)
	}
	seg := &Segment{storage: s, path: path, size: size, tail: tail, tailOff: size - n}
	if err := seg.parseTail(ctx); err != nil {
		return nil, fmt.Errorf("segment %s: %w", path, err)
	}
	seg.indexes = make([]colIndexes, len(seg.f.columns))
	return seg, nil
}

// parseTail decodes and validates the trailer and footer.
func (s *Segment) parseTail(ctx context.Context) error {
	tr := s.tail[len(s.tail)-trailerSize:]
	if string(tr[12:16]) != Magic {
		return corrupt("bad magic %q, want %q", tr[12:16], Magic)
	}
	if v := binary.LittleEndian.Uint32(tr[8:12]); v != FormatVersion {
		return corrupt("unsupported format version %d (this reader knows %d)", v, FormatVersion)
	}
	flen := int64(binary.LittleEndian.Uint32(tr[0:4]))
	if flen > s.size-trailerSize {
		return corrupt("footer length %d exceeds the file (%d bytes)", flen, s.size)
	}
	s.dataEnd = s.size - trailerSize - flen
	fb, err := s.readRange(ctx, s.dataEnd, flen)
	if err != nil {
		return err
	}
	if got, want := crc32.Checksum(fb, encoding.Castagnoli), binary.LittleEndian.Uint32(tr[4:8]); got != want {
		return corrupt("footer checksum mismatch (stored %08x, computed %08x)", want, got)
	}
	f, err := decodeFooter(fb)
	if err != nil {
		return err
	}
	if err := s.validate(f); err != nil {
		return err
	}
	s.f = f
	return nil
}

// readRange returns bytes [off, off+n) of the file, from the tail Open read when they are in it.
func (s *Segment) readRange(ctx context.Context, off, n int64) ([]byte, error) {
	if off >= s.tailOff && off+n <= s.size {
		return s.tail[off-s.tailOff : off-s.tailOff+n], nil
	}
	return vault.ReadRange(hinted(ctx, filecache.Index, s.size), s.storage, s.path, off, n)
}

// hinted tells a file cache under the vault what a read is: footers and index pages go to the
// index queue, data pages to the normal one, unless the caller already chose a queue (compaction
// reads are disposable); the object's size saves the cache a Stat.
func hinted(ctx context.Context, k filecache.Kind, size int64) context.Context {
	h := filecache.HintFrom(ctx)
	if h.Kind == filecache.Normal {
		h.Kind = k
	}
	h.Size = size
	return filecache.WithHint(ctx, h)
}

func (s *Segment) validPtr(p blockPtr) bool {
	return p.size >= encoding.MinBlockLen && p.off+p.size <= s.dataEnd
}

func (s *Segment) validate(f *footer) error {
	switch {
	case f.version != FormatVersion:
		return corrupt("footer version %d", f.version)
	case f.numRows > 0 && len(f.columns) == 0:
		return corrupt("%d rows and no columns", f.numRows)
	case f.compression > encoding.ZSTD:
		return corrupt("unknown compression %d", f.compression)
	case f.numSortKeys > len(f.columns):
		return corrupt("%d sort key columns of %d", f.numSortKeys, len(f.columns))
	case f.numShortKeys > f.numSortKeys || f.numShortKeys > index.ShortKeyMaxColumns:
		return corrupt("%d short key columns, %d sort key columns", f.numShortKeys, f.numSortKeys)
	}
	if f.numShortKeys > 0 {
		keyTypes := make([]types.T, f.numSortKeys)
		for i := range keyTypes {
			keyTypes[i] = f.columns[i].Type
		}
		if want := index.ShortKeyColumns(keyTypes); f.numShortKeys != want {
			return corrupt("%d short key columns, the sort key allows %d", f.numShortKeys, want)
		}
		if f.shortKeyInterval < 1 || f.shortKeyInterval > index.MaxPageRows || !s.validPtr(f.shortKeyIndex) {
			return corrupt("short key index interval %d at [%d, +%d)", f.shortKeyInterval, f.shortKeyIndex.off, f.shortKeyIndex.size)
		}
	}
	ids := map[int32]bool{}
	for _, c := range f.columns {
		if ids[c.UniqueID] {
			return corrupt("duplicate column %d", c.UniqueID)
		}
		ids[c.UniqueID] = true
		switch {
		case (c.NumPages == 0) != (f.numRows == 0) || int64(c.NumPages) > f.numRows:
			return corrupt("column %d has %d pages for %d rows", c.UniqueID, c.NumPages, f.numRows)
		case !s.validPtr(c.ordinal) || !s.validPtr(c.zones) || (c.HasBloom && !s.validPtr(c.bloom)):
			return corrupt("column %d: index block outside the data region [0, %d)", c.UniqueID, s.dataEnd)
		case c.Zone.NullCount > f.numRows || (!c.Nullable && c.Zone.NullCount > 0):
			return corrupt("column %d: %d NULLs in %d rows (nullable %v)", c.UniqueID, c.Zone.NullCount, f.numRows, c.Nullable)
		}
	}
	return nil
}

// readBlock reads and decodes the block at p; the result may alias the tail buffer.
func (s *Segment) readBlock(ctx context.Context, p blockPtr) ([]byte, error) {
	b, err := s.readRange(ctx, p.off, p.size)
	if err != nil {
		return nil, err
	}
	return encoding.DecodeBlock(b, nil)
}

// Path is the segment's vault path.
func (s *Segment) Path() string { return s.path }

// Size is the file's size in bytes.
func (s *Segment) Size() int64 { return s.size }

// NumRows is the number of rows.
func (s *Segment) NumRows() int64 { return s.f.numRows }

// Compression is the codec the writer compressed pages with (a page may still be stored
// uncompressed when compression did not pay).
func (s *Segment) Compression() encoding.Codec { return s.f.compression }

// NumSortKeyColumns is how many leading columns the rows are sorted by.
func (s *Segment) NumSortKeyColumns() int { return s.f.numSortKeys }

// NumShortKeyColumns is how many leading columns the short-key index covers.
func (s *Segment) NumShortKeyColumns() int { return s.f.numShortKeys }

// Columns describes the columns, in file order.
func (s *Segment) Columns() []ColumnInfo {
	out := make([]ColumnInfo, len(s.f.columns))
	for i, c := range s.f.columns {
		out[i] = c.ColumnInfo
	}
	return out
}

// FindColumn returns the index of the column with the unique id, or -1.
func (s *Segment) FindColumn(uniqueID int32) int {
	for i, c := range s.f.columns {
		if c.UniqueID == uniqueID {
			return i
		}
	}
	return -1
}

func (s *Segment) columnErr(c int, err error) error {
	return fmt.Errorf("segment %s: column %d: %w", s.path, s.f.columns[c].UniqueID, err)
}

// Ordinal returns the ordinal index of column c, reading it on first use.
func (s *Segment) Ordinal(ctx context.Context, c int) (*index.Ordinal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.indexes[c].ord; o != nil {
		return o, nil
	}
	m := &s.f.columns[c]
	body, err := s.readBlock(ctx, m.ordinal)
	if err != nil {
		return nil, s.columnErr(c, fmt.Errorf("ordinal index: %w", err))
	}
	o, err := index.DecodeOrdinal(body, m.NumPages, s.f.numRows, s.dataEnd)
	if err != nil {
		return nil, s.columnErr(c, err)
	}
	s.indexes[c].ord = o
	return o, nil
}

// ZoneMaps returns the zone map of every page of column c, reading them on first use.
func (s *Segment) ZoneMaps(ctx context.Context, c int) ([]index.ZoneMap, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if z := s.indexes[c].zones; z != nil || s.f.columns[c].NumPages == 0 {
		return z, nil
	}
	m := &s.f.columns[c]
	body, err := s.readBlock(ctx, m.zones)
	if err != nil {
		return nil, s.columnErr(c, fmt.Errorf("zone map index: %w", err))
	}
	var zones []index.ZoneMap
	err = index.Fields(body, func(num protowire.Number, _ uint64, b []byte, isBytes bool) error {
		if num != 1 {
			return nil
		}
		if !isBytes {
			return corrupt("zone map index: field 1 is not a message")
		}
		z, err := index.DecodeZoneMap(m.Type, b)
		zones = append(zones, z)
		return err
	})
	if err == nil && len(zones) != m.NumPages {
		err = corrupt("zone map index has %d zones for %d pages", len(zones), m.NumPages)
	}
	if err != nil {
		return nil, s.columnErr(c, err)
	}
	s.indexes[c].zones = zones
	return zones, nil
}

// BloomFilters returns the bloom filter of every page of column c (nil when the column has
// none), reading them on first use.
func (s *Segment) BloomFilters(ctx context.Context, c int) ([]index.Bloom, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &s.f.columns[c]
	if b := s.indexes[c].blooms; b != nil || !m.HasBloom || m.NumPages == 0 {
		return b, nil
	}
	body, err := s.readBlock(ctx, m.bloom)
	if err != nil {
		return nil, s.columnErr(c, fmt.Errorf("bloom filter index: %w", err))
	}
	blooms, err := index.DecodeBloomIndex(body, m.NumPages)
	if err != nil {
		return nil, s.columnErr(c, err)
	}
	s.indexes[c].blooms = blooms
	return blooms, nil
}

// ShortKeyIndex returns the short-key index (nil when the segment has no sort key), reading it
// on first use.
func (s *Segment) ShortKeyIndex(ctx context.Context) (*index.ShortKeyIndex, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shortKey != nil || s.f.numShortKeys == 0 {
		return s.shortKey, nil
	}
	body, err := s.readBlock(ctx, s.f.shortKeyIndex)
	if err == nil {
		s.shortKey, err = index.DecodeShortKeyIndex(body, s.f.shortKeyInterval, s.f.numRows)
	}
	if err != nil {
		return nil, fmt.Errorf("segment %s: short key index: %w", s.path, err)
	}
	return s.shortKey, nil
}

// decodePage decodes the body of a data page of n rows of column m into a vector: into, whose
// buffers it reuses, or a new one when into is nil.
func decodePage(dec *encoding.Decoder, body []byte, m *ColumnInfo, n int, into *vector.Vector) (*vector.Vector, error) {
	rows, k := binary.Uvarint(body)
	if k <= 0 || rows != uint64(n) {
		return nil, corrupt("page holds %d values, the ordinal index says %d", rows, n)
	}
	body = body[k:]
	nulls, k := binary.Uvarint(body)
	if k <= 0 || nulls > uint64(n) {
		return nil, corrupt("page has a bad NULL count")
	}
	body = body[k:]
	v := resize(into, m.Type, n)
	if nulls > 0 {
		if !m.Nullable {
			return nil, corrupt("NULLs in a non-nullable column")
		}
		nb := (n + 7) / 8
		if len(body) < nb {
			return nil, corrupt("truncated null bitmap")
		}
		bm := v.Nulls[:0]
		if cap(bm) < (n+63)/64 {
			bm = vector.NewBitmap(n)
		} else {
			bm = bm[:(n+63)/64]
			clear(bm)
		}
		for i, b := range body[:nb] {
			bm[i/8] |= uint64(b) << (8 * (i % 8))
		}
		if n%8 != 0 && body[nb-1]>>(n%8) != 0 {
			return nil, corrupt("null bitmap has bits past the last row")
		}
		count := 0
		for _, w := range bm {
			count += bits.OnesCount64(w)
		}
		if count != int(nulls) {
			return nil, corrupt("null bitmap has %d NULLs, the page header %d", count, nulls)
		}
		v.Nulls = bm
		body = body[nb:]
	} else {
		v.Nulls = nil
	}
	m2 := n - int(nulls)
	var used int
	var err error
	switch m.Type.Physical() {
	case types.PhysInt64:
		used, err = dec.Int64s(v.Int64[:m2], body)
		if err == nil && nulls > 0 {
			scatter(v.Int64, m2, v.Nulls)
		}
	case types.PhysInt128:
		used, err = dec.Int128s(v.Int128[:m2], body)
		if err == nil && nulls > 0 {
			scatter(v.Int128, m2, v.Nulls)
		}
	case types.PhysFloat64:
		used, err = dec.Float64s(v.Float64[:m2], body)
		if err == nil && nulls > 0 {
			scatter(v.Float64, m2, v.Nulls)
		}
	default:
		used, err = dec.Bytes(v.Bytes[:m2], body)
		if err == nil && nulls > 0 {
			scatter(v.Bytes, m2, v.Nulls)
		}
	}
	if err != nil {
		return nil, err
	}
	if used != len(body) {
		return nil, corrupt("%d bytes after the page's values", len(body)-used)
	}
	return v, nil
}

// resize returns a vector of n values of type t: into with its buffers resized when they are
// big enough, else new buffers; a new vector when into is nil. Values are left as they were.
func resize(into *vector.Vector, t types.T, n int) *vector.Vector {
	if into == nil {
		return vector.New(t, n)
	}
	v := into
	v.Type = t
	switch t.Physical() {
	case types.PhysInt64:
		v.Int64 = reslice(v.Int64, n)
	case types.PhysInt128:
		v.Int128 = reslice(v.Int128, n)
	case types.PhysFloat64:
		v.Float64 = reslice(v.Float64, n)
	default:
		v.Bytes = reslice(v.Bytes, n)
	}
	return v
}

func reslice[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// scatter spreads the first m values of s (the non-NULL rows, in order) to the rows of s that
// the bitmap does not mark NULL; NULL rows get the zero value.
func scatter[T any](s []T, m int, nulls vector.Bitmap) {
	var zero T
	j := m - 1
	for i := len(s) - 1; i >= 0; i-- {
		if nulls.Get(i) {
			s[i] = zero
			continue
		}
		s[i] = s[j]
		j--
	}
}
