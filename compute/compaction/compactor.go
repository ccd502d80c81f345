package compaction

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/publish"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/vault"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var (
	// ErrBusy: another job holds the tablet's lease (or this node is compacting it).
	ErrBusy = errors.New("tablet is being compacted")
	// ErrStale: the tablet's rowsets changed between the pick and the lease, or the lease was
	// lost (expired and taken over) before the commit.
	ErrStale = errors.New("tablet changed under the compaction")
	// ErrUnsupported: the tablet's table model cannot be compacted by this node yet.
	ErrUnsupported = errors.New("not supported")
	// ErrLockTimeout: a merge-on-write compaction could not take its partition's delete-bitmap
	// lock within Config.LockTimeout (loads held it throughout).
	ErrLockTimeout = publish.ErrLockTimeout
)

// Config configures a Compactor. Zero tuning fields take their defaults.
type Config struct {
	Meta       metapb.MetaServiceClient
	InstanceID string
	Vaults     vault.Resolver
	NodeID     string // the initiator named in the leases
	Logger     *slog.Logger
	// Registerer receives the compaction metrics; nil: not exported.
	Registerer prometheus.Registerer

	// Disabled turns background compaction off; Compact (manual requests) still works.
	Disabled bool
	Policy   Policy
	// Interval is the producer's period (default 1 s); a load that touches a tablet wakes the
	// producer at once, but rounds are at least MinInterval (default 50 ms) apart.
	Interval    time.Duration
	MinInterval time.Duration
	// CumulativeThreads and BaseThreads cap the jobs of each pool on this node (defaults 4 and
	// 2, Doris's max_cumu_compaction_threads / max_base_compaction_threads in spirit).
	CumulativeThreads int
	BaseThreads       int
	// BaseEvery: one producer round in BaseEvery is a base round (default 10: nine cumulative
	// rounds per base round, Doris's cumulative_compaction_rounds_for_each_base_compaction_round).
	BaseEvery int
	// Lease is the lease asked for each job (default 60 s); it is renewed every Lease/3.
	Lease time.Duration
	// Backoff is how long the producer leaves a tablet alone after a failed job (default 5 s).
	Backoff time.Duration
	// Segment tunes the output segments (compression and bloom filters come from the schema);
	// SegmentRows caps the rows of one output segment (default 1 Mi rows).
	Segment     segment.Options
	SegmentRows int
	BatchSize   int // rows per read batch (default 4096)
	// Merge-on-write commits: the delete-bitmap lock's wait bound (default
	// publish.DefaultLockTimeout) and lease (default publish.DefaultLease), and the initiator
	// id this node holds it with (0: a random one).
	LockTimeout time.Duration
	LockLease   time.Duration
	Initiator   int64
}

// Tablet is what the compactor knows of a tablet.
type Tablet struct {
	ID          int64
	TableID     int64
	PartitionID int64
	IndexID     int64
	VaultID     string
	Schema      *commonpb.TabletSchema
}

// entry is a tablet in the registry.
type entry struct {
	t           Tablet
	idleRowsets [4]int64  // per kind: num_rowsets when a round found nothing to do (-1: check)
	retryAt     time.Time // after a failure: left alone until then
}

