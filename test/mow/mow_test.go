// Package mow holds the system tests of merge-on-write UNIQUE KEY tables that need a whole
// cluster: concurrent upserting loaders (INSERT over MySQL and Stream Load) while queries read
// and compactions run.
package mow

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/frontend/testcluster"
	"github.com/doricdb/doric/metaservice/client"
)

// row is one table row: its key and the load that wrote it.
type row struct {
	k, gen, cnt, pos int64
}

// load is one load: its generation (unique, written into every row), its rows in input order
// and, once committed, its txn id.
type load struct {
	gen  int64
	rows []row
	txn  int64
	vers [2]int64 // the versions of partitions p0 and p1 it committed at
}

const (
	loaders        = 16
	loadsPerLoader = 5
	keys           = 60 // p0 holds 0..29, p1 30..59
)

// newLoad draws a load: keys from both partitions, collisions inside the load (the last row
// of a key wins); cnt is the number of distinct keys, so a snapshot whose newest load shows
// fewer rows than cnt saw part of it.
func newLoad(r *rand.Rand, gen int64) *load {
	n := 4 + r.IntN(16)
	l := &load{gen: gen}
	ks := []int64{r.Int64N(keys / 2), keys/2 + r.Int64N(keys/2)}
	for len(ks) < n {
		ks = append(ks, r.Int64N(keys))
	}
	distinct := map[int64]bool{}
	for _, k := range ks {
		distinct[k] = true
	}
	for i, k := range ks {
		l.rows = append(l.rows, row{k: k, gen: gen, cnt: int64(len(distinct)), pos: int64(i)})
	}
	return l
}

func (l *load) csv() string {
	var b strings.Builder
	for _, r := range l.rows {
		fmt.Fprintf(&b, "%d,%d,%d,%d\n", r.k, r.gen, r.cnt, r.pos)
	}
	return b.String()
}

func (l *load) values() string {
	var parts []string
	for _, r := range l.rows {
		parts = append(parts, fmt.Sprintf("(%d, %d, %d, %d)", r.k, r.gen, r.cnt, r.pos))
	}
	return strings.Join(parts, ", ")
}

// state is a table content: the row of each key.
type state map[int64]row

func (s state) apply(l *load) {
	for _, r := range l.rows {
		s[r.k] = r
	}
}

func (s state) String() string {
	var lines []string
	for _, r := range s {
		lines = append(lines, fmt.Sprintf("%d:%d:%d:%d", r.k, r.gen, r.cnt, r.pos))
	}
	sort.Strings(lines)
	return strings.Join(lines, " ")
}

func streamLoad(t *testing.T, addr, label, body string) int64 {
	req, err := http.NewRequest(http.MethodPut, "http://"+addr+"/api/mw/c/_stream_load", strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0
	}
	req.SetBasicAuth("root", "")
	req.Header.Set("label", label)
	req.Header.Set("column_separator", ",")
	req.Header.Set("columns", "k,gen,cnt,pos")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var res struct {
		TxnId   int64
		Status  string
		Message string
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Status != "Success" {
		t.Errorf("stream load %s: %v %s", label, err, out)
		return 0
	}
	return res.TxnId
}

func query(db *sql.DB) (state, error) {
	rows, err := db.Query("SELECT k, gen, cnt, pos FROM mw.c")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	s := state{}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.k, &r.gen, &r.cnt, &r.pos); err != nil {
			return nil, err
		}
		if _, dup := s[r.k]; dup {
			return nil, fmt.Errorf("key %d twice", r.k)
		}
		s[r.k] = r
	}
	return s, rows.Err()
}

