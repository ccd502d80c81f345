package parser

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/doricdb/doric/frontend/ast"
)

// TestGolden runs testdata/golden/*. Directives:
//
//	parse: print every statement in canonical form (ast.Format), or the error. Every successful
//	       parse is also checked to round-trip: Format → Parse gives the same tree.
//	tree:  print the tree with the position of every node.
func TestGolden(t *testing.T) {
	datadriven.Walk(t, "testdata/golden", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			stmts, err := Parse(td.Input)
			if err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("error is %T, want *SyntaxError: %v", err, err)
				}
				return "error: " + err.Error() + "\n"
			}
			var b strings.Builder
			for _, st := range stmts {
				checkRoundTrip(t, st)
				switch td.Cmd {
				case "parse":
					b.WriteString(ast.Format(st) + "\n")
				case "tree":
					b.WriteString(dump(st, true) + "\n")
				default:
					t.Fatalf("unknown directive %q", td.Cmd)
				}
			}
			return b.String()
		})
	})
}

func checkRoundTrip(t *testing.T, st ast.Statement) {
	t.Helper()
	text := ast.Format(st)
	again, err := Parse(text)
	if err != nil {
		t.Fatalf("canonical text does not parse: %q: %v", text, err)
	}
	if len(again) != 1 {
		t.Fatalf("canonical text %q parses to %d statements", text, len(again))
	}
	if a, b := dump(st, false), dump(again[0], false); a != b {
		t.Fatalf("round trip changed the tree:\n%s\n%s\n%s", text, a, b)
	}
	if text2 := ast.Format(again[0]); text2 != text {
		t.Fatalf("canonical form is not stable:\n%s\n%s", text, text2)
	}
}

// dump prints a tree generically (test-only reflection), with or without positions.
func dump(n any, withPos bool) string {
	var b strings.Builder
	dumpValue(&b, reflect.ValueOf(n), withPos)
	return b.String()
}

var posType = reflect.TypeOf(ast.Pos{})

func dumpValue(b *strings.Builder, v reflect.Value, withPos bool) {
	switch v.Kind() {
	case reflect.Invalid:
		b.WriteString("nil")
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		dumpValue(b, v.Elem(), withPos)
	case reflect.Struct:
		if v.Type() == posType {
			p := v.Interface().(ast.Pos)
			fmt.Fprintf(b, "@%d:%d", p.Line, p.Col)
			return
		}
		b.WriteString(v.Type().Name())
		b.WriteString("{")
		first := true
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if f.Type() == posType {
				if withPos {
					dumpValue(b, f, withPos)
					first = false
				}
				continue
			}
			if f.IsZero() {
				continue
			}
			if !first {
				b.WriteString(" ")
			}
			first = false
			b.WriteString(v.Type().Field(i).Name + ":")
			dumpValue(b, f, withPos)
		}
		b.WriteString("}")
	case reflect.Slice:
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteString(" ")
			}
			dumpValue(b, v.Index(i), withPos)
		}
		b.WriteString("]")
	case reflect.String:
		fmt.Fprintf(b, "%q", v.String())
	default:
		fmt.Fprintf(b, "%v", v.Interface())
	}
}

func TestSyntaxErrorFields(t *testing.T) {
	_, err := Parse("SELECT a\nFROM t WHERE")
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("got %v", err)
	}
	if se.Line != 2 || se.Col != 13 || !se.AtEOF {
		t.Fatalf("got %+v", se)
	}
	_, err = Parse("SELECT é, 1 +\n  , 2")
	if !errors.As(err, &se) || se.Line != 2 || se.Col != 3 || se.Near != "," || se.Offset != len("SELECT é, 1 +\n  ") {
		t.Fatalf("got %+v", se)
	}
}

func TestParseOne(t *testing.T) {
	if _, err := ParseOne("SELECT 1;"); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"", " ; ", "SELECT 1; SELECT 2"} {
		if _, err := ParseOne(in); err == nil {
			t.Errorf("ParseOne(%q) succeeded", in)
		}
	}
}

