package keys

import (
	"fmt"
	"math"
)

// SpaceUser is the key-space byte of every key of the Meta Service's data (Doris's CLOUD_USER_KEY_SPACE01).
const SpaceUser byte = 0x01

// Family words.
const (
	familyInstance     = "instance"
	familyJob          = "job"
	familyMeta         = "meta"
	familyRecycle      = "recycle"
	familyStats        = "stats"
	familyStorageVault = "storage_vault"
	familyTxn          = "txn"
	familyVersion      = "version"
)

// Infixes.
const (
	infixComputeGroup = "compute_group"
	infixComputeNode  = "compute_node"
	infixCounter      = "counter"
	infixVault        = "vault"
	infixTablet       = "tablet"
	infixTabletIndex  = "tablet_index"
	infixRowset       = "rowset"
	infixRowsetTmp    = "rowset_tmp"
	infixTxnLabel     = "txn_label"
	infixTxnInfo      = "txn_info"
	infixTxnIndex     = "txn_index"
	infixTxnRunning   = "txn_running"
	infixPartition    = "partition"
	infixTable        = "table"
	infixSchema       = "schema"
	infixDeleteBitmap = "delete_bitmap"
	infixDBMLock      = "delete_bitmap_lock"
	infixDBMPending   = "delete_bitmap_pending"
	infixIndex        = "index"
	infixTxn          = "txn"
	infixRecycle      = "recycle"
	infixColumn       = "column"
)

// head starts a key: key-space byte, family word, instance id and (when not empty) the infix.
func head(family, instanceID, infix string) []byte {
	b := make([]byte, 0, 64)
	b = append(b, SpaceUser)
	b = appendBytes(b, family)
	b = appendBytes(b, instanceID)
	if infix != "" {
		b = appendBytes(b, infix)
	}
	return b
}

// prefixEnd returns the smallest key greater than every key that starts with the tagged-field
// prefix p. Every extension of p continues with a tag byte (0x01 or 0x02), so p+0xFF bounds them.
func prefixEnd(p []byte) []byte {
	return append(p[:len(p):len(p)], 0xFF)
}

// shape describes a key kind for parsing: its family, infix ("" for none) and the kinds of the
// fields after the infix ('s' byte string, 'i' int64).
type shape struct {
	family, infix, ids string
}

// parse checks that key has the shape and returns the instance id and the trailing fields.
func (sh shape) parse(key []byte) (string, []field, error) {
	if len(key) == 0 || key[0] != SpaceUser {
		return "", nil, fmt.Errorf("%w: not a user key: %x", ErrMalformed, key)
	}
	fs, err := decodeFields(key[1:])
	if err != nil {
		return "", nil, err
	}
	n := 2 // family, instance
	if sh.infix != "" {
		n++
	}
	if len(fs) != n+len(sh.ids) {
		return "", nil, fmt.Errorf("%w: %s: want %d fields, got %d", ErrMalformed, sh.what(), n+len(sh.ids), len(fs))
	}
	if fs[0].isInt || fs[0].s != sh.family || fs[1].isInt {
		return "", nil, fmt.Errorf("%w: not a %s key: %s", ErrMalformed, sh.what(), Pretty(key))
	}
	if sh.infix != "" && (fs[2].isInt || fs[2].s != sh.infix) {
		return "", nil, fmt.Errorf("%w: not a %s key: %s", ErrMalformed, sh.what(), Pretty(key))
	}
	ids := fs[n:]
	for i, f := range ids {
		if f.isInt != (sh.ids[i] == 'i') {
			return "", nil, fmt.Errorf("%w: %s: field %d has the wrong type", ErrMalformed, sh.what(), n+i)
		}
	}
	return fs[1].s, ids, nil
}

func (sh shape) what() string {
	if sh.infix == "" {
		return sh.family
	}
	return sh.family + "/" + sh.infix
}

