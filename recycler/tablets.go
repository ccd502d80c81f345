package recycler

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/vault"
)

// dropEntry is what RecycleIndex and RecyclePartition have in common.
type dropEntry interface {
	proto.Message
	GetState() metapb.RecycleState
	GetCreationTimeMs() int64
	GetExpirationMs() int64
	GetDbId() int64
	GetTableId() int64
}

// dropItem is a due RecycleIndex or RecyclePartition entry.
type dropItem struct {
	kind  Kind
	key   []byte
	id    int64 // the index or partition id
	entry dropEntry
}

func newEntry(k Kind) dropEntry {
	if k == KindIndex {
		return &metapb.RecycleIndex{}
	}
	return &metapb.RecyclePartition{}
}

func setState(e dropEntry, s metapb.RecycleState) {
	switch e := e.(type) {
	case *metapb.RecycleIndex:
		e.State = s
	case *metapb.RecyclePartition:
		e.State = s
	}
}

// dropDue reports whether an index or partition entry is due: RECYCLING at once (a round was
// interrupted), DROPPED after the dropped retention, PREPARED (a create that never committed)
// after the general retention.
func (ro *round) dropDue(e dropEntry) bool {
	switch e.GetState() {
	case metapb.RecycleState_RECYCLE_RECYCLING:
		return true
	case metapb.RecycleState_RECYCLE_DROPPED:
		return ro.due(e.GetExpirationMs(), e.GetCreationTimeMs(), ro.r.cfg.Retention.Dropped)
	case metapb.RecycleState_RECYCLE_PREPARED:
		return ro.due(e.GetExpirationMs(), e.GetCreationTimeMs(), ro.r.cfg.Retention.General)
	}
	return false
}

// indexes reclaims due RecycleIndex entries.
func (ro *round) indexes(ctx context.Context) error {
	begin, end := keys.RecycleIndexRange(ro.inst)
	return ro.dropped(ctx, KindIndex, begin, end, func(key []byte) (int64, error) {
		k, err := keys.ParseRecycleIndex(key)
		return k.IndexID, err
	})
}

// partitions reclaims due RecyclePartition entries.
func (ro *round) partitions(ctx context.Context) error {
	begin, end := keys.RecyclePartitionRange(ro.inst)
	return ro.dropped(ctx, KindPartition, begin, end, func(key []byte) (int64, error) {
		k, err := keys.ParseRecyclePartition(key)
		return k.PartitionID, err
	})
}

func (ro *round) dropped(ctx context.Context, kind Kind, begin, end []byte, parse func([]byte) (int64, error)) error {
	kr := &ro.rep.Kinds[kind]
	var due []dropItem
	err := scan(ctx, ro.r.cfg.DB, begin, end, func(e kv.KeyValue) error {
		entry := newEntry(kind)
		if err := proto.Unmarshal(e.Value, entry); err != nil {
			return fmt.Errorf("recycle-%s entry at %s: %w", kind, keys.Pretty(e.Key), err)
		}
		id, err := parse(e.Key)
		if err != nil {
			return err
		}
		if !ro.dropDue(entry) {
			kr.Pending++
			return nil
		}
		kr.ToRecycle++
		due = append(due, dropItem{kind: kind, key: e.Key, id: id, entry: entry})
		return nil
	})
	if err != nil {
		return fmt.Errorf("recycler: scan recycle-%s entries: %w", kind, err)
	}
	for _, it := range due {
		if err := ro.reclaimDropped(ctx, it); err != nil {
			kr.Failed++
			ro.fail(fmt.Errorf("recycler: %s %d: %w", kind, it.id, err))
		}
		if err := ro.stop(); err != nil {
			return nil
		}
	}
	return nil
}

