package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/cluster"
	"github.com/doricdb/doric/metaservice/instance"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/rowset"
	"github.com/doricdb/doric/metaservice/tablet"
	"github.com/doricdb/doric/metaservice/txn"
	"github.com/doricdb/doric/metaservice/version"
)

// DefaultRetention is how long the files of an orphaned rowset are kept before the recycler may
// delete them (Doris's retention_seconds, 3 days).
const DefaultRetention = 72 * time.Hour

// Server implements metapb.MetaServiceServer over a kv.DB.
type Server struct {
	metapb.UnimplementedMetaServiceServer
	db        kv.DB
	now       func() time.Time
	retention time.Duration
}

var _ metapb.MetaServiceServer = (*Server)(nil)

// Option configures a Server.
type Option func(*Server)

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithRetention sets how long orphaned rowset files are kept (default DefaultRetention).
func WithRetention(d time.Duration) Option { return func(s *Server) { s.retention = d } }

// New returns a Server over db. The caller keeps ownership of db.
func New(db kv.DB, opts ...Option) *Server {
	s := &Server{db: db, now: time.Now, retention: DefaultRetention}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Register registers the service on r (a *grpc.Server).
func (s *Server) Register(r grpc.ServiceRegistrar) {
	metapb.RegisterMetaServiceServer(r, s)
}

// update runs fn in a read-write kv transaction after checking the instance exists, and maps its
// error to a status.
func update[R any](ctx context.Context, s *Server, instanceID string, fn func(tx kv.Txn, info *metapb.InstanceInfo, now time.Time) (R, error)) (R, error) {
	var out R
	now := s.now()
	err := s.db.Update(ctx, func(tx kv.Txn) error {
		info, err := instance.Get(tx, instanceID)
		if err != nil {
			return err
		}
		out, err = fn(tx, info, now)
		return err
	})
	if err != nil {
		var zero R
		return zero, toStatus(err)
	}
	return out, nil
}

// view runs fn in a read-only kv transaction after checking the instance exists.
func view[R any](ctx context.Context, s *Server, instanceID string, fn func(tx kv.ReadTxn, info *metapb.InstanceInfo) (R, error)) (R, error) {
	var out R
	err := s.db.View(ctx, func(tx kv.ReadTxn) error {
		info, err := instance.Get(tx, instanceID)
		if err != nil {
			return err
		}
		out, err = fn(tx, info)
		return err
	})
	if err != nil {
		var zero R
		return zero, toStatus(err)
	}
	return out, nil
}

// toStatus maps an error of the domain or the kv layer to a gRPC status (see the package doc).
func toStatus(err error) error {
	code := codes.Internal
	switch {
	case errors.Is(err, metaerr.ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, metaerr.ErrAlreadyExists):
		code = codes.AlreadyExists
	case errors.Is(err, metaerr.ErrFailedPrecondition):
		code = codes.FailedPrecondition
	case errors.Is(err, metaerr.ErrInvalidArgument),
		errors.Is(err, kv.ErrKeyTooLarge), errors.Is(err, kv.ErrValueTooLarge), errors.Is(err, kv.ErrInvalidKey):
		code = codes.InvalidArgument
	case errors.Is(err, kv.ErrTooLarge):
		code = codes.ResourceExhausted
	case errors.Is(err, kv.ErrConflict), errors.Is(err, kv.ErrTxnTooOld):
		code = codes.Aborted
	case errors.Is(err, kv.ErrClosed):
		code = codes.Unavailable
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	}
	return status.Error(code, err.Error())
}

// ---------------------------------------------------------------- instance and vaults

func (s *Server) CreateInstance(ctx context.Context, req *metapb.CreateInstanceRequest) (*metapb.CreateInstanceResponse, error) {
	var resp *metapb.CreateInstanceResponse
	now := s.now()
	err := s.db.Update(ctx, func(tx kv.Txn) error {
		info, existed, err := instance.Create(tx, req, now)
		resp = &metapb.CreateInstanceResponse{Instance: info, AlreadyExisted: existed}
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

func (s *Server) GetInstance(ctx context.Context, req *metapb.GetInstanceRequest) (*metapb.GetInstanceResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(_ kv.ReadTxn, info *metapb.InstanceInfo) (*metapb.GetInstanceResponse, error) {
		return &metapb.GetInstanceResponse{Instance: info}, nil
	})
}

func (s *Server) GetStorageVault(ctx context.Context, req *metapb.GetStorageVaultRequest) (*metapb.GetStorageVaultResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.GetStorageVaultResponse, error) {
		v, err := instance.Vault(tx, req.GetInstanceId(), req.GetVaultId())
		return &metapb.GetStorageVaultResponse{Vault: v}, err
	})
}

func (s *Server) ListStorageVaults(ctx context.Context, req *metapb.ListStorageVaultsRequest) (*metapb.ListStorageVaultsResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.ListStorageVaultsResponse, error) {
		vs, def, err := instance.Vaults(tx, req.GetInstanceId())
		return &metapb.ListStorageVaultsResponse{Vaults: vs, DefaultVaultId: def}, err
	})
}

