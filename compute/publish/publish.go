package publish

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
)

var (
	// ErrAborted classifies a publish of a transaction that was aborted.
	ErrAborted = errors.New("transaction aborted")
	// ErrLockTimeout classifies a publish that could not take the delete-bitmap lock in time
	// (another load or a compaction of the same partitions held it throughout).
	ErrLockTimeout = errors.New("timed out waiting for the delete bitmap lock")
)

// Defaults of Config.
const (
	DefaultLockTimeout = 60 * time.Second
	DefaultLease       = 30 * time.Second
)

// Config configures a Publisher.
type Config struct {
	Meta       metapb.MetaServiceClient
	InstanceID string
	// Reader reads the segments' keys (through its Keys cache: the node's primary-key cache) and
	// the delete bitmaps.
	Reader *tablet.Reader
	// LockTimeout bounds the wait for a busy delete-bitmap lock (DefaultLockTimeout when 0).
	LockTimeout time.Duration
	// Lease is the lock expiration requested, renewed while a publish computes (DefaultLease).
	Lease time.Duration
	// Initiator names this node among the lock's holders; 0 picks a random one.
	Initiator int64
	Logger    *slog.Logger
}

// Publisher commits load transactions. See the package doc.
type Publisher struct {
	cfg Config

	mu       sync.Mutex
	inflight map[int64]*call // publishes running on this node, by txn id
	tablets  map[int64]*metapb.TabletMeta
}

type call struct {
	done chan struct{}
	resp *metapb.CommitTxnResponse
	err  error
}

// maxTabletMetas bounds the tablet metadata cache (it is dropped whole when full).
const maxTabletMetas = 100_000

