package s3vault

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/doricdb/doric/filecache"
	"github.com/doricdb/doric/frontend/testcluster"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/s3/s3test"
)

// counter counts the requests that reach a vault backend, below the compute node's file cache.
type counter struct {
	vault.Storage
	gets, heads *atomic.Int64
}

func (c counter) ReadAt(ctx context.Context, path string, p []byte, off int64) error {
	c.gets.Add(1)
	return c.Storage.ReadAt(ctx, path, p, off)
}

func (c counter) Stat(ctx context.Context, path string) (vault.ObjectInfo, error) {
	c.heads.Add(1)
	return c.Storage.Stat(ctx, path)
}

type requests struct {
	mu    sync.Mutex
	gets  map[string]*atomic.Int64 // by vault id
	heads map[string]*atomic.Int64
}

func (r *requests) wrap(id string, s vault.Storage) vault.Storage {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gets[id] == nil {
		r.gets[id], r.heads[id] = &atomic.Int64{}, &atomic.Int64{}
	}
	return counter{Storage: s, gets: r.gets[id], heads: r.heads[id]}
}

func (r *requests) count(id string) (gets, heads int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gets[id] == nil {
		return 0, 0
	}
	return r.gets[id].Load(), r.heads[id].Load()
}

func TestS3Vault(t *testing.T) {
	srv := s3test.Start(t) // skips without versitygw
	bucket := srv.NewBucket(t)
	reqs := &requests{gets: map[string]*atomic.Int64{}, heads: map[string]*atomic.Int64{}}
	tc := testcluster.Start(t, testcluster.Options{WrapVault: reqs.wrap, CacheCapacity: 256 << 20})
	db := tc.DB()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%.200s: %v", q, err)
		}
	}

	// The vault, through SQL; the endpoint without a scheme is http, as in Doris.
	const prefix = "doric/acceptance"
	exec(fmt.Sprintf(`CREATE STORAGE VAULT s3_vault PROPERTIES (
		"type" = "S3", "s3.endpoint" = "%s", "s3.region" = "%s", "s3.root.path" = "%s", "s3.bucket" = "%s",
		"s3.access_key" = "%s", "s3.secret_key" = "%s", "provider" = "S3", "use_path_style" = "true")`,
		srv.Addr, srv.Region, prefix, bucket, srv.AccessKey, srv.SecretKey))
	vaultID := ""
	for _, row := range queryRows(t, conn, "SHOW STORAGE VAULTS") {
		if row[0] == "s3_vault" {
			vaultID = row[1]
			if strings.Contains(row[2], srv.SecretKey) || !strings.Contains(row[2], `sk: "xxxxxxx"`) || row[3] != "false" {
				t.Fatalf("SHOW STORAGE VAULTS shows %q", row)
			}
		}
	}
	if vaultID == "" {
		t.Fatal("SHOW STORAGE VAULTS does not list s3_vault")
	}
	// A wrong secret fails the check, naming the step, and creates nothing.
	_, err = conn.ExecContext(ctx, fmt.Sprintf(`CREATE STORAGE VAULT bad_vault PROPERTIES (
		"type" = "S3", "s3.endpoint" = "%s", "s3.region" = "%s", "s3.root.path" = "x", "s3.bucket" = "%s",
		"s3.access_key" = "%s", "s3.secret_key" = "wrong", "provider" = "S3", "use_path_style" = "true")`,
		srv.Addr, srv.Region, bucket, srv.AccessKey))
	if err == nil || !strings.Contains(err.Error(), "Storage vault 'bad_vault' failed its check (write)") {
		t.Fatalf("a vault with a wrong secret: %v", err)
	}

	// A table in the vault, loaded in two transactions of random rows.
	exec("CREATE DATABASE acc")
	exec("USE acc")
	// The test counts every read of the vault: no statistics gathered behind its back.
	exec("SET enable_auto_analyze = 0")
	exec(`CREATE TABLE t (k BIGINT NOT NULL, v VARCHAR(64) NOT NULL, d DOUBLE NOT NULL)
		DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2 PROPERTIES ("storage_vault_name" = "s3_vault")`)
	r := rand.New(rand.NewPCG(11, 12))
	var sumK int64
	rows := 0
	for range 2 {
		var b strings.Builder
		b.WriteString("INSERT INTO t VALUES ")
		n := 30000 + r.IntN(10000)
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			k := r.Int64N(1 << 40)
			raw := make([]byte, 24)
			for j := range raw {
				raw[j] = byte(r.Uint32())
			}
			fmt.Fprintf(&b, "(%d,'%s',%g)", k, hex.EncodeToString(raw), r.Float64())
			sumK += k
		}
		exec(b.String())
		rows += n
	}

	// The objects sit under {prefix}/data/{tablet_id}/, two tablets, no probe left behind.
	objects := listBucket(t, srv.Client(), bucket)
	segment := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `/data/(\d+)/[^/]+_\d+\.dat$`)
	tablets := map[string]bool{}
	blocks := int64(0)
	for key, size := range objects {
		m := segment.FindStringSubmatch(key)
		if m == nil {
			t.Fatalf("object %q is not a segment under %s/data/{tablet_id}/ (bucket: %v)", key, prefix, objects)
		}
		tablets[m[1]] = true
		blocks += (size + filecache.BlockSize - 1) / filecache.BlockSize
	}
	if len(tablets) != 2 || len(objects) != 4 {
		t.Fatalf("%d segments in %d tablets, want 4 in 2: %v", len(objects), len(tablets), objects)
	}
	if blocks < 4 {
		t.Fatalf("the segments span only %d blocks", blocks)
	}

	const q = "SELECT COUNT(*), SUM(k), MAX(v), MIN(d) FROM t"
	want := fmt.Sprintf("%d %d", rows, sumK)
	query := func(what string) []string {
		t.Helper()
		got := queryRows(t, conn, q)
		if len(got) != 1 || got[0][0]+" "+got[0][1] != want {
			t.Fatalf("%s: %q, want count and sum %s", what, got, want)
		}
		return got[0]
	}
	metrics := tc.ComputeHTTPAddrs()[0]

	// A cold query: at most one GET per 1 MiB block of the segments it reads.
	g0, _ := reqs.count(vaultID)
	first := query("cold query")
	g1, _ := reqs.count(vaultID)
	cold := g1 - g0
	if cold < 1 || cold > blocks {
		t.Fatalf("the cold query issued %d GETs for segments of %d blocks", cold, blocks)
	}
	t.Logf("%d rows in %d segments of %d blocks; the cold query issued %d GETs", rows, len(objects), blocks, cold)
	m := scrape(t, metrics, vaultID)
	if m["remote_reads_total"] != cold || m["miss_blocks_total"] < cold {
		t.Fatalf("cache metrics %v disagree with the %d GETs counted below the cache", m, cold)
	}
	// A repeated query: none.
	if again := query("warm query"); strings.Join(again, " ") != strings.Join(first, " ") {
		t.Fatalf("warm query %q, cold %q", again, first)
	}
	if g2, _ := reqs.count(vaultID); g2 != g1 {
		t.Fatalf("the repeated query issued %d GETs", g2-g1)
	}
	st := cacheStats(t, metrics, vaultID)
	if st.Blocks == 0 || st.HitBlocks == 0 {
		t.Fatalf("/api/file_cache/%s: %+v", vaultID, st)
	}

	// New credentials are checked before they are stored: a wrong secret changes nothing.
	_, err = conn.ExecContext(ctx, fmt.Sprintf(`ALTER STORAGE VAULT s3_vault PROPERTIES ("type" = "S3",
		"s3.access_key" = "%s", "s3.secret_key" = "wrong")`, srv.AccessKey))
	if err == nil || !strings.Contains(err.Error(), "Storage vault 's3_vault' failed its check (write)") {
		t.Fatalf("ALTER with a wrong secret: %v", err)
	}

	// The default vault: tables created without storage_vault_name go there.
	exec("SET s3_vault AS DEFAULT STORAGE VAULT")
	for _, row := range queryRows(t, conn, "SHOW STORAGE VAULTS") {
		if (row[0] == "s3_vault") != (row[3] == "true") {
			t.Fatalf("after SET DEFAULT, SHOW STORAGE VAULTS shows %q", row)
		}
	}
	exec("CREATE TABLE t2 (k INT NOT NULL) DISTRIBUTED BY HASH(k) BUCKETS 1")
	exec("INSERT INTO t2 VALUES (1), (2), (3)")
	if got := queryRows(t, conn, "SELECT SUM(k) FROM t2"); got[0][0] != "6" {
		t.Fatalf("t2: %q", got)
	}
	if n := len(listBucket(t, srv.Client(), bucket)); n != len(objects)+1 {
		t.Fatalf("after loading t2 the bucket holds %d objects, want %d", n, len(objects)+1)
	}

	// The cache survives a restart of the cluster (every role, the compute node included).
	conn.Close()
	tc.Restart()
	conn, err = tc.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exec("USE acc")
	g3, _ := reqs.count(vaultID)
	if again := query("query after a restart"); strings.Join(again, " ") != strings.Join(first, " ") {
		t.Fatalf("after a restart %q, before %q", again, first)
	}
	if g4, _ := reqs.count(vaultID); g4 != g3 {
		t.Fatalf("after a restart the query issued %d GETs", g4-g3)
	}
	if st := cacheStats(t, tc.ComputeHTTPAddrs()[0], vaultID); st.Blocks == 0 || st.HitBlocks == 0 || st.RemoteReads != 0 {
		t.Fatalf("after a restart /api/file_cache/%s: %+v", vaultID, st)
	}
}

