package computetest

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/doricdb/doric/api/metapb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// FakeMeta implements metapb.MetaServiceClient in memory. Methods compute does not use panic
// (the embedded interface is nil).
type FakeMeta struct {
	metapb.MetaServiceClient

	InstanceID string

	// FailCommitRowset, when set, is consulted before each CommitRowset; a non-nil error fails it.
	FailCommitRowset func(*metapb.RowsetMeta) error

	mu           sync.Mutex
	vaults       map[string]*metapb.StorageVault
	defaultVault string
	prepared     map[string]*metapb.RowsetMeta // rowset id → marker
	tmp          map[int64][]*metapb.RowsetMeta
	visible      map[int64][]*metapb.RowsetMeta // tablet → rowsets
	versions     map[int64]int64                // partition → version
	nextTxn      int64
	calls        []string
	nodes        map[string]*metapb.NodeInfo // node id → info
	heartbeats   map[string]int
}

// NewFakeMeta returns an empty fake for one instance.
func NewFakeMeta(instanceID string) *FakeMeta {
	return &FakeMeta{
		InstanceID: instanceID,
		vaults:     map[string]*metapb.StorageVault{},
		prepared:   map[string]*metapb.RowsetMeta{},
		tmp:        map[int64][]*metapb.RowsetMeta{},
		visible:    map[int64][]*metapb.RowsetMeta{},
		versions:   map[int64]int64{},
		nextTxn:    1000,
		nodes:      map[string]*metapb.NodeInfo{},
		heartbeats: map[string]int{},
	}
}

// AddVault registers a vault; the first one added is the default.
func (f *FakeMeta) AddVault(v *metapb.StorageVault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.vaults[v.GetId()] = proto.Clone(v).(*metapb.StorageVault)
	if f.defaultVault == "" {
		f.defaultVault = v.GetId()
	}
}

// Calls returns the log of rowset calls: "prepare <rowset_id>", "commit <rowset_id>".
func (f *FakeMeta) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// Prepared returns the markers of rowsets prepared and not (yet) committed.
func (f *FakeMeta) Prepared() []*metapb.RowsetMeta {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*metapb.RowsetMeta
	for _, m := range f.prepared {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetRowsetId() < out[j].GetRowsetId() })
	return out
}

// TmpRowsets returns the rowsets committed to txn and not yet visible.
func (f *FakeMeta) TmpRowsets(txn int64) []*metapb.RowsetMeta {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*metapb.RowsetMeta(nil), f.tmp[txn]...)
}

func (f *FakeMeta) check(instance string) error {
	if instance != f.InstanceID {
		return status.Errorf(codes.NotFound, "instance %q not found", instance)
	}
	return nil
}

func (f *FakeMeta) GetStorageVault(_ context.Context, in *metapb.GetStorageVaultRequest, _ ...grpc.CallOption) (*metapb.GetStorageVaultResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(in.GetInstanceId()); err != nil {
		return nil, err
	}
	id := in.GetVaultId()
	if id == "" {
		id = f.defaultVault
	}
	v, ok := f.vaults[id]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "storage vault %q not found", in.GetVaultId())
	}
	return &metapb.GetStorageVaultResponse{Vault: proto.Clone(v).(*metapb.StorageVault)}, nil
}

func (f *FakeMeta) BeginTxn(_ context.Context, in *metapb.BeginTxnRequest, _ ...grpc.CallOption) (*metapb.BeginTxnResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(in.GetInstanceId()); err != nil {
		return nil, err
	}
	f.nextTxn++
	return &metapb.BeginTxnResponse{TxnId: f.nextTxn}, nil
}

func (f *FakeMeta) PrepareRowset(_ context.Context, in *metapb.PrepareRowsetRequest, _ ...grpc.CallOption) (*metapb.PrepareRowsetResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(in.GetInstanceId()); err != nil {
		return nil, err
	}
	m := in.GetRowset()
	if m.GetRowsetId() == "" || m.GetTabletId() == 0 || m.GetTxnId() == 0 {
		return nil, status.Errorf(codes.InvalidArgument, "incomplete rowset meta %v", m)
	}
	f.prepared[m.GetRowsetId()] = proto.Clone(m).(*metapb.RowsetMeta)
	f.calls = append(f.calls, "prepare "+m.GetRowsetId())
	return &metapb.PrepareRowsetResponse{}, nil
}

