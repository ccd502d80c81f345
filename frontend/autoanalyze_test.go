package frontend_test

import (
	"context"
	"database/sql"
	"strconv"
	"testing"
	"time"

	"github.com/doricdb/doric/frontend/testcluster"
)

// TestAutoAnalyze: a load into a table without statistics (or with stale ones) analyzes it in the
// background; enable_auto_analyze = 0 turns that off for the session's loads.
func TestAutoAnalyze(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	conn, err := c.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// count is the row count SHOW COLUMN STATS gives for column k (-1: none).
	count := func() int64 {
		t.Helper()
		rows, err := conn.QueryContext(ctx, "SHOW COLUMN STATS aa.t (k)")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := int64(-1)
		for rows.Next() {
			vals := make([]sql.RawBytes, 10)
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			if n, err = strconv.ParseInt(string(vals[1]), 10, 64); err != nil {
				t.Fatal(err)
			}
		}
		return n
	}
	waitFor := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for count() != want {
			if time.Now().After(deadline) {
				t.Fatalf("statistics of %d rows never appeared (have %d)", want, count())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	exec("CREATE DATABASE aa")
	exec("CREATE TABLE aa.t (k INT NOT NULL, v VARCHAR(10)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2")
	exec("INSERT INTO aa.t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e'), (6, 'f'), (7, 'g'), (8, 'h'), (9, 'i'), (10, 'j')")
	waitFor(10)

	exec("SET enable_auto_analyze = 0")
	exec("INSERT INTO aa.t VALUES (11, 'k'), (12, 'l'), (13, 'm')")
	time.Sleep(300 * time.Millisecond)
	if n := count(); n != 10 {
		t.Fatalf("statistics with auto analyze off: %d rows", n)
	}

	exec("SET enable_auto_analyze = 1")
	exec("INSERT INTO aa.t VALUES (14, 'n')")
	waitFor(14)
}
