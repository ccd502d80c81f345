package frontend_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/doricdb/doric/frontend/testcluster"
)

// TestConcurrentAutoPartitions has several clients load into an AUTO PARTITION table at once,
// their rows needing the same new partitions: every load succeeds, each partition is created
// once, and every row is there.
func TestConcurrentAutoPartitions(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	db := c.DB()
	for _, q := range []string{
		"CREATE DATABASE ap",
		"CREATE TABLE ap.t (d DATE NOT NULL, k INT) DUPLICATE KEY(d) AUTO PARTITION BY RANGE (date_trunc(d, 'day')) () DISTRIBUTED BY HASH(k) BUCKETS 2",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	loaders := 4 + rand.IntN(5)
	days := map[string]bool{}
	var stmts []string
	rows := 0
	for l := 0; l < loaders; l++ {
		var vals []string
		for r := 0; r < 1+rand.IntN(6); r++ {
			day := fmt.Sprintf("2024-05-%02d", 1+rand.IntN(6))
			days[day] = true
			vals = append(vals, fmt.Sprintf("('%s', %d)", day, l*100+r))
			rows++
		}
		stmts = append(stmts, "INSERT INTO ap.t VALUES "+strings.Join(vals, ", "))
	}
	var wg sync.WaitGroup
	errs := make([]error, loaders)
	for l, q := range stmts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[l] = db.Exec(q)
		}()
	}
	wg.Wait()
	for l, err := range errs {
		if err != nil {
			t.Errorf("loader %d: %v", l, err)
		}
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM ap.t").Scan(&n); err != nil || n != rows {
		t.Fatalf("%d rows (%v), want %d", n, err, rows)
	}
	res, err := db.Query("SHOW PARTITIONS FROM ap.t")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	cols, _ := res.Columns()
	vals := make([]any, len(cols))
	var name string
	for i := range vals {
		vals[i] = new(any)
	}
	vals[1] = &name
	got := map[string]bool{}
	for res.Next() {
		if err := res.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		if got[name] {
			t.Fatalf("partition %s listed twice", name)
		}
		got[name] = true
	}
	if len(got) != len(days) {
		t.Fatalf("partitions %v for days %v", got, days)
	}
	for d := range days {
		if want := "p" + strings.ReplaceAll(d, "-", "") + "000000"; !got[want] {
			t.Fatalf("no partition %s (have %v)", want, got)
		}
	}
}