var (
	shapeInstance       = shape{familyInstance, "", ""}
	shapeComputeGroup   = shape{familyInstance, infixComputeGroup, "s"}
	shapeComputeNode    = shape{familyInstance, infixComputeNode, "ss"}
	shapeCounter        = shape{familyInstance, infixCounter, "s"}
	shapeTablet         = shape{familyMeta, infixTablet, "iiii"}
	shapeTabletIndex    = shape{familyMeta, infixTabletIndex, "i"}
	shapeRowset         = shape{familyMeta, infixRowset, "ii"}
	shapeRowsetTmp      = shape{familyMeta, infixRowsetTmp, "ii"}
	shapeRecycleRowset  = shape{familyRecycle, infixRowset, "is"}
	shapeStorageVault   = shape{familyStorageVault, infixVault, "s"}
	shapeTxnIndex       = shape{familyTxn, infixTxnIndex, "i"}
	shapeTxnInfo        = shape{familyTxn, infixTxnInfo, "ii"}
	shapeTxnLabel       = shape{familyTxn, infixTxnLabel, "is"}
	shapeTxnRunning     = shape{familyTxn, infixTxnRunning, "ii"}
	shapePartitionVersn = shape{familyVersion, infixPartition, "iii"}
	shapeTableVersion   = shape{familyVersion, infixTable, "ii"}
	shapeSchema         = shape{familyMeta, infixSchema, "ii"}
	shapeDeleteBitmap   = shape{familyMeta, infixDeleteBitmap, "isii"}
	shapeDBMLock        = shape{familyMeta, infixDBMLock, "ii"}
	shapeDBMPending     = shape{familyMeta, infixDBMPending, "i"}
	shapeTabletStats    = shape{familyStats, infixTablet, "iiii"}
	shapeTabletStatsCtr = shape{familyStats, infixTablet, "iiiis"}
	shapeColumnStats    = shape{familyStats, infixColumn, "is"}
	shapeRecycleIndex   = shape{familyRecycle, infixIndex, "i"}
	shapeRecyclePart    = shape{familyRecycle, infixPartition, "i"}
	shapeRecycleTxn     = shape{familyRecycle, infixTxn, "ii"}
	shapeJobTablet      = shape{familyJob, infixTablet, "iiii"}
	shapeJobRecycle     = shape{familyJob, infixRecycle, ""}
)

// appendInts appends tagged int64s in order.
func appendInts(b []byte, vs ...int64) []byte {
	for _, v := range vs {
		b = appendInt64(b, v)
	}
	return b
}

// prefixRange is [p, prefixEnd(p)): p itself and every key that extends it.
func prefixRange(p []byte) (begin, end []byte) {
	return p, prefixEnd(p)
}

// ---------------------------------------------------------------- instance

// Instance is the key of an instance's InstanceInfo: 0x01 "instance" ${instance_id}.
func Instance(instanceID string) []byte {
	return head(familyInstance, instanceID, "")
}

// InstanceRange is [begin, end) over the whole "instance" family of every instance: each
// instance's Instance key, followed by its compute groups, nodes and counters (which
// ParseInstance rejects). To visit instances only, after a key that ParseInstance accepts seek to
// the end of InstanceScopeRange(id).
func InstanceRange() (begin, end []byte) {
	b := make([]byte, 0, 16)
	b = append(b, SpaceUser)
	return prefixRange(appendBytes(b, familyInstance))
}

// InstanceScopeRange is [begin, end) over an instance's Instance key and every key under it in
// the "instance" family (compute groups, nodes, counters).
func InstanceScopeRange(instanceID string) (begin, end []byte) {
	return prefixRange(Instance(instanceID))
}

// ParseInstance returns the instance id of an Instance key.
func ParseInstance(key []byte) (string, error) {
	inst, _, err := shapeInstance.parse(key)
	return inst, err
}

// ComputeGroupKey is a decoded ComputeGroup key.
type ComputeGroupKey struct {
	Instance string
	Name     string
}

// ComputeGroup is the key of a compute group (a ComputeGroup without its nodes), by name:
// 0x01 "instance" ${instance_id} "compute_group" ${name}.
func ComputeGroup(instanceID, name string) []byte {
	return appendBytes(head(familyInstance, instanceID, infixComputeGroup), name)
}

// ComputeGroupRange is [begin, end) over every compute group of the instance, in name order.
func ComputeGroupRange(instanceID string) (begin, end []byte) {
	p := head(familyInstance, instanceID, infixComputeGroup)
	return p, prefixEnd(p)
}

// ParseComputeGroup decodes a ComputeGroup key.
func ParseComputeGroup(key []byte) (ComputeGroupKey, error) {
	inst, ids, err := shapeComputeGroup.parse(key)
	if err != nil {
		return ComputeGroupKey{}, err
	}
	return ComputeGroupKey{Instance: inst, Name: ids[0].s}, nil
}

// ComputeNodeKey is a decoded ComputeNode key.
type ComputeNodeKey struct {
	Instance string
	Group    string
	NodeID   string
}

// ComputeNode is the key of one node (NodeInfo) of a compute group:
// 0x01 "instance" ${instance_id} "compute_node" ${group_name} ${node_id}.
func ComputeNode(instanceID, group, nodeID string) []byte {
	return appendBytes(appendBytes(head(familyInstance, instanceID, infixComputeNode), group), nodeID)
}

// ComputeNodeRange is [begin, end) over every node of one group, in node id order.
func ComputeNodeRange(instanceID, group string) (begin, end []byte) {
	p := appendBytes(head(familyInstance, instanceID, infixComputeNode), group)
	return p, prefixEnd(p)
}

// ParseComputeNode decodes a ComputeNode key.
func ParseComputeNode(key []byte) (ComputeNodeKey, error) {
	inst, ids, err := shapeComputeNode.parse(key)
	if err != nil {
		return ComputeNodeKey{}, err
	}
	return ComputeNodeKey{Instance: inst, Group: ids[0].s, NodeID: ids[1].s}, nil
}

