package txn

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/bitmap"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/partition"
	"github.com/doricdb/doric/metaservice/rowset"
	"github.com/doricdb/doric/metaservice/stats"
	"github.com/doricdb/doric/metaservice/tablet"
	"github.com/doricdb/doric/metaservice/version"
)

const (
	// DefaultTimeout is the timeout of a txn begun without one.
	DefaultTimeout = time.Hour
	// DefaultPrecommitTimeout is how long a PRECOMMITTED txn may wait for its commit when the
	// precommit does not say.
	DefaultPrecommitTimeout = time.Hour
	// MaxLabelLen is the longest label accepted, in bytes (Doris's limit).
	MaxLabelLen = 128
	// DefaultCommitBudget is the most bytes one commit writes in one kv transaction; larger
	// commits are lazy (Doris's max_txn_commit_byte, 7 MiB).
	DefaultCommitBudget = 7 << 20
	// DefaultRowsetRetention is how long the files of an orphaned rowset (aborted txn, upload
	// whose commit never came) are kept before the recycler may delete them (72 h).
	DefaultRowsetRetention = 72 * time.Hour
	// DefaultLabelRetention is how long a finished txn (and its label) is kept (Doris: 3 days).
	DefaultLabelRetention = 72 * time.Hour

	idCounter = "txn_id"
	// maxBatchRowsets bounds the rowsets one FinishBatch reads, whatever their size.
	maxBatchRowsets = 4096
)

// ErrExpired is wrapped (with metaerr.ErrFailedPrecondition) by the errors of operations on a
// PREPARED or PRECOMMITTED txn past its deadline.
var ErrExpired = errors.New("txn expired")

// Options tune the state machine. Zero fields take their defaults.
type Options struct {
	CommitBudget    int           // DefaultCommitBudget
	RowsetRetention time.Duration // DefaultRowsetRetention
	LabelRetention  time.Duration // DefaultLabelRetention
}

// WithDefaults returns o with every zero field replaced by its default.
func (o Options) WithDefaults() Options {
	if o.CommitBudget <= 0 {
		o.CommitBudget = DefaultCommitBudget
	}
	if o.RowsetRetention <= 0 {
		o.RowsetRetention = DefaultRowsetRetention
	}
	if o.LabelRetention <= 0 {
		o.LabelRetention = DefaultLabelRetention
	}
	return o
}

// Deadline is the instant (Unix ms) after which a PREPARED or PRECOMMITTED txn has expired.
func Deadline(info *metapb.TxnInfo) int64 {
	if d := info.GetDeadlineMs(); d != 0 {
		return d
	}
	return info.GetPrepareTimeMs() + info.GetTimeoutMs() // stored before deadlines were
}

// Expired reports whether a PREPARED or PRECOMMITTED txn is past its deadline at now.
func Expired(info *metapb.TxnInfo, now time.Time) bool {
	return running(info.GetStatus()) && now.UnixMilli() > Deadline(info)
}

func expiredErr(op string, info *metapb.TxnInfo) error {
	return fmt.Errorf("%s txn %d: %w: deadline %d passed: %w", op, info.GetTxnId(), ErrExpired, Deadline(info), metaerr.ErrFailedPrecondition)
}

