package session

import (
	"context"
	"log/slog"
	"math"
	"time"

	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/catalog"
)

// HealthThreshold is how much a table's row count may change after ANALYZE before its
// statistics are stale (Doris's table_stats_health_threshold of 90%: a change of more than 10%).
const HealthThreshold = 0.1

// AutoAnalyzer analyzes tables whose statistics are missing or stale, in the background and one
// table at a time (Doris's auto analyze): sessions Notify it after a load they ran commits
// (INSERT, DELETE, UPDATE; the notification never waits), and every Interval it sweeps all
// tables, which catches Stream Loads (they commit on the compute nodes). Run is its loop; Notify
// may be called concurrently from any session, before or after Run starts (a full queue drops the
// notification: the next sweep finds the table).
type AutoAnalyzer struct {
	shared   *Shared
	interval time.Duration
	log      *slog.Logger
	queue    chan tableRef
}

type tableRef struct {
	db string
	id int64
}

// NewAutoAnalyzer returns an analyzer over shared's services sweeping every interval (0: only
// notified tables are analyzed).
func NewAutoAnalyzer(shared *Shared, interval time.Duration, log *slog.Logger) *AutoAnalyzer {
	if log == nil {
		log = slog.Default()
	}
	return &AutoAnalyzer{shared: shared, interval: interval, log: log, queue: make(chan tableRef, 256)}
}

// Notify asks for table t of database db to be checked (and analyzed when its statistics are
// missing or stale). It never blocks.
func (a *AutoAnalyzer) Notify(db string, t *catalog.Table) {
	if a == nil {
		return
	}
	select {
	case a.queue <- tableRef{db: db, id: t.ID}:
	default:
	}
}

// Run checks notified tables, and all tables every interval, until ctx ends.
func (a *AutoAnalyzer) Run(ctx context.Context) {
	var tick <-chan time.Time
	if a.interval > 0 {
		t := time.NewTicker(a.interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-a.queue:
			a.check(ctx, r)
		case <-tick:
			for _, db := range a.shared.Catalog.Databases() {
				d, ok := a.shared.Catalog.Database(db)
				if !ok {
					continue
				}
				for _, t := range d.Tables {
					if ctx.Err() != nil {
						return
					}
					a.check(ctx, tableRef{db: db, id: t.ID})
				}
			}
		}
	}
}

// check analyzes the table when it still exists and Stale says so.
func (a *AutoAnalyzer) check(ctx context.Context, r tableRef) {
	d, ok := a.shared.Catalog.Database(r.db)
	if !ok {
		return
	}
	var t *catalog.Table
	for _, x := range d.Tables {
		if x.ID == r.id {
			t = x
		}
	}
	if t == nil {
		return
	}
	s := &Session{shared: a.shared, user: "root", vars: defaultVariables()}
	stale, err := s.statsStale(ctx, t)
	if err != nil || !stale {
		return
	}
	_, _, cols, err := s.statsTarget(ast.TableName{DB: r.db, Name: t.Name}, nil)
	if err == nil {
		start := time.Now()
		err = s.analyzeTable(ctx, r.db, t, cols)
		a.log.Info("auto analyze", "table", r.db+"."+t.Name, "took", time.Since(start).Round(time.Millisecond), "err", err)
	}
}

// statsStale reports whether t's statistics are missing (some visible column has none) or were
// taken at a row count that differs from the current one by more than HealthThreshold.
func (s *Session) statsStale(ctx context.Context, t *catalog.Table) (bool, error) {
	list, err := s.shared.Coord.TableStats(ctx, t.ID, nil)
	if err != nil {
		return false, err
	}
	have := map[string]int64{}
	for _, c := range list {
		have[c.GetColumn()] = c.GetRowCount()
	}
	var ids []int64
	for _, p := range t.Partitions {
		ids = append(ids, p.Tablets...)
	}
	stats, err := s.shared.Coord.TabletStats(ctx, ids)
	if err != nil {
		return false, err
	}
	var rows int64
	for _, st := range stats {
		rows += st.GetNumRows()
	}
	for _, c := range t.Columns {
		if c.Hidden {
			continue
		}
		old, ok := have[c.Name]
		if !ok {
			return rows > 0, nil // nothing to analyze in an empty table yet
		}
		if math.Abs(float64(rows-old)) > HealthThreshold*float64(old) {
			return true, nil
		}
	}
	return false, nil
}

// autoAnalyze tells the auto analyzer (if any, and if the session's enable_auto_analyze is on)
// that a statement loaded into table tn.
func (s *Session) autoAnalyze(tn ast.TableName) {
	if s.shared.AutoAnalyze == nil || s.vars["enable_auto_analyze"].num == 0 {
		return
	}
	db, err := s.dbName(tn.DB)
	if err != nil {
		return
	}
	t, err := s.shared.Catalog.Table(db, tn.Name)
	if err != nil {
		return
	}
	s.shared.AutoAnalyze.Notify(db, t)
}
