package ddl

import (
	"context"
	"fmt"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/frontend/catalog"
)

// dropStats removes the column statistics (ANALYZE TABLE) of a dropped table from the Meta
// Service. Table ids are never reused, so statistics left behind by a failure are only unused
// keys.
func (e *Executor) dropStats(ctx context.Context, t *catalog.Table) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if _, err := e.Meta.DropTableStats(ctx, &metapb.DropTableStatsRequest{InstanceId: e.InstanceID, TableId: t.ID}); err != nil {
		return fmt.Errorf("drop the statistics of %s: %w", t.Name, err)
	}
	return nil
}
