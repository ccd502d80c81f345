package format

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	pformat "github.com/parquet-go/parquet-go/format"
)

// ParquetOptions configure a Parquet reader.
type ParquetOptions struct {
	// Columns names the source columns: each takes the top-level column of that name (exact,
	// else case-insensitive); a name the file lacks is NULL.
	Columns   []string
	BatchRows int
	MaxBytes  int64 // the whole file is read into memory; default 1 GiB
}

// Parquet reads a Parquet file. Values become text as the other formats give it: integers and
// floats in decimal, booleans as 1 and 0, DECIMAL with its scale, DATE as YYYY-MM-DD, TIMESTAMP
// (and legacy INT96) as YYYY-MM-DD hh:mm:ss.ffffff in UTC, BYTE_ARRAY as its bytes. A row's
// "line" is its 1-based row number in the file; a rejected row's column the source column.
type Parquet struct {
	opts    ParquetOptions
	src     io.Reader
	file    *parquet.File
	leaf    []int // source column → leaf column index, -1 when absent
	conv    []func(parquet.Value) ([]byte, error)
	groups  []parquet.RowGroup
	group   int
	rows    parquet.Rows
	buf     []parquet.Row
	row     int64 // rows returned so far
	err     error
	done    bool
	started bool
}

// NewParquet returns a Parquet reader over r.
func NewParquet(r io.Reader, opts ParquetOptions) (*Parquet, error) {
	if len(opts.Columns) == 0 {
		return nil, errors.New("BUG: parquet reader without columns")
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultBatchRows
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 30
	}
	return &Parquet{opts: opts, src: r}, nil
}

func (p *Parquet) open() error {
	body, err := io.ReadAll(io.LimitReader(p.src, p.opts.MaxBytes+1))
	if err != nil {
		return err
	}
	if int64(len(body)) > p.opts.MaxBytes {
		return &SyntaxError{Line: 1, Column: 1, Msg: fmt.Sprintf("parquet file larger than %d bytes", p.opts.MaxBytes)}
	}
	f, err := openParquet(body)
	if err != nil {
		return &SyntaxError{Line: 1, Column: 1, Msg: fmt.Sprintf("not a readable parquet file: %v", err)}
	}
	p.file = f
	schema := f.Schema()
	fields := schema.Fields()
	for _, name := range p.opts.Columns {
		idx := -1
		var conv func(parquet.Value) ([]byte, error)
		for _, exact := range []bool{true, false} {
			for _, fl := range fields {
				if exact && fl.Name() == name || !exact && strings.EqualFold(fl.Name(), name) {
					if lc, ok := schema.Lookup(fl.Name()); ok && fl.Leaf() && lc.MaxRepetitionLevel == 0 {
						idx, conv = lc.ColumnIndex, converterFor(fl)
					}
					break
				}
			}
			if idx >= 0 {
				break
			}
		}
		p.leaf = append(p.leaf, idx)
		p.conv = append(p.conv, conv)
	}
	p.groups = f.RowGroups()
	return nil
}

// openParquet opens a file, turning the library's panics on corrupt input into errors.
func openParquet(body []byte) (f *parquet.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("corrupt file: %v", r)
		}
	}()
	return parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
}

// Next implements Reader.
func (p *Parquet) Next() (ch *Chunk, err error) {
	if p.err != nil {
		return nil, p.err
	}
	if p.done {
		return nil, io.EOF
	}
	if !p.started {
		p.started = true
		if err := p.open(); err != nil {
			p.err = err
			return nil, err
		}
	}
	defer func() {
		if r := recover(); r != nil {
			ch, err = nil, &SyntaxError{Line: p.row + 1, Column: 1, Msg: fmt.Sprintf("corrupt parquet data in row group %d: %v", p.group, r)}
			p.err = err
		}
	}()
	ch = newChunk(len(p.opts.Columns), min(p.opts.BatchRows, 1024))
	for ch.Rows() < p.opts.BatchRows {
		if p.rows == nil {
			if p.group >= len(p.groups) {
				p.done = true
				break
			}
			p.rows = p.groups[p.group].Rows()
		}
		want := min(p.opts.BatchRows-ch.Rows(), 256)
		if cap(p.buf) < want {
			p.buf = make([]parquet.Row, want)
		}
		n, rerr := p.rows.ReadRows(p.buf[:want])
		for _, row := range p.buf[:n] {
			p.row++
			p.add(ch, row)
		}
		if rerr == io.EOF || n == 0 && rerr == nil {
			p.rows.Close()
			p.rows = nil
			p.group++
			continue
		}
		if rerr != nil {
			p.err = &SyntaxError{Line: p.row + 1, Column: 1, Msg: fmt.Sprintf("parquet row group %d: %v", p.group, rerr)}
			if ch.Rows() > 0 {
				return ch, nil
			}
			return nil, p.err
		}
	}
	if ch.Rows() == 0 && p.done {
		return nil, io.EOF
	}
	return ch, nil
}

