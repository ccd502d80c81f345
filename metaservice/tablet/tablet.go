package tablet

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/stats"
)

// Create stores the tablets (see the package documentation).
func Create(tx kv.Txn, instanceID string, metas []*metapb.TabletMeta, defaultVaultID string, now time.Time) error {
	for _, m := range metas {
		if err := create(tx, instanceID, m, defaultVaultID, now); err != nil {
			return err
		}
	}
	return nil
}

func create(tx kv.Txn, instanceID string, m *metapb.TabletMeta, defaultVaultID string, now time.Time) error {
	if m.GetTabletId() <= 0 || m.GetDbId() <= 0 || m.GetTableId() <= 0 || m.GetIndexId() <= 0 || m.GetPartitionId() <= 0 {
		return fmt.Errorf("tablet %d: db, table, index, partition and tablet ids must be positive (got %d, %d, %d, %d): %w",
			m.GetTabletId(), m.GetDbId(), m.GetTableId(), m.GetIndexId(), m.GetPartitionId(), metaerr.ErrInvalidArgument)
	}
	m = proto.Clone(m).(*metapb.TabletMeta)
	if m.VaultId == "" {
		m.VaultId = defaultVaultID
	}
	existing, err := Get(tx, instanceID, m.GetTabletId())
	switch {
	case err == nil:
		if m.CreationTimeMs == 0 {
			m.CreationTimeMs = existing.GetCreationTimeMs()
		}
		if !proto.Equal(existing, m) {
			return fmt.Errorf("tablet %d exists with a different meta: %w", m.GetTabletId(), metaerr.ErrAlreadyExists)
		}
		return nil
	case !isNotFound(err):
		return err
	}
	if m.CreationTimeMs == 0 {
		m.CreationTimeMs = now.UnixMilli()
	}
	if err := kv.SetProto(tx, key(instanceID, m), m); err != nil {
		return err
	}
	if err := kv.SetProto(tx, keys.TabletIndex(instanceID, m.GetTabletId()), idsOf(m)); err != nil {
		return err
	}
	return stats.Init(tx, instanceID, m)
}

func key(instanceID string, m *metapb.TabletMeta) []byte {
	return keys.Tablet(instanceID, m.GetTableId(), m.GetIndexId(), m.GetPartitionId(), m.GetTabletId())
}

func idsOf(m *metapb.TabletMeta) *metapb.TabletMeta {
	return &metapb.TabletMeta{
		TabletId:    m.GetTabletId(),
		DbId:        m.GetDbId(),
		TableId:     m.GetTableId(),
		IndexId:     m.GetIndexId(),
		PartitionId: m.GetPartitionId(),
	}
}

// Index returns the ids of a tablet (tablet, db, table, index and partition ids, nothing else)
// from its index key; an unknown tablet wraps metaerr.ErrNotFound.
func Index(tx kv.ReadTxn, instanceID string, tabletID int64) (*metapb.TabletMeta, error) {
	ids := &metapb.TabletMeta{}
	ok, err := kv.GetProto(tx, keys.TabletIndex(instanceID, tabletID), ids)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("tablet %d: %w", tabletID, metaerr.ErrNotFound)
	}
	return ids, nil
}

// Get returns a tablet's meta; an unknown tablet wraps metaerr.ErrNotFound.
func Get(tx kv.ReadTxn, instanceID string, tabletID int64) (*metapb.TabletMeta, error) {
	ids, err := Index(tx, instanceID, tabletID)
	if err != nil {
		return nil, err
	}
	m := &metapb.TabletMeta{}
	ok, err := kv.GetProto(tx, key(instanceID, ids), m)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("BUG: tablet %d: index %v points at no tablet meta", tabletID, ids)
	}
	return m, nil
}

func isNotFound(err error) bool { return errors.Is(err, metaerr.ErrNotFound) }