// Begin starts a txn described by spec (db_id, label, table_ids, timeout_ms, request_id; other
// fields are ignored). It returns the new PREPARED txn, or the txn that holds the label with
// existed=true (see the package documentation).
func Begin(tx kv.Txn, instanceID string, spec *metapb.TxnInfo, now time.Time, o Options) (*metapb.TxnInfo, bool, error) {
	o = o.WithDefaults()
	db, label := spec.GetDbId(), spec.GetLabel()
	switch {
	case db <= 0:
		return nil, false, fmt.Errorf("begin txn: db id %d: %w", db, metaerr.ErrInvalidArgument)
	case label == "":
		return nil, false, fmt.Errorf("begin txn: label is empty: %w", metaerr.ErrInvalidArgument)
	case len(label) > MaxLabelLen:
		return nil, false, fmt.Errorf("begin txn: label of %d bytes exceeds %d: %w", len(label), MaxLabelLen, metaerr.ErrInvalidArgument)
	case spec.GetTimeoutMs() < 0:
		return nil, false, fmt.Errorf("begin txn: timeout %d ms: %w", spec.GetTimeoutMs(), metaerr.ErrInvalidArgument)
	}
	prev, err := ByLabel(tx, instanceID, db, label)
	switch {
	case err == nil:
		if spec.GetRequestId() != "" && prev.GetRequestId() == spec.GetRequestId() && prev.GetStatus() != metapb.TxnStatus_TXN_ABORTED {
			return prev, false, nil // a replay of the begin that made prev
		}
		switch prev.GetStatus() {
		case metapb.TxnStatus_TXN_PREPARED, metapb.TxnStatus_TXN_PRECOMMITTED:
			if !Expired(prev, now) {
				return prev, true, nil
			}
			if _, err := abort(tx, instanceID, prev, "txn expired", now, o); err != nil {
				return nil, false, err
			}
		case metapb.TxnStatus_TXN_COMMITTED, metapb.TxnStatus_TXN_VISIBLE:
			return prev, true, nil
		case metapb.TxnStatus_TXN_ABORTED:
			// The label is free again.
		default:
			return nil, false, fmt.Errorf("BUG: txn %d of label %q has status %v", prev.GetTxnId(), label, prev.GetStatus())
		}
	case !errors.Is(err, metaerr.ErrNotFound):
		return nil, false, err
	}
	id, err := kv.Increment(tx, keys.Counter(instanceID, idCounter))
	if err != nil {
		return nil, false, err
	}
	timeout := spec.GetTimeoutMs()
	if timeout == 0 {
		timeout = DefaultTimeout.Milliseconds()
	}
	info := &metapb.TxnInfo{
		TxnId:         id,
		DbId:          db,
		Label:         label,
		TableIds:      spec.GetTableIds(),
		Status:        metapb.TxnStatus_TXN_PREPARED,
		PrepareTimeMs: now.UnixMilli(),
		TimeoutMs:     timeout,
		RequestId:     spec.GetRequestId(),
		DeadlineMs:    now.UnixMilli() + timeout,
		Coordinator:   spec.GetCoordinator(),
	}
	for _, w := range []struct {
		key []byte
		val proto.Message
	}{
		{keys.TxnInfo(instanceID, db, id), info},
		{keys.TxnIndex(instanceID, id), &metapb.TxnInfo{TxnId: id, DbId: db}},
		{keys.TxnLabel(instanceID, db, label), &metapb.TxnInfo{TxnId: id, DbId: db, Label: label}},
	} {
		if err := kv.SetProto(tx, w.key, w.val); err != nil {
			return nil, false, err
		}
	}
	if err := putRunning(tx, instanceID, info); err != nil {
		return nil, false, err
	}
	return info, false, nil
}

// putRunning stores the running key of a PREPARED or PRECOMMITTED txn: its ids, tables, times
// and deadline (what the recycler needs to find expired txns).
func putRunning(tx kv.Txn, instanceID string, info *metapb.TxnInfo) error {
	return kv.SetProto(tx, keys.TxnRunning(instanceID, info.GetDbId(), info.GetTxnId()), &metapb.TxnInfo{
		TxnId: info.GetTxnId(), DbId: info.GetDbId(), TableIds: info.GetTableIds(), PrepareTimeMs: info.GetPrepareTimeMs(),
		TimeoutMs: info.GetTimeoutMs(), PrecommitTimeMs: info.GetPrecommitTimeMs(), PrecommitTimeoutMs: info.GetPrecommitTimeoutMs(),
		DeadlineMs: Deadline(info), Coordinator: info.GetCoordinator(),
	})
}

// OfCoordinator returns the ids (db, txn) of the PREPARED txns of the instance whose coordinator
// is nodeID in an incarnation that started before beforeStartMs, at most limit of them.
func OfCoordinator(tx kv.ReadTxn, instanceID, nodeID string, beforeStartMs int64, limit int) ([]*metapb.TxnInfo, error) {
	begin, end := keys.TxnRunningInstanceRange(instanceID)
	var out []*metapb.TxnInfo
	for {
		kvs, err := tx.GetRange(begin, end, 1000, false)
		if err != nil {
			return nil, err
		}
		for _, e := range kvs {
			r := &metapb.TxnInfo{}
			if err := proto.Unmarshal(e.Value, r); err != nil {
				return nil, fmt.Errorf("running txn %x: %w", e.Key, err)
			}
			c := r.GetCoordinator()
			if c.GetNodeId() == nodeID && c.GetStartMs() < beforeStartMs && r.GetPrecommitTimeMs() == 0 {
				out = append(out, r)
				if len(out) >= limit {
					return out, nil
				}
			}
		}
		if len(kvs) < 1000 {
			return out, nil
		}
		begin = append(append([]byte(nil), kvs[len(kvs)-1].Key...), 0)
	}
}