// New returns a publisher.
func New(cfg Config) (*Publisher, error) {
	if cfg.Meta == nil || cfg.Reader == nil {
		return nil, errors.New("publish: a Meta Service client and a tablet reader are required")
	}
	if cfg.LockTimeout <= 0 {
		cfg.LockTimeout = DefaultLockTimeout
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	for cfg.Initiator == 0 {
		var b [8]byte
		rand.Read(b[:])
		cfg.Initiator = int64(binary.LittleEndian.Uint64(b[:]) >> 1)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Publisher{cfg: cfg, inflight: map[int64]*call{}, tablets: map[int64]*metapb.TabletMeta{}}, nil
}

// Commit publishes transaction txnID of database dbID: see the package doc. Concurrent calls for
// the same transaction on one Publisher share one publish.
func (p *Publisher) Commit(ctx context.Context, dbID, txnID int64) (*metapb.CommitTxnResponse, error) {
	p.mu.Lock()
	if c, ok := p.inflight[txnID]; ok {
		p.mu.Unlock()
		select {
		case <-c.done:
			return c.resp, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c := &call{done: make(chan struct{})}
	p.inflight[txnID] = c
	p.mu.Unlock()
	c.resp, c.err = p.commit(ctx, dbID, txnID)
	p.mu.Lock()
	delete(p.inflight, txnID)
	p.mu.Unlock()
	close(c.done)
	return c.resp, c.err
}

func done(s metapb.TxnStatus) bool {
	return s == metapb.TxnStatus_TXN_VISIBLE || s == metapb.TxnStatus_TXN_COMMITTED
}

// work is what a publish does for one merge-on-write table.
type work struct {
	table      int64
	partitions []int64
	rowsets    []*metapb.RowsetMeta
}

func (p *Publisher) commit(ctx context.Context, dbID, txnID int64) (*metapb.CommitTxnResponse, error) {
	meta, inst := p.cfg.Meta, p.cfg.InstanceID
	got, err := meta.GetTxn(ctx, &metapb.GetTxnRequest{InstanceId: inst, DbId: dbID, TxnId: txnID})
	if err != nil {
		return nil, fmt.Errorf("publish txn %d: %w", txnID, err)
	}
	switch s := got.GetTxn().GetStatus(); {
	case done(s):
		return committedResponse(got.GetTxn()), nil
	case s == metapb.TxnStatus_TXN_ABORTED:
		return nil, fmt.Errorf("publish txn %d: %w: %s", txnID, ErrAborted, got.GetTxn().GetReason())
	}
	tmp, err := meta.GetTxnRowsets(ctx, &metapb.GetTxnRowsetsRequest{InstanceId: inst, TxnId: txnID})
	if err != nil {
		return nil, fmt.Errorf("publish txn %d: tmp rowsets: %w", txnID, err)
	}
	byTable := map[int64]*work{}
	schemas := map[int64]*commonpb.TabletSchema{}
	partOf := map[int64]int64{} // tablet -> partition, from the tablet's metadata
	for _, rs := range tmp.GetRowsets() {
		tm, err := p.tablet(ctx, rs.GetTabletId())
		if err != nil {
			return nil, fmt.Errorf("publish txn %d: %w", txnID, err)
		}
		s := tm.GetSchema()
		if s.GetKeysType() != commonpb.KeysType_UNIQUE_KEYS || !s.GetEnableUniqueKeyMergeOnWrite() {
			continue
		}
		w := byTable[tm.GetTableId()]
		if w == nil {
			w = &work{table: tm.GetTableId()}
			byTable[w.table] = w
		}
		if !slices.Contains(w.partitions, tm.GetPartitionId()) {
			w.partitions = append(w.partitions, tm.GetPartitionId())
		}
		w.rowsets = append(w.rowsets, rs)
		schemas[rs.GetTabletId()] = s
		partOf[rs.GetTabletId()] = tm.GetPartitionId()
	}
	if len(byTable) == 0 {
		return p.plainCommit(ctx, dbID, txnID)
	}
	var works []*work
	for _, w := range byTable {
		slices.Sort(w.partitions)
		works = append(works, w)
	}
	sort.Slice(works, func(i, j int) bool { return works[i].table < works[j].table })

	// The lock, table by table in id order (so two publishes never wait on each other in a cycle).
	lockedAt := time.Now()
	committed := false // by this publish's CommitTxn, which released the locks
	defer func() {
		if !committed {
			p.unlock(context.WithoutCancel(ctx), txnID, works)
		}
	}()
	for _, w := range works {
		if err := p.lock(ctx, txnID, w); err != nil {
			return nil, fmt.Errorf("publish txn %d: %w", txnID, err)
		}
	}
	// A publish of the same txn elsewhere may have committed while this one waited.
	got, err = meta.GetTxn(ctx, &metapb.GetTxnRequest{InstanceId: inst, DbId: dbID, TxnId: txnID})
	if err != nil {
		return nil, fmt.Errorf("publish txn %d: %w", txnID, err)
	}
	if done(got.GetTxn().GetStatus()) {
		return committedResponse(got.GetTxn()), nil
	}
	// The partitions' current versions: under the lock no other load can move them.
	vreq := &metapb.GetVersionRequest{InstanceId: inst}
	for _, w := range works {
		for _, part := range w.partitions {
			vreq.Partitions = append(vreq.Partitions, &metapb.PartitionVersion{DbId: dbID, TableId: w.table, PartitionId: part})
		}
	}
	vs, err := meta.GetVersion(ctx, vreq)
	if err != nil {
		return nil, fmt.Errorf("publish txn %d: partition versions: %w", txnID, err)
	}
	version := map[int64]int64{}
	for _, v := range vs.GetVersions() {
		version[v.GetPartitionId()] = v.GetVersion()
	}
	var mowTables []int64
	for _, w := range works {
		mowTables = append(mowTables, w.table)
		for _, rs := range w.rowsets {
			part := partOf[rs.GetTabletId()]
			v, ok := version[part]
			if !ok {
				return nil, fmt.Errorf("BUG: publish txn %d: no version of partition %d (asked %v)", txnID, part, vreq.GetPartitions())
			}
			entries, err := p.calculate(ctx, schemas[rs.GetTabletId()], rs, v)
			if errors.Is(err, errCommitted) {
				return p.plainCommit(ctx, dbID, txnID)
			}
			if err != nil {
				return nil, fmt.Errorf("publish txn %d: tablet %d: %w", txnID, rs.GetTabletId(), err)
			}
			if time.Since(lockedAt) > p.cfg.Lease/2 {
				if err := p.lock(ctx, txnID, w); err != nil {
					return nil, fmt.Errorf("publish txn %d: renew the lock: %w", txnID, err)
				}
				lockedAt = time.Now()
			}
			// Always written, even empty: the update also drops the bitmaps a failed publish of
			// another txn left pending on this tablet.
			if _, err := meta.UpdateDeleteBitmap(ctx, &metapb.UpdateDeleteBitmapRequest{InstanceId: inst, TableId: w.table,
				PartitionId: part, LockId: txnID, Initiator: p.cfg.Initiator, TabletId: rs.GetTabletId(), Bitmaps: entries}); err != nil {
				return nil, fmt.Errorf("publish txn %d: update delete bitmaps of tablet %d: %w", txnID, rs.GetTabletId(), err)
			}
		}
	}
	resp, err := meta.CommitTxn(ctx, &metapb.CommitTxnRequest{InstanceId: inst, DbId: dbID, TxnId: txnID, MowTableIds: mowTables})
	if err != nil {
		// The commit may have happened although its answer was lost.
		got, gerr := meta.GetTxn(context.WithoutCancel(ctx), &metapb.GetTxnRequest{InstanceId: inst, DbId: dbID, TxnId: txnID})
		if gerr != nil || !done(got.GetTxn().GetStatus()) {
			return nil, fmt.Errorf("publish txn %d: commit: %w", txnID, err)
		}
		committed = true
		return committedResponse(got.GetTxn()), nil
	}
	committed = true
	for _, pv := range resp.GetVersions() {
		if want, ok := version[pv.GetPartitionId()]; ok && pv.GetVersion() != want+1 {
			return resp, fmt.Errorf("BUG: publish txn %d: partition %d committed at version %d, bitmaps computed for %d", txnID, pv.GetPartitionId(), pv.GetVersion(), want+1)
		}
	}
	return resp, nil
}

// committedResponse is what CommitTxn answers for a txn that is committed already.
func committedResponse(info *metapb.TxnInfo) *metapb.CommitTxnResponse {
	return &metapb.CommitTxnResponse{Txn: info, Versions: info.GetVersions()}
}

// plainCommit commits without merge-on-write tables (or returns a committed txn as it is).
func (p *Publisher) plainCommit(ctx context.Context, dbID, txnID int64) (*metapb.CommitTxnResponse, error) {
	resp, err := p.cfg.Meta.CommitTxn(ctx, &metapb.CommitTxnRequest{InstanceId: p.cfg.InstanceID, DbId: dbID, TxnId: txnID})
	if err != nil {
		return nil, fmt.Errorf("commit txn %d: %w", txnID, err)
	}
	return resp, nil
}

// lock takes the delete-bitmap lock of the table's partitions, retrying with backoff while
// another owner holds it, until LockTimeout.
func (p *Publisher) lock(ctx context.Context, txnID int64, w *work) error {
	l := &Lock{Meta: p.cfg.Meta, InstanceID: p.cfg.InstanceID, TableID: w.table, Partitions: w.partitions, LockID: txnID,
		Initiator: p.cfg.Initiator, Lease: p.cfg.Lease, Timeout: p.cfg.LockTimeout}
	return l.Take(ctx)
}

// unlock releases this node's hold of the locks (a no-op for locks the commit released or that
// another owner holds).
func (p *Publisher) unlock(ctx context.Context, txnID int64, works []*work) {
	for _, w := range works {
		if _, err := p.cfg.Meta.RemoveDeleteBitmapUpdateLock(ctx, &metapb.RemoveDeleteBitmapUpdateLockRequest{InstanceId: p.cfg.InstanceID,
			TableId: w.table, PartitionIds: w.partitions, LockId: txnID, Initiator: p.cfg.Initiator}); err != nil {
			p.cfg.Logger.Warn("release delete bitmap lock", "txn", txnID, "table", w.table, "err", err)
		}
	}
}

// tablet returns a tablet's metadata (cached: the parts a publish reads never change).
func (p *Publisher) tablet(ctx context.Context, id int64) (*metapb.TabletMeta, error) {
	p.mu.Lock()
	tm, ok := p.tablets[id]
	p.mu.Unlock()
	if ok {
		return tm, nil
	}
	resp, err := p.cfg.Meta.GetTablet(ctx, &metapb.GetTabletRequest{InstanceId: p.cfg.InstanceID, TabletId: id})
	if err != nil {
		return nil, fmt.Errorf("tablet %d: %w", id, err)
	}
	tm = resp.GetTablet()
	p.mu.Lock()
	if len(p.tablets) >= maxTabletMetas {
		clear(p.tablets)
	}
	p.tablets[id] = tm
	p.mu.Unlock()
	return tm, nil
}

// errCommitted says the txn's rowset is visible already: another publish committed it.
var errCommitted = errors.New("committed by another publish")

// calculate returns the bitmaps the tmp rowset rs adds at version v+1, against the tablet's
// rowsets visible at v and the bitmaps in force at v.
func (p *Publisher) calculate(ctx context.Context, schema *commonpb.TabletSchema, rs *metapb.RowsetMeta, v int64) ([]*metapb.DeleteBitmapEntry, error) {
	r := p.cfg.Reader
	snap, err := r.Capture(ctx, rs.GetTabletId(), v)
	if err != nil {
		return nil, err
	}
	for _, old := range snap.Rowsets {
		if old.GetRowsetId() == rs.GetRowsetId() {
			return nil, errCommitted
		}
	}
	deleted, err := r.DeleteBitmaps(ctx, snap)
	if err != nil {
		return nil, err
	}
	var news []Segment
	for seg := range int(rs.GetNumSegments()) {
		k, err := r.SegmentKeys(ctx, schema, rs, seg, nil)
		if err != nil {
			return nil, err
		}
		news = append(news, Segment{Ref: tablet.SegmentRef{RowsetID: rs.GetRowsetId(), Segment: int64(seg)}, Keys: k})
	}
	lo, hi := KeyRange(news)
	if lo == nil {
		return nil, nil
	}
	first := schema.GetColumns()[0]
	ft := types.FromProto(first.GetType())
	mayHold := func(sg *segment.Segment) bool { return MayHold(sg, first.GetUniqueId(), ft, lo, hi) }
	var olds []Segment
	for _, old := range snap.Rowsets {
		for seg := range int(old.GetNumSegments()) {
			k, err := r.SegmentKeys(ctx, schema, old, seg, mayHold)
			if err != nil {
				return nil, err
			}
			olds = append(olds, Segment{Ref: tablet.SegmentRef{RowsetID: old.GetRowsetId(), Segment: int64(seg)}, Keys: k})
		}
	}
	marks := Calculate(olds, news, deleted)
	refs := make([]tablet.SegmentRef, 0, len(marks))
	for ref := range marks {
		refs = append(refs, ref)
	}
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].RowsetID != refs[j].RowsetID {
			return refs[i].RowsetID < refs[j].RowsetID
		}
		return refs[i].Segment < refs[j].Segment
	})
	var out []*metapb.DeleteBitmapEntry
	for _, ref := range refs {
		b, err := tablet.EncodeBitmap(marks[ref])
		if err != nil {
			return nil, fmt.Errorf("encode delete bitmap: %w", err)
		}
		out = append(out, &metapb.DeleteBitmapEntry{RowsetId: ref.RowsetID, Version: v + 1, SegmentId: ref.Segment, Bitmap: b})
	}
	return out, nil
}
