package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// JSONOptions configure a JSON reader (Doris's stream load headers of the same names).
type JSONOptions struct {
	// Columns names the source columns. Without JSONPaths, column i takes the member of that
	// name (exact, else the first that matches case-insensitively).
	Columns []string
	// JSONPaths, when set, gives column i the value at JSONPaths[i] (len(JSONPaths) must be
	// len(Columns)).
	JSONPaths []*Path
	// JSONRoot selects the part of every document (line) that holds the rows.
	JSONRoot *Path
	// StripOuterArray: the document (line) is an array of row objects.
	StripOuterArray bool
	// ReadJSONByLine: every line is a document; otherwise the body is (a sequence of) documents.
	ReadJSONByLine   bool
	LineDelimiter    []byte // by-line mode; default "\n"
	BatchRows        int
	BatchBytes       int
	MaxRecordBytes   int
	MaxDocumentBytes int
}

// JSON reads JSON objects as rows. Member values become text: strings as they are, numbers as
// written, true and false as 1 and 0, objects and arrays as compact JSON; null and missing members
// are NULL. A row object none of whose members (paths) matches a column is rejected.
type JSON struct {
	opts JSONOptions
	err  error // returned after the rows read before it
	src  io.Reader
	done bool

	// by-line mode
	recs *records

	// document mode
	body  []byte
	top   *json.Decoder
	arr   *json.Decoder // the array being iterated; nil when none
	base  int64         // body offset of arr's input
	lines lineTracker
	ready bool

	pending []pendingRow // rows of the current line (by-line mode, stripped arrays)
}

type pendingRow struct {
	raw    json.RawMessage
	line   int64
	column int
	err    *RowError
}

