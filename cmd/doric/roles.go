package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/doricdb/doric/compute"
	"github.com/doricdb/doric/frontend"
	"github.com/doricdb/doric/internal/standalone"
	"github.com/doricdb/doric/metaservice"
	"github.com/doricdb/doric/recycler"
)

func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

func runMetaService(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("metaservice", flag.ContinueOnError)
	host := fs.String("host", "127.0.0.1", "address to bind")
	port := fs.Int("port", 5000, "gRPC port (0: a free port)")
	httpPort := fs.Int("http-port", 5001, "HTTP port for /metrics (0: a free port)")
	dataDir := fs.String("data-dir", "./doric-meta", "directory of the embedded KV store")
	instance := fs.String("instance-id", "doric", "instance (tenant) to bootstrap when absent; empty: none")
	vaultRoot := fs.String("vault-root", "", "directory of the instance's built-in local vault (default: DATA_DIR/vault)")
	group := fs.String("compute-group", "default", "compute group to create with the instance")
	if err := parse(fs, args); err != nil {
		return err
	}
	ms, err := metaservice.New(metaservice.Config{GRPCAddr: hostPort(*host, *port), HTTPAddr: hostPort(*host, *httpPort),
		KVPath: filepath.Join(*dataDir, "meta.db"), Logger: log.With("role", "metaservice")})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- ms.Run(ctx) }()
	if *instance != "" {
		root := *vaultRoot
		if root == "" {
			root = filepath.Join(*dataDir, "vault")
		}
		if root, err = filepath.Abs(root); err != nil {
			return err
		}
		// Idempotent: a later start finds the instance and changes nothing.
		if err := metaservice.Bootstrap(ctx, ms.Addr(), *instance, root, *group); err != nil {
			return err
		}
	}
	return <-done
}

func runFrontend(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("frontend", flag.ContinueOnError)
	host := fs.String("host", "127.0.0.1", "address to bind")
	mysqlPort := fs.Int("mysql-port", 9030, "MySQL protocol port (0: a free port)")
	httpPort := fs.Int("http-port", 8030, "HTTP port (0: a free port)")
	raftAddr := fs.String("raft-addr", "", "raft transport address for a replicated journal (empty: single voter in process)")
	dataDir := fs.String("data-dir", "./doric-fe", "directory of the catalog journal and images")
	nodeID := fs.String("node-id", "fe1", "this frontend's id in the journal's raft group")
	meta := fs.String("meta-service", "127.0.0.1:5000", "Meta Service gRPC address")
	instance := fs.String("instance-id", "doric", "instance (tenant) id")
	group := fs.String("compute-group", "default", "default compute group")
	if err := parse(fs, args); err != nil {
		return err
	}
	fe, err := frontend.New(ctx, frontend.Config{MySQLAddr: hostPort(*host, *mysqlPort), HTTPAddr: hostPort(*host, *httpPort),
		CatalogDir: filepath.Join(*dataDir, "catalog"), NodeID: *nodeID, RaftAddr: *raftAddr, MetaAddr: *meta,
		InstanceID: *instance, Group: *group, Logger: log.With("role", "frontend")})
	if err != nil {
		return err
	}
	return fe.Run(ctx)
}

func runCompute(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("compute", flag.ContinueOnError)
	host := fs.String("host", "127.0.0.1", "address to bind")
	port := fs.Int("port", 9060, "gRPC port (0: a free port)")
	httpPort := fs.Int("http-port", 8040, "HTTP port (0: a free port)")
	meta := fs.String("meta-service", "127.0.0.1:5000", "Meta Service gRPC address")
	instance := fs.String("instance-id", "doric", "instance (tenant) id")
	group := fs.String("compute-group", "default", "compute group this node joins")
	nodeID := fs.String("node-id", "", "node id (default: host:port)")
	cacheDir := fs.String("cache-dir", "./doric-cache", "file cache of the remote vaults, one directory per vault (empty: no cache)")
	var capacity byteSize
	fs.Var(&capacity, "cache-capacity", "capacity of each vault's file cache, e.g. 200GiB (default: 10GiB, or 80% of a smaller disk)")
	writeThrough := fs.Bool("cache-write-through", false, "cache the segments the node writes")
	var pageCache byteSize
	fs.Var(&pageCache, "page-cache-capacity", "memory cache of decoded segment pages, e.g. 8GiB (default: 20% of memory)")
	noPageCache := fs.Bool("disable-page-cache", false, "no memory cache of decoded segment pages")
	frontendAddr := fs.String("frontend", "127.0.0.1:8030", "the frontend's HTTP address (stream load plans)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cn, err := compute.New(ctx, compute.Config{GRPCAddr: hostPort(*host, *port), HTTPAddr: hostPort(*host, *httpPort),
		MetaAddr: *meta, InstanceID: *instance, Group: *group, NodeID: *nodeID, Logger: log.With("role", "compute"),
		CacheDir: *cacheDir, CacheCapacity: int64(capacity), CacheWriteThrough: *writeThrough, FrontendHTTPAddr: *frontendAddr,
		PageCacheBytes: pageCacheBytes(int64(pageCache), *noPageCache, 1)})
	if err != nil {
		return err
	}
	return cn.Run(ctx)
}

