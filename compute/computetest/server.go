package computetest

import (
	"context"
	"net"
	"testing"

	"github.com/doricdb/doric/api/metapb"
	"google.golang.org/grpc"
)

// metaServer serves a FakeMeta over gRPC; methods the fake does not have are Unimplemented.
type metaServer struct {
	metapb.UnimplementedMetaServiceServer
	f *FakeMeta
}

// Serve serves f as a MetaService on 127.0.0.1 until the test ends and returns its address.
func Serve(t testing.TB, f *FakeMeta) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	metapb.RegisterMetaServiceServer(gs, metaServer{f: f})
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	return lis.Addr().String()
}

func (s metaServer) GetStorageVault(ctx context.Context, in *metapb.GetStorageVaultRequest) (*metapb.GetStorageVaultResponse, error) {
	return s.f.GetStorageVault(ctx, in)
}
func (s metaServer) BeginTxn(ctx context.Context, in *metapb.BeginTxnRequest) (*metapb.BeginTxnResponse, error) {
	return s.f.BeginTxn(ctx, in)
}
func (s metaServer) PrepareRowset(ctx context.Context, in *metapb.PrepareRowsetRequest) (*metapb.PrepareRowsetResponse, error) {
	return s.f.PrepareRowset(ctx, in)
}
func (s metaServer) CommitRowset(ctx context.Context, in *metapb.CommitRowsetRequest) (*metapb.CommitRowsetResponse, error) {
	return s.f.CommitRowset(ctx, in)
}
func (s metaServer) CommitTxn(ctx context.Context, in *metapb.CommitTxnRequest) (*metapb.CommitTxnResponse, error) {
	return s.f.CommitTxn(ctx, in)
}
func (s metaServer) GetVersion(ctx context.Context, in *metapb.GetVersionRequest) (*metapb.GetVersionResponse, error) {
	return s.f.GetVersion(ctx, in)
}
func (s metaServer) GetRowsets(ctx context.Context, in *metapb.GetRowsetsRequest) (*metapb.GetRowsetsResponse, error) {
	return s.f.GetRowsets(ctx, in)
}
func (s metaServer) AddNode(ctx context.Context, in *metapb.AddNodeRequest) (*metapb.AddNodeResponse, error) {
	return s.f.AddNode(ctx, in)
}
func (s metaServer) Heartbeat(ctx context.Context, in *metapb.HeartbeatRequest) (*metapb.HeartbeatResponse, error) {
	return s.f.Heartbeat(ctx, in)
}
func (s metaServer) GetTabletStats(ctx context.Context, in *metapb.GetTabletStatsRequest) (*metapb.GetTabletStatsResponse, error) {
	return s.f.GetTabletStats(ctx, in)
}
func (s metaServer) AbortTxnsOfCoordinator(ctx context.Context, in *metapb.AbortTxnsOfCoordinatorRequest) (*metapb.AbortTxnsOfCoordinatorResponse, error) {
	return s.f.AbortTxnsOfCoordinator(ctx, in)
}