// NewJSON returns a JSON reader over r.
func NewJSON(r io.Reader, opts JSONOptions) (*JSON, error) {
	if len(opts.Columns) == 0 {
		return nil, errors.New("BUG: json reader without columns")
	}
	if len(opts.JSONPaths) > 0 && len(opts.JSONPaths) != len(opts.Columns) {
		return nil, fmt.Errorf("BUG: %d jsonpaths for %d columns", len(opts.JSONPaths), len(opts.Columns))
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
	if opts.MaxDocumentBytes <= 0 {
		opts.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	j := &JSON{opts: opts, src: r}
	if opts.ReadJSONByLine {
		j.recs = newRecords(r, opts.LineDelimiter, nil, 0, 0, opts.MaxRecordBytes)
	}
	return j, nil
}

// Next implements Reader.
func (j *JSON) Next() (*Chunk, error) {
	if j.err != nil {
		return nil, j.err
	}
	if j.done {
		return nil, io.EOF
	}
	ch := newChunk(len(j.opts.Columns), min(j.opts.BatchRows, 1024))
	var bytesIn int
	for ch.Rows() < j.opts.BatchRows && bytesIn < j.opts.BatchBytes {
		p, err := j.nextRow()
		if err == io.EOF {
			j.done = true
			break
		}
		if err != nil {
			j.err = err
			if ch.Rows() > 0 {
				return ch, nil
			}
			return nil, err
		}
		if p.err != nil {
			ch.Errors = append(ch.Errors, *p.err)
			continue
		}
		bytesIn += len(p.raw)
		if rerr := j.row(ch, p); rerr != nil {
			ch.Errors = append(ch.Errors, *rerr)
		}
	}
	if ch.Rows() == 0 && j.done {
		return nil, io.EOF
	}
	return ch, nil
}

// nextRow returns the next row object (or a rejected row).
func (j *JSON) nextRow() (pendingRow, error) {
	for len(j.pending) == 0 {
		var err error
		if j.opts.ReadJSONByLine {
			err = j.nextLine()
		} else {
			err = j.nextDocRows()
		}
		if err != nil {
			return pendingRow{}, err
		}
	}
	p := j.pending[0]
	j.pending = j.pending[1:]
	return p, nil
}

// nextLine turns the next non-empty line into pending rows.
func (j *JSON) nextLine() error {
	for {
		rec, line, err := j.recs.next()
		if err != nil {
			return err
		}
		trimmed := bytes.TrimSpace(rec)
		if len(trimmed) == 0 {
			continue
		}
		lead := len(rec) - len(bytes.TrimLeft(rec, " \t\r\n"))
		if err := json.Unmarshal(trimmed, new(json.RawMessage)); err != nil {
			col := errorColumn(err, len(trimmed))
			j.pending = append(j.pending, pendingRow{err: &RowError{Line: line, Column: lead + col,
				Reason: "invalid JSON: " + jsonMessage(err), Raw: Truncate(rec)}})
			return nil
		}
		doc := json.RawMessage(append([]byte(nil), trimmed...))
		rowErr := func(reason string) {
			j.pending = append(j.pending, pendingRow{err: &RowError{Line: line, Column: lead + 1, Reason: reason, Raw: Truncate(rec)}})
		}
		if j.opts.JSONRoot != nil {
			var ok bool
			if doc, ok = j.opts.JSONRoot.eval(doc); !ok {
				rowErr(fmt.Sprintf("json_root %s not found", j.opts.JSONRoot))
				return nil
			}
			doc = bytes.TrimSpace(doc)
		}
		switch {
		case len(doc) > 0 && doc[0] == '[':
			if !j.opts.StripOuterArray {
				rowErr("JSON data is an array, strip_outer_array must be true")
				return nil
			}
			var elems []json.RawMessage
			_ = json.Unmarshal(doc, &elems) // valid: checked above
			for _, e := range elems {
				j.pending = append(j.pending, pendingRow{raw: e, line: line, column: lead + 1})
			}
		case len(doc) > 0 && doc[0] == '{':
			if j.opts.StripOuterArray && j.opts.JSONRoot == nil {
				rowErr("JSON data is not an array, strip_outer_array must be false")
				return nil
			}
			j.pending = append(j.pending, pendingRow{raw: doc, line: line, column: lead + 1})
		default:
			rowErr("JSON value is not an object")
		}
		return nil
	}
}

// nextDocRows turns the next element of the document into pending rows.
func (j *JSON) nextDocRows() error {
	if !j.ready {
		j.ready = true
		body, err := io.ReadAll(io.LimitReader(j.src, int64(j.opts.MaxDocumentBytes)+1))
		if err != nil {
			return err
		}
		if len(body) > j.opts.MaxDocumentBytes {
			return &SyntaxError{Line: 1, Column: 1, Msg: fmt.Sprintf("JSON body larger than %d bytes: use read_json_by_line", j.opts.MaxDocumentBytes)}
		}
		j.body = body
		j.lines = lineTracker{body: body, delim: j.opts.LineDelimiter, line: 1}
		j.top = json.NewDecoder(bytes.NewReader(body))
	}
	for {
		if j.arr != nil {
			if j.arr.More() {
				var e json.RawMessage
				if err := j.arr.Decode(&e); err != nil {
					return fmt.Errorf("BUG: decoding a validated JSON array: %w", err)
				}
				off := j.base + j.arr.InputOffset() - int64(len(e))
				line, col := j.lines.at(off)
				j.pending = append(j.pending, pendingRow{raw: e, line: line, column: col})
				return nil
			}
			j.arr = nil
			continue
		}
		var doc json.RawMessage
		if err := j.top.Decode(&doc); err != nil {
			if err == io.EOF {
				return io.EOF
			}
			off := int64(errorColumn(err, len(j.body)) - 1)
			line, col := position(j.body, off, j.opts.LineDelimiter)
			return &SyntaxError{Line: line, Column: col, Msg: "invalid JSON: " + jsonMessage(err)}
		}
		off := j.top.InputOffset() - int64(len(doc))
		line, col := j.lines.at(off)
		if j.opts.JSONRoot != nil {
			sub, ok := j.opts.JSONRoot.eval(doc)
			if !ok {
				return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("json_root %s not found", j.opts.JSONRoot)}
			}
			// Rows under a root are reported at the document's position.
			sub = bytes.TrimSpace(sub)
			if len(sub) > 0 && sub[0] == '[' {
				if !j.opts.StripOuterArray {
					return &SyntaxError{Line: line, Column: col, Msg: "JSON data is an array, strip_outer_array must be true"}
				}
				var elems []json.RawMessage
				_ = json.Unmarshal(sub, &elems)
				for _, e := range elems {
					j.pending = append(j.pending, pendingRow{raw: e, line: line, column: col})
				}
				return nil
			}
			j.pending = append(j.pending, pendingRow{raw: sub, line: line, column: col})
			return nil
		}
		switch doc[0] {
		case '[':
			if !j.opts.StripOuterArray {
				return &SyntaxError{Line: line, Column: col, Msg: "JSON data is an array, strip_outer_array must be true"}
			}
			j.arr = json.NewDecoder(bytes.NewReader(doc))
			j.base = off
			if _, err := j.arr.Token(); err != nil {
				return fmt.Errorf("BUG: reading '[' of a validated JSON array: %w", err)
			}
		case '{':
			if j.opts.StripOuterArray {
				return &SyntaxError{Line: line, Column: col, Msg: "JSON data is not an array, strip_outer_array must be false"}
			}
			j.pending = append(j.pending, pendingRow{raw: doc, line: line, column: col})
			return nil
		default:
			return &SyntaxError{Line: line, Column: col, Msg: "JSON value is not an object or an array of objects"}
		}
	}
}

// row extracts the columns of one row object into the chunk.
func (j *JSON) row(ch *Chunk, p pendingRow) *RowError {
	raw := bytes.TrimSpace(p.raw)
	rerr := func(reason string) *RowError {
		return &RowError{Line: p.line, Column: p.column, Reason: reason, Raw: Truncate(raw)}
	}
	if len(raw) == 0 || raw[0] != '{' {
		return rerr("JSON value is not an object")
	}
	vals := make([]json.RawMessage, len(j.opts.Columns))
	found := make([]bool, len(j.opts.Columns))
	matched := false
	if len(j.opts.JSONPaths) > 0 {
		for i, path := range j.opts.JSONPaths {
			vals[i], found[i] = path.eval(raw)
			matched = matched || found[i]
		}
	} else {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return rerr("invalid JSON object: " + jsonMessage(err))
		}
		for i, name := range j.opts.Columns {
			v, ok := obj[name]
			if !ok {
				for k, kv := range obj {
					if strings.EqualFold(k, name) {
						v, ok = kv, true
						break
					}
				}
			}
			vals[i], found[i] = v, ok
			matched = matched || ok
		}
	}
	if !matched {
		return rerr("no member of the JSON object matches a column")
	}
	texts := make([][]byte, len(vals))
	nulls := make([]bool, len(vals))
	for i, v := range vals {
		if !found[i] {
			nulls[i] = true
			continue
		}
		t, null, err := jsonText(v)
		if err != nil {
			return rerr(fmt.Sprintf("column %s: %v", j.opts.Columns[i], err))
		}
		texts[i], nulls[i] = t, null
	}
	for i, v := range ch.Cols {
		if nulls[i] {
			v.AppendNull()
		} else {
			v.Bytes = append(v.Bytes, ch.keep(texts[i]))
		}
	}
	ch.Lines = append(ch.Lines, p.line)
	ch.Raw = append(ch.Raw, ch.keepRaw(raw))
	ch.N++
	return nil
}