func (f *FakeMeta) CommitRowset(_ context.Context, in *metapb.CommitRowsetRequest, _ ...grpc.CallOption) (*metapb.CommitRowsetResponse, error) {
	if f.FailCommitRowset != nil {
		if err := f.FailCommitRowset(in.GetRowset()); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(in.GetInstanceId()); err != nil {
		return nil, err
	}
	m := in.GetRowset()
	if _, ok := f.prepared[m.GetRowsetId()]; !ok {
		return nil, status.Errorf(codes.FailedPrecondition, "rowset %s was not prepared", m.GetRowsetId())
	}
	delete(f.prepared, m.GetRowsetId())
	f.tmp[m.GetTxnId()] = append(f.tmp[m.GetTxnId()], proto.Clone(m).(*metapb.RowsetMeta))
	f.calls = append(f.calls, "commit "+m.GetRowsetId())
	return &metapb.CommitRowsetResponse{}, nil
}

// CommitTxn makes the txn's tmp rowsets visible at the next version of their partitions.
func (f *FakeMeta) CommitTxn(_ context.Context, in *metapb.CommitTxnRequest, _ ...grpc.CallOption) (*metapb.CommitTxnResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(in.GetInstanceId()); err != nil {
		return nil, err
	}
	next := map[int64]int64{}
	for _, m := range f.tmp[in.GetTxnId()] {
		if _, ok := next[m.GetPartitionId()]; !ok {
			next[m.GetPartitionId()] = f.version(m.GetPartitionId()) + 1
		}
	}
	resp := &metapb.CommitTxnResponse{Txn: &metapb.TxnInfo{TxnId: in.GetTxnId(), Status: metapb.TxnStatus_TXN_VISIBLE}}
	for _, m := range f.tmp[in.GetTxnId()] {
		v := next[m.GetPartitionId()]
		m.StartVersion, m.EndVersion = v, v
		f.visible[m.GetTabletId()] = append(f.visible[m.GetTabletId()], m)
	}
	for p, v := range next {
		f.versions[p] = v
		resp.Versions = append(resp.Versions, &metapb.PartitionVersion{PartitionId: p, Version: v})
	}
	delete(f.tmp, in.GetTxnId())
	return resp, nil
}

func (f *FakeMeta) version(partition int64) int64 {
	if v, ok := f.versions[partition]; ok {
		return v
	}
	return 1
}

func (f *FakeMeta) GetVersion(_ context.Context, in *metapb.GetVersionRequest, _ ...grpc.CallOption) (*metapb.GetVersionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(in.GetInstanceId()); err != nil {
		return nil, err
	}
	resp := &metapb.GetVersionResponse{}
	for _, p := range in.GetPartitions() {
		pv := proto.Clone(p).(*metapb.PartitionVersion)
		pv.Version = f.version(p.GetPartitionId())
		resp.Versions = append(resp.Versions, pv)
	}
	return resp, nil
}

func (f *FakeMeta) GetRowsets(_ context.Context, in *metapb.GetRowsetsRequest, _ ...grpc.CallOption) (*metapb.GetRowsetsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(in.GetInstanceId()); err != nil {
		return nil, err
	}
	resp := &metapb.GetRowsetsResponse{}
	for _, m := range f.visible[in.GetTabletId()] {
		if m.GetStartVersion() >= in.GetStartVersion() && m.GetEndVersion() <= in.GetEndVersion() {
			resp.Rowsets = append(resp.Rowsets, proto.Clone(m).(*metapb.RowsetMeta))
		}
	}
	return resp, nil
}

func (f *FakeMeta) AddNode(_ context.Context, in *metapb.AddNodeRequest, _ ...grpc.CallOption) (*metapb.AddNodeResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(in.GetInstanceId()); err != nil {
		return nil, err
	}
	n := in.GetNode()
	if n.GetNodeId() == "" || n.GetGrpcAddress() == "" {
		return nil, status.Errorf(codes.InvalidArgument, "node without id or address: %v", n)
	}
	f.nodes[n.GetNodeId()] = proto.Clone(n).(*metapb.NodeInfo)
	g := &metapb.ComputeGroup{Name: in.GetGroupName()}
	for _, n := range f.nodes {
		g.Nodes = append(g.Nodes, proto.Clone(n).(*metapb.NodeInfo))
	}
	return &metapb.AddNodeResponse{Group: g}, nil
}

func (f *FakeMeta) Heartbeat(_ context.Context, in *metapb.HeartbeatRequest, _ ...grpc.CallOption) (*metapb.HeartbeatResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(in.GetInstanceId()); err != nil {
		return nil, err
	}
	if _, ok := f.nodes[in.GetNodeId()]; !ok {
		return nil, status.Errorf(codes.NotFound, "node %q not registered", in.GetNodeId())
	}
	f.heartbeats[in.GetNodeId()]++
	return &metapb.HeartbeatResponse{}, nil
}

// Nodes returns the registered compute nodes.
func (f *FakeMeta) Nodes() []*metapb.NodeInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*metapb.NodeInfo
	for _, n := range f.nodes {
		out = append(out, proto.Clone(n).(*metapb.NodeInfo))
	}
	return out
}

// Heartbeats returns how many heartbeats the node sent.
func (f *FakeMeta) Heartbeats(nodeID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.heartbeats[nodeID]
}

// String summarizes the fake's state, for test failure messages.
func (f *FakeMeta) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("FakeMeta{prepared: %d, tmp txns: %d, tablets: %d}", len(f.prepared), len(f.tmp), len(f.visible))
}

// GetTabletStats reports each tablet's visible rowsets, rows and bytes.
func (f *FakeMeta) GetTabletStats(_ context.Context, in *metapb.GetTabletStatsRequest, _ ...grpc.CallOption) (*metapb.GetTabletStatsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(in.GetInstanceId()); err != nil {
		return nil, err
	}
	resp := &metapb.GetTabletStatsResponse{}
	for _, id := range in.GetTabletIds() {
		st := &metapb.TabletStats{TabletId: id}
		for _, m := range f.visible[id] {
			st.NumRowsets++
			st.NumRows += m.GetNumRows()
			st.DataSize += m.GetTotalSize()
			st.NumSegments += int64(m.GetNumSegments())
		}
		resp.Stats = append(resp.Stats, st)
	}
	return resp, nil
}

// AbortTxnsOfCoordinator aborts nothing: the fake's txns have no coordinator.
func (f *FakeMeta) AbortTxnsOfCoordinator(_ context.Context, in *metapb.AbortTxnsOfCoordinatorRequest, _ ...grpc.CallOption) (*metapb.AbortTxnsOfCoordinatorResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "AbortTxnsOfCoordinator "+in.GetNodeId())
	return &metapb.AbortTxnsOfCoordinatorResponse{}, f.check(in.GetInstanceId())
}
