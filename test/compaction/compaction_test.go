// Package compaction holds the system test of compaction under a stream of small loads: a whole
// in-process cluster (frontend/testcluster), loads through the MySQL protocol.
package compaction

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doricdb/doric/frontend/testcluster"
)

// versionCount reads the tablet's VersionCount (its visible rowsets) from SHOW TABLETS.
func versionCount(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	rows, err := db.Query("SHOW TABLETS FROM " + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	at := -1
	for i, c := range cols {
		if c == "VersionCount" {
			at = i
		}
	}
	if at < 0 {
		t.Fatalf("SHOW TABLETS columns %v", cols)
	}
	n := 0
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		v, err := strconv.Atoi(vals[at].String)
		if err != nil {
			t.Fatal(err)
		}
		n += v
	}
	return n
}

// TestManySmallLoads is the acceptance test of issue 5: single-row INSERTs into one tablet with
// compaction on never hit -235 and keep the tablet's visible rowset count bounded; the test
// logs the maximum. 2,000 loads; DORIC_SMALL_LOADS=n changes the number (-short: 300).
func TestManySmallLoads(t *testing.T) {
	loads := loadCount(t, 2000)
	db, ctx := cluster(t, "CREATE DATABASE IF NOT EXISTS acc",
		"CREATE TABLE acc.t (k INT, v BIGINT SUM) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
	start := time.Now()
	maxCount := 0
	var sum int64
	for i := range loads {
		if _, err := db.ExecContext(ctx, fmt.Sprintf("INSERT INTO acc.t VALUES (%d, %d)", i%7, i)); err != nil {
			if strings.Contains(err.Error(), "E-235") {
				t.Fatalf("load %d hit -235 (max visible rowsets so far %d): %v", i, maxCount, err)
			}
			t.Fatalf("load %d: %v", i, err)
		}
		sum += int64(i)
		maxCount = max(maxCount, versionCount(t, db, "acc.t"))
	}
	t.Logf("%d single-row loads in %v; max visible rowsets of the tablet: %d", loads, time.Since(start).Round(time.Millisecond), maxCount)
	if maxCount > 50 {
		t.Fatalf("the tablet reached %d visible rowsets", maxCount)
	}
	var got int64
	var keys int
	if err := db.QueryRowContext(ctx, "SELECT SUM(v), COUNT(*) FROM acc.t").Scan(&got, &keys); err != nil {
		t.Fatal(err)
	}
	if got != sum || keys != min(7, loads) {
		t.Fatalf("SUM(v) %d over %d keys, want %d over %d", got, keys, sum, min(7, loads))
	}
}

// loadCount is how many loads a test makes: def, 300 with -short, DORIC_SMALL_LOADS when set.
func loadCount(t *testing.T, def int) int {
	t.Helper()
	if s := os.Getenv("DORIC_SMALL_LOADS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("DORIC_SMALL_LOADS=%q", s)
		}
		return n
	}
	if testing.Short() {
		return 300
	}
	return def
}

// cluster starts a test cluster and runs the setup statements.
func cluster(t *testing.T, setup ...string) (*sql.DB, context.Context) {
	t.Helper()
	tc := testcluster.Start(t, testcluster.Options{})
	db := tc.DB()
	ctx := context.Background()
	for _, q := range setup {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	return db, ctx
}
