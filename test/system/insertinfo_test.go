package system

import (
	"regexp"
	"testing"
)

// TestInsertInfoLine checks Doris's INSERT reply through the real mysql CLI: under "Query OK, n
// rows affected" it prints the OK packet's info string {'label':'...', 'status':'VISIBLE',
// 'txnId':'...'}, for INSERT ... VALUES, INSERT ... SELECT with a label, UPDATE and DELETE; an
// INSERT of an empty SELECT has no info line.
func TestInsertInfoLine(t *testing.T) {
	needMySQLCLI(t)
	s := start(t, binary(t), t.TempDir())
	out := s.mustMySQL(t, `
CREATE DATABASE info;
USE info;
CREATE TABLE t (k INT NOT NULL, v INT NULL) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2
PROPERTIES ("enable_unique_key_merge_on_write" = "false");
INSERT INTO t VALUES (1, 1), (2, 2);
INSERT INTO t WITH LABEL copy_1 SELECT k + 10, v FROM t;
INSERT INTO t SELECT k, v FROM t WHERE k > 100;
UPDATE t SET v = 7 WHERE k = 1;
DELETE FROM t WHERE k = 2;
`, "-vvv")
	for _, want := range []string{
		`Query OK, 2 rows affected[^\n]*\n\{'label':'insert_[0-9a-f]+', 'status':'VISIBLE', 'txnId':'\d+'\}`,
		`Query OK, 2 rows affected[^\n]*\n\{'label':'copy_1', 'status':'VISIBLE', 'txnId':'\d+'\}`,
		`Query OK, 0 rows affected[^\n]*\n\n-+\nUPDATE`,
		`Query OK, 1 row affected[^\n]*\n\{'label':'update_[0-9a-f]+', 'status':'VISIBLE', 'txnId':'\d+'\}`,
		`Query OK, 1 row affected[^\n]*\n\{'label':'delete_[0-9a-f]+', 'status':'VISIBLE', 'txnId':'\d+'\}`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("mysql -vvv output does not match %q:\n%s", want, out)
		}
	}
	if got := s.mustMySQL(t, "SELECT k, v FROM info.t ORDER BY k;"); got != "k\tv\n1\t7\n11\t1\n12\t2\n" {
		t.Fatalf("table after the statements:\n%s", got)
	}
}
