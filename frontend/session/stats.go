package session

import (
	"context"
	"sync"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/opt"
)

// statsCatalog is the binder's catalog with table statistics for the optimizer: row counts
// are the Meta Service's tablet stats (one GetTabletStats call for the tables a statement scans,
// cached for the statement), column statistics those ANALYZE TABLE stored (one GetTableStats
// call per table and statement, made concurrently: Prefetch).
type statsCatalog struct {
	binderCatalog
	s     *Session
	ctx   context.Context
	cache map[int64]float64
	cols  map[int64]map[string]opt.ColumnStats // table id → column → statistics
}

func (s *Session) statsCatalog(ctx context.Context) *statsCatalog {
	return &statsCatalog{binderCatalog: binderCatalog{s.shared.Catalog}, s: s, ctx: ctx, cache: map[int64]float64{},
		cols: map[int64]map[string]opt.ColumnStats{}}
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

// Prefetch implements opt.Prefetcher: the row counts of every tablet of the tables in one call,
// and their column statistics concurrently (what is not fetched here is fetched when asked for).
func (c *statsCatalog) Prefetch(tables []*catalog.Table) {
	var ids []int64
	for _, t := range tables {
		for _, p := range t.Partitions {
			for _, id := range p.Tablets {
				if _, ok := c.cache[id]; !ok {
					ids = append(ids, id)
				}
			}
		}
	}
	if len(ids) > 0 {
		if stats, err := c.s.shared.Coord.TabletStats(c.ctx, ids); err == nil {
			for _, id := range ids {
				c.cache[id] = float64(stats[id].GetNumRows())
			}
		}
	}
	if c.s.vars["enable_stats"].num == 0 {
		return
	}
	var todo []*catalog.Table
	for _, t := range tables {
		if _, ok := c.cols[t.ID]; !ok {
			todo = append(todo, t)
		}
	}
	got := make([][]*metapb.ColumnStats, len(todo))
	ok := make([]bool, len(todo))
	var wg sync.WaitGroup
	for i, t := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			list, err := c.s.shared.Coord.TableStats(c.ctx, t.ID, nil)
			got[i], ok[i] = list, err == nil
		}()
	}
	wg.Wait()
	for i, t := range todo {
		if ok[i] {
			c.cols[t.ID] = columnStats(got[i])
		}
	}
}

// columnStats indexes a table's column statistics by column.
func columnStats(list []*metapb.ColumnStats) map[string]opt.ColumnStats {
	cols := map[string]opt.ColumnStats{}
	for _, st := range list {
		cols[st.GetColumn()] = opt.ColumnStats{Rows: float64(st.GetRowCount()), NDV: float64(st.GetNdv()),
			Nulls: float64(st.GetNullCount()), Min: st.GetMin(), Max: st.GetMax(), HasMinMax: st.GetHasMinMax()}
	}
	return cols
}

// ColumnStats implements opt.Stats: the statistics ANALYZE TABLE took of a column of t (none
// when the session variable enable_stats is off).
func (c *statsCatalog) ColumnStats(t *catalog.Table, column string) (opt.ColumnStats, bool) {
	if c.s.vars["enable_stats"].num == 0 {
		return opt.ColumnStats{}, false
	}
	cols, ok := c.cols[t.ID]
	if !ok {
		cols = map[string]opt.ColumnStats{}
		if list, err := c.s.shared.Coord.TableStats(c.ctx, t.ID, nil); err == nil {
			cols = columnStats(list)
		}
		c.cols[t.ID] = cols
	}
	st, ok := cols[column]
	return st, ok
}
