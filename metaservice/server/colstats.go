package server

import (
	"context"
	"fmt"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/stats"
)

// PutTableStats stores column statistics of a table (one KV transaction).
func (s *Server) PutTableStats(ctx context.Context, req *metapb.PutTableStatsRequest) (*metapb.PutTableStatsResponse, error) {
	if req.GetTableId() == 0 {
		return nil, toStatus(fmt.Errorf("%w: PutTableStats without a table id", metaerr.ErrInvalidArgument))
	}
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, _ time.Time) (*metapb.PutTableStatsResponse, error) {
		return &metapb.PutTableStatsResponse{}, stats.PutColumns(tx, req.GetInstanceId(), req.GetTableId(), req.GetColumns())
	})
}

// GetTableStats returns column statistics of a table.
func (s *Server) GetTableStats(ctx context.Context, req *metapb.GetTableStatsRequest) (*metapb.GetTableStatsResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.GetTableStatsResponse, error) {
		cols, err := stats.GetColumns(tx, req.GetInstanceId(), req.GetTableId(), req.GetColumns())
		if err != nil {
			return nil, err
		}
		return &metapb.GetTableStatsResponse{Columns: cols}, nil
	})
}

// DropTableStats removes column statistics of a table.
func (s *Server) DropTableStats(ctx context.Context, req *metapb.DropTableStatsRequest) (*metapb.DropTableStatsResponse, error) {
	if req.GetTableId() == 0 {
		return nil, toStatus(fmt.Errorf("%w: DropTableStats without a table id", metaerr.ErrInvalidArgument))
	}
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, _ time.Time) (*metapb.DropTableStatsResponse, error) {
		return &metapb.DropTableStatsResponse{}, stats.DropColumns(tx, req.GetInstanceId(), req.GetTableId(), req.GetColumns())
	})
}
