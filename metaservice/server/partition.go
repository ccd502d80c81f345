package server

import (
	"context"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/partition"
)

func (s *Server) indexes(ctx context.Context, op partition.Op, req *metapb.IndexRequest) (*metapb.IndexResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.IndexResponse, error) {
		v, err := partition.Indexes(tx, req.GetInstanceId(), op, req, now, s.partitionRetention())
		resp := &metapb.IndexResponse{}
		if req.GetUpdateTableVersion() && op != partition.Prepare {
			resp.TableVersion = &metapb.TableVersion{DbId: req.GetDbId(), TableId: req.GetTableId(), Version: v}
		}
		return resp, err
	})
}

func (s *Server) partitions(ctx context.Context, op partition.Op, req *metapb.PartitionRequest) (*metapb.PartitionResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.PartitionResponse, error) {
		v, err := partition.Partitions(tx, req.GetInstanceId(), op, req, now, s.partitionRetention())
		resp := &metapb.PartitionResponse{}
		if req.GetUpdateTableVersion() && op != partition.Prepare {
			resp.TableVersion = &metapb.TableVersion{DbId: req.GetDbId(), TableId: req.GetTableId(), Version: v}
		}
		return resp, err
	})
}

func (s *Server) PrepareIndex(ctx context.Context, req *metapb.IndexRequest) (*metapb.IndexResponse, error) {
	return s.indexes(ctx, partition.Prepare, req)
}

func (s *Server) CommitIndex(ctx context.Context, req *metapb.IndexRequest) (*metapb.IndexResponse, error) {
	return s.indexes(ctx, partition.Commit, req)
}

func (s *Server) DropIndex(ctx context.Context, req *metapb.IndexRequest) (*metapb.IndexResponse, error) {
	return s.indexes(ctx, partition.Drop, req)
}

func (s *Server) PreparePartition(ctx context.Context, req *metapb.PartitionRequest) (*metapb.PartitionResponse, error) {
	return s.partitions(ctx, partition.Prepare, req)
}

func (s *Server) CommitPartition(ctx context.Context, req *metapb.PartitionRequest) (*metapb.PartitionResponse, error) {
	return s.partitions(ctx, partition.Commit, req)
}

func (s *Server) DropPartition(ctx context.Context, req *metapb.PartitionRequest) (*metapb.PartitionResponse, error) {
	return s.partitions(ctx, partition.Drop, req)
}
