// Package metaerr classifies the errors of the Meta Service's domain logic. Domain packages wrap
// one of these sentinels with context (fmt.Errorf("txn %d: %w", id, metaerr.ErrNotFound)); the
// gRPC edge (package server) maps them to status codes, and nothing else inspects them.
// Errors of the KV layer (package kv) keep their own sentinels.
package metaerr
