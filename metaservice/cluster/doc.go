// Package cluster is the registry of compute groups and their nodes. A group is stored without
// its nodes under keys.ComputeGroup (by name); each node is its own NodeInfo under
// keys.ComputeNode (by group name and node id), so heartbeats of different nodes touch different
// keys. Functions that return a group fill in its nodes, in node id order.
//
// CreateGroup is idempotent by name (an existing group is returned with existed=true); group ids
// are assigned from the instance's "compute_group_id" counter when empty. AddNode upserts by
// node id. Heartbeat stamps last_heartbeat_ms and tells the node its group's status. SetStatus
// suspends or resumes a group (GROUP_SUSPENDED, GROUP_NORMAL); its nodes stay registered.
// DropGroup (the group with its nodes) and RemoveNode succeed when there is nothing to remove,
// reporting whether there was, so replays are harmless.
//
// Functions run inside the caller's kv transaction and do not check that the instance exists
// (the caller does). They may be called concurrently from different transactions.
package cluster