func TestDepthLimits(t *testing.T) {
	// Every accepted tree, however deep, round-trips through its fully parenthesised form.
	accepted := []string{
		"SELECT 1" + strings.Repeat(" + 1", maxTreeDepth-1),
		"SELECT " + strings.Repeat("NOT ", maxTreeDepth-1) + "a",
		"SELECT " + strings.Repeat("(", maxTreeDepth) + "1" + strings.Repeat(")", maxTreeDepth),
		"SELECT " + strings.Repeat("f(", maxTreeDepth-1) + "1" + strings.Repeat(")", maxTreeDepth-1),
		"SELECT a IN (" + strings.Repeat("1, ", 100000) + "1)",
	}
	// Queries nest through subqueries, derived tables, parenthesised joins and set operations.
	nested := func(n int, open, mid, close string) string {
		return strings.Repeat(open, n) + mid + strings.Repeat(close, n)
	}
	n := maxTreeDepth/4 - 4
	accepted = append(accepted,
		nested(n, "SELECT (", "SELECT 1", ")"),
		"SELECT * FROM "+nested(n, "(SELECT * FROM ", "t", ") AS x"),
		"SELECT * FROM "+nested(n, "(t JOIN ", "u", " ON 1)"),
		nested(n, "(", "SELECT 1", ")"),
		"SELECT 1"+strings.Repeat(" UNION SELECT 1", n),
		"SELECT * FROM t"+strings.Repeat(", t", n),
		"SELECT 1 WHERE "+nested(n, "EXISTS (SELECT 1 WHERE ", "1", ")"),
		"SELECT "+nested(n, "(", "1", ", 1)"),
	)
	for _, sql := range accepted {
		stmts, err := Parse(sql)
		if err != nil {
			t.Fatalf("%.40s...: %v", sql, err)
		}
		checkRoundTrip(t, stmts[0])
	}
	rejected := []string{
		nested(100000, "SELECT (", "SELECT 1", ")"),
		"SELECT * FROM " + nested(100000, "(SELECT * FROM ", "t", ") AS x"),
		"SELECT * FROM " + nested(100000, "(", "t", ")"),
		nested(100000, "(", "SELECT 1", ")"),
		"SELECT 1" + strings.Repeat(" UNION SELECT 1", maxTreeDepth+1),
		"SELECT * FROM t" + strings.Repeat(" JOIN t", maxTreeDepth+1),
		"SELECT " + nested(100000, "trim(", "1", " FROM 1)"),
		"SELECT " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000),
		"SELECT 1" + strings.Repeat(" + 1", maxTreeDepth+1),
		"SELECT " + strings.Repeat("- ", 100000) + "a",
		"SELECT " + strings.Repeat("(1 + ", maxTreeDepth+1) + "1" + strings.Repeat(")", maxTreeDepth+1),
	}
	for _, sql := range rejected {
		if _, err := Parse(sql); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
			t.Errorf("%.40s...: got %v, want a nesting error", sql, err)
		}
	}
}

// FuzzParse checks that no input makes the parser panic, and that whatever parses round-trips.
// The seed corpus is every input of the golden files.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/golden/*")
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, in := range goldenInputs(string(data)) {
			f.Add(in)
		}
	}
	f.Fuzz(func(t *testing.T, sql string) {
		stmts, err := Parse(sql)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error is %T, want *SyntaxError", err)
			}
			return
		}
		for _, st := range stmts {
			checkRoundTrip(t, st)
		}
	})
}

// goldenInputs extracts the inputs of a datadriven file: the lines between a directive line and
// the "----" separator.
func goldenInputs(data string) []string {
	var out []string
	var cur []string
	in := false
	for _, line := range strings.Split(data, "\n") {
		switch {
		case !in && (line == "parse" || line == "tree"):
			in, cur = true, nil
		case in && line == "----":
			out = append(out, strings.Join(cur, "\n"))
			in = false
		case in:
			cur = append(cur, line)
		}
	}
	return out
}

// TestTPCH parses the 22 TPC-H queries of ../shared/acceptance (skipped when they are absent),
// checks that they round-trip through ast.Format and that testdata/golden/tpch holds them.
func TestTPCH(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/acceptance/tpch/queries/q*.sql")
	if len(files) == 0 {
		t.Skip("the TPC-H queries of ../shared/acceptance are not present")
	}
	if len(files) != 22 {
		t.Fatalf("found %d TPC-H queries, want 22", len(files))
	}
	golden, err := os.ReadFile("testdata/golden/tpch")
	if err != nil {
		t.Fatal(err)
	}
	inputs := goldenInputs(string(golden))
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sql := strings.TrimSpace(string(data))
		stmts, err := Parse(sql)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		if len(stmts) != 1 {
			t.Fatalf("%s: %d statements", filepath.Base(f), len(stmts))
		}
		checkRoundTrip(t, stmts[0])
		if i >= len(inputs) || inputs[i] != sql {
			t.Errorf("testdata/golden/tpch does not hold %s as its query %d", filepath.Base(f), i+1)
		}
	}
}
