package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/job"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/tablet"
	"github.com/doricdb/doric/metaservice/version"
)

func (s *Server) StartTabletJob(ctx context.Context, req *metapb.StartTabletJobRequest) (*metapb.StartTabletJobResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.StartTabletJobResponse, error) {
		if req.GetCompaction() == nil {
			return nil, fmt.Errorf("start tablet job of tablet %d: no compaction job: %w", req.GetTabletId(), metaerr.ErrInvalidArgument)
		}
		j, st, err := job.Start(tx, req.GetInstanceId(), req.GetTabletId(), req.GetCompaction(), now, s.jobOptions())
		return &metapb.StartTabletJobResponse{Compaction: j, Stats: st}, err
	})
}

// FinishTabletJob's commit first finishes lazy commits pending on the tablet's partition (their
// rowsets could fall inside the compacted range), then swaps the rowsets in one kv transaction.
func (s *Server) FinishTabletJob(ctx context.Context, req *metapb.FinishTabletJobRequest) (*metapb.FinishTabletJobResponse, error) {
	inst, tabletID, jobID := req.GetInstanceId(), req.GetTabletId(), req.GetJobId()
	switch req.GetAction() {
	case metapb.TabletJobAction_JOB_LEASE:
		return update(ctx, s, inst, func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.FinishTabletJobResponse, error) {
			j, err := job.Lease(tx, inst, tabletID, jobID, req.GetLeaseMs(), now, s.jobOptions())
			return &metapb.FinishTabletJobResponse{Compaction: j}, err
		})
	case metapb.TabletJobAction_JOB_ABORT:
		return update(ctx, s, inst, func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.FinishTabletJobResponse, error) {
			return &metapb.FinishTabletJobResponse{}, job.Abort(tx, inst, tabletID, jobID, req.GetOutputRowset(), now)
		})
	case metapb.TabletJobAction_JOB_COMMIT:
	default:
		return nil, toStatus(fmt.Errorf("finish tablet job %s of tablet %d: unknown action %v: %w", jobID, tabletID, req.GetAction(), metaerr.ErrInvalidArgument))
	}
	for range maxFinishRounds {
		pending, err := viewRaw(ctx, s, inst, func(tx kv.ReadTxn, _ *metapb.InstanceInfo) ([]lazyTxn, error) {
			ids, err := tablet.Index(tx, inst, tabletID)
			if err != nil {
				return nil, err
			}
			pv, err := version.Partition(tx, inst, ids.GetDbId(), ids.GetTableId(), ids.GetPartitionId())
			var out []lazyTxn
			pendingOf(pv, &out)
			return out, err
		})
		if err == nil {
			err = s.finishLazy(ctx, inst, pending)
		}
		if err != nil {
			return nil, toStatus(err)
		}
		st, err := updateRaw(ctx, s, inst, func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.TabletStats, error) {
			return job.Commit(tx, inst, tabletID, jobID, req.GetOutputRowset(), req.GetOutputCumulativePoint(), req.GetDeleteBitmapLockId(), now, s.jobOptions())
		})
		if errors.Is(err, metaerr.ErrBusy) {
			continue // a lazy commit started in between
		}
		if err != nil {
			return nil, toStatus(err)
		}
		return &metapb.FinishTabletJobResponse{Stats: st}, nil
	}
	return nil, toStatus(fmt.Errorf("finish tablet job %s of tablet %d: lazy commits kept arriving: %w", jobID, tabletID, metaerr.ErrBusy))
}