// AbortOfCoordinator aborts txnID if it is still PREPARED (a PRECOMMITTED txn survives its
// coordinator) with reason "coordinator restarted"; it reports whether it aborted it.
func AbortOfCoordinator(tx kv.Txn, instanceID string, dbID, txnID int64, now time.Time, o Options) (bool, error) {
	info, err := Get(tx, instanceID, dbID, txnID)
	if err != nil || info.GetStatus() != metapb.TxnStatus_TXN_PREPARED {
		return false, err
	}
	_, err = abort(tx, instanceID, info, "coordinator restarted", now, o.WithDefaults())
	return err == nil, err
}

// Get returns a txn by id. dbID may be 0 (looked up through the txn index); a txn that does not
// exist, or not in that db, wraps metaerr.ErrNotFound.
func Get(tx kv.ReadTxn, instanceID string, dbID, txnID int64) (*metapb.TxnInfo, error) {
	if txnID <= 0 {
		return nil, fmt.Errorf("txn id %d: %w", txnID, metaerr.ErrInvalidArgument)
	}
	if dbID == 0 {
		idx := &metapb.TxnInfo{}
		ok, err := kv.GetProto(tx, keys.TxnIndex(instanceID, txnID), idx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("txn %d: %w", txnID, metaerr.ErrNotFound)
		}
		dbID = idx.GetDbId()
	}
	info := &metapb.TxnInfo{}
	ok, err := kv.GetProto(tx, keys.TxnInfo(instanceID, dbID, txnID), info)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("txn %d in db %d: %w", txnID, dbID, metaerr.ErrNotFound)
	}
	return info, nil
}

// List returns the txns of a database, newest (highest id) first, at most limit of them.
func List(tx kv.ReadTxn, instanceID string, dbID int64, limit int) ([]*metapb.TxnInfo, error) {
	begin, end := keys.TxnInfoRange(instanceID, dbID)
	kvs, err := tx.GetRange(begin, end, limit, true)
	if err != nil {
		return nil, err
	}
	out := make([]*metapb.TxnInfo, 0, len(kvs))
	for _, e := range kvs {
		info := &metapb.TxnInfo{}
		if err := proto.Unmarshal(e.Value, info); err != nil {
			return nil, fmt.Errorf("txn info %x: %w", e.Key, err)
		}
		out = append(out, info)
	}
	return out, nil
}

// ByLabel returns the latest txn that used label in the db, or an error wrapping
// metaerr.ErrNotFound.
func ByLabel(tx kv.ReadTxn, instanceID string, dbID int64, label string) (*metapb.TxnInfo, error) {
	if dbID <= 0 || label == "" {
		return nil, fmt.Errorf("txn by label needs a db id and a label (got %d, %q): %w", dbID, label, metaerr.ErrInvalidArgument)
	}
	idx := &metapb.TxnInfo{}
	ok, err := kv.GetProto(tx, keys.TxnLabel(instanceID, dbID, label), idx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("label %q in db %d: %w", label, dbID, metaerr.ErrNotFound)
	}
	info, err := Get(tx, instanceID, dbID, idx.GetTxnId())
	if errors.Is(err, metaerr.ErrNotFound) {
		return nil, fmt.Errorf("BUG: label %q in db %d names txn %d, which does not exist", label, dbID, idx.GetTxnId())
	}
	return info, err
}

// Find returns a txn by id (when txnID != 0) or else by label.
func Find(tx kv.ReadTxn, instanceID string, dbID, txnID int64, label string) (*metapb.TxnInfo, error) {
	if txnID != 0 {
		return Get(tx, instanceID, dbID, txnID)
	}
	return ByLabel(tx, instanceID, dbID, label)
}

