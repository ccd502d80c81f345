package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/job"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/rowset"
	"github.com/doricdb/doric/metaservice/tablet"
	"github.com/doricdb/doric/metaservice/txn"
	"github.com/doricdb/doric/metaservice/version"
)

func (s *Server) BeginTxn(ctx context.Context, req *metapb.BeginTxnRequest) (*metapb.BeginTxnResponse, error) {
	requestID := req.GetRequestId()
	if requestID == "" {
		requestID = newRequestID() // makes replays inside this call (kv retries) harmless
	}
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.BeginTxnResponse, error) {
		info, existed, err := txn.Begin(tx, req.GetInstanceId(), &metapb.TxnInfo{
			DbId: req.GetDbId(), Label: req.GetLabel(), TableIds: req.GetTableIds(), TimeoutMs: req.GetTimeoutMs(), RequestId: requestID,
			Coordinator: req.GetCoordinator(),
		}, now, s.txnOptions())
		if err != nil {
			return nil, err
		}
		resp := &metapb.BeginTxnResponse{TxnId: info.GetTxnId(), LabelExists: existed}
		if existed {
			resp.Existing = info
		}
		return resp, nil
	})
}

func (s *Server) PrepareRowset(ctx context.Context, req *metapb.PrepareRowsetRequest) (*metapb.PrepareRowsetResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.PrepareRowsetResponse, error) {
		if req.GetJobId() != "" {
			return &metapb.PrepareRowsetResponse{}, job.PrepareOutput(tx, req.GetInstanceId(), req.GetRowset(), req.GetJobId(), now, s.jobOptions())
		}
		return &metapb.PrepareRowsetResponse{}, txn.PrepareRowset(tx, req.GetInstanceId(), req.GetRowset(), now, s.txnOptions())
	})
}

func (s *Server) CommitRowset(ctx context.Context, req *metapb.CommitRowsetRequest) (*metapb.CommitRowsetResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.CommitRowsetResponse, error) {
		return &metapb.CommitRowsetResponse{}, txn.CommitRowset(tx, req.GetInstanceId(), req.GetRowset(), now)
	})
}

// abortIfExpired turns err into its status; when it says the txn expired, it first aborts the
// txn (a second kv transaction), so that its state is final when the caller hears of it.
func (s *Server) abortIfExpired(ctx context.Context, instanceID string, dbID, txnID int64, err error) error {
	if errors.Is(err, txn.ErrExpired) {
		if _, aerr := updateRaw(ctx, s, instanceID, func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.TxnInfo, error) {
			return txn.AbortExpired(tx, instanceID, dbID, txnID, now, s.txnOptions())
		}); aerr != nil {
			err = fmt.Errorf("%w (aborting it: %w)", err, aerr)
		}
	}
	return toStatus(err)
}

func (s *Server) PrecommitTxn(ctx context.Context, req *metapb.PrecommitTxnRequest) (*metapb.PrecommitTxnResponse, error) {
	info, err := updateRaw(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.TxnInfo, error) {
		return txn.Precommit(tx, req.GetInstanceId(), req.GetDbId(), req.GetTxnId(), time.Duration(req.GetPrecommitTimeoutMs())*time.Millisecond, now)
	})
	if err != nil {
		return nil, s.abortIfExpired(ctx, req.GetInstanceId(), req.GetDbId(), req.GetTxnId(), err)
	}
	return &metapb.PrecommitTxnResponse{Txn: info}, nil
}

// CommitTxn is one kv transaction, or for a large txn the documented sequence of package txn:
// the commit point, then FinishLazy. An expired txn is aborted in a second kv transaction.
func (s *Server) CommitTxn(ctx context.Context, req *metapb.CommitTxnRequest) (*metapb.CommitTxnResponse, error) {
	spec := txn.CommitSpec{DBID: req.GetDbId(), TxnID: req.GetTxnId(), MowTableIDs: req.GetMowTableIds()}
	info, err := updateRaw(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.TxnInfo, error) {
		return txn.Commit(tx, req.GetInstanceId(), spec, now, s.txnOptions())
	})
	if err != nil {
		return nil, s.abortIfExpired(ctx, req.GetInstanceId(), req.GetDbId(), req.GetTxnId(), err)
	}
	if info.GetStatus() == metapb.TxnStatus_TXN_COMMITTED {
		if info, err = txn.FinishLazy(ctx, s.db, req.GetInstanceId(), info.GetDbId(), info.GetTxnId(), s.now, s.txnOptions()); err != nil {
			return nil, toStatus(err)
		}
	}
	return &metapb.CommitTxnResponse{Txn: info, Versions: info.GetVersions()}, nil
}

