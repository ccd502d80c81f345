package format

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// records splits a body into records at a line delimiter. With an enclose byte, a delimiter
// inside an enclosed field (one that starts with the enclose byte) does not end the record; the
// escape byte inside an enclosed field protects the byte after it.
type records struct {
	src     io.Reader
	delim   []byte
	sep     []byte // column separator (only to know where fields start, with enclose)
	enclose byte   // 0: none
	escape  byte   // 0: none
	max     int

	buf        []byte
	start, end int // unread data is buf[start:end]
	eof        bool
	readErr    error
	read       int64 // bytes consumed (records and delimiters returned)

	line int64 // the line the next record starts on

	// scan state of the record being assembled (relative to start)
	pos        int
	inQuote    bool
	fieldStart bool
	lines      int64 // delimiters inside enclosures of the current record
}

func newRecords(src io.Reader, delim, sep []byte, enclose, escape byte, max int) *records {
	if max <= 0 {
		max = DefaultMaxRecordBytes
	}
	return &records{src: src, delim: delim, sep: sep, enclose: enclose, escape: escape, max: max,
		buf: make([]byte, min(64<<10, max)), line: 1, fieldStart: true}
}

// next returns the next record without its delimiter (valid until the next call) and the line it
// starts on; io.EOF after the last. A record that does not end before max bytes is a *SyntaxError.
func (r *records) next() ([]byte, int64, error) {
	for {
		if end, n, ok := r.scan(); ok {
			rec := r.buf[r.start : r.start+end]
			line := r.line
			r.line += 1 + r.lines
			r.read += int64(end + n)
			r.start += end + n
			r.resetScan()
			return rec, line, nil
		}
		if r.eof {
			if r.start == r.end {
				if r.readErr != nil {
					return nil, r.line, r.readErr
				}
				return nil, r.line, io.EOF
			}
			rec := r.buf[r.start:r.end]
			line := r.line
			r.line += 1 + r.lines
			r.read += int64(len(rec))
			r.start = r.end
			r.resetScan()
			return rec, line, nil
		}
		if err := r.fill(); err != nil {
			return nil, r.line, err
		}
	}
}

func (r *records) resetScan() {
	r.pos, r.inQuote, r.fieldStart, r.lines = 0, false, true, 0
}

// scan looks for the end of the current record in the buffered data: it returns the record's
// length and the delimiter's, or ok=false when more data is needed.
func (r *records) scan() (end, n int, ok bool) {
	data := r.buf[r.start:r.end]
	d := r.delim
	if r.enclose == 0 {
		from := max(r.pos, 0)
		var i int
		if len(d) == 1 {
			i = bytes.IndexByte(data[from:], d[0])
		} else {
			i = bytes.Index(data[from:], d)
		}
		if i >= 0 {
			return from + i, len(d), true
		}
		// Resume where a delimiter could still start.
		r.pos = max(len(data)-len(d)+1, 0)
		return 0, 0, false
	}
	p := r.pos
	for p < len(data) {
		c := data[p]
		if r.inQuote {
			switch {
			case c == r.escape && r.escape != 0 && r.escape != r.enclose:
				if p+1 >= len(data) {
					r.pos = p
					return 0, 0, false
				}
				p += 2
				continue
			case c == r.enclose:
				if p+1 >= len(data) && !r.eof {
					r.pos = p // a doubled enclose ("") stays inside: look at the next byte first
					return 0, 0, false
				}
				if p+1 < len(data) && data[p+1] == r.enclose {
					p += 2
					continue
				}
				r.inQuote = false
				p++
				continue
			}
			if c == d[0] && p+len(d) <= len(data) && bytes.Equal(data[p:p+len(d)], d) {
				r.lines++
				p += len(d)
				continue
			}
			if c == d[0] && p+len(d) > len(data) && bytes.HasPrefix(d, data[p:]) {
				r.pos = p
				return 0, 0, false
			}
			p++
			continue
		}
		if c == d[0] {
			if p+len(d) > len(data) && bytes.HasPrefix(d, data[p:]) {
				r.pos = p
				return 0, 0, false
			}
			if bytes.Equal(data[p:min(p+len(d), len(data))], d) {
				return p, len(d), true
			}
		}
		if len(r.sep) > 0 && c == r.sep[0] {
			if p+len(r.sep) > len(data) && bytes.HasPrefix(r.sep, data[p:]) {
				r.pos = p
				return 0, 0, false
			}
			if bytes.Equal(data[p:min(p+len(r.sep), len(data))], r.sep) {
				p += len(r.sep)
				r.fieldStart = true
				continue
			}
		}
		if r.fieldStart && c == r.enclose {
			r.inQuote = true
		}
		r.fieldStart = false
		p++
	}
	r.pos = p
	return 0, 0, false
}

// fill reads more data, compacting or growing the buffer.
func (r *records) fill() error {
	if r.start > 0 {
		n := copy(r.buf, r.buf[r.start:r.end])
		r.start, r.end = 0, n
	}
	if r.end == len(r.buf) {
		if len(r.buf) >= r.max {
			return &SyntaxError{Line: r.line, Column: 1, Msg: fmt.Sprintf("record longer than %d bytes (is the line delimiter %q right?)", r.max, r.delim)}
		}
		nb := make([]byte, min(2*len(r.buf), r.max))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	n, err := r.src.Read(r.buf[r.end:])
	r.end += n
	if err != nil {
		r.eof = true
		if !errors.Is(err, io.EOF) {
			r.readErr = err
		}
	}
	return nil
}
