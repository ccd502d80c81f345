package server

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/compaction"
	"github.com/doricdb/doric/compute/exec"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/load"
	"github.com/doricdb/doric/compute/publish"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/spec"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Config configures a Server.
type Config struct {
	Meta       metapb.MetaServiceClient
	InstanceID string
	// Vaults resolves vault ids to storage (a node passes Vaults.Resolve). Nil means
	// MetaVaults(Meta, InstanceID): no file caches.
	Vaults    vault.Resolver
	BatchSize int             // rows per batch; 0 means exec.DefaultBatchSize
	Segment   segment.Options // segment writer tuning for loads
	// Compactor serves Compact and tracks the tablets Write loads into; nil: Compact fails
	// with Unimplemented.
	Compactor *compaction.Compactor
	// MaxTabletVersionNum is load.Loader's limit (0: 2000, negative: none).
	MaxTabletVersionNum int
	// KeyCacheBytes bounds the node's cache of merge-on-write primary keys (0: the default).
	KeyCacheBytes int64
	// PageCache caches the segments and decoded pages queries read; nil: none.
	PageCache *segment.Cache
}

// Server implements computepb.ComputeServiceServer.
type Server struct {
	computepb.UnimplementedComputeServiceServer
	cfg    Config
	loader *load.Loader
	reader *tablet.Reader
	pub    *publish.Publisher // commits load transactions (commit.go)
}

// New returns a server.
func New(cfg Config) (*Server, error) {
	if cfg.Meta == nil {
		return nil, errors.New("compute server: no Meta Service client")
	}
	if cfg.InstanceID == "" {
		return nil, errors.New("compute server: no instance id")
	}
	if cfg.Vaults == nil {
		cfg.Vaults = MetaVaults(cfg.Meta, cfg.InstanceID)
	}
	s := &Server{
		cfg: cfg,
		loader: &load.Loader{Meta: cfg.Meta, InstanceID: cfg.InstanceID, Vaults: cfg.Vaults, Segment: cfg.Segment,
			MaxTabletVersionNum: cfg.MaxTabletVersionNum},
		reader: &tablet.Reader{Meta: cfg.Meta, InstanceID: cfg.InstanceID, Vaults: cfg.Vaults, Segments: cfg.PageCache},
	}
	if cfg.Compactor != nil {
		s.loader.Written = cfg.Compactor.Loaded
	}
	if err := s.initPublish(); err != nil {
		return nil, err
	}
	return s, nil
}

// Register registers the service on r.
func (s *Server) Register(r grpc.ServiceRegistrar) { computepb.RegisterComputeServiceServer(r, s) }

// ExecFragment runs the fragment and streams its batches.
func (s *Server) ExecFragment(req *computepb.ExecFragmentRequest, stream grpc.ServerStreamingServer[computepb.ExecFragmentResponse]) error {
	ctx := stream.Context()
	if ms := req.GetTimeoutMs(); ms > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
		defer cancel()
	}
	if err := s.exec(ctx, req, stream.Send); err != nil {
		st := toStatus(err)
		if status.Code(st) == codes.InvalidArgument || errors.Is(err, exec.ErrMemLimitExceeded) {
			return st // the user's own error (a value out of range, ...): its text is the message
		}
		return toStatus(fmt.Errorf("query %s: %w", req.GetQueryId(), err))
	}
	return nil
}

func (s *Server) exec(ctx context.Context, req *computepb.ExecFragmentRequest, send func(*computepb.ExecFragmentResponse) error) error {
	par := int(req.GetParallelPipelineTaskNum())
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	var loc *time.Location
	if tz := req.GetTimeZone(); tz != "" {
		var err error
		if loc, err = types.LoadTimeZone(tz); err != nil {
			return fmt.Errorf("%w: %v", expr.ErrBadPlan, err)
		}
	}
	op, err := exec.Build(req.GetFragment().GetRoot(), exec.Env{Location: loc,
		Tablets: tabletSource{r: s.reader, snaps: prefetchCaptures(ctx, s.reader, req.GetScanRanges())},
		Ranges:  req.GetScanRanges(), BatchSize: s.cfg.BatchSize,
		Memory: exec.NewMemTracker(req.GetQueryId(), req.GetExecMemLimit()), Parallelism: par,
	})
	if err != nil {
		return err
	}
	if err := op.Open(ctx); err != nil {
		op.Close()
		return err
	}
	defer op.Close()
	sent := false
	for {
		b, err := op.Next(ctx)
		if err != nil {
			return err
		}
		if b == nil {
			break
		}
		if err := sendBatch(b.Compact(), send); err != nil {
			return err
		}
		sent = true
	}
	if !sent {
		empty := &commonpb.Batch{}
		for _, t := range op.Types() {
			empty.Columns = append(empty.Columns, &commonpb.ColumnData{Type: t.Proto()})
		}
		if err := send(&computepb.ExecFragmentResponse{Batch: empty}); err != nil {
			return err
		}
	}
	return op.Close()
}