func queryRows(t *testing.T, conn *sql.Conn, q string) [][]string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func listBucket(t *testing.T, c *awss3.Client, bucket string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	p := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			out[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
		}
	}
	return out
}

func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v %s", url, resp.StatusCode, err, body)
	}
	return body
}

// scrape returns the compute node's doric_filecache_* counters of one vault (without the prefix;
// labelled series other than the vault's are skipped).
func scrape(t *testing.T, addr, vaultID string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	series := regexp.MustCompile(`^doric_filecache_(\w+)\{vault="` + regexp.QuoteMeta(vaultID) + `"\} (\S+)$`)
	for _, line := range strings.Split(string(httpGet(t, "http://"+addr+"/metrics")), "\n") {
		if m := series.FindStringSubmatch(line); m != nil {
			v, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				t.Fatalf("metric line %q: %v", line, err)
			}
			out[m[1]] = int64(v)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no doric_filecache_*{vault=%q} series on %s/metrics", vaultID, addr)
	}
	return out
}

func cacheStats(t *testing.T, addr, vaultID string) filecache.Stats {
	t.Helper()
	var st filecache.Stats
	if err := json.Unmarshal(httpGet(t, "http://"+addr+"/api/file_cache/"+vaultID), &st); err != nil {
		t.Fatal(err)
	}
	return st
}
