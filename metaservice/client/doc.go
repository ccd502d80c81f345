// Package client is how every other component talks to the Meta Service: a typed gRPC client
// bound to one instance (tenant). It is the only package of metaservice/ that code outside
// metaservice/ and cmd/ imports (the recycler, which reads the KV store itself, aside), and it
// imports nothing of the repo but api/.
//
// Requests carry the client's instance id: a request whose instance_id field is empty gets the
// client's before it is sent (on a copy; the caller's message is not modified). Calls that fail
// with Unavailable (server not up yet, connection lost before the call was handled) are retried
// by gRPC with exponential backoff, up to 5 attempts. Every Meta Service RPC tolerates a repeat
// (names, labels and rowset ids make repeats no-ops), with two visible differences when the first
// attempt did reach the server: a repeated BeginTxn answers label_exists with the caller's own
// txn, and a repeated CommitTxn returns the visible txn without its versions. Other errors are
// gRPC statuses with the codes documented in api/metapb/meta.proto; classify them with
// status.Code.
//
// A Client is safe for concurrent use.
package client
