package ddl

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/catalog"
)

// Batch sizes of the Meta Service calls, so that each stays well inside one KV transaction's
// limits however many partitions a statement touches.
const (
	tabletsPerRequest    = 500
	partitionsPerRequest = 1000
)

func partitionIDs(parts []catalog.Partition) []int64 {
	ids := make([]int64, len(parts))
	for i, p := range parts {
		ids[i] = p.ID
	}
	return ids
}

// createPartitions gives parts (of t, whose ids are set) their ids and buckets[i] tablets each,
// marks them PREPARED in the Meta Service and creates their tablets. Nothing is journalled.
func (e *Executor) createPartitions(ctx context.Context, t *catalog.Table, parts []catalog.Partition, buckets []int) error {
	if len(parts) == 0 {
		return nil
	}
	n := int64(0)
	for i := range parts {
		if buckets[i] <= 0 {
			return fmt.Errorf("BUG: partition %s of %s has %d buckets", parts[i].Name, t.Name, buckets[i])
		}
		n += 1 + int64(buckets[i])
	}
	next, err := e.Catalog.AllocIDs(n)
	if err != nil {
		return err
	}
	for i := range parts {
		parts[i].ID, parts[i].Tablets = next, nil
		next++
		for range buckets[i] {
			parts[i].Tablets = append(parts[i].Tablets, next)
			next++
		}
	}
	ids := partitionIDs(parts)
	for lo := 0; lo < len(ids); lo += partitionsPerRequest {
		req := &metapb.PartitionRequest{InstanceId: e.InstanceID, DbId: t.DBID, TableId: t.ID,
			IndexIds: []int64{t.IndexID}, PartitionIds: ids[lo:min(lo+partitionsPerRequest, len(ids))]}
		if _, err := e.Meta.PreparePartition(ctx, req); err != nil {
			return fmt.Errorf("prepare partitions of %s: %w", t.Name, err)
		}
	}
	schema := t.Schema()
	req := &metapb.CreateTabletsRequest{InstanceId: e.InstanceID}
	flush := func() error {
		if len(req.Tablets) == 0 {
			return nil
		}
		if _, err := e.Meta.CreateTablets(ctx, req); err != nil {
			return fmt.Errorf("create tablets of %s: %w", t.Name, err)
		}
		req = &metapb.CreateTabletsRequest{InstanceId: e.InstanceID}
		return nil
	}
	for _, p := range parts {
		for _, id := range p.Tablets {
			req.Tablets = append(req.Tablets, &metapb.TabletMeta{TabletId: id, DbId: t.DBID, TableId: t.ID, IndexId: t.IndexID,
				PartitionId: p.ID, VaultId: t.VaultID, Schema: schema, CreationTimeMs: t.CreateTimeMs})
			if len(req.Tablets) == tabletsPerRequest {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// partitionCall calls one of prepare/commit/drop_partition for ids, in batches.
func (e *Executor) partitionCall(ctx context.Context, call func(context.Context, *metapb.PartitionRequest) error, t *catalog.Table, ids []int64, bump bool) error {
	for lo := 0; lo < len(ids); lo += partitionsPerRequest {
		req := &metapb.PartitionRequest{InstanceId: e.InstanceID, DbId: t.DBID, TableId: t.ID, IndexIds: []int64{t.IndexID},
			PartitionIds: ids[lo:min(lo+partitionsPerRequest, len(ids))], UpdateTableVersion: bump}
		if err := call(ctx, req); err != nil {
			return err
		}
	}
	return nil
}

// commitPartitions makes journalled partitions live in the Meta Service (their recycle entries go).
func (e *Executor) commitPartitions(ctx context.Context, t *catalog.Table, ids []int64, bump bool) error {
	err := e.partitionCall(ctx, func(ctx context.Context, r *metapb.PartitionRequest) error {
		_, err := e.Meta.CommitPartition(ctx, r)
		return err
	}, t, ids, bump)
	if err != nil {
		return fmt.Errorf("commit partitions of %s: %w", t.Name, err)
	}
	return nil
}

// dropPartitions hands partitions to the recycler. The context is detached from the statement's:
// the catalog no longer names them, so this must happen even when the client went away.
func (e *Executor) dropPartitions(ctx context.Context, t *catalog.Table, ids []int64) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	err := e.partitionCall(ctx, func(ctx context.Context, r *metapb.PartitionRequest) error {
		_, err := e.Meta.DropPartition(ctx, r)
		return err
	}, t, ids, true)
	if err != nil {
		return fmt.Errorf("hand the dropped partitions of %s to the recycler: %w", t.Name, err)
	}
	return nil
}

// abandon drops prepared partitions the journal never took (best effort: if this fails too, their
// prepared entries expire and the recycler reclaims them anyway).
func (e *Executor) abandon(ctx context.Context, t *catalog.Table, parts []catalog.Partition) {
	_ = e.dropPartitions(ctx, t, partitionIDs(parts))
}

// addPartitions creates parts in table t of database db: ids and tablets, journal, commit. With
// ifNotExists a partition whose name the table has by then is skipped (and its prepared tablets
// dropped). It returns the partitions added.
func (e *Executor) addPartitions(ctx context.Context, db string, t *catalog.Table, parts []catalog.Partition, buckets []int, ifNotExists bool) ([]catalog.Partition, error) {
	if err := e.createPartitions(ctx, t, parts, buckets); err != nil {
		e.abandon(ctx, t, parts)
		return nil, err
	}
	added, err := e.Catalog.AddPartitions(db, t.Name, t.ID, parts, ifNotExists)
	if err != nil {
		e.abandon(ctx, t, parts)
		return nil, err
	}
	took := map[int64]bool{}
	for _, id := range added {
		took[id] = true
	}
	var kept, skipped []catalog.Partition
	for _, p := range parts {
		if took[p.ID] {
			kept = append(kept, p)
		} else {
			skipped = append(skipped, p)
		}
	}
	e.abandon(ctx, t, skipped)
	return kept, e.commitPartitions(ctx, t, added, true)
}

// AddPartition runs ALTER TABLE t ADD PARTITION.
func (e *Executor) AddPartition(ctx context.Context, db, table string, op *ast.AddPartition) error {
	t, err := e.Catalog.Table(db, table)
	if err != nil {
		return err
	}
	p, buckets, err := binder.AddPartition(t, op)
	if err != nil {
		return err
	}
	if t.PartitionByName(p.Name) != nil {
		if op.Partition.IfNotExists {
			return nil
		}
		return &catalog.Error{Kind: catalog.PartitionExists, Name: p.Name}
	}
	_, err = e.addPartitions(ctx, db, t, []catalog.Partition{*p}, []int{buckets}, op.Partition.IfNotExists)
	return err
}

// CreateAutoPartitions adds the partitions a load into an AUTO PARTITION table needs (from
// (*catalog.Table).AutoPartitions), with the table's bucket count, and returns the table as it
// is afterwards. A partition another load created meanwhile is kept as it is.
func (e *Executor) CreateAutoPartitions(ctx context.Context, t *catalog.Table, parts []catalog.Partition) (*catalog.Table, error) {
	db, err := e.databaseName(t.DBID)
	if err != nil {
		return nil, err
	}
	var todo []catalog.Partition
	for _, p := range parts {
		if t.PartitionByName(p.Name) == nil {
			todo = append(todo, p)
		}
	}
	buckets := make([]int, len(todo))
	for i := range buckets {
		buckets[i] = t.Distribution.Buckets
	}
	if _, err := e.addPartitions(ctx, db, t, todo, buckets, true); err != nil {
		return nil, fmt.Errorf("create partitions %s: %w", names(todo), err)
	}
	return e.Catalog.Table(db, t.Name)
}

func names(parts []catalog.Partition) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += ", "
		}
		s += p.Name
	}
	return s
}

