package job

import (
	"fmt"
	"slices"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/bitmap"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/rowset"
	"github.com/doricdb/doric/metaservice/stats"
	"github.com/doricdb/doric/metaservice/tablet"
	"github.com/doricdb/doric/metaservice/version"
)

const (
	// DefaultLease is the lease of a job that asks for none.
	DefaultLease = time.Minute
	// DefaultCompactedRetention is how long the inputs of a compaction are kept (Doris: 30 min).
	DefaultCompactedRetention = 30 * time.Minute
	// DefaultRowsetRetention is how long an unfinished output's files are kept after its lease.
	DefaultRowsetRetention = 72 * time.Hour
)

// Options tune the leases. Zero fields take their defaults.
type Options struct {
	DefaultLease       time.Duration
	CompactedRetention time.Duration
	RowsetRetention    time.Duration
}

func (o Options) withDefaults() Options {
	if o.DefaultLease <= 0 {
		o.DefaultLease = DefaultLease
	}
	if o.CompactedRetention <= 0 {
		o.CompactedRetention = DefaultCompactedRetention
	}
	if o.RowsetRetention <= 0 {
		o.RowsetRetention = DefaultRowsetRetention
	}
	return o
}

func jobKey(inst string, t *metapb.TabletMeta) []byte {
	return keys.JobTablet(inst, t.GetTableId(), t.GetIndexId(), t.GetPartitionId(), t.GetTabletId())
}

// Get returns the tablet's job record (nil when it has none) and the tablet's ids.
func Get(tx kv.ReadTxn, inst string, tabletID int64) (*metapb.TabletJob, *metapb.TabletMeta, error) {
	ids, err := tablet.Index(tx, inst, tabletID)
	if err != nil {
		return nil, nil, err
	}
	j := &metapb.TabletJob{}
	ok, err := kv.GetProto(tx, jobKey(inst, ids), j)
	if err != nil || !ok {
		return nil, ids, err
	}
	return j, ids, nil
}

func lease(ms int64, o Options) time.Duration {
	if ms <= 0 {
		return o.DefaultLease
	}
	return time.Duration(ms) * time.Millisecond
}

// Start takes the tablet's compaction lease for j (see the package documentation). It returns
// the stored job and the tablet's statistics.
func Start(tx kv.Txn, inst string, tabletID int64, j *metapb.CompactionJob, now time.Time, o Options) (*metapb.CompactionJob, *metapb.TabletStats, error) {
	o = o.withDefaults()
	if j.GetId() == "" || j.GetStartVersion() < 0 || j.GetEndVersion() < j.GetStartVersion() || j.GetLeaseMs() < 0 {
		return nil, nil, fmt.Errorf("start compaction of tablet %d: job id and a version range are required (got %q, [%d, %d]): %w",
			tabletID, j.GetId(), j.GetStartVersion(), j.GetEndVersion(), metaerr.ErrInvalidArgument)
	}
	cur, ids, err := Get(tx, inst, tabletID)
	if err != nil {
		return nil, nil, err
	}
	if c := cur.GetCompaction(); c != nil && c.GetId() != j.GetId() && c.GetExpirationMs() >= now.UnixMilli() {
		return nil, nil, fmt.Errorf("tablet %d is being compacted by job %s of %s until %d: %w",
			tabletID, c.GetId(), c.GetInitiator(), c.GetExpirationMs(), metaerr.ErrBusy)
	}
	if _, err := inputs(tx, inst, tabletID, j); err != nil {
		return nil, nil, err
	}
	stored := &metapb.CompactionJob{
		Id: j.GetId(), Initiator: j.GetInitiator(), Type: j.GetType(), StartVersion: j.GetStartVersion(), EndVersion: j.GetEndVersion(),
		InputRowsetIds: j.GetInputRowsetIds(), LeaseMs: j.GetLeaseMs(), CtimeMs: now.UnixMilli(),
		ExpirationMs: now.Add(lease(j.GetLeaseMs(), o)).UnixMilli(),
	}
	if c := cur.GetCompaction(); c != nil && c.GetId() == j.GetId() {
		stored.CtimeMs = c.GetCtimeMs()
	}
	if err := kv.SetProto(tx, jobKey(inst, ids), &metapb.TabletJob{
		TabletId: tabletID, TableId: ids.GetTableId(), IndexId: ids.GetIndexId(), PartitionId: ids.GetPartitionId(), Compaction: stored,
	}); err != nil {
		return nil, nil, err
	}
	st, err := stats.Get(tx, inst, ids)
	return stored, st, err
}

