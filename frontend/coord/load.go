package coord

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/frontend/catalog"
)

// LoadResult is what a committed load reports, as Doris's INSERT does.
type LoadResult struct {
	Label  string
	TxnID  int64
	Status string // VISIBLE
	Rows   int64
}

// LabelExistsError says a label was used by an earlier load of the database.
type LabelExistsError struct {
	Label  string
	Status metapb.TxnStatus
}

func (e *LabelExistsError) Error() string {
	return fmt.Sprintf("Label [%s] has already been used, relate to txn status %s", e.Label, strings.TrimPrefix(e.Status.String(), "TXN_"))
}

// Load writes rows (every column of t, in schema order) into t as one transaction: all of them
// become visible at once, or none. An empty label gets a generated one. Rows are routed to t's
// partitions (catalog.Router); a row no partition takes fails the load with a
// *partition.NoPartitionError naming it, except in an AUTO PARTITION table, where the missing
// partitions are created first (Config.Partitions). Each partition's rows go to a compute node
// in a write request of their own, all in the load's transaction.
func (c *Coordinator) Load(ctx context.Context, group string, t *catalog.Table, rows *commonpb.Batch, label string) (*LoadResult, error) {
	return c.LoadInto(ctx, group, t, rows, label, nil)
}

// LoadInto is Load restricted to the named partitions (INSERT INTO t PARTITION (...)): a row
// another partition (or none) takes fails the load; no partition is created.
func (c *Coordinator) LoadInto(ctx context.Context, group string, t *catalog.Table, rows *commonpb.Batch, label string, partitions []string) (*LoadResult, error) {
	return c.LoadAs(ctx, group, KindInsert, t, rows, label, partitions)
}

// LoadAs is LoadInto for a statement of the given kind (INSERT, or the write-back of DELETE and
// UPDATE on UNIQUE KEY tables): the kind prefixes a generated label and is recorded in the
// txn's request id, which SHOW LOAD reads (see Kind).
func (c *Coordinator) LoadAs(ctx context.Context, group string, kind Kind, t *catalog.Table, rows *commonpb.Batch, label string, partitions []string) (*LoadResult, error) {
	b, err := vector.FromProto(rows)
	if err != nil {
		return nil, fmt.Errorf("BUG: load rows: %w", err)
	}
	t, parts, err := c.route(ctx, t, b, partitions)
	if err != nil {
		return nil, err
	}
	if label == "" {
		label = string(kind) + "_" + newID()
	}
	meta := c.cfg.Meta
	begin, err := meta.BeginTxn(ctx, &metapb.BeginTxnRequest{InstanceId: c.cfg.InstanceID, DbId: t.DBID, Label: label,
		TableIds: []int64{t.ID}, TimeoutMs: c.cfg.LoadTimeout.Milliseconds(), RequestId: kind.requestID()})
	if err != nil {
		return nil, fmt.Errorf("begin load transaction: %w", err)
	}
	if begin.LabelExists {
		return nil, &LabelExistsError{Label: label, Status: begin.Existing.GetStatus()}
	}
	txnID := begin.TxnId
	n, err := c.write(ctx, group, t, b, parts, txnID)
	if err == nil {
		var commit *metapb.CommitTxnResponse
		commit, err = c.Commit(ctx, group, t, txnID)
		if err == nil {
			return &LoadResult{Label: label, TxnID: txnID, Status: strings.TrimPrefix(commit.Txn.GetStatus().String(), "TXN_"), Rows: n}, nil
		}
		err = fmt.Errorf("commit load transaction %d: %w", txnID, err)
	}
	// Abort with a fresh context: the statement's own may be what failed.
	_, aerr := meta.AbortTxn(context.WithoutCancel(ctx), &metapb.AbortTxnRequest{InstanceId: c.cfg.InstanceID, DbId: t.DBID, TxnId: txnID, Reason: err.Error()})
	if aerr != nil {
		err = errors.Join(err, fmt.Errorf("abort load transaction %d: %w", txnID, aerr))
	}
	return nil, err
}