func put(tx kv.Txn, instanceID string, info *metapb.TxnInfo) error {
	return kv.SetProto(tx, keys.TxnInfo(instanceID, info.GetDbId(), info.GetTxnId()), info)
}

func running(s metapb.TxnStatus) bool {
	return s == metapb.TxnStatus_TXN_PREPARED || s == metapb.TxnStatus_TXN_PRECOMMITTED
}

// checkRowset validates rs for the txn and tablet it names and fills partition, index and vault
// from the tablet. It returns the completed copy and the txn, which is PREPARED and unexpired.
func checkRowset(tx kv.Txn, instanceID string, rs *metapb.RowsetMeta, now time.Time) (*metapb.RowsetMeta, *metapb.TxnInfo, error) {
	if rs.GetRowsetId() == "" || rs.GetTabletId() <= 0 || rs.GetTxnId() <= 0 {
		return nil, nil, fmt.Errorf("rowset needs a rowset id, tablet id and txn id (got %q, %d, %d): %w",
			rs.GetRowsetId(), rs.GetTabletId(), rs.GetTxnId(), metaerr.ErrInvalidArgument)
	}
	t, err := tablet.Get(tx, instanceID, rs.GetTabletId())
	if err != nil {
		return nil, nil, err
	}
	rs, err = rowset.Complete(rs, t)
	if err != nil {
		return nil, nil, err
	}
	info, err := Get(tx, instanceID, 0, rs.GetTxnId())
	if err != nil {
		return nil, nil, err
	}
	if info.GetStatus() != metapb.TxnStatus_TXN_PREPARED {
		return nil, nil, fmt.Errorf("rowset %s: txn %d is %v, not PREPARED: %w",
			rs.GetRowsetId(), rs.GetTxnId(), info.GetStatus(), metaerr.ErrFailedPrecondition)
	}
	if Expired(info, now) {
		return nil, nil, expiredErr("rowset "+rs.GetRowsetId()+" of", info)
	}
	if t.GetDbId() != info.GetDbId() {
		return nil, nil, fmt.Errorf("rowset %s: tablet %d is in db %d, txn %d in db %d: %w",
			rs.GetRowsetId(), t.GetTabletId(), t.GetDbId(), info.GetTxnId(), info.GetDbId(), metaerr.ErrInvalidArgument)
	}
	return rs, info, nil
}

// PrepareRowset records, before its files are uploaded, that the rowset may leave files behind:
// a recycle entry that expires RowsetRetention after the txn's deadline. The txn must be PREPARED
// and must not have committed a rowset to the tablet yet (metaerr.ErrAlreadyExists).
func PrepareRowset(tx kv.Txn, instanceID string, rs *metapb.RowsetMeta, now time.Time, o Options) error {
	o = o.WithDefaults()
	rs, info, err := checkRowset(tx, instanceID, rs, now)
	if err != nil {
		return err
	}
	tmp, err := rowset.TmpOf(tx, instanceID, rs.GetTxnId(), rs.GetTabletId())
	if err != nil {
		return err
	}
	if tmp != nil {
		return fmt.Errorf("prepare rowset %s: txn %d already committed rowset %s to tablet %d: %w",
			rs.GetRowsetId(), rs.GetTxnId(), tmp.GetRowsetId(), rs.GetTabletId(), metaerr.ErrAlreadyExists)
	}
	rs.CreationTimeMs = now.UnixMilli()
	return rowset.MarkForRecycle(tx, instanceID, rs, now, time.UnixMilli(Deadline(info)).Add(o.RowsetRetention))
}

// CommitRowset stores the uploaded rowset as the tmp rowset of its txn on its tablet and removes
// its recycle entry. The txn must be PREPARED. Committing the same rowset again is a no-op; a
// different rowset for the same txn and tablet wraps metaerr.ErrAlreadyExists.
func CommitRowset(tx kv.Txn, instanceID string, rs *metapb.RowsetMeta, now time.Time) error {
	rs, _, err := checkRowset(tx, instanceID, rs, now)
	if err != nil {
		return err
	}
	if rs.CreationTimeMs == 0 {
		rs.CreationTimeMs = now.UnixMilli()
	}
	rs.StartVersion, rs.EndVersion = 0, 0 // assigned by Commit
	return rowset.PutTmp(tx, instanceID, rs)
}

