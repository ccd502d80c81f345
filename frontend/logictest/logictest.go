package logictest

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite expected query results in .test files")

// record is one statement or query of a file.
type record struct {
	line     int    // 1-based line of the record's header
	kind     string // "statement" or "query"
	ok       bool   // statement ok (or statement count)
	count    int64  // statement count N: the affected rows; -1 when not checked
	errRe    string // statement error pattern
	types    string // query column types
	sortMode string
	sql      string
	expected []string // query result lines
	// text span of the expected block in the file, for -rewrite
	expStart, expEnd int // line indexes [expStart, expEnd)
}

func parseFile(path string) ([]record, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	var recs []record
	for i := 0; i < len(lines); {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "#") {
			i++
			continue
		}
		fields := strings.Fields(l)
		r := record{line: i + 1, kind: fields[0], count: -1}
		switch fields[0] {
		case "statement":
			if len(fields) < 2 {
				return nil, nil, fmt.Errorf("%s:%d: statement needs ok or error", path, i+1)
			}
			switch fields[1] {
			case "ok":
				r.ok = true
			case "count":
				n, err := strconv.ParseInt(strings.Join(fields[2:], ""), 10, 64)
				if err != nil || len(fields) != 3 {
					return nil, nil, fmt.Errorf("%s:%d: statement count needs a number", path, i+1)
				}
				r.ok, r.count = true, n
			case "error":
				r.errRe = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(l, "statement"), " error"))
			default:
				return nil, nil, fmt.Errorf("%s:%d: unknown statement mode %q", path, i+1, fields[1])
			}
		case "query":
			if len(fields) < 2 {
				return nil, nil, fmt.Errorf("%s:%d: query needs column types", path, i+1)
			}
			r.types, r.sortMode = fields[1], "nosort"
			if len(fields) > 2 {
				r.sortMode = fields[2]
			}
			if r.sortMode != "nosort" && r.sortMode != "rowsort" && r.sortMode != "valuesort" {
				return nil, nil, fmt.Errorf("%s:%d: unknown sort mode %q", path, i+1, r.sortMode)
			}
		default:
			return nil, nil, fmt.Errorf("%s:%d: unknown record %q", path, i+1, fields[0])
		}
		i++
		var sqlLines []string
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" && strings.TrimSpace(lines[i]) != "----" {
			sqlLines = append(sqlLines, lines[i])
			i++
		}
		r.sql = strings.Join(sqlLines, "\n")
		if r.kind == "query" {
			if i >= len(lines) || strings.TrimSpace(lines[i]) != "----" {
				return nil, nil, fmt.Errorf("%s:%d: query without ---- separator", path, r.line)
			}
			i++
			r.expStart = i
			for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
				r.expected = append(r.expected, lines[i])
				i++
			}
			r.expEnd = i
		}
		recs = append(recs, r)
	}
	return recs, lines, nil
}

// Option tunes RunFile.
type Option func(*options)

type options struct{ replace []string }

// Replace replaces old with new in query results and error messages before they are compared
// (and written by -rewrite): for values that differ between runs, such as a temporary directory.
func Replace(old, new string) Option {
	return func(o *options) { o.replace = append(o.replace, old, new) }
}

// RunFile runs every record of the file at path on one connection of db.
func RunFile(t *testing.T, db *sql.DB, path string, opts ...Option) {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	replacer := strings.NewReplacer(o.replace...)
	recs, lines, err := parseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rewritten := map[int][]string{}
	for _, r := range recs {
		where := fmt.Sprintf("%s:%d", path, r.line)
		switch r.kind {
		case "statement":
			res, err := conn.ExecContext(ctx, r.sql)
			if r.ok {
				if err != nil {
					t.Errorf("%s: statement failed: %v\n%s", where, err, r.sql)
				} else if r.count >= 0 {
					if n, _ := res.RowsAffected(); n != r.count {
						t.Errorf("%s: %d rows affected, want %d\n%s", where, n, r.count, r.sql)
					}
				}
				continue
			}
			if err == nil {
				t.Errorf("%s: statement succeeded, want error matching %q\n%s", where, r.errRe, r.sql)
				continue
			}
			msg := replacer.Replace(err.Error())
			if ok, rerr := regexp.MatchString(r.errRe, msg); rerr != nil || !ok {
				t.Errorf("%s: error %q does not match %q\n%s", where, msg, r.errRe, r.sql)
			}
		case "query":
			got, err := runQuery(ctx, conn, r)
			if err != nil {
				t.Errorf("%s: %v\n%s", where, err, r.sql)
				continue
			}
			for i := range got {
				got[i] = replacer.Replace(got[i])
			}
			if *rewrite {
				rewritten[r.expStart] = got
				continue
			}
			want := normalize(r.expected, r.sortMode)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: results differ\n%s\n--- got\n%s\n--- want\n%s", where, r.sql, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
	}
	if *rewrite {
		writeBack(t, path, lines, recs, rewritten)
	}
}

func runQuery(ctx context.Context, conn *sql.Conn, r record) ([]string, error) {
	rows, err := conn.QueryContext(ctx, r.sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if len(cols) != len(r.types) {
		return nil, fmt.Errorf("query returned %d columns, type string %q has %d", len(cols), r.types, len(r.types))
	}
	var out []string
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		parts := make([]string, len(cols))
		for i, v := range vals {
			switch {
			case v == nil:
				parts[i] = "NULL"
			case len(v) == 0:
				parts[i] = "(empty)"
			case r.types[i] == 'X':
				parts[i] = "*" // a value that differs between runs: not compared
			default:
				parts[i] = string(v)
				if r.types[i] == 'I' {
					if _, err := strconv.ParseInt(parts[i], 10, 64); err != nil {
						return nil, fmt.Errorf("column %d (%s) is typed I but holds %q", i+1, cols[i], parts[i])
					}
				}
			}
		}
		out = append(out, strings.Join(parts, " "))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return normalize(out, r.sortMode), nil
}

func normalize(lines []string, mode string) []string {
	out := append([]string(nil), lines...)
	switch mode {
	case "rowsort":
		sort.Strings(out)
	case "valuesort":
		var vals []string
		for _, l := range out {
			vals = append(vals, strings.Fields(l)...)
		}
		sort.Strings(vals)
		out = vals
	}
	return out
}

func writeBack(t *testing.T, path string, lines []string, recs []record, results map[int][]string) {
	var b strings.Builder
	i := 0
	for _, r := range recs {
		if r.kind != "query" {
			continue
		}
		for ; i < r.expStart; i++ {
			b.WriteString(lines[i] + "\n")
		}
		for _, l := range results[r.expStart] {
			b.WriteString(l + "\n")
		}
		i = r.expEnd
	}
	for ; i < len(lines); i++ {
		b.WriteString(lines[i] + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
