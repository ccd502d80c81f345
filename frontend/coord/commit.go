package coord

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/frontend/catalog"
)

// Commit commits a load transaction into t through a compute node's CommitTxn (the publish:
// merge-on-write tables get their delete bitmaps there; every load commits this way, so there is
// one commit path). The node is the owner of t's first tablet, so the loads of a table publish on
// one node and find its primary keys cached; when that node cannot be reached the next one is
// tried (a publish is idempotent: a committed txn is returned as it is).
func (c *Coordinator) Commit(ctx context.Context, group string, t *catalog.Table, txnID int64) (*metapb.CommitTxnResponse, error) {
	nodes, err := c.nodes(ctx, group)
	if err != nil {
		return nil, err
	}
	var hint int64
	if len(t.Partitions) > 0 && len(t.Partitions[0].Tablets) > 0 {
		hint = t.Partitions[0].Tablets[0]
	}
	first := owner(nodes, hint)
	order := []*metapb.NodeInfo{first}
	for _, n := range nodes {
		if n != first {
			order = append(order, n)
		}
	}
	var last error
	for _, n := range order {
		cl, err := c.client(n.GrpcAddress)
		if err != nil {
			last = err
			continue
		}
		resp, err := cl.CommitTxn(ctx, &computepb.CommitTxnRequest{DbId: t.DBID, TxnId: txnID})
		if err == nil {
			return resp.GetCommit(), nil
		}
		last = fmt.Errorf("compute node %s: %w", n.GetNodeId(), err)
		if status.Code(err) != codes.Unavailable {
			break
		}
	}
	return nil, last
}
