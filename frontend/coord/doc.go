// Package coord is the frontend's coordinator: it turns a bound plan fragment into work on the
// compute nodes of a compute group and streams the results back, and it drives a load
// transaction (begin, write through a compute node, commit or abort) for INSERT.
//
// Snapshot: Query asks the Meta Service for the version of every partition the fragment scans
// once, before dispatch, and stamps it into every scan range, so the whole query reads one
// snapshot however many loads commit meanwhile. Only the partitions the binder kept for each
// scan (PARTITION clause, partition pruning) get scan ranges.
//
// Loads: rows are routed to partitions in the frontend (catalog.Router), partitions an AUTO
// PARTITION table lacks are created first (Config.Partitions), and each partition's rows go in a
// write request of their own (compute nodes take one partition per request), a few in flight at
// a time, all in the load's transaction, which commits only when every write succeeded. The
// commit goes through a compute node's CommitTxn (Commit: the publish, which computes the delete
// bitmaps of merge-on-write tables), never straight to the Meta Service.
//
// DML: INSERT ... SELECT, UPDATE and DELETE on UNIQUE tables load their rows with LoadAs (the
// statement's Kind goes into generated labels and the txn's request id, which SHOW LOAD reads);
// DELETE on DUPLICATE/AGGREGATE tables is DeleteWhere: one txn, a delete-predicate rowset on
// every tablet of the chosen partitions.
//
// Placement: a tablet's owner inside a group is chosen by rendezvous (highest-random-weight)
// hashing of the tablet id over the group's running nodes, so adding a node moves only its share.
// Until exchanges exist (a later issue) a fragment runs whole on one node: the owner of its first
// tablet; storage is shared, so that node can read every tablet.
//
// A Coordinator is safe for concurrent use.
package coord
