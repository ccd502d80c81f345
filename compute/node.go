package compute

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/compaction"
	"github.com/doricdb/doric/compute/load"
	"github.com/doricdb/doric/compute/load/stream"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/server"
	"github.com/doricdb/doric/filecache"
	"github.com/doricdb/doric/internal/httpserve"
	"github.com/doricdb/doric/metaservice/client"
	"github.com/doricdb/doric/vault"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// Config configures a compute node.
type Config struct {
	GRPCAddr          string        // host:port of the ComputeService; port 0 picks a free port
	HTTPAddr          string        // host:port of /metrics and /api/health; empty: no HTTP server
	MetaAddr          string        // Meta Service gRPC address
	InstanceID        string        // instance (tenant)
	Group             string        // compute group to join; empty: do not register
	NodeID            string        // default: the gRPC listen address
	HeartbeatInterval time.Duration // default 3 s
	Logger            *slog.Logger  // default slog.Default()

	// CacheDir holds the block file cache of the remote (S3, HDFS) vaults, one directory per
	// vault id; empty: remote vaults are read without a cache.
	CacheDir string
	// CacheCapacity is the capacity of each vault's cache in bytes; 0 means DefaultCacheCapacity,
	// or less when CacheDir's file system is smaller (see DefaultCapacity).
	CacheCapacity int64
	// CacheShares split a cache between its TTL, normal, index and disposable queues; zero
	// means filecache.DefaultShares (50/40/5/5).
	CacheShares filecache.Shares
	// CacheWriteThrough caches the blocks of the segments the node writes.
	CacheWriteThrough bool
	// WrapVault, when set, wraps every vault backend the node opens, below its cache (fault
	// injection and request counting in tests).
	WrapVault func(vaultID string, s vault.Storage) vault.Storage
	// FrontendHTTPAddr is the frontend's HTTP address (host:port): stream loads get their plans
	// there and _stream_load_2pc is redirected there. Empty: stream loads fail with a message.
	FrontendHTTPAddr string
	// Compaction tunes the node's compactor (package compute/compaction); its Meta, InstanceID,
	// Vaults, NodeID, Logger and Registerer are the node's. Compaction.Disabled turns background
	// compaction off (ALTER TABLE ... COMPACT still works).
	Compaction compaction.Config
	// MaxTabletVersionNum: loads into a tablet with this many visible rowsets fail with Doris's
	// -235 (0: 2000, negative: no limit).
	MaxTabletVersionNum int
	// PageCacheBytes bounds the node's memory cache of the segments and decoded pages queries read
	// (Doris's storage page cache): 0 means DefaultPageCacheBytes, negative no cache.
	PageCacheBytes int64
}

// DefaultPageCacheBytes is a node's page cache capacity when the configuration names none.
const DefaultPageCacheBytes = 2 << 30

// Node is a running compute node.
type Node struct {
	cfg       Config
	log       *slog.Logger
	meta      *client.Client
	grpc      *grpc.Server
	grpcLis   net.Listener
	httpLis   net.Listener
	registry  *prometheus.Registry
	vaults    *server.Vaults
	startMs   int64 // when this incarnation started (the coordinator stamp of its loads)
	stream    *stream.Service
	compactor *compaction.Compactor
	closeOnce sync.Once
	closeErr  error
}