// CounterKey is a decoded Counter key.
type CounterKey struct {
	Instance string
	Name     string
}

// Counter is the key of a named id counter of an instance (an 8-byte little-endian int64 updated
// with kv atomic add): 0x01 "instance" ${instance_id} "counter" ${name}.
func Counter(instanceID, name string) []byte {
	return appendBytes(head(familyInstance, instanceID, infixCounter), name)
}

// ParseCounter decodes a Counter key.
func ParseCounter(key []byte) (CounterKey, error) {
	inst, ids, err := shapeCounter.parse(key)
	if err != nil {
		return CounterKey{}, err
	}
	return CounterKey{Instance: inst, Name: ids[0].s}, nil
}

// ---------------------------------------------------------------- job

// JobTabletKey is a decoded JobTablet key.
type JobTabletKey struct {
	Instance    string
	TableID     int64
	IndexID     int64
	PartitionID int64
	TabletID    int64
}

// JobTablet is the key of a tablet's running jobs (compaction leases):
// 0x01 "job" ${instance_id} "tablet" ${table_id} ${index_id} ${partition_id} ${tablet_id}.
func JobTablet(instanceID string, tableID, indexID, partitionID, tabletID int64) []byte {
	return appendInts(head(familyJob, instanceID, infixTablet), tableID, indexID, partitionID, tabletID)
}

// ParseJobTablet decodes a JobTablet key.
func ParseJobTablet(key []byte) (JobTabletKey, error) {
	inst, ids, err := shapeJobTablet.parse(key)
	if err != nil {
		return JobTabletKey{}, err
	}
	return JobTabletKey{Instance: inst, TableID: ids[0].i, IndexID: ids[1].i, PartitionID: ids[2].i, TabletID: ids[3].i}, nil
}

// JobRecycle is the key of the recycler's lease on an instance: 0x01 "job" ${instance_id} "recycle".
func JobRecycle(instanceID string) []byte {
	return head(familyJob, instanceID, infixRecycle)
}

// ParseJobRecycle returns the instance id of a JobRecycle key.
func ParseJobRecycle(key []byte) (string, error) {
	inst, _, err := shapeJobRecycle.parse(key)
	return inst, err
}

// ---------------------------------------------------------------- meta

// SchemaKey is a decoded Schema key.
type SchemaKey struct {
	Instance      string
	IndexID       int64
	SchemaVersion int64
}

// Schema is the key of the schema of an index at a schema version:
// 0x01 "meta" ${instance_id} "schema" ${index_id} ${schema_version}.
func Schema(instanceID string, indexID, schemaVersion int64) []byte {
	return appendInts(head(familyMeta, instanceID, infixSchema), indexID, schemaVersion)
}

// ParseSchema decodes a Schema key.
func ParseSchema(key []byte) (SchemaKey, error) {
	inst, ids, err := shapeSchema.parse(key)
	if err != nil {
		return SchemaKey{}, err
	}
	return SchemaKey{Instance: inst, IndexID: ids[0].i, SchemaVersion: ids[1].i}, nil
}

// TabletKey is a decoded Tablet key.
type TabletKey struct {
	Instance    string
	TableID     int64
	IndexID     int64
	PartitionID int64
	TabletID    int64
}

// Tablet is the key of a TabletMeta, under its table, index and partition so that the tablets of
// a table (or partition) are one range:
// 0x01 "meta" ${instance_id} "tablet" ${table_id} ${index_id} ${partition_id} ${tablet_id}.
func Tablet(instanceID string, tableID, indexID, partitionID, tabletID int64) []byte {
	b := head(familyMeta, instanceID, infixTablet)
	b = appendInt64(b, tableID)
	b = appendInt64(b, indexID)
	b = appendInt64(b, partitionID)
	return appendInt64(b, tabletID)
}

// TabletRange is [begin, end) over the tablets of one partition of an index, in tablet id order.
func TabletRange(instanceID string, tableID, indexID, partitionID int64) (begin, end []byte) {
	return prefixRange(appendInts(head(familyMeta, instanceID, infixTablet), tableID, indexID, partitionID))
}

// TabletTableRange is [begin, end) over every tablet of a table (all indexes and partitions).
func TabletTableRange(instanceID string, tableID int64) (begin, end []byte) {
	return prefixRange(appendInt64(head(familyMeta, instanceID, infixTablet), tableID))
}

// TabletIndexRange is [begin, end) over every tablet of one index of a table (all partitions).
// It ranges over Tablet keys, not TabletIndex keys.
func TabletIndexRange(instanceID string, tableID, indexID int64) (begin, end []byte) {
	return prefixRange(appendInts(head(familyMeta, instanceID, infixTablet), tableID, indexID))
}

