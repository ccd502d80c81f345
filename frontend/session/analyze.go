package session

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/mysql"
	"github.com/doricdb/doric/frontend/parser"
)

// maxStatsText bounds the stored text of a string column's MIN and MAX (a prefix is kept).
const maxStatsText = 256

// analyzeStmt runs ANALYZE TABLE (and ANALYZE DATABASE: analyzeDatabase): the statistics of the
// named columns (all visible ones when none are named) are computed by one aggregate query and
// stored in the Meta Service. WITH SYNC or not, the statement returns when they are stored
// (Doris runs it asynchronously without it).
func (s *Session) analyzeStmt(ctx context.Context, st *ast.Analyze) (*mysql.Result, error) {
	if st.Database != nil {
		return ok(0, s.analyzeDatabase(ctx, st.Database.Name))
	}
	db, t, cols, err := s.statsTarget(st.Table, st.Columns)
	if err != nil {
		return nil, err
	}
	return ok(0, s.analyzeTable(ctx, db, t, cols))
}

// analyzeDatabase runs ANALYZE DATABASE: every visible column of every table of the database, a
// table at a time in name order (a table dropped meanwhile is skipped).
func (s *Session) analyzeDatabase(ctx context.Context, db string) error {
	d, found := s.shared.Catalog.Database(db)
	if !found {
		return &catalog.Error{Kind: catalog.UnknownDatabase, Name: db}
	}
	names := make([]string, 0, len(d.Tables))
	for _, t := range d.Tables {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	for _, name := range names {
		_, t, cols, err := s.statsTarget(ast.TableName{DB: db, Name: name}, nil)
		if ce, isCatalog := errors.AsType[*catalog.Error](err); isCatalog && ce.Kind == catalog.UnknownTable {
			continue // dropped meanwhile
		}
		if err != nil {
			return err
		}
		if err := s.analyzeTable(ctx, db, t, cols); err != nil {
			return fmt.Errorf("analyze %s.%s: %w", db, name, err)
		}
	}
	return nil
}

// statsTarget resolves the table and columns of a statistics statement: the named columns (an
// unknown one is an error) or every visible column.
func (s *Session) statsTarget(tn ast.TableName, names []ast.Ident) (string, *catalog.Table, []catalog.Column, error) {
	db, err := s.dbName(tn.DB)
	if err != nil {
		return "", nil, nil, err
	}
	t, err := s.shared.Catalog.Table(db, tn.Name)
	if err != nil {
		return "", nil, nil, err
	}
	if len(names) == 0 {
		var cols []catalog.Column
		for _, c := range t.Columns {
			if !c.Hidden {
				cols = append(cols, c)
			}
		}
		return db, t, cols, nil
	}
	var cols []catalog.Column
	seen := map[string]bool{}
	for _, n := range names {
		c, found := columnOf(t, n.Name)
		if !found {
			return "", nil, nil, &binder.Error{Code: binder.ErrUnknownColumn, Pos: n.Pos, Msg: fmt.Sprintf("Unknown column '%s' in '%s'", n.Name, t.Name)}
		}
		if !seen[c.Name] {
			seen[c.Name] = true
			cols = append(cols, c)
		}
	}
	return db, t, cols, nil
}

func columnOf(t *catalog.Table, name string) (catalog.Column, bool) {
	for _, c := range t.Columns {
		if strings.EqualFold(c.Name, name) && !c.Hidden {
			return c, true
		}
	}
	return catalog.Column{}, false
}

// analyzeTable computes the statistics of cols of table t (of database db) with one query —
// COUNT(*), and per column COUNT(c), APPROX_COUNT_DISTINCT(c), MIN(c), MAX(c), and for strings
// AVG(LENGTH(c)) — through the normal query path, and stores them.
func (s *Session) analyzeTable(ctx context.Context, db string, t *catalog.Table, cols []catalog.Column) error {
	if len(cols) == 0 {
		return nil
	}
	versions, err := s.shared.Coord.PartitionVersions(ctx, t)
	if err != nil {
		return err
	}
	var version int64
	for _, v := range versions {
		version += v
	}
	var sb strings.Builder
	sb.WriteString("SELECT COUNT(*)")
	for _, c := range cols {
		q := ast.QuoteIdent(c.Name)
		fmt.Fprintf(&sb, ", COUNT(%s), APPROX_COUNT_DISTINCT(%s), MIN(%s), MAX(%s)", q, q, q, q)
		if c.Type.IsString() {
			fmt.Fprintf(&sb, ", AVG(LENGTH(%s))", q)
		}
	}
	fmt.Fprintf(&sb, " FROM %s.%s", ast.QuoteIdent(db), ast.QuoteIdent(t.Name))
	stmt, err := parser.ParseOne(sb.String())
	if err != nil {
		return fmt.Errorf("BUG: analyze query %q: %w", sb.String(), err)
	}
	res, err := s.query(ctx, stmt.(ast.QueryExpr))
	if err != nil {
		return fmt.Errorf("analyze %s: %w", t.Name, err)
	}
	if len(res.Rows) != 1 {
		return fmt.Errorf("BUG: analyze query of %s returned %d rows", t.Name, len(res.Rows))
	}
	row := res.Rows[0]
	num := func(i int) int64 {
		n, _ := strconv.ParseInt(string(row[i]), 10, 64)
		return n
	}
	rows := num(0)
	now := time.Now().UnixMilli()
	out := make([]*metapb.ColumnStats, 0, len(cols))
	i := 1
	for _, c := range cols {
		nonNull := num(i)
		cs := &metapb.ColumnStats{Column: c.Name, RowCount: rows, Ndv: min(num(i+1), nonNull), NullCount: rows - nonNull,
			UpdateTimeMs: now, Version: version}
		if row[i+2] != nil && row[i+3] != nil {
			cs.HasMinMax = true
			cs.Min, cs.Max = clip(string(row[i+2])), clip(string(row[i+3]))
		}
		i += 4
		if c.Type.IsString() {
			cs.AvgSize, _ = strconv.ParseFloat(string(row[i]), 64)
			i++
		} else {
			cs.AvgSize = float64(width(c.Type))
		}
		cs.DataSize = int64(math.Round(cs.AvgSize * float64(nonNull)))
		out = append(out, cs)
	}
	return s.shared.Coord.PutTableStats(ctx, t.ID, out)
}

// clip keeps a prefix of at most maxStatsText bytes of a MIN or MAX text (on a rune boundary).
func clip(v string) string {
	if len(v) <= maxStatsText {
		return v
	}
	n := maxStatsText
	for n > 0 && v[n]&0xC0 == 0x80 {
		n--
	}
	return v[:n]
}

// width is the bytes of a value of a fixed-width type (as Doris's storage types).
func width(t types.T) int {
	switch t.Kind {
	case types.Boolean, types.TinyInt:
		return 1
	case types.SmallInt:
		return 2
	case types.Int, types.Float, types.Date:
		return 4
	case types.LargeInt:
		return 16
	case types.Decimal:
		if t.Precision > types.MaxDecimal64Precision {
			return 16
		}
		return 8
	}
	return 8
}

// showColumnStats runs SHOW COLUMN STATS t [(cols)]: one row per column with statistics.
func (s *Session) showColumnStats(ctx context.Context, st *ast.ShowColumnStats) (*mysql.Result, error) {
	_, t, cols, err := s.statsTarget(st.Table, st.Columns)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	list, err := s.shared.Coord.TableStats(ctx, t.ID, names)
	if err != nil {
		return nil, err
	}
	byName := map[string]*metapb.ColumnStats{}
	for _, c := range list {
		byName[c.GetColumn()] = c
	}
	res := &mysql.Result{Columns: textColumns("column_name", "count", "ndv", "num_null", "data_size", "avg_size_byte",
		"min", "max", "updated_time", "last_analyze_version")}
	for _, c := range cols { // in the table's column order
		cs := byName[c.Name]
		if cs == nil {
			continue
		}
		var lo, hi []byte
		if cs.GetHasMinMax() {
			lo, hi = []byte(cs.GetMin()), []byte(cs.GetMax())
		}
		res.AddRow([]byte(c.Name), fmtInt(cs.GetRowCount()), fmtInt(cs.GetNdv()), fmtInt(cs.GetNullCount()),
			fmtInt(cs.GetDataSize()), []byte(strconv.FormatFloat(cs.GetAvgSize(), 'f', -1, 64)), lo, hi,
			[]byte(time.UnixMilli(cs.GetUpdateTimeMs()).Format("2006-01-02 15:04:05")), fmtInt(cs.GetVersion()))
	}
	return res, nil
}

func fmtInt(n int64) []byte { return []byte(strconv.FormatInt(n, 10)) }

// dropStats runs DROP STATS t [(cols)].
func (s *Session) dropStats(ctx context.Context, st *ast.DropStats) (*mysql.Result, error) {
	_, t, cols, err := s.statsTarget(st.Table, st.Columns)
	if err != nil {
		return nil, err
	}
	var names []string
	if len(st.Columns) > 0 {
		for _, c := range cols {
			names = append(names, c.Name)
		}
		sort.Strings(names)
	}
	return ok(0, s.shared.Coord.DropTableStats(ctx, t.ID, names))
}
