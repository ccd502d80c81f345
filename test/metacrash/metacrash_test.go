package metacrash

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/client"
)

const (
	inst       = "doric" // the instance `doric metaservice` bootstraps
	dbID       = int64(1)
	table      = int64(2)
	index      = int64(3)
	partitions = 4
	buckets    = 2
	loaders    = 8
	cycles     = 5
)

func partitionID(p int) int64 { return int64(100 + p) }
func tabletID(p, b int) int64 { return int64(1000 + 10*p + b) }

// binary returns the doric binary: $DORIC_BIN, or one built into the test's temp dir.
func binary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("DORIC_BIN"); b != "" {
		if _, err := os.Stat(b); err == nil {
			return b
		}
	}
	out := filepath.Join(t.TempDir(), "doric")
	if b, err := exec.Command("go", "build", "-o", out, "github.com/doricdb/doric/cmd/doric").CombinedOutput(); err != nil {
		t.Fatalf("build doric: %v\n%s", err, b)
	}
	return out
}

var readyRe = regexp.MustCompile(`msg="meta service listening".*grpc=(127\.0\.0\.1:\d+)`)

// proc is a running `doric metaservice`.
type proc struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	log  strings.Builder
	done chan error
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

func start(t *testing.T, bin, dataDir string) *proc {
	t.Helper()
	p := &proc{done: make(chan error, 1)}
	p.cmd = exec.Command(bin, "metaservice", "--port", "0", "--http-port", "0", "--data-dir", dataDir)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			if m := readyRe.FindStringSubmatch(line); m != nil && !sent {
				sent = true
				ready <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		p.done <- p.cmd.Wait()
	}()
	select {
	case p.addr = <-ready:
	case err := <-p.done:
		t.Fatalf("doric metaservice exited before it was ready: %v\n%s", err, p.logs())
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("doric metaservice not ready after 30s\n%s", p.logs())
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("doric metaservice did not die within 10 s of SIGKILL")
	}
}

// connect dials the process and waits until it serves the bootstrapped instance.
func connect(t *testing.T, p *proc) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, p.addr, inst)
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, p.logs())
	}
	for {
		_, err := c.GetInstance(ctx, &metapb.GetInstanceRequest{})
		if err == nil {
			return c
		}
		if ctx.Err() != nil || status.Code(err) != codes.NotFound {
			t.Fatalf("instance %s not served: %v\n%s", inst, err, p.logs())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// loadRecord is what a loader knows about one load.
type loadRecord struct {
	label   string
	p       int
	txnID   int64 // 0: begin not acknowledged
	acked   bool  // commit acknowledged
	version int64 // with acked
	rowsets [buckets]string
}

// runLoad runs one load; it records how far it got.
func runLoad(ctx context.Context, c *client.Client, r *loadRecord) {
	b, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: r.label, TableIds: []int64{table}, RequestId: r.label})
	if err != nil {
		return
	}
	r.txnID = b.GetTxnId()
	for bk := range buckets {
		rs := &metapb.RowsetMeta{RowsetId: r.rowsets[bk], TabletId: tabletID(r.p, bk), TxnId: r.txnID, NumRows: 1, NumSegments: 1, TotalSize: 10, SegmentSizes: []int64{10}}
		if _, err := c.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{Rowset: rs}); err != nil {
			return
		}
		if _, err := c.CommitRowset(ctx, &metapb.CommitRowsetRequest{Rowset: rs}); err != nil {
			return
		}
	}
	resp, err := c.CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: r.txnID})
	if err != nil || len(resp.GetVersions()) != 1 {
		return
	}
	r.acked, r.version = true, resp.GetVersions()[0].GetVersion()
}

// TestKilledMetaServiceLosesNoAcknowledgedCommit runs `doric metaservice`, drives loads from 8
// loaders into 4 partitions (each load one rowset into each of its partition's 2 tablets), kills
// the process with SIGKILL at a random point, restarts it over the same data directory, and
// checks: every acknowledged commit is visible (its txn VISIBLE at the acknowledged version, both
// rowsets there); every unacknowledged load is all or nothing (its txn VISIBLE with both rowsets,
// or neither rowset visible); per partition the versions are exactly 2..V with one load each.
// Five kill/restart cycles; the next cycle loads into the restarted process.
func TestKilledMetaServiceLosesNoAcknowledgedCommit(t *testing.T) {
	bin := binary(t)
	dataDir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	p := start(t, bin, dataDir)
	c := connect(t, p)
	var metas []*metapb.TabletMeta
	for pt := range partitions {
		for b := range buckets {
			metas = append(metas, &metapb.TabletMeta{TabletId: tabletID(pt, b), DbId: dbID, TableId: table, IndexId: index, PartitionId: partitionID(pt),
				Schema: &commonpb.TabletSchema{NumKeyColumns: 1, Columns: []*commonpb.Column{{Name: "k", Type: &commonpb.Type{Kind: commonpb.TypeKind_TYPE_BIGINT}, IsKey: true}}}})
		}
	}
	if _, err := c.CreateTablets(context.Background(), &metapb.CreateTabletsRequest{Tablets: metas}); err != nil {
		t.Fatal(err)
	}

	var all []*loadRecord
	acked, unacked := 0, 0
	for cycle := range cycles {
		ctx, cancel := context.WithCancel(context.Background())
		var mu sync.Mutex
		var wg sync.WaitGroup
		for g := range loaders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ctx.Err() == nil; n++ {
					r := &loadRecord{label: fmt.Sprintf("k%d-g%d-%d", cycle, g, n), p: (g + n) % partitions}
					for b := range buckets {
						r.rowsets[b] = fmt.Sprintf("%x%02x%04x%x", cycle, g, n, b)
					}
					runLoad(ctx, c, r)
					mu.Lock()
					all = append(all, r)
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(100+rng.IntN(500)) * time.Millisecond)
		p.kill(t)
		cancel()
		wg.Wait()
		c.Close()

		p = start(t, bin, dataDir)
		c = connect(t, p)
		a, u, vu := verify(t, c, all)
		acked, unacked = a, u
		t.Logf("cycle %d: %d loads acknowledged, %d not (%d of those committed anyway) so far", cycle+1, a, u, vu)
	}
	c.Close()
	if acked == 0 || unacked == 0 {
		t.Fatalf("%d acknowledged and %d unacknowledged loads: the kills did not land mid-load", acked, unacked)
	}
}