func runRecycler(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("recycler", flag.ContinueOnError)
	host := fs.String("host", "127.0.0.1", "address to bind")
	httpPort := fs.Int("http-port", 5002, "HTTP port for /metrics (0: a free port)")
	dataDir := fs.String("data-dir", "./doric-meta", "directory of the embedded KV store (shared with a stopped metaservice)")
	instance := fs.String("instance-id", "", "instance (tenant) to recycle (empty: every instance in the store)")
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := metaservice.OpenKV(filepath.Join(*dataDir, "meta.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := recycler.New(recycler.Config{DB: db, InstanceIDs: instances(*instance), HTTPAddr: hostPort(*host, *httpPort), Logger: log.With("role", "recycler")})
	if err != nil {
		return err
	}
	return r.Run(ctx)
}

// runStandalone runs every role in one process. The roles still talk gRPC over loopback.
func runStandalone(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("standalone", flag.ContinueOnError)
	host := fs.String("host", "127.0.0.1", "address the MySQL and HTTP ports bind")
	dataDir := fs.String("data-dir", "./doric-data", "data directory (KV store, catalog, vault, cache)")
	mysqlPort := fs.Int("mysql-port", 9030, "MySQL protocol port (0: a free port)")
	httpPort := fs.Int("http-port", 8030, "HTTP port (0: a free port)")
	instance := fs.String("instance-id", "doric", "instance (tenant) id")
	nodes := fs.Int("compute-nodes", 1, "compute nodes in the default compute group")
	var capacity byteSize
	fs.Var(&capacity, "cache-capacity", "capacity of each node's file cache per remote vault, e.g. 20GiB (default: 10GiB, or 80% of a smaller disk)")
	var pageCache byteSize
	fs.Var(&pageCache, "page-cache-capacity", "each node's memory cache of decoded segment pages, e.g. 8GiB (default: 20% of memory over the nodes)")
	noPageCache := fs.Bool("disable-page-cache", false, "no memory cache of decoded segment pages")
	if err := parse(fs, args); err != nil {
		return err
	}
	c, err := standalone.Start(ctx, standalone.Config{DataDir: *dataDir, MySQLAddr: hostPort(*host, *mysqlPort),
		HTTPAddr: hostPort(*host, *httpPort), InstanceID: *instance, ComputeNodes: *nodes, Logger: log, CacheCapacity: int64(capacity),
		PageCacheBytes: pageCacheBytes(int64(pageCache), *noPageCache, *nodes)})
	if err != nil {
		return err
	}
	log.Info("doric standalone ready", "mysql", c.MySQLAddr(), "http", c.Frontend.HTTPAddr(), "data_dir", *dataDir)
	<-ctx.Done()
	log.Info("shutting down")
	return c.Stop()
}

// byteSize is a flag value of bytes: a number with an optional binary unit (B, K/KiB, M/MiB,
// G/GiB, T/TiB; case-insensitive).
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	num := strings.TrimSpace(s)
	shift := 0
	lower := strings.ToLower(num)
	for _, u := range []struct {
		suffix string
		shift  int
	}{{"tib", 40}, {"gib", 30}, {"mib", 20}, {"kib", 10}, {"t", 40}, {"g", 30}, {"m", 20}, {"k", 10}, {"b", 0}} {
		if strings.HasSuffix(lower, u.suffix) {
			num, shift = strings.TrimSpace(num[:len(num)-len(u.suffix)]), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)>>shift {
		return fmt.Errorf("%q is not a size in bytes (e.g. 1073741824, 512MiB, 20GiB)", s)
	}
	*b = byteSize(n << shift)
	return nil
}

func instances(id string) []string {
	if id == "" {
		return nil
	}
	return []string{id}
}
