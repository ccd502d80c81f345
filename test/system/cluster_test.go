package system

import (
	"regexp"
	"syscall"
	"testing"
)

// TestClusterOfProcesses runs each role as its own process — Meta Service, two compute nodes, a
// frontend — wired by flags, and checks that a load and a query go through all of them.
func TestClusterOfProcesses(t *testing.T) {
	needMySQLCLI(t)
	bin := binary(t)
	dir := t.TempDir()
	meta := launch(t, bin, regexp.MustCompile(`msg="meta service listening".* grpc=(127\.0\.0\.1:\d+)`),
		"metaservice", "--port", "0", "--http-port", "0", "--data-dir", dir+"/meta")
	metaAddr := meta.port
	for _, id := range []string{"cn1", "cn2"} {
		launch(t, bin, regexp.MustCompile(`msg="compute node serving".* grpc=(127\.0\.0\.1:\d+)`),
			"compute", "--port", "0", "--http-port", "0", "--meta-service", metaAddr, "--node-id", id)
	}
	fe := launch(t, bin, regexp.MustCompile(`msg="frontend listening" .*mysql=127\.0\.0\.1:(\d+)`),
		"frontend", "--mysql-port", "0", "--http-port", "0", "--meta-service", metaAddr, "--data-dir", dir+"/fe")
	fe.mustMySQL(t, `
CREATE DATABASE c;
CREATE TABLE c.t (k INT NOT NULL, v BIGINT) DISTRIBUTED BY HASH(k) BUCKETS 4;
INSERT INTO c.t VALUES (1, 10), (2, 20), (3, 30), (4, 40), (5, 50);
`)
	if got := fe.mustMySQL(t, "SELECT COUNT(*), SUM(v), MIN(k), MAX(k) FROM c.t;"); got != "COUNT(*)\tSUM(v)\tMIN(k)\tMAX(k)\n5\t150\t1\t5\n" {
		t.Fatalf("query through the cluster: %q", got)
	}
	fe.stop(syscall.SIGTERM)
}