// Sixteen loaders upsert overlapping keys of a merge-on-write table — half through INSERT over
// MySQL, half through Stream Load straight to either compute node, so publishes of both nodes
// contend for the delete-bitmap lock — while queries read continuously and compactions run
// continuously (the nodes' background compaction and ALTER TABLE ... COMPACT in a loop, which
// contend for the same lock). Every query sees the table after a whole number of loads in commit
// order (never part of a load, never a key twice), and the final table equals the serial
// reference computed in commit (version) order. A query whose pinned version a compaction merged
// meanwhile fails with Doris's -230 and is retried, as a Doris client does. The test fails
// unless compactions committed (counted from the nodes' metrics).
func TestConcurrentUpserts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	tc := testcluster.Start(t, testcluster.Options{ComputeNodes: 2})
	db := tc.DB()
	db.SetMaxOpenConns(loaders + 4)
	for _, stmt := range []string{
		"CREATE DATABASE mw",
		`CREATE TABLE mw.c (k INT NOT NULL, gen BIGINT, cnt BIGINT, pos BIGINT) UNIQUE KEY(k)
		 PARTITION BY RANGE(k) (PARTITION p0 VALUES LESS THAN (30), PARTITION p1 VALUES LESS THAN (60))
		 DISTRIBUTED BY HASH(k) BUCKETS 3`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	nodes := tc.ComputeHTTPAddrs()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	meta, err := client.Dial(ctx, tc.MetaAddr(), "doric")
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()

	r := rand.New(rand.NewPCG(seed, 1))
	var all [][]*load
	for w := range loaders {
		var ls []*load
		for i := range loadsPerLoader {
			ls = append(ls, newLoad(r, int64(w*100+i+1)))
		}
		all = append(all, ls)
	}

	// Readers and a compactor, until the loaders are done.
	var stop atomic.Bool
	var merged atomic.Int64 // queries refused with -230
	var compacting sync.WaitGroup
	compacting.Add(1)
	go func() {
		defer compacting.Done()
		for i := 0; !stop.Load(); i++ {
			stmt := []string{"ALTER TABLE mw.c COMPACT", "ALTER TABLE mw.c CUMULATIVE COMPACT", "ALTER TABLE mw.c BASE COMPACT"}[i%3]
			if _, err := db.Exec(stmt); err != nil {
				t.Errorf("%s: %v", stmt, err)
				return
			}
			time.Sleep(time.Duration(10+r.IntN(40)) * time.Millisecond)
		}
	}()
	var seenMu sync.Mutex
	var seen []state
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for !stop.Load() {
				s, err := query(db)
				if err != nil && strings.Contains(err.Error(), "E-230") {
					merged.Add(1)
					continue
				}
				if err != nil {
					t.Errorf("query: %v", err)
					return
				}
				seenMu.Lock()
				seen = append(seen, s)
				seenMu.Unlock()
			}
		}()
	}
	var wg sync.WaitGroup
	for w, ls := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, l := range ls {
				label := fmt.Sprintf("mow_%d", l.gen)
				if w%2 == 0 {
					if _, err := db.Exec(fmt.Sprintf("INSERT INTO mw.c WITH LABEL %s VALUES %s", label, l.values())); err != nil {
						t.Errorf("insert %s: %v", label, err)
						return
					}
					continue
				}
				l.txn = streamLoad(t, nodes[(w/2)%len(nodes)], label, l.csv())
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	readers.Wait()
	compacting.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Commit order: the versions each load got (every load touches both partitions, and the
	// delete-bitmap lock of a table's partitions is taken at once, so both orders agree).
	var dbID int64 // from a stream load's txn (INSERTs are found by label in it)
	var loads []*load
	for _, ls := range all {
		for _, l := range ls {
			loads = append(loads, l)
			if l.txn != 0 && dbID == 0 {
				got, err := meta.GetTxn(ctx, &metapb.GetTxnRequest{TxnId: l.txn})
				if err != nil {
					t.Fatal(err)
				}
				dbID = got.GetTxn().GetDbId()
			}
		}
	}
	for _, l := range loads {
		req := &metapb.GetTxnRequest{DbId: dbID, TxnId: l.txn}
		if l.txn == 0 {
			req.Label = fmt.Sprintf("mow_%d", l.gen)
		}
		got, err := meta.GetTxn(ctx, req)
		if err != nil {
			t.Fatalf("load %d: %v", l.gen, err)
		}
		if got.GetTxn().GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
			t.Fatalf("load %d: txn %v", l.gen, got.GetTxn())
		}
		vs := got.GetTxn().GetVersions()
		if len(vs) != 2 {
			t.Fatalf("load %d committed to %d partitions", l.gen, len(vs))
		}
		l.txn = got.GetTxn().GetTxnId()
		l.vers = [2]int64{vs[0].GetVersion(), vs[1].GetVersion()}
	}
	sort.Slice(loads, func(i, j int) bool { return loads[i].vers[0] < loads[j].vers[0] })
	states := map[string]int{}
	ref := state{}
	states[ref.String()] = 0
	for i, l := range loads {
		if l.vers != [2]int64{int64(i + 2), int64(i + 2)} {
			t.Fatalf("load %d (txn %d) is the %d-th commit, at versions %v", l.gen, l.txn, i+1, l.vers)
		}
		ref.apply(l)
		states[ref.String()] = i + 1
	}
	for _, s := range seen {
		if _, ok := states[s.String()]; !ok {
			t.Fatalf("a query saw a table that no prefix of the commit order gives:\n%s", s)
		}
	}
	final, err := query(db)
	if err != nil {
		t.Fatal(err)
	}
	if final.String() != ref.String() {
		t.Fatalf("final table:\n got %s\nwant %s", final, ref)
	}
	compactions := 0
	for _, addr := range nodes {
		compactions += compactionsOf(t, addr)
	}
	if compactions == 0 {
		t.Fatal("no compaction committed during the loads")
	}
	t.Logf("%d loads, %d queries checked (%d refused with -230), %d compactions committed", len(loads), len(seen), merged.Load(), compactions)
}

// compactionsOf sums a compute node's doric_compaction_total{outcome="success"} (its HTTP
// /metrics).
func compactionsOf(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "doric_compaction_total{") || !strings.Contains(line, `outcome="success"`) {
			continue
		}
		f := strings.Fields(line)
		var v float64
		if _, err := fmt.Sscan(f[len(f)-1], &v); err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		n += int(v)
	}
	return n
}
