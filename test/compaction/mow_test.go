package compaction

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestManySmallUpsertsMergeOnWrite is TestManySmallLoads on a merge-on-write UNIQUE KEY table:
// single-row upserts (every seventh a DELETE of a key) into one tablet with compaction on never
// hit -235, keep the tablet's visible rowset count bounded (the test logs the maximum), and
// leave the newest row of every key. 1,000 loads, so that the package stays near 30 s beside
// TestManySmallLoads; DORIC_SMALL_LOADS=2000 runs the acceptance number (-short: 300).
func TestManySmallUpsertsMergeOnWrite(t *testing.T) {
	loads := loadCount(t, 1000)
	db, ctx := cluster(t, "CREATE DATABASE IF NOT EXISTS accmow",
		"CREATE TABLE accmow.t (k INT, v BIGINT) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
	start := time.Now()
	maxCount := 0
	want := map[int64]int64{}
	for i := range loads {
		k := int64(i % 11)
		q := fmt.Sprintf("INSERT INTO accmow.t VALUES (%d, %d)", k, i)
		if i%7 == 6 {
			q = fmt.Sprintf("DELETE FROM accmow.t WHERE k = %d", k)
		}
		if _, err := db.ExecContext(ctx, q); err != nil {
			if strings.Contains(err.Error(), "E-235") {
				t.Fatalf("load %d hit -235 (max visible rowsets so far %d): %v", i, maxCount, err)
			}
			t.Fatalf("load %d (%s): %v", i, q, err)
		}
		if i%7 == 6 {
			delete(want, k)
		} else {
			want[k] = int64(i)
		}
		maxCount = max(maxCount, versionCount(t, db, "accmow.t"))
	}
	t.Logf("%d single-row upserts and deletes in %v; max visible rowsets of the tablet: %d", loads, time.Since(start).Round(time.Millisecond), maxCount)
	if maxCount > 50 {
		t.Fatalf("the tablet reached %d visible rowsets", maxCount)
	}
	rows, err := db.QueryContext(ctx, "SELECT k, v FROM accmow.t")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int64]int64{}
	for rows.Next() {
		var k, v int64
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		if _, dup := got[k]; dup {
			t.Fatalf("key %d twice", k)
		}
		got[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the table holds %v, want %v", got, want)
	}
}