// ParseTablet decodes a Tablet key.
func ParseTablet(key []byte) (TabletKey, error) {
	inst, ids, err := shapeTablet.parse(key)
	if err != nil {
		return TabletKey{}, err
	}
	return TabletKey{Instance: inst, TableID: ids[0].i, IndexID: ids[1].i, PartitionID: ids[2].i, TabletID: ids[3].i}, nil
}

// TabletIndexKey is a decoded TabletIndex key.
type TabletIndexKey struct {
	Instance string
	TabletID int64
}

// TabletIndex is the key that maps a tablet id to the ids its Tablet key needs:
// 0x01 "meta" ${instance_id} "tablet_index" ${tablet_id}.
func TabletIndex(instanceID string, tabletID int64) []byte {
	return appendInt64(head(familyMeta, instanceID, infixTabletIndex), tabletID)
}

// ParseTabletIndex decodes a TabletIndex key.
func ParseTabletIndex(key []byte) (TabletIndexKey, error) {
	inst, ids, err := shapeTabletIndex.parse(key)
	if err != nil {
		return TabletIndexKey{}, err
	}
	return TabletIndexKey{Instance: inst, TabletID: ids[0].i}, nil
}

// DeleteBitmapKey is a decoded DeleteBitmap key.
type DeleteBitmapKey struct {
	Instance  string
	TabletID  int64
	RowsetID  string
	Version   int64
	SegmentID int64
}

// DeleteBitmap is the key of the delete bitmap of one segment of a rowset at a version (merge on
// write), so all bitmaps of a tablet, and of one rowset, are one range:
// 0x01 "meta" ${instance_id} "delete_bitmap" ${tablet_id} ${rowset_id} ${version} ${segment_id}.
func DeleteBitmap(instanceID string, tabletID int64, rowsetID string, version, segmentID int64) []byte {
	b := appendBytes(appendInt64(head(familyMeta, instanceID, infixDeleteBitmap), tabletID), rowsetID)
	return appendInts(b, version, segmentID)
}

// DeleteBitmapRange is [begin, end) over every delete bitmap of a tablet, in (rowset id,
// version, segment id) order.
func DeleteBitmapRange(instanceID string, tabletID int64) (begin, end []byte) {
	return prefixRange(appendInt64(head(familyMeta, instanceID, infixDeleteBitmap), tabletID))
}

// DeleteBitmapRowsetRange is [begin, end) over the delete bitmaps of one rowset of a tablet, in
// (version, segment id) order.
func DeleteBitmapRowsetRange(instanceID string, tabletID int64, rowsetID string) (begin, end []byte) {
	return prefixRange(appendBytes(appendInt64(head(familyMeta, instanceID, infixDeleteBitmap), tabletID), rowsetID))
}

// ParseDeleteBitmap decodes a DeleteBitmap key.
func ParseDeleteBitmap(key []byte) (DeleteBitmapKey, error) {
	inst, ids, err := shapeDeleteBitmap.parse(key)
	if err != nil {
		return DeleteBitmapKey{}, err
	}
	return DeleteBitmapKey{Instance: inst, TabletID: ids[0].i, RowsetID: ids[1].s, Version: ids[2].i, SegmentID: ids[3].i}, nil
}

// DeleteBitmapLockKey is a decoded DeleteBitmapLock key.
type DeleteBitmapLockKey struct {
	Instance    string
	TableID     int64
	PartitionID int64
}

// DeleteBitmapLock is the key of the delete-bitmap update lock of a partition of a table:
// 0x01 "meta" ${instance_id} "delete_bitmap_lock" ${table_id} ${partition_id}.
func DeleteBitmapLock(instanceID string, tableID, partitionID int64) []byte {
	return appendInts(head(familyMeta, instanceID, infixDBMLock), tableID, partitionID)
}

// ParseDeleteBitmapLock decodes a DeleteBitmapLock key.
func ParseDeleteBitmapLock(key []byte) (DeleteBitmapLockKey, error) {
	inst, ids, err := shapeDBMLock.parse(key)
	if err != nil {
		return DeleteBitmapLockKey{}, err
	}
	return DeleteBitmapLockKey{Instance: inst, TableID: ids[0].i, PartitionID: ids[1].i}, nil
}

// DeleteBitmapPendingKey is a decoded DeleteBitmapPending key.
type DeleteBitmapPendingKey struct {
	Instance string
	TabletID int64
}

// DeleteBitmapPending is the key of a tablet's delete bitmaps written but not yet made final by
// a commit: 0x01 "meta" ${instance_id} "delete_bitmap_pending" ${tablet_id}.
func DeleteBitmapPending(instanceID string, tabletID int64) []byte {
	return appendInt64(head(familyMeta, instanceID, infixDBMPending), tabletID)
}

