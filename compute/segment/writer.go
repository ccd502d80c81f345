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
	"slices"
	"strings"

	"github.com/doricdb/doric/compute/segment/encoding"
	"github.com/doricdb/doric/compute/segment/index"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
)

// ColumnSpec describes a column to write.
type ColumnSpec struct {
	UniqueID int32
	Type     types.T
	Nullable bool
}

// Compression is the block compression of a segment's pages: the table property
// "compression". The zero value is the default, LZ4.
type Compression uint8

const (
	CompressionDefault Compression = iota // LZ4
	CompressionNone
	CompressionLZ4
	CompressionZSTD
	CompressionLZ4HC // LZ4 blocks made by the high-compression compressor
)

// ErrUnsupportedCompression classifies compression names Doris knows and Doric does not write.
var ErrUnsupportedCompression = errors.New("unsupported compression")

// ParseCompression maps the table property "compression" (case-insensitive, as Doris) to a
// Compression: "" and "default_compression" are the default (LZ4); "lz4", "lz4f" and "lz4hc"
// are LZ4 blocks; "zstd"; "no_compression" (or "none"). "zlib" and "snappy" are
// ErrUnsupportedCompression; anything else is an error naming the value.
func ParseCompression(s string) (Compression, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "default_compression":
		return CompressionDefault, nil
	case "lz4", "lz4f":
		return CompressionLZ4, nil
	case "lz4hc":
		return CompressionLZ4HC, nil
	case "zstd":
		return CompressionZSTD, nil
	case "no_compression", "none":
		return CompressionNone, nil
	case "zlib", "snappy":
		return 0, fmt.Errorf("compression %q: %w (use lz4, zstd or no_compression)", s, ErrUnsupportedCompression)
	}
	return 0, fmt.Errorf("unknown compression type %q (use lz4, zstd or no_compression)", s)
}

func (c Compression) codec() encoding.Codec {
	switch c {
	case CompressionNone:
		return encoding.None
	case CompressionZSTD:
		return encoding.ZSTD
	}
	return encoding.LZ4
}

func (c Compression) String() string {
	if c == CompressionLZ4HC {
		return "lz4hc"
	}
	return c.codec().String()
}

// Options tune the writer. Zero values mean the defaults.
type Options struct {
	PageSize    int // target bytes of a page's values before encoding (default 64 KiB)
	MaxPageRows int // rows per page at most (default 65536, at most index.MaxPageRows)
	Compression Compression
	// NumSortKeyColumns says that the first n columns are the sort key: rows arrive sorted by
	// them (NULL first), and the short-key index is built over their leading columns.
	NumSortKeyColumns int
	// BloomFilterColumns lists the unique ids of the columns that get a bloom filter per page
	// (the table property "bloom_filter_columns").
	BloomFilterColumns []int32
	BloomFPP           float64 // false-positive rate of bloom filters (default 0.05)
	ShortKeyInterval   int     // rows between short-key entries (default 1024)
	// ChunkSize is how many bytes of encoded pages a column buffers before writing them, so
	// that a column's pages lie together in runs of about this size (default 1 MiB).
	ChunkSize int
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
	opts     Options
	codec    encoding.Codec
	cols     []*colWriter
	rows     int64
	err      error
	closed   bool
	comp     encoding.Compressor
	enc      encoding.Encoder
	body     []byte
	hashes   []uint64
	dense    denseBuf
	short    []*vector.Vector // the batch's short-key columns, reused
	numShort int
	keys     [][]byte
	sel      []int32
}

type denseBuf struct {
	i64  []int64
	i128 []types.Int128
	f64  []float64
	b    [][]byte
}

type colWriter struct {
	spec      ColumnSpec
	width     int // bytes per value before encoding; 0 for strings
	page      *vector.Vector
	pageBytes int
	pageRows  int // rows per page of a fixed-width column
	first     int64
	chunk     []byte
	chunkAt   int // first page of the chunk
	chunkPos  []int
	ord       index.Ordinal
	zones     []index.ZoneMap
	merger    *index.ZoneMerger
	bloom     bool
	blooms    []index.Bloom
	dataBytes int64
}

