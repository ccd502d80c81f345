package segment

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
)

// tailRead is how many bytes Open reads from the end of the file at first: the trailer and, for
// all but very wide segments, the whole footer.
const tailRead = 64 << 10

// Segment is an open segment file: its footer, and where to read its pages.
type Segment struct {
	storage vault.Storage
	path    string
	size    int64
	f       *footer
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
		return nil, fmt.Errorf("segment %s: %w", path, corrupt("%d bytes is shorter than the trailer", size))
	}
	n := min(size, tailRead)
	tail, err := vault.ReadRange(ctx, s, path, size-n, n)
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", path, err)
	}
	f, err := parseTail(tail, size, func(off, n int64) ([]byte, error) { return vault.ReadRange(ctx, s, path, off, n) })
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", path, err)
	}
	return &Segment{storage: s, path: path, size: size, f: f}, nil
}

// parseTail decodes and validates the trailer and footer; tail is the last bytes of a file of
// size bytes, and read fetches other ranges.
func parseTail(tail []byte, size int64, read func(off, n int64) ([]byte, error)) (*footer, error) {
	tr := tail[len(tail)-trailerSize:]
	if string(tr[12:16]) != Magic {
		return nil, corrupt("bad magic %q", tr[12:16])
	}
	if v := binary.LittleEndian.Uint32(tr[8:12]); v != FormatVersion {
		return nil, corrupt("unsupported format version %d", v)
	}
	flen := int64(binary.LittleEndian.Uint32(tr[0:4]))
	if flen > size-trailerSize {
		return nil, corrupt("footer length %d exceeds the file (%d bytes)", flen, size)
	}
	var fb []byte
	if flen+trailerSize <= int64(len(tail)) {
		fb = tail[int64(len(tail))-trailerSize-flen : len(tail)-trailerSize]
	} else {
		var err error
		if fb, err = read(size-trailerSize-flen, flen); err != nil {
			return nil, err
		}
	}
	if crc := crc32.Checksum(fb, castagnoli); crc != binary.LittleEndian.Uint32(tr[4:8]) {
		return nil, corrupt("footer checksum mismatch")
	}
	f, err := decodeFooter(fb)
	if err != nil {
		return nil, err
	}
	if err := validate(f, size-trailerSize-flen); err != nil {
		return nil, err
	}
	return f, nil
}

// minPageSize is the smallest encoded page of n values of type t.
func minPageSize(t types.T, n int64) int64 {
	var values int64
	switch t.Physical() {
	case types.PhysInt128:
		values = 16 * n
	case types.PhysBytes:
		values = 4 * (n + 1)
	default:
		values = 8 * n
	}
	return pageHeaderLen + values + pageCRCLen
}

func validate(f *footer, dataEnd int64) error {
	if f.version != FormatVersion {
		return corrupt("footer version %d", f.version)
	}
	if f.numRows > 0 && len(f.columns) == 0 {
		return corrupt("%d rows and no columns", f.numRows)
	}
	ids := map[int32]bool{}
	for _, c := range f.columns {
		t := c.Type
		if t.Kind <= types.Invalid || t.Kind >= types.Null || t.Validate() != nil {
			return corrupt("column %d: invalid type %+v", c.UniqueID, t)
		}
		if ids[c.UniqueID] {
			return corrupt("duplicate column %d", c.UniqueID)
		}
		ids[c.UniqueID] = true
		next := int64(0)
		for k, p := range c.Pages {
			switch {
			case p.FirstRow != next:
				return corrupt("column %d page %d starts at row %d, want %d", c.UniqueID, k, p.FirstRow, next)
			case p.NumRows < 1:
				return corrupt("column %d page %d has no rows", c.UniqueID, k)
			case p.Size < minPageSize(t, p.NumRows):
				return corrupt("column %d page %d: %d bytes cannot hold %d rows", c.UniqueID, k, p.Size, p.NumRows)
			case p.Offset+p.Size > dataEnd:
				return corrupt("column %d page %d [%d,+%d) overlaps the footer at %d", c.UniqueID, k, p.Offset, p.Size, dataEnd)
			}
			if z := p.Zone; z.HasMinMax {
				if w := int(fixedWidth(t)); w > 0 && (len(z.Min) != w || len(z.Max) != w) {
					return corrupt("column %d page %d: zone map values of %d/%d bytes", c.UniqueID, k, len(z.Min), len(z.Max))
				}
			}
			next += p.NumRows
		}
		if next != f.numRows {
			return corrupt("column %d pages hold %d rows, segment %d", c.UniqueID, next, f.numRows)
		}
	}
	return nil
}

// Path is the segment's vault path.
func (s *Segment) Path() string { return s.path }

// Size is the file's size in bytes.
func (s *Segment) Size() int64 { return s.size }

// NumRows is the number of rows.
func (s *Segment) NumRows() int64 { return s.f.numRows }

// Columns describes the columns, in file order.
func (s *Segment) Columns() []ColumnInfo { return s.f.columns }

// FindColumn returns the index of the column with the unique id, or -1.
func (s *Segment) FindColumn(uniqueID int32) int {
	for i, c := range s.f.columns {
		if c.UniqueID == uniqueID {
			return i
		}
	}
	return -1
}

// ReadPage reads and decodes page p of column c.
func (s *Segment) ReadPage(ctx context.Context, c, p int) (*vector.Vector, error) {
	col := s.f.columns[c]
	pi := col.Pages[p]
	data, err := vault.ReadRange(ctx, s.storage, s.path, pi.Offset, pi.Size)
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", s.path, err)
	}
	v, err := decodePageData(data, col.Type, pi.NumRows, col.Nullable)
	if err != nil {
		return nil, fmt.Errorf("segment %s: column %d page %d: %w", s.path, col.UniqueID, p, err)
	}
	return v, nil
}

