package session

import (
	"context"

	"github.com/doricdb/doric/frontend/catalog"
)

// statsCatalog is the binder's catalog with table statistics for the optimizer: row counts
// are the Meta Service's tablet stats (one GetTabletStats call per table and statement, cached
// for the statement).
type statsCatalog struct {
	binderCatalog
	s     *Session
	ctx   context.Context
	cache map[int64]float64
}

func (s *Session) statsCatalog(ctx context.Context) *statsCatalog {
	return &statsCatalog{binderCatalog: binderCatalog{s.shared.Catalog}, s: s, ctx: ctx, cache: map[int64]float64{}}
}

// TableRows implements opt.Stats: the rows of the given partitions of t.
func (c *statsCatalog) TableRows(t *catalog.Table, partitions []int64) (float64, bool) {
	want := map[int64]bool{}
	for _, p := range partitions {
		want[p] = true
	}
	var ids []int64
	for _, p := range t.Partitions {
		if want[p.ID] {
			ids = append(ids, p.Tablets...)
		}
	}
	if len(ids) == 0 {
		return 0, true
	}
	var missing []int64
	for _, id := range ids {
		if _, ok := c.cache[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		stats, err := c.s.shared.Coord.TabletStats(c.ctx, missing)
		if err != nil {
			return 0, false
		}
		for _, id := range missing {
			c.cache[id] = float64(stats[id].GetNumRows())
		}
	}
	rows := 0.0
	for _, id := range ids {
		rows += c.cache[id]
	}
	return rows, true
}
