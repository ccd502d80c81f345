package load_test

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/doricdb/doric/frontend/testcluster"
)

// partitionRows is SHOW PARTITIONS FROM table as "name:rows" in partition order.
func partitionRows(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	rows, err := db.Query("SHOW PARTITIONS FROM " + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for i, c := range cols {
			m[c] = vals[i].String
		}
		out = append(out, m["PartitionName"]+":"+m["RowCount"])
	}
	return strings.Join(out, " ")
}

// TestStreamLoadPartitioned loads RANGE, LIST and AUTO PARTITION tables by Stream Load through
// the frontend: rows land in their partitions (SELECT ... PARTITION, SHOW PARTITIONS), the
// `partitions` header restricts a load, a row no partition holds is filtered with its line,
// column and value, and the partitions an AUTO PARTITION table lacks are created by the load.
func TestStreamLoadPartitioned(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{ComputeNodes: 2})
	db := c.DB()
	for _, s := range []string{
		"CREATE DATABASE d",
		`CREATE TABLE d.r (k INT NOT NULL, d DATE NOT NULL, v INT) DUPLICATE KEY(k)
PARTITION BY RANGE(d) (PARTITION p1 VALUES LESS THAN ("2024-02-01"), PARTITION p2 VALUES LESS THAN ("2024-03-01"),
  PARTITION p3 VALUES [("2024-03-01"), ("2024-04-01")))
DISTRIBUTED BY HASH(k) BUCKETS 2`,
		`CREATE TABLE d.l (k INT NOT NULL, city VARCHAR(16)) DUPLICATE KEY(k)
PARTITION BY LIST(city) (PARTITION pa VALUES IN ("beijing", "shanghai"), PARTITION pb VALUES IN ("tokyo", NULL))
DISTRIBUTED BY HASH(k) BUCKETS 3`,
		`CREATE TABLE d.a (k INT NOT NULL, d DATE NOT NULL, v INT) DUPLICATE KEY(k)
AUTO PARTITION BY RANGE (date_trunc(d, 'month')) () DISTRIBUTED BY HASH(k) BUCKETS 2`,
		`CREATE TABLE d.al (k INT NOT NULL, city VARCHAR(16) NOT NULL) DUPLICATE KEY(k)
AUTO PARTITION BY LIST (city) () DISTRIBUTED BY HASH(k) BUCKETS 1`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	url := func(table string) string { return "http://" + c.HTTPAddr() + "/api/d/" + table + "/_stream_load" }
	sel := func(q string) string { return query(t, db, q) }

	// RANGE: one load, one transaction, rows in three partitions; a row beyond them is filtered.
	r, raw := streamLoad(t, url("r"), map[string]string{"label": "r1", "column_separator": ",", "max_filter_ratio": "0.2"},
		"1,2024-01-05,10\n2,2024-02-01,20\n3,2024-03-31,30\n4,2024-01-31,40\n5,2024-02-15,50\n6,2024-03-01,60\n7,2024-04-01,70\n")
	if r.Status != "Success" || r.NumberLoadedRows != 6 || r.NumberFilteredRows != 1 || r.ErrorURL == "" {
		t.Fatalf("range load: %s", raw)
	}
	resp, err := http.Get(r.ErrorURL)
	if err != nil {
		t.Fatal(err)
	}
	log, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "Reason: line 7, column 2 (d): no partition for value '2024-04-01' of column 'd'. src line [7,2024-04-01,70];\n"; string(log) != want {
		t.Fatalf("error log:\n%q\nwant\n%q", log, want)
	}
	for p, want := range map[string]string{"p1": "1,4", "p2": "2,5", "p3": "3,6"} {
		if got := strings.ReplaceAll(sel("SELECT k FROM d.r PARTITION ("+p+") ORDER BY k"), "\n", ","); got != want {
			t.Errorf("partition %s holds %s, want %s", p, got, want)
		}
	}
	if got := partitionRows(t, db, "d.r"); got != "p1:2 p2:2 p3:2" {
		t.Errorf("SHOW PARTITIONS: %s", got)
	}

	// The partitions header restricts the load: rows of other partitions are filtered.
	r, raw = streamLoad(t, url("r"), map[string]string{"label": "r2", "column_separator": ",", "partitions": "p3", "max_filter_ratio": "0.5"},
		"8,2024-03-08,80\n9,2024-01-09,90\n")
	if r.Status != "Success" || r.NumberLoadedRows != 1 || r.NumberFilteredRows != 1 {
		t.Fatalf("restricted load: %s", raw)
	}
	resp, err = http.Get(r.ErrorURL)
	if err != nil {
		t.Fatal(err)
	}
	log, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(log), "line 2, column 2 (d): no partition for value '2024-01-09' of column 'd' in partitions p3") {
		t.Fatalf("restricted load's error log: %s", log)
	}
	if got := strings.ReplaceAll(sel("SELECT k FROM d.r PARTITION (p3) ORDER BY k"), "\n", ","); got != "3,6,8" {
		t.Errorf("p3 after the restricted load: %s", got)
	}
	r, raw = streamLoad(t, url("r"), map[string]string{"label": "r3", "partitions": "p7"}, "1\t2024-01-01\t1\n")
	if r.Status != "Fail" || r.TxnId != -1 || !strings.Contains(r.Message, "Unknown partition 'p7'") {
		t.Fatalf("unknown partition: %s", raw)
	}

	// LIST, NULL in a list; JSON this time.
	r, raw = streamLoad(t, url("l"), map[string]string{"label": "l1", "format": "json", "strip_outer_array": "true"},
		`[{"k": 1, "city": "beijing"}, {"k": 2, "city": "tokyo"}, {"k": 3}, {"k": 4, "city": "shanghai"}]`)
	if r.Status != "Success" || r.NumberLoadedRows != 4 {
		t.Fatalf("list load: %s", raw)
	}
	if got := strings.ReplaceAll(sel("SELECT k FROM d.l PARTITION (pa) ORDER BY k"), "\n", ","); got != "1,4" {
		t.Errorf("pa holds %s", got)
	}
	if got := strings.ReplaceAll(sel("SELECT k, city FROM d.l PARTITION (pb) ORDER BY k"), "\n", " "); got != "2,tokyo 3,NULL" {
		t.Errorf("pb holds %s", got)
	}
	if got := partitionRows(t, db, "d.l"); got != "pa:2 pb:2" {
		t.Errorf("SHOW PARTITIONS: %s", got)
	}

	// AUTO PARTITION BY RANGE: the load creates the months it needs; a second load adds one more
	// and reuses the others.
	r, raw = streamLoad(t, url("a"), map[string]string{"label": "a1", "column_separator": ","},
		"1,2024-01-05,1\n2,2024-03-09,2\n3,2024-01-20,3\n4,2024-05-31,4\n")
	if r.Status != "Success" || r.NumberLoadedRows != 4 {
		t.Fatalf("auto load: %s", raw)
	}
	if got := partitionRows(t, db, "d.a"); got != "p20240101000000:2 p20240301000000:1 p20240501000000:1" {
		t.Errorf("SHOW PARTITIONS after the first auto load: %s", got)
	}
	r, raw = streamLoad(t, url("a"), map[string]string{"label": "a2", "column_separator": ","}, "5,2024-03-01,5\n6,2024-02-29,6\n")
	if r.Status != "Success" || r.NumberLoadedRows != 2 {
		t.Fatalf("second auto load: %s", raw)
	}
	if got := partitionRows(t, db, "d.a"); got != "p20240101000000:2 p20240201000000:1 p20240301000000:2 p20240501000000:1" {
		t.Errorf("SHOW PARTITIONS after the second auto load: %s", got)
	}
	if got := strings.ReplaceAll(sel("SELECT k FROM d.a PARTITION (p20240301000000) ORDER BY k"), "\n", ","); got != "2,5" {
		t.Errorf("p20240301000000 holds %s", got)
	}
	// A label used again creates nothing and loads nothing.
	r, raw = streamLoad(t, url("a"), map[string]string{"label": "a2", "column_separator": ","}, "7,2024-11-11,7\n")
	if r.Status != "Label Already Exists" {
		t.Fatalf("repeated label: %s", raw)
	}
	if got := partitionRows(t, db, "d.a"); got != "p20240101000000:2 p20240201000000:1 p20240301000000:2 p20240501000000:1" {
		t.Errorf("SHOW PARTITIONS after a repeated label: %s", got)
	}

	// AUTO PARTITION BY LIST, through a compute node directly.
	r, raw = streamLoad(t, "http://"+c.ComputeHTTPAddrs()[0]+"/api/d/al/_stream_load", map[string]string{"label": "al1", "column_separator": ","},
		"1,beijing\n2,tokyo\n3,beijing\n")
	if r.Status != "Success" || r.NumberLoadedRows != 3 {
		t.Fatalf("auto list load: %s", raw)
	}
	if got := partitionRows(t, db, "d.al"); got != "pbeijing7:2 ptokyo5:1" {
		t.Errorf("SHOW PARTITIONS of the auto list table: %s", got)
	}
	if got := sel("SELECT COUNT(*) FROM d.al"); got != fmt.Sprint(3) {
		t.Errorf("auto list table holds %s rows", got)
	}
}
