package recycler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/internal/httpserve"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/local"
)

// Doris's defaults.
const (
	// DefaultGeneralRetention is Doris's retention_seconds (72 h): upload markers whose commit
	// never came, tmp rowsets of aborted txns, indexes and partitions whose create never committed.
	DefaultGeneralRetention = 72 * time.Hour
	// DefaultCompactedRetention is Doris's compacted_rowset_retention_seconds (30 min): inputs of
	// compactions (readers of older versions may still read them), outputs of aborted ones.
	DefaultCompactedRetention = 30 * time.Minute
	// DefaultDroppedRetention is Doris's dropped_partition_retention_seconds and
	// dropped_index_retention_seconds (3 h): dropped tables, indexes and partitions.
	DefaultDroppedRetention = 3 * time.Hour
	// DefaultLabelRetention is Doris's label_keep_max_second (3 days): finished txns and labels.
	DefaultLabelRetention = 72 * time.Hour
	// DefaultLease is how long a round's lease lasts without renewal (Doris's
	// recycle_job_lease_expired_ms, 60 s); a round renews it every third of that.
	DefaultLease = time.Minute
	// DefaultInterval is the time between rounds.
	DefaultInterval = time.Minute
	// DefaultBatchSize is how many entries (or tablets) one bookkeeping transaction handles.
	DefaultBatchSize = 64
	// DefaultParallelism is how many vault deletions run at once.
	DefaultParallelism = 8
)

// Retention is how long each kind of garbage is kept after its recycle entry was written. An
// entry is due when both its own expiration (set by the Meta Service) and its creation time plus
// the retention of its kind have passed, so the longer of the two wins. Zero fields take Doris's
// defaults; a negative field means no retention of the recycler's own (the entry's expiration
// alone decides).
type Retention struct {
	General   time.Duration // DefaultGeneralRetention
	Compacted time.Duration // DefaultCompactedRetention
	Dropped   time.Duration // DefaultDroppedRetention
	Label     time.Duration // DefaultLabelRetention
}

func (r Retention) withDefaults() Retention {
	fill := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	fill(&r.General, DefaultGeneralRetention)
	fill(&r.Compacted, DefaultCompactedRetention)
	fill(&r.Dropped, DefaultDroppedRetention)
	fill(&r.Label, DefaultLabelRetention)
	return r
}

// OpenVaultFunc opens the storage of a vault definition (the StorageVault stored by the Meta
// Service, credentials included).
type OpenVaultFunc func(ctx context.Context, v *metapb.StorageVault) (vault.Storage, error)

// OpenLocalVault opens local vaults and refuses the others; it is Config.OpenVault's default.
func OpenLocalVault(_ context.Context, v *metapb.StorageVault) (vault.Storage, error) {
	loc := v.GetLocal()
	if loc == nil {
		return nil, fmt.Errorf("storage vault %q: no OpenVault function for its backend %T", v.GetId(), v.GetBackend())
	}
	return local.New(loc.GetRoot())
}

// Config configures a recycler.
type Config struct {
	DB          kv.DB
	InstanceIDs []string      // instances to recycle; empty: every instance in the store
	HTTPAddr    string        // /metrics; empty: no HTTP server
	Interval    time.Duration // between rounds (0: DefaultInterval)
	Now         func() time.Time
	Logger      *slog.Logger

	Retention Retention
	// Owner identifies this recycler in the leases it takes (default: host name, pid and a
	// random suffix). Two recyclers must not share one.
	Owner string
	// Lease is how long a lease lasts without renewal (0: DefaultLease).
	Lease time.Duration
	// OpenVault opens vaults (nil: OpenLocalVault).
	OpenVault OpenVaultFunc
	// Registry receives the metrics (nil: a new registry, see Registry).
	Registry *prometheus.Registry
	// BatchSize is how many entries or tablets one bookkeeping transaction handles (0:
	// DefaultBatchSize).
	BatchSize int
	// Parallelism is how many vault deletions run at once (0: DefaultParallelism).
	Parallelism int
}

