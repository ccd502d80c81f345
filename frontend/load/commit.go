package load

import (
	"context"
	"fmt"
	"sort"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
)

// commitTxn commits a (precommitted) load transaction through a running compute node of the
// group's CommitTxn — the publish every load commits through (merge-on-write tables get their
// delete bitmaps there) — trying the next node while one cannot be reached.
func (h *Handler) commitTxn(ctx context.Context, dbID, txnID int64) (*metapb.CommitTxnResponse, error) {
	resp, err := h.cfg.Meta.GetComputeGroup(ctx, &metapb.GetComputeGroupRequest{InstanceId: h.cfg.InstanceID, Name: h.cfg.Group})
	if err != nil {
		return nil, fmt.Errorf("compute group %q: %w", h.cfg.Group, err)
	}
	var addrs []string
	for _, n := range resp.GetGroup().GetNodes() {
		if n.GetStatus() == metapb.NodeStatus_NODE_RUNNING && n.GetGrpcAddress() != "" {
			addrs = append(addrs, n.GetGrpcAddress())
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("compute group %q has no running compute node", h.cfg.Group)
	}
	sort.Strings(addrs)
	start := int(h.next.Add(1) % uint64(len(addrs)))
	var last error
	for k := range addrs {
		addr := addrs[(start+k)%len(addrs)]
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			last = fmt.Errorf("compute node %s: %w", addr, err)
			continue
		}
		r, err := computepb.NewComputeServiceClient(cc).CommitTxn(ctx, &computepb.CommitTxnRequest{DbId: dbID, TxnId: txnID})
		cc.Close()
		if err == nil {
			return r.GetCommit(), nil
		}
		last = fmt.Errorf("compute node %s: %w", addr, err)
		if status.Code(err) != codes.Unavailable {
			break
		}
	}
	return nil, last
}
