package coord

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"hash/fnv"
	"io"
	"sort"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/frontend/catalog"
)

// Config wires a coordinator.
type Config struct {
	Meta       metapb.MetaServiceClient
	InstanceID string
	// Group is the compute group statements run on when the session names none.
	Group string
	// LoadTimeout bounds a load transaction (0: 4 hours, as Doris's insert_load_default_timeout).
	LoadTimeout time.Duration
	// Partitions creates the partitions a load into an AUTO PARTITION table needs (the DDL
	// executor); nil: such loads fail on rows no partition takes.
	Partitions PartitionCreator
	// WriteParallelism bounds the write requests (one per partition) a load has in flight
	// (0: 4).
	WriteParallelism int
}

// PartitionCreator creates partitions for loads into AUTO PARTITION tables.
type PartitionCreator interface {
	// CreateAutoPartitions adds parts (named and bounded by (*catalog.Table).AutoPartitions) to
	// t, keeping any that exist by then, and returns the table as it is afterwards.
	CreateAutoPartitions(ctx context.Context, t *catalog.Table, parts []catalog.Partition) (*catalog.Table, error)
}

// Coordinator dispatches fragments and loads.
type Coordinator struct {
	cfg   Config
	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
}

// New makes a coordinator.
func New(cfg Config) *Coordinator {
	if cfg.Group == "" {
		cfg.Group = "default"
	}
	if cfg.LoadTimeout == 0 {
		cfg.LoadTimeout = 4 * time.Hour
	}
	if cfg.WriteParallelism <= 0 {
		cfg.WriteParallelism = 4
	}
	return &Coordinator{cfg: cfg, conns: map[string]*grpc.ClientConn{}}
}

// Close closes the connections to compute nodes.
func (c *Coordinator) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, cc := range c.conns {
		errs = append(errs, cc.Close())
	}
	c.conns = map[string]*grpc.ClientConn{}
	return errors.Join(errs...)
}

// ErrNoComputeNode means the compute group has no running node.
var ErrNoComputeNode = errors.New("no compute node is available")

func (c *Coordinator) nodes(ctx context.Context, group string) ([]*metapb.NodeInfo, error) {
	if group == "" {
		group = c.cfg.Group
	}
	resp, err := c.cfg.Meta.GetComputeGroup(ctx, &metapb.GetComputeGroupRequest{InstanceId: c.cfg.InstanceID, Name: group})
	if err != nil {
		return nil, fmt.Errorf("compute group %q: %w", group, err)
	}
	var live []*metapb.NodeInfo
	for _, n := range resp.Group.GetNodes() {
		if n.Status == metapb.NodeStatus_NODE_RUNNING && n.GrpcAddress != "" {
			live = append(live, n)
		}
	}
	if len(live) == 0 {
		return nil, fmt.Errorf("compute group %q: %w", group, ErrNoComputeNode)
	}
	sort.Slice(live, func(i, j int) bool { return live[i].NodeId < live[j].NodeId })
	return live, nil
}

// owner picks the node that owns a tablet: rendezvous hashing over the nodes.
func owner(nodes []*metapb.NodeInfo, tabletID int64) *metapb.NodeInfo {
	var best *metapb.NodeInfo
	var bestScore uint64
	for _, n := range nodes {
		h := fnv.New64a()
		fmt.Fprintf(h, "%s/%d", n.NodeId, tabletID)
		if s := h.Sum64(); best == nil || s > bestScore {
			best, bestScore = n, s
		}
	}
	return best
}

func (c *Coordinator) client(addr string) (computepb.ComputeServiceClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cc, ok := c.conns[addr]
	if !ok {
		var err error
		cc, err = grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20), grpc.MaxCallSendMsgSize(256<<20)))
		if err != nil {
			return nil, fmt.Errorf("compute node %s: %w", addr, err)
		}
		c.conns[addr] = cc
	}
	return computepb.NewComputeServiceClient(cc), nil
}

// TableLookup resolves the table a scan node reads.
type TableLookup func(tableID int64) (*catalog.Table, error)