// NewWriter returns a writer of a segment with the given columns to w.
func NewWriter(w io.Writer, cols []ColumnSpec, opts Options) (*Writer, error) {
	seen := map[int32]bool{}
	for _, c := range cols {
		if err := validType(c.Type); err != nil {
			return nil, fmt.Errorf("segment: column %d: %v", c.UniqueID, err)
		}
		if seen[c.UniqueID] {
			return nil, fmt.Errorf("segment: duplicate column unique id %d", c.UniqueID)
		}
		seen[c.UniqueID] = true
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 64 << 10
	}
	if opts.MaxPageRows <= 0 {
		opts.MaxPageRows = 65536
	}
	opts.MaxPageRows = min(opts.MaxPageRows, index.MaxPageRows)
	if opts.ShortKeyInterval <= 0 {
		opts.ShortKeyInterval = index.DefaultShortKeyInterval
	}
	opts.ShortKeyInterval = min(opts.ShortKeyInterval, index.MaxPageRows)
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = 1 << 20
	}
	if opts.BloomFPP <= 0 || opts.BloomFPP >= 1 {
		opts.BloomFPP = index.DefaultBloomFPP
	}
	if opts.NumSortKeyColumns < 0 || opts.NumSortKeyColumns > len(cols) {
		return nil, fmt.Errorf("segment: %d sort key columns of %d", opts.NumSortKeyColumns, len(cols))
	}
	for _, id := range opts.BloomFilterColumns {
		if !seen[id] {
			return nil, fmt.Errorf("segment: bloom filter on unknown column unique id %d", id)
		}
	}
	wr := &Writer{w: w, opts: opts, codec: opts.Compression.codec()}
	wr.comp.HC = opts.Compression == CompressionLZ4HC
	keyTypes := make([]types.T, opts.NumSortKeyColumns)
	for i := range keyTypes {
		keyTypes[i] = cols[i].Type
	}
	wr.numShort = index.ShortKeyColumns(keyTypes)
	wr.short = make([]*vector.Vector, wr.numShort)
	for _, c := range cols {
		cw := &colWriter{spec: c, page: vector.NewWithCap(c.Type, 0), merger: index.NewZoneMerger(c.Type),
			bloom: slices.Contains(opts.BloomFilterColumns, c.UniqueID)}
		switch c.Type.Physical() {
		case types.PhysInt128:
			cw.width = 16
		case types.PhysBytes:
		default:
			cw.width = 8
		}
		if cw.width > 0 {
			cw.pageRows = wr.alignRows(max(1, opts.PageSize/cw.width))
		}
		wr.cols = append(wr.cols, cw)
	}
	return wr, nil
}

// alignRows rounds a page's row count down to a multiple of the short-key interval when it
// holds at least one, so that page boundaries of all columns tend to coincide.
func (w *Writer) alignRows(n int) int {
	n = min(n, w.opts.MaxPageRows)
	if a := w.opts.ShortKeyInterval; n >= a {
		n -= n % a
	}
	return n
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
	w.sel = b.Rows(w.sel)
	rows := w.sel
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
	}
	if err := w.appendShortKeys(b, rows); err != nil {
		w.err = err
		return err
	}
	for k, c := range w.cols {
		if err := w.appendColumn(c, b.Cols[k], rows); err != nil {
			w.err = err
			return err
		}
	}
	w.rows += int64(len(rows))
	return nil
}

// appendShortKeys records the short key of every row whose ordinal is a multiple of the
// interval, and checks that the keys do not decrease.
func (w *Writer) appendShortKeys(b *vector.Batch, rows []int32) error {
	if w.numShort == 0 {
		return nil
	}
	copy(w.short, b.Cols[:w.numShort])
	iv := int64(w.opts.ShortKeyInterval)
	first := (w.rows + iv - 1) / iv * iv // the first ordinal at or after w.rows with an entry
	for r := first; r < w.rows+int64(len(rows)); r += iv {
		key := index.AppendKeyRow(nil, w.short, int(rows[r-w.rows]))
		if n := len(w.keys); n > 0 && bytes.Compare(key, w.keys[n-1]) < 0 {
			return fmt.Errorf("segment: rows are not sorted by the sort key: row %d sorts before row %d", r, r-iv)
		}
		w.keys = append(w.keys, key)
	}
	return nil
}

