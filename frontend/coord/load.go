package coord

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
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
// become visible at once, or none. An empty label gets a generated one.
func (c *Coordinator) Load(ctx context.Context, group string, t *catalog.Table, rows *commonpb.Batch, label string) (*LoadResult, error) {
	if label == "" {
		label = "insert_" + newID()
	}
	meta := c.cfg.Meta
	begin, err := meta.BeginTxn(ctx, &metapb.BeginTxnRequest{InstanceId: c.cfg.InstanceID, DbId: t.DBID, Label: label,
		TableIds: []int64{t.ID}, TimeoutMs: c.cfg.LoadTimeout.Milliseconds()})
	if err != nil {
		return nil, fmt.Errorf("begin load transaction: %w", err)
	}
	if begin.LabelExists {
		return nil, &LabelExistsError{Label: label, Status: begin.Existing.GetStatus()}
	}
	txnID := begin.TxnId
	res, err := c.write(ctx, group, t, rows, txnID)
	if err == nil {
		var commit *metapb.CommitTxnResponse
		commit, err = meta.CommitTxn(ctx, &metapb.CommitTxnRequest{InstanceId: c.cfg.InstanceID, DbId: t.DBID, TxnId: txnID})
		if err == nil {
			return &LoadResult{Label: label, TxnID: txnID, Status: strings.TrimPrefix(commit.Txn.GetStatus().String(), "TXN_"), Rows: res.NumRows}, nil
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

func (c *Coordinator) write(ctx context.Context, group string, t *catalog.Table, rows *commonpb.Batch, txnID int64) (*computepb.WriteResponse, error) {
	nodes, err := c.nodes(ctx, group)
	if err != nil {
		return nil, err
	}
	sink := &computepb.TabletSink{DbId: t.DBID, TableId: t.ID, IndexId: t.IndexID, Schema: t.Schema(), VaultId: t.VaultID}
	for _, name := range t.Distribution.Columns {
		sink.DistributionColumns = append(sink.DistributionColumns, int32(t.ColumnIndex(name)))
	}
	for _, p := range t.Partitions {
		sink.Partitions = append(sink.Partitions, &computepb.PartitionSink{PartitionId: p.ID, TabletIds: p.Tablets})
	}
	node := owner(nodes, t.Partitions[0].Tablets[0])
	cl, err := c.client(node.GrpcAddress)
	if err != nil {
		return nil, err
	}
	return cl.Write(ctx, &computepb.WriteRequest{LoadId: newID(), TxnId: txnID, Sink: sink, Rows: rows})
}
