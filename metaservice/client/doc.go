// Package client is how every other component talks to the Meta Service: a typed gRPC client
// bound to one instance (tenant). It is the only package of metaservice/ that code outside
// metaservice/ and cmd/ imports (the recycler, which reads the KV store itself, aside), and it
// imports nothing of the repo but api/.
//
// Requests carry the client's instance id: a request whose instance_id field is empty gets the
// client's before it is sent (on a copy; the caller's message is not modified). Calls that fail
// with Unavailable (server not up yet, connection lost before the call was handled) are retried
// by gRPC with exponential backoff, up to 5 attempts. Every Meta Service RPC tolerates a repeat
// (names, labels, rowset ids and job ids make repeats no-ops; drops of what is gone succeed): a
// BeginTxn without a request_id gets a random one here, so a retry of the call that reached the
// server returns the caller's own txn as new rather than as label_exists, and a repeated CommitTxn
// returns the visible txn with the versions it got. Other errors are gRPC statuses with the codes
// documented in api/metapb/meta.proto; classify them with status.Code.
//
// A Client is safe for concurrent use.
package client