func (e *Executor) databaseName(id int64) (string, error) {
	for _, name := range e.Catalog.Databases() {
		if d, ok := e.Catalog.Database(name); ok && d.ID == id {
			return name, nil
		}
	}
	return "", fmt.Errorf("database %d was dropped", id)
}

// DropPartition runs ALTER TABLE t DROP PARTITION.
func (e *Executor) DropPartition(ctx context.Context, db, table string, op *ast.DropPartition) error {
	t, err := e.Catalog.Table(db, table)
	if err != nil {
		return err
	}
	p, err := e.Catalog.DropPartition(db, table, op.Name.Name, op.IfExists)
	if err != nil || p == nil {
		return err
	}
	return e.dropPartitions(ctx, t, []int64{p.ID})
}

// DropTable drops a table and hands its partitions to the recycler.
func (e *Executor) DropTable(ctx context.Context, db, name string, ifExists bool) error {
	t, err := e.Catalog.DropTable(db, name, ifExists)
	if err != nil || t == nil {
		return err
	}
	return errors.Join(e.dropPartitions(ctx, t, partitionIDs(t.Partitions)), e.dropStats(ctx, t))
}

// DropDatabase drops a database and hands the partitions of its tables to the recycler.
func (e *Executor) DropDatabase(ctx context.Context, name string, ifExists bool) error {
	d, err := e.Catalog.DropDatabase(name, ifExists)
	if err != nil || d == nil {
		return err
	}
	var errs []error
	for _, t := range d.Tables {
		errs = append(errs, e.dropPartitions(ctx, t, partitionIDs(t.Partitions)), e.dropStats(ctx, t))
	}
	return errors.Join(errs...)
}