// inputs returns the visible rowsets the job replaces, checked against its range and ids.
func inputs(tx kv.ReadTxn, inst string, tabletID int64, j *metapb.CompactionJob) ([]*metapb.RowsetMeta, error) {
	start, end := j.GetStartVersion(), j.GetEndVersion()
	in, err := rowset.Visible(tx, inst, tabletID, start, end)
	if err != nil {
		return nil, err
	}
	stale := func(why string, args ...any) error {
		return fmt.Errorf("compaction %s of tablet %d over [%d, %d]: %s: %w", j.GetId(), tabletID, start, end, fmt.Sprintf(why, args...), metaerr.ErrFailedPrecondition)
	}
	switch {
	case len(in) == 0:
		return nil, stale("no visible rowsets in the range")
	case in[0].GetStartVersion() != start:
		return nil, stale("the first input covers [%d, %d]", in[0].GetStartVersion(), in[0].GetEndVersion())
	case in[len(in)-1].GetEndVersion() != end:
		return nil, stale("the last input ends at %d", in[len(in)-1].GetEndVersion())
	}
	for i := 1; i < len(in); i++ {
		if in[i].GetStartVersion() <= in[i-1].GetEndVersion() {
			return nil, fmt.Errorf("BUG: tablet %d has overlapping rowsets [%d, %d] and [%d, %d]", tabletID,
				in[i-1].GetStartVersion(), in[i-1].GetEndVersion(), in[i].GetStartVersion(), in[i].GetEndVersion())
		}
	}
	next, err := rowset.After(tx, inst, tabletID, end)
	if err != nil {
		return nil, err
	}
	if next != nil && next.GetStartVersion() <= end {
		return nil, stale("rowset %s [%d, %d] overlaps the range", next.GetRowsetId(), next.GetStartVersion(), next.GetEndVersion())
	}
	if want := j.GetInputRowsetIds(); len(want) > 0 {
		got := make([]string, len(in))
		for i, rs := range in {
			got[i] = rs.GetRowsetId()
		}
		if !slices.Equal(got, want) {
			return nil, stale("visible rowsets %v, the job read %v", got, want)
		}
	}
	return in, nil
}

// holder returns the tablet's job if jobID holds a live lease on it at now.
func holder(tx kv.ReadTxn, inst string, tabletID int64, jobID string, now time.Time) (*metapb.TabletJob, *metapb.TabletMeta, error) {
	cur, ids, err := Get(tx, inst, tabletID)
	if err != nil {
		return nil, nil, err
	}
	c := cur.GetCompaction()
	switch {
	case c == nil || c.GetId() != jobID:
		return nil, nil, fmt.Errorf("compaction %s of tablet %d does not hold the lease (taken over or finished): %w", jobID, tabletID, metaerr.ErrFailedPrecondition)
	case c.GetExpirationMs() < now.UnixMilli():
		return nil, nil, fmt.Errorf("compaction %s of tablet %d: lease expired at %d: %w", jobID, tabletID, c.GetExpirationMs(), metaerr.ErrFailedPrecondition)
	}
	return cur, ids, nil
}

// Lease renews the lease of the live holder jobID for leaseMs (the job's lease when 0).
func Lease(tx kv.Txn, inst string, tabletID int64, jobID string, leaseMs int64, now time.Time, o Options) (*metapb.CompactionJob, error) {
	o = o.withDefaults()
	cur, ids, err := holder(tx, inst, tabletID, jobID, now)
	if err != nil {
		return nil, err
	}
	if leaseMs <= 0 {
		leaseMs = cur.GetCompaction().GetLeaseMs()
	}
	cur.Compaction.ExpirationMs = now.Add(lease(leaseMs, o)).UnixMilli()
	return cur.GetCompaction(), kv.SetProto(tx, jobKey(inst, ids), cur)
}

