package server

import (
	"context"
	"fmt"
	"sync"

	"github.com/doricdb/doric/api/computepb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Compact compacts the named tablets through the node's compactor (ALTER TABLE ... COMPACT).
// With wait it returns when every tablet's compaction ended, one line in errors per tablet whose
// compaction failed; otherwise it returns once they are started, in the background of the node
// (their failures are logged by the compactor). Tablets are compacted a few at a time; the
// compactor's pools cap the jobs of the node.
func (s *Server) Compact(ctx context.Context, req *computepb.CompactRequest) (*computepb.CompactResponse, error) {
	c := s.cfg.Compactor
	if c == nil {
		return nil, status.Error(codes.Unimplemented, "compact: this node runs no compactor")
	}
	kind := req.GetType()
	resp := &computepb.CompactResponse{Submitted: int32(len(req.GetTabletIds()))}
	if !req.GetWait() {
		for _, id := range req.GetTabletIds() {
			c.Go(id, kind)
		}
		return resp, nil
	}
	errs := make([]error, len(req.GetTabletIds()))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, id := range req.GetTabletIds() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, err := c.Compact(ctx, id, kind); err != nil {
				errs[i] = fmt.Errorf("tablet %d: %w", id, err)
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, toStatus(ctx.Err())
	}
	for _, err := range errs {
		if err != nil {
			resp.Errors = append(resp.Errors, err.Error())
		}
	}
	return resp, nil
}
