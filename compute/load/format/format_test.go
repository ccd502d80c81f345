package format_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/cockroachdb/datadriven"

	"github.com/doricdb/doric/compute/load/format"
)

// unescape turns \n, \t, \r, \\ and \xNN in a test argument into bytes.
func unescape(t *testing.T, s string) []byte {
	switch s {
	case "sq":
		return []byte("'")
	case "dq":
		return []byte(`"`)
	case "bs":
		return []byte(`\`)
	}
	if len(s) == 1 {
		return []byte(s)
	}
	u, err := strconv.Unquote(`"` + s + `"`)
	if err != nil {
		t.Fatalf("bad escaped argument %q: %v", s, err)
	}
	return []byte(u)
}

// render reads everything and prints rows and errors in line order.
func render(r format.Reader) string {
	var b strings.Builder
	for {
		ch, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *format.SyntaxError
			if errors.As(err, &se) {
				fmt.Fprintf(&b, "fatal: %v\n", err)
			} else {
				fmt.Fprintf(&b, "read error: %v\n", err)
			}
			break
		}
		if len(ch.Lines) != ch.N || len(ch.Raw) != ch.N {
			fmt.Fprintf(&b, "BUG: %d rows, %d lines, %d raw\n", ch.N, len(ch.Lines), len(ch.Raw))
		}
		type item struct {
			line int64
			text string
		}
		var items []item
		for i := range ch.N {
			var fs []string
			for _, c := range ch.Cols {
				if c.Len() != ch.N {
					fs = append(fs, fmt.Sprintf("BUG: column of %d rows", c.Len()))
					continue
				}
				if c.IsNull(i) {
					fs = append(fs, "NULL")
				} else {
					fs = append(fs, strconv.Quote(string(c.Bytes[i])))
				}
			}
			items = append(items, item{ch.Lines[i], fmt.Sprintf("%d: %s", ch.Lines[i], strings.Join(fs, " "))})
		}
		for _, e := range ch.Errors {
			items = append(items, item{e.Line, fmt.Sprintf("%d: error: %v (raw %q)", e.Line, e, e.Raw)})
		}
		// Stable by line: a line's rows and errors keep their reading order.
		for i := 1; i < len(items); i++ {
			for k := i; k > 0 && items[k].line < items[k-1].line; k-- {
				items[k], items[k-1] = items[k-1], items[k]
			}
		}
		for _, it := range items {
			b.WriteString(it.text + "\n")
		}
	}
	return b.String()
}

func TestReaders(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	for _, file := range []string{"testdata/csv", "testdata/json"} {
		datadriven.RunTest(t, file, func(t *testing.T, d *datadriven.TestData) string {
			input := d.Input
			if d.HasArg("noeol") {
				input = strings.TrimSuffix(input, "\n")
			}
			if d.HasArg("raw") {
				input = string(unescape(t, input))
			}
			var out string
			// The output must not depend on batch sizes or on how the body arrives.
			for attempt := range 4 {
				var src io.Reader = strings.NewReader(input)
				if attempt%2 == 1 {
					src = iotest.OneByteReader(src)
				}
				batch := 1 + r.IntN(5)
				if attempt == 0 {
					batch = 0
				}
				rd := newReader(t, d, src, batch)
				got := render(rd)
				if attempt > 0 && got != out {
					t.Fatalf("batch %d, attempt %d: output differs:\n%s\nfirst:\n%s", batch, attempt, got, out)
				}
				out = got
			}
			return out
		})
	}
}

func newReader(t *testing.T, d *datadriven.TestData, src io.Reader, batch int) format.Reader {
	switch d.Cmd {
	case "csv":
		opts := format.CSVOptions{BatchRows: batch}
		for _, a := range d.CmdArgs {
			v := ""
			if len(a.Vals) > 0 {
				v = a.Vals[0]
			}
			switch a.Key {
			case "columns":
				opts.Columns, _ = strconv.Atoi(v)
			case "sep":
				opts.ColumnSeparator = unescape(t, v)
			case "delim":
				opts.LineDelimiter = unescape(t, v)
			case "enclose":
				opts.Enclose = unescape(t, v)[0]
			case "escape":
				opts.Escape = unescape(t, v)[0]
			case "trim":
				opts.TrimDoubleQuotes = true
			case "skip":
				opts.SkipLines, _ = strconv.Atoi(v)
			case "max":
				opts.MaxRecordBytes, _ = strconv.Atoi(v)
			}
		}
		rd, err := format.NewCSV(src, opts)
		if err != nil {
			t.Fatal(err)
		}
		return rd
	case "json":
		opts := format.JSONOptions{BatchRows: batch}
		for _, a := range d.CmdArgs {
			switch a.Key {
			case "columns":
				opts.Columns = strings.Split(strings.Join(a.Vals, ","), ",")
			case "paths":
				ps, err := format.ParsePaths(strings.Join(a.Vals, ","))
				if err != nil {
					t.Fatal(err)
				}
				opts.JSONPaths = ps
			case "root":
				p, err := format.ParsePath(a.Vals[0])
				if err != nil {
					t.Fatal(err)
				}
				opts.JSONRoot = p
			case "strip":
				opts.StripOuterArray = true
			case "by-line":
				opts.ReadJSONByLine = true
			case "delim":
				opts.LineDelimiter = unescape(t, a.Vals[0])
			case "max":
				opts.MaxDocumentBytes, _ = strconv.Atoi(a.Vals[0])
				opts.MaxRecordBytes = opts.MaxDocumentBytes
			}
		}
		rd, err := format.NewJSON(src, opts)
		if err != nil {
			t.Fatal(err)
		}
		return rd
	}
	t.Fatalf("unknown command %s", d.Cmd)
	return nil
}

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{in: "$"}, {in: "$.a"}, {in: "$.a.b[2]"}, {in: "$['a b'][0].c"}, {in: `$["x"]`},
		{in: "a", err: "does not start with '$'"},
		{in: "$.", err: "empty member name"},
		{in: "$[", err: "'[' without ']'"},
		{in: "$[-1]", err: "bad index"},
		{in: "$[x]", err: "bad index"},
		{in: "$x", err: "unexpected"},
	} {
		_, err := format.ParsePath(tc.in)
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParsePath(%q) = %v, want %q", tc.in, err, tc.err)
		}
	}
	if _, err := format.ParsePaths(`["$.a", 1]`); err == nil {
		t.Error("ParsePaths accepted a number")
	}
}
