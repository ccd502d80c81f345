package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/filecache"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/spec"
)

// DefaultVaultRefresh is how long Vaults trusts a vault description before it asks the Meta
// Service again (to pick up new credentials from ALTER STORAGE VAULT).
const DefaultVaultRefresh = 10 * time.Second

// VaultsConfig configures Vaults.
type VaultsConfig struct {
	Meta       metapb.MetaServiceClient
	InstanceID string

	// CacheDir, when set, puts a file cache in front of every remote (S3, HDFS) vault, in
	// CacheDir/<vault id>. Local vaults are never cached: their bytes are already on local disk.
	CacheDir string
	// CacheCapacity is the capacity of each vault's cache (required with CacheDir).
	CacheCapacity int64
	// CacheShares split a cache between its queues; zero means filecache.DefaultShares.
	CacheShares filecache.Shares
	// CacheWriteThrough caches the blocks of segments as they are written.
	CacheWriteThrough bool
	// Registerer receives the caches' metrics, labelled vault="<id>"; nil registers none.
	Registerer prometheus.Registerer

	// Wrap, when set, wraps every opened backend below its cache (fault injection and request
	// counting in tests).
	Wrap func(vaultID string, s vault.Storage) vault.Storage
	// Refresh is how long a description is trusted; 0 means DefaultVaultRefresh.
	Refresh time.Duration
	// Open opens a backend; nil means spec.Open.
	Open   func(ctx context.Context, v *metapb.StorageVault) (vault.Storage, error)
	Logger *slog.Logger
}

// Vaults opens the storage vaults of an instance by id, from their descriptions at the Meta
// Service, and keeps them open: one backend per vault, behind one file cache per remote vault.
//
// A description is fetched again when it is older than Refresh; when its backend changed (new
// credentials), the new backend replaces the old one under the same cache, so cached blocks stay
// valid (objects are immutable). If the Meta Service cannot be reached at refresh time, or the
// changed vault cannot be opened, the vault keeps being served as it was until the next refresh.
// Replaced backends are closed by Close.
//
// Safe for concurrent use; opening and refreshing one vault is serialised, different vaults
// proceed independently.
type Vaults struct {
	cfg VaultsConfig
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*vaultEntry
	closed  bool
	retired []vault.Storage // backends replaced by a refresh, closed by Close
}

type vaultEntry struct {
	id string
	mu sync.Mutex // serialises open and refresh

	desc    *metapb.StorageVault
	fetched time.Time
	backend *swapStorage     // what the cache (if any) reads from
	st      vault.Storage    // what Resolve returns
	cache   *filecache.Cache // nil for local vaults or without CacheDir
}