// ---------------------------------------------------------------- compute groups

func (s *Server) CreateComputeGroup(ctx context.Context, req *metapb.CreateComputeGroupRequest) (*metapb.CreateComputeGroupResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.CreateComputeGroupResponse, error) {
		g, existed, err := cluster.CreateGroup(tx, req.GetInstanceId(), req.GetGroup(), now)
		return &metapb.CreateComputeGroupResponse{Group: g, AlreadyExisted: existed}, err
	})
}

func (s *Server) GetComputeGroup(ctx context.Context, req *metapb.GetComputeGroupRequest) (*metapb.GetComputeGroupResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.GetComputeGroupResponse, error) {
		g, err := cluster.Group(tx, req.GetInstanceId(), req.GetName())
		return &metapb.GetComputeGroupResponse{Group: g}, err
	})
}

func (s *Server) ListComputeGroups(ctx context.Context, req *metapb.ListComputeGroupsRequest) (*metapb.ListComputeGroupsResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.ListComputeGroupsResponse, error) {
		gs, err := cluster.Groups(tx, req.GetInstanceId())
		return &metapb.ListComputeGroupsResponse{Groups: gs}, err
	})
}

func (s *Server) AddNode(ctx context.Context, req *metapb.AddNodeRequest) (*metapb.AddNodeResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.AddNodeResponse, error) {
		g, err := cluster.AddNode(tx, req.GetInstanceId(), req.GetGroupName(), req.GetNode(), now)
		return &metapb.AddNodeResponse{Group: g}, err
	})
}

func (s *Server) Heartbeat(ctx context.Context, req *metapb.HeartbeatRequest) (*metapb.HeartbeatResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.HeartbeatResponse, error) {
		return &metapb.HeartbeatResponse{}, cluster.Heartbeat(tx, req.GetInstanceId(), req.GetGroupName(), req.GetNodeId(), now)
	})
}

// ---------------------------------------------------------------- tablets

func (s *Server) CreateTablets(ctx context.Context, req *metapb.CreateTabletsRequest) (*metapb.CreateTabletsResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, info *metapb.InstanceInfo, now time.Time) (*metapb.CreateTabletsResponse, error) {
		return &metapb.CreateTabletsResponse{}, tablet.Create(tx, req.GetInstanceId(), req.GetTablets(), info.GetDefaultVaultId(), now)
	})
}

func (s *Server) GetTablet(ctx context.Context, req *metapb.GetTabletRequest) (*metapb.GetTabletResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.GetTabletResponse, error) {
		t, err := tablet.Get(tx, req.GetInstanceId(), req.GetTabletId())
		return &metapb.GetTabletResponse{Tablet: t}, err
	})
}

// ---------------------------------------------------------------- txns

