package frontend_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/doricdb/doric/frontend/testcluster"
)

// TestKill: KILL through the MySQL protocol: KILL QUERY of an idle connection leaves it usable,
// an unknown id is error 1094, KILL [CONNECTION] closes the other connection.
func TestKill(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	db := c.DB()
	a, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var id int64
	if err := a.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ExecContext(ctx, fmt.Sprintf("KILL QUERY %d", id)); err != nil {
		t.Fatal(err)
	}
	var one int
	if err := a.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after KILL QUERY of an idle connection: %v", err)
	}
	var me *mysql.MySQLError
	if _, err := b.ExecContext(ctx, "KILL 4000000000"); !errors.As(err, &me) || me.Number != 1094 {
		t.Fatalf("KILL of an unknown id: %v, want error 1094", err)
	}
	if _, err := b.ExecContext(ctx, fmt.Sprintf("KILL CONNECTION %d", id)); err != nil {
		t.Fatal(err)
	}
	if err := a.QueryRowContext(ctx, "SELECT 1").Scan(&one); !errors.As(err, &me) || me.Number != 1317 {
		t.Fatalf("the killed connection answers %v, want error 1317", err)
	}
	if err := a.QueryRowContext(ctx, "SELECT 1").Scan(&one); err == nil {
		t.Fatal("the killed connection is still open")
	}
}

// TestCancelReachesTheComputeNode: a query that would run for hours (a three-way cross join with a
// condition no row meets, so it emits nothing) ends with the timeout error soon after
// query_timeout, and with the killer's error soon after KILL QUERY from another connection — and
// in both cases the compute node's fragment ends too (its ExecFragment RPC returns, counted on the
// node's /metrics), rather than running on after the client gave up.
func TestCancelReachesTheComputeNode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	db := c.DB()
	mustExec := func(conn interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}, q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(db, "CREATE DATABASE c")
	mustExec(db, "CREATE TABLE c.t (k INT NOT NULL) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2")
	var vals []string
	for i := range 2000 {
		vals = append(vals, fmt.Sprintf("(%d)", i))
	}
	mustExec(db, "INSERT INTO c.t VALUES "+strings.Join(vals, ","))
	const slow = "SELECT COUNT(*) FROM c.t a, c.t b, c.t x WHERE a.k + b.k + x.k < 0"
	ended := func() int {
		resp, err := http.Get("http://" + c.ComputeHTTPAddrs()[0] + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		n := 0
		for _, line := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(line, "doric_compute_rpc_total{") && strings.Contains(line, "ExecFragment") &&
				(strings.Contains(line, `code="Canceled"`) || strings.Contains(line, `code="DeadlineExceeded"`)) {
				f := strings.Fields(line)
				v, _ := strconv.ParseFloat(f[len(f)-1], 64)
				n += int(v)
			}
		}
		return n
	}
	waitEnded := func(want int, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for ended() < want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the compute node's fragment still runs 10 s after the client got its error", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// query_timeout.
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	mustExec(conn, "SET query_timeout = 1")
	start := time.Now()
	var n int64
	err = conn.QueryRowContext(ctx, slow).Scan(&n)
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1317 || time.Since(start) > 8*time.Second {
		t.Fatalf("query_timeout=1: %v after %v, want error 1317 within a few seconds", err, time.Since(start))
	}
	waitEnded(1, "query_timeout")

	// KILL QUERY from another connection.
	mustExec(conn, "SET query_timeout = 900")
	var id int64
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- conn.QueryRowContext(ctx, slow).Scan(&n) }()
	time.Sleep(500 * time.Millisecond)
	start = time.Now()
	mustExec(db, fmt.Sprintf("KILL QUERY %d", id))
	select {
	case err := <-done:
		if !errors.As(err, &me) || me.Number != 1317 {
			t.Fatalf("killed query: %v, want error 1317", err)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("KILL QUERY: the query still runs 8 s later")
	}
	t.Logf("KILL QUERY answered in %v", time.Since(start))
	waitEnded(2, "KILL QUERY")
}