// decodePageData decodes one page; values of strings alias data.
func decodePageData(data []byte, t types.T, rows int64, nullable bool) (*vector.Vector, error) {
	if int64(len(data)) < minPageSize(t, rows) {
		return nil, corrupt("page of %d bytes for %d rows", len(data), rows)
	}
	body := data[:len(data)-pageCRCLen]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(body):]) {
		return nil, corrupt("page checksum mismatch")
	}
	if body[0] != 0 {
		return nil, corrupt("unknown page encoding %d", body[0])
	}
	flags := body[1]
	if flags > 1 {
		return nil, corrupt("unknown page flags %#x", flags)
	}
	if n := binary.LittleEndian.Uint32(body[2:6]); int64(n) != rows {
		return nil, corrupt("page holds %d values, footer says %d", n, rows)
	}
	n := int(rows)
	rest := body[pageHeaderLen:]
	v := &vector.Vector{Type: t}
	if flags&1 != 0 {
		if !nullable {
			return nil, corrupt("null bitmap in a non-nullable column")
		}
		nb := (n + 7) / 8
		if len(rest) < nb {
			return nil, corrupt("truncated null bitmap")
		}
		bm := vector.NewBitmap(n)
		for i := range n {
			if rest[i>>3]&(1<<(uint(i)&7)) != 0 {
				bm.Set(i)
			}
		}
		if bm.Any(n) {
			v.Nulls = bm
		}
		rest = rest[nb:]
	}
	switch t.Physical() {
	case types.PhysInt64:
		if len(rest) != 8*n {
			return nil, corrupt("%d value bytes for %d int64s", len(rest), n)
		}
		v.Int64 = make([]int64, n)
		for i := range v.Int64 {
			v.Int64[i] = int64(binary.LittleEndian.Uint64(rest[8*i:]))
		}
	case types.PhysInt128:
		if len(rest) != 16*n {
			return nil, corrupt("%d value bytes for %d int128s", len(rest), n)
		}
		v.Int128 = make([]types.Int128, n)
		for i := range v.Int128 {
			v.Int128[i] = types.Int128{Lo: binary.LittleEndian.Uint64(rest[16*i:]), Hi: int64(binary.LittleEndian.Uint64(rest[16*i+8:]))}
		}
	case types.PhysFloat64:
		if len(rest) != 8*n {
			return nil, corrupt("%d value bytes for %d float64s", len(rest), n)
		}
		v.Float64 = make([]float64, n)
		for i := range v.Float64 {
			v.Float64[i] = math.Float64frombits(binary.LittleEndian.Uint64(rest[8*i:]))
		}
	default:
		if len(rest) < 4*(n+1) {
			return nil, corrupt("truncated string offsets")
		}
		offs, strs := rest[:4*(n+1)], rest[4*(n+1):]
		if binary.LittleEndian.Uint32(offs) != 0 || int64(binary.LittleEndian.Uint32(offs[4*n:])) != int64(len(strs)) {
			return nil, corrupt("string offsets do not span the data")
		}
		v.Bytes = make([][]byte, n)
		prev := uint32(0)
		for i := range v.Bytes {
			end := binary.LittleEndian.Uint32(offs[4*(i+1):])
			if end < prev || int64(end) > int64(len(strs)) {
				return nil, corrupt("string offsets not increasing at %d", i)
			}
			v.Bytes[i] = strs[prev:end:end]
			prev = end
		}
	}
	return v, nil
}

// Iterator reads rows of some columns of a segment in order, in batches.
type Iterator struct {
	seg      *Segment
	cols     []int
	maxBatch int
	row      int64
	pages    []iterPage
}

type iterPage struct {
	idx        int // page index, -1 before the first
	start, end int64
	v          *vector.Vector
}

// NewIterator returns an iterator over the columns with the given indexes (in that order) that
// yields batches of at most maxBatch rows. Batches never straddle a page boundary, so their
// vectors share the decoded pages.
func (s *Segment) NewIterator(cols []int, maxBatch int) *Iterator {
	if maxBatch <= 0 {
		maxBatch = 4096
	}
	it := &Iterator{seg: s, cols: cols, maxBatch: maxBatch, pages: make([]iterPage, len(cols))}
	for k := range it.pages {
		it.pages[k].idx = -1
	}
	return it
}

// Next returns the next batch, or nil at the end.
func (it *Iterator) Next(ctx context.Context) (*vector.Batch, error) {
	total := it.seg.f.numRows
	if it.row >= total {
		return nil, nil
	}
	end := min(total, it.row+int64(it.maxBatch))
	for k, c := range it.cols {
		p := &it.pages[k]
		if it.row >= p.end {
			p.idx++
			pi := it.seg.f.columns[c].Pages[p.idx]
			v, err := it.seg.ReadPage(ctx, c, p.idx)
			if err != nil {
				return nil, err
			}
			p.start, p.end, p.v = pi.FirstRow, pi.FirstRow+pi.NumRows, v
		}
		end = min(end, p.end)
	}
	cols := make([]*vector.Vector, len(it.cols))
	for k := range it.cols {
		p := &it.pages[k]
		cols[k] = p.v.Slice(int(it.row-p.start), int(end-p.start))
	}
	n := int(end - it.row)
	it.row = end
	return vector.NewBatch(cols, n), nil
}