// route assigns every row of b to a partition of t (index into the returned table's
// Partitions), creating the partitions an AUTO PARTITION table lacks.
func (c *Coordinator) route(ctx context.Context, t *catalog.Table, b *vector.Batch, restrict []string) (*catalog.Table, []int32, error) {
	r, err := t.Router()
	if err != nil {
		return nil, nil, err
	}
	parts := r.Route(b)
	var missing []int32
	for i, p := range parts {
		if p < 0 {
			missing = append(missing, int32(i))
		}
	}
	if len(missing) > 0 && len(restrict) == 0 && t.Partitioning != nil && t.Partitioning.Auto && c.cfg.Partitions != nil {
		add, err := t.AutoPartitions(b, missing)
		if err != nil {
			return nil, nil, err
		}
		if t, err = c.cfg.Partitions.CreateAutoPartitions(ctx, t, add); err != nil {
			return nil, nil, err
		}
		if r, err = t.Router(); err != nil {
			return nil, nil, err
		}
		parts = r.Route(b)
	}
	allowed := map[int32]bool{}
	for _, name := range restrict {
		for i, p := range t.Partitions {
			if strings.EqualFold(p.Name, name) {
				allowed[int32(i)] = true
			}
		}
	}
	for i, p := range parts {
		if p < 0 || len(restrict) > 0 && !allowed[p] {
			return nil, nil, r.NoPartition(b, i, restrict)
		}
	}
	return t, parts, nil
}

// write sends each partition's rows of b (parts[i] is row i's partition) to a compute node, a
// few requests at a time, and returns how many rows were written.
func (c *Coordinator) write(ctx context.Context, group string, t *catalog.Table, b *vector.Batch, parts []int32, txnID int64) (int64, error) {
	sel := make([][]int32, len(t.Partitions))
	for i, p := range parts {
		sel[p] = append(sel[p], int32(i))
	}
	var writes []partitionWrite
	for pi, rows := range sel {
		if len(rows) == 0 {
			continue
		}
		p := t.Partitions[pi]
		cols := make([]*vector.Vector, len(b.Cols))
		for k, v := range b.Cols {
			if len(rows) == b.N {
				cols[k] = v
			} else {
				cols[k] = v.Gather(rows)
			}
		}
		writes = append(writes, partitionWrite{what: "write partition " + p.Name, tablet: p.Tablets[0],
			req: &computepb.WriteRequest{LoadId: newID(), TxnId: txnID, Rows: vector.ToProto(vector.NewBatch(cols, len(rows))), Sink: sinkOf(t, p)}})
	}
	return c.sendWrites(ctx, group, writes)
}

// partitionWrite is one write request of a load, sent to the owner of tablet.
type partitionWrite struct {
	what   string // for errors: "write partition p"
	tablet int64
	req    *computepb.WriteRequest
}

// sinkOf is the tablet sink of one partition of t.
func sinkOf(t *catalog.Table, p catalog.Partition) *computepb.TabletSink {
	var dist []int32
	for _, name := range t.Distribution.Columns {
		dist = append(dist, int32(t.ColumnIndex(name)))
	}
	return &computepb.TabletSink{DbId: t.DBID, TableId: t.ID, IndexId: t.IndexID, Schema: t.Schema(), VaultId: t.VaultID,
		DistributionColumns: dist, Partitions: []*computepb.PartitionSink{{PartitionId: p.ID, TabletIds: p.Tablets}}}
}

// sendWrites sends the writes to the owners of their tablets, WriteParallelism at a time; the
// first failure cancels the rest. It returns the rows written.
func (c *Coordinator) sendWrites(ctx context.Context, group string, writes []partitionWrite) (int64, error) {
	nodes, err := c.nodes(ctx, group)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int64
		errs  []error
		slots = make(chan struct{}, max(c.cfg.WriteParallelism, 1))
	)
	for _, w := range writes {
		node := owner(nodes, w.tablet)
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			cl, err := c.client(node.GrpcAddress)
			var resp *computepb.WriteResponse
			if err == nil {
				resp, err = cl.Write(ctx, w.req)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", w.what, err))
				cancel()
				return
			}
			total += resp.GetNumRows()
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return 0, errs[0]
	}
	return total, nil
}
