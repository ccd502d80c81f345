package coord

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/frontend/catalog"
)

// CompactError reports the tablets whose compaction failed (ALTER TABLE ... COMPACT), one line
// each, as the compute nodes answered.
type CompactError struct{ Lines []string }

func (e *CompactError) Error() string {
	return fmt.Sprintf("compaction failed on %d tablet(s): %s", len(e.Lines), strings.Join(e.Lines, "; "))
}

// Compact compacts every tablet of t (ALTER TABLE t [CUMULATIVE | BASE] COMPACT): each running
// compute node of group gets one Compact request, with wait, for the tablets it owns (the same
// owner as queries and loads use), and the call returns when all of them answered. The Meta
// Service's leases make a compaction safe whichever node runs it.
func (c *Coordinator) Compact(ctx context.Context, group string, t *catalog.Table, kind metapb.CompactionType) error {
	nodes, err := c.nodes(ctx, group)
	if err != nil {
		return err
	}
	byNode := map[string][]int64{}
	addr := map[string]string{}
	for _, p := range t.Partitions {
		for _, id := range p.Tablets {
			n := owner(nodes, id)
			byNode[n.NodeId] = append(byNode[n.NodeId], id)
			addr[n.NodeId] = n.GrpcAddress
		}
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		lines []string
		errs  []error
	)
	for node, tablets := range byNode {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := c.client(addr[node])
			var resp *computepb.CompactResponse
			if err == nil {
				resp, err = cl.Compact(ctx, &computepb.CompactRequest{TabletIds: tablets, Type: kind, Wait: true})
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("compact on compute node %s: %w", node, err))
				return
			}
			lines = append(lines, resp.GetErrors()...)
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(lines) > 0 {
		sort.Strings(lines)
		return &CompactError{Lines: lines}
	}
	return nil
}