// verify checks every load so far against the restarted service; it returns how many loads were
// acknowledged, unacknowledged, and unacknowledged but visible.
func verify(t *testing.T, c *client.Client, all []*loadRecord) (acked, unacked, visibleUnacked int) {
	t.Helper()
	ctx := context.Background()
	// tablet -> rowset id -> version
	vis := map[int64]map[string]int64{}
	for pt := range partitions {
		for b := range buckets {
			resp, err := c.GetRowsets(ctx, &metapb.GetRowsetsRequest{TabletId: tabletID(pt, b), StartVersion: 0, EndVersion: 1 << 40})
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]int64{}
			for _, rs := range resp.GetRowsets() {
				if _, dup := m[rs.GetRowsetId()]; dup {
					t.Fatalf("tablet %d: rowset %s visible twice", tabletID(pt, b), rs.GetRowsetId())
				}
				m[rs.GetRowsetId()] = rs.GetEndVersion()
			}
			vis[tabletID(pt, b)] = m
		}
	}
	versions := make([]map[int64]string, partitions)
	for i := range versions {
		versions[i] = map[int64]string{}
	}
	for _, r := range all {
		v0, ok0 := vis[tabletID(r.p, 0)][r.rowsets[0]]
		v1, ok1 := vis[tabletID(r.p, 1)][r.rowsets[1]]
		if ok0 != ok1 || v0 != v1 {
			t.Fatalf("load %s is partly visible: tablet 0 %v@%d, tablet 1 %v@%d (acknowledged %v)", r.label, ok0, v0, ok1, v1, r.acked)
		}
		g, err := c.GetTxn(ctx, &metapb.GetTxnRequest{DbId: dbID, Label: r.label})
		found := err == nil
		if err != nil && status.Code(err) != codes.NotFound {
			t.Fatalf("get txn %s: %v", r.label, err)
		}
		st := g.GetTxn().GetStatus()
		if r.acked {
			acked++
			if !ok0 || v0 != r.version || !found || g.GetTxn().GetTxnId() != r.txnID || st != metapb.TxnStatus_TXN_VISIBLE {
				t.Fatalf("acknowledged load %s (txn %d at version %d) lost: visible %v@%d, txn %v", r.label, r.txnID, r.version, ok0, v0, g.GetTxn())
			}
		} else {
			unacked++
			if ok0 {
				visibleUnacked++
			}
			if ok0 != (found && st == metapb.TxnStatus_TXN_VISIBLE) {
				t.Fatalf("unacknowledged load %s: rowsets visible %v, txn %v", r.label, ok0, g.GetTxn())
			}
			if found && r.txnID != 0 && g.GetTxn().GetTxnId() != r.txnID {
				t.Fatalf("load %s: its label names txn %d, the loader began %d", r.label, g.GetTxn().GetTxnId(), r.txnID)
			}
		}
		if ok0 {
			if other, dup := versions[r.p][v0]; dup {
				t.Fatalf("partition %d: version %d given to %s and %s", r.p, v0, other, r.label)
			}
			versions[r.p][v0] = r.label
		}
	}
	for pt := range partitions {
		n := int64(len(versions[pt]))
		for v := int64(2); v <= n+1; v++ {
			if _, ok := versions[pt][v]; !ok {
				t.Fatalf("partition %d: %d loads visible, version %d missing", pt, n, v)
			}
		}
		if got := int64(len(vis[tabletID(pt, 0)])); got != n {
			t.Fatalf("partition %d: %d rowsets visible, %d belong to loads", pt, got, n)
		}
		resp, err := c.GetVersion(ctx, &metapb.GetVersionRequest{Partitions: []*metapb.PartitionVersion{{DbId: dbID, TableId: table, PartitionId: partitionID(pt)}}})
		if err != nil || resp.GetVersions()[0].GetVersion() != n+1 {
			t.Fatalf("partition %d: version %v %v, want %d", pt, resp, err, n+1)
		}
	}
	return acked, unacked, visibleUnacked
}