// maxMessageBytes bounds a response message well below gRPC's default 4 MiB receive limit.
const maxMessageBytes = 2 << 20

// sendBatch sends b (without a selection), halving it until each message fits maxMessageBytes.
func sendBatch(b *vector.Batch, send func(*computepb.ExecFragmentResponse) error) error {
	pb := vector.ToProto(b)
	if b.N > 1 && proto.Size(pb) > maxMessageBytes {
		half := b.N / 2
		for _, r := range [][2]int{{0, half}, {half, b.N}} {
			cols := make([]*vector.Vector, len(b.Cols))
			for k, c := range b.Cols {
				cols[k] = c.Slice(r[0], r[1])
			}
			if err := sendBatch(vector.NewBatch(cols, r[1]-r[0]), send); err != nil {
				return err
			}
		}
		return nil
	}
	return send(&computepb.ExecFragmentResponse{Batch: pb})
}

// Write loads rows into tablets.
func (s *Server) Write(ctx context.Context, req *computepb.WriteRequest) (*computepb.WriteResponse, error) {
	resp, err := s.loader.Write(ctx, req)
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// tabletSource reads tablets through the Meta Service and the vault; snaps are the snapshots
// fetched ahead (prefetchCaptures), read only.
type tabletSource struct {
	r     *tablet.Reader
	snaps map[snapKey]*tablet.Snapshot
}

func (t tabletSource) ScanTablet(ctx context.Context, rng *planpb.ScanRange, schema *commonpb.TabletSchema, ids []int32, conjuncts []*planpb.Expr, batchSize int) (exec.BatchIterator, error) {
	snap, ok := t.snaps[snapKey{rng.GetTabletId(), rng.GetVersion()}]
	if !ok {
		var err error
		if snap, err = t.r.Capture(ctx, rng.GetTabletId(), rng.GetVersion()); err != nil {
			return nil, err
		}
	}
	sc, err := t.r.Scan(snap, schema, ids, batchSize)
	if err != nil {
		return nil, err
	}
	sc.Prune(tablet.Pushdown(conjuncts, ids, schema))
	sc.Filter(conjuncts) // late materialization; the scan operator still filters exactly
	return sc, nil
}

// toStatus maps an error to its gRPC status (see the package doc).
func toStatus(err error) error {
	code := codes.Internal
	switch {
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, expr.ErrBadPlan), errors.Is(err, expr.ErrOutOfRange), errors.Is(err, load.ErrInvalidInput):
		code = codes.InvalidArgument
	case errors.Is(err, exec.ErrMemLimitExceeded):
		code = codes.ResourceExhausted // the message names the limit and the session variable
	case errors.Is(err, load.ErrTooManyVersions):
		code = codes.ResourceExhausted // Doris's -235: the message is meant for the user
	case errors.Is(err, load.ErrUnsupported), errors.Is(err, tablet.ErrUnsupported), errors.Is(err, spec.ErrUnsupported),
		errors.Is(err, compaction.ErrUnsupported):
		code = codes.Unimplemented
	case errors.Is(err, segment.ErrCorrupt), errors.Is(err, vault.ErrNotFound):
		code = codes.DataLoss
	default:
		if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
			code = st.Code() // a Meta Service error keeps its class
		}
	}
	return status.Error(code, err.Error())
}

// MetaVaults returns a resolver that opens vaults from their descriptions at the Meta Service
// (through vault/spec), without file caches. Nodes use Vaults, which also caches remote vaults.
func MetaVaults(meta metapb.MetaServiceClient, instanceID string) vault.Resolver {
	v, err := NewVaults(VaultsConfig{Meta: meta, InstanceID: instanceID})
	if err != nil {
		return func(context.Context, string) (vault.Storage, error) { return nil, err }
	}
	return v.Resolve
}

// Limits of CheckVault: a vault that does not answer within checkTimeout fails its check, and
// its requests are retried a few times only (the user is waiting).
const checkTimeout = time.Minute

var checkRetry = vault.Backoff{Attempts: 3, Base: 100 * time.Millisecond, Max: time.Second}

// CheckVault opens the described vault and probes it with vault.Check. A failing vault is a
// response with ok false, the step and the reason, not an RPC error.
func (s *Server) CheckVault(ctx context.Context, req *computepb.CheckVaultRequest) (*computepb.CheckVaultResponse, error) {
	v := req.GetVault()
	if v.GetBackend() == nil {
		return nil, status.Error(codes.InvalidArgument, "check vault: no vault backend in the request")
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	st, err := spec.OpenWith(ctx, v, spec.Options{Retry: checkRetry})
	if err != nil {
		return &computepb.CheckVaultResponse{Step: "open", Message: err.Error()}, nil
	}
	defer closeStorage(st)
	if err := vault.Check(ctx, st); err != nil {
		step := "check"
		var ce *vault.CheckError
		if errors.As(err, &ce) {
			step = ce.Step
		}
		return &computepb.CheckVaultResponse{Step: step, Message: err.Error()}, nil
	}
	return &computepb.CheckVaultResponse{Ok: true}, nil
}