// Query runs a fragment and calls emit with every result batch, in order. partitions names,
// per OlapScan node id, the partitions the node reads (the binder's choice after partition
// pruning); a node it does not list reads every partition of its table.
func (c *Coordinator) Query(ctx context.Context, group string, frag *planpb.Fragment, partitions map[int32][]int64, tables TableLookup, emit func(*commonpb.Batch) error) error {
	return c.QueryWith(ctx, QueryOptions{}, group, frag, partitions, tables, emit)
}

// QueryWith is Query with the session's execution options.
func (c *Coordinator) QueryWith(ctx context.Context, opts QueryOptions, group string, frag *planpb.Fragment, partitions map[int32][]int64, tables TableLookup, emit func(*commonpb.Batch) error) error {
	// A compaction may merge the pinned version of a tablet away before the node reads it
	// (OutOfRange, Doris's -230): pin newer versions and run again, while nothing was emitted.
	for attempt := 1; ; attempt++ {
		emitted := false
		err := c.query(ctx, opts, group, frag, partitions, tables, func(b *commonpb.Batch) error {
			emitted = true
			return emit(b)
		})
		if err == nil || emitted || status.Code(err) != codes.OutOfRange || attempt == maxVersionRetries {
			return err
		}
	}
}

// maxVersionRetries bounds Query's runs of a fragment whose versions were merged away.
const maxVersionRetries = 3

func (c *Coordinator) query(ctx context.Context, opts QueryOptions, group string, frag *planpb.Fragment, partitions map[int32][]int64, tables TableLookup, emit func(*commonpb.Batch) error) error {
	ranges, err := c.scanRanges(ctx, frag.Root, partitions, tables)
	if err != nil {
		return err
	}
	nodes, err := c.nodes(ctx, group)
	if err != nil {
		return err
	}
	node := nodes[0]
	if len(ranges) > 0 {
		node = owner(nodes, ranges[0].TabletId)
	}
	cl, err := c.client(node.GrpcAddress)
	if err != nil {
		return err
	}
	stream, err := cl.ExecFragment(ctx, &computepb.ExecFragmentRequest{QueryId: newID(), Fragment: frag, ScanRanges: ranges,
		ExecMemLimit: opts.ExecMemLimit, ParallelPipelineTaskNum: opts.Parallelism, TimeZone: opts.TimeZone})
	if err != nil {
		return err
	}
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := emit(resp.Batch); err != nil {
			return err
		}
	}
}

// ScanRanges pins the version of every partition the fragment scans (one GetVersion call) and
// returns a scan range per tablet, in partition and bucket order (see Query for partitions). A
// partition dropped since the query was planned is not read.
func (c *Coordinator) ScanRanges(ctx context.Context, frag *planpb.Fragment, partitions map[int32][]int64, tables TableLookup) ([]*planpb.ScanRange, error) {
	return c.scanRanges(ctx, frag.GetRoot(), partitions, tables)
}

