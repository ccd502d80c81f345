package recycler

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
)

// expiredReason is the reason an expired txn is aborted with (the Meta Service's, package txn's
// ErrExpired text).
const expiredReason = "txn expired"

func running(s metapb.TxnStatus) bool {
	return s == metapb.TxnStatus_TXN_PREPARED || s == metapb.TxnStatus_TXN_PRECOMMITTED
}

// deadline is the instant (Unix ms) after which a running txn has expired (package txn's
// Deadline).
func deadline(info *metapb.TxnInfo) int64 {
	if d := info.GetDeadlineMs(); d != 0 {
		return d
	}
	return info.GetPrepareTimeMs() + info.GetTimeoutMs()
}

func expired(info *metapb.TxnInfo, nowMs int64) bool {
	return running(info.GetStatus()) && nowMs > deadline(info)
}

// txnByID reads a txn's info through its index key; nil when either is missing.
func txnByID(tx kv.ReadTxn, inst string, txnID int64) (*metapb.TxnInfo, error) {
	idx := &metapb.TxnInfo{}
	ok, err := kv.GetProto(tx, keys.TxnIndex(inst, txnID), idx)
	if err != nil || !ok {
		return nil, err
	}
	info := &metapb.TxnInfo{}
	ok, err = kv.GetProto(tx, keys.TxnInfo(inst, idx.GetDbId(), txnID), info)
	if err != nil || !ok {
		return nil, err
	}
	return info, nil
}

// abortExpired aborts a PREPARED or PRECOMMITTED txn past its deadline exactly as the Meta
// Service does (package txn's AbortExpired; TestAbortMatchesTheMetaService keeps the two equal):
// its tmp rowsets become recycle entries that expire after the general retention, it becomes
// ABORTED, loses its running key and gets its recycle-txn entry, which expires after the label
// retention. It reports whether it aborted.
func (ro *round) abortExpired(tx kv.Txn, info *metapb.TxnInfo) (bool, error) {
	if !expired(info, ro.nowMs) {
		return false, nil
	}
	ret := ro.r.cfg.Retention
	return true, abortTxn(tx, ro.inst, info, ro.now, max(ret.General, 0), max(ret.Label, 0))
}

func abortTxn(tx kv.Txn, inst string, info *metapb.TxnInfo, now time.Time, rowsetRetention, labelRetention time.Duration) error {
	begin, end := keys.RowsetTmpRange(inst, info.GetTxnId())
	tmps, err := tx.GetRange(begin, end, 0, false)
	if err != nil {
		return err
	}
	for _, e := range tmps {
		rs := &metapb.RowsetMeta{}
		if err := proto.Unmarshal(e.Value, rs); err != nil {
			return fmt.Errorf("tmp rowset at %s: %w", keys.Pretty(e.Key), err)
		}
		if err := kv.SetProto(tx, keys.RecycleRowset(inst, rs.GetTabletId(), rs.GetRowsetId()), &metapb.RecycleRowset{
			Rowset: rs, CreationTimeMs: now.UnixMilli(), ExpirationMs: now.Add(rowsetRetention).UnixMilli(),
		}); err != nil {
			return err
		}
	}
	if err := tx.ClearRange(begin, end); err != nil {
		return err
	}
	info.Status = metapb.TxnStatus_TXN_ABORTED
	info.Reason = expiredReason
	if err := kv.SetProto(tx, keys.TxnInfo(inst, info.GetDbId(), info.GetTxnId()), info); err != nil {
		return err
	}
	if err := tx.Clear(keys.TxnRunning(inst, info.GetDbId(), info.GetTxnId())); err != nil {
		return err
	}
	return kv.SetProto(tx, keys.RecycleTxn(inst, info.GetDbId(), info.GetTxnId()), &metapb.RecycleTxn{
		DbId: info.GetDbId(), TxnId: info.GetTxnId(), Label: info.GetLabel(), Status: info.GetStatus(),
		CreationTimeMs: now.UnixMilli(), ExpirationMs: now.Add(labelRetention).UnixMilli(),
	})
}

