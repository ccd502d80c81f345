package segment

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ColumnSpec describes a column to write.
type ColumnSpec struct {
	UniqueID int32
	Type     types.T
	Nullable bool
}

// Options tune the writer. Zero values mean the defaults.
type Options struct {
	PageSize    int // target encoded bytes per page (default 64 KiB)
	MaxPageRows int // rows per page at most (default 65536)
}

// Info summarizes a written segment.
type Info struct {
	NumRows int64
	Size    int64 // bytes of the whole file
}

// Writer encodes a segment in one pass. Append batches, then Close.
type Writer struct {
	w        io.Writer
	off      int64
	cols     []*colWriter
	rows     int64
	pageSize int
	maxRows  int
	err      error
	closed   bool
	scratch  []byte
}

type colWriter struct {
	spec  ColumnSpec
	page  *vector.Vector
	bytes int // estimated encoded bytes of page
	first int64
	pages []PageInfo
}

// NewWriter returns a writer of a segment with the given columns to w.
func NewWriter(w io.Writer, cols []ColumnSpec, opts Options) (*Writer, error) {
	seen := map[int32]bool{}
	for _, c := range cols {
		if err := c.Type.Validate(); err != nil || c.Type.Kind == types.Null {
			return nil, fmt.Errorf("segment: column %d: invalid type %s", c.UniqueID, c.Type)
		}
		if seen[c.UniqueID] {
			return nil, fmt.Errorf("segment: duplicate column unique id %d", c.UniqueID)
		}
		seen[c.UniqueID] = true
	}
	wr := &Writer{w: w, pageSize: opts.PageSize, maxRows: opts.MaxPageRows}
	if wr.pageSize <= 0 {
		wr.pageSize = 64 << 10
	}
	if wr.maxRows <= 0 {
		wr.maxRows = 65536
	}
	for _, c := range cols {
		wr.cols = append(wr.cols, &colWriter{spec: c, page: vector.NewWithCap(c.Type, 0)})
	}
	return wr, nil
}

func fixedWidth(t types.T) int {
	switch t.Physical() {
	case types.PhysInt128:
		return 16
	case types.PhysBytes:
		return 0
	}
	return 8
}

// Append adds the active rows of b, whose columns are the writer's, in order.
func (w *Writer) Append(b *vector.Batch) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("segment: append after close")
	}
	if len(b.Cols) != len(w.cols) {
		return fmt.Errorf("segment: batch has %d columns, segment %d", len(b.Cols), len(w.cols))
	}
	rows := b.Rows(nil)
	for k, c := range w.cols {
		v := b.Cols[k]
		if v.Type.Physical() != c.spec.Type.Physical() || v.Type.Kind != c.spec.Type.Kind {
			return fmt.Errorf("segment: column %d is %s, batch has %s", c.spec.UniqueID, c.spec.Type, v.Type)
		}
		if !c.spec.Nullable && v.Nulls != nil {
			for _, i := range rows {
				if v.IsNull(int(i)) {
					return fmt.Errorf("segment: NULL in non-nullable column %d", c.spec.UniqueID)
				}
			}
		}
		if err := w.appendColumn(c, v, rows); err != nil {
			w.err = err
			return err
		}
	}
	w.rows += int64(len(rows))
	return nil
}

