package tpch

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// checkExplain compares EXPLAIN VERBOSE of every query (over the loaded and analyzed SF 0.01
// data, whose tablet and column statistics make the estimates deterministic) with testdata/explain; `-rewrite`
// regenerates it. Each record is `explain qNN`.
func checkExplain(t *testing.T, db *sql.DB) {
	datadriven.RunTest(t, "testdata/explain", func(t *testing.T, d *datadriven.TestData) string {
		if d.Cmd != "explain" || len(d.CmdArgs) != 1 {
			t.Fatalf("%s: want `explain qNN`", d.Pos)
		}
		text, err := os.ReadFile(filepath.Join(acceptance, "queries", d.CmdArgs[0].Key+".sql"))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query("EXPLAIN VERBOSE " + strings.TrimRight(strings.TrimSpace(string(text)), ";"))
		if err != nil {
			return fmt.Sprintf("error: %v\n", err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			b.WriteString(line + "\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return b.String()
	})
}
