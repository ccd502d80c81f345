package metaconc

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/client"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/faulty"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/metaservice/server"
)

const (
	inst       = "conc"
	dbID       = int64(1)
	table      = int64(2)
	index      = int64(3)
	clients    = 32
	loads      = 200 // per client
	partitions = 4
	buckets    = 2
)

func partitionID(p int) int64     { return int64(100 + p) }
func tabletID(p, b int) int64     { return int64(1000 + 10*p + b) }
func label(c, l int) string       { return fmt.Sprintf("c%02d-l%03d", c, l) }
func rowsetID(c, l, b int) string { return fmt.Sprintf("%02x%03x%x", c, l, b) }

// fastDir is a directory for the store on tmpfs when the machine has one (its fsyncs then cost
// nothing), else the test's temp dir.
func fastDir(t *testing.T) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "doric-metaconc-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

// retry repeats an RPC while it fails with Aborted (the server's KV retry budget ran out, or a
// conflict it reports) or Unavailable, as a loader does; every RPC used here is idempotent.
func retry[R any](ctx context.Context, call func(context.Context) (R, error)) (R, error) {
	for attempt := 0; ; attempt++ {
		r, err := call(ctx)
		switch status.Code(err) {
		case codes.Aborted, codes.Unavailable:
			if attempt < 50 {
				time.Sleep(time.Duration(attempt+1) * time.Millisecond)
				continue
			}
		}
		return r, err
	}
}

type commit struct {
	txnID   int64
	version int64
}

