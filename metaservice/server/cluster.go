package server

import (
	"context"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/cluster"
	"github.com/doricdb/doric/metaservice/kv"
)

func (s *Server) CreateComputeGroup(ctx context.Context, req *metapb.CreateComputeGroupRequest) (*metapb.CreateComputeGroupResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.CreateComputeGroupResponse, error) {
		g, existed, err := cluster.CreateGroup(tx, req.GetInstanceId(), req.GetGroup(), now)
		return &metapb.CreateComputeGroupResponse{Group: g, AlreadyExisted: existed}, err
	})
}

func (s *Server) GetComputeGroup(ctx context.Context, req *metapb.GetComputeGroupRequest) (*metapb.GetComputeGroupResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.GetComputeGroupResponse, error) {
		g, err := cluster.Group(tx, req.GetInstanceId(), req.GetName())
		return &metapb.GetComputeGroupResponse{Group: g}, err
	})
}

func (s *Server) ListComputeGroups(ctx context.Context, req *metapb.ListComputeGroupsRequest) (*metapb.ListComputeGroupsResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.ListComputeGroupsResponse, error) {
		gs, err := cluster.Groups(tx, req.GetInstanceId())
		return &metapb.ListComputeGroupsResponse{Groups: gs}, err
	})
}

func (s *Server) DropComputeGroup(ctx context.Context, req *metapb.DropComputeGroupRequest) (*metapb.DropComputeGroupResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, _ time.Time) (*metapb.DropComputeGroupResponse, error) {
		existed, err := cluster.DropGroup(tx, req.GetInstanceId(), req.GetName())
		return &metapb.DropComputeGroupResponse{Existed: existed}, err
	})
}

func (s *Server) SuspendComputeGroup(ctx context.Context, req *metapb.SuspendComputeGroupRequest) (*metapb.SuspendComputeGroupResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, _ time.Time) (*metapb.SuspendComputeGroupResponse, error) {
		g, err := cluster.SetStatus(tx, req.GetInstanceId(), req.GetName(), metapb.ComputeGroupStatus_GROUP_SUSPENDED)
		return &metapb.SuspendComputeGroupResponse{Group: g}, err
	})
}

func (s *Server) ResumeComputeGroup(ctx context.Context, req *metapb.ResumeComputeGroupRequest) (*metapb.ResumeComputeGroupResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, _ time.Time) (*metapb.ResumeComputeGroupResponse, error) {
		g, err := cluster.SetStatus(tx, req.GetInstanceId(), req.GetName(), metapb.ComputeGroupStatus_GROUP_NORMAL)
		return &metapb.ResumeComputeGroupResponse{Group: g}, err
	})
}

func (s *Server) AddNode(ctx context.Context, req *metapb.AddNodeRequest) (*metapb.AddNodeResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.AddNodeResponse, error) {
		g, err := cluster.AddNode(tx, req.GetInstanceId(), req.GetGroupName(), req.GetNode(), now)
		return &metapb.AddNodeResponse{Group: g}, err
	})
}

func (s *Server) RemoveNode(ctx context.Context, req *metapb.RemoveNodeRequest) (*metapb.RemoveNodeResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, _ time.Time) (*metapb.RemoveNodeResponse, error) {
		g, existed, err := cluster.RemoveNode(tx, req.GetInstanceId(), req.GetGroupName(), req.GetNodeId())
		return &metapb.RemoveNodeResponse{Group: g, Existed: existed}, err
	})
}

func (s *Server) ListNodes(ctx context.Context, req *metapb.ListNodesRequest) (*metapb.ListNodesResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.ListNodesResponse, error) {
		ns, err := cluster.Nodes(tx, req.GetInstanceId(), req.GetGroupName())
		return &metapb.ListNodesResponse{Nodes: ns}, err
	})
}

func (s *Server) Heartbeat(ctx context.Context, req *metapb.HeartbeatRequest) (*metapb.HeartbeatResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.HeartbeatResponse, error) {
		st, err := cluster.Heartbeat(tx, req.GetInstanceId(), req.GetGroupName(), req.GetNodeId(), now)
		return &metapb.HeartbeatResponse{GroupStatus: st}, err
	})
}
