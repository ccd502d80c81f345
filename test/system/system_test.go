package system

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestNewcomer is the system test: CLI and pymysql against a real process, SIGTERM
// restart, SIGKILL after an acknowledged INSERT, and every row still there.
func TestNewcomer(t *testing.T) {
	needMySQLCLI(t)
	bin := binary(t)
	dir := t.TempDir()
	s := start(t, bin, dir)

	s.mustMySQL(t, `
CREATE DATABASE demo;
USE demo;
CREATE TABLE sales (
  id BIGINT NOT NULL,
  store VARCHAR(32) NOT NULL,
  day DATE NOT NULL,
  amount DECIMAL(12,2) NULL DEFAULT "0"
) DUPLICATE KEY(id)
DISTRIBUTED BY HASH(id) BUCKETS 3;
INSERT INTO sales VALUES (1, 'north', '2026-01-01', 10.50), (2, 'south', '2026-01-01', 7.25);
INSERT INTO sales (id, store, day) VALUES (3, 'north', '2026-01-02');
`)
	const check = `SELECT id, store, day, amount FROM demo.sales ORDER BY id;`
	want := "id\tstore\tday\tamount\n1\tnorth\t2026-01-01\t10.50\n2\tsouth\t2026-01-01\t7.25\n3\tnorth\t2026-01-02\t0.00\n"
	if got := s.mustMySQL(t, check); got != want {
		t.Fatalf("mysql CLI result:\n%s\nwant:\n%s", got, want)
	}

	// pymysql, as an application would use it (SQLAlchemy's connect-time queries included).
	if err := exec.Command("/usr/bin/python3", "-c", "import pymysql").Run(); err != nil {
		t.Skip("/usr/bin/python3 has no pymysql (make test-deps installs python3-pymysql)")
	}
	py := fmt.Sprintf(`
import pymysql
c = pymysql.connect(host="127.0.0.1", port=%s, user="root", password="", database="demo", autocommit=True)
cur = c.cursor()
cur.execute("SELECT VERSION()"); v = cur.fetchone()[0]; assert isinstance(v, str) and v, v
cur.execute("SELECT @@lower_case_table_names"); v = cur.fetchone()[0]; assert v == 0 and isinstance(v, int), repr(v)
cur.execute("SELECT @@transaction_isolation"); assert cur.fetchone()[0] == "REPEATABLE-READ"
cur.execute("SELECT DATABASE()"); assert cur.fetchone()[0] == "demo"
cur.execute("SET NAMES utf8mb4")
cur.execute("SELECT @@sql_mode"); cur.fetchone()
c.rollback()
cur.execute("INSERT INTO sales VALUES (4, 'east', '2026-01-03', 1.01)")
assert cur.rowcount == 1, cur.rowcount
cur.execute("SELECT store, COUNT(*), SUM(amount) FROM sales GROUP BY store ORDER BY store")
rows = cur.fetchall()
assert [(r[0], r[1], str(r[2])) for r in rows] == [("east", 1, "1.01"), ("north", 2, "10.50"), ("south", 1, "7.25")], rows
try:
    cur.execute("SELECT nope FROM sales")
    raise SystemExit("unknown column was accepted")
except pymysql.err.OperationalError as e:
    assert "nope" in str(e), e
print("ok")
`, s.port)
	out, err := exec.Command("/usr/bin/python3", "-c", py).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("pymysql: %v\n%s\nserver log:\n%s", err, out, s.logs())
	}

	// Graceful stop and restart: databases, tables and rows survive.
	s.stop(syscall.SIGTERM)
	s = start(t, bin, dir)
	want4 := want + "4\teast\t2026-01-03\t1.01\n"
	if got := s.mustMySQL(t, check); got != want4 {
		t.Fatalf("after SIGTERM restart:\n%s\nwant:\n%s", got, want4)
	}
	if got := s.mustMySQL(t, "SHOW TABLES FROM demo;"); got != "Tables_in_demo\nsales\n" {
		t.Fatalf("SHOW TABLES after restart: %q", got)
	}

	// SIGKILL right after an INSERT returned OK loses nothing.
	s.mustMySQL(t, "INSERT INTO demo.sales VALUES (5, 'west', '2026-01-04', 99.99);")
	s.stop(syscall.SIGKILL)
	s = start(t, bin, dir)
	want5 := want4 + "5\twest\t2026-01-04\t99.99\n"
	if got := s.mustMySQL(t, check); got != want5 {
		t.Fatalf("after SIGKILL restart:\n%s\nwant:\n%s", got, want5)
	}
	s.stop(syscall.SIGTERM)
}

// TestBadInputChangesNothing: errors name what is wrong and where, and leave no state behind.
func TestBadInputChangesNothing(t *testing.T) {
	needMySQLCLI(t)
	s := start(t, binary(t), t.TempDir())
	s.mustMySQL(t, "CREATE DATABASE d; CREATE TABLE d.t (k INT NOT NULL, v TINYINT) DISTRIBUTED BY HASH(k) BUCKETS 2;")
	for _, c := range []struct{ sql, want string }{
		{"SELEC 1;", "line 1, column 1"},
		{"SELECT * FROM d.nope;", "nope"},
		{"SELECT zz FROM d.t;", "zz"},
		{"USE nodb;", "nodb"},
		{"INSERT INTO d.t VALUES (1, 5), (2, 300);", "row 2"},
		{"INSERT INTO d.t VALUES (1, 'x');", "column 'v'"},
	} {
		_, err := s.mysql(t, c.sql)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.sql, err, c.want)
		}
	}
	if got := s.mustMySQL(t, "SELECT COUNT(*) FROM d.t;"); got != "COUNT(*)\n0\n" {
		t.Fatalf("failed inserts left rows behind: %q", got)
	}
}
