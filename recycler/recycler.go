// Package recycler reclaims storage that no metadata references any more. This slice handles
// upload markers: prepare_rowset writes a recycle entry before a segment is uploaded and
// commit_rowset removes it, so an entry whose expiration has passed belongs to a load that never
// committed (crashed or failed mid-way). For each, the recycler deletes the rowset's files from
// its vault first and the entry second, so a crash mid-pass leaves a retry, never a dangling
// reference. The rest of Doris's recycle kinds (dropped indexes and partitions, compacted inputs,
// expired labels) and the per-instance lease arrive with issue 3.
//
// A Recycler runs one pass at a time from Run; Pass may be called directly by tests.
package recycler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/internal/httpserve"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/local"
)

// Config configures a recycler.
type Config struct {
	DB          kv.DB
	InstanceIDs []string      // instances to recycle
	HTTPAddr    string        // /metrics; empty: no HTTP server
	Interval    time.Duration // between passes (0: 1 minute)
	Now         func() time.Time
	Logger      *slog.Logger
}

// Recycler is the recycle loop.
type Recycler struct {
	cfg      Config
	httpL    net.Listener
	reg      *prometheus.Registry
	files    prometheus.Counter
	entries  prometheus.Counter
	failures prometheus.Counter
}

// New makes a recycler and binds its HTTP listener.
func New(cfg Config) (*Recycler, error) {
	if cfg.Interval == 0 {
		cfg.Interval = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &Recycler{cfg: cfg, reg: httpserve.NewRegistry(),
		files:    prometheus.NewCounter(prometheus.CounterOpts{Name: "doric_recycler_deleted_prefixes_total", Help: "Rowset file prefixes deleted from vaults."}),
		entries:  prometheus.NewCounter(prometheus.CounterOpts{Name: "doric_recycler_entries_total", Help: "Recycle entries reclaimed."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "doric_recycler_failures_total", Help: "Recycle entries that failed and will be retried."}),
	}
	r.reg.MustRegister(r.files, r.entries, r.failures)
	if cfg.HTTPAddr != "" {
		l, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return nil, fmt.Errorf("recycler http listener: %w", err)
		}
		r.httpL = l
		cfg.Logger.Info("recycler listening", "http", l.Addr().String())
	}
	return r, nil
}

// Run runs a pass every Interval until ctx ends.
func (r *Recycler) Run(ctx context.Context) error {
	if r.httpL != nil {
		go func() { _ = httpserve.Serve(ctx, r.httpL, httpserve.Mux(r.reg)) }()
	}
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		for _, id := range r.cfg.InstanceIDs {
			if _, err := r.Pass(ctx, id); err != nil && ctx.Err() == nil {
				r.cfg.Logger.Warn("recycle pass failed", "instance", id, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Pass reclaims every expired upload marker of one instance and returns how many it reclaimed.
func (r *Recycler) Pass(ctx context.Context, instanceID string) (int, error) {
	now := r.cfg.Now().UnixMilli()
	type item struct {
		key []byte
		rec *metapb.RecycleRowset
	}
	var due []item
	begin, end := keys.RecycleRowsetRange(instanceID)
	err := r.cfg.DB.View(ctx, func(tx kv.ReadTxn) error {
		kvs, err := tx.GetRange(begin, end, 0, false)
		if err != nil {
			return err
		}
		for _, e := range kvs {
			rec := &metapb.RecycleRowset{}
			if err := proto.Unmarshal(e.Value, rec); err != nil {
				return fmt.Errorf("recycle entry %x: %w", e.Key, err)
			}
			if rec.ExpirationMs <= now {
				due = append(due, item{e.Key, rec})
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	vaults := map[string]vault.Storage{}
	done := 0
	var errs []error
	for _, it := range due {
		rs := it.rec.GetRowset()
		st, err := r.vault(ctx, instanceID, rs.GetVaultId(), vaults)
		if err == nil {
			err = st.DeletePrefix(ctx, vault.RowsetPrefix(rs.GetTabletId(), rs.GetRowsetId()))
		}
		if err == nil {
			r.files.Inc()
			err = r.cfg.DB.Update(ctx, func(tx kv.Txn) error { return tx.Clear(it.key) })
		}
		if err != nil {
			r.failures.Inc()
			errs = append(errs, fmt.Errorf("rowset %s of tablet %d: %w", rs.GetRowsetId(), rs.GetTabletId(), err))
			continue
		}
		r.entries.Inc()
		done++
	}
	return done, errors.Join(errs...)
}

func (r *Recycler) vault(ctx context.Context, instanceID, id string, cache map[string]vault.Storage) (vault.Storage, error) {
	if st, ok := cache[id]; ok {
		return st, nil
	}
	v := &metapb.StorageVault{}
	var found bool
	err := r.cfg.DB.View(ctx, func(tx kv.ReadTxn) error {
		var err error
		found, err = kv.GetProto(tx, keys.StorageVault(instanceID, id), v)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("storage vault %q not found", id)
	}
	loc := v.GetLocal()
	if loc == nil {
		return nil, fmt.Errorf("storage vault %q: only local vaults are recycled in this version", id)
	}
	st, err := local.New(loc.Root)
	if err != nil {
		return nil, err
	}
	cache[id] = st
	return st, nil
}