// PrepareOutput writes the upload marker of a compaction output rs for the live holder jobID.
func PrepareOutput(tx kv.Txn, inst string, rs *metapb.RowsetMeta, jobID string, now time.Time, o Options) error {
	o = o.withDefaults()
	if rs.GetRowsetId() == "" || rs.GetTabletId() <= 0 {
		return fmt.Errorf("compaction output needs a rowset id and tablet id (got %q, %d): %w", rs.GetRowsetId(), rs.GetTabletId(), metaerr.ErrInvalidArgument)
	}
	cur, _, err := holder(tx, inst, rs.GetTabletId(), jobID, now)
	if err != nil {
		return err
	}
	t, err := tablet.Get(tx, inst, rs.GetTabletId())
	if err != nil {
		return err
	}
	rs, err = rowset.Complete(rs, t)
	if err != nil {
		return err
	}
	rs.CreationTimeMs = now.UnixMilli()
	return rowset.MarkForRecycle(tx, inst, rs, now, time.UnixMilli(cur.GetCompaction().GetExpirationMs()).Add(o.RowsetRetention))
}

// Commit swaps the job's inputs for the output (see the package documentation) and returns the
// tablet's statistics after it. lockID is the delete-bitmap lock the compactor holds (0: none),
// required for merge-on-write tablets.
func Commit(tx kv.Txn, inst string, tabletID int64, jobID string, out *metapb.RowsetMeta, cumulativePoint int64, lockID int64, now time.Time, o Options) (*metapb.TabletStats, error) {
	o = o.withDefaults()
	cur, ids, err := holder(tx, inst, tabletID, jobID, now)
	if err != nil {
		// A replay of a commit that applied finds its output visible in place of the inputs.
		if done, derr := committed(tx, inst, tabletID, out); derr != nil || done {
			if derr != nil {
				return nil, derr
			}
			t, gerr := tablet.Index(tx, inst, tabletID)
			if gerr != nil {
				return nil, gerr
			}
			return stats.Get(tx, inst, t)
		}
		return nil, err
	}
	j := cur.GetCompaction()
	pv, err := version.Partition(tx, inst, ids.GetDbId(), ids.GetTableId(), ids.GetPartitionId())
	if err != nil {
		return nil, err
	}
	if len(pv.GetPendingTxnIds()) > 0 {
		return nil, fmt.Errorf("compaction %s of tablet %d: partition %d has lazy commits %v in progress: %w",
			jobID, tabletID, ids.GetPartitionId(), pv.GetPendingTxnIds(), metaerr.ErrBusy)
	}
	if out.GetRowsetId() == "" || (out.GetTabletId() != 0 && out.GetTabletId() != tabletID) ||
		out.GetStartVersion() != j.GetStartVersion() || out.GetEndVersion() != j.GetEndVersion() {
		return nil, fmt.Errorf("compaction %s of tablet %d over [%d, %d]: output rowset %q of tablet %d covers [%d, %d]: %w",
			jobID, tabletID, j.GetStartVersion(), j.GetEndVersion(), out.GetRowsetId(), out.GetTabletId(),
			out.GetStartVersion(), out.GetEndVersion(), metaerr.ErrInvalidArgument)
	}
	in, err := inputs(tx, inst, tabletID, j)
	if err != nil {
		return nil, err
	}
	t, err := tablet.Get(tx, inst, tabletID)
	if err != nil {
		return nil, err
	}
	if err := checkLock(tx, inst, t, jobID, lockID, now); err != nil {
		return nil, err
	}
	if out, err = rowset.Complete(out, t); err != nil {
		return nil, err
	}
	out.TabletId = tabletID
	if out.CreationTimeMs == 0 {
		out.CreationTimeMs = now.UnixMilli()
	}
	delta := stats.Of(out)
	for _, rs := range in {
		if rs.GetRowsetId() == out.GetRowsetId() {
			return nil, fmt.Errorf("compaction %s of tablet %d: output rowset %s is one of its inputs: %w", jobID, tabletID, out.GetRowsetId(), metaerr.ErrInvalidArgument)
		}
		if err := rowset.MarkForRecycle(tx, inst, rs, now, now.Add(o.CompactedRetention)); err != nil {
			return nil, err
		}
		delta = delta.Minus(stats.Of(rs))
	}
	if err := rowset.ClearVisible(tx, inst, tabletID, j.GetStartVersion(), j.GetEndVersion()); err != nil {
		return nil, err
	}
	if err := rowset.PutVisible(tx, inst, out); err != nil {
		return nil, err
	}
	if err := rowset.Unmark(tx, inst, tabletID, out.GetRowsetId()); err != nil {
		return nil, err
	}
	if err := stats.Add(tx, inst, ids, delta); err != nil {
		return nil, err
	}
	base, err := stats.Base(tx, inst, ids)
	if err != nil {
		return nil, err
	}
	ms := now.UnixMilli()
	switch j.GetType() {
	case metapb.CompactionType_COMPACTION_BASE:
		base.BaseCompactionCnt++
		base.LastBaseCompactionTimeMs = ms
	case metapb.CompactionType_COMPACTION_FULL:
		base.FullCompactionCnt++
		base.LastFullCompactionTimeMs = ms
	default:
		base.CumulativeCompactionCnt++
		base.LastCumuCompactionTimeMs = ms
	}
	base.CumulativePoint = max(base.CumulativePoint, cumulativePoint)
	if err := stats.PutBase(tx, inst, base); err != nil {
		return nil, err
	}
	if err := tx.Clear(jobKey(inst, ids)); err != nil {
		return nil, err
	}
	return stats.Get(tx, inst, ids)
}