// Precommit moves a PREPARED txn to PRECOMMITTED; its deadline becomes now + timeout
// (DefaultPrecommitTimeout when timeout <= 0). A PRECOMMITTED txn is returned unchanged.
func Precommit(tx kv.Txn, instanceID string, dbID, txnID int64, timeout time.Duration, now time.Time) (*metapb.TxnInfo, error) {
	info, err := Get(tx, instanceID, dbID, txnID)
	if err != nil {
		return nil, err
	}
	switch s := info.GetStatus(); {
	case s == metapb.TxnStatus_TXN_PRECOMMITTED && !Expired(info, now):
		return info, nil
	case !running(s):
		return nil, fmt.Errorf("precommit txn %d: it is %v: %w", txnID, s, metaerr.ErrFailedPrecondition)
	case Expired(info, now):
		return nil, expiredErr("precommit", info)
	}
	if timeout <= 0 {
		timeout = DefaultPrecommitTimeout
	}
	info.Status = metapb.TxnStatus_TXN_PRECOMMITTED
	info.PrecommitTimeMs = now.UnixMilli()
	info.PrecommitTimeoutMs = timeout.Milliseconds()
	info.DeadlineMs = now.Add(timeout).UnixMilli()
	if err := put(tx, instanceID, info); err != nil {
		return nil, err
	}
	return info, putRunning(tx, instanceID, info)
}

// CommitSpec names the txn to commit and the merge-on-write tables whose locks it must hold.
type CommitSpec struct {
	DBID, TxnID int64 // DBID may be 0
	MowTableIDs []int64
}

// pkey identifies a partition within the txn's db.
type pkey struct{ table, partition int64 }

// item is a tmp rowset of the txn with the ids of its tablet.
type item struct {
	rs  *metapb.RowsetMeta
	ids *metapb.TabletMeta
}

// cost is what making it visible writes: the visible key and value, the tmp key's clear and the
// statistics counters.
func (it item) cost(instanceID string) int {
	return len(keys.Rowset(instanceID, it.rs.GetTabletId(), it.rs.GetEndVersion())) + proto.Size(it.rs) +
		len(keys.RowsetTmp(instanceID, it.rs.GetTxnId(), it.rs.GetTabletId())) + stats.AddCost(instanceID, it.ids)
}

// publish makes a tmp rowset visible at its (already set) version: visible key, tmp key cleared,
// statistics added.
func (it item) publish(tx kv.Txn, instanceID string) error {
	if err := rowset.PutVisible(tx, instanceID, it.rs); err != nil {
		return err
	}
	if err := tx.Clear(keys.RowsetTmp(instanceID, it.rs.GetTxnId(), it.rs.GetTabletId())); err != nil {
		return err
	}
	return stats.Add(tx, instanceID, it.ids, stats.Of(it.rs))
}

func resolve(tx kv.ReadTxn, instanceID string, info *metapb.TxnInfo, rs *metapb.RowsetMeta) (item, error) {
	ids, err := tablet.Index(tx, instanceID, rs.GetTabletId())
	if err != nil {
		return item{}, fmt.Errorf("commit txn %d: %w", info.GetTxnId(), err)
	}
	if ids.GetDbId() != info.GetDbId() {
		return item{}, fmt.Errorf("commit txn %d of db %d: tablet %d is in db %d: %w",
			info.GetTxnId(), info.GetDbId(), ids.GetTabletId(), ids.GetDbId(), metaerr.ErrFailedPrecondition)
	}
	return item{rs: rs, ids: ids}, nil
}