// ParseDeleteBitmapPending decodes a DeleteBitmapPending key.
func ParseDeleteBitmapPending(key []byte) (DeleteBitmapPendingKey, error) {
	inst, ids, err := shapeDBMPending.parse(key)
	if err != nil {
		return DeleteBitmapPendingKey{}, err
	}
	return DeleteBitmapPendingKey{Instance: inst, TabletID: ids[0].i}, nil
}

// RowsetKey is a decoded Rowset key.
type RowsetKey struct {
	Instance   string
	TabletID   int64
	EndVersion int64
}

// Rowset is the key of a visible RowsetMeta, by tablet and end version, so all rowsets of a tablet
// are one range in version order: 0x01 "meta" ${instance_id} "rowset" ${tablet_id} ${end_version}.
func Rowset(instanceID string, tabletID, endVersion int64) []byte {
	return appendInt64(appendInt64(head(familyMeta, instanceID, infixRowset), tabletID), endVersion)
}

// RowsetRange is [begin, end) over the rowsets of a tablet whose end version is in
// [startVersion, endVersion] (inclusive both ends). startVersion > endVersion gives an empty range.
func RowsetRange(instanceID string, tabletID, startVersion, endVersion int64) (begin, end []byte) {
	begin = Rowset(instanceID, tabletID, startVersion)
	if endVersion == math.MaxInt64 {
		return begin, prefixEnd(appendInt64(head(familyMeta, instanceID, infixRowset), tabletID))
	}
	return begin, Rowset(instanceID, tabletID, endVersion+1)
}

// ParseRowset decodes a Rowset key.
func ParseRowset(key []byte) (RowsetKey, error) {
	inst, ids, err := shapeRowset.parse(key)
	if err != nil {
		return RowsetKey{}, err
	}
	return RowsetKey{Instance: inst, TabletID: ids[0].i, EndVersion: ids[1].i}, nil
}

// RowsetTmpKey is a decoded RowsetTmp key.
type RowsetTmpKey struct {
	Instance string
	TxnID    int64
	TabletID int64
}

// RowsetTmp is the key of a committed but not yet visible RowsetMeta, by txn and tablet, so all
// tmp rowsets of a txn are one range: 0x01 "meta" ${instance_id} "rowset_tmp" ${txn_id} ${tablet_id}.
func RowsetTmp(instanceID string, txnID, tabletID int64) []byte {
	return appendInt64(appendInt64(head(familyMeta, instanceID, infixRowsetTmp), txnID), tabletID)
}

// RowsetTmpRange is [begin, end) over every tmp rowset of a txn, in tablet id order.
func RowsetTmpRange(instanceID string, txnID int64) (begin, end []byte) {
	p := appendInt64(head(familyMeta, instanceID, infixRowsetTmp), txnID)
	return p, prefixEnd(p)
}

// ParseRowsetTmp decodes a RowsetTmp key.
func ParseRowsetTmp(key []byte) (RowsetTmpKey, error) {
	inst, ids, err := shapeRowsetTmp.parse(key)
	if err != nil {
		return RowsetTmpKey{}, err
	}
	return RowsetTmpKey{Instance: inst, TxnID: ids[0].i, TabletID: ids[1].i}, nil
}

// ---------------------------------------------------------------- recycle

// RecycleIndexKey is a decoded RecycleIndex key.
type RecycleIndexKey struct {
	Instance string
	IndexID  int64
}

// RecycleIndex is the key of a RecycleIndex entry (a dropped or never-committed index whose
// tablets must be reclaimed): 0x01 "recycle" ${instance_id} "index" ${index_id}.
func RecycleIndex(instanceID string, indexID int64) []byte {
	return appendInt64(head(familyRecycle, instanceID, infixIndex), indexID)
}

// RecycleIndexRange is [begin, end) over every RecycleIndex entry of the instance.
func RecycleIndexRange(instanceID string) (begin, end []byte) {
	return prefixRange(head(familyRecycle, instanceID, infixIndex))
}

// ParseRecycleIndex decodes a RecycleIndex key.
func ParseRecycleIndex(key []byte) (RecycleIndexKey, error) {
	inst, ids, err := shapeRecycleIndex.parse(key)
	if err != nil {
		return RecycleIndexKey{}, err
	}
	return RecycleIndexKey{Instance: inst, IndexID: ids[0].i}, nil
}

// RecyclePartitionKey is a decoded RecyclePartition key.
type RecyclePartitionKey struct {
	Instance    string
	PartitionID int64
}

// RecyclePartition is the key of a RecyclePartition entry (a dropped or never-committed
// partition): 0x01 "recycle" ${instance_id} "partition" ${partition_id}.
func RecyclePartition(instanceID string, partitionID int64) []byte {
	return appendInt64(head(familyRecycle, instanceID, infixPartition), partitionID)
}

// RecyclePartitionRange is [begin, end) over every RecyclePartition entry of the instance.
func RecyclePartitionRange(instanceID string) (begin, end []byte) {
	return prefixRange(head(familyRecycle, instanceID, infixPartition))
}

