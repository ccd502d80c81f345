package cluster

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
)

const groupIDCounter = "compute_group_id"

// CreateGroup stores a new group and its nodes, or returns the existing group of that name with
// existed=true (leaving it unchanged).
func CreateGroup(tx kv.Txn, instanceID string, g *metapb.ComputeGroup, now time.Time) (*metapb.ComputeGroup, bool, error) {
	if g.GetName() == "" {
		return nil, false, fmt.Errorf("compute group name is empty: %w", metaerr.ErrInvalidArgument)
	}
	existing, err := Group(tx, instanceID, g.GetName())
	if err == nil {
		return existing, true, nil
	}
	if !isNotFound(err) {
		return nil, false, err
	}
	stored := proto.Clone(g).(*metapb.ComputeGroup)
	stored.Nodes = nil
	if stored.Id == "" {
		n, err := kv.Increment(tx, keys.Counter(instanceID, groupIDCounter))
		if err != nil {
			return nil, false, err
		}
		stored.Id = strconv.FormatInt(n, 10)
	}
	if err := kv.SetProto(tx, keys.ComputeGroup(instanceID, stored.Name), stored); err != nil {
		return nil, false, err
	}
	for _, n := range g.GetNodes() {
		if err := putNode(tx, instanceID, stored.Name, n, now); err != nil {
			return nil, false, err
		}
	}
	out, err := Group(tx, instanceID, stored.Name)
	return out, false, err
}

// Group returns the named group with its nodes, or an error wrapping metaerr.ErrNotFound.
func Group(tx kv.ReadTxn, instanceID, name string) (*metapb.ComputeGroup, error) {
	g := &metapb.ComputeGroup{}
	ok, err := kv.GetProto(tx, keys.ComputeGroup(instanceID, name), g)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("compute group %q: %w", name, metaerr.ErrNotFound)
	}
	if g.Nodes, err = nodes(tx, instanceID, name); err != nil {
		return nil, err
	}
	return g, nil
}

