package binder

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/parser"
)

// FuzzBind checks that binding never panics and that every error is a *binder.Error, whatever
// the statement. The seed corpus is every input of the golden files.
func FuzzBind(f *testing.F) {
	files, _ := filepath.Glob("testdata/golden/*")
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var cur []string
		in := false
		for _, line := range strings.Split(string(data), "\n") {
			switch {
			case !in && (strings.HasPrefix(line, "plan") || line == "insert" || line == "create" || line == "vault" || line == "alter"):
				in, cur = true, nil
			case in && line == "----":
				f.Add(strings.Join(cur, "\n"))
				in = false
			case in:
				cur = append(cur, line)
			}
		}
	}
	cat := newFixture(f)
	f.Fuzz(func(t *testing.T, sql string) {
		stmts, err := parser.Parse(sql)
		if err != nil {
			return
		}
		for _, st := range stmts {
			var err error
			switch st := st.(type) {
			case *ast.Select:
				var q *Query
				if q, err = BindSelect(cat, "test", st); err == nil {
					_ = Explain(q)
				}
			case *ast.Insert:
				tbl, _, rerr := resolveTable(cat, "test", st.Table)
				if rerr != nil {
					err = rerr
				} else {
					_, err = bindInsert(tbl, st, fixedNow)
				}
			case *ast.CreateTable:
				_, err = BuildTable("test", st)
			case *ast.CreateStorageVault:
				_, _, err = BuildStorageVault(st)
			case *ast.AlterStorageVault:
				_, err = BuildVaultAlter(st)
			}
			var be *Error
			if err != nil && !errors.As(err, &be) {
				t.Fatalf("%q: error %T is not a *binder.Error: %v", sql, err, err)
			}
		}
	})
}
