// Package frontend is the frontend role: it opens the catalog (journal on local disk), connects to
// the Meta Service, and serves the MySQL protocol and the HTTP API. New binds every listener, so
// the addresses are known (and logged) before Run serves; Run returns when its context ends, after
// closing client connections and the journal.
package frontend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/coord"
	"github.com/doricdb/doric/frontend/ddl"
	"github.com/doricdb/doric/frontend/load"
	"github.com/doricdb/doric/frontend/mysql"
	"github.com/doricdb/doric/frontend/session"
	"github.com/doricdb/doric/internal/buildinfo"
	"github.com/doricdb/doric/internal/httpserve"
	"github.com/doricdb/doric/metaservice/client"
)

// Config configures a frontend.
type Config struct {
	MySQLAddr  string // "127.0.0.1:9030"; port 0 picks a free port
	HTTPAddr   string // "127.0.0.1:8030"
	CatalogDir string // journal and images
	NodeID     string // this frontend's raft id
	RaftAddr   string // raft transport address; empty for a single in-process voter
	MetaAddr   string // the Meta Service's gRPC address
	InstanceID string
	Group      string // default compute group
	// RootPassword is root's password; empty means no password, as a fresh Doris.
	RootPassword string
	Logger       *slog.Logger
	// AutoAnalyzeInterval is how often every table's statistics are checked for staleness
	// (session.AutoAnalyzer; loads through the MySQL protocol are checked as they commit).
	// 0: 10 minutes; negative: auto analyze is off.
	AutoAnalyzeInterval time.Duration
}

// Frontend is a running frontend.
type Frontend struct {
	cfg      Config
	mysqlL   net.Listener
	httpL    net.Listener
	catalog  *catalog.Catalog
	meta     *client.Client
	coord    *coord.Coordinator
	sessions *session.Shared
	registry *prometheus.Registry
}

// New opens the catalog, dials the Meta Service and binds the listeners.
func New(ctx context.Context, cfg Config) (f *Frontend, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	f = &Frontend{cfg: cfg}
	defer func() {
		if err != nil {
			f.close()
		}
	}()
	if f.meta, err = client.Dial(ctx, cfg.MetaAddr, cfg.InstanceID); err != nil {
		return nil, fmt.Errorf("meta service at %s: %w", cfg.MetaAddr, err)
	}
	if f.catalog, err = catalog.Open(ctx, catalog.Config{Dir: cfg.CatalogDir, NodeID: cfg.NodeID, RaftAddr: cfg.RaftAddr, Logger: cfg.Logger}); err != nil {
		return nil, err
	}
	ddlExec := &ddl.Executor{Catalog: f.catalog, Meta: f.meta, InstanceID: cfg.InstanceID}
	f.coord = coord.New(coord.Config{Meta: f.meta, InstanceID: cfg.InstanceID, Group: cfg.Group, Partitions: ddlExec})
	ddlExec.Checker = f.coord
	f.registry = httpserve.NewRegistry()
	f.sessions = &session.Shared{Catalog: f.catalog, Coord: f.coord, DDL: ddlExec, Metrics: session.NewMetrics(f.registry),
		Processes: session.NewProcesses()}
	if cfg.AutoAnalyzeInterval >= 0 {
		every := cfg.AutoAnalyzeInterval
		if every == 0 {
			every = 10 * time.Minute
		}
		f.sessions.AutoAnalyze = session.NewAutoAnalyzer(f.sessions, every, cfg.Logger.With("component", "auto-analyze"))
	}
	if f.mysqlL, err = net.Listen("tcp", cfg.MySQLAddr); err != nil {
		return nil, fmt.Errorf("mysql listener: %w", err)
	}
	if f.httpL, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("http listener: %w", err)
	}
	cfg.Logger.Info("frontend listening", "mysql", f.MySQLAddr(), "http", f.HTTPAddr())
	return f, nil
}

// MySQLAddr is the bound MySQL address.
func (f *Frontend) MySQLAddr() string { return f.mysqlL.Addr().String() }

// HTTPAddr is the bound HTTP address.
func (f *Frontend) HTTPAddr() string { return f.httpL.Addr().String() }

// Run serves until ctx ends.
func (f *Frontend) Run(ctx context.Context) error {
	defer f.close()
	srv := mysql.New(mysql.Config{
		Version: buildinfo.MySQLVersion(),
		NewSession: func(id uint32, user string) mysql.Session {
			return session.New(f.sessions, id, user)
		},
		Credentials: f.credentials,
		Logger:      f.cfg.Logger,
	})
	mux := httpserve.Mux(f.registry)
	load.New(load.Config{Catalog: f.catalog, Meta: f.meta, InstanceID: f.cfg.InstanceID, Group: f.cfg.Group,
		Credentials: f.credentials, Partitions: f.sessions.DDL, Logger: f.cfg.Logger.With("http", "load")}).Register(mux)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Add(2)
	go func() { defer wg.Done(); errs[0] = srv.Serve(ctx, f.mysqlL); cancel() }()
	go func() { defer wg.Done(); errs[1] = httpserve.Serve(ctx, f.httpL, mux); cancel() }()
	if a := f.sessions.AutoAnalyze; a != nil {
		wg.Add(1)
		go func() { defer wg.Done(); a.Run(ctx) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// credentials gives the password of a user of the MySQL protocol and the HTTP API.
func (f *Frontend) credentials(user string) (string, bool) {
	if user == "root" || user == "admin" {
		return f.cfg.RootPassword, true
	}
	return "", false
}

func (f *Frontend) close() {
	for _, l := range []net.Listener{f.mysqlL, f.httpL} {
		if l != nil {
			l.Close()
		}
	}
	if f.coord != nil {
		f.coord.Close()
	}
	if f.catalog != nil {
		if err := f.catalog.Close(); err != nil {
			f.cfg.Logger.Warn("close catalog", "err", err)
		}
		f.catalog = nil
	}
	if f.meta != nil {
		f.meta.Close()
		f.meta = nil
	}
}