// Groups returns every group of the instance with its nodes, in name order.
func Groups(tx kv.ReadTxn, instanceID string) ([]*metapb.ComputeGroup, error) {
	begin, end := keys.ComputeGroupRange(instanceID)
	out, err := kv.ScanProto[metapb.ComputeGroup](tx, begin, end, 0, false)
	if err != nil {
		return nil, fmt.Errorf("compute groups: %w", err)
	}
	for _, g := range out {
		if g.Nodes, err = nodes(tx, instanceID, g.GetName()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Nodes returns the nodes of the named group in node id order; an unknown group wraps
// metaerr.ErrNotFound.
func Nodes(tx kv.ReadTxn, instanceID, group string) ([]*metapb.NodeInfo, error) {
	g, err := Group(tx, instanceID, group)
	if err != nil {
		return nil, err
	}
	return g.GetNodes(), nil
}

// DropGroup removes the named group and its nodes. It reports whether the group existed (a
// missing group is not an error: a replayed drop succeeds).
func DropGroup(tx kv.Txn, instanceID, name string) (bool, error) {
	if name == "" {
		return false, fmt.Errorf("compute group name is empty: %w", metaerr.ErrInvalidArgument)
	}
	v, err := tx.Get(keys.ComputeGroup(instanceID, name))
	if err != nil || v == nil {
		return false, err
	}
	if err := tx.Clear(keys.ComputeGroup(instanceID, name)); err != nil {
		return false, err
	}
	begin, end := keys.ComputeNodeRange(instanceID, name)
	return true, tx.ClearRange(begin, end)
}

// SetStatus suspends (GROUP_SUSPENDED) or resumes (GROUP_NORMAL) the named group and returns it.
// Setting the status it has is a no-op.
func SetStatus(tx kv.Txn, instanceID, name string, status metapb.ComputeGroupStatus) (*metapb.ComputeGroup, error) {
	g := &metapb.ComputeGroup{}
	ok, err := kv.GetProto(tx, keys.ComputeGroup(instanceID, name), g)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("compute group %q: %w", name, metaerr.ErrNotFound)
	}
	if g.GetStatus() != status {
		g.Status = status
		if err := kv.SetProto(tx, keys.ComputeGroup(instanceID, name), g); err != nil {
			return nil, err
		}
	}
	return Group(tx, instanceID, name)
}

// RemoveNode removes a node from the named group and returns the group; it reports whether the
// node existed (a missing node is not an error). An unknown group wraps metaerr.ErrNotFound.
func RemoveNode(tx kv.Txn, instanceID, group, nodeID string) (*metapb.ComputeGroup, bool, error) {
	if _, err := Group(tx, instanceID, group); err != nil {
		return nil, false, err
	}
	key := keys.ComputeNode(instanceID, group, nodeID)
	v, err := tx.Get(key)
	if err != nil {
		return nil, false, err
	}
	if v != nil {
		if err := tx.Clear(key); err != nil {
			return nil, false, err
		}
	}
	g, err := Group(tx, instanceID, group)
	return g, v != nil, err
}

func nodes(tx kv.ReadTxn, instanceID, group string) ([]*metapb.NodeInfo, error) {
	begin, end := keys.ComputeNodeRange(instanceID, group)
	out, err := kv.ScanProto[metapb.NodeInfo](tx, begin, end, 0, false)
	if err != nil {
		return nil, fmt.Errorf("nodes of group %q: %w", group, err)
	}
	return out, nil
}

// AddNode registers node in the named group, or updates the addresses (and status, when set) of
// the node with that id. A new node starts RUNNING. It returns the group with its nodes.
func AddNode(tx kv.Txn, instanceID, group string, node *metapb.NodeInfo, now time.Time) (*metapb.ComputeGroup, error) {
	if _, err := Group(tx, instanceID, group); err != nil {
		return nil, err
	}
	if err := putNode(tx, instanceID, group, node, now); err != nil {
		return nil, err
	}
	return Group(tx, instanceID, group)
}

func putNode(tx kv.Txn, instanceID, group string, node *metapb.NodeInfo, now time.Time) error {
	if node.GetNodeId() == "" {
		return fmt.Errorf("node id is empty: %w", metaerr.ErrInvalidArgument)
	}
	key := keys.ComputeNode(instanceID, group, node.GetNodeId())
	stored := &metapb.NodeInfo{}
	ok, err := kv.GetProto(tx, key, stored)
	if err != nil {
		return err
	}
	if !ok {
		stored = &metapb.NodeInfo{NodeId: node.GetNodeId(), Status: metapb.NodeStatus_NODE_RUNNING, LastHeartbeatMs: now.UnixMilli()}
	}
	stored.GrpcAddress = node.GetGrpcAddress()
	stored.HttpAddress = node.GetHttpAddress()
	if node.GetStatus() != metapb.NodeStatus_NODE_UNKNOWN {
		stored.Status = node.GetStatus()
	}
	return kv.SetProto(tx, key, stored)
}

// Heartbeat sets the node's last_heartbeat_ms to now and returns its group's status. An unknown
// node wraps metaerr.ErrNotFound.
func Heartbeat(tx kv.Txn, instanceID, group, nodeID string, now time.Time) (metapb.ComputeGroupStatus, error) {
	key := keys.ComputeNode(instanceID, group, nodeID)
	n := &metapb.NodeInfo{}
	ok, err := kv.GetProto(tx, key, n)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("node %q of compute group %q: %w", nodeID, group, metaerr.ErrNotFound)
	}
	g := &metapb.ComputeGroup{}
	if _, err := kv.GetProto(tx, keys.ComputeGroup(instanceID, group), g); err != nil {
		return 0, err
	}
	n.LastHeartbeatMs = now.UnixMilli()
	return g.GetStatus(), kv.SetProto(tx, key, n)
}

func isNotFound(err error) bool { return errors.Is(err, metaerr.ErrNotFound) }