func (w *Writer) appendColumn(c *colWriter, v *vector.Vector, rows []int32) error {
	width := fixedWidth(c.spec.Type)
	for len(rows) > 0 {
		room := w.maxRows - c.page.Len()
		k := 0
		if width > 0 {
			need := (w.pageSize - c.bytes + width - 1) / width
			k = min(len(rows), room, max(need, 1))
			c.bytes += k * width
		} else {
			for k < len(rows) && k < room && c.bytes < w.pageSize {
				c.bytes += 4 + len(v.Bytes[rows[k]])
				k++
			}
		}
		c.page.AppendRows(v, rows[:k])
		rows = rows[k:]
		if c.bytes >= w.pageSize || c.page.Len() >= w.maxRows {
			if err := w.flushPage(c); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *Writer) write(p []byte) error {
	n, err := w.w.Write(p)
	w.off += int64(n)
	if err != nil {
		return fmt.Errorf("segment: write: %w", err)
	}
	return nil
}

func (w *Writer) flushPage(c *colWriter) error {
	v := c.page
	n := v.Len()
	if n == 0 {
		return nil
	}
	buf := encodePage(w.scratch[:0], v)
	w.scratch = buf
	info := PageInfo{Offset: w.off, Size: int64(len(buf)), FirstRow: c.first, NumRows: int64(n), Zone: zoneMap(v)}
	if err := w.write(buf); err != nil {
		return err
	}
	c.pages = append(c.pages, info)
	c.first += int64(n)
	c.page = vector.NewWithCap(c.spec.Type, n)
	c.bytes = 0
	return nil
}

// encodePage appends the plain encoding of v (FORMAT.md) to buf.
func encodePage(buf []byte, v *vector.Vector) []byte {
	n := v.Len()
	hasNulls := v.Nulls.Any(n)
	flags := byte(0)
	if hasNulls {
		flags = 1
	}
	start := len(buf)
	buf = append(buf, 0, flags)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(n))
	if hasNulls {
		for i := 0; i < n; i += 8 {
			var by byte
			for j := 0; j < 8 && i+j < n; j++ {
				if v.IsNull(i + j) {
					by |= 1 << j
				}
			}
			buf = append(buf, by)
		}
	}
	switch v.Type.Physical() {
	case types.PhysInt64:
		for i, x := range v.Int64 {
			if hasNulls && v.IsNull(i) {
				x = 0
			}
			buf = binary.LittleEndian.AppendUint64(buf, uint64(x))
		}
	case types.PhysInt128:
		for i, x := range v.Int128 {
			if hasNulls && v.IsNull(i) {
				x = types.Int128{}
			}
			buf = binary.LittleEndian.AppendUint64(buf, x.Lo)
			buf = binary.LittleEndian.AppendUint64(buf, uint64(x.Hi))
		}
	case types.PhysFloat64:
		for i, x := range v.Float64 {
			if hasNulls && v.IsNull(i) {
				x = 0
			}
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
		}
	default:
		off := uint32(0)
		buf = binary.LittleEndian.AppendUint32(buf, 0)
		for i, x := range v.Bytes {
			if !(hasNulls && v.IsNull(i)) {
				off += uint32(len(x))
			}
			buf = binary.LittleEndian.AppendUint32(buf, off)
		}
		for i, x := range v.Bytes {
			if !(hasNulls && v.IsNull(i)) {
				buf = append(buf, x...)
			}
		}
	}
	return binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf[start:], castagnoli))
}

// zoneMap computes the min/max of the non-NULL values of a page.
func zoneMap(v *vector.Vector) ZoneMap {
	n := v.Len()
	z := ZoneMap{HasNull: v.Nulls.Any(n)}
	first := true
	switch v.Type.Physical() {
	case types.PhysInt64:
		var lo, hi int64
		for i, x := range v.Int64 {
			if v.IsNull(i) {
				continue
			}
			if first || x < lo {
				lo = x
			}
			if first || x > hi {
				hi = x
			}
			first = false
		}
		if !first {
			z.Min = binary.LittleEndian.AppendUint64(nil, uint64(lo))
			z.Max = binary.LittleEndian.AppendUint64(nil, uint64(hi))
		}
	case types.PhysInt128:
		var lo, hi types.Int128
		for i, x := range v.Int128 {
			if v.IsNull(i) {
				continue
			}
			if first || x.Cmp(lo) < 0 {
				lo = x
			}
			if first || x.Cmp(hi) > 0 {
				hi = x
			}
			first = false
		}
		if !first {
			z.Min = appendInt128(nil, lo)
			z.Max = appendInt128(nil, hi)
		}
	case types.PhysFloat64:
		var lo, hi float64
		for i, x := range v.Float64 {
			if v.IsNull(i) || math.IsNaN(x) {
				continue
			}
			if first || x < lo {
				lo = x
			}
			if first || x > hi {
				hi = x
			}
			first = false
		}
		if !first {
			z.Min = binary.LittleEndian.AppendUint64(nil, math.Float64bits(lo))
			z.Max = binary.LittleEndian.AppendUint64(nil, math.Float64bits(hi))
		}
	default:
		var lo, hi []byte
		for i, x := range v.Bytes {
			if v.IsNull(i) {
				continue
			}
			if len(x) > maxZoneBytes {
				return ZoneMap{HasNull: z.HasNull}
			}
			if first || bytes.Compare(x, lo) < 0 {
				lo = x
			}
			if first || bytes.Compare(x, hi) > 0 {
				hi = x
			}
			first = false
		}
		if !first {
			z.Min = append([]byte{}, lo...)
			z.Max = append([]byte{}, hi...)
		}
	}
	z.HasMinMax = !first
	return z
}

