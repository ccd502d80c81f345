package system

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/recycler"
	"github.com/doricdb/doric/vault"
)

// TestComputeCrashMidLoad is issue 5's crash acceptance test, on a cluster of processes: a
// Stream Load goes straight to a compute node, which is SIGKILLed in the middle of it — while
// the body is still arriving, and at several points after it arrived (converting, uploading
// segments, committing). After each kill: nothing of the load is visible (the table holds whole
// loads only); the restarted node aborts the txn its previous run left behind, so a retry with
// the same label succeeds, exactly once (a further retry says "Label Already Exists"). At the
// end the recycler reclaims every file the killed loads uploaded: the vault holds exactly the
// segment files of visible rowsets.
func TestComputeCrashMidLoad(t *testing.T) {
	needMySQLCLI(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed (make test-deps installs it)")
	}
	bin := binary(t)
	dir := t.TempDir()
	meta := launch(t, bin, regexp.MustCompile(`msg="meta service listening".* grpc=(127\.0\.0\.1:\d+)`),
		"metaservice", "--port", "0", "--http-port", "0", "--data-dir", dir+"/meta")
	fe := launch(t, bin, regexp.MustCompile(`msg="frontend listening" .*mysql=127\.0\.0\.1:(\d+)`),
		"frontend", "--mysql-port", "0", "--http-port", "0", "--meta-service", meta.port, "--data-dir", dir+"/fe")
	feHTTP := regexp.MustCompile(`msg="frontend listening" .*http=(127\.0\.0\.1:\d+)`).FindStringSubmatch(fe.logs())[1]
	computeReady := regexp.MustCompile(`msg="compute node serving".* http=(127\.0\.0\.1:\d+)`)
	startCompute := func() *server {
		return launch(t, bin, computeReady, "compute", "--port", "0", "--http-port", "0", "--meta-service", meta.port,
			"--node-id", "cn1", "--frontend", feHTTP, "--cache-dir", dir+"/cache")
	}
	cn := startCompute()

	fe.mustMySQL(t, `
CREATE DATABASE c;
CREATE TABLE c.t (k BIGINT NOT NULL, v BIGINT, s VARCHAR(64)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 8;
CREATE TABLE c.base (k BIGINT NOT NULL, v BIGINT, s VARCHAR(64)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 8;
`)
	const rows = 1_000_000
	data := filepath.Join(dir, "rows.csv")
	writeRows(t, data, rows)

	load := func(cn *server, table, label string, extra ...string) (map[string]any, error) {
		args := append([]string{"-sS", "--location-trusted", "-u", "root:", "-H", "label:" + label, "-H", "column_separator:,"}, extra...)
		args = append(args, "-T", data, "-XPUT", fmt.Sprintf("http://%s/api/c/%s/_stream_load", cn.port, table))
		out, err := exec.Command("curl", args...).Output()
		if err != nil {
			return nil, err
		}
		var res map[string]any
		if err := json.Unmarshal(out, &res); err != nil {
			return nil, fmt.Errorf("response %q: %w", out, err)
		}
		return res, nil
	}
	count := func(table string) int {
		out := fe.mustMySQL(t, "SELECT COUNT(*) FROM c."+table, "--skip-column-names")
		n, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil {
			t.Fatalf("count of %s: %q", table, out)
		}
		return n
	}

	// How long a whole load takes here, to spread the kills over it.
	began := time.Now()
	res, err := load(cn, "base", "base")
	if err != nil || res["Status"] != "Success" || res["NumberLoadedRows"] != float64(rows) {
		t.Fatalf("baseline load: %v %v\n%s", res, err, cn.logs())
	}
	whole := time.Since(began)
	t.Logf("a whole load of %d rows takes %v", rows, whole)

	// Kill points: while the body arrives (throttled upload), then at fractions of a whole load.
	type round struct {
		delay time.Duration
		extra []string
	}
	rounds := []round{{delay: 700 * time.Millisecond, extra: []string{"--limit-rate", "4M"}}}
	for _, f := range []float64{0.45, 0.65, 0.8, 0.9, 0.97} {
		rounds = append(rounds, round{delay: time.Duration(f * float64(whole))})
	}
	loaded := 0
	for i, r := range rounds {
		label := fmt.Sprintf("crash-%d", i)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = load(cn, "t", label, r.extra...) // dies with the node, or finishes first
		}()
		time.Sleep(r.delay)
		cn.stop(syscall.SIGKILL)
		<-done
		cn = startCompute() // aborts the txn its previous run left behind
		got := count("t")
		switch got {
		case loaded * rows:
			t.Logf("round %d (kill after %v): the load was cut off", i, r.delay)
		case (loaded + 1) * rows:
			t.Logf("round %d (kill after %v): the load had committed", i, r.delay)
		default:
			t.Fatalf("round %d: the table has %d rows, not a whole number of %d-row loads (%d before)", i, got, rows, loaded*rows)
		}
		committed := got == (loaded+1)*rows

		res, err := load(cn, "t", label)
		if err != nil {
			t.Fatalf("round %d: retry: %v\n%s", i, err, cn.logs())
		}
		if committed {
			if res["Status"] != "Label Already Exists" || res["ExistingJobStatus"] != "FINISHED" {
				t.Fatalf("round %d: retry of a committed label: %v", i, res)
			}
		} else if res["Status"] != "Success" || res["NumberLoadedRows"] != float64(rows) {
			t.Fatalf("round %d: retry of an interrupted load: %v\n%s", i, res, cn.logs())
		}
		loaded++
		if got := count("t"); got != loaded*rows {
			t.Fatalf("round %d: %d rows after the retry, want %d", i, got, loaded*rows)
		}
		if res, err := load(cn, "t", label); err != nil || res["Status"] != "Label Already Exists" {
			t.Fatalf("round %d: second retry: %v %v", i, res, err)
		}
	}

	// Stop everything; the recycler, with every retention elapsed, leaves only the files of
	// visible rowsets.
	cn.stop(syscall.SIGTERM)
	fe.stop(syscall.SIGTERM)
	meta.stop(syscall.SIGTERM)
	db, err := metaservice.OpenKV(filepath.Join(dir, "meta", "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	vaultDir := filepath.Join(dir, "meta", "vault")
	want := visibleSegments(t, db)
	before := listData(t, vaultDir)
	orphans := 0
	for f := range before {
		if !want[f] {
			orphans++
		}
	}
	t.Logf("before the recycler: %d files, %d of them orphans of killed loads", len(before), orphans)
	if orphans == 0 {
		t.Errorf("no kill left an uploaded file behind: the kill points missed the upload phase (whole load %v)", whole)
	}
	r, err := recycler.New(recycler.Config{DB: db, InstanceIDs: []string{"doric"},
		Now: func() time.Time { return time.Now().Add(365 * 24 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Round(context.Background(), "doric")
	if err != nil {
		t.Fatalf("recycler round: %v\n%s", err, rep)
	}
	after := listData(t, vaultDir)
	var extra, missing []string
	for f := range after {
		if !want[f] {
			extra = append(extra, f)
		}
	}
	for f := range want {
		if !after[f] {
			missing = append(missing, f)
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	if len(extra) > 0 || len(missing) > 0 {
		t.Fatalf("after the recycler: files of no visible rowset %v; missing segment files %v\n%s", extra, missing, rep)
	}
	chk, err := r.Check(context.Background(), "doric")
	if err != nil || !chk.OK() {
		t.Fatalf("leak check: %v %v", chk, err)
	}
}

// writeRows writes n CSV rows "k,v,s".
func writeRows(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := range n {
		fmt.Fprintf(w, "%d,%d,row-%d-%x\n", i, i*7, i, i*2654435761)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// visibleSegments returns the vault paths of the segment files of every visible rowset.
func visibleSegments(t *testing.T, db kv.DB) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := db.View(context.Background(), func(tx kv.ReadTxn) error {
		all, err := tx.GetRange([]byte{0x00}, []byte{0xff}, 0, false)
		if err != nil {
			return err
		}
		for _, e := range all {
			if _, err := keys.ParseRowset(e.Key); err != nil {
				continue
			}
			rs := &metapb.RowsetMeta{}
			if err := proto.Unmarshal(e.Value, rs); err != nil {
				return err
			}
			for seg := range int(rs.GetNumSegments()) {
				out[vault.SegmentPath(rs.GetTabletId(), rs.GetRowsetId(), seg)] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// listData returns the files under the local vault's data/ directory, as vault paths.
func listData(t *testing.T, root string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(root, "data"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = true
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}
