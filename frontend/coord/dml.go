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
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Kind is the statement a load transaction of the frontend comes from. It prefixes generated
// labels (insert_<id>, as Doris) and the txn's BeginTxn request id ("<kind>/<id>"), so that SHOW
// LOAD can tell the frontend's loads (and what kind) from a compute node's stream loads, whose
// request ids are empty.
type Kind string

const (
	KindInsert Kind = "insert" // INSERT ... VALUES | SELECT
	KindDelete Kind = "delete" // DELETE FROM (a delete predicate, or tombstones on UNIQUE tables)
	KindUpdate Kind = "update" // UPDATE on UNIQUE tables
)

func (k Kind) requestID() string { return string(k) + "/" + newID() }

// KindOf is the kind recorded in a txn's request id; "" for a txn the frontend did not begin.
func KindOf(requestID string) Kind {
	k, _, ok := strings.Cut(requestID, "/")
	if !ok {
		return ""
	}
	switch Kind(k) {
	case KindInsert, KindDelete, KindUpdate:
		return Kind(k)
	}
	return ""
}

// DeleteWhere runs DELETE FROM t [PARTITION ...] WHERE pred on a DUPLICATE or AGGREGATE KEY table
// as one load transaction (label delete_<id>): every tablet of every given partition gets a
// rowset without segments that carries pred (a write request per partition, to the owner of its
// first tablet), and the txn commits only when all of them were written; otherwise it is aborted
// and nothing changes. The result's Rows is 0: a predicate delete does not count rows (Doris
// reports 0 rows affected too).
func (c *Coordinator) DeleteWhere(ctx context.Context, group string, t *catalog.Table, parts []*catalog.Partition, pred *commonpb.DeletePredicate) (*LoadResult, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("BUG: delete from table %s with no partitions", t.Name)
	}
	label := string(KindDelete) + "_" + newID()
	meta := c.cfg.Meta
	begin, err := meta.BeginTxn(ctx, &metapb.BeginTxnRequest{InstanceId: c.cfg.InstanceID, DbId: t.DBID, Label: label,
		TableIds: []int64{t.ID}, TimeoutMs: c.cfg.LoadTimeout.Milliseconds(), RequestId: KindDelete.requestID()})
	if err != nil {
		return nil, fmt.Errorf("begin delete transaction: %w", err)
	}
	if begin.LabelExists {
		return nil, fmt.Errorf("BUG: generated label %s exists", label)
	}
	txnID := begin.TxnId
	err = c.writeDeletes(ctx, group, t, parts, pred, txnID)
	if err == nil {
		var commit *metapb.CommitTxnResponse
		commit, err = c.Commit(ctx, group, t, txnID) // the one commit path of loads (commit.go)
		if err == nil {
			return &LoadResult{Label: label, TxnID: txnID, Status: strings.TrimPrefix(commit.Txn.GetStatus().String(), "TXN_")}, nil
		}
		err = fmt.Errorf("commit delete transaction %d: %w", txnID, err)
	}
	_, aerr := meta.AbortTxn(context.WithoutCancel(ctx), &metapb.AbortTxnRequest{InstanceId: c.cfg.InstanceID, DbId: t.DBID, TxnId: txnID, Reason: err.Error()})
	if aerr != nil {
		err = errors.Join(err, fmt.Errorf("abort delete transaction %d: %w", txnID, aerr))
	}
	return nil, err
}

func (c *Coordinator) writeDeletes(ctx context.Context, group string, t *catalog.Table, parts []*catalog.Partition, pred *commonpb.DeletePredicate, txnID int64) error {
	var writes []partitionWrite
	for _, p := range parts {
		if len(p.Tablets) == 0 {
			continue
		}
		writes = append(writes, partitionWrite{what: "delete from partition " + p.Name, tablet: p.Tablets[0],
			req: &computepb.WriteRequest{LoadId: newID(), TxnId: txnID, DeletePredicate: pred, Rows: &commonpb.Batch{}, Sink: sinkOf(t, *p)}})
	}
	_, err := c.sendWrites(ctx, group, writes)
	return err
}

// ListTxns lists the transactions of a database, newest first: the one labelled label, or (label
// empty) at most limit of them.
func (c *Coordinator) ListTxns(ctx context.Context, dbID int64, label string, limit int) ([]*metapb.TxnInfo, error) {
	resp, err := c.cfg.Meta.ListTxns(ctx, &metapb.ListTxnsRequest{InstanceId: c.cfg.InstanceID, DbId: dbID, Label: label, Limit: int32(limit)})
	if err != nil {
		if status.Code(err) == codes.NotFound {
			return nil, nil
		}
		return nil, fmt.Errorf("list transactions of database %d: %w", dbID, err)
	}
	return resp.GetTxns(), nil
}
