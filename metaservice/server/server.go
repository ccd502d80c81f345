package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/instance"
	"github.com/doricdb/doric/metaservice/job"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/partition"
	"github.com/doricdb/doric/metaservice/txn"
)

// Default retentions and budgets (Doris's defaults). Every one is an Option.
const (
	// DefaultRetention is how long the files of an orphaned rowset (aborted txn, upload whose
	// commit never came) are kept before the recycler may delete them (Doris's
	// retention_seconds, 3 days).
	DefaultRetention = txn.DefaultRowsetRetention
	// DefaultLabelRetention is how long a finished txn keeps its label (3 days).
	DefaultLabelRetention = txn.DefaultLabelRetention
	// DefaultCompactedRetention is how long a compaction's inputs are kept (30 min).
	DefaultCompactedRetention = job.DefaultCompactedRetention
	// DefaultDroppedRetention is how long a dropped partition or index is kept (3 h).
	DefaultDroppedRetention = 3 * time.Hour
	// DefaultPreparedRetention is when a partition or index whose create never committed may be
	// reclaimed, when the request gives no expiration.
	DefaultPreparedRetention = 72 * time.Hour
	// DefaultCommitBudget is the most bytes one commit_txn writes in one kv transaction (7 MiB);
	// larger commits are lazy (package txn).
	DefaultCommitBudget = txn.DefaultCommitBudget

	// maxFinishRounds bounds how often a reader finishes pending lazy commits and reads again.
	maxFinishRounds = 8
)

// Server implements metapb.MetaServiceServer over a kv.DB.
type Server struct {
	metapb.UnimplementedMetaServiceServer
	db  kv.DB
	now func() time.Time

	retention          time.Duration
	labelRetention     time.Duration
	compactedRetention time.Duration
	droppedRetention   time.Duration
	preparedRetention  time.Duration
	commitBudget       int
	jobLease           time.Duration
}

var _ metapb.MetaServiceServer = (*Server)(nil)

// Option configures a Server.
type Option func(*Server)

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithRetention sets how long orphaned rowset files are kept (default DefaultRetention).
func WithRetention(d time.Duration) Option { return func(s *Server) { s.retention = d } }

// WithLabelRetention sets how long finished txns keep their labels (default DefaultLabelRetention).
func WithLabelRetention(d time.Duration) Option { return func(s *Server) { s.labelRetention = d } }

// WithCompactedRetention sets how long compaction inputs are kept (default DefaultCompactedRetention).
func WithCompactedRetention(d time.Duration) Option {
	return func(s *Server) { s.compactedRetention = d }
}

// WithDroppedRetention sets how long dropped partitions and indexes are kept (default
// DefaultDroppedRetention).
func WithDroppedRetention(d time.Duration) Option { return func(s *Server) { s.droppedRetention = d } }

// WithCommitBudget sets the bytes above which a commit is lazy (default DefaultCommitBudget).
func WithCommitBudget(n int) Option { return func(s *Server) { s.commitBudget = n } }

// WithJobLease sets the lease of compaction jobs that ask for none (default job.DefaultLease).
func WithJobLease(d time.Duration) Option { return func(s *Server) { s.jobLease = d } }

// New returns a Server over db. The caller keeps ownership of db.
func New(db kv.DB, opts ...Option) *Server {
	s := &Server{
		db: db, now: time.Now,
		retention: DefaultRetention, labelRetention: DefaultLabelRetention, compactedRetention: DefaultCompactedRetention,
		droppedRetention: DefaultDroppedRetention, preparedRetention: DefaultPreparedRetention,
		commitBudget: DefaultCommitBudget, jobLease: job.DefaultLease,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Register registers the service on r (a *grpc.Server).
func (s *Server) Register(r grpc.ServiceRegistrar) {
	metapb.RegisterMetaServiceServer(r, s)
}

func (s *Server) txnOptions() txn.Options {
	return txn.Options{CommitBudget: s.commitBudget, RowsetRetention: s.retention, LabelRetention: s.labelRetention}
}

func (s *Server) jobOptions() job.Options {
	return job.Options{DefaultLease: s.jobLease, CompactedRetention: s.compactedRetention, RowsetRetention: s.retention}
}

func (s *Server) partitionRetention() partition.Retention {
	return partition.Retention{Prepared: s.preparedRetention, Dropped: s.droppedRetention}
}

// updateRaw runs fn in a read-write kv transaction after checking the instance exists; its error
// is not mapped to a status.
func updateRaw[R any](ctx context.Context, s *Server, instanceID string, fn func(tx kv.Txn, info *metapb.InstanceInfo, now time.Time) (R, error)) (R, error) {
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
		return zero, err
	}
	return out, nil
}

// update is updateRaw with its error mapped to a status.
func update[R any](ctx context.Context, s *Server, instanceID string, fn func(tx kv.Txn, info *metapb.InstanceInfo, now time.Time) (R, error)) (R, error) {
	out, err := updateRaw(ctx, s, instanceID, fn)
	return out, toStatus(err)
}

// viewRaw runs fn in a read-only kv transaction after checking the instance exists.
func viewRaw[R any](ctx context.Context, s *Server, instanceID string, fn func(tx kv.ReadTxn, info *metapb.InstanceInfo) (R, error)) (R, error) {
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
		return zero, err
	}
	return out, nil
}

// view is viewRaw with its error mapped to a status.
func view[R any](ctx context.Context, s *Server, instanceID string, fn func(tx kv.ReadTxn, info *metapb.InstanceInfo) (R, error)) (R, error) {
	out, err := viewRaw(ctx, s, instanceID, fn)
	return out, toStatus(err)
}

// toStatus maps an error of the domain or the kv layer to a gRPC status (see the package doc);
// nil stays nil.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
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
	case errors.Is(err, metaerr.ErrBusy):
		code = codes.Aborted
	case errors.Is(err, metaerr.ErrVersionMerged):
		code = codes.OutOfRange // a read at an older version than the tablet still holds
	case errors.Is(err, kv.ErrTooLarge):
		code = codes.ResourceExhausted
	case errors.Is(err, kv.ErrCommitUnknown):
		code = codes.Unavailable // the outcome is unknown; every RPC is safe to repeat
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

// newRequestID returns a random id for a request that came without one.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ---------------------------------------------------------------- instance

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