func (p *Parquet) add(ch *Chunk, row parquet.Row) {
	byLeaf := map[int]parquet.Value{}
	for _, v := range row {
		byLeaf[v.Column()] = v
	}
	texts := make([][]byte, len(p.leaf))
	nulls := make([]bool, len(p.leaf))
	var raw []string
	for j, leaf := range p.leaf {
		v, ok := byLeaf[leaf]
		if leaf < 0 || !ok || v.IsNull() {
			nulls[j] = true
			raw = append(raw, `\N`)
			continue
		}
		t, err := p.conv[j](v)
		if err != nil {
			ch.Errors = append(ch.Errors, RowError{Line: p.row, Column: j + 1, Name: p.opts.Columns[j], Reason: err.Error()})
			return
		}
		texts[j] = t
		raw = append(raw, string(t))
	}
	for j, c := range ch.Cols {
		if nulls[j] {
			c.AppendNull()
		} else {
			c.Bytes = append(c.Bytes, ch.keep(texts[j]))
		}
	}
	ch.Lines = append(ch.Lines, p.row)
	ch.Raw = append(ch.Raw, ch.keepRaw([]byte(strings.Join(raw, ","))))
	ch.N++
}

// converterFor renders the values of a leaf column as text.
func converterFor(f parquet.Field) func(parquet.Value) ([]byte, error) {
	t := f.Type()
	lt := t.LogicalType()
	var dec *pformat.DecimalType
	var ts *pformat.TimestampType
	date := false
	if lt != nil {
		switch x := lt.Value.(type) {
		case *pformat.DecimalType:
			dec = x
		case *pformat.TimestampType:
			ts = x
		case *pformat.DateType:
			date = true
		}
	}
	return func(v parquet.Value) ([]byte, error) {
		switch v.Kind() {
		case parquet.Boolean:
			if v.Boolean() {
				return []byte("1"), nil
			}
			return []byte("0"), nil
		case parquet.Int32, parquet.Int64:
			n := v.Int64()
			if v.Kind() == parquet.Int32 {
				n = int64(v.Int32())
			}
			switch {
			case date:
				return []byte(time.Unix(n*86400, 0).UTC().Format("2006-01-02")), nil
			case ts != nil:
				unit := time.Microsecond
				if ts.Unit.Value != nil {
					unit = ts.Unit.Value.Duration()
				}
				return []byte(epochText(n, unit)), nil
			case dec != nil:
				return []byte(decimalText(big.NewInt(n), dec.Scale)), nil
			}
			return strconv.AppendInt(nil, n, 10), nil
		case parquet.Int96:
			i := v.Int96()
			nanos := int64(uint64(i[1])<<32 | uint64(i[0]))
			day := int64(i[2]) - 2440588 // Julian day of 1970-01-01
			return []byte(epochText(day*86400_000_000_000+nanos, time.Nanosecond)), nil
		case parquet.Float:
			return strconv.AppendFloat(nil, float64(v.Float()), 'g', -1, 32), nil
		case parquet.Double:
			return strconv.AppendFloat(nil, v.Double(), 'g', -1, 64), nil
		case parquet.ByteArray, parquet.FixedLenByteArray:
			b := v.ByteArray()
			if dec != nil {
				n := new(big.Int).SetBytes(b)
				if len(b) > 0 && b[0]&0x80 != 0 {
					n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
				}
				return []byte(decimalText(n, dec.Scale)), nil
			}
			return b, nil
		}
		return nil, fmt.Errorf("unsupported parquet type %s", t)
	}
}

func epochText(n int64, unit time.Duration) string {
	var t time.Time
	switch unit {
	case time.Millisecond:
		t = time.UnixMilli(n)
	case time.Nanosecond:
		t = time.Unix(0, n)
	default:
		t = time.UnixMicro(n)
	}
	return t.UTC().Format("2006-01-02 15:04:05.000000")
}

// decimalText renders an unscaled integer with a scale.
func decimalText(n *big.Int, scale int32) string {
	s := n.String()
	if scale <= 0 {
		return s
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for len(s) <= int(scale) {
		s = "0" + s
	}
	s = s[:len(s)-int(scale)] + "." + s[len(s)-int(scale):]
	if neg {
		s = "-" + s
	}
	return s
}
