package compute_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute"
	"github.com/doricdb/doric/compute/computetest"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/filecache"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestNode starts a node against a fake Meta Service over gRPC: it registers with its real
// address, heartbeats, answers the ComputeService and /api/health, and stops with its context.
func TestNode(t *testing.T) {
	meta := computetest.NewFakeMeta("inst")
	meta.AddVault(&metapb.StorageVault{Id: "v", Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: t.TempDir()}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := compute.New(ctx, compute.Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", MetaAddr: computetest.Serve(t, meta),
		InstanceID: "inst", Group: "default", NodeID: "cn1", HeartbeatInterval: 10 * time.Millisecond, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()

	deadline := time.Now().Add(10 * time.Second)
	for meta.Heartbeats("cn1") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeats; nodes %v", meta.Nodes())
		}
		time.Sleep(5 * time.Millisecond)
	}
	nodes := meta.Nodes()
	if len(nodes) != 1 || nodes[0].GrpcAddress != n.Addr() || nodes[0].HttpAddress != n.HTTPAddr() || nodes[0].Status != metapb.NodeStatus_NODE_RUNNING {
		t.Fatalf("registered %v, node listens on %s / %s", nodes, n.Addr(), n.HTTPAddr())
	}

	conn, err := grpc.NewClient(n.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	vals := vector.New(types.New(types.Int), 3)
	vals.Int64[0], vals.Int64[1], vals.Int64[2] = 4, 5, 6
	root := &planpb.PlanNode{Node: &planpb.PlanNode_Values{Values: &planpb.ValuesNode{Rows: vector.ToProto(vector.NewBatch([]*vector.Vector{vals}, 3))}}}
	stream, err := computepb.NewComputeServiceClient(conn).ExecFragment(ctx, &computepb.ExecFragmentRequest{Fragment: &planpb.Fragment{Root: root}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil || resp.Batch.NumRows != 3 {
		t.Fatalf("exec: %v %v", resp, err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("end of stream: %v", err)
	}
	hr, err := http.Get("http://" + n.HTTPAddr() + "/api/health")
	if err != nil || hr.StatusCode != http.StatusOK {
		t.Fatalf("health: %v %v", hr, err)
	}
	hr.Body.Close()
	// The file caches' admin API is mounted (no remote vault is open yet: no caches).
	hr, err = http.Get("http://" + n.HTTPAddr() + "/api/file_cache")
	if err != nil || hr.StatusCode != http.StatusOK {
		t.Fatalf("file cache stats: %v %v", hr, err)
	}
	body, _ := io.ReadAll(hr.Body)
	hr.Body.Close()
	if strings.TrimSpace(string(body)) != "{}" {
		t.Fatalf("file cache stats: %s", body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("node did not stop")
	}
}

func TestDefaultCapacity(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "yet", "created")
	c := compute.DefaultCapacity(dir)
	if c < filecache.MinCapacity || c > compute.DefaultCacheCapacity {
		t.Fatalf("DefaultCapacity(%s) = %d", dir, c)
	}
}
