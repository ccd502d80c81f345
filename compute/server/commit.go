package server

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/compute/publish"
	"github.com/doricdb/doric/compute/tablet"
)

// initPublish gives the server its publisher: the reader gets the node's primary-key cache
// (merge-on-write segments' keys), which publishes share.
func (s *Server) initPublish() error {
	s.reader.Keys = tablet.NewKeyCache(s.cfg.KeyCacheBytes)
	p, err := publish.New(publish.Config{Meta: s.cfg.Meta, InstanceID: s.cfg.InstanceID, Reader: s.reader})
	if err != nil {
		return fmt.Errorf("compute server: %w", err)
	}
	s.pub = p
	return nil
}

// Publisher is the server's publisher: Stream Load and group commit on the node commit through
// it too, so every load of the node shares its key cache.
func (s *Server) Publisher() *publish.Publisher { return s.pub }

// CommitTxn commits a load transaction through the publish (merge-on-write bitmaps first).
// An aborted txn is FailedPrecondition; a delete-bitmap lock that stayed busy is Aborted (retry).
func (s *Server) CommitTxn(ctx context.Context, req *computepb.CommitTxnRequest) (*computepb.CommitTxnResponse, error) {
	if req.GetTxnId() <= 0 {
		return nil, status.Error(codes.InvalidArgument, "commit txn: no txn id")
	}
	resp, err := s.pub.Commit(ctx, req.GetDbId(), req.GetTxnId())
	switch {
	case err == nil:
		return &computepb.CommitTxnResponse{Commit: resp}, nil
	case errors.Is(err, publish.ErrAborted):
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, publish.ErrLockTimeout):
		return nil, status.Error(codes.Aborted, err.Error())
	}
	return nil, toStatus(err)
}