// Commit commits a PREPARED or PRECOMMITTED txn: at once (VISIBLE) when it fits the commit
// budget, else by reserving its versions (COMMITTED, the commit point of a lazy commit; the
// caller runs FinishLazy). It returns the txn with the versions of the partitions it touched
// (TxnInfo.versions, in table and partition order). A VISIBLE or COMMITTED txn is returned
// unchanged; an expired one fails with ErrExpired.
func Commit(tx kv.Txn, instanceID string, spec CommitSpec, now time.Time, o Options) (*metapb.TxnInfo, error) {
	o = o.WithDefaults()
	info, err := Get(tx, instanceID, spec.DBID, spec.TxnID)
	if err != nil {
		return nil, err
	}
	switch s := info.GetStatus(); {
	case s == metapb.TxnStatus_TXN_VISIBLE, s == metapb.TxnStatus_TXN_COMMITTED:
		return info, nil
	case !running(s):
		return nil, fmt.Errorf("commit txn %d: it is %v: %w", spec.TxnID, s, metaerr.ErrFailedPrecondition)
	case Expired(info, now):
		return nil, expiredErr("commit", info)
	}
	tmps, err := rowset.Tmp(tx, instanceID, info.GetTxnId())
	if err != nil {
		return nil, err
	}
	items := make([]item, 0, len(tmps))
	versions := map[pkey]*metapb.PartitionVersion{}
	indexes := map[int64]bool{}
	for _, rs := range tmps {
		it, err := resolve(tx, instanceID, info, rs)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
		indexes[it.ids.GetIndexId()] = true
		pk := pkey{it.ids.GetTableId(), it.ids.GetPartitionId()}
		if _, ok := versions[pk]; ok {
			continue
		}
		pv, err := version.Partition(tx, instanceID, info.GetDbId(), pk.table, pk.partition)
		if err != nil {
			return nil, err
		}
		pv.Version++
		versions[pk] = pv
	}
	if err := checkLive(tx, instanceID, info, versions, indexes); err != nil {
		return nil, err
	}
	mow, err := checkLocks(tx, instanceID, info, spec.MowTableIDs, versions, now)
	if err != nil {
		return nil, err
	}
	budget := 0
	for _, it := range items {
		pv := versions[pkey{it.ids.GetTableId(), it.ids.GetPartitionId()}]
		it.rs.StartVersion, it.rs.EndVersion = pv.Version, pv.Version
		budget += it.cost(instanceID)
	}
	lazy := budget > o.CommitBudget
	out := make([]*metapb.PartitionVersion, 0, len(versions))
	tables := map[int64]bool{}
	for pk, pv := range versions {
		if lazy {
			pv.PendingTxnIds = append(pv.PendingTxnIds, info.GetTxnId())
		}
		if err := version.Set(tx, instanceID, pv); err != nil {
			return nil, err
		}
		out = append(out, &metapb.PartitionVersion{DbId: pv.DbId, TableId: pv.TableId, PartitionId: pv.PartitionId, Version: pv.Version})
		tables[pk.table] = true
	}
	slices.SortFunc(out, func(a, b *metapb.PartitionVersion) int {
		return cmp.Or(cmp.Compare(a.TableId, b.TableId), cmp.Compare(a.PartitionId, b.PartitionId))
	})
	for table := range tables {
		if err := version.BumpTable(tx, instanceID, info.GetDbId(), table); err != nil {
			return nil, err
		}
	}
	for _, it := range items {
		if mow[it.ids.GetTableId()] {
			if err := bitmap.Forget(tx, instanceID, it.ids.GetTabletId(), info.GetTxnId()); err != nil {
				return nil, err
			}
		}
	}
	info.CommitTimeMs = now.UnixMilli()
	info.Versions = out
	if err := tx.Clear(keys.TxnRunning(instanceID, info.GetDbId(), info.GetTxnId())); err != nil {
		return nil, err
	}
	if lazy {
		info.Status = metapb.TxnStatus_TXN_COMMITTED
		return info, put(tx, instanceID, info)
	}
	for _, it := range items {
		if err := it.publish(tx, instanceID); err != nil {
			return nil, err
		}
	}
	return info, finish(tx, instanceID, info, now, o)
}

// finish marks a txn whose rowsets are all visible VISIBLE and writes its recycle-txn entry.
func finish(tx kv.Txn, instanceID string, info *metapb.TxnInfo, now time.Time, o Options) error {
	info.Status = metapb.TxnStatus_TXN_VISIBLE
	if err := put(tx, instanceID, info); err != nil {
		return err
	}
	return recycleTxn(tx, instanceID, info, now, o)
}

func recycleTxn(tx kv.Txn, instanceID string, info *metapb.TxnInfo, now time.Time, o Options) error {
	return kv.SetProto(tx, keys.RecycleTxn(instanceID, info.GetDbId(), info.GetTxnId()), &metapb.RecycleTxn{
		DbId: info.GetDbId(), TxnId: info.GetTxnId(), Label: info.GetLabel(), Status: info.GetStatus(),
		CreationTimeMs: now.UnixMilli(), ExpirationMs: now.Add(o.LabelRetention).UnixMilli(),
	})
}

