package server

import (
	"context"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/stats"
	"github.com/doricdb/doric/metaservice/tablet"
)

func (s *Server) CreateTablets(ctx context.Context, req *metapb.CreateTabletsRequest) (*metapb.CreateTabletsResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, info *metapb.InstanceInfo, now time.Time) (*metapb.CreateTabletsResponse, error) {
		return &metapb.CreateTabletsResponse{}, tablet.Create(tx, req.GetInstanceId(), req.GetTablets(), info.GetDefaultVaultId(), now)
	})
}

func (s *Server) GetTablet(ctx context.Context, req *metapb.GetTabletRequest) (*metapb.GetTabletResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.GetTabletResponse, error) {
		t, err := tablet.Get(tx, req.GetInstanceId(), req.GetTabletId())
		if err != nil {
			return nil, err
		}
		st, err := stats.Base(tx, req.GetInstanceId(), t)
		if err != nil {
			return nil, err
		}
		t.CumulativePoint = st.GetCumulativePoint()
		return &metapb.GetTabletResponse{Tablet: t}, nil
	})
}

func (s *Server) GetTabletStats(ctx context.Context, req *metapb.GetTabletStatsRequest) (*metapb.GetTabletStatsResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.GetTabletStatsResponse, error) {
		resp := &metapb.GetTabletStatsResponse{}
		for _, id := range req.GetTabletIds() {
			ids, err := tablet.Index(tx, req.GetInstanceId(), id)
			if err != nil {
				return nil, err
			}
			st, err := stats.Get(tx, req.GetInstanceId(), ids)
			if err != nil {
				return nil, err
			}
			resp.Stats = append(resp.Stats, st)
		}
		return resp, nil
	})
}