// New connects to the Meta Service (waiting until ctx ends for it to be reachable) and binds the
// listeners.
func New(ctx context.Context, cfg Config) (n *Node, err error) {
	if cfg.InstanceID == "" {
		return nil, errors.New("compute: no instance id")
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 3 * time.Second
	}
	n = &Node{cfg: cfg, log: cfg.Logger, registry: httpserve.NewRegistry(), startMs: time.Now().UnixMilli()}
	if n.log == nil {
		n.log = slog.Default()
	}
	built := n // the returns below set n to nil on failure
	defer func() {
		if err != nil {
			built.Close()
		}
	}()
	if n.meta, err = client.Dial(ctx, cfg.MetaAddr, cfg.InstanceID); err != nil {
		return nil, fmt.Errorf("compute: %w", err)
	}
	if n.grpcLis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
		return nil, fmt.Errorf("compute: grpc listen: %w", err)
	}
	if cfg.HTTPAddr != "" {
		if n.httpLis, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return nil, fmt.Errorf("compute: http listen: %w", err)
		}
	}
	if n.cfg.NodeID == "" {
		n.cfg.NodeID = n.Addr()
	}
	if cfg.CacheDir != "" && cfg.CacheCapacity == 0 {
		n.cfg.CacheCapacity = DefaultCapacity(cfg.CacheDir)
	}
	if n.vaults, err = server.NewVaults(server.VaultsConfig{Meta: n.meta, InstanceID: cfg.InstanceID,
		CacheDir: cfg.CacheDir, CacheCapacity: n.cfg.CacheCapacity, CacheShares: cfg.CacheShares,
		CacheWriteThrough: cfg.CacheWriteThrough, Registerer: n.registry, Wrap: cfg.WrapVault,
		Logger: n.log.With("node", n.cfg.NodeID)}); err != nil {
		return nil, fmt.Errorf("compute: %w", err)
	}
	cc := cfg.Compaction
	cc.Meta, cc.InstanceID, cc.Vaults, cc.NodeID = n.meta, cfg.InstanceID, n.vaults.Resolve, n.cfg.NodeID
	cc.Logger, cc.Registerer = n.log.With("node", n.cfg.NodeID), n.registry
	if n.compactor, err = compaction.New(cc); err != nil {
		return nil, fmt.Errorf("compute: %w", err)
	}
	var pages *segment.Cache
	switch {
	case cfg.PageCacheBytes == 0:
		pages = segment.NewCache(DefaultPageCacheBytes)
	case cfg.PageCacheBytes > 0:
		pages = segment.NewCache(cfg.PageCacheBytes)
	}
	srv, err := server.New(server.Config{Meta: n.meta, InstanceID: cfg.InstanceID, Vaults: n.vaults.Resolve,
		Compactor: n.compactor, MaxTabletVersionNum: cfg.MaxTabletVersionNum, PageCache: pages})
	if err != nil {
		return nil, fmt.Errorf("compute: %w", err)
	}
	n.stream = stream.New(stream.Config{Meta: n.meta, InstanceID: cfg.InstanceID,
		Writer: streamWriter{&load.Loader{Meta: n.meta, InstanceID: cfg.InstanceID, Vaults: n.vaults.Resolve,
			MaxTabletVersionNum: cfg.MaxTabletVersionNum, Written: n.compactor.Loaded}},
		Frontend: cfg.FrontendHTTPAddr, Logger: n.log.With("node", n.cfg.NodeID),
		Coordinator: &metapb.TxnCoordinator{NodeId: n.cfg.NodeID, StartMs: n.startMs},
		Committer:   srv.Publisher()})
	rpcs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "doric_compute_rpc_total", Help: "ComputeService RPCs by method and status code.",
	}, []string{"method", "code"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "doric_compute_rpc_seconds", Help: "ComputeService RPC latency by method.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
	}, []string{"method"})
	n.registry.MustRegister(rpcs, latency)
	if pages != nil {
		stat := func(f func(segment.CacheStats) int64) func() float64 {
			return func() float64 { return float64(f(pages.Stats())) }
		}
		n.registry.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "doric_compute_page_cache_hits_total",
				Help: "Lookups of segments and decoded pages found in the page cache."}, stat(func(s segment.CacheStats) int64 { return s.Hits })),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "doric_compute_page_cache_misses_total",
				Help: "Lookups of segments and decoded pages not in the page cache."}, stat(func(s segment.CacheStats) int64 { return s.Misses })),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "doric_compute_page_cache_bytes",
				Help: "Bytes the page cache holds."}, stat(func(s segment.CacheStats) int64 { return s.Bytes })),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "doric_compute_page_cache_capacity_bytes",
				Help: "The page cache's capacity."}, stat(func(s segment.CacheStats) int64 { return s.Capacity })))
	}
	observe := func(method string, start time.Time, err error) {
		latency.WithLabelValues(method).Observe(time.Since(start).Seconds())
		rpcs.WithLabelValues(method, status.Code(err).String()).Inc()
	}
	n.grpc = grpc.NewServer(
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			start := time.Now()
			resp, err := h(ctx, req)
			observe(info.FullMethod, start, err)
			return resp, err
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			start := time.Now()
			err := h(srv, ss)
			observe(info.FullMethod, start, err)
			return err
		}),
		grpc.MaxRecvMsgSize(256<<20), // Write requests carry whole batches of rows
	)
	srv.Register(n.grpc)
	// Register before the node is handed back: a restarted node listens on a new address, and
	// until this upsert the group still names the old one, so a frontend started after New
	// returns must never see it. Requests that arrive before Run serves wait in the backlog.
	if cfg.Group != "" {
		if err := n.register(ctx); err != nil {
			return nil, err
		}
	}
	// The loads an earlier incarnation of this node coordinated died with it: abort them now, so
	// their labels can be retried at once and their files go to the recycler.
	aborted, err := n.meta.AbortTxnsOfCoordinator(ctx, &metapb.AbortTxnsOfCoordinatorRequest{
		InstanceId: cfg.InstanceID, NodeId: n.cfg.NodeID, BeforeStartMs: n.startMs})
	if err != nil {
		return nil, fmt.Errorf("compute: abort the loads of the node's previous run: %w", err)
	}
	if ids := aborted.GetAbortedTxnIds(); len(ids) > 0 {
		n.log.Warn("aborted the loads of the node's previous run", "node", n.cfg.NodeID, "txns", ids)
	}
	return n, nil
}