// checkLive refuses a commit into a dropped partition or index.
func checkLive(tx kv.ReadTxn, instanceID string, info *metapb.TxnInfo, versions map[pkey]*metapb.PartitionVersion, indexes map[int64]bool) error {
	for pk := range versions {
		gone, err := partition.PartitionDropped(tx, instanceID, pk.partition)
		if err != nil {
			return err
		}
		if gone {
			return fmt.Errorf("commit txn %d: partition %d of table %d is dropped: %w", info.GetTxnId(), pk.partition, pk.table, metaerr.ErrFailedPrecondition)
		}
	}
	for idx := range indexes {
		gone, err := partition.IndexDropped(tx, instanceID, idx)
		if err != nil {
			return err
		}
		if gone {
			return fmt.Errorf("commit txn %d: index %d is dropped: %w", info.GetTxnId(), idx, metaerr.ErrFailedPrecondition)
		}
	}
	return nil
}

// checkLocks checks that the txn holds the delete-bitmap lock of every partition it touches in
// the merge-on-write tables, and releases them. It returns those tables.
func checkLocks(tx kv.Txn, instanceID string, info *metapb.TxnInfo, mowTables []int64, versions map[pkey]*metapb.PartitionVersion, now time.Time) (map[int64]bool, error) {
	mow := map[int64]bool{}
	for _, t := range mowTables {
		mow[t] = true
	}
	for pk := range versions {
		if !mow[pk.table] {
			continue
		}
		if err := bitmap.CheckHeld(tx, instanceID, pk.table, pk.partition, info.GetTxnId(), now); err != nil {
			return nil, fmt.Errorf("commit txn %d: %w", info.GetTxnId(), err)
		}
		if err := bitmap.Release(tx, instanceID, pk.table, pk.partition); err != nil {
			return nil, err
		}
	}
	return mow, nil
}