// NewVaults returns an empty set; vaults are opened on first use.
func NewVaults(cfg VaultsConfig) (*Vaults, error) {
	if cfg.Meta == nil || cfg.InstanceID == "" {
		return nil, errors.New("vaults: a Meta Service client and an instance id are required")
	}
	if cfg.CacheDir != "" && cfg.CacheCapacity < filecache.MinCapacity {
		return nil, fmt.Errorf("vaults: cache capacity %d is below the minimum %d", cfg.CacheCapacity, filecache.MinCapacity)
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = DefaultVaultRefresh
	}
	if cfg.Open == nil {
		cfg.Open = spec.Open
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Vaults{cfg: cfg, log: log, now: time.Now, entries: map[string]*vaultEntry{}}, nil
}

// ErrClosed is returned by Resolve after Close.
var ErrClosed = errors.New("vaults: closed")

// Resolve returns the storage of the vault with the given id; "" means the instance's default
// vault. It is a vault.Resolver.
func (v *Vaults) Resolve(ctx context.Context, id string) (vault.Storage, error) {
	if id == "" {
		resp, err := v.cfg.Meta.GetStorageVault(ctx, &metapb.GetStorageVaultRequest{InstanceId: v.cfg.InstanceID})
		if err != nil {
			return nil, fmt.Errorf("get the default storage vault: %w", err)
		}
		id = resp.GetVault().GetId()
		if id == "" {
			return nil, fmt.Errorf("BUG: the default storage vault has no id: %v", resp.GetVault())
		}
	}
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return nil, ErrClosed
	}
	e, ok := v.entries[id]
	if !ok {
		e = &vaultEntry{id: id}
		v.entries[id] = e
	}
	v.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st != nil && v.now().Sub(e.fetched) < v.cfg.Refresh {
		return e.st, nil
	}
	resp, err := v.cfg.Meta.GetStorageVault(ctx, &metapb.GetStorageVaultRequest{InstanceId: v.cfg.InstanceID, VaultId: id})
	if err != nil {
		if e.st != nil && ctx.Err() == nil {
			v.log.Warn("refreshing a storage vault failed; serving it as it was", "vault", id, "err", err)
			e.fetched = v.now()
			return e.st, nil
		}
		return nil, fmt.Errorf("get storage vault %q: %w", id, err)
	}
	desc := resp.GetVault()
	if e.st != nil && sameBackend(e.desc, desc) {
		e.fetched = v.now()
		return e.st, nil
	}
	st, err := v.cfg.Open(ctx, desc)
	if err != nil {
		if e.st != nil && ctx.Err() == nil {
			v.log.Warn("reopening a changed storage vault failed; serving it as it was", "vault", id, "err", err)
			e.fetched = v.now()
			return e.st, nil
		}
		return nil, err
	}
	if v.cfg.Wrap != nil {
		st = v.cfg.Wrap(id, st)
	}
	if e.st != nil { // new credentials: swap the backend under the cache
		old := e.backend.swap(st)
		v.log.Info("storage vault changed; reopened it", "vault", id, "name", desc.GetName())
		v.retire(old)
		e.desc, e.fetched = desc, v.now()
		return e.st, nil
	}
	backend := newSwapStorage(st)
	var served vault.Storage = backend
	if spec.Remote(desc) && v.cfg.CacheDir != "" {
		c, err := v.openCache(id, backend)
		if err != nil {
			closeStorage(st)
			return nil, fmt.Errorf("storage vault %q (id %s): %w", desc.GetName(), id, err)
		}
		e.cache, served = c, c
	}
	e.backend, e.st = backend, served
	e.desc, e.fetched = desc, v.now()
	return e.st, nil
}