// ErrNoInstance is wrapped by the error of a round on an instance that does not exist.
var ErrNoInstance = errors.New("no such instance")

// Recycler is the recycle loop.
type Recycler struct {
	cfg   Config
	httpL net.Listener
	reg   *prometheus.Registry
	m     *metrics
}

// New makes a recycler and binds its HTTP listener.
func New(cfg Config) (*Recycler, error) {
	if cfg.DB == nil {
		return nil, errors.New("recycler: Config.DB is required")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.OpenVault == nil {
		cfg.OpenVault = OpenLocalVault
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Parallelism <= 0 {
		cfg.Parallelism = DefaultParallelism
	}
	if cfg.Owner == "" {
		cfg.Owner = defaultOwner()
	}
	cfg.Retention = cfg.Retention.withDefaults()
	reg := cfg.Registry
	if reg == nil {
		reg = httpserve.NewRegistry()
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("recycler metrics: %w", err)
	}
	r := &Recycler{cfg: cfg, reg: reg, m: m}
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

func defaultOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Registry is the registry the metrics are on.
func (r *Recycler) Registry() *prometheus.Registry { return r.reg }

// HTTPAddr is the address the /metrics server listens on ("" without one).
func (r *Recycler) HTTPAddr() string {
	if r.httpL == nil {
		return ""
	}
	return r.httpL.Addr().String()
}

// Owner is the id this recycler takes leases under.
func (r *Recycler) Owner() string { return r.cfg.Owner }

// Run runs a round per instance every Interval until ctx ends.
func (r *Recycler) Run(ctx context.Context) error {
	if r.httpL != nil {
		go func() { _ = httpserve.Serve(ctx, r.httpL, httpserve.Mux(r.reg)) }()
	}
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		ids := r.cfg.InstanceIDs
		if len(ids) == 0 {
			var err error
			if ids, err = Instances(ctx, r.cfg.DB); err != nil && ctx.Err() == nil {
				r.cfg.Logger.Warn("recycler: listing instances failed", "err", err)
			}
		}
		for _, id := range ids {
			rep, err := r.Round(ctx, id)
			switch {
			case err != nil && ctx.Err() == nil:
				r.cfg.Logger.Warn("recycle round failed", "instance", id, "err", err, "report", rep.String())
			case err == nil && rep.Recycled() > 0:
				r.cfg.Logger.Info("recycle round", "instance", id, "report", rep.String())
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Instances lists the ids of every instance in the store.
func Instances(ctx context.Context, db kv.DB) ([]string, error) {
	var ids []string
	begin, end := keys.InstanceRange()
	for {
		var next []byte
		err := db.View(ctx, func(tx kv.ReadTxn) error {
			kvs, err := tx.GetRange(begin, end, 1, false)
			if err != nil || len(kvs) == 0 {
				return err
			}
			id, err := keys.ParseInstance(kvs[0].Key)
			if err != nil {
				// A key under an instance whose own key is missing: skip past it.
				next = append(append([]byte{}, kvs[0].Key...), 0x00)
				return nil
			}
			ids = append(ids, id)
			_, next = keys.InstanceScopeRange(id)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if next == nil {
			return ids, nil
		}
		begin = next
	}
}

// Kind is a kind of garbage.
type Kind int

// The kinds, in the order a round handles them.
const (
	KindExpiredTxn Kind = iota // PREPARED or PRECOMMITTED txns past their deadline: aborted
	KindIndex                  // dropped indexes, and indexes whose create never committed
	KindPartition              // dropped partitions, and partitions whose create never committed
	KindRowset                 // upload markers whose commit never came, tmp rowsets of aborted txns
	KindCompacted              // inputs of compactions, outputs of aborted compactions
	KindLabel                  // finished txns: info, index, running and label keys
	NumKinds
)

var kindNames = [NumKinds]string{"expired_txn", "index", "partition", "rowset", "compacted_rowset", "txn_label"}

func (k Kind) String() string {
	if k < 0 || k >= NumKinds {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// KindReport is what a round found and did for one kind.
type KindReport struct {
	Pending        int   // entries not due yet
	ToRecycle      int   // entries due
	ToRecycleBytes int64 // bytes of files of the due entries (as far as the metadata tells)
	Recycled       int   // entries reclaimed
	RecycledBytes  int64 // bytes of the files deleted for them
	Failed         int   // due entries left for a later round because a step failed
}

// Report is what a round did on one instance.
type Report struct {
	Instance   string
	Start, End time.Time
	// Busy: another recycler held the instance's lease; the round did nothing.
	Busy   bool
	Holder string // with Busy: the holder's owner id
	Kinds  [NumKinds]KindReport
}

// Recycled is the number of entries reclaimed, over every kind.
func (r Report) Recycled() int {
	n := 0
	for _, k := range r.Kinds {
		n += k.Recycled
	}
	return n
}

// Failed is the number of due entries left for a later round, over every kind.
func (r Report) Failed() int {
	n := 0
	for _, k := range r.Kinds {
		n += k.Failed
	}
	return n
}

func (r Report) String() string {
	if r.Busy {
		return fmt.Sprintf("instance %s: lease held by %s", r.Instance, r.Holder)
	}
	s := fmt.Sprintf("instance %s:", r.Instance)
	for k, kr := range r.Kinds {
		if kr != (KindReport{}) {
			s += fmt.Sprintf(" %s{due %d (%d B), done %d (%d B), failed %d, pending %d}", Kind(k),
				kr.ToRecycle, kr.ToRecycleBytes, kr.Recycled, kr.RecycledBytes, kr.Failed, kr.Pending)
		}
	}
	return s
}

// Round takes the instance's lease and reclaims everything due: it aborts expired txns, then
// reclaims dropped indexes and partitions, orphaned and compacted rowsets, and expired labels,
// in that order, and releases the lease. When another recycler holds the lease it returns at
// once with Report.Busy. A failed step leaves its entry for the next round and the round goes
// on; the error joins every failure. A lost lease (ErrLeaseLost) stops the round.
func (r *Recycler) Round(ctx context.Context, instanceID string) (Report, error) {
	start := r.cfg.Now()
	rep := Report{Instance: instanceID, Start: start}
	var held *Lease
	err := r.cfg.DB.Update(ctx, func(tx kv.Txn) error {
		if v, err := tx.Get(keys.Instance(instanceID)); err != nil || v == nil {
			if err == nil {
				err = ErrNoInstance
			}
			return err
		}
		var err error
		held, err = acquire(tx, instanceID, r.cfg.Owner, r.cfg.Now(), r.cfg.Lease)
		return err
	})
	if errors.Is(err, errLeaseHeld) {
		rep.Busy, rep.Holder, rep.End = true, held.Owner, r.cfg.Now()
		r.m.rounds.WithLabelValues(instanceID, "busy").Inc()
		return rep, nil
	}
	if err != nil {
		return rep, fmt.Errorf("recycler: take the lease of instance %s: %w", instanceID, err)
	}
	ro := &round{r: r, inst: instanceID, now: start, nowMs: start.UnixMilli(), renewed: r.cfg.Now(),
		vaults: map[string]vault.Storage{}, rep: &rep}
	for _, step := range []func(context.Context) error{ro.expiredTxns, ro.indexes, ro.partitions, ro.rowsets, ro.labels} {
		if err := step(ctx); err != nil {
			ro.fail(err)
		}
		if ro.lost || ctx.Err() != nil {
			break
		}
	}
	if cerr := ctx.Err(); cerr != nil {
		ro.fail(fmt.Errorf("recycler: round of instance %s stopped: %w", instanceID, cerr))
	}
	err = errors.Join(ro.errs...)
	if !ro.lost {
		if rerr := r.cfg.DB.Update(context.WithoutCancel(ctx), func(tx kv.Txn) error {
			return release(tx, instanceID, r.cfg.Owner, r.cfg.Now(), err == nil && rep.Failed() == 0)
		}); rerr != nil {
			err = errors.Join(err, fmt.Errorf("recycler: release the lease of instance %s: %w", instanceID, rerr))
		}
	}
	rep.End = r.cfg.Now()
	r.m.observe(&rep, err == nil && rep.Failed() == 0)
	return rep, err
}

// round is the state of one Round.
type round struct {
	r       *Recycler
	inst    string
	now     time.Time // when the round began: the clock every due decision uses
	nowMs   int64
	renewed time.Time // when the lease was last taken or renewed

	mu     sync.Mutex // guards errs (file deletions run in parallel)
	errs   []error
	lost   bool
	vaults map[string]vault.Storage
	defVID string // the instance's default vault id, read once
	rep    *Report
}

func (ro *round) fail(err error) {
	ro.mu.Lock()
	defer ro.mu.Unlock()
	if errors.Is(err, ErrLeaseLost) {
		ro.lost = true
	}
	ro.errs = append(ro.errs, err)
}

// due reports whether an entry created at creationMs that expires at expirationMs is due under
// retention ret.
func (ro *round) due(expirationMs, creationMs int64, ret time.Duration) bool {
	at := expirationMs
	if ret > 0 {
		at = max(at, creationMs+ret.Milliseconds())
	}
	return at <= ro.nowMs
}

// update runs fn in a read-write transaction that first checks the round still holds the
// lease (so a take-over makes it conflict or fail with ErrLeaseLost), renewing the lease when a
// third of it has passed.
func (ro *round) update(ctx context.Context, fn func(tx kv.Txn) error) error {
	cfg := &ro.r.cfg
	now := cfg.Now()
	renewing := now.Sub(ro.renewed) >= cfg.Lease/3
	err := cfg.DB.Update(ctx, func(tx kv.Txn) error {
		var err error
		if renewing {
			err = renew(tx, ro.inst, cfg.Owner, cfg.Now(), cfg.Lease)
		} else {
			_, err = check(tx, ro.inst, cfg.Owner, cfg.Now())
		}
		if err != nil {
			return err
		}
		return fn(tx)
	})
	if err == nil && renewing {
		ro.renewed = now
	}
	return err
}

// vault returns the storage of a vault of the instance ("" is the instance's default vault).
func (ro *round) vault(ctx context.Context, id string) (vault.Storage, error) {
	ro.mu.Lock()
	defer ro.mu.Unlock()
	if id == "" {
		if ro.defVID == "" {
			info := &metapb.InstanceInfo{}
			if err := ro.r.cfg.DB.View(ctx, func(tx kv.ReadTxn) error {
				_, err := kv.GetProto(tx, keys.Instance(ro.inst), info)
				return err
			}); err != nil {
				return nil, err
			}
			if info.GetDefaultVaultId() == "" {
				return nil, fmt.Errorf("instance %s has no default storage vault", ro.inst)
			}
			ro.defVID = info.GetDefaultVaultId()
		}
		id = ro.defVID
	}
	if st, ok := ro.vaults[id]; ok {
		return st, nil
	}
	st, err := openVault(ctx, ro.r.cfg, ro.inst, id)
	if err != nil {
		return nil, err
	}
	ro.vaults[id] = st
	return st, nil
}

func openVault(ctx context.Context, cfg Config, inst, id string) (vault.Storage, error) {
	v := &metapb.StorageVault{}
	var found bool
	if err := cfg.DB.View(ctx, func(tx kv.ReadTxn) error {
		var err error
		found, err = kv.GetProto(tx, keys.StorageVault(inst, id), v)
		return err
	}); err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("storage vault %q of instance %s not found", id, inst)
	}
	st, err := cfg.OpenVault(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("open storage vault %q: %w", id, err)
	}
	return st, nil
}

// parallel runs fn(i) for i in [0, n), at most limit at once, and returns each one's error.
func parallel(n, limit int, fn func(i int) error) []error {
	errs := make([]error, n)
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errs
}