// ParseRecyclePartition decodes a RecyclePartition key.
func ParseRecyclePartition(key []byte) (RecyclePartitionKey, error) {
	inst, ids, err := shapeRecyclePart.parse(key)
	if err != nil {
		return RecyclePartitionKey{}, err
	}
	return RecyclePartitionKey{Instance: inst, PartitionID: ids[0].i}, nil
}

// RecycleRowsetKey is a decoded RecycleRowset key.
type RecycleRowsetKey struct {
	Instance string
	TabletID int64
	RowsetID string
}

// RecycleRowset is the key of a RecycleRowset entry: the files of a rowset that may have to be
// deleted (written by prepare_rowset, removed by commit_rowset, written again for the tmp rowsets
// of an aborted txn): 0x01 "recycle" ${instance_id} "rowset" ${tablet_id} ${rowset_id}.
func RecycleRowset(instanceID string, tabletID int64, rowsetID string) []byte {
	return appendBytes(appendInt64(head(familyRecycle, instanceID, infixRowset), tabletID), rowsetID)
}

// RecycleRowsetRange is [begin, end) over every RecycleRowset entry of the instance.
func RecycleRowsetRange(instanceID string) (begin, end []byte) {
	p := head(familyRecycle, instanceID, infixRowset)
	return p, prefixEnd(p)
}

// ParseRecycleRowset decodes a RecycleRowset key.
func ParseRecycleRowset(key []byte) (RecycleRowsetKey, error) {
	inst, ids, err := shapeRecycleRowset.parse(key)
	if err != nil {
		return RecycleRowsetKey{}, err
	}
	return RecycleRowsetKey{Instance: inst, TabletID: ids[0].i, RowsetID: ids[1].s}, nil
}

// RecycleTxnKey is a decoded RecycleTxn key.
type RecycleTxnKey struct {
	Instance string
	DBID     int64
	TxnID    int64
}

// RecycleTxn is the key of a RecycleTxn entry (a finished txn whose label and info expire):
// 0x01 "recycle" ${instance_id} "txn" ${db_id} ${txn_id}.
func RecycleTxn(instanceID string, dbID, txnID int64) []byte {
	return appendInts(head(familyRecycle, instanceID, infixTxn), dbID, txnID)
}

// RecycleTxnRange is [begin, end) over every RecycleTxn entry of the instance.
func RecycleTxnRange(instanceID string) (begin, end []byte) {
	return prefixRange(head(familyRecycle, instanceID, infixTxn))
}

// ParseRecycleTxn decodes a RecycleTxn key.
func ParseRecycleTxn(key []byte) (RecycleTxnKey, error) {
	inst, ids, err := shapeRecycleTxn.parse(key)
	if err != nil {
		return RecycleTxnKey{}, err
	}
	return RecycleTxnKey{Instance: inst, DBID: ids[0].i, TxnID: ids[1].i}, nil
}

// ---------------------------------------------------------------- stats

// Tablet stats counter names (the trailing field of TabletStatsCounter keys).
const (
	StatsDataSize   = "data_size"
	StatsNumRows    = "num_rows"
	StatsNumRowsets = "num_rowsets"
	StatsNumSegs    = "num_segs"
)

// TabletStatsKey is a decoded TabletStats key.
type TabletStatsKey struct {
	Instance    string
	TableID     int64
	IndexID     int64
	PartitionID int64
	TabletID    int64
}

// TabletStats is the key of a tablet's stats message:
// 0x01 "stats" ${instance_id} "tablet" ${table_id} ${index_id} ${partition_id} ${tablet_id}.
func TabletStats(instanceID string, tableID, indexID, partitionID, tabletID int64) []byte {
	return appendInts(head(familyStats, instanceID, infixTablet), tableID, indexID, partitionID, tabletID)
}

// ParseTabletStats decodes a TabletStats key (not a counter key).
func ParseTabletStats(key []byte) (TabletStatsKey, error) {
	inst, ids, err := shapeTabletStats.parse(key)
	if err != nil {
		return TabletStatsKey{}, err
	}
	return TabletStatsKey{Instance: inst, TableID: ids[0].i, IndexID: ids[1].i, PartitionID: ids[2].i, TabletID: ids[3].i}, nil
}

// TabletStatsCounterKey is a decoded TabletStatsCounter key.
type TabletStatsCounterKey struct {
	TabletStatsKey
	Counter string
}

// TabletStatsCounter is the key of one split counter of a tablet's stats (an 8-byte
// little-endian int64 updated with kv atomic add, so concurrent loads do not conflict on it):
// the TabletStats key followed by the counter name (StatsDataSize, StatsNumRows, ...).
func TabletStatsCounter(instanceID string, tableID, indexID, partitionID, tabletID int64, counter string) []byte {
	return appendBytes(TabletStats(instanceID, tableID, indexID, partitionID, tabletID), counter)
}