func (c *Coordinator) scanRanges(ctx context.Context, root *planpb.PlanNode, partitions map[int32][]int64, tables TableLookup) ([]*planpb.ScanRange, error) {
	type scan struct {
		node  int32
		table *catalog.Table
		parts []catalog.Partition
	}
	var scans []scan
	var walk func(n *planpb.PlanNode) error
	walk = func(n *planpb.PlanNode) error {
		if s := n.GetOlapScan(); s != nil {
			t, err := tables(s.TableId)
			if err != nil {
				return err
			}
			sc := scan{node: n.Id, table: t, parts: t.Partitions}
			if ids, ok := partitions[n.Id]; ok {
				sc.parts = nil
				for _, id := range ids {
					if p := t.PartitionByID(id); p != nil {
						sc.parts = append(sc.parts, *p)
					}
				}
			}
			scans = append(scans, sc)
		}
		for _, ch := range n.Children {
			if err := walk(ch); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	if len(scans) == 0 {
		return nil, nil
	}
	req := &metapb.GetVersionRequest{InstanceId: c.cfg.InstanceID}
	for _, s := range scans {
		for _, p := range s.parts {
			req.Partitions = append(req.Partitions, &metapb.PartitionVersion{DbId: s.table.DBID, TableId: s.table.ID, PartitionId: p.ID})
		}
	}
	if len(req.Partitions) == 0 {
		return nil, nil
	}
	resp, err := c.cfg.Meta.GetVersion(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("get partition versions: %w", err)
	}
	version := map[int64]int64{}
	for _, v := range resp.Versions {
		version[v.PartitionId] = v.Version
	}
	var out []*planpb.ScanRange
	for _, s := range scans {
		for _, p := range s.parts {
			v, ok := version[p.ID]
			if !ok {
				return nil, fmt.Errorf("BUG: no version returned for partition %d", p.ID)
			}
			for _, tab := range p.Tablets {
				out = append(out, &planpb.ScanRange{NodeId: s.node, TabletId: tab, PartitionId: p.ID, Version: v})
			}
		}
	}
	return out, nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// PartitionVersions returns the visible version of each partition of t (1 for a partition never
// loaded), by partition id.
func (c *Coordinator) PartitionVersions(ctx context.Context, t *catalog.Table) (map[int64]int64, error) {
	out := map[int64]int64{}
	req := &metapb.GetVersionRequest{InstanceId: c.cfg.InstanceID}
	for _, p := range t.Partitions {
		req.Partitions = append(req.Partitions, &metapb.PartitionVersion{DbId: t.DBID, TableId: t.ID, PartitionId: p.ID})
	}
	if len(req.Partitions) == 0 {
		return out, nil
	}
	resp, err := c.cfg.Meta.GetVersion(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("get partition versions of %s: %w", t.Name, err)
	}
	for _, v := range resp.Versions {
		out[v.PartitionId] = v.Version
	}
	return out, nil
}

// TabletStats returns the Meta Service's statistics (rows, bytes, rowsets, ...) of tablets, by
// tablet id.
func (c *Coordinator) TabletStats(ctx context.Context, ids []int64) (map[int64]*metapb.TabletStats, error) {
	out := map[int64]*metapb.TabletStats{}
	const batch = 1000
	for lo := 0; lo < len(ids); lo += batch {
		resp, err := c.cfg.Meta.GetTabletStats(ctx, &metapb.GetTabletStatsRequest{InstanceId: c.cfg.InstanceID, TabletIds: ids[lo:min(lo+batch, len(ids))]})
		if err != nil {
			return nil, fmt.Errorf("get tablet statistics: %w", err)
		}
		for _, st := range resp.GetStats() {
			out[st.GetTabletId()] = st
		}
	}
	return out, nil
}

// Owners returns the node id of the running compute node of group that owns each tablet; empty
// when the group has no running node (or cannot be read).
func (c *Coordinator) Owners(ctx context.Context, group string, tablets []int64) map[int64]string {
	out := map[int64]string{}
	nodes, err := c.nodes(ctx, group)
	if err != nil {
		return out
	}
	for _, id := range tablets {
		out[id] = owner(nodes, id).NodeId
	}
	return out
}

// CheckVault asks a running compute node of the group (the first by node id that answers) to
// probe a storage vault description (computepb CheckVault). The description carries the
// credentials the user gave; nothing keeps them here.
func (c *Coordinator) CheckVault(ctx context.Context, group string, v *metapb.StorageVault) (*computepb.CheckVaultResponse, error) {
	nodes, err := c.nodes(ctx, group)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, n := range nodes {
		cl, err := c.client(n.GrpcAddress)
		if err == nil {
			var resp *computepb.CheckVaultResponse
			if resp, err = cl.CheckVault(ctx, &computepb.CheckVaultRequest{Vault: v}); err == nil {
				return resp, nil
			}
		}
		errs = append(errs, fmt.Errorf("compute node %s: %w", n.NodeId, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("check storage vault %q: %w", v.GetName(), errors.Join(errs...))
}
