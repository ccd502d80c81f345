// Package load is the frontend's side of Stream Load (Doris's HTTP load API, see
// docs/rfcs/stream-load.md):
//
//   - PUT /api/{db}/{table}/_stream_load authenticates the user (HTTP Basic, the same users and
//     passwords as the MySQL protocol) and answers 307 Temporary Redirect to the same path and
//     query on a running compute node of the frontend's compute group, chosen round-robin. The
//     body is not read: `curl --location-trusted` sends it (and the credentials) again to the
//     compute node, which runs the load.
//   - POST /api/_load_plan is what a compute node calls (with the user's Authorization header)
//     to plan a load: loadpb.PlanRequest in, loadpb.PlanResponse out, both protobuf JSON. The
//     plan binds the `columns` and `where` headers with the SQL binder (BindLoad), so the compute
//     node only evaluates expressions; it carries the schema, the tablets of the partitions the
//     load may write, the vault and the table's group commit settings.
//   - The plan also carries the table's partitioning and the bounds of each partition the load
//     may write, so that the compute node routes rows to partitions itself (package
//     compute/partition, the code INSERT uses).
//   - POST /api/_auto_partitions is what a compute node calls when rows of a load into an AUTO
//     PARTITION table need partitions that do not exist: loadpb.AutoPartitionRequest (the
//     keys) in, loadpb.AutoPartitionResponse (the partitions holding them, with their tablets)
//     out; missing partitions are created with Doris's names and bounds through
//     Config.Partitions (the DDL executor's CreateAutoPartitions).
//   - PUT /api/{db}/_stream_load_2pc commits or aborts a two-phase-commit load, found by the
//     `txn_id` or `label` header, as `txn_operation: commit|abort` says; a commit goes through a
//     compute node's CommitTxn (the publish every load commits through).
//
// Errors answer JSON. For _stream_load they have the shape of a stream load result (Status
// "Fail", Message); for _stream_load_2pc Doris's {"status", "msg"}; for _load_plan
// {"status": "FAILED", "msg"} with 401 (credentials), 404 (database or table) or 400 (headers);
// the same for _auto_partitions, which adds 500 when creating the partitions failed.
//
// A Handler holds no state besides a round-robin counter; it is safe for concurrent use.
package load
