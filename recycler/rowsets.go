package recycler

import (
	"bytes"
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/vault"
)

// rowsetKind classifies a RecycleRowset entry by the rowset it names: one that was visible (it
// has versions: a compaction's input) or made by a compaction (no txn: its output) is
// KindCompacted; an upload marker or a tmp rowset of an aborted txn is KindRowset.
func rowsetKind(rs *metapb.RowsetMeta) Kind {
	if rs.GetEndVersion() > 0 || rs.GetTxnId() == 0 {
		return KindCompacted
	}
	return KindRowset
}

// rowsetItem is a due RecycleRowset entry.
type rowsetItem struct {
	key, val []byte
	rs       *metapb.RowsetMeta
	kind     Kind
	// decided by the claim transaction:
	skip    bool   // not reclaimed this round (changed since the scan, or not garbage yet)
	notYet  bool   // with skip: its owner may still commit it (a running txn or compaction)
	stale   string // the entry names a live rowset (why): remove the entry, keep the files
	deleted bool   // files deleted
}

// rowsets reclaims due RecycleRowset entries, a batch at a time: a claim transaction decides
// which entries are garbage (aborting the expired txn of an upload marker first, as Doris does),
// then the files are deleted, then a second transaction removes the entries that did not change.
func (ro *round) rowsets(ctx context.Context) error {
	var batch []*rowsetItem
	begin, end := keys.RecycleRowsetRange(ro.inst)
	err := scan(ctx, ro.r.cfg.DB, begin, end, func(e kv.KeyValue) error {
		rec := &metapb.RecycleRowset{}
		if err := proto.Unmarshal(e.Value, rec); err != nil {
			return fmt.Errorf("recycle-rowset entry at %s: %w", keys.Pretty(e.Key), err)
		}
		rs := rec.GetRowset()
		k := rowsetKind(rs)
		kr := &ro.rep.Kinds[k]
		ret := ro.r.cfg.Retention.General
		if k == KindCompacted {
			ret = ro.r.cfg.Retention.Compacted
		}
		if !ro.due(rec.GetExpirationMs(), rec.GetCreationTimeMs(), ret) {
			kr.Pending++
			return nil
		}
		kr.ToRecycle++
		kr.ToRecycleBytes += rs.GetTotalSize()
		if batch = append(batch, &rowsetItem{key: e.Key, val: e.Value, rs: rs, kind: k}); len(batch) >= ro.r.cfg.BatchSize {
			ro.rowsetBatch(ctx, batch)
			batch = batch[:0]
		}
		return ro.stop()
	})
	if err != nil {
		return fmt.Errorf("recycler: scan recycle-rowset entries: %w", err)
	}
	ro.rowsetBatch(ctx, batch)
	return nil
}

