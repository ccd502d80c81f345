package recycler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/vault"
)

// Leak is a file in a vault that no metadata references and no recycle entry covers: nothing
// will ever delete it.
type Leak struct {
	VaultID string
	Path    string
	Size    int64
}

// Missing is a segment file of a visible rowset (of a live partition and index) that is not in
// its vault: a query reading the rowset fails.
type Missing struct {
	VaultID    string
	TabletID   int64
	RowsetID   string
	EndVersion int64
	Path       string
}

// CheckReport is what Check found on one instance.
type CheckReport struct {
	Instance string
	Files    int // files listed under data/ in the instance's vaults
	Rowsets  int // visible rowsets of live partitions and indexes checked
	Leaked   []Leak
	Missing  []Missing
}

// OK reports whether the check found no leak either way.
func (c *CheckReport) OK() bool { return len(c.Leaked) == 0 && len(c.Missing) == 0 }

func (c *CheckReport) String() string {
	s := fmt.Sprintf("instance %s: %d files, %d visible rowsets, %d leaked files, %d missing files",
		c.Instance, c.Files, c.Rowsets, len(c.Leaked), len(c.Missing))
	for i, l := range c.Leaked {
		if i == 10 {
			s += "\n  ..."
			break
		}
		s += fmt.Sprintf("\n  leaked %s:%s (%d B)", l.VaultID, l.Path, l.Size)
	}
	for i, m := range c.Missing {
		if i == 10 {
			s += "\n  ..."
			break
		}
		s += fmt.Sprintf("\n  missing %s:%s (rowset %s of tablet %d at version %d)", m.VaultID, m.Path, m.RowsetID, m.TabletID, m.EndVersion)
	}
	return s
}

type rowsetRef struct {
	tablet int64
	rowset string
}