// Addr is the gRPC address the node listens on.
func (n *Node) Addr() string { return n.grpcLis.Addr().String() }

// HTTPAddr is the HTTP address, or "" without an HTTP server.
func (n *Node) HTTPAddr() string {
	if n.httpLis == nil {
		return ""
	}
	return n.httpLis.Addr().String()
}

// ID is the node's id in its compute group.
func (n *Node) ID() string { return n.cfg.NodeID }

// Run serves until ctx ends (New has registered the node in its group), heartbeating while it
// runs; then it stops gracefully and closes the node.
func (n *Node) Run(ctx context.Context) error {
	errc := make(chan error, 2)
	go func() { errc <- n.grpc.Serve(n.grpcLis) }()
	hctx, hcancel := context.WithCancel(ctx)
	defer hcancel()
	if n.httpLis != nil {
		mux := httpserve.Mux(n.registry)
		fc := http.StripPrefix("/api/file_cache", n.vaults.Handler())
		mux.Handle("/api/file_cache", fc)
		mux.Handle("/api/file_cache/", fc)
		// Stream load's patterns overlap /api/file_cache/ (a database may be called file_cache):
		// they get their own mux in front.
		root := http.NewServeMux()
		n.stream.Register(root)
		root.Handle("/", mux)
		go func() { errc <- httpserve.Serve(hctx, n.httpLis, root) }()
	}
	var err error
	n.log.Info("compute node serving", "node", n.ID(), "grpc", n.Addr(), "http", n.HTTPAddr(), "group", n.cfg.Group)
	n.compactor.Start()
	if err == nil {
		tick := time.NewTicker(n.cfg.HeartbeatInterval)
		defer tick.Stop()
	loop:
		for {
			select {
			case <-ctx.Done():
				break loop
			case err = <-errc:
				err = fmt.Errorf("compute: serve: %w", err)
				break loop
			case <-tick.C:
				if n.cfg.Group == "" {
					continue
				}
				if _, herr := n.meta.Heartbeat(ctx, &metapb.HeartbeatRequest{GroupName: n.cfg.Group, NodeId: n.ID()}); herr != nil && ctx.Err() == nil {
					n.log.Warn("heartbeat failed", "node", n.ID(), "err", herr)
				}
			}
		}
	}
	hcancel()
	n.stream.Close()   // commits the open group commit batches
	n.compactor.Stop() // running jobs abort their leases
	stopped := make(chan struct{})
	go func() { n.grpc.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		n.grpc.Stop()
	}
	return errors.Join(err, n.Close())
}

func (n *Node) register(ctx context.Context) error {
	node := &metapb.NodeInfo{
		NodeId: n.ID(), GrpcAddress: n.Addr(), HttpAddress: n.HTTPAddr(),
		LastHeartbeatMs: time.Now().UnixMilli(), Status: metapb.NodeStatus_NODE_RUNNING,
	}
	if _, err := n.meta.AddNode(ctx, &metapb.AddNodeRequest{GroupName: n.cfg.Group, Node: node}); err != nil {
		return fmt.Errorf("compute: register node %s in group %q: %w", n.ID(), n.cfg.Group, err)
	}
	return nil
}

// Close stops serving and releases the listeners and the Meta Service connection. Calling it
// more than once is harmless.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		if n.grpc != nil {
			n.grpc.Stop()
		} else if n.grpcLis != nil {
			n.grpcLis.Close()
		}
		if n.httpLis != nil {
			n.httpLis.Close()
		}
		var errs []error
		if n.compactor != nil {
			n.compactor.Stop()
		}
		if n.vaults != nil {
			errs = append(errs, n.vaults.Close())
		}
		if n.meta != nil {
			errs = append(errs, n.meta.Close())
		}
		n.closeErr = errors.Join(errs...)
	})
	return n.closeErr
}

// streamWriter gives Stream Load the loader's sessions.
type streamWriter struct{ *load.Loader }

func (w streamWriter) Open(ctx context.Context, loadID string, txnID int64, sink *computepb.TabletSink) (stream.PartitionWriter, error) {
	s, err := w.Loader.Open(ctx, loadID, txnID, sink)
	if err != nil {
		return nil, err
	}
	return s, nil
}
