package version

import (
	"fmt"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
)

// Initial is the version of a partition that has never been loaded.
const Initial int64 = 1

// Get returns the visible version of a partition (Initial when it has never been loaded).
func Get(tx kv.ReadTxn, instanceID string, dbID, tableID, partitionID int64) (int64, error) {
	pv, err := Partition(tx, instanceID, dbID, tableID, partitionID)
	if err != nil {
		return 0, err
	}
	return pv.GetVersion(), nil
}

// Partition returns the stored PartitionVersion of a partition, pending lazy commits included
// (a fresh one at Initial when it has never been loaded).
func Partition(tx kv.ReadTxn, instanceID string, dbID, tableID, partitionID int64) (*metapb.PartitionVersion, error) {
	pv := &metapb.PartitionVersion{}
	ok, err := kv.GetProto(tx, keys.PartitionVersion(instanceID, dbID, tableID, partitionID), pv)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &metapb.PartitionVersion{DbId: dbID, TableId: tableID, PartitionId: partitionID, Version: Initial}, nil
	}
	if pv.GetVersion() < Initial {
		return nil, fmt.Errorf("BUG: partition %d/%d/%d stores version %d", dbID, tableID, partitionID, pv.GetVersion())
	}
	return pv, nil
}

// Set stores the PartitionVersion pv (its version and pending lazy commits) of the partition it names.
func Set(tx kv.Txn, instanceID string, pv *metapb.PartitionVersion) error {
	return kv.SetProto(tx, keys.PartitionVersion(instanceID, pv.GetDbId(), pv.GetTableId(), pv.GetPartitionId()), pv)
}

// Table returns a table's version (0 when it has never changed).
func Table(tx kv.ReadTxn, instanceID string, dbID, tableID int64) (int64, error) {
	v, err := tx.Get(keys.TableVersion(instanceID, dbID, tableID))
	if err != nil {
		return 0, err
	}
	return kv.CounterValue(v), nil
}

// BumpTable adds 1 to a table's version with an atomic add (it does not read it, so concurrent
// bumps do not conflict).
func BumpTable(tx kv.Txn, instanceID string, dbID, tableID int64) error {
	return tx.AtomicAdd(keys.TableVersion(instanceID, dbID, tableID), 1)
}