func (w *Writer) appendColumn(c *colWriter, v *vector.Vector, rows []int32) error {
	for len(rows) > 0 {
		var k int
		if c.width > 0 {
			k = min(len(rows), c.pageRows-c.page.Len())
			c.page.AppendRows(v, rows[:k])
			rows = rows[k:]
			if c.page.Len() < c.pageRows {
				return nil
			}
			if err := w.flushPage(c, c.page.Len()); err != nil {
				return err
			}
			continue
		}
		for k < len(rows) && c.pageBytes < w.opts.PageSize && c.page.Len()+k < w.opts.MaxPageRows {
			c.pageBytes += 4 + len(v.Bytes[rows[k]])
			k++
		}
		c.page.AppendRows(v, rows[:k])
		rows = rows[k:]
		if c.pageBytes >= w.opts.PageSize || c.page.Len() >= w.opts.MaxPageRows {
			if err := w.flushPage(c, w.alignRows(c.page.Len())); err != nil {
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

// flushPage encodes the first n buffered rows of c as a page.
func (w *Writer) flushPage(c *colWriter, n int) error {
	v := c.page
	if n == 0 {
		return nil
	}
	zone := index.ZoneOf(v, 0, n)
	w.body = w.encodePage(w.body[:0], v, n, int(zone.NullCount))
	c.chunkPos = append(c.chunkPos, len(c.chunk))
	c.chunk = w.comp.AppendBlock(c.chunk, w.body, w.codec)
	c.ord.FirstRow = append(c.ord.FirstRow, c.first)
	c.ord.Offset = append(c.ord.Offset, 0) // set when the chunk is written
	c.ord.Size = append(c.ord.Size, int64(len(c.chunk)-c.chunkPos[len(c.chunkPos)-1]))
	c.zones = append(c.zones, zone)
	c.merger.Add(zone, int64(n))
	if c.bloom {
		c.blooms = append(c.blooms, w.buildBloom(v, n))
	}
	c.first += int64(n)
	dropFront(v, n)
	c.pageBytes = 0
	if c.width == 0 {
		for _, b := range v.Bytes {
			c.pageBytes += 4 + len(b)
		}
	}
	if len(c.chunk) >= w.opts.ChunkSize {
		return w.flushChunk(c)
	}
	return nil
}

// flushChunk writes the buffered pages of c and records where they went.
func (w *Writer) flushChunk(c *colWriter) error {
	for k, pos := range c.chunkPos {
		c.ord.Offset[c.chunkAt+k] = w.off + int64(pos)
	}
	c.dataBytes += int64(len(c.chunk))
	err := w.write(c.chunk)
	c.chunk = c.chunk[:0]
	c.chunkPos = c.chunkPos[:0]
	c.chunkAt = len(c.ord.FirstRow)
	return err
}

// dropFront removes the first n rows of v, keeping its buffers.
func dropFront(v *vector.Vector, n int) {
	total := v.Len()
	if v.Nulls != nil {
		v.Nulls = v.Nulls.SliceBits(n, total)
	}
	switch v.Type.Physical() {
	case types.PhysInt64:
		v.Int64 = v.Int64[:copy(v.Int64, v.Int64[n:])]
	case types.PhysInt128:
		v.Int128 = v.Int128[:copy(v.Int128, v.Int128[n:])]
	case types.PhysFloat64:
		v.Float64 = v.Float64[:copy(v.Float64, v.Float64[n:])]
	default:
		m := copy(v.Bytes, v.Bytes[n:])
		clear(v.Bytes[m:]) // drop references to the caller's bytes
		v.Bytes = v.Bytes[:m]
	}
}

// encodePage appends the body of a data page holding rows [0, n) of v (FORMAT.md "Data pages").
func (w *Writer) encodePage(dst []byte, v *vector.Vector, n, nulls int) []byte {
	dst = binary.AppendUvarint(dst, uint64(n))
	dst = binary.AppendUvarint(dst, uint64(nulls))
	d := &w.dense
	if nulls > 0 {
		nb := (n + 7) / 8
		for i := range nb {
			dst = append(dst, byte(v.Nulls[i/8]>>(8*(i%8))))
		}
		if n%8 != 0 { // bits beyond n are zero
			dst[len(dst)-1] &= byte(1)<<(n%8) - 1
		}
	}
	switch v.Type.Physical() {
	case types.PhysInt64:
		vals := v.Int64[:n]
		if nulls > 0 {
			d.i64 = d.i64[:0]
			for i, x := range vals {
				if !v.Nulls.Get(i) {
					d.i64 = append(d.i64, x)
				}
			}
			vals = d.i64
		}
		return w.enc.AppendInt64s(dst, vals)
	case types.PhysInt128:
		vals := v.Int128[:n]
		if nulls > 0 {
			d.i128 = d.i128[:0]
			for i, x := range vals {
				if !v.Nulls.Get(i) {
					d.i128 = append(d.i128, x)
				}
			}
			vals = d.i128
		}
		return w.enc.AppendInt128s(dst, vals)
	case types.PhysFloat64:
		vals := v.Float64[:n]
		if nulls > 0 {
			d.f64 = d.f64[:0]
			for i, x := range vals {
				if !v.Nulls.Get(i) {
					d.f64 = append(d.f64, x)
				}
			}
			vals = d.f64
		}
		return w.enc.AppendFloat64s(dst, vals)
	}
	vals := v.Bytes[:n]
	if nulls > 0 {
		d.b = d.b[:0]
		for i, x := range vals {
			if !v.Nulls.Get(i) {
				d.b = append(d.b, x)
			}
		}
		vals = d.b
	}
	return w.enc.AppendBytes(dst, vals)
}

// buildBloom returns the bloom filter of the non-NULL values among rows [0, n) of v.
func (w *Writer) buildBloom(v *vector.Vector, n int) index.Bloom {
	w.hashes = w.hashes[:0]
	for i := range n {
		if !v.IsNull(i) {
			w.hashes = append(w.hashes, index.Hash(v.Type, index.ValueAt(v, i)))
		}
	}
	slices.Sort(w.hashes)
	w.hashes = slices.Compact(w.hashes)
	f := index.NewBloom(len(w.hashes), w.opts.BloomFPP)
	for _, h := range w.hashes {
		f.Insert(h)
	}
	return f
}

// Close flushes the last pages, writes the indexes, the footer and the trailer, and returns the
// segment's size. It does not close the underlying writer.
func (w *Writer) Close() (Info, error) {
	if w.err != nil {
		return Info{}, w.err
	}
	if w.closed {
		return Info{}, errors.New("segment: close after close")
	}
	w.closed = true
	info, err := w.finish()
	if err != nil {
		w.err = err
	}
	return info, err
}

func (w *Writer) finish() (Info, error) {
	for _, c := range w.cols {
		if err := w.flushPage(c, c.page.Len()); err != nil {
			return Info{}, err
		}
		if c.first != w.rows {
			return Info{}, fmt.Errorf("BUG: segment column %d has %d rows, segment %d", c.spec.UniqueID, c.first, w.rows)
		}
	}
	for _, c := range w.cols {
		if err := w.flushChunk(c); err != nil {
			return Info{}, err
		}
	}
	f := &footer{version: FormatVersion, numRows: w.rows, compression: w.codec, numSortKeys: w.opts.NumSortKeyColumns}
	for _, c := range w.cols {
		c.ord.NumRows = w.rows
		m := columnMeta{ColumnInfo: ColumnInfo{UniqueID: c.spec.UniqueID, Type: c.spec.Type, Nullable: c.spec.Nullable,
			NumPages: len(c.ord.FirstRow), Zone: c.merger.Zone(), HasBloom: c.bloom, DataBytes: c.dataBytes}}
		var err error
		if m.ordinal, err = w.writeBlock(index.AppendOrdinal(w.body[:0], &c.ord)); err != nil {
			return Info{}, err
		}
		zb := w.body[:0]
		for _, z := range c.zones {
			zb = appendMessage(zb, 1, index.AppendZoneMap(nil, c.spec.Type, z))
		}
		if m.zones, err = w.writeBlock(zb); err != nil {
			return Info{}, err
		}
		if c.bloom {
			if m.bloom, err = w.writeBlock(index.AppendBloomIndex(w.body[:0], c.blooms)); err != nil {
				return Info{}, err
			}
		}
		f.columns = append(f.columns, m)
	}
	if w.numShort > 0 {
		f.numShortKeys = w.numShort
		f.shortKeyInterval = int64(w.opts.ShortKeyInterval)
		var err error
		if f.shortKeyIndex, err = w.writeBlock(index.AppendShortKeyIndex(w.body[:0], w.keys)); err != nil {
			return Info{}, err
		}
	}
	fb := encodeFooter(f)
	trailer := binary.LittleEndian.AppendUint32(nil, uint32(len(fb)))
	trailer = binary.LittleEndian.AppendUint32(trailer, crc32.Checksum(fb, encoding.Castagnoli))
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

// writeBlock writes body as a block and returns where it went.
func (w *Writer) writeBlock(body []byte) (blockPtr, error) {
	w.body = body
	blk := w.comp.AppendBlock(nil, body, w.codec)
	p := blockPtr{off: w.off, size: int64(len(blk))}
	return p, w.write(blk)
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
