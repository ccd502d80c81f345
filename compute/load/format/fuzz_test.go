package format_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/doricdb/doric/compute/load/format"
)

// drain reads r to the end and checks the contract: chunks are consistent, rows go forward in
// line order, and every rejected row and every error names a line and a column.
func drain(t *testing.T, r format.Reader) {
	t.Helper()
	last := int64(0)
	for range 1 << 20 {
		ch, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			var se *format.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error is not a *SyntaxError: %v", err)
			}
			if se.Line < 1 || se.Column < 1 || !strings.Contains(err.Error(), "line ") || !strings.Contains(err.Error(), "column ") {
				t.Fatalf("error without a position: %v", err)
			}
			if _, err2 := r.Next(); err2 == nil || err2 == io.EOF {
				t.Fatalf("reader went on after %v", err)
			}
			return
		}
		if len(ch.Lines) != ch.N || len(ch.Raw) != ch.N {
			t.Fatalf("%d rows with %d lines, %d raw", ch.N, len(ch.Lines), len(ch.Raw))
		}
		for _, c := range ch.Cols {
			if c.Len() != ch.N {
				t.Fatalf("column of %d values in a chunk of %d rows", c.Len(), ch.N)
			}
		}
		for _, l := range ch.Lines {
			if l < last || l < 1 {
				t.Fatalf("row at line %d after line %d", l, last)
			}
			last = l
		}
		for _, e := range ch.Errors {
			if e.Line < 1 || e.Column < 1 || e.Reason == "" {
				t.Fatalf("rejected row without a position or reason: %+v", e)
			}
		}
	}
	t.Fatal("reader never ends")
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("1\t2\n3\t4\n"), byte(2), byte(0), byte(0))
	f.Add([]byte(`"a,b",2`+"\n\"x\ny\",3"), byte(2), byte(1), byte(1))
	f.Add([]byte("a||b\r\nc||d\r\n"), byte(2), byte(2), byte(0))
	f.Add([]byte(`'it\'s',\N`+"\n'a''b'"), byte(2), byte(1), byte(2))
	f.Add([]byte("\"unterminated,\n\n\n"), byte(3), byte(1), byte(1))
	seps := [][]byte{{'\t'}, {','}, []byte("||")}
	delims := [][]byte{{'\n'}, []byte("\r\n"), []byte("\n\n")}
	f.Fuzz(func(t *testing.T, body []byte, cols, sepDelim, quoting byte) {
		opts := format.CSVOptions{
			Columns:         1 + int(cols%8),
			ColumnSeparator: seps[int(sepDelim)%len(seps)],
			LineDelimiter:   delims[int(sepDelim/3)%len(delims)],
			BatchRows:       1 + int(cols/8%16),
			MaxRecordBytes:  64 + int(quoting)*8,
			SkipLines:       int(quoting>>6) % 2,
		}
		switch quoting % 3 {
		case 1:
			opts.Enclose, opts.Escape = '"', '\\'
		case 2:
			opts.Enclose, opts.Escape = '\'', '\''
		}
		opts.TrimDoubleQuotes = quoting&8 != 0
		r, err := format.NewCSV(bytes.NewReader(body), opts)
		if err != nil {
			t.Fatal(err)
		}
		drain(t, r)
	})
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte(`[{"a": 1, "b": "x"}, {"a": null}]`), byte(1))
	f.Add([]byte(`{"a": 1}`+"\n"+`{"b": [1, {"c": 2}]}`), byte(2))
	f.Add([]byte(`{"data": [{"a": 1}]}`), byte(5))
	f.Add([]byte(`[{"a": 1}, 5, "x", {"zz": true}`), byte(1))
	f.Add([]byte("{\"a\":\n\"\\u12\"}"), byte(0))
	f.Fuzz(func(t *testing.T, body []byte, mode byte) {
		opts := format.JSONOptions{
			Columns:          []string{"a", "b"},
			StripOuterArray:  mode&1 != 0,
			ReadJSONByLine:   mode&2 != 0,
			BatchRows:        1 + int(mode>>4),
			MaxDocumentBytes: 4096,
			MaxRecordBytes:   1024,
		}
		if mode&4 != 0 {
			root, _ := format.ParsePath("$.data")
			opts.JSONRoot = root
		}
		if mode&8 != 0 {
			paths, err := format.ParsePaths(`["$.a", "$.b[1].c"]`)
			if err != nil {
				t.Fatal(err)
			}
			opts.JSONPaths = paths
		}
		r, err := format.NewJSON(bytes.NewReader(body), opts)
		if err != nil {
			t.Fatal(err)
		}
		drain(t, r)
	})
}
