package format

import (
	"bytes"
	"fmt"
	"io"
)

// CSVOptions configure a CSV reader (Doris's stream load headers of the same names).
type CSVOptions struct {
	Columns          int    // fields every record must have (> 0)
	ColumnSeparator  []byte // default "\t"
	LineDelimiter    []byte // default "\n"
	Enclose          byte   // 0: fields are not enclosed
	Escape           byte   // inside enclosed fields; 0: none
	TrimDoubleQuotes bool   // strip one pair of outer '"' from every field
	SkipLines        int    // records skipped at the start (the header of csv_with_names is one)
	BatchRows        int    // default DefaultBatchRows
	BatchBytes       int    // default DefaultBatchBytes
	MaxRecordBytes   int    // default DefaultMaxRecordBytes
}

// CSV reads delimiter-separated text. A field `\N` is NULL; empty records are skipped.
type CSV struct {
	opts    CSVOptions
	err     error // returned after the rows read before it
	recs    *records
	skipped int
	fields  [][]byte
	scratch []byte
	done    bool
}

// NewCSV returns a CSV reader over r.
func NewCSV(r io.Reader, opts CSVOptions) (*CSV, error) {
	if opts.Columns <= 0 {
		return nil, fmt.Errorf("BUG: csv reader with %d columns", opts.Columns)
	}
	if len(opts.ColumnSeparator) == 0 {
		opts.ColumnSeparator = []byte{'\t'}
	}
	if len(opts.LineDelimiter) == 0 {
		opts.LineDelimiter = []byte{'\n'}
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultBatchRows
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = DefaultBatchBytes
	}
	if opts.Enclose == 0 {
		opts.Escape = 0
	}
	return &CSV{opts: opts, recs: newRecords(r, opts.LineDelimiter, opts.ColumnSeparator, opts.Enclose, opts.Escape, opts.MaxRecordBytes)}, nil
}

var nullField = []byte(`\N`)

// Next implements Reader.
func (c *CSV) Next() (*Chunk, error) {
	if c.err != nil {
		return nil, c.err
	}
	if c.done {
		return nil, io.EOF
	}
	ch := newChunk(c.opts.Columns, min(c.opts.BatchRows, DefaultBatchRows))
	bytesIn := 0
	for ch.Rows() < c.opts.BatchRows && bytesIn < c.opts.BatchBytes {
		rec, line, err := c.recs.next()
		if err == io.EOF {
			c.done = true
			break
		}
		if err != nil {
			c.err = err
			if ch.Rows() > 0 {
				return ch, nil
			}
			return nil, err
		}
		if c.skipped < c.opts.SkipLines {
			c.skipped++
			continue
		}
		if len(rec) == 0 {
			continue
		}
		bytesIn += len(rec)
		c.record(ch, rec, line)
	}
	if ch.Rows() == 0 && c.done {
		return nil, io.EOF
	}
	return ch, nil
}

// record splits one record into the chunk (or records why it cannot).
func (c *CSV) record(ch *Chunk, rec []byte, line int64) {
	fields, rerr := c.split(rec)
	if rerr != nil {
		rerr.Line = line
		rerr.Raw = Truncate(rec)
		ch.Errors = append(ch.Errors, *rerr)
		return
	}
	if len(fields) != c.opts.Columns {
		reason := "actual column number in csv file is less than schema column number"
		col := len(fields) + 1
		if len(fields) > c.opts.Columns {
			reason = "actual column number in csv file is more than schema column number"
			col = c.opts.Columns + 1
		}
		ch.Errors = append(ch.Errors, RowError{Line: line, Column: col,
			Reason: fmt.Sprintf("%s (actual %d, expected %d; column separator %q, line delimiter %q)", reason, len(fields), c.opts.Columns, c.opts.ColumnSeparator, c.opts.LineDelimiter),
			Raw:    Truncate(rec)})
		return
	}
	for j, f := range fields {
		v := ch.Cols[j]
		if bytes.Equal(f, nullField) {
			v.AppendNull()
			continue
		}
		v.Bytes = append(v.Bytes, ch.keep(f))
	}
	ch.Lines = append(ch.Lines, line)
	ch.Raw = append(ch.Raw, ch.keepRaw(rec))
	ch.N++
}

// split cuts a record into fields (valid until the next call).
func (c *CSV) split(rec []byte) ([][]byte, *RowError) {
	sep := c.opts.ColumnSeparator
	fields := c.fields[:0]
	c.scratch = c.scratch[:0]
	enc, esc := c.opts.Enclose, c.opts.Escape
	p := 0
	for {
		if enc != 0 && p < len(rec) && rec[p] == enc {
			// Enclosed field: unescape into scratch, then take what follows up to the separator.
			col := len(fields) + 1
			start := len(c.scratch)
			q := p + 1
			closed := false
			for q < len(rec) {
				b := rec[q]
				if esc != 0 && esc != enc && b == esc && q+1 < len(rec) {
					c.scratch = append(c.scratch, rec[q+1])
					q += 2
					continue
				}
				if b == enc {
					if q+1 < len(rec) && rec[q+1] == enc {
						c.scratch = append(c.scratch, enc)
						q += 2
						continue
					}
					closed = true
					q++
					break
				}
				c.scratch = append(c.scratch, b)
				q++
			}
			if !closed {
				c.fields = fields
				return nil, &RowError{Column: col, Reason: fmt.Sprintf("enclosed field has no closing %q", enc), Value: Truncate(rec[p:])}
			}
			i := indexSep(rec[q:], sep)
			if i < 0 {
				i = len(rec) - q
			}
			c.scratch = append(c.scratch, rec[q:q+i]...)
			fields = append(fields, c.scratch[start:len(c.scratch):len(c.scratch)])
			p = q + i
		} else {
			i := indexSep(rec[p:], sep)
			if i < 0 {
				i = len(rec) - p
			}
			fields = append(fields, c.trim(rec[p:p+i]))
			p += i
		}
		if p >= len(rec) {
			break
		}
		p += len(sep) // at a separator
		if p == len(rec) {
			fields = append(fields, rec[p:]) // a trailing separator ends with an empty field
			break
		}
	}
	c.fields = fields
	return fields, nil
}

func (c *CSV) trim(f []byte) []byte {
	if c.opts.TrimDoubleQuotes && len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
		return f[1 : len(f)-1]
	}
	return f
}

func indexSep(b, sep []byte) int {
	if len(sep) == 1 {
		return bytes.IndexByte(b, sep[0])
	}
	return bytes.Index(b, sep)
}