func (s *Server) AbortTxn(ctx context.Context, req *metapb.AbortTxnRequest) (*metapb.AbortTxnResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.AbortTxnResponse, error) {
		info, err := txn.Abort(tx, req.GetInstanceId(), req.GetDbId(), req.GetTxnId(), req.GetLabel(), req.GetReason(), now, s.txnOptions())
		return &metapb.AbortTxnResponse{Txn: info}, err
	})
}

func (s *Server) GetTxn(ctx context.Context, req *metapb.GetTxnRequest) (*metapb.GetTxnResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.GetTxnResponse, error) {
		info, err := txn.Find(tx, req.GetInstanceId(), req.GetDbId(), req.GetTxnId(), req.GetLabel())
		return &metapb.GetTxnResponse{Txn: info}, err
	})
}

func (s *Server) GetTxnRowsets(ctx context.Context, req *metapb.GetTxnRowsetsRequest) (*metapb.GetTxnRowsetsResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.GetTxnRowsetsResponse, error) {
		rs, err := rowset.Tmp(tx, req.GetInstanceId(), req.GetTxnId())
		return &metapb.GetTxnRowsetsResponse{Rowsets: rs}, err
	})
}

func (s *Server) ListTxns(ctx context.Context, req *metapb.ListTxnsRequest) (*metapb.ListTxnsResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.ListTxnsResponse, error) {
		if req.GetLabel() != "" {
			info, err := txn.ByLabel(tx, req.GetInstanceId(), req.GetDbId(), req.GetLabel())
			if err != nil {
				return nil, err
			}
			return &metapb.ListTxnsResponse{Txns: []*metapb.TxnInfo{info}}, nil
		}
		limit := int(req.GetLimit())
		if limit <= 0 {
			limit = 100
		}
		txns, err := txn.List(tx, req.GetInstanceId(), req.GetDbId(), limit)
		return &metapb.ListTxnsResponse{Txns: txns}, err
	})
}

func (s *Server) AbortTxnsOfCoordinator(ctx context.Context, req *metapb.AbortTxnsOfCoordinatorRequest) (*metapb.AbortTxnsOfCoordinatorResponse, error) {
	inst := req.GetInstanceId()
	if req.GetNodeId() == "" {
		return nil, toStatus(fmt.Errorf("abort txns of coordinator: no node id: %w", metaerr.ErrInvalidArgument))
	}
	resp := &metapb.AbortTxnsOfCoordinatorResponse{}
	for {
		found, err := view(ctx, s, inst, func(tx kv.ReadTxn, _ *metapb.InstanceInfo) ([]*metapb.TxnInfo, error) {
			return txn.OfCoordinator(tx, inst, req.GetNodeId(), req.GetBeforeStartMs(), 100)
		})
		if err != nil {
			return nil, err
		}
		for _, r := range found {
			aborted, err := update(ctx, s, inst, func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (bool, error) {
				return txn.AbortOfCoordinator(tx, inst, r.GetDbId(), r.GetTxnId(), now, s.txnOptions())
			})
			if err != nil {
				return nil, err
			}
			if aborted {
				resp.AbortedTxnIds = append(resp.AbortedTxnIds, r.GetTxnId())
			}
		}
		if len(found) < 100 {
			return resp, nil
		}
	}
}

// ---------------------------------------------------------------- readers of versions and rowsets

// lazyTxn is a lazy commit a reader found in progress.
type lazyTxn struct{ db, txn int64 }

// pendingOf adds the lazy commits pending on pv to out.
func pendingOf(pv *metapb.PartitionVersion, out *[]lazyTxn) {
	for _, id := range pv.GetPendingTxnIds() {
		*out = append(*out, lazyTxn{pv.GetDbId(), id})
	}
}