// FinishBatch runs one batch of a lazy commit (see the package documentation) and returns the
// txn, VISIBLE after the last batch. A VISIBLE txn is returned unchanged.
func FinishBatch(tx kv.Txn, instanceID string, dbID, txnID int64, now time.Time, o Options) (*metapb.TxnInfo, error) {
	o = o.WithDefaults()
	info, err := Get(tx, instanceID, dbID, txnID)
	if err != nil {
		return nil, err
	}
	switch info.GetStatus() {
	case metapb.TxnStatus_TXN_VISIBLE:
		return info, nil
	case metapb.TxnStatus_TXN_COMMITTED:
	default:
		return nil, fmt.Errorf("BUG: finishing the lazy commit of txn %d, which is %v", txnID, info.GetStatus())
	}
	reserved := map[pkey]int64{}
	for _, pv := range info.GetVersions() {
		reserved[pkey{pv.GetTableId(), pv.GetPartitionId()}] = pv.GetVersion()
	}
	begin, end := keys.RowsetTmpRange(instanceID, txnID)
	kvs, err := tx.GetRange(begin, end, maxBatchRowsets, false)
	if err != nil {
		return nil, err
	}
	used := 0
	for i, e := range kvs {
		rs := &metapb.RowsetMeta{}
		if err := proto.Unmarshal(e.Value, rs); err != nil {
			return nil, fmt.Errorf("tmp rowset at %s: %w", keys.Pretty(e.Key), err)
		}
		it, err := resolve(tx, instanceID, info, rs)
		if errors.Is(err, metaerr.ErrNotFound) {
			// The tablet is gone (its partition was dropped and recycled while this commit
			// waited): its files go to the recycler instead.
			if err := rowset.MarkForRecycle(tx, instanceID, rs, now, now.Add(o.RowsetRetention)); err != nil {
				return nil, err
			}
			if err := tx.Clear(e.Key); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		v, ok := reserved[pkey{it.ids.GetTableId(), it.ids.GetPartitionId()}]
		if !ok {
			return nil, fmt.Errorf("BUG: txn %d has a tmp rowset %s in partition %d, for which it reserved no version",
				txnID, rs.GetRowsetId(), it.ids.GetPartitionId())
		}
		rs.StartVersion, rs.EndVersion = v, v
		c := it.cost(instanceID)
		if i > 0 && used+c > o.CommitBudget {
			return info, nil // the next batch goes on from here
		}
		used += c
		if err := it.publish(tx, instanceID); err != nil {
			return nil, err
		}
	}
	if len(kvs) == maxBatchRowsets {
		return info, nil
	}
	for _, pv := range info.GetVersions() {
		stored, err := version.Partition(tx, instanceID, info.GetDbId(), pv.GetTableId(), pv.GetPartitionId())
		if err != nil {
			return nil, err
		}
		stored.PendingTxnIds = slices.DeleteFunc(stored.PendingTxnIds, func(id int64) bool { return id == txnID })
		if err := version.Set(tx, instanceID, stored); err != nil {
			return nil, err
		}
	}
	return info, finish(tx, instanceID, info, now, o)
}

// FinishLazy completes the lazy commit of a COMMITTED txn with FinishBatch transactions until it
// is VISIBLE, and returns it. It is safe to run any number of times, concurrently.
func FinishLazy(ctx context.Context, db kv.DB, instanceID string, dbID, txnID int64, now func() time.Time, o Options) (*metapb.TxnInfo, error) {
	for {
		var info *metapb.TxnInfo
		if err := db.Update(ctx, func(tx kv.Txn) error {
			var err error
			info, err = FinishBatch(tx, instanceID, dbID, txnID, now(), o)
			return err
		}); err != nil {
			return nil, fmt.Errorf("finish lazy commit of txn %d: %w", txnID, err)
		}
		if info.GetStatus() == metapb.TxnStatus_TXN_VISIBLE {
			return info, nil
		}
	}
}

// Abort aborts a PREPARED or PRECOMMITTED txn found by id (txnID != 0) or label: its tmp rowsets
// become recycle entries that expire after RowsetRetention, the txn becomes ABORTED with reason and
// gets its recycle-txn entry. Aborting an ABORTED txn returns it unchanged.
func Abort(tx kv.Txn, instanceID string, dbID, txnID int64, label, reason string, now time.Time, o Options) (*metapb.TxnInfo, error) {
	info, err := Find(tx, instanceID, dbID, txnID, label)
	if err != nil {
		return nil, err
	}
	switch s := info.GetStatus(); {
	case s == metapb.TxnStatus_TXN_ABORTED:
		return info, nil
	case !running(s):
		return nil, fmt.Errorf("abort txn %d: it is %v: %w", info.GetTxnId(), s, metaerr.ErrFailedPrecondition)
	}
	return abort(tx, instanceID, info, reason, now, o.WithDefaults())
}

// AbortExpired aborts the txn if it is PREPARED or PRECOMMITTED and past its deadline, and
// returns it (unchanged otherwise).
func AbortExpired(tx kv.Txn, instanceID string, dbID, txnID int64, now time.Time, o Options) (*metapb.TxnInfo, error) {
	info, err := Get(tx, instanceID, dbID, txnID)
	if err != nil || !Expired(info, now) {
		return info, err
	}
	return abort(tx, instanceID, info, ErrExpired.Error(), now, o.WithDefaults())
}

func abort(tx kv.Txn, instanceID string, info *metapb.TxnInfo, reason string, now time.Time, o Options) (*metapb.TxnInfo, error) {
	tmps, err := rowset.Tmp(tx, instanceID, info.GetTxnId())
	if err != nil {
		return nil, err
	}
	for _, rs := range tmps {
		if err := rowset.MarkForRecycle(tx, instanceID, rs, now, now.Add(o.RowsetRetention)); err != nil {
			return nil, err
		}
	}
	if err := rowset.ClearTmp(tx, instanceID, info.GetTxnId()); err != nil {
		return nil, err
	}
	info.Status = metapb.TxnStatus_TXN_ABORTED
	info.Reason = reason
	if err := put(tx, instanceID, info); err != nil {
		return nil, err
	}
	if err := tx.Clear(keys.TxnRunning(instanceID, info.GetDbId(), info.GetTxnId())); err != nil {
		return nil, err
	}
	return info, recycleTxn(tx, instanceID, info, now, o)
}