func (s *Server) BeginTxn(ctx context.Context, req *metapb.BeginTxnRequest) (*metapb.BeginTxnResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.BeginTxnResponse, error) {
		info, existed, err := txn.Begin(tx, req.GetInstanceId(), &metapb.TxnInfo{
			DbId: req.GetDbId(), Label: req.GetLabel(), TableIds: req.GetTableIds(), TimeoutMs: req.GetTimeoutMs(),
		}, now)
		if err != nil {
			return nil, err
		}
		resp := &metapb.BeginTxnResponse{TxnId: info.GetTxnId(), LabelExists: existed}
		if existed {
			resp.Existing = info
		}
		return resp, nil
	})
}

func (s *Server) PrepareRowset(ctx context.Context, req *metapb.PrepareRowsetRequest) (*metapb.PrepareRowsetResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.PrepareRowsetResponse, error) {
		return &metapb.PrepareRowsetResponse{}, txn.PrepareRowset(tx, req.GetInstanceId(), req.GetRowset(), now, s.retention)
	})
}

func (s *Server) CommitRowset(ctx context.Context, req *metapb.CommitRowsetRequest) (*metapb.CommitRowsetResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.CommitRowsetResponse, error) {
		return &metapb.CommitRowsetResponse{}, txn.CommitRowset(tx, req.GetInstanceId(), req.GetRowset(), now)
	})
}

func (s *Server) CommitTxn(ctx context.Context, req *metapb.CommitTxnRequest) (*metapb.CommitTxnResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.CommitTxnResponse, error) {
		info, versions, err := txn.Commit(tx, req.GetInstanceId(), req.GetDbId(), req.GetTxnId(), now)
		return &metapb.CommitTxnResponse{Txn: info, Versions: versions}, err
	})
}

func (s *Server) AbortTxn(ctx context.Context, req *metapb.AbortTxnRequest) (*metapb.AbortTxnResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.AbortTxnResponse, error) {
		info, err := txn.Abort(tx, req.GetInstanceId(), req.GetDbId(), req.GetTxnId(), req.GetLabel(), req.GetReason(), now, s.retention)
		return &metapb.AbortTxnResponse{Txn: info}, err
	})
}

func (s *Server) GetTxn(ctx context.Context, req *metapb.GetTxnRequest) (*metapb.GetTxnResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.GetTxnResponse, error) {
		info, err := txn.Find(tx, req.GetInstanceId(), req.GetDbId(), req.GetTxnId(), req.GetLabel())
		return &metapb.GetTxnResponse{Txn: info}, err
	})
}

// ---------------------------------------------------------------- versions and rowsets

func (s *Server) GetVersion(ctx context.Context, req *metapb.GetVersionRequest) (*metapb.GetVersionResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.GetVersionResponse, error) {
		out := make([]*metapb.PartitionVersion, 0, len(req.GetPartitions()))
		for _, p := range req.GetPartitions() {
			v, err := version.Get(tx, req.GetInstanceId(), p.GetDbId(), p.GetTableId(), p.GetPartitionId())
			if err != nil {
				return nil, err
			}
			out = append(out, &metapb.PartitionVersion{DbId: p.GetDbId(), TableId: p.GetTableId(), PartitionId: p.GetPartitionId(), Version: v})
		}
		return &metapb.GetVersionResponse{Versions: out}, nil
	})
}

func (s *Server) GetRowsets(ctx context.Context, req *metapb.GetRowsetsRequest) (*metapb.GetRowsetsResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.GetRowsetsResponse, error) {
		start, end := req.GetStartVersion(), req.GetEndVersion()
		if start < 0 || end < start {
			return nil, fmt.Errorf("get rowsets of tablet %d: bad version range [%d, %d]: %w", req.GetTabletId(), start, end, metaerr.ErrInvalidArgument)
		}
		if _, err := tablet.Index(tx, req.GetInstanceId(), req.GetTabletId()); err != nil {
			return nil, err
		}
		rs, err := rowset.Visible(tx, req.GetInstanceId(), req.GetTabletId(), start, end)
		return &metapb.GetRowsetsResponse{Rowsets: rs}, err
	})
}