// checkLock checks the delete-bitmap lock a commit names: a merge-on-write tablet's compaction
// must hold its partition's lock (a negative lock id), live, so that no load's publish computed
// bitmaps against the inputs it replaces without the compactor carrying them over.
func checkLock(tx kv.ReadTxn, inst string, t *metapb.TabletMeta, jobID string, lockID int64, now time.Time) error {
	s := t.GetSchema()
	mow := s.GetKeysType() == commonpb.KeysType_UNIQUE_KEYS && s.GetEnableUniqueKeyMergeOnWrite()
	switch {
	case lockID > 0:
		return fmt.Errorf("compaction %s of tablet %d: delete bitmap lock id %d is not a compaction's (negative): %w",
			jobID, t.GetTabletId(), lockID, metaerr.ErrInvalidArgument)
	case lockID == 0 && mow:
		return fmt.Errorf("compaction %s of merge-on-write tablet %d: the commit names no delete bitmap lock: %w",
			jobID, t.GetTabletId(), metaerr.ErrFailedPrecondition)
	case lockID == 0:
		return nil
	}
	if err := bitmap.CheckHeld(tx, inst, t.GetTableId(), t.GetPartitionId(), lockID, now); err != nil {
		return fmt.Errorf("compaction %s of tablet %d: %w", jobID, t.GetTabletId(), err)
	}
	return nil
}

// committed reports whether out is visible as the rowset ending at its end version with its
// start version (rowset ids are unique, so only the commit of its job put it there).
func committed(tx kv.ReadTxn, inst string, tabletID int64, out *metapb.RowsetMeta) (bool, error) {
	if out.GetRowsetId() == "" {
		return false, nil
	}
	vis, err := rowset.Visible(tx, inst, tabletID, out.GetEndVersion(), out.GetEndVersion())
	if err != nil {
		return false, err
	}
	return len(vis) == 1 && vis[0].GetRowsetId() == out.GetRowsetId() && vis[0].GetStartVersion() == out.GetStartVersion(), nil
}

// Abort drops the lease of jobID (a no-op when it does not hold it) and gives the output, when
// given, a recycle entry that expires at now.
func Abort(tx kv.Txn, inst string, tabletID int64, jobID string, out *metapb.RowsetMeta, now time.Time) error {
	cur, ids, err := Get(tx, inst, tabletID)
	if err != nil {
		return err
	}
	if cur.GetCompaction().GetId() == jobID {
		if err := tx.Clear(jobKey(inst, ids)); err != nil {
			return err
		}
	}
	if out.GetRowsetId() == "" {
		return nil
	}
	if out.GetTabletId() != 0 && out.GetTabletId() != tabletID {
		return fmt.Errorf("abort compaction %s of tablet %d: output rowset %s names tablet %d: %w", jobID, tabletID, out.GetRowsetId(), out.GetTabletId(), metaerr.ErrInvalidArgument)
	}
	// An output that is visible already (a commit that applied, then an abort) is not garbage.
	if done, err := committed(tx, inst, tabletID, out); err != nil || done {
		return err
	}
	t, err := tablet.Get(tx, inst, tabletID)
	if err != nil {
		return err
	}
	if out, err = rowset.Complete(out, t); err != nil {
		return err
	}
	out.TabletId = tabletID
	return rowset.MarkForRecycle(tx, inst, out, now, now)
}