// jsonText renders a JSON value as load text; null=true for JSON null.
func jsonText(v json.RawMessage) ([]byte, bool, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return nil, true, nil
	}
	switch v[0] {
	case 'n':
		return nil, true, nil
	case 't':
		return []byte("1"), false, nil
	case 'f':
		return []byte("0"), false, nil
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, false, err
		}
		return []byte(s), false, nil
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			return nil, false, err
		}
		return b.Bytes(), false, nil
	}
	return v, false, nil // a number, as written
}

// errorColumn is the 1-based position in a document of n bytes of the byte a JSON decoding
// error is about: the offending byte of a syntax error (its Offset counts the bytes read,
// that one included), or just past the end when the input ended early.
func errorColumn(err error, n int) int {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 && se.Offset <= int64(n) {
		if se.Offset == int64(n) && errors.Is(err, io.ErrUnexpectedEOF) {
			return n + 1
		}
		return int(se.Offset)
	}
	return n + 1
}

// jsonMessage is encoding/json's message without its "json: " prefix.
func jsonMessage(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of JSON input"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// lineTracker maps increasing body offsets to lines and columns in O(distance).
type lineTracker struct {
	body      []byte
	delim     []byte
	off       int64 // scanned up to here
	line      int64
	lineStart int64
}

func (t *lineTracker) at(off int64) (int64, int) {
	if off < t.off {
		return position(t.body, off, t.delim)
	}
	off = min(off, int64(len(t.body)))
	d := t.delim
	for t.off < off {
		i := t.off
		if t.body[i] == d[0] && i+int64(len(d)) <= int64(len(t.body)) && bytes.Equal(t.body[i:i+int64(len(d))], d) {
			t.line++
			t.off += int64(len(d))
			t.lineStart = t.off
			continue
		}
		t.off++
	}
	return t.line, int(off-t.lineStart) + 1
}
