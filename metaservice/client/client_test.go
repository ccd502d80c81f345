package client

import (
	"context"
	"go/build"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
)

func TestWithInstanceFillsOnlyEmpty(t *testing.T) {
	req := &metapb.BeginTxnRequest{DbId: 1, Label: "l"}
	got := withInstance(req, "i1").(*metapb.BeginTxnRequest)
	if got.GetInstanceId() != "i1" || got.GetLabel() != "l" || got.GetDbId() != 1 {
		t.Fatalf("stamped request %v", got)
	}
	if req.GetInstanceId() != "" {
		t.Fatalf("the caller's request was modified: %v", req)
	}
	explicit := &metapb.GetTabletRequest{InstanceId: "mine", TabletId: 3}
	if got := withInstance(explicit, "i1"); !proto.Equal(got, explicit) {
		t.Fatalf("explicit instance replaced: %v", got)
	}
	// Messages without an instance_id pass through.
	pv := &metapb.PartitionVersion{DbId: 1}
	if got := withInstance(pv, "i1"); got != proto.Message(pv) {
		t.Fatalf("message without instance_id changed")
	}
}

// recorder is a ClientConnInterface that records what would be sent.
type recorder struct {
	grpc.ClientConnInterface
	sent []any
}

func (r *recorder) Invoke(_ context.Context, _ string, args, _ any, _ ...grpc.CallOption) error {
	r.sent = append(r.sent, args)
	return nil
}

func TestNewStampsRequests(t *testing.T) {
	r := &recorder{}
	c := New(r, "tenant")
	if c.InstanceID() != "tenant" {
		t.Fatalf("InstanceID = %q", c.InstanceID())
	}
	if _, err := c.Meta().GetVersion(context.Background(), &metapb.GetVersionRequest{}); err != nil {
		t.Fatal(err)
	}
	if len(r.sent) != 1 || r.sent[0].(*metapb.GetVersionRequest).GetInstanceId() != "tenant" {
		t.Fatalf("sent %v", r.sent)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close of a client over a borrowed connection: %v", err)
	}
}

func TestDialGivesUpWithContext(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if c, err := Dial(ctx, addr, "i"); err == nil {
		c.Close()
		t.Fatal("Dial to a closed port succeeded")
	}
}

func TestRetriesUnavailable(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	fail := 2
	gs := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		calls++
		if calls <= fail {
			return nil, status.Error(codes.Unavailable, "warming up")
		}
		return h(ctx, req)
	}))
	metapb.RegisterMetaServiceServer(gs, metapb.UnimplementedMetaServiceServer{})
	go gs.Serve(lis)
	defer gs.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, lis.Addr().String(), "i")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.GetInstance(ctx, &metapb.GetInstanceRequest{})
	if status.Code(err) != codes.Unimplemented || calls != fail+1 {
		t.Fatalf("after %d calls: %v, want Unimplemented after %d", calls, err, fail+1)
	}
}

// TestImports: other components import this package, so it may bring in only the contracts.
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, "github.com/doricdb/doric/") && !strings.HasPrefix(imp, "github.com/doricdb/doric/api/") {
			t.Errorf("client imports %s", imp)
		}
	}
}

func TestBeginTxnGetsARequestID(t *testing.T) {
	r := &recorder{}
	c := New(r, "tenant")
	req := &metapb.BeginTxnRequest{DbId: 1, Label: "l"}
	for range 2 {
		if _, err := c.BeginTxn(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	a, b := r.sent[0].(*metapb.BeginTxnRequest), r.sent[1].(*metapb.BeginTxnRequest)
	if a.GetRequestId() == "" || a.GetRequestId() == b.GetRequestId() || req.GetRequestId() != "" {
		t.Fatalf("request ids %q, %q (caller's %q): want distinct per call, caller's untouched", a.GetRequestId(), b.GetRequestId(), req.GetRequestId())
	}
	if _, err := c.BeginTxn(context.Background(), &metapb.BeginTxnRequest{RequestId: "mine"}); err != nil {
		t.Fatal(err)
	}
	if got := r.sent[2].(*metapb.BeginTxnRequest).GetRequestId(); got != "mine" {
		t.Fatalf("explicit request id replaced by %q", got)
	}
}