// Check reports leaks both ways on one instance: files under data/ in its vaults that no rowset
// (visible, tmp, or named by a recycle entry) references and that belong to no tablet of an index
// or partition with a recycle entry; and segment files of visible rowsets of live partitions and
// indexes that are missing from their vault. It only reads, and may run while loads,
// compactions and recycle rounds go on: it lists the files first, then reads the metadata in
// the order rowsets move through their states (recycle entries, tmp, visible, recycle entries
// again), and confirms every finding by reading the file and the metadata again, so a state
// that changed in between is never reported.
func (r *Recycler) Check(ctx context.Context, instanceID string) (*CheckReport, error) {
	rep := &CheckReport{Instance: instanceID}
	db := r.cfg.DB

	// The instance's vaults and their files.
	defaultVault := ""
	var vaultIDs []string
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		info := &metapb.InstanceInfo{}
		ok, err := kv.GetProto(tx, keys.Instance(instanceID), info)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("instance %s not found", instanceID)
		}
		defaultVault = info.GetDefaultVaultId()
		b, e := keys.StorageVaultRange(instanceID)
		kvs, err := tx.GetRange(b, e, 0, false)
		for _, kvp := range kvs {
			k, err := keys.ParseStorageVault(kvp.Key)
			if err != nil {
				return err
			}
			vaultIDs = append(vaultIDs, k.VaultID)
		}
		return err
	}); err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	stores := map[string]vault.Storage{}
	files := map[string][]vault.ObjectInfo{} // by vault id
	present := map[string]bool{}             // vault id + "\x00" + path
	for _, id := range vaultIDs {
		st, err := openVault(ctx, r.cfg, instanceID, id)
		if err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
		stores[id] = st
		objs, err := st.List(ctx, "data/")
		if err != nil {
			return nil, fmt.Errorf("check: list vault %s: %w", id, err)
		}
		files[id] = objs
		rep.Files += len(objs)
		for _, o := range objs {
			present[id+"\x00"+o.Path] = true
		}
	}

	// The metadata, in the order rowsets move.
	refs := map[rowsetRef]bool{}
	addRef := func(rs *metapb.RowsetMeta) { refs[rowsetRef{rs.GetTabletId(), rs.GetRowsetId()}] = true }
	scanEntries := func() error {
		b, e := keys.RecycleRowsetRange(instanceID)
		return scan(ctx, db, b, e, func(kvp kv.KeyValue) error {
			rec := &metapb.RecycleRowset{}
			if err := proto.Unmarshal(kvp.Value, rec); err != nil {
				return fmt.Errorf("recycle-rowset entry at %s: %w", keys.Pretty(kvp.Key), err)
			}
			addRef(rec.GetRowset())
			return nil
		})
	}
	rowsetsIn := func(b, e []byte, visit func(*metapb.RowsetMeta)) error {
		return scan(ctx, db, b, e, func(kvp kv.KeyValue) error {
			rs := &metapb.RowsetMeta{}
			if err := proto.Unmarshal(kvp.Value, rs); err != nil {
				return fmt.Errorf("rowset at %s: %w", keys.Pretty(kvp.Key), err)
			}
			visit(rs)
			return nil
		})
	}
	var visible []*metapb.RowsetMeta
	tb, te := allTmpRowsets(instanceID)
	vb, ve := allRowsets(instanceID)
	if err := errors.Join(
		scanEntries(),
		rowsetsIn(tb, te, addRef),
		rowsetsIn(vb, ve, func(rs *metapb.RowsetMeta) { addRef(rs); visible = append(visible, rs) }),
		scanEntries(),
	); err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	// Indexes and partitions with a recycle entry, then the tablets.
	entryStates := func(b, e []byte, kind Kind, parse func([]byte) (int64, error)) (map[int64]metapb.RecycleState, error) {
		out := map[int64]metapb.RecycleState{}
		err := scan(ctx, db, b, e, func(kvp kv.KeyValue) error {
			entry := newEntry(kind)
			if err := proto.Unmarshal(kvp.Value, entry); err != nil {
				return fmt.Errorf("recycle-%s entry at %s: %w", kind, keys.Pretty(kvp.Key), err)
			}
			id, err := parse(kvp.Key)
			out[id] = entry.GetState()
			return err
		})
		return out, err
	}
	ib, ie := keys.RecycleIndexRange(instanceID)
	indexes, err := entryStates(ib, ie, KindIndex, func(k []byte) (int64, error) {
		p, err := keys.ParseRecycleIndex(k)
		return p.IndexID, err
	})
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	pb, pe := keys.RecyclePartitionRange(instanceID)
	partitions, err := entryStates(pb, pe, KindPartition, func(k []byte) (int64, error) {
		p, err := keys.ParseRecyclePartition(k)
		return p.PartitionID, err
	})
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	pendingTablets := map[int64]bool{} // tablets of an index or partition with a recycle entry
	tabletVault := map[int64]string{}
	ab, ae := allTablets(instanceID)
	if err := scan(ctx, db, ab, ae, func(kvp kv.KeyValue) error {
		t := &metapb.TabletMeta{}
		if err := proto.Unmarshal(kvp.Value, t); err != nil {
			return fmt.Errorf("tablet at %s: %w", keys.Pretty(kvp.Key), err)
		}
		tabletVault[t.GetTabletId()] = t.GetVaultId()
		_, pi := partitions[t.GetPartitionId()]
		_, ii := indexes[t.GetIndexId()]
		if pi || ii {
			pendingTablets[t.GetTabletId()] = true
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}

	// Files nothing references, confirmed by a second look at the file.
	for _, id := range vaultIDs {
		for _, o := range files[id] {
			tablet, rowset, ok := parseDataPath(o.Path)
			if ok && (refs[rowsetRef{tablet, rowset}] || pendingTablets[tablet]) {
				continue
			}
			if _, err := stores[id].Stat(ctx, o.Path); errors.Is(err, vault.ErrNotFound) {
				continue // deleted since the listing (by a round that then dropped its entry)
			} else if err != nil {
				return nil, fmt.Errorf("check: stat %s in vault %s: %w", o.Path, id, err)
			}
			rep.Leaked = append(rep.Leaked, Leak{VaultID: id, Path: o.Path, Size: o.Size})
		}
	}

	// Segment files of visible rowsets, confirmed by reading the file and the rowset again.
	dropped := func(s metapb.RecycleState, ok bool) bool {
		return ok && (s == metapb.RecycleState_RECYCLE_DROPPED || s == metapb.RecycleState_RECYCLE_RECYCLING)
	}
	for _, rs := range visible {
		ps, pok := partitions[rs.GetPartitionId()]
		is, iok := indexes[rs.GetIndexId()]
		if dropped(ps, pok) || dropped(is, iok) {
			continue // being reclaimed: files go first, rowsets second
		}
		rep.Rowsets++
		vid := rs.GetVaultId()
		if vid == "" {
			vid = tabletVault[rs.GetTabletId()]
		}
		if vid == "" {
			vid = defaultVault
		}
		for seg := range int(rs.GetNumSegments()) {
			path := vault.SegmentPath(rs.GetTabletId(), rs.GetRowsetId(), seg)
			if present[vid+"\x00"+path] {
				continue
			}
			st, ok := stores[vid]
			if !ok {
				rep.Missing = append(rep.Missing, Missing{VaultID: vid, TabletID: rs.GetTabletId(), RowsetID: rs.GetRowsetId(), EndVersion: rs.GetEndVersion(), Path: path})
				continue
			}
			if _, err := st.Stat(ctx, path); err == nil {
				continue // uploaded after the listing
			} else if !errors.Is(err, vault.ErrNotFound) {
				return nil, fmt.Errorf("check: stat %s in vault %s: %w", path, vid, err)
			}
			still, err := r.stillLive(ctx, instanceID, rs)
			if err != nil {
				return nil, fmt.Errorf("check: %w", err)
			}
			if still {
				rep.Missing = append(rep.Missing, Missing{VaultID: vid, TabletID: rs.GetTabletId(), RowsetID: rs.GetRowsetId(), EndVersion: rs.GetEndVersion(), Path: path})
			}
		}
	}
	sort.Slice(rep.Leaked, func(i, j int) bool {
		return rep.Leaked[i].VaultID+"\x00"+rep.Leaked[i].Path < rep.Leaked[j].VaultID+"\x00"+rep.Leaked[j].Path
	})
	return rep, nil
}

// stillLive reports whether rs is still visible in a live partition and index.
func (r *Recycler) stillLive(ctx context.Context, inst string, rs *metapb.RowsetMeta) (bool, error) {
	live := false
	err := r.cfg.DB.View(ctx, func(tx kv.ReadTxn) error {
		cur := &metapb.RowsetMeta{}
		ok, err := kv.GetProto(tx, keys.Rowset(inst, rs.GetTabletId(), rs.GetEndVersion()), cur)
		if err != nil || !ok || cur.GetRowsetId() != rs.GetRowsetId() {
			return err
		}
		p := &metapb.RecyclePartition{}
		if _, err := kv.GetProto(tx, keys.RecyclePartition(inst, rs.GetPartitionId()), p); err != nil {
			return err
		}
		i := &metapb.RecycleIndex{}
		if _, err := kv.GetProto(tx, keys.RecycleIndex(inst, rs.GetIndexId()), i); err != nil {
			return err
		}
		gone := func(s metapb.RecycleState) bool {
			return s == metapb.RecycleState_RECYCLE_DROPPED || s == metapb.RecycleState_RECYCLE_RECYCLING
		}
		live = !gone(p.GetState()) && !gone(i.GetState())
		return nil
	})
	return live, err
}

// parseDataPath splits "data/{tablet_id}/{rowset_id}_{rest}" (vault.SegmentPath and the index
// files beside it).
func parseDataPath(p string) (tablet int64, rowset string, ok bool) {
	rest, ok := strings.CutPrefix(p, "data/")
	if !ok {
		return 0, "", false
	}
	ts, name, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, "", false
	}
	tablet, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, "", false
	}
	i := strings.IndexByte(name, '_') // rowset ids have none (vault.RowsetPrefix relies on it)
	if i <= 0 {
		return 0, "", false
	}
	return tablet, name[:i], true
}