// Compactor is a node's compactor. See the package doc.
type Compactor struct {
	cfg       Config
	log       *slog.Logger
	metrics   *metrics
	initiator int64 // of the delete-bitmap locks

	mu       sync.Mutex
	tablets  map[int64]*entry
	running  map[int64]chan struct{} // closed when the tablet's job ends
	inflight map[metapb.CompactionType]int
	rounds   int
	stopped  bool

	cumSlots  chan struct{}
	baseSlots chan struct{}
	nudge     chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// New returns a compactor; Start runs its background loop.
func New(cfg Config) (*Compactor, error) {
	if cfg.Meta == nil || cfg.Vaults == nil || cfg.InstanceID == "" {
		return nil, errors.New("compaction: Meta, Vaults and InstanceID are required")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.MinInterval <= 0 {
		cfg.MinInterval = 50 * time.Millisecond
	}
	if cfg.CumulativeThreads <= 0 {
		cfg.CumulativeThreads = 4
	}
	if cfg.BaseThreads <= 0 {
		cfg.BaseThreads = 2
	}
	if cfg.BaseEvery <= 0 {
		cfg.BaseEvery = 10
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 5 * time.Second
	}
	if cfg.SegmentRows <= 0 {
		cfg.SegmentRows = 1 << 20
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 4096
	}
	if cfg.LockTimeout <= 0 {
		cfg.LockTimeout = publish.DefaultLockTimeout
	}
	if cfg.LockLease <= 0 {
		cfg.LockLease = publish.DefaultLease
	}
	for cfg.Initiator == 0 {
		var b [8]byte
		rand.Read(b[:])
		cfg.Initiator = int64(binary.LittleEndian.Uint64(b[:]) >> 1)
	}
	cfg.Policy = cfg.Policy.withDefaults()
	c := &Compactor{cfg: cfg, log: cfg.Logger, tablets: map[int64]*entry{}, running: map[int64]chan struct{}{},
		inflight: map[metapb.CompactionType]int{}, cumSlots: make(chan struct{}, cfg.CumulativeThreads),
		baseSlots: make(chan struct{}, cfg.BaseThreads), nudge: make(chan struct{}, 1)}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.initiator = cfg.Initiator
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	c.metrics = m
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// Start starts the producer (unless Disabled). Call it once.
func (c *Compactor) Start() {
	if c.cfg.Disabled {
		return
	}
	c.spawn(c.produce)
}

// Stop stops the producer, cancels the running jobs (which abort their leases) and waits for
// them. Calling it more than once is harmless.
func (c *Compactor) Stop() {
	c.once.Do(func() {
		c.mu.Lock()
		c.stopped = true
		c.mu.Unlock()
		c.cancel()
		c.wg.Wait()
	})
}

// Track adds t to the registry (or refreshes what is known of it).
func (c *Compactor) Track(t Tablet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.tablets[t.ID]; ok {
		if t.Schema != nil {
			e.t = t
		}
		e.idleRowsets = [4]int64{-1, -1, -1, -1}
		return
	}
	c.tablets[t.ID] = &entry{t: t, idleRowsets: [4]int64{-1, -1, -1, -1}}
}

// Loaded records that a load wrote rowsets into tablets of sink and wakes the producer: the
// load path's hook (load.Loader.Written).
func (c *Compactor) Loaded(sink *computepb.TabletSink, tabletIDs []int64) {
	part := map[int64]int64{}
	for _, p := range sink.GetPartitions() {
		for _, id := range p.GetTabletIds() {
			part[id] = p.GetPartitionId()
		}
	}
	for _, id := range tabletIDs {
		c.Track(Tablet{ID: id, TableID: sink.GetTableId(), PartitionID: part[id], IndexID: sink.GetIndexId(), VaultID: sink.GetVaultId(), Schema: sink.GetSchema()})
	}
	select {
	case c.nudge <- struct{}{}:
	default:
	}
}

// Tracked returns the ids of the tablets in the registry, in id order.
func (c *Compactor) Tracked() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int64, 0, len(c.tablets))
	for id := range c.tablets {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// tablet returns what is known of a tablet, asking the Meta Service (GetTablet) for a tablet
// without a schema, and registers it.
func (c *Compactor) tablet(ctx context.Context, id int64) (Tablet, error) {
	c.mu.Lock()
	e, ok := c.tablets[id]
	c.mu.Unlock()
	if ok && e.t.Schema != nil {
		return e.t, nil
	}
	resp, err := c.cfg.Meta.GetTablet(ctx, &metapb.GetTabletRequest{InstanceId: c.cfg.InstanceID, TabletId: id})
	if err != nil {
		return Tablet{}, fmt.Errorf("tablet %d: %w", id, err)
	}
	m := resp.GetTablet()
	t := Tablet{ID: id, TableID: m.GetTableId(), PartitionID: m.GetPartitionId(), IndexID: m.GetIndexId(), VaultID: m.GetVaultId(), Schema: m.GetSchema()}
	if t.Schema == nil {
		return Tablet{}, fmt.Errorf("BUG: tablet %d has no schema at the Meta Service", id)
	}
	c.Track(t)
	return t, nil
}

// Result is the outcome of one compaction.
type Result struct {
	Kind      metapb.CompactionType
	Compacted bool // false: there was nothing to compact
	Inputs    int  // input rowsets
	InputRows int64
	Output    *metapb.RowsetMeta
	Stats     *metapb.TabletStats // after the commit
}

// Compact compacts one tablet now (ALTER TABLE ... COMPACT): kind COMPACTION_CUMULATIVE or
// COMPACTION_BASE with any score, or a full compaction for COMPACTION_FULL and
// COMPACTION_UNKNOWN. It waits for a job of this node on the tablet to end first, and for a
// free slot of the kind's pool (full and base compactions share the base pool).
func (c *Compactor) Compact(ctx context.Context, tabletID int64, kind metapb.CompactionType) (Result, error) {
	t, err := c.tablet(ctx, tabletID)
	if err != nil {
		return Result{}, err
	}
	if kind != metapb.CompactionType_COMPACTION_CUMULATIVE && kind != metapb.CompactionType_COMPACTION_BASE {
		kind = metapb.CompactionType_COMPACTION_FULL
	}
	done, err := c.claim(ctx, tabletID, true)
	if err != nil {
		return Result{}, err
	}
	defer done()
	slots := c.slots(kind)
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	defer func() { <-slots }()
	// The node's Stop cancels manual jobs too.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.ctx, cancel)
	defer stop()
	for attempt := 0; ; attempt++ {
		rowsets, st, err := c.rowsets(ctx, tabletID)
		if err != nil {
			return Result{}, err
		}
		p, ok := c.cfg.Policy.Choose(kind, rowsets, st.GetCumulativePoint(), true)
		if !ok {
			c.metrics.jobs.WithLabelValues(kindName(kind), "nothing").Inc()
			return Result{Kind: kind}, nil
		}
		res, err := c.run(ctx, t, p)
		// Another node's lease, or loads that changed the tablet between the pick and the
		// lease: retry a few times.
		if (errors.Is(err, ErrBusy) || errors.Is(err, ErrStale)) && attempt < 20 {
			select {
			case <-time.After(time.Duration(50*(attempt+1)) * time.Millisecond):
				continue
			case <-ctx.Done():
				return Result{}, ctx.Err()
			}
		}
		return res, err
	}
}

// CompactPick runs the compaction p of a tablet as it is, once (no retry when the lease is busy
// or the tablet changed): for callers that pick themselves, and tests.
func (c *Compactor) CompactPick(ctx context.Context, tabletID int64, p Pick) (Result, error) {
	if len(p.Inputs) == 0 {
		return Result{}, fmt.Errorf("BUG: compaction of tablet %d without inputs", tabletID)
	}
	t, err := c.tablet(ctx, tabletID)
	if err != nil {
		return Result{}, err
	}
	done, err := c.claim(ctx, tabletID, true)
	if err != nil {
		return Result{}, err
	}
	defer done()
	return c.run(ctx, t, p)
}

// Go runs Compact in the background of the compactor (until Stop); failures are logged.
func (c *Compactor) Go(tabletID int64, kind metapb.CompactionType) {
	c.spawn(func() {
		if _, err := c.Compact(c.ctx, tabletID, kind); err != nil && c.ctx.Err() == nil {
			c.log.Warn("requested compaction failed", "tablet", tabletID, "kind", kindName(kind), "err", err)
		}
	})
}

// spawn runs f in a goroutine Stop waits for; false (f not run) once Stop began.
func (c *Compactor) spawn(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

func (c *Compactor) slots(kind metapb.CompactionType) chan struct{} {
	if kind == metapb.CompactionType_COMPACTION_CUMULATIVE {
		return c.cumSlots
	}
	return c.baseSlots
}

// claim marks the tablet as in a job of this node; with wait it waits for a running one to end,
// otherwise it fails with ErrBusy. The returned function releases it.
func (c *Compactor) claim(ctx context.Context, id int64, wait bool) (func(), error) {
	for {
		c.mu.Lock()
		ch, busy := c.running[id]
		if !busy {
			ch = make(chan struct{})
			c.running[id] = ch
			c.mu.Unlock()
			return func() {
				c.mu.Lock()
				delete(c.running, id)
				c.mu.Unlock()
				close(ch)
			}, nil
		}
		c.mu.Unlock()
		if !wait {
			return nil, fmt.Errorf("tablet %d: %w", id, ErrBusy)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// rowsets reads the tablet's visible rowsets and statistics.
func (c *Compactor) rowsets(ctx context.Context, id int64) ([]*metapb.RowsetMeta, *metapb.TabletStats, error) {
	st, err := c.cfg.Meta.GetTabletStats(ctx, &metapb.GetTabletStatsRequest{InstanceId: c.cfg.InstanceID, TabletIds: []int64{id}})
	if err != nil {
		return nil, nil, fmt.Errorf("tablet %d: stats: %w", id, err)
	}
	if len(st.GetStats()) != 1 {
		return nil, nil, fmt.Errorf("BUG: stats of tablet %d: %d answers", id, len(st.GetStats()))
	}
	rs, err := c.cfg.Meta.GetRowsets(ctx, &metapb.GetRowsetsRequest{InstanceId: c.cfg.InstanceID, TabletId: id, StartVersion: 0, EndVersion: math.MaxInt64})
	if err != nil {
		return nil, nil, fmt.Errorf("tablet %d: rowsets: %w", id, err)
	}
	return sorted(rs.GetRowsets()), st.GetStats()[0], nil
}

// ---------------------------------------------------------------- the producer

func (c *Compactor) produce() {
	tick := time.NewTicker(c.cfg.Interval)
	defer tick.Stop()
	last := time.Time{}
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-tick.C:
		case <-c.nudge:
		}
		if wait := c.cfg.MinInterval - time.Since(last); wait > 0 {
			select {
			case <-c.ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		last = time.Now()
		c.round()
	}
}

// candidate is a tablet a round may compact.
type candidate struct {
	e       *entry
	rowsets int64
}

// round is one producer round: it picks the tablets with the highest scores for this round's
// kind and hands them to the kind's pool while it has free slots.
func (c *Compactor) round() {
	c.mu.Lock()
	c.rounds++
	kind := metapb.CompactionType_COMPACTION_CUMULATIVE
	if c.rounds%c.cfg.BaseEvery == 0 {
		kind = metapb.CompactionType_COMPACTION_BASE
	}
	free := cap(c.slots(kind)) - c.inflight[kind]
	now := time.Now()
	var ids []int64
	entries := map[int64]*entry{}
	for id, e := range c.tablets {
		if _, busy := c.running[id]; busy || now.Before(e.retryAt) {
			continue
		}
		ids = append(ids, id)
		entries[id] = e
	}
	c.mu.Unlock()
	if free <= 0 || len(ids) == 0 {
		return
	}
	slices.Sort(ids)
	stats := c.stats(ids)
	var cands []candidate
	for _, id := range ids {
		st, ok := stats[id]
		if !ok || st.GetNumRowsets() < 2 {
			continue
		}
		c.mu.Lock()
		idle := entries[id].idleRowsets[kind] == st.GetNumRowsets()
		c.mu.Unlock()
		if !idle {
			cands = append(cands, candidate{e: entries[id], rowsets: st.GetNumRowsets()})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].rowsets > cands[j].rowsets })
	// Score the most promising few exactly (their rowsets), then submit the best.
	var picks []Pick
	var tablets []Tablet
	for _, cd := range cands[:min(len(cands), 2*free+2)] {
		t := cd.e.t
		rowsets, st, err := c.rowsets(c.ctx, t.ID)
		if err != nil {
			c.failed(t.ID, err)
			continue
		}
		p, ok := c.cfg.Policy.Choose(kind, rowsets, st.GetCumulativePoint(), false)
		if !ok {
			c.idle(t.ID, kind, st.GetNumRowsets())
			continue
		}
		picks = append(picks, p)
		tablets = append(tablets, t)
	}
	order := make([]int, len(picks))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return picks[order[a]].Score > picks[order[b]].Score })
	for _, i := range order[:min(len(order), free)] {
		c.submit(tablets[i], picks[i])
	}
}

// stats reads the statistics of the tablets, dropping from the registry those the Meta Service
// no longer knows (dropped tables and partitions).
func (c *Compactor) stats(ids []int64) map[int64]*metapb.TabletStats {
	out := map[int64]*metapb.TabletStats{}
	const chunk = 256
	for lo := 0; lo < len(ids); lo += chunk {
		part := ids[lo:min(lo+chunk, len(ids))]
		resp, err := c.cfg.Meta.GetTabletStats(c.ctx, &metapb.GetTabletStatsRequest{InstanceId: c.cfg.InstanceID, TabletIds: part})
		if err == nil {
			for _, st := range resp.GetStats() {
				out[st.GetTabletId()] = st
			}
			continue
		}
		if status.Code(err) != codes.NotFound {
			if c.ctx.Err() == nil {
				c.log.Warn("compaction: tablet stats", "err", err)
			}
			continue
		}
		for _, id := range part { // one of them is gone: find it
			resp, err := c.cfg.Meta.GetTabletStats(c.ctx, &metapb.GetTabletStatsRequest{InstanceId: c.cfg.InstanceID, TabletIds: []int64{id}})
			switch {
			case status.Code(err) == codes.NotFound:
				c.mu.Lock()
				delete(c.tablets, id)
				c.mu.Unlock()
			case err == nil && len(resp.GetStats()) == 1:
				out[id] = resp.GetStats()[0]
			}
		}
	}
	return out
}

func (c *Compactor) idle(id int64, kind metapb.CompactionType, rowsets int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.tablets[id]; ok {
		e.idleRowsets[kind] = rowsets
	}
}

func (c *Compactor) failed(id int64, err error) {
	c.mu.Lock()
	if e, ok := c.tablets[id]; ok {
		e.retryAt = time.Now().Add(c.cfg.Backoff)
	}
	c.mu.Unlock()
	if c.ctx.Err() == nil && !errors.Is(err, ErrBusy) && !errors.Is(err, ErrStale) {
		c.log.Warn("compaction failed", "tablet", id, "err", err)
	}
}

// submit runs p in the kind's pool, unless the tablet is busy or the pool is full.
func (c *Compactor) submit(t Tablet, p Pick) {
	done, err := c.claim(c.ctx, t.ID, false)
	if err != nil {
		return
	}
	slots := c.slots(p.Kind)
	select {
	case slots <- struct{}{}:
	default:
		done()
		return
	}
	c.mu.Lock()
	c.inflight[p.Kind]++
	c.mu.Unlock()
	ok := c.spawn(func() {
		defer func() {
			c.mu.Lock()
			c.inflight[p.Kind]--
			c.mu.Unlock()
			<-slots
			done()
			select { // there may be more to do
			case c.nudge <- struct{}{}:
			default:
			}
		}()
		if _, err := c.run(c.ctx, t, p); err != nil {
			c.failed(t.ID, err)
		}
	})
	if !ok {
		c.mu.Lock()
		c.inflight[p.Kind]--
		c.mu.Unlock()
		<-slots
		done()
	}
}

// ---------------------------------------------------------------- metrics

type metrics struct {
	jobs   *prometheus.CounterVec
	inputs *prometheus.CounterVec
}

func newMetrics(r prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doric_compaction_total",
			Help: "Compactions by kind (cumulative, base, full) and outcome (success, nothing, busy, stale, error).",
		}, []string{"kind", "outcome"}),
		inputs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doric_compaction_input_rowsets_total", Help: "Rowsets replaced by committed compactions, by kind.",
		}, []string{"kind"}),
	}
	if r != nil {
		for _, col := range []prometheus.Collector{m.jobs, m.inputs} {
			if err := r.Register(col); err != nil {
				return nil, fmt.Errorf("compaction metrics: %w", err)
			}
		}
	}
	return m, nil
}

func kindName(k metapb.CompactionType) string {
	switch k {
	case metapb.CompactionType_COMPACTION_CUMULATIVE:
		return "cumulative"
	case metapb.CompactionType_COMPACTION_BASE:
		return "base"
	}
	return "full"
}

func outcome(err error) string {
	switch {
	case err == nil:
		return "success"
	case errors.Is(err, ErrBusy):
		return "busy"
	case errors.Is(err, ErrStale):
		return "stale"
	}
	return "error"
}

// mergeOnWrite: a merge-on-write UNIQUE tablet (its compaction carries delete bitmaps over).
func mergeOnWrite(s *commonpb.TabletSchema) bool {
	return s.GetKeysType() == commonpb.KeysType_UNIQUE_KEYS && s.GetEnableUniqueKeyMergeOnWrite()
}
