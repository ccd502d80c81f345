package rowset

import (
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
)

// MarkForRecycle writes the recycle entry of rs: its files may be deleted after expiration.
func MarkForRecycle(tx kv.Txn, instanceID string, rs *metapb.RowsetMeta, now, expiration time.Time) error {
	return kv.SetProto(tx, keys.RecycleRowset(instanceID, rs.GetTabletId(), rs.GetRowsetId()), &metapb.RecycleRowset{
		Rowset:         rs,
		CreationTimeMs: now.UnixMilli(),
		ExpirationMs:   expiration.UnixMilli(),
	})
}

// Unmark removes the recycle entry of a rowset, if any.
func Unmark(tx kv.Txn, instanceID string, tabletID int64, rowsetID string) error {
	return tx.Clear(keys.RecycleRowset(instanceID, tabletID, rowsetID))
}

// Marked returns the recycle entry of a rowset, or nil.
func Marked(tx kv.ReadTxn, instanceID string, tabletID int64, rowsetID string) (*metapb.RecycleRowset, error) {
	r := &metapb.RecycleRowset{}
	ok, err := kv.GetProto(tx, keys.RecycleRowset(instanceID, tabletID, rowsetID), r)
	if err != nil || !ok {
		return nil, err
	}
	return r, nil
}

// TmpOf returns the tmp rowset of a txn on a tablet, or nil.
func TmpOf(tx kv.ReadTxn, instanceID string, txnID, tabletID int64) (*metapb.RowsetMeta, error) {
	rs := &metapb.RowsetMeta{}
	ok, err := kv.GetProto(tx, keys.RowsetTmp(instanceID, txnID, tabletID), rs)
	if err != nil || !ok {
		return nil, err
	}
	return rs, nil
}

// PutTmp stores rs as the tmp rowset of its txn on its tablet and removes its recycle entry.
// Storing the same rowset id again is a no-op; a different rowset for the same txn and tablet
// wraps metaerr.ErrAlreadyExists.
func PutTmp(tx kv.Txn, instanceID string, rs *metapb.RowsetMeta) error {
	existing, err := TmpOf(tx, instanceID, rs.GetTxnId(), rs.GetTabletId())
	if err != nil {
		return err
	}
	if existing != nil {
		if existing.GetRowsetId() != rs.GetRowsetId() {
			return fmt.Errorf("txn %d already committed rowset %s to tablet %d, not %s: %w",
				rs.GetTxnId(), existing.GetRowsetId(), rs.GetTabletId(), rs.GetRowsetId(), metaerr.ErrAlreadyExists)
		}
		return nil
	}
	if err := kv.SetProto(tx, keys.RowsetTmp(instanceID, rs.GetTxnId(), rs.GetTabletId()), rs); err != nil {
		return err
	}
	return Unmark(tx, instanceID, rs.GetTabletId(), rs.GetRowsetId())
}

// Tmp returns every tmp rowset of a txn, in tablet id order.
func Tmp(tx kv.ReadTxn, instanceID string, txnID int64) ([]*metapb.RowsetMeta, error) {
	begin, end := keys.RowsetTmpRange(instanceID, txnID)
	return scan(tx, begin, end)
}

// ClearTmp removes every tmp rowset of a txn.
func ClearTmp(tx kv.Txn, instanceID string, txnID int64) error {
	begin, end := keys.RowsetTmpRange(instanceID, txnID)
	return tx.ClearRange(begin, end)
}

// PutVisible adds rs to its tablet's version chain at rs.EndVersion. A rowset already at that
// version is a bug of the caller (versions are allocated once).
func PutVisible(tx kv.Txn, instanceID string, rs *metapb.RowsetMeta) error {
	key := keys.Rowset(instanceID, rs.GetTabletId(), rs.GetEndVersion())
	old, err := tx.Get(key)
	if err != nil {
		return err
	}
	if old != nil {
		return fmt.Errorf("BUG: tablet %d already has a rowset at version %d (new rowset %s)",
			rs.GetTabletId(), rs.GetEndVersion(), rs.GetRowsetId())
	}
	return kv.SetProto(tx, key, rs)
}

// ClearVisible removes the visible rowsets of a tablet whose end version is in [start, end].
func ClearVisible(tx kv.Txn, instanceID string, tabletID, start, end int64) error {
	if start > end {
		return nil
	}
	begin, stop := keys.RowsetRange(instanceID, tabletID, start, end)
	return tx.ClearRange(begin, stop)
}

// After returns the first visible rowset of a tablet whose end version is greater than
// version, or nil.
func After(tx kv.ReadTxn, instanceID string, tabletID, version int64) (*metapb.RowsetMeta, error) {
	if version == math.MaxInt64 {
		return nil, nil
	}
	begin, stop := keys.RowsetRange(instanceID, tabletID, version+1, math.MaxInt64)
	kvs, err := tx.GetRange(begin, stop, 1, false)
	if err != nil || len(kvs) == 0 {
		return nil, err
	}
	rs := &metapb.RowsetMeta{}
	if err := proto.Unmarshal(kvs[0].Value, rs); err != nil {
		return nil, fmt.Errorf("rowset at %s: %w", keys.Pretty(kvs[0].Key), err)
	}
	return rs, nil
}

// Complete returns a copy of rs with partition, index and vault filled in from its tablet t. A
// rowset that names another partition or index than its tablet's wraps
// metaerr.ErrInvalidArgument.
func Complete(rs *metapb.RowsetMeta, t *metapb.TabletMeta) (*metapb.RowsetMeta, error) {
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
			return nil, fmt.Errorf("rowset %s names %s %d, tablet %d is in %d: %w",
				rs.GetRowsetId(), f.name, *f.field, t.GetTabletId(), f.want, metaerr.ErrInvalidArgument)
		}
	}
	if rs.VaultId == "" {
		rs.VaultId = t.GetVaultId()
	}
	return rs, nil
}

// Visible returns the visible rowsets of a tablet whose end version is in [start, end], in
// version order.
func Visible(tx kv.ReadTxn, instanceID string, tabletID, start, end int64) ([]*metapb.RowsetMeta, error) {
	if start > end {
		return nil, nil
	}
	begin, stop := keys.RowsetRange(instanceID, tabletID, start, end)
	return scan(tx, begin, stop)
}

func scan(tx kv.ReadTxn, begin, end []byte) ([]*metapb.RowsetMeta, error) {
	out, err := kv.ScanProto[metapb.RowsetMeta](tx, begin, end, 0, false)
	if err != nil {
		return nil, fmt.Errorf("rowsets: %w", err)
	}
	return out, nil
}
