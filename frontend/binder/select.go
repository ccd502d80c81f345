package binder

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/opt"
	"github.com/doricdb/doric/frontend/plan"
)

// Catalog is what the binder needs of the catalog: databases by exact name. Implementations must
// return objects that are not mutated while a statement is being bound.
type Catalog interface {
	Database(name string) (*catalog.Database, bool)
}

// ResultColumn describes one column of a query's result set.
type ResultColumn struct {
	Name     string
	Type     types.T
	Nullable bool
}

// Query is a bound SELECT: the fragment to run, the columns of its result, in order (the root
// node outputs exactly these), and the partitions each scan reads.
type Query struct {
	Fragment *planpb.Fragment
	Columns  []ResultColumn
	Scans    []*Scan
	Info     map[int32]*opt.NodeInfo // per plan node id: estimated rows, distribution (EXPLAIN)
}

// ScanPartitions maps each scan node of the query to the ids of the partitions it reads.
func (q *Query) ScanPartitions() map[int32][]int64 {
	out := map[int32][]int64{}
	for _, s := range q.Scans {
		out[s.NodeID] = s.Partitions
	}
	return out
}

type selectItem struct {
	expr  *expr
	name  string // result column name
	alias string // explicit alias; "" when none
}

// resolveTable finds [db.]name, db defaulting to currentDB.
func resolveTable(cat Catalog, currentDB string, tn ast.TableName) (*catalog.Table, string, error) {
	db := tn.DB
	if db == "" {
		db = currentDB
	}
	if db == "" {
		return nil, "", errorf(ErrNoDatabase, tn.Pos, "No database selected")
	}
	d, ok := cat.Database(db)
	if !ok {
		return nil, "", errorf(ErrUnknownDatabase, tn.Pos, "Unknown database '%s'", db)
	}
	t := d.Table(tn.Name)
	if t == nil {
		return nil, "", errorf(ErrUnknownTable, tn.Pos, "Unknown table '%s'", tn.Name)
	}
	return t, db, nil
}

// StatsCatalog is a Catalog that also supplies table statistics; BindSelect and BindQuery use
// them for the join order when the catalog passed in implements it.
type StatsCatalog interface {
	Catalog
	opt.Stats
}

// BindSelect binds a SELECT against the catalog; currentDB is the session's database ("" when
// none is selected).
func BindSelect(cat Catalog, currentDB string, st *ast.Select) (*Query, error) {
	return BindQuery(cat, currentDB, st)
}

// BindQuery binds a query (a SELECT or a set operation), optimises it (frontend/opt) and plans
// it as one fragment, in UTC.
func BindQuery(cat Catalog, currentDB string, q ast.QueryExpr) (*Query, error) {
	return BindQueryWith(cat, currentDB, q, QueryOptions{})
}

// QueryOptions are a session's settings that binding depends on.
type QueryOptions struct {
	// Location is the session's time zone (time_zone): NOW() and CURRENT_DATE() fold to the
	// statement's time as a local time there. nil: UTC.
	Location *time.Location
}

// now is the time as a local time in the session's time zone (column defaults).
func (o QueryOptions) now() time.Time {
	if o.Location == nil {
		return time.Now().UTC()
	}
	return time.Now().In(o.Location)
}

// BindQueryWith is BindQuery with a session's settings.
func BindQueryWith(cat Catalog, currentDB string, q ast.QueryExpr, o QueryOptions) (*Query, error) {
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	qb := &queryBinder{cat: cat, db: currentDB, now: time.Now(), loc: loc}
	root, outs, err := qb.bindQuery(q, nil, nil)
	if err != nil {
		return nil, err
	}
	cols := make([]plan.Column, len(outs))
	for i, o := range outs {
		cols[i] = o.col
	}
	var opts opt.Options
	if sc, ok := cat.(opt.Stats); ok {
		opts.Stats = sc
	}
	res, err := opt.Build(root, cols, &qb.ids, opts)
	if err != nil {
		if errors.Is(err, opt.ErrUnsupported) {
			return nil, errorf(ErrNotSupported, q.Position(), "%v", err)
		}
		return nil, err
	}
	out := &Query{Fragment: res.Fragment, Info: res.Info}
	for _, s := range res.Scans {
		out.Scans = append(out.Scans, &Scan{NodeID: s.NodeID, TableID: s.TableID, Partitions: s.Partitions,
			Total: s.Total, Tablets: s.Tablets, TotalTablets: s.TotalTablets, Names: s.Names})
	}
	for _, o := range outs {
		out.Columns = append(out.Columns, ResultColumn{Name: o.name, Type: o.col.Type, Nullable: o.col.Nullable})
	}
	return out, nil
}

type selectBinder struct {
	s  *scope
	st *ast.Select
}

// defaultName is the result column name of an unaliased select item: a column's name as
// written, otherwise the expression's canonical text (as Doris: "(a + 1)", "count(*)").
func defaultName(e ast.Expr) string {
	if c, ok := e.(*ast.ColumnRef); ok {
		return c.Name
	}
	return ast.Format(e)
}

// ordinal returns the 1-based position an integer literal names, if e is one.
func ordinal(e ast.Expr) (int64, bool) {
	lit, ok := e.(*ast.Literal)
	if !ok || lit.Kind != ast.LitInt {
		return 0, false
	}
	n, err := strconv.ParseInt(lit.Value, 10, 64)
	if err != nil {
		return math.MaxInt64, true
	}
	return n, true
}

func (b *selectBinder) asBool(e *expr, clause string) (*expr, error) {
	if e.hasAgg() && clause == "WHERE" {
		return nil, errorf(ErrInvalidGroupFunc, e.pos, "aggregate functions are not allowed in WHERE")
	}
	if e.typ.IsTemporal() {
		return nil, errorf(ErrWrongType, e.pos, "%s condition must be boolean, got %s", clause, e.typ)
	}
	return b.s.coerce(e, types.New(types.Boolean), e.pos)
}

// conjuncts splits a predicate on its top-level ANDs.
func conjuncts(e *expr) []*expr {
	if e.kind == eCall && e.name == "and" {
		return append(conjuncts(e.args[0]), conjuncts(e.args[1])...)
	}
	return []*expr{e}
}
