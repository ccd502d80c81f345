package metaservice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/internal/httpserve"
	"github.com/doricdb/doric/metaservice/client"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/metaservice/server"
)

// Config configures a Service.
type Config struct {
	GRPCAddr string       // host:port of the gRPC service; port 0 picks a free port
	HTTPAddr string       // host:port of /metrics and /api/health; empty: no HTTP server
	KVPath   string       // file of the embedded KV store; its directory is created
	Logger   *slog.Logger // default slog.Default()
}

// Service is a Meta Service: gRPC (and HTTP) listeners over an embedded KV store.
type Service struct {
	log      *slog.Logger
	db       *local.DB
	grpcLis  net.Listener
	httpLis  net.Listener
	grpc     *grpc.Server
	registry *prometheus.Registry

	closeOnce sync.Once
	closeErr  error
}

// OpenKV opens (creating it and its directory if needed) the embedded KV store at path.
func OpenKV(path string) (kv.DB, error) {
	return openLocal(path)
}

func openLocal(path string) (*local.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("metaservice: kv dir: %w", err)
	}
	return local.Open(path)
}

// New opens the store and binds the listeners.
func New(cfg Config) (s *Service, err error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	db, err := openLocal(cfg.KVPath)
	if err != nil {
		return nil, err
	}
	s = &Service{log: log, db: db, registry: httpserve.NewRegistry()}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.grpcLis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
		return nil, fmt.Errorf("metaservice: grpc listen: %w", err)
	}
	if cfg.HTTPAddr != "" {
		if s.httpLis, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return nil, fmt.Errorf("metaservice: http listen: %w", err)
		}
	}
	rpcs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "doric_meta_rpc_total", Help: "Meta Service RPCs by method and status code.",
	}, []string{"method", "code"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "doric_meta_rpc_seconds", Help: "Meta Service RPC latency by method.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8),
	}, []string{"method"})
	s.registry.MustRegister(rpcs, latency)
	s.grpc = grpc.NewServer(grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := h(ctx, req)
		latency.WithLabelValues(info.FullMethod).Observe(time.Since(start).Seconds())
		rpcs.WithLabelValues(info.FullMethod, status.Code(err).String()).Inc()
		return resp, err
	}))
	server.New(db).Register(s.grpc)
	return s, nil
}

// Addr is the gRPC address the service listens on.
func (s *Service) Addr() string { return s.grpcLis.Addr().String() }

// HTTPAddr is the HTTP address, or "" without an HTTP server.
func (s *Service) HTTPAddr() string {
	if s.httpLis == nil {
		return ""
	}
	return s.httpLis.Addr().String()
}

// DB is the service's KV store (for a recycler in the same process). It is closed when Run
// returns or Close is called.
func (s *Service) DB() kv.DB { return s.db }

// Run serves until ctx ends, then stops gracefully and closes the listeners and the store.
func (s *Service) Run(ctx context.Context) error {
	s.log.Info("meta service listening", "grpc", s.Addr(), "http", s.HTTPAddr(), "kv", s.db.Path())
	errc := make(chan error, 2)
	go func() { errc <- s.grpc.Serve(s.grpcLis) }()
	hctx, hcancel := context.WithCancel(ctx)
	defer hcancel()
	if s.httpLis != nil {
		go func() { errc <- httpserve.Serve(hctx, s.httpLis, httpserve.Mux(s.registry)) }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("metaservice: serve: %w", err)
	}
	hcancel()
	stopped := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		s.grpc.Stop()
	}
	return errors.Join(err, s.Close())
}

// Close stops serving (if Run is serving) and closes the listeners and the store. Calling it more
// than once is harmless.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		if s.grpc != nil {
			s.grpc.Stop() // closes the gRPC listener
		} else if s.grpcLis != nil {
			s.grpcLis.Close()
		}
		if s.httpLis != nil {
			s.httpLis.Close()
		}
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// Bootstrap makes sure the instance exists, with a local-directory default vault at vaultRoot
// (used only when the instance is created), and that the compute group exists. It is idempotent
// and waits (until ctx ends) for the service at addr to be ready.
func Bootstrap(ctx context.Context, addr, instanceID, vaultRoot, group string) error {
	c, err := client.Dial(ctx, addr, instanceID)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	defer c.Close()
	if _, err := c.CreateInstance(ctx, &metapb.CreateInstanceRequest{
		InstanceId:   instanceID,
		Name:         instanceID,
		DefaultVault: &metapb.StorageVault{Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: vaultRoot}}},
	}); err != nil {
		return fmt.Errorf("bootstrap: create instance %q: %w", instanceID, err)
	}
	if group != "" {
		if _, err := c.CreateComputeGroup(ctx, &metapb.CreateComputeGroupRequest{Group: &metapb.ComputeGroup{Name: group}}); err != nil {
			return fmt.Errorf("bootstrap: create compute group %q: %w", group, err)
		}
	}
	return nil
}
