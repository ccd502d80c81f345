package coord

import (
	"context"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/frontend/catalog"
)

// mergedCompute fails ExecFragment as a node whose tablet's version was merged away (OutOfRange),
// after sending `before` batches, `fails` times; then it sends one batch.
type mergedCompute struct {
	computepb.UnimplementedComputeServiceServer
	mu            sync.Mutex
	fails, before int
	runs          int
}

func (m *mergedCompute) ExecFragment(_ *computepb.ExecFragmentRequest, s grpc.ServerStreamingServer[computepb.ExecFragmentResponse]) error {
	m.mu.Lock()
	m.runs++
	fail := m.runs <= m.fails
	m.mu.Unlock()
	batch := &commonpb.Batch{NumRows: 1}
	if fail {
		for range m.before {
			if err := s.Send(&computepb.ExecFragmentResponse{Batch: batch}); err != nil {
				return err
			}
		}
		return status.Error(codes.OutOfRange, "[E-230]versions already merged")
	}
	return s.Send(&computepb.ExecFragmentResponse{Batch: batch})
}

// groupMeta is versionMeta with a compute group of one node.
type groupMeta struct {
	versionMeta
	addr string
}

func (g *groupMeta) GetComputeGroup(context.Context, *metapb.GetComputeGroupRequest, ...grpc.CallOption) (*metapb.GetComputeGroupResponse, error) {
	return &metapb.GetComputeGroupResponse{Group: &metapb.ComputeGroup{Name: "g",
		Nodes: []*metapb.NodeInfo{{NodeId: "cn1", GrpcAddress: g.addr, Status: metapb.NodeStatus_NODE_RUNNING}}}}, nil
}

// TestQueryRetriesMergedVersions: a fragment refused with OutOfRange (-230) before it emitted
// anything runs again on freshly pinned versions, at most maxVersionRetries times; once a batch
// went out, the error is the query's.
func TestQueryRetriesMergedVersions(t *testing.T) {
	tb := &catalog.Table{ID: 10, DBID: 1, Partitions: []catalog.Partition{{ID: 100, Name: "p", Tablets: []int64{101}}}}
	frag := &planpb.Fragment{Root: &planpb.PlanNode{Id: 1, Node: &planpb.PlanNode_OlapScan{OlapScan: &planpb.OlapScanNode{TableId: 10}}}}
	lookup := func(int64) (*catalog.Table, error) { return tb, nil }
	for _, c := range []struct {
		fails, before int
		ok            bool
		runs, batches int
	}{
		{fails: 0, ok: true, runs: 1, batches: 1},
		{fails: 1, ok: true, runs: 2, batches: 1},
		{fails: 2, ok: true, runs: 3, batches: 1},
		{fails: 3, ok: false, runs: 3, batches: 0},
		{fails: 1, before: 1, ok: false, runs: 1, batches: 1},
	} {
		cs := &mergedCompute{fails: c.fails, before: c.before}
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		gs := grpc.NewServer()
		computepb.RegisterComputeServiceServer(gs, cs)
		go gs.Serve(lis)
		m := &groupMeta{addr: lis.Addr().String()}
		co := New(Config{Meta: m, InstanceID: "i", Group: "g"})
		batches := 0
		err = co.Query(context.Background(), "", frag, nil, lookup, func(*commonpb.Batch) error { batches++; return nil })
		if (err == nil) != c.ok || cs.runs != c.runs || batches != c.batches || len(m.asked) != c.runs {
			t.Errorf("%d failures after %d batches: err %v, %d runs, %d batches, %d version pins; want ok=%v, %d runs, %d batches",
				c.fails, c.before, err, cs.runs, batches, len(m.asked), c.ok, c.runs, c.batches)
		}
		if !c.ok && status.Code(err) != codes.OutOfRange {
			t.Errorf("the error lost its class: %v", err)
		}
		co.Close()
		gs.Stop()
	}
}
