// Package standalone assembles every role in one process — Meta Service over the embedded KV
// store, recycler, compute nodes of the `default` group, one frontend — talking gRPC over loopback
// exactly as separate processes would. `doric standalone` and the in-process test cluster
// (frontend/testcluster) are both this assembly, so the path users run is the path tests run.
// (DESIGN.md §2 keeps internal/ for cross-cutting helpers; the assembly lives here because cmd's
// main package cannot be imported by tests.)
//
// Start bootstraps on first use of a data directory (instance, built-in local vault at
// DIR/vault, the default compute group) and recovers on later starts; its context bounds the
// start only. Stop shuts down the frontend first, then the compute nodes, the recycler and the
// Meta Service.
package standalone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/doricdb/doric/compute"
	"github.com/doricdb/doric/frontend"
	"github.com/doricdb/doric/metaservice"
	"github.com/doricdb/doric/recycler"
	"github.com/doricdb/doric/vault"
)

// Config configures the assembly.
type Config struct {
	DataDir      string
	MySQLAddr    string // "127.0.0.1:9030"; port 0 picks a free port
	HTTPAddr     string
	InstanceID   string // default "doric"
	ComputeNodes int    // nodes in the default group (default 1)
	Logger       *slog.Logger
	// CacheCapacity is the capacity of each compute node's file cache per remote vault (in
	// DIR/cache/cnN/<vault id>); 0 means compute's default.
	CacheCapacity int64
	// PageCacheBytes is each compute node's page cache capacity (compute.Config.PageCacheBytes).
	PageCacheBytes int64
	// WrapVault is passed to every compute node (see compute.Config.WrapVault).
	WrapVault func(vaultID string, s vault.Storage) vault.Storage
}

// Cluster is a running assembly.
type Cluster struct {
	Meta     *metaservice.Service
	Compute  []*compute.Node
	Frontend *frontend.Frontend

	feCancel, backCancel context.CancelFunc
	feDone, backDone     chan error
	stopOnce             sync.Once
	stopErr              error
}

// Start starts every role and returns once the frontend accepts connections.
func Start(ctx context.Context, cfg Config) (c *Cluster, err error) {
	if cfg.InstanceID == "" {
		cfg.InstanceID = "doric"
	}
	if cfg.ComputeNodes <= 0 {
		cfg.ComputeNodes = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	log := cfg.Logger
	const loop = "127.0.0.1:0"
	backCtx, backCancel := context.WithCancel(context.WithoutCancel(ctx))
	c = &Cluster{backCancel: backCancel, backDone: make(chan error, 1), feDone: make(chan error, 1)}
	metaRunning := false
	defer func() {
		if err != nil {
			backCancel() // stops every role already running; Run closes what it opened
			if c.Frontend != nil && c.feCancel == nil {
				// Bound but never served: Run with an ended context closes it.
				done, stop := context.WithCancel(context.Background())
				stop()
				_ = c.Frontend.Run(done)
			}
			if c.Meta != nil && !metaRunning {
				c.Meta.Close()
			}
		}
	}()

	if c.Meta, err = metaservice.New(metaservice.Config{GRPCAddr: loop, HTTPAddr: loop,
		KVPath: filepath.Join(dir, "meta", "meta.db"), Logger: log.With("role", "metaservice")}); err != nil {
		return nil, err
	}
	rc, err := recycler.New(recycler.Config{DB: c.Meta.DB(), InstanceIDs: []string{cfg.InstanceID}, Logger: log.With("role", "recycler")})
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2+cfg.ComputeNodes)
	run := func(f func(context.Context) error) {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- f(backCtx) }()
	}
	run(c.Meta.Run)
	metaRunning = true
	go func() { wg.Wait(); close(errs); c.backDone <- joinAll(errs) }()

	if err = metaservice.Bootstrap(ctx, c.Meta.Addr(), cfg.InstanceID, filepath.Join(dir, "vault"), "default"); err != nil {
		return nil, err
	}
	run(rc.Run) // after the bootstrap: its first round needs the instance (the Meta Service runs, so wg > 0)
	// The frontend binds its listeners first: compute nodes need its HTTP address (stream load
	// plans). It serves only once the compute nodes run.
	if c.Frontend, err = frontend.New(ctx, frontend.Config{MySQLAddr: cfg.MySQLAddr, HTTPAddr: cfg.HTTPAddr,
		CatalogDir: filepath.Join(dir, "fe", "catalog"), NodeID: "fe1", MetaAddr: c.Meta.Addr(),
		InstanceID: cfg.InstanceID, Group: "default", Logger: log.With("role", "frontend")}); err != nil {
		return nil, err
	}
	for i := 0; i < cfg.ComputeNodes; i++ {
		n, err := compute.New(ctx, compute.Config{GRPCAddr: loop, HTTPAddr: loop, MetaAddr: c.Meta.Addr(),
			InstanceID: cfg.InstanceID, Group: "default", NodeID: fmt.Sprintf("cn%d", i+1),
			CacheDir: filepath.Join(dir, "cache", fmt.Sprintf("cn%d", i+1)), CacheCapacity: cfg.CacheCapacity, WrapVault: cfg.WrapVault, PageCacheBytes: cfg.PageCacheBytes,
			FrontendHTTPAddr: c.Frontend.HTTPAddr(), Logger: log.With("role", "compute", "node", i+1)})
		if err != nil {
			return nil, err
		}
		c.Compute = append(c.Compute, n)
		run(n.Run)
	}
	feCtx, feCancel := context.WithCancel(context.WithoutCancel(ctx))
	c.feCancel = feCancel
	go func() { c.feDone <- c.Frontend.Run(feCtx) }()
	return c, nil
}

func joinAll(errs chan error) error {
	var all []error
	for e := range errs {
		all = append(all, e)
	}
	return errors.Join(all...)
}

// MySQLAddr is the frontend's MySQL address.
func (c *Cluster) MySQLAddr() string { return c.Frontend.MySQLAddr() }

// Stop shuts everything down in order and waits. It is idempotent.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		c.feCancel()
		feErr := <-c.feDone
		c.backCancel()
		backErr := <-c.backDone
		c.stopErr = errors.Join(feErr, backErr)
	})
	return c.stopErr
}
