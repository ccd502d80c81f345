package coord

import (
	"context"
	"fmt"

	"github.com/doricdb/doric/api/metapb"
)

// PutTableStats stores column statistics of a table in the Meta Service.
func (c *Coordinator) PutTableStats(ctx context.Context, tableID int64, cols []*metapb.ColumnStats) error {
	_, err := c.cfg.Meta.PutTableStats(ctx, &metapb.PutTableStatsRequest{InstanceId: c.cfg.InstanceID, TableId: tableID, Columns: cols})
	if err != nil {
		return fmt.Errorf("put statistics of table %d: %w", tableID, err)
	}
	return nil
}

// TableStats returns the column statistics of a table (of the named columns; all when none are).
func (c *Coordinator) TableStats(ctx context.Context, tableID int64, columns []string) ([]*metapb.ColumnStats, error) {
	resp, err := c.cfg.Meta.GetTableStats(ctx, &metapb.GetTableStatsRequest{InstanceId: c.cfg.InstanceID, TableId: tableID, Columns: columns})
	if err != nil {
		return nil, fmt.Errorf("get statistics of table %d: %w", tableID, err)
	}
	return resp.GetColumns(), nil
}

// DropTableStats removes the column statistics of a table (of the named columns; all when none
// are).
func (c *Coordinator) DropTableStats(ctx context.Context, tableID int64, columns []string) error {
	_, err := c.cfg.Meta.DropTableStats(ctx, &metapb.DropTableStatsRequest{InstanceId: c.cfg.InstanceID, TableId: tableID, Columns: columns})
	if err != nil {
		return fmt.Errorf("drop statistics of table %d: %w", tableID, err)
	}
	return nil
}
