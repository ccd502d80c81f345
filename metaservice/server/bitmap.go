package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/bitmap"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/tablet"
	"github.com/doricdb/doric/metaservice/txn"
)

func (s *Server) GetDeleteBitmapUpdateLock(ctx context.Context, req *metapb.GetDeleteBitmapUpdateLockRequest) (*metapb.GetDeleteBitmapUpdateLockResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.GetDeleteBitmapUpdateLockResponse, error) {
		return &metapb.GetDeleteBitmapUpdateLockResponse{}, bitmap.Lock(tx, req.GetInstanceId(), req.GetTableId(), req.GetPartitionIds(),
			req.GetLockId(), req.GetInitiator(), now, time.Duration(req.GetExpirationMs())*time.Millisecond)
	})
}

func (s *Server) RemoveDeleteBitmapUpdateLock(ctx context.Context, req *metapb.RemoveDeleteBitmapUpdateLockRequest) (*metapb.RemoveDeleteBitmapUpdateLockResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, _ time.Time) (*metapb.RemoveDeleteBitmapUpdateLockResponse, error) {
		return &metapb.RemoveDeleteBitmapUpdateLockResponse{}, bitmap.Unlock(tx, req.GetInstanceId(), req.GetTableId(), req.GetPartitionIds(), req.GetLockId(), req.GetInitiator())
	})
}

func (s *Server) UpdateDeleteBitmap(ctx context.Context, req *metapb.UpdateDeleteBitmapRequest) (*metapb.UpdateDeleteBitmapResponse, error) {
	inst := req.GetInstanceId()
	return update(ctx, s, inst, func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.UpdateDeleteBitmapResponse, error) {
		ids, err := tablet.Index(tx, inst, req.GetTabletId())
		if err != nil {
			return nil, err
		}
		if (req.GetTableId() != 0 && req.GetTableId() != ids.GetTableId()) || (req.GetPartitionId() != 0 && req.GetPartitionId() != ids.GetPartitionId()) {
			return nil, fmt.Errorf("update delete bitmap: tablet %d is in table %d partition %d, not %d/%d: %w",
				req.GetTabletId(), ids.GetTableId(), ids.GetPartitionId(), req.GetTableId(), req.GetPartitionId(), metaerr.ErrInvalidArgument)
		}
		committed := func(txnID int64) (bool, error) {
			info, err := txn.Get(tx, inst, 0, txnID)
			if errors.Is(err, metaerr.ErrNotFound) {
				return false, nil
			}
			st := info.GetStatus()
			return st == metapb.TxnStatus_TXN_VISIBLE || st == metapb.TxnStatus_TXN_COMMITTED, err
		}
		t := bitmap.Target{TableID: ids.GetTableId(), PartitionID: ids.GetPartitionId(), TabletID: ids.GetTabletId()}
		return &metapb.UpdateDeleteBitmapResponse{}, bitmap.Update(tx, inst, t, req.GetLockId(), req.GetBitmaps(), now, committed)
	})
}

func (s *Server) GetDeleteBitmap(ctx context.Context, req *metapb.GetDeleteBitmapRequest) (*metapb.GetDeleteBitmapResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.GetDeleteBitmapResponse, error) {
		if _, err := tablet.Index(tx, req.GetInstanceId(), req.GetTabletId()); err != nil {
			return nil, err
		}
		bs, err := bitmap.Get(tx, req.GetInstanceId(), req.GetTabletId(), req.GetRanges())
		return &metapb.GetDeleteBitmapResponse{Bitmaps: bs}, err
	})
}

func (s *Server) RemoveDeleteBitmap(ctx context.Context, req *metapb.RemoveDeleteBitmapRequest) (*metapb.RemoveDeleteBitmapResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, _ time.Time) (*metapb.RemoveDeleteBitmapResponse, error) {
		if _, err := tablet.Index(tx, req.GetInstanceId(), req.GetTabletId()); err != nil {
			return nil, err
		}
		return &metapb.RemoveDeleteBitmapResponse{}, bitmap.Remove(tx, req.GetInstanceId(), req.GetTabletId(), req.GetRanges())
	})
}
