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
	pv := &metapb.PartitionVersion{}
	ok, err := kv.GetProto(tx, keys.PartitionVersion(instanceID, dbID, tableID, partitionID), pv)
	if err != nil || !ok {
		return Initial, err
	}
	if pv.GetVersion() < Initial {
		return 0, fmt.Errorf("BUG: partition %d/%d/%d stores version %d", dbID, tableID, partitionID, pv.GetVersion())
	}
	return pv.GetVersion(), nil
}

// Set stores the visible version of the partition pv names.
func Set(tx kv.Txn, instanceID string, pv *metapb.PartitionVersion) error {
	return kv.SetProto(tx, keys.PartitionVersion(instanceID, pv.GetDbId(), pv.GetTableId(), pv.GetPartitionId()), pv)
}
