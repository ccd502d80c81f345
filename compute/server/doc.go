// Package server is the compute node's gRPC service (computepb.ComputeService): ExecFragment
// runs a plan fragment over tablets read from the vault and streams its batches back; Write loads
// rows into tablets (package load); CheckVault probes a storage vault about to be created
// (vault.Check through vault/spec), answering ok=false with the failed step rather than an RPC
// error when the vault does not work; Compact compacts tablets through the node's compactor
// (package compaction; ALTER TABLE ... COMPACT), waiting for them when asked. CommitTxn commits
// a load transaction through package
// compute/publish (merge-on-write delete bitmaps first, under the delete-bitmap lock): the one
// commit path of every load; the publisher and the node's primary-key cache are shared with
// Stream Load (Publisher). Vaults opens the vaults a node reads and writes, with a file
// cache in front of each remote one. The node owns no state: tablet metadata comes from the Meta
// Service on every scan, data from the vault.
//
// ExecFragment sends one response per output batch (a batch whose encoding would exceed 2 MiB is
// split, so responses stay under gRPC's default 4 MiB receive limit); when the fragment produces
// no rows it sends one empty batch that still carries the column types, so a stream is never
// schemaless.
//
// A fragment runs as ExecFragmentRequest.parallel_pipeline_task_num pipeline tasks (0: the
// node's GOMAXPROCS; see package exec) under a per-query exec.MemTracker limited to
// exec_mem_limit bytes (0: none); it stops at the next batch boundary when the RPC's context ends
// (the frontend cancelled the query: KILL, query_timeout, a closed connection).
//
// Errors are mapped to gRPC codes here and only here: bad plans, bad input rows and arithmetic
// overflow are InvalidArgument (their message is meant for the user), features this build does
// not have are Unimplemented, corrupt or missing segment files are DataLoss, Meta Service errors
// keep their code, Doris's -235 (too many versions) and MEM_LIMIT_EXCEEDED are ResourceExhausted
// (the latter's message, naming the limit, is passed as is), and everything else is Internal.
//
// A Server is safe for concurrent use by any number of RPCs.
package server