var safeID = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]*$`)

func (v *Vaults) openCache(id string, backend vault.Storage) (*filecache.Cache, error) {
	if !safeID.MatchString(id) || len(id) > 128 {
		return nil, fmt.Errorf("vault id %q cannot name a cache directory", id)
	}
	var reg prometheus.Registerer
	if v.cfg.Registerer != nil {
		reg = prometheus.WrapRegistererWith(prometheus.Labels{"vault": id}, v.cfg.Registerer)
	}
	return filecache.New(backend, filecache.Config{
		Path:         filepath.Join(v.cfg.CacheDir, id),
		Capacity:     v.cfg.CacheCapacity,
		Shares:       v.cfg.CacheShares,
		WriteThrough: v.cfg.CacheWriteThrough,
		Registerer:   reg,
		Logger:       v.log.With("vault", id),
	})
}

func (v *Vaults) retire(st vault.Storage) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.retired = append(v.retired, st)
}

// sameBackend reports whether two descriptions open the same backend the same way (names and
// times aside).
func sameBackend(a, b *metapb.StorageVault) bool {
	strip := func(v *metapb.StorageVault) *metapb.StorageVault {
		v = proto.Clone(v).(*metapb.StorageVault)
		v.Name, v.CtimeMs, v.MtimeMs = "", 0, 0
		return v
	}
	return proto.Equal(strip(a), strip(b))
}

// Caches returns the open file caches by vault id.
func (v *Vaults) Caches() map[string]*filecache.Cache {
	v.mu.Lock()
	entries := make([]*vaultEntry, 0, len(v.entries))
	for _, e := range v.entries {
		entries = append(entries, e)
	}
	v.mu.Unlock()
	out := map[string]*filecache.Cache{}
	for _, e := range entries {
		e.mu.Lock()
		if e.cache != nil {
			out[e.id] = e.cache
		}
		e.mu.Unlock()
	}
	return out
}

// Handler serves the file caches' admin API, mounted under a prefix with http.StripPrefix
// (the node mounts it at /api/file_cache):
//
//	GET  {prefix}, {prefix}/stats, {prefix}?op=stats → {"<vault id>": filecache.Stats, ...}
//	POST {prefix}/clear, {prefix}?op=clear (GET too)  → {"blocks": n, "bytes": n} over every cache
//	{prefix}/<vault id>[/stats|/clear]              → that vault's filecache.Handler
func (v *Vaults) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first, _, _ := strings.Cut(strings.Trim(r.URL.Path, "/"), "/")
		caches := v.Caches()
		if first != "" && first != "stats" && first != "clear" {
			c, ok := caches[first]
			if !ok {
				http.Error(w, fmt.Sprintf("no file cache for vault %q (open caches: %v)", first, sortedKeys(caches)), http.StatusNotFound)
				return
			}
			c.Handler().ServeHTTP(w, r)
			return
		}
		op := r.URL.Query().Get("op")
		byQuery := op != ""
		if !byQuery {
			op = "stats"
			if first == "clear" {
				op = "clear"
			}
		}
		switch op {
		case "stats":
			if r.Method != http.MethodGet {
				http.Error(w, "stats: use GET", http.StatusMethodNotAllowed)
				return
			}
			stats := map[string]filecache.Stats{}
			for id, c := range caches {
				stats[id] = c.Stats()
			}
			writeJSON(w, stats)
		case "clear":
			if r.Method != http.MethodPost && !(byQuery && r.Method == http.MethodGet) {
				http.Error(w, "clear: use POST", http.StatusMethodNotAllowed)
				return
			}
			var blocks, bytes int64
			for _, c := range caches {
				b, n := c.Clear()
				blocks, bytes = blocks+int64(b), bytes+n
			}
			writeJSON(w, map[string]int64{"blocks": blocks, "bytes": bytes})
		default:
			http.Error(w, "unknown file cache operation "+op+": want stats or clear", http.StatusNotFound)
		}
	})
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Close closes the caches (their files stay for the next start) and the backends. Resolve fails
// afterwards; storages handed out before must not be used any more.
func (v *Vaults) Close() error {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return nil
	}
	v.closed = true
	entries := v.entries
	retired := v.retired
	v.entries, v.retired = nil, nil
	v.mu.Unlock()
	var errs []error
	for _, e := range entries {
		e.mu.Lock()
		if e.cache != nil {
			errs = append(errs, e.cache.Close())
		}
		if e.backend != nil {
			errs = append(errs, closeStorage(e.backend.current()))
		}
		e.mu.Unlock()
	}
	for _, st := range retired {
		errs = append(errs, closeStorage(st))
	}
	return errors.Join(errs...)
}

func closeStorage(st vault.Storage) error {
	if c, ok := st.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// swapStorage is a vault.Storage whose backend can be replaced (new credentials) while readers
// use it; each call goes to the backend current when it starts.
type swapStorage struct{ p atomic.Pointer[vault.Storage] }

func newSwapStorage(st vault.Storage) *swapStorage {
	s := &swapStorage{}
	s.p.Store(&st)
	return s
}

func (s *swapStorage) current() vault.Storage { return *s.p.Load() }

func (s *swapStorage) swap(st vault.Storage) vault.Storage { return *s.p.Swap(&st) }

func (s *swapStorage) Put(ctx context.Context, path string, r io.Reader) (int64, error) {
	return s.current().Put(ctx, path, r)
}

func (s *swapStorage) ReadAt(ctx context.Context, path string, p []byte, off int64) error {
	return s.current().ReadAt(ctx, path, p, off)
}

func (s *swapStorage) Stat(ctx context.Context, path string) (vault.ObjectInfo, error) {
	return s.current().Stat(ctx, path)
}

func (s *swapStorage) List(ctx context.Context, prefix string) ([]vault.ObjectInfo, error) {
	return s.current().List(ctx, prefix)
}

func (s *swapStorage) Delete(ctx context.Context, paths ...string) error {
	return s.current().Delete(ctx, paths...)
}

func (s *swapStorage) DeletePrefix(ctx context.Context, prefix string) error {
	return s.current().DeletePrefix(ctx, prefix)
}