// expiredTxns aborts every running txn past its deadline (found through the running keys, which
// carry the deadline).
func (ro *round) expiredTxns(ctx context.Context) error {
	kr := &ro.rep.Kinds[KindExpiredTxn]
	var batch []*metapb.TxnInfo
	flush := func() {
		if len(batch) == 0 {
			return
		}
		n := 0
		err := ro.update(ctx, func(tx kv.Txn) error {
			n = 0
			for _, r := range batch {
				info := &metapb.TxnInfo{}
				ok, err := kv.GetProto(tx, keys.TxnInfo(ro.inst, r.GetDbId(), r.GetTxnId()), info)
				if err != nil {
					return err
				}
				if !ok {
					// A running key without its txn: nothing to abort; drop the stray key.
					if err := tx.Clear(keys.TxnRunning(ro.inst, r.GetDbId(), r.GetTxnId())); err != nil {
						return err
					}
					n++
					continue
				}
				done, err := ro.abortExpired(tx, info)
				if err != nil {
					return fmt.Errorf("abort expired txn %d: %w", r.GetTxnId(), err)
				}
				if done {
					n++
				}
			}
			return nil
		})
		if err != nil {
			kr.Failed += len(batch)
			ro.fail(fmt.Errorf("recycler: abort expired txns: %w", err))
		} else {
			kr.Recycled += n
		}
		batch = batch[:0]
	}
	begin, end := allRunningTxns(ro.inst)
	err := scan(ctx, ro.r.cfg.DB, begin, end, func(e kv.KeyValue) error {
		r := &metapb.TxnInfo{}
		if err := proto.Unmarshal(e.Value, r); err != nil {
			return fmt.Errorf("running txn at %s: %w", keys.Pretty(e.Key), err)
		}
		k, err := keys.ParseTxnRunning(e.Key)
		if err != nil {
			return err
		}
		r.DbId, r.TxnId = k.DBID, k.TxnID
		r.Status = metapb.TxnStatus_TXN_PREPARED // a running key exists only while the txn runs
		if !expired(r, ro.nowMs) {
			kr.Pending++
			return nil
		}
		kr.ToRecycle++
		if batch = append(batch, r); len(batch) >= ro.r.cfg.BatchSize {
			flush()
		}
		return ro.stop()
	})
	if err != nil {
		return fmt.Errorf("recycler: scan running txns: %w", err)
	}
	flush()
	return nil
}

// stop is the error that ends a scan early: the lease is lost or the context ended.
func (ro *round) stop() error {
	ro.mu.Lock()
	defer ro.mu.Unlock()
	if ro.lost {
		return ErrLeaseLost
	}
	return nil
}

// labels removes finished txns whose recycle-txn entry is due: their info, index, running key,
// label (when it still names the txn) and the entry.
func (ro *round) labels(ctx context.Context) error {
	kr := &ro.rep.Kinds[KindLabel]
	type item struct {
		key, val []byte
		rec      *metapb.RecycleTxn
	}
	var batch []item
	flush := func() {
		if len(batch) == 0 {
			return
		}
		n := 0
		err := ro.update(ctx, func(tx kv.Txn) error {
			n = 0
			for _, it := range batch {
				cur, err := tx.Get(it.key)
				if err != nil {
					return err
				}
				if !bytes.Equal(cur, it.val) {
					continue // changed since the scan: left for the next round
				}
				db, id := it.rec.GetDbId(), it.rec.GetTxnId()
				info := &metapb.TxnInfo{}
				ok, err := kv.GetProto(tx, keys.TxnInfo(ro.inst, db, id), info)
				if err != nil {
					return err
				}
				if ok && !(info.GetStatus() == metapb.TxnStatus_TXN_VISIBLE || info.GetStatus() == metapb.TxnStatus_TXN_ABORTED) {
					ro.r.cfg.Logger.Error("BUG: recycler: a recycle-txn entry names an unfinished txn; keeping both",
						"instance", ro.inst, "txn", id, "status", info.GetStatus())
					continue
				}
				if label := cmp.Or(info.GetLabel(), it.rec.GetLabel()); label != "" {
					holder := &metapb.TxnInfo{}
					found, err := kv.GetProto(tx, keys.TxnLabel(ro.inst, db, label), holder)
					if err != nil {
						return err
					}
					if found && holder.GetTxnId() == id { // else a later txn reused the label
						if err := tx.Clear(keys.TxnLabel(ro.inst, db, label)); err != nil {
							return err
						}
					}
				}
				for _, k := range [][]byte{keys.TxnInfo(ro.inst, db, id), keys.TxnIndex(ro.inst, id),
					keys.TxnRunning(ro.inst, db, id), it.key} {
					if err := tx.Clear(k); err != nil {
						return err
					}
				}
				n++
			}
			return nil
		})
		if err != nil {
			kr.Failed += len(batch)
			ro.fail(fmt.Errorf("recycler: remove expired txns: %w", err))
		} else {
			kr.Recycled += n
		}
		batch = batch[:0]
	}
	begin, end := keys.RecycleTxnRange(ro.inst)
	err := scan(ctx, ro.r.cfg.DB, begin, end, func(e kv.KeyValue) error {
		rec := &metapb.RecycleTxn{}
		if err := proto.Unmarshal(e.Value, rec); err != nil {
			return fmt.Errorf("recycle-txn entry at %s: %w", keys.Pretty(e.Key), err)
		}
		if !ro.due(rec.GetExpirationMs(), rec.GetCreationTimeMs(), ro.r.cfg.Retention.Label) {
			kr.Pending++
			return nil
		}
		kr.ToRecycle++
		if batch = append(batch, item{e.Key, e.Value, rec}); len(batch) >= ro.r.cfg.BatchSize {
			flush()
		}
		return ro.stop()
	})
	if err != nil {
		return fmt.Errorf("recycler: scan recycle-txn entries: %w", err)
	}
	flush()
	return nil
}
