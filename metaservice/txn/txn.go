package txn

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/rowset"
	"github.com/doricdb/doric/metaservice/tablet"
	"github.com/doricdb/doric/metaservice/version"
)

const (
	// DefaultTimeout is the timeout of a txn begun without one.
	DefaultTimeout = time.Hour
	// MaxLabelLen is the longest label accepted, in bytes (Doris's limit).
	MaxLabelLen = 128

	idCounter = "txn_id"
)

// Begin starts a txn described by spec (db_id, label, table_ids, timeout_ms; other fields are
// ignored). It returns the new PREPARED txn, or the txn that holds the label with existed=true.
func Begin(tx kv.Txn, instanceID string, spec *metapb.TxnInfo, now time.Time) (*metapb.TxnInfo, bool, error) {
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
		switch prev.GetStatus() {
		case metapb.TxnStatus_TXN_PREPARED, metapb.TxnStatus_TXN_PRECOMMITTED,
			metapb.TxnStatus_TXN_COMMITTED, metapb.TxnStatus_TXN_VISIBLE:
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
	}
	for _, w := range []struct {
		key []byte
		val proto.Message
	}{
		{keys.TxnInfo(instanceID, db, id), info},
		{keys.TxnIndex(instanceID, id), &metapb.TxnInfo{TxnId: id, DbId: db}},
		{keys.TxnLabel(instanceID, db, label), &metapb.TxnInfo{TxnId: id, DbId: db, Label: label}},
		{keys.TxnRunning(instanceID, db, id), &metapb.TxnInfo{
			TxnId: id, DbId: db, TableIds: info.TableIds, PrepareTimeMs: info.PrepareTimeMs, TimeoutMs: timeout,
		}},
	} {
		if err := kv.SetProto(tx, w.key, w.val); err != nil {
			return nil, false, err
		}
	}
	return info, false, nil
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
// from the tablet. It returns the completed copy and the txn, which is PREPARED.
func checkRowset(tx kv.Txn, instanceID string, rs *metapb.RowsetMeta) (*metapb.RowsetMeta, *metapb.TxnInfo, error) {
	if rs.GetRowsetId() == "" || rs.GetTabletId() <= 0 || rs.GetTxnId() <= 0 {
		return nil, nil, fmt.Errorf("rowset needs a rowset id, tablet id and txn id (got %q, %d, %d): %w",
			rs.GetRowsetId(), rs.GetTabletId(), rs.GetTxnId(), metaerr.ErrInvalidArgument)
	}
	t, err := tablet.Get(tx, instanceID, rs.GetTabletId())
	if err != nil {
		return nil, nil, err
	}
	rs = proto.Clone(rs).(*metapb.RowsetMeta)
	for _, f := range []struct {
		name  string
		field *int64
		want  int64
	}{
		{"partition", &rs.PartitionId, t.GetPartitionId()},
		{"index", &rs.IndexId, t.GetIndexId()},
	} {
		switch *f.field {
		case 0:
			*f.field = f.want
		case f.want:
		default:
			return nil, nil, fmt.Errorf("rowset %s names %s %d, tablet %d is in %d: %w",
				rs.GetRowsetId(), f.name, *f.field, t.GetTabletId(), f.want, metaerr.ErrInvalidArgument)
		}
	}
	if rs.VaultId == "" {
		rs.VaultId = t.GetVaultId()
	}
	info, err := Get(tx, instanceID, 0, rs.GetTxnId())
	if err != nil {
		return nil, nil, err
	}
	if !running(info.GetStatus()) {
		return nil, nil, fmt.Errorf("rowset %s: txn %d is %v, not PREPARED: %w",
			rs.GetRowsetId(), rs.GetTxnId(), info.GetStatus(), metaerr.ErrFailedPrecondition)
	}
	if t.GetDbId() != info.GetDbId() {
		return nil, nil, fmt.Errorf("rowset %s: tablet %d is in db %d, txn %d in db %d: %w",
			rs.GetRowsetId(), t.GetTabletId(), t.GetDbId(), info.GetTxnId(), info.GetDbId(), metaerr.ErrInvalidArgument)
	}
	return rs, info, nil
}

// PrepareRowset records, before its files are uploaded, that the rowset may leave files behind:
// a recycle entry that expires retention after the txn's deadline. The txn must be PREPARED and
// must not have committed a rowset to the tablet yet (metaerr.ErrAlreadyExists).
func PrepareRowset(tx kv.Txn, instanceID string, rs *metapb.RowsetMeta, now time.Time, retention time.Duration) error {
	rs, info, err := checkRowset(tx, instanceID, rs)
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
	deadline := time.UnixMilli(info.GetPrepareTimeMs() + info.GetTimeoutMs())
	rs.CreationTimeMs = now.UnixMilli()
	return rowset.MarkForRecycle(tx, instanceID, rs, now, deadline.Add(retention))
}

// CommitRowset stores the uploaded rowset as the tmp rowset of its txn on its tablet and removes
// its recycle entry. The txn must be PREPARED. Committing the same rowset again is a no-op; a
// different rowset for the same txn and tablet wraps metaerr.ErrAlreadyExists.
func CommitRowset(tx kv.Txn, instanceID string, rs *metapb.RowsetMeta, now time.Time) error {
	rs, _, err := checkRowset(tx, instanceID, rs)
	if err != nil {
		return err
	}
	if rs.CreationTimeMs == 0 {
		rs.CreationTimeMs = now.UnixMilli()
	}
	rs.StartVersion, rs.EndVersion = 0, 0 // assigned by Commit
	return rowset.PutTmp(tx, instanceID, rs)
}

// Commit makes every tmp rowset of the txn visible at the next version of its partition and the
// txn VISIBLE. It returns the txn and the new version of every partition it touched, in
// (db, table, partition) order. dbID may be 0.
func Commit(tx kv.Txn, instanceID string, dbID, txnID int64, now time.Time) (*metapb.TxnInfo, []*metapb.PartitionVersion, error) {
	info, err := Get(tx, instanceID, dbID, txnID)
	if err != nil {
		return nil, nil, err
	}
	switch s := info.GetStatus(); {
	case s == metapb.TxnStatus_TXN_VISIBLE:
		return info, nil, nil
	case !running(s):
		return nil, nil, fmt.Errorf("commit txn %d: it is %v: %w", txnID, s, metaerr.ErrFailedPrecondition)
	}
	tmps, err := rowset.Tmp(tx, instanceID, txnID)
	if err != nil {
		return nil, nil, err
	}
	type pkey struct{ table, partition int64 }
	versions := map[pkey]*metapb.PartitionVersion{}
	for _, rs := range tmps {
		ids, err := tablet.Index(tx, instanceID, rs.GetTabletId())
		if err != nil {
			return nil, nil, fmt.Errorf("commit txn %d: %w", txnID, err)
		}
		if ids.GetDbId() != info.GetDbId() {
			return nil, nil, fmt.Errorf("commit txn %d of db %d: tablet %d is in db %d: %w",
				txnID, info.GetDbId(), ids.GetTabletId(), ids.GetDbId(), metaerr.ErrFailedPrecondition)
		}
		pk := pkey{ids.GetTableId(), ids.GetPartitionId()}
		pv, ok := versions[pk]
		if !ok {
			v, err := version.Get(tx, instanceID, info.GetDbId(), pk.table, pk.partition)
			if err != nil {
				return nil, nil, err
			}
			pv = &metapb.PartitionVersion{DbId: info.GetDbId(), TableId: pk.table, PartitionId: pk.partition, Version: v + 1}
			versions[pk] = pv
		}
		rs.StartVersion, rs.EndVersion = pv.Version, pv.Version
		if err := rowset.PutVisible(tx, instanceID, rs); err != nil {
			return nil, nil, err
		}
	}
	out := make([]*metapb.PartitionVersion, 0, len(versions))
	for _, pv := range versions {
		if err := version.Set(tx, instanceID, pv); err != nil {
			return nil, nil, err
		}
		out = append(out, pv)
	}
	slices.SortFunc(out, func(a, b *metapb.PartitionVersion) int {
		return cmp.Or(cmp.Compare(a.TableId, b.TableId), cmp.Compare(a.PartitionId, b.PartitionId))
	})
	if err := rowset.ClearTmp(tx, instanceID, txnID); err != nil {
		return nil, nil, err
	}
	info.Status = metapb.TxnStatus_TXN_VISIBLE
	info.CommitTimeMs = now.UnixMilli()
	if err := put(tx, instanceID, info); err != nil {
		return nil, nil, err
	}
	if err := tx.Clear(keys.TxnRunning(instanceID, info.GetDbId(), txnID)); err != nil {
		return nil, nil, err
	}
	return info, out, nil
}

// Abort aborts a PREPARED txn found by id (txnID != 0) or label: its tmp rowsets become recycle
// entries that expire after retention, and the txn becomes ABORTED with reason. Aborting an
// ABORTED txn returns it unchanged.
func Abort(tx kv.Txn, instanceID string, dbID, txnID int64, label, reason string, now time.Time, retention time.Duration) (*metapb.TxnInfo, error) {
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
	tmps, err := rowset.Tmp(tx, instanceID, info.GetTxnId())
	if err != nil {
		return nil, err
	}
	for _, rs := range tmps {
		if err := rowset.MarkForRecycle(tx, instanceID, rs, now, now.Add(retention)); err != nil {
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
	return info, nil
}
