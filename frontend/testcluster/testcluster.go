// Package testcluster starts an in-process Doric cluster for tests: the standalone assembly
// (Meta Service over the embedded KV store, recycler, compute nodes, one frontend) on free
// loopback ports, every role talking real gRPC, and clients connecting through the real MySQL
// protocol with go-sql-driver/mysql. It is a test harness: production code never imports it.
package testcluster

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // the driver tests talk to the frontend with

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/internal/standalone"
	"github.com/doricdb/doric/metaservice/client"
	"github.com/doricdb/doric/vault"
)

// Options tune a cluster.
type Options struct {
	ComputeNodes int
	// DataDir reuses a directory (to test restarts); empty means a fresh t.TempDir().
	DataDir string
	// CacheCapacity is each compute node's file cache capacity per remote vault; 0: default.
	CacheCapacity int64
	// WrapVault wraps every vault backend the compute nodes open, below their file caches
	// (request counting, fault injection); it survives Restart.
	WrapVault func(vaultID string, s vault.Storage) vault.Storage
}

// Cluster is a running test cluster.
type Cluster struct {
	t       testing.TB
	opts    Options
	c       *standalone.Cluster
	dbs     []*sql.DB
	stopped bool
}

// Start starts a cluster that stops when the test ends.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	tc := &Cluster{t: t, opts: opts}
	tc.start()
	t.Cleanup(tc.Stop)
	return tc
}

func (tc *Cluster) start() {
	tc.t.Helper()
	logOut := io.Discard
	if os.Getenv("DORIC_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := standalone.Start(ctx, standalone.Config{DataDir: tc.opts.DataDir, MySQLAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		ComputeNodes: tc.opts.ComputeNodes, Logger: slog.New(slog.NewTextHandler(logOut, nil)),
		CacheCapacity: tc.opts.CacheCapacity, WrapVault: tc.opts.WrapVault})
	if err != nil {
		tc.t.Fatalf("start cluster: %v", err)
	}
	tc.c, tc.stopped = c, false
	tc.waitReady(ctx)
}

// waitReady checks that every compute node is registered with the Meta Service as running
// (compute.New registers before it returns; this guards the assembly's promise).
func (tc *Cluster) waitReady(ctx context.Context) {
	tc.t.Helper()
	meta, err := client.Dial(ctx, tc.c.Meta.Addr(), "doric")
	if err != nil {
		tc.t.Fatal(err)
	}
	defer meta.Close()
	want := max(tc.opts.ComputeNodes, 1)
	for {
		resp, err := meta.GetComputeGroup(ctx, &metapb.GetComputeGroupRequest{InstanceId: "doric", Name: "default"})
		running := 0
		for _, n := range resp.GetGroup().GetNodes() {
			if n.GetStatus() == metapb.NodeStatus_NODE_RUNNING {
				running++
			}
		}
		if running >= want {
			return
		}
		select {
		case <-ctx.Done():
			tc.t.Fatalf("compute nodes not running after start (%d of %d): %v", running, want, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// DataDir is the cluster's data directory.
func (tc *Cluster) DataDir() string { return tc.opts.DataDir }

// MySQLAddr is the frontend's MySQL address.
func (tc *Cluster) MySQLAddr() string { return tc.c.MySQLAddr() }

// HTTPAddr is the frontend's HTTP address (/metrics, /api/health).
func (tc *Cluster) HTTPAddr() string { return tc.c.Frontend.HTTPAddr() }

// MetaAddr is the Meta Service's gRPC address (instance "doric"), for tests that check what
// the Meta Service recorded (a txn's versions, ...).
func (tc *Cluster) MetaAddr() string { return tc.c.Meta.Addr() }

// ComputeHTTPAddrs are the compute nodes' HTTP addresses (/metrics, /api/file_cache), in node
// order.
func (tc *Cluster) ComputeHTTPAddrs() []string {
	var out []string
	for _, n := range tc.c.Compute {
		out = append(out, n.HTTPAddr())
	}
	return out
}

// DSN is a go-sql-driver DSN for root on the frontend, with database db ("" for none).
func (tc *Cluster) DSN(db string) string {
	return "root@tcp(" + tc.MySQLAddr() + ")/" + db + "?timeout=10s"
}

// DB opens a database handle (closed when the cluster stops).
func (tc *Cluster) DB() *sql.DB {
	tc.t.Helper()
	db, err := sql.Open("mysql", tc.DSN(""))
	if err != nil {
		tc.t.Fatal(err)
	}
	tc.dbs = append(tc.dbs, db)
	return db
}

// Stop stops the cluster (idempotent).
func (tc *Cluster) Stop() {
	if tc.stopped {
		return
	}
	for _, db := range tc.dbs {
		db.Close()
	}
	tc.dbs = nil
	if err := tc.c.Stop(); err != nil {
		tc.t.Errorf("stop cluster: %v", err)
	}
	tc.stopped = true
}

// Restart stops the cluster and starts it again on the same data directory.
func (tc *Cluster) Restart() {
	tc.t.Helper()
	tc.Stop()
	tc.start()
}