// TestConcurrentLoadsWithInjectedFaults: 32 clients × 200 loads into 4 partitions (each load one
// rowset into each of its partition's 2 tablets) through gRPC against a Meta Service whose store
// (kv/local in kv/faulty) injects conflicts and unknown commit results, applied or not. Per
// partition the versions are exactly 2..N+1, one load each; every committed rowset is visible
// exactly once, at its load's version, and nothing else is; every retry of a label (before and
// after commit, with a new request id) returns the original txn, and a replayed commit returns
// the same version.
func TestConcurrentLoadsWithInjectedFaults(t *testing.T) {
	ctx := context.Background()
	inner, err := local.OpenWith(filepath.Join(fastDir(t), "meta.db"), kv.Options{Retry: kv.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	db, err := faulty.New(inner, faulty.Config{Seed: uint64(time.Now().UnixNano()),
		Rates: faulty.Rates{Conflict: 0.05, UnknownNotApplied: 0.03, UnknownApplied: 0.03},
		Retry: kv.RetryPolicy{MaxAttempts: 60, MinBackoff: 100 * time.Microsecond, MaxBackoff: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	server.New(db).Register(gs)
	go gs.Serve(lis)
	defer gs.Stop()
	dial := func() *client.Client {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c, err := client.Dial(dctx, lis.Addr().String(), inst)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	admin := dial()
	defer admin.Close()
	if _, err := admin.CreateInstance(ctx, &metapb.CreateInstanceRequest{InstanceId: inst, Name: inst,
		DefaultVault: &metapb.StorageVault{Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: t.TempDir()}}}}); err != nil {
		t.Fatal(err)
	}
	var metas []*metapb.TabletMeta
	for p := range partitions {
		for b := range buckets {
			metas = append(metas, &metapb.TabletMeta{TabletId: tabletID(p, b), DbId: dbID, TableId: table, IndexId: index, PartitionId: partitionID(p),
				Schema: &commonpb.TabletSchema{NumKeyColumns: 1, Columns: []*commonpb.Column{{Name: "k", Type: &commonpb.Type{Kind: commonpb.TypeKind_TYPE_BIGINT}, IsKey: true}}}})
		}
	}
	if _, err := admin.CreateTablets(ctx, &metapb.CreateTabletsRequest{Tablets: metas}); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	commits := make([][]commit, clients) // [client][load]
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := dial()
			defer cl.Close()
			for l := range loads {
				cm, err := load(ctx, cl, c, l)
				if err != nil {
					errs <- fmt.Errorf("client %d load %d: %w", c, l, err)
					return
				}
				commits[c] = append(commits[c], cm)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	elapsed := time.Since(start)

	// Versions per partition: exactly 2..N+1, one load each.
	byVersion := make([]map[int64]string, partitions) // partition -> version -> label
	for p := range byVersion {
		byVersion[p] = map[int64]string{}
	}
	for c := range clients {
		for l, cm := range commits[c] {
			p := (c + l) % partitions
			if other, dup := byVersion[p][cm.version]; dup {
				t.Fatalf("partition %d: version %d given to %s and %s", p, cm.version, other, label(c, l))
			}
			byVersion[p][cm.version] = label(c, l)
		}
	}
	for p := range partitions {
		n := int64(len(byVersion[p]))
		if n != clients*loads/partitions {
			t.Fatalf("partition %d got %d loads", p, n)
		}
		for v := int64(2); v <= n+1; v++ {
			if _, ok := byVersion[p][v]; !ok {
				t.Fatalf("partition %d: version %d missing (versions must be 2..%d)", p, v, n+1)
			}
		}
		resp, err := admin.GetVersion(ctx, &metapb.GetVersionRequest{Partitions: []*metapb.PartitionVersion{{DbId: dbID, TableId: table, PartitionId: partitionID(p)}}})
		if err != nil || resp.GetVersions()[0].GetVersion() != n+1 {
			t.Fatalf("partition %d: GetVersion %v %v, want %d", p, resp, err, n+1)
		}
	}
	// Every committed rowset visible exactly once, at its load's version; nothing else visible.
	for p := range partitions {
		for b := range buckets {
			resp, err := admin.GetRowsets(ctx, &metapb.GetRowsetsRequest{TabletId: tabletID(p, b), StartVersion: 0, EndVersion: 1 << 40})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, rs := range resp.GetRowsets() {
				if _, dup := got[rs.GetRowsetId()]; dup {
					t.Fatalf("tablet %d: rowset %s visible twice", tabletID(p, b), rs.GetRowsetId())
				}
				got[rs.GetRowsetId()] = rs.GetEndVersion()
			}
			want := 0
			for c := range clients {
				for l, cm := range commits[c] {
					if (c+l)%partitions != p {
						continue
					}
					want++
					v, ok := got[rowsetID(c, l, b)]
					if !ok || v != cm.version {
						t.Fatalf("tablet %d: rowset of %s at version %d (visible %v), want %d", tabletID(p, b), label(c, l), v, ok, cm.version)
					}
				}
			}
			if len(got) != want {
				t.Fatalf("tablet %d: %d rowsets visible, %d committed", tabletID(p, b), len(got), want)
			}
		}
	}
	f := db.Counts()
	t.Logf("%d loads by %d clients in %v (%.0f loads/s); injected into %d commits: %d conflicts, %d unknown not applied, %d unknown applied",
		clients*loads, clients, elapsed.Round(time.Millisecond), float64(clients*loads)/elapsed.Seconds(), f.Attempts, f.Conflicts, f.UnknownNotApplied, f.UnknownApplied)
	if f.Conflicts == 0 || f.UnknownApplied == 0 || f.UnknownNotApplied == 0 {
		t.Fatalf("faults were not injected: %+v", f)
	}
}

// load runs load l of client c: begin (and a retry of its label), one rowset per tablet of its
// partition, commit (and a replay of the commit, and a retry of the label).
func load(ctx context.Context, cl *client.Client, c, l int) (commit, error) {
	p := (c + l) % partitions
	lb := label(c, l)
	begin := func(requestID string) (*metapb.BeginTxnResponse, error) {
		return retry(ctx, func(ctx context.Context) (*metapb.BeginTxnResponse, error) {
			return cl.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: lb, TableIds: []int64{table}, RequestId: requestID})
		})
	}
	b, err := begin(lb)
	if err != nil {
		return commit{}, fmt.Errorf("begin: %w", err)
	}
	if b.GetLabelExists() || b.GetTxnId() <= 0 {
		return commit{}, fmt.Errorf("begin of a new label: %v", b)
	}
	txnID := b.GetTxnId()
	if l%2 == 0 { // a retry by another request before the commit: the original, still running
		again, err := begin(lb + "-retry")
		if err != nil || !again.GetLabelExists() || again.GetExisting().GetTxnId() != txnID || again.GetExisting().GetStatus() != metapb.TxnStatus_TXN_PREPARED {
			return commit{}, fmt.Errorf("label retry before commit: %v, %v; want txn %d PREPARED", again, err, txnID)
		}
	}
	for bk := range buckets {
		rs := &metapb.RowsetMeta{RowsetId: rowsetID(c, l, bk), TabletId: tabletID(p, bk), TxnId: txnID, NumRows: 1, NumSegments: 1, TotalSize: 100, SegmentSizes: []int64{100}}
		if _, err := retry(ctx, func(ctx context.Context) (*metapb.PrepareRowsetResponse, error) {
			return cl.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{Rowset: rs})
		}); err != nil {
			return commit{}, fmt.Errorf("prepare rowset: %w", err)
		}
		if _, err := retry(ctx, func(ctx context.Context) (*metapb.CommitRowsetResponse, error) {
			return cl.CommitRowset(ctx, &metapb.CommitRowsetRequest{Rowset: rs})
		}); err != nil {
			return commit{}, fmt.Errorf("commit rowset: %w", err)
		}
	}
	commitTxn := func() (int64, error) {
		resp, err := retry(ctx, func(ctx context.Context) (*metapb.CommitTxnResponse, error) {
			return cl.CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: txnID})
		})
		if err != nil {
			return 0, err
		}
		if resp.GetTxn().GetStatus() != metapb.TxnStatus_TXN_VISIBLE || len(resp.GetVersions()) != 1 || resp.GetVersions()[0].GetPartitionId() != partitionID(p) {
			return 0, fmt.Errorf("commit answered %v", resp)
		}
		return resp.GetVersions()[0].GetVersion(), nil
	}
	v, err := commitTxn()
	if err != nil {
		return commit{}, fmt.Errorf("commit: %w", err)
	}
	if l%4 == 1 { // a replayed commit returns the same version
		again, err := commitTxn()
		if err != nil || again != v {
			return commit{}, fmt.Errorf("replayed commit: version %d, %v; want %d", again, err, v)
		}
	}
	after, err := begin(lb + "-after")
	if err != nil || !after.GetLabelExists() || after.GetExisting().GetTxnId() != txnID || after.GetExisting().GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
		return commit{}, fmt.Errorf("label retry after commit: %v, %v; want txn %d VISIBLE", after, err, txnID)
	}
	return commit{txnID: txnID, version: v}, nil
}