// reclaimDropped reclaims a dropped (or never committed) index or partition: it marks the entry
// RECYCLING (from then on no commit can make it live again), then, a batch of tablets at a time,
// deletes the tablets' files (data/{tablet_id}/ in every vault their rowsets name) and then their
// keys (rowsets, tablet, tablet index, statistics, compaction job, delete bitmaps); finally it
// removes the partition's version and delete-bitmap lock and the entry itself.
func (ro *round) reclaimDropped(ctx context.Context, it dropItem) error {
	kr := &ro.rep.Kinds[it.kind]
	var entry dropEntry
	err := ro.update(ctx, func(tx kv.Txn) error {
		entry = newEntry(it.kind)
		ok, err := kv.GetProto(tx, it.key, entry)
		switch {
		case err != nil:
			return err
		case !ok || !ro.dropDue(entry):
			entry = nil // committed, or dropped again with a later expiration, since the scan
			return nil
		case entry.GetState() == metapb.RecycleState_RECYCLE_RECYCLING:
			return nil
		}
		setState(entry, metapb.RecycleState_RECYCLE_RECYCLING)
		return kv.SetProto(tx, it.key, entry)
	})
	if err != nil {
		return fmt.Errorf("mark recycling: %w", err)
	}
	if entry == nil {
		kr.ToRecycle--
		kr.Pending++
		return nil
	}
	for _, r := range ro.tabletRanges(it.kind, it.id, entry) {
		if err := ro.reclaimTablets(ctx, kr, r); err != nil {
			return err
		}
	}
	removed := false
	err = ro.update(ctx, func(tx kv.Txn) error {
		removed = false
		cur := newEntry(it.kind)
		ok, err := kv.GetProto(tx, it.key, cur)
		if err != nil || !ok || cur.GetState() != metapb.RecycleState_RECYCLE_RECYCLING {
			return err
		}
		if p, isPart := cur.(*metapb.RecyclePartition); isPart {
			for _, k := range [][]byte{
				keys.PartitionVersion(ro.inst, p.GetDbId(), p.GetTableId(), p.GetPartitionId()),
				keys.DeleteBitmapLock(ro.inst, p.GetTableId(), p.GetPartitionId()),
			} {
				if err := tx.Clear(k); err != nil {
					return err
				}
			}
		}
		removed = true
		return tx.Clear(it.key)
	})
	if err != nil {
		return fmt.Errorf("remove the entry: %w", err)
	}
	if removed {
		kr.Recycled++
	}
	return nil
}

// tabletRange is a key range of tablets, with a filter when the range is wider than the object.
type tabletRange struct {
	begin, end []byte
	partition  int64 // 0: every tablet of the range; else only this partition's
}

func (ro *round) tabletRanges(kind Kind, id int64, e dropEntry) []tabletRange {
	if kind == KindIndex {
		b, en := keys.TabletIndexRange(ro.inst, e.GetTableId(), id)
		return []tabletRange{{begin: b, end: en}}
	}
	p := e.(*metapb.RecyclePartition)
	if len(p.GetIndexIds()) == 0 {
		// No index ids recorded: every tablet of the table, filtered by partition.
		b, en := keys.TabletTableRange(ro.inst, p.GetTableId())
		return []tabletRange{{begin: b, end: en, partition: id}}
	}
	var out []tabletRange
	for _, idx := range p.GetIndexIds() {
		b, en := keys.TabletRange(ro.inst, p.GetTableId(), idx, id)
		out = append(out, tabletRange{begin: b, end: en})
	}
	return out
}

// tabletWork is a tablet to reclaim: its meta, the vaults its files may be in and their bytes.
type tabletWork struct {
	key    []byte
	meta   *metapb.TabletMeta
	vaults []string
	bytes  int64
}

