// Package metaservice is the Meta Service role as a process component: it opens the embedded KV
// store, serves the gRPC service of package server on GRPCAddr and Prometheus /metrics plus
// /api/health on HTTPAddr. cmd/doric and internal/standalone construct it with New(Config) and
// run it with Run(ctx).
//
// The logic lives in the subpackages (keys, kv, instance, cluster, tablet, txn, rowset, version,
// server); other components talk to a running service only through package client (the
// recycler, which shares the KV store, uses DB or OpenKV). Bootstrap is the idempotent first-start
// of an instance that standalone mode and tests use.
//
// New binds the listeners (so Addr is known before Run, also with port 0) and opens the store;
// Run serves until its context ends, then stops gracefully and closes everything New opened.
// Close releases a Service that is never Run. A Service is safe for concurrent use.
package metaservice