func appendInt128(b []byte, x types.Int128) []byte {
	b = binary.LittleEndian.AppendUint64(b, x.Lo)
	return binary.LittleEndian.AppendUint64(b, uint64(x.Hi))
}

// Close flushes the last pages, writes the footer and trailer, and returns the segment's size.
// It does not close the underlying writer.
func (w *Writer) Close() (Info, error) {
	if w.err != nil {
		return Info{}, w.err
	}
	if w.closed {
		return Info{}, errors.New("segment: close after close")
	}
	w.closed = true
	f := &footer{version: FormatVersion, numRows: w.rows}
	for _, c := range w.cols {
		if err := w.flushPage(c); err != nil {
			return Info{}, err
		}
		if c.first != w.rows {
			return Info{}, fmt.Errorf("BUG: segment column %d has %d rows, segment %d", c.spec.UniqueID, c.first, w.rows)
		}
		f.columns = append(f.columns, ColumnInfo{UniqueID: c.spec.UniqueID, Type: c.spec.Type, Nullable: c.spec.Nullable, Pages: c.pages})
	}
	fb := encodeFooter(f)
	trailer := binary.LittleEndian.AppendUint32(nil, uint32(len(fb)))
	trailer = binary.LittleEndian.AppendUint32(trailer, crc32.Checksum(fb, castagnoli))
	trailer = binary.LittleEndian.AppendUint32(trailer, FormatVersion)
	trailer = append(trailer, Magic...)
	if err := w.write(fb); err != nil {
		return Info{}, err
	}
	if err := w.write(trailer); err != nil {
		return Info{}, err
	}
	return Info{NumRows: w.rows, Size: w.off}, nil
}

// WriteToVault streams a segment into s at path: fill appends the rows to the Writer it is given
// while the bytes flow into s.Put; the segment is closed and the Put completed before returning.
// On error no object is left at path (Put is atomic).
func WriteToVault(ctx context.Context, s vault.Storage, path string, cols []ColumnSpec, opts Options, fill func(*Writer) error) (Info, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := s.Put(ctx, path, pr)
		pr.CloseWithError(errPutEnded(err))
		done <- result{n, err}
	}()
	bw := bufio.NewWriterSize(pw, 256<<10)
	info, err := func() (Info, error) {
		w, err := NewWriter(bw, cols, opts)
		if err != nil {
			return Info{}, err
		}
		if err := fill(w); err != nil {
			return Info{}, err
		}
		info, err := w.Close()
		if err != nil {
			return Info{}, err
		}
		if err := bw.Flush(); err != nil {
			return Info{}, fmt.Errorf("segment: write: %w", err)
		}
		return info, nil
	}()
	if err != nil {
		cancel() // the Put must not store what was written so far
		pw.CloseWithError(err)
		<-done
		return Info{}, err
	}
	pw.Close()
	res := <-done
	if res.err != nil {
		return Info{}, fmt.Errorf("segment: put %s: %w", path, res.err)
	}
	if res.n != info.Size {
		return Info{}, fmt.Errorf("BUG: segment %s: vault stored %d bytes, writer wrote %d", path, res.n, info.Size)
	}
	return info, nil
}

func errPutEnded(err error) error {
	if err == nil {
		return errors.New("segment: vault put ended")
	}
	return err
}