// reclaimTablets reclaims every tablet in r, a batch at a time: files first, keys second.
func (ro *round) reclaimTablets(ctx context.Context, kr *KindReport, r tabletRange) error {
	cursor := r.begin
	for {
		if err := ro.stop(); err != nil {
			return err
		}
		var work []*tabletWork
		more := false
		err := ro.r.cfg.DB.View(ctx, func(tx kv.ReadTxn) error {
			work, more = work[:0], false
			kvs, err := tx.GetRange(cursor, r.end, ro.r.cfg.BatchSize, false)
			if err != nil {
				return err
			}
			if len(kvs) == ro.r.cfg.BatchSize {
				more = true
				cursor = append(append([]byte{}, kvs[len(kvs)-1].Key...), 0x00)
			}
			for _, e := range kvs {
				t := &metapb.TabletMeta{}
				if err := proto.Unmarshal(e.Value, t); err != nil {
					return fmt.Errorf("tablet at %s: %w", keys.Pretty(e.Key), err)
				}
				if r.partition != 0 && t.GetPartitionId() != r.partition {
					continue
				}
				w := &tabletWork{key: e.Key, meta: t, vaults: []string{t.GetVaultId()}}
				b, en := keys.RowsetRange(ro.inst, t.GetTabletId(), math.MinInt64, math.MaxInt64)
				rows, err := tx.GetRange(b, en, 0, false)
				if err != nil {
					return err
				}
				for _, re := range rows {
					rs := &metapb.RowsetMeta{}
					if err := proto.Unmarshal(re.Value, rs); err != nil {
						return fmt.Errorf("rowset at %s: %w", keys.Pretty(re.Key), err)
					}
					w.bytes += rs.GetTotalSize()
					if v := rs.GetVaultId(); v != "" && !slices.Contains(w.vaults, v) {
						w.vaults = append(w.vaults, v)
					}
				}
				work = append(work, w)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read tablets: %w", err)
		}
		for _, w := range work {
			kr.ToRecycleBytes += w.bytes
		}
		type del struct {
			tablet int64
			vault  string
		}
		var dels []del
		for _, w := range work {
			for _, v := range w.vaults {
				dels = append(dels, del{w.meta.GetTabletId(), v})
			}
		}
		errs := parallel(len(dels), ro.r.cfg.Parallelism, func(i int) error {
			st, err := ro.vault(ctx, dels[i].vault)
			if err == nil {
				err = st.DeletePrefix(ctx, vault.TabletPrefix(dels[i].tablet))
			}
			if err != nil {
				return fmt.Errorf("delete files of tablet %d: %w", dels[i].tablet, err)
			}
			return nil
		})
		if err := errors.Join(errs...); err != nil {
			return err // no key removed: the next round deletes again, then removes them
		}
		if len(work) > 0 {
			if err := ro.update(ctx, func(tx kv.Txn) error {
				for _, w := range work {
					if err := clearTablet(tx, ro.inst, w.key, w.meta); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return fmt.Errorf("remove tablet keys: %w", err)
			}
			for _, w := range work {
				kr.RecycledBytes += w.bytes
			}
		}
		if !more {
			return nil
		}
	}
}

// clearTablet removes every key of a tablet whose files are gone.
func clearTablet(tx kv.Txn, inst string, key []byte, t *metapb.TabletMeta) error {
	id := t.GetTabletId()
	ranges := [][2][]byte{}
	add := func(b, e []byte) { ranges = append(ranges, [2][]byte{b, e}) }
	add(keys.RowsetRange(inst, id, math.MinInt64, math.MaxInt64))
	add(keys.TabletStatsRange(inst, t.GetTableId(), t.GetIndexId(), t.GetPartitionId(), id))
	add(keys.DeleteBitmapRange(inst, id))
	for _, r := range ranges {
		if err := tx.ClearRange(r[0], r[1]); err != nil {
			return err
		}
	}
	for _, k := range [][]byte{
		keys.JobTablet(inst, t.GetTableId(), t.GetIndexId(), t.GetPartitionId(), id),
		keys.DeleteBitmapPending(inst, id),
		keys.TabletIndex(inst, id),
		key,
	} {
		if err := tx.Clear(k); err != nil {
			return err
		}
	}
	return nil
}