// ParseTabletStatsCounter decodes a TabletStatsCounter key.
func ParseTabletStatsCounter(key []byte) (TabletStatsCounterKey, error) {
	inst, ids, err := shapeTabletStatsCtr.parse(key)
	if err != nil {
		return TabletStatsCounterKey{}, err
	}
	return TabletStatsCounterKey{
		TabletStatsKey: TabletStatsKey{Instance: inst, TableID: ids[0].i, IndexID: ids[1].i, PartitionID: ids[2].i, TabletID: ids[3].i},
		Counter:        ids[4].s,
	}, nil
}

// TabletStatsRange is [begin, end) over a tablet's TabletStats key and all its counters.
func TabletStatsRange(instanceID string, tableID, indexID, partitionID, tabletID int64) (begin, end []byte) {
	return prefixRange(TabletStats(instanceID, tableID, indexID, partitionID, tabletID))
}

// ColumnStatsKey is a decoded ColumnStats key.
type ColumnStatsKey struct {
	Instance string
	TableID  int64
	Column   string
}

// ColumnStats is the key of the statistics of one column of a table (ANALYZE TABLE's result):
// 0x01 "stats" ${instance_id} "column" ${table_id} ${column_name}.
func ColumnStats(instanceID string, tableID int64, column string) []byte {
	return appendBytes(appendInts(head(familyStats, instanceID, infixColumn), tableID), column)
}

// ColumnStatsRange is [begin, end) over the ColumnStats keys of every column of a table.
func ColumnStatsRange(instanceID string, tableID int64) (begin, end []byte) {
	return prefixRange(appendInts(head(familyStats, instanceID, infixColumn), tableID))
}

// ParseColumnStats decodes a ColumnStats key.
func ParseColumnStats(key []byte) (ColumnStatsKey, error) {
	inst, ids, err := shapeColumnStats.parse(key)
	if err != nil {
		return ColumnStatsKey{}, err
	}
	return ColumnStatsKey{Instance: inst, TableID: ids[0].i, Column: ids[1].s}, nil
}

// ---------------------------------------------------------------- storage_vault

// StorageVaultKey is a decoded StorageVault key.
type StorageVaultKey struct {
	Instance string
	VaultID  string
}

// StorageVault is the key of a StorageVault by id: 0x01 "storage_vault" ${instance_id} "vault" ${vault_id}.
func StorageVault(instanceID, vaultID string) []byte {
	return appendBytes(head(familyStorageVault, instanceID, infixVault), vaultID)
}

// StorageVaultRange is [begin, end) over every vault of the instance, in id order.
func StorageVaultRange(instanceID string) (begin, end []byte) {
	p := head(familyStorageVault, instanceID, infixVault)
	return p, prefixEnd(p)
}

// ParseStorageVault decodes a StorageVault key.
func ParseStorageVault(key []byte) (StorageVaultKey, error) {
	inst, ids, err := shapeStorageVault.parse(key)
	if err != nil {
		return StorageVaultKey{}, err
	}
	return StorageVaultKey{Instance: inst, VaultID: ids[0].s}, nil
}

// ---------------------------------------------------------------- txn

// TxnIndexKey is a decoded TxnIndex key.
type TxnIndexKey struct {
	Instance string
	TxnID    int64
}

// TxnIndex is the key that maps a txn id to its db id: 0x01 "txn" ${instance_id} "txn_index" ${txn_id}.
func TxnIndex(instanceID string, txnID int64) []byte {
	return appendInt64(head(familyTxn, instanceID, infixTxnIndex), txnID)
}

// ParseTxnIndex decodes a TxnIndex key.
func ParseTxnIndex(key []byte) (TxnIndexKey, error) {
	inst, ids, err := shapeTxnIndex.parse(key)
	if err != nil {
		return TxnIndexKey{}, err
	}
	return TxnIndexKey{Instance: inst, TxnID: ids[0].i}, nil
}

// TxnInfoKey is a decoded TxnInfo key.
type TxnInfoKey struct {
	Instance string
	DBID     int64
	TxnID    int64
}

// TxnInfo is the key of a TxnInfo: 0x01 "txn" ${instance_id} "txn_info" ${db_id} ${txn_id}.
func TxnInfo(instanceID string, dbID, txnID int64) []byte {
	return appendInt64(appendInt64(head(familyTxn, instanceID, infixTxnInfo), dbID), txnID)
}

// TxnInfoRange is the range of every TxnInfo key of a database, in txn id order.
func TxnInfoRange(instanceID string, dbID int64) (begin, end []byte) {
	p := appendInt64(head(familyTxn, instanceID, infixTxnInfo), dbID)
	return p, prefixEnd(p)
}