func (ro *round) rowsetBatch(ctx context.Context, batch []*rowsetItem) {
	if len(batch) == 0 {
		return
	}
	failAll := func(err error) {
		for _, it := range batch {
			if !it.skip {
				ro.rep.Kinds[it.kind].Failed++
			}
		}
		ro.fail(err)
	}
	aborted := 0
	if err := ro.update(ctx, func(tx kv.Txn) error {
		aborted = 0
		for _, it := range batch {
			it.skip, it.notYet, it.stale = false, false, ""
			n, err := ro.claim(tx, it)
			if err != nil {
				return fmt.Errorf("rowset %s of tablet %d: %w", it.rs.GetRowsetId(), it.rs.GetTabletId(), err)
			}
			aborted += n
		}
		return nil
	}); err != nil {
		for _, it := range batch {
			it.skip = false
		}
		failAll(fmt.Errorf("recycler: claim recycle-rowset entries: %w", err))
		return
	}
	ro.rep.Kinds[KindExpiredTxn].ToRecycle += aborted
	ro.rep.Kinds[KindExpiredTxn].Recycled += aborted
	for _, it := range batch {
		if it.notYet {
			ro.rep.Kinds[it.kind].ToRecycle--
			ro.rep.Kinds[it.kind].ToRecycleBytes -= it.rs.GetTotalSize()
			ro.rep.Kinds[it.kind].Pending++
		}
		if it.stale != "" {
			ro.r.cfg.Logger.Error("BUG: recycler: a recycle entry names a live rowset; removing the entry, keeping the files",
				"instance", ro.inst, "tablet", it.rs.GetTabletId(), "rowset", it.rs.GetRowsetId(), "live", it.stale)
		}
	}

	errs := parallel(len(batch), ro.r.cfg.Parallelism, func(i int) error {
		it := batch[i]
		if it.skip || it.stale != "" {
			return nil
		}
		st, err := ro.vault(ctx, it.rs.GetVaultId())
		if err == nil {
			err = st.DeletePrefix(ctx, vault.RowsetPrefix(it.rs.GetTabletId(), it.rs.GetRowsetId()))
		}
		if err != nil {
			return fmt.Errorf("recycler: delete files of rowset %s of tablet %d: %w", it.rs.GetRowsetId(), it.rs.GetTabletId(), err)
		}
		it.deleted = true
		return nil
	})
	for i, err := range errs {
		if err != nil {
			batch[i].skip = true
			ro.rep.Kinds[batch[i].kind].Failed++
			ro.fail(err)
		}
	}
	var cleared []*rowsetItem
	if err := ro.update(ctx, func(tx kv.Txn) error {
		cleared = cleared[:0]
		for _, it := range batch {
			if it.skip {
				continue
			}
			cur, err := tx.Get(it.key)
			if err != nil {
				return err
			}
			if !bytes.Equal(cur, it.val) {
				continue // rewritten since the scan (e.g. a new expiration): the next round decides
			}
			if it.stale == "" {
				// The rowset's delete bitmaps (merge-on-write: a compacted input's, or those an
				// aborted compaction or load wrote for its own rows) go with it.
				if err := tx.ClearRange(keys.DeleteBitmapRowsetRange(ro.inst, it.rs.GetTabletId(), it.rs.GetRowsetId())); err != nil {
					return err
				}
			}
			if err := tx.Clear(it.key); err != nil {
				return err
			}
			cleared = append(cleared, it)
		}
		return nil
	}); err != nil {
		// The files are gone, the entries stay: the next round deletes nothing and clears them.
		failAll(fmt.Errorf("recycler: remove recycle-rowset entries: %w", err))
		return
	}
	for _, it := range cleared {
		kr := &ro.rep.Kinds[it.kind]
		kr.Recycled++
		if it.deleted {
			kr.RecycledBytes += it.rs.GetTotalSize()
		}
	}
}

// claim decides, inside the claim transaction, what to do with a due entry; it returns how many
// expired txns it aborted (0 or 1).
func (ro *round) claim(tx kv.Txn, it *rowsetItem) (int, error) {
	cur, err := tx.Get(it.key)
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(cur, it.val) {
		it.skip = true // removed or rewritten since the scan
		return 0, nil
	}
	rs := it.rs
	if rs.GetEndVersion() > 0 {
		// Was visible: the entry is stale if the rowset still is.
		vis := &metapb.RowsetMeta{}
		ok, err := kv.GetProto(tx, keys.Rowset(ro.inst, rs.GetTabletId(), rs.GetEndVersion()), vis)
		if err != nil {
			return 0, err
		}
		if ok && vis.GetRowsetId() == rs.GetRowsetId() {
			it.stale = "visible"
			return 0, nil
		}
	}
	if rs.GetTxnId() == 0 {
		// A compaction's output: garbage unless a compaction still holds the tablet's lease.
		ids := &metapb.TabletMeta{}
		ok, err := kv.GetProto(tx, keys.TabletIndex(ro.inst, rs.GetTabletId()), ids)
		if err != nil || !ok {
			return 0, err
		}
		j := &metapb.TabletJob{}
		ok, err = kv.GetProto(tx, keys.JobTablet(ro.inst, ids.GetTableId(), ids.GetIndexId(), ids.GetPartitionId(), ids.GetTabletId()), j)
		if err != nil {
			return 0, err
		}
		if ok && j.GetCompaction().GetExpirationMs() >= ro.r.cfg.Now().UnixMilli() {
			it.skip, it.notYet = true, true
		}
		return 0, nil
	}
	if rs.GetEndVersion() > 0 {
		return 0, nil
	}
	// An upload marker or an aborted txn's tmp rowset.
	tmp := &metapb.RowsetMeta{}
	ok, err := kv.GetProto(tx, keys.RowsetTmp(ro.inst, rs.GetTxnId(), rs.GetTabletId()), tmp)
	if err != nil {
		return 0, err
	}
	if ok && tmp.GetRowsetId() == rs.GetRowsetId() {
		it.stale = "committed to its txn"
		return 0, nil
	}
	info, err := txnByID(tx, ro.inst, rs.GetTxnId())
	if err != nil || info == nil || !running(info.GetStatus()) {
		return 0, err // finished or forgotten: the rowset can no longer be committed
	}
	aborted, err := ro.abortExpired(tx, info)
	if err != nil {
		return 0, err
	}
	if !aborted {
		// The txn still runs (its deadline moved past the entry's expiration): not garbage yet.
		it.skip, it.notYet = true, true
		return 0, nil
	}
	return 1, nil
}
