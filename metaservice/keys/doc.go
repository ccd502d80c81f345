// Package keys is THE key space of the Meta Service: the only package that builds or decodes key
// bytes. Every other package asks it for a key (or a [begin, end) range) by name and ids.
//
// # Encoding
//
// A key is a key-space byte (SpaceUser, 0x01) followed by tagged fields:
//
//	byte string  0x01, the bytes with 0x00 escaped as 0x00 0xFF, then the terminator 0x00 0x01
//	int64        0x02, 8 bytes big-endian of the value with its sign bit flipped
//
// The encoding is order-preserving: comparing two encoded keys byte-wise gives the same answer as
// comparing their field tuples element by element (byte strings before integers, a tuple before
// its extensions). So a key that is a prefix of tuples is the start of their contiguous range, all
// rowsets of a tablet are one range in version order, and dropping a table is a range clear.
// Decoding is canonical: a decoder accepts exactly the bytes the encoder produces. The byte-exact
// layout is in FORMAT.md and pinned by testdata/ fixtures.
//
// # Map
//
// Every key is 0x01 ${family} ${instance_id} [${infix}] ${ids...}; values are protobuf messages of
// api/metapb. In sort order:
//
//	"instance"      ${instance_id}                                            InstanceInfo
//	"instance"      ${instance_id} "compute_group" ${name}                    ComputeGroup (nodes empty)
//	"instance"      ${instance_id} "compute_node"  ${group_name} ${node_id}   NodeInfo
//	"instance"      ${instance_id} "counter"       ${name}                    int64 LE (kv atomic add)
//	"job"           ${instance_id} "recycle"                                  recycler lease of the instance
//	"job"           ${instance_id} "tablet"        ${table_id} ${index_id} ${partition_id} ${tablet_id}  tablet jobs (compaction leases)
//	"meta"          ${instance_id} "delete_bitmap" ${tablet_id} ${rowset_id} ${version} ${segment_id}  delete bitmap of a segment
//	"meta"          ${instance_id} "delete_bitmap_lock"    ${table_id} ${partition_id}  delete-bitmap update lock
//	"meta"          ${instance_id} "delete_bitmap_pending" ${tablet_id}       pending delete bitmaps of a tablet
//	"meta"          ${instance_id} "rowset"        ${tablet_id} ${end_version} RowsetMeta (visible)
//	"meta"          ${instance_id} "rowset_tmp"    ${txn_id} ${tablet_id}     RowsetMeta (committed, not visible)
//	"meta"          ${instance_id} "schema"        ${index_id} ${schema_version}  schema of an index
//	"meta"          ${instance_id} "tablet"        ${table_id} ${index_id} ${partition_id} ${tablet_id}  TabletMeta
//	"meta"          ${instance_id} "tablet_index"  ${tablet_id}               TabletMeta (ids only)
//	"recycle"       ${instance_id} "index"         ${index_id}                RecycleIndex
//	"recycle"       ${instance_id} "partition"     ${partition_id}            RecyclePartition
//	"recycle"       ${instance_id} "rowset"        ${tablet_id} ${rowset_id}  RecycleRowset
//	"recycle"       ${instance_id} "txn"           ${db_id} ${txn_id}         RecycleTxn
//	"stats"         ${instance_id} "column"        ${table_id} ${column_name}  ColumnStats (ANALYZE TABLE)
//	"stats"         ${instance_id} "tablet"        ${table_id} ${index_id} ${partition_id} ${tablet_id}  TabletStats
//	"stats"         ${instance_id} "tablet"        ${table_id} ${index_id} ${partition_id} ${tablet_id} ${counter}  int64 LE (kv atomic add)
//	"storage_vault" ${instance_id} "vault"         ${vault_id}                StorageVault
//	"txn"           ${instance_id} "txn_index"     ${txn_id}                  TxnInfo (txn_id, db_id only)
//	"txn"           ${instance_id} "txn_info"      ${db_id} ${txn_id}         TxnInfo
//	"txn"           ${instance_id} "txn_label"     ${db_id} ${label}          TxnInfo (txn_id, db_id, label only)
//	"txn"           ${instance_id} "txn_running"   ${db_id} ${txn_id}         TxnInfo (ids, table_ids, times only)
//	"version"       ${instance_id} "partition"     ${db_id} ${table_id} ${partition_id}  PartitionVersion
//	"version"       ${instance_id} "table"         ${db_id} ${table_id}       table version
//
// Value messages are named after their api/metapb types where those exist; the keys package
// does not depend on values. Stats counters (${counter} one of StatsDataSize, StatsNumRows,
// StatsNumRowsets, StatsNumSegs) are split from the stats message so that concurrent loads into
// one tablet add to them without conflicting, as Doris does; a tablet's stats are the message
// plus its counters, read together with TabletStatsRange.
//
// Compute groups and their nodes are instance-scoped infixes under "instance" (Doris keeps them
// inside InstanceInfoPB; separate keys let heartbeats of different nodes commit without
// conflicting). Tablets are keyed under table/index/partition as in Doris, and "tablet_index"
// finds a tablet's key from its id alone. Index values ("txn_index", "txn_label", "txn_running",
// "tablet_index") are the indexed message with only its id fields set, as listed.
//
// # Use
//
// For each key kind K there is a constructor K(instanceID, ids...) []byte, a decoder
// ParseK(key) (KKey, error) (ParseInstance and ParseJobRecycle return the id), and where the
// domain scans, a KRange(...) (begin, end []byte); tablets have one range per level
// (TabletTableRange, TabletIndexRange, TabletRange), and InstanceRange spans every instance.
// All functions are pure and safe for concurrent use. Pretty renders any key for logs.
package keys