// readFinished runs read in a read-only kv transaction until it finds no lazy commit in
// progress, finishing those it finds (each a sequence of kv transactions of its own) before
// reading again, so that a reader never sees part of a lazy commit.
func readFinished[R any](ctx context.Context, s *Server, instanceID string, read func(tx kv.ReadTxn, pending *[]lazyTxn) (R, error)) (R, error) {
	var zero R
	for range maxFinishRounds {
		var pending []lazyTxn
		out, err := viewRaw(ctx, s, instanceID, func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (R, error) {
			pending = pending[:0]
			return read(tx, &pending)
		})
		if err != nil {
			return zero, toStatus(err)
		}
		if len(pending) == 0 {
			return out, nil
		}
		if err := s.finishLazy(ctx, instanceID, pending); err != nil {
			return zero, toStatus(err)
		}
	}
	return zero, status.Errorf(codes.Aborted, "lazy commits kept arriving for %d rounds; retry", maxFinishRounds)
}

func (s *Server) finishLazy(ctx context.Context, instanceID string, pending []lazyTxn) error {
	for _, p := range pending {
		if _, err := txn.FinishLazy(ctx, s.db, instanceID, p.db, p.txn, s.now, s.txnOptions()); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) GetVersion(ctx context.Context, req *metapb.GetVersionRequest) (*metapb.GetVersionResponse, error) {
	inst := req.GetInstanceId()
	return readFinished(ctx, s, inst, func(tx kv.ReadTxn, pending *[]lazyTxn) (*metapb.GetVersionResponse, error) {
		resp := &metapb.GetVersionResponse{Versions: make([]*metapb.PartitionVersion, 0, len(req.GetPartitions()))}
		for _, p := range req.GetPartitions() {
			pv, err := version.Partition(tx, inst, p.GetDbId(), p.GetTableId(), p.GetPartitionId())
			if err != nil {
				return nil, err
			}
			pendingOf(pv, pending)
			resp.Versions = append(resp.Versions, &metapb.PartitionVersion{DbId: p.GetDbId(), TableId: p.GetTableId(), PartitionId: p.GetPartitionId(), Version: pv.GetVersion()})
		}
		for _, t := range req.GetTables() {
			v, err := version.Table(tx, inst, t.GetDbId(), t.GetTableId())
			if err != nil {
				return nil, err
			}
			resp.TableVersions = append(resp.TableVersions, &metapb.TableVersion{DbId: t.GetDbId(), TableId: t.GetTableId(), Version: v})
		}
		return resp, nil
	})
}

func (s *Server) GetRowsets(ctx context.Context, req *metapb.GetRowsetsRequest) (*metapb.GetRowsetsResponse, error) {
	inst := req.GetInstanceId()
	return readFinished(ctx, s, inst, func(tx kv.ReadTxn, pending *[]lazyTxn) (*metapb.GetRowsetsResponse, error) {
		start, end := req.GetStartVersion(), req.GetEndVersion()
		if start < 0 || end < start {
			return nil, fmt.Errorf("get rowsets of tablet %d: bad version range [%d, %d]: %w", req.GetTabletId(), start, end, metaerr.ErrInvalidArgument)
		}
		ids, err := tablet.Index(tx, inst, req.GetTabletId())
		if err != nil {
			return nil, err
		}
		pv, err := version.Partition(tx, inst, ids.GetDbId(), ids.GetTableId(), ids.GetPartitionId())
		if err != nil {
			return nil, err
		}
		if pendingOf(pv, pending); len(*pending) > 0 {
			return nil, nil
		}
		rs, err := rowset.Visible(tx, inst, req.GetTabletId(), start, end)
		if err != nil {
			return nil, err
		}
		// A compaction output that straddles end holds rows of versions <= end that no rowset
		// returned here has any more: answering without it would silently lose them (Doris's
		// -230, VERSION_ALREADY_MERGED). The caller must re-read at a newer version.
		if next, err := rowset.After(tx, inst, req.GetTabletId(), end); err != nil {
			return nil, err
		} else if next != nil && next.GetStartVersion() <= end {
			return nil, fmt.Errorf("[E-230]versions already merged: tablet %d has rowset [%d-%d], so version %d cannot be read any more: %w",
				req.GetTabletId(), next.GetStartVersion(), next.GetEndVersion(), end, metaerr.ErrVersionMerged)
		}
		return &metapb.GetRowsetsResponse{Rowsets: rs}, nil
	})
}