// ParseTxnInfo decodes a TxnInfo key.
func ParseTxnInfo(key []byte) (TxnInfoKey, error) {
	inst, ids, err := shapeTxnInfo.parse(key)
	if err != nil {
		return TxnInfoKey{}, err
	}
	return TxnInfoKey{Instance: inst, DBID: ids[0].i, TxnID: ids[1].i}, nil
}

// TxnLabelKey is a decoded TxnLabel key.
type TxnLabelKey struct {
	Instance string
	DBID     int64
	Label    string
}

// TxnLabel is the key that maps a load label of a database to the latest txn that used it:
// 0x01 "txn" ${instance_id} "txn_label" ${db_id} ${label}.
func TxnLabel(instanceID string, dbID int64, label string) []byte {
	return appendBytes(appendInt64(head(familyTxn, instanceID, infixTxnLabel), dbID), label)
}

// ParseTxnLabel decodes a TxnLabel key.
func ParseTxnLabel(key []byte) (TxnLabelKey, error) {
	inst, ids, err := shapeTxnLabel.parse(key)
	if err != nil {
		return TxnLabelKey{}, err
	}
	return TxnLabelKey{Instance: inst, DBID: ids[0].i, Label: ids[1].s}, nil
}

// TxnRunningKey is a decoded TxnRunning key.
type TxnRunningKey struct {
	Instance string
	DBID     int64
	TxnID    int64
}

// TxnRunning is the key present while a txn is neither visible nor aborted:
// 0x01 "txn" ${instance_id} "txn_running" ${db_id} ${txn_id}.
func TxnRunning(instanceID string, dbID, txnID int64) []byte {
	return appendInt64(appendInt64(head(familyTxn, instanceID, infixTxnRunning), dbID), txnID)
}

// TxnRunningRange is [begin, end) over the running txns of a database, in txn id order.
func TxnRunningRange(instanceID string, dbID int64) (begin, end []byte) {
	p := appendInt64(head(familyTxn, instanceID, infixTxnRunning), dbID)
	return p, prefixEnd(p)
}

// TxnRunningInstanceRange is the range of every TxnRunning key of an instance (all databases).
func TxnRunningInstanceRange(instanceID string) (begin, end []byte) {
	p := head(familyTxn, instanceID, infixTxnRunning)
	return p, prefixEnd(p)
}

// ParseTxnRunning decodes a TxnRunning key.
func ParseTxnRunning(key []byte) (TxnRunningKey, error) {
	inst, ids, err := shapeTxnRunning.parse(key)
	if err != nil {
		return TxnRunningKey{}, err
	}
	return TxnRunningKey{Instance: inst, DBID: ids[0].i, TxnID: ids[1].i}, nil
}

// ---------------------------------------------------------------- version

// PartitionVersionKey is a decoded PartitionVersion key.
type PartitionVersionKey struct {
	Instance    string
	DBID        int64
	TableID     int64
	PartitionID int64
}

// PartitionVersion is the key of a partition's visible version:
// 0x01 "version" ${instance_id} "partition" ${db_id} ${table_id} ${partition_id}.
func PartitionVersion(instanceID string, dbID, tableID, partitionID int64) []byte {
	b := head(familyVersion, instanceID, infixPartition)
	b = appendInt64(b, dbID)
	b = appendInt64(b, tableID)
	return appendInt64(b, partitionID)
}

// ParsePartitionVersion decodes a PartitionVersion key.
func ParsePartitionVersion(key []byte) (PartitionVersionKey, error) {
	inst, ids, err := shapePartitionVersn.parse(key)
	if err != nil {
		return PartitionVersionKey{}, err
	}
	return PartitionVersionKey{Instance: inst, DBID: ids[0].i, TableID: ids[1].i, PartitionID: ids[2].i}, nil
}

// PartitionVersionRange is [begin, end) over the PartitionVersion keys of every partition of a
// table, in partition id order.
func PartitionVersionRange(instanceID string, dbID, tableID int64) (begin, end []byte) {
	return prefixRange(appendInts(head(familyVersion, instanceID, infixPartition), dbID, tableID))
}

// TableVersionKey is a decoded TableVersion key.
type TableVersionKey struct {
	Instance string
	DBID     int64
	TableID  int64
}

// TableVersion is the key of a table's version (bumped by every commit that touches the table):
// 0x01 "version" ${instance_id} "table" ${db_id} ${table_id}.
func TableVersion(instanceID string, dbID, tableID int64) []byte {
	return appendInts(head(familyVersion, instanceID, infixTable), dbID, tableID)
}

// ParseTableVersion decodes a TableVersion key.
func ParseTableVersion(key []byte) (TableVersionKey, error) {
	inst, ids, err := shapeTableVersion.parse(key)
	if err != nil {
		return TableVersionKey{}, err
	}
	return TableVersionKey{Instance: inst, DBID: ids[0].i, TableID: ids[1].i}, nil
}
