package binder

import (
	"fmt"
	"math"
	"strconv"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/catalog"
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

// BindSelect binds a SELECT against the catalog; currentDB is the session's database ("" when
// none is selected).
func BindSelect(cat Catalog, currentDB string, st *ast.Select) (*Query, error) {
	s := &scope{}
	var from *ast.TableRef
	switch f := st.From.(type) {
	case nil:
	case *ast.TableRef:
		from = f
	default:
		return nil, errorf(ErrNotSupported, f.Position(), "joins and derived tables are not supported yet")
	}
	if st.With != nil {
		return nil, errorf(ErrNotSupported, st.With.Pos, "WITH is not supported yet")
	}
	if st.Grouping != ast.GroupPlain {
		return nil, errorf(ErrNotSupported, st.Pos, "ROLLUP, CUBE and GROUPING SETS are not supported yet")
	}
	if from != nil {
		t, db, err := resolveTable(cat, currentDB, from.Table)
		if err != nil {
			return nil, err
		}
		s.table, s.db, s.qualifier = t, db, t.Name
		if from.Alias != nil {
			s.qualifier = from.Alias.Name
		}
	}
	b := &selectBinder{s: s, st: st}
	if from != nil && len(from.Partitions) > 0 {
		var err error
		if b.named, err = Partitions(s.table, from.Partitions); err != nil {
			return nil, err
		}
	}
	return b.bind()
}

type selectBinder struct {
	s      *scope
	st     *ast.Select
	nextID int32
	named  []*catalog.Partition // FROM t PARTITION (...); nil: every partition
	scans  []*Scan
}

func (b *selectBinder) node(n *planpb.PlanNode, child *planpb.PlanNode) *planpb.PlanNode {
	n.Id = b.nextID
	b.nextID++
	if child != nil {
		n.Children = []*planpb.PlanNode{child}
	}
	return n
}

func (b *selectBinder) items() ([]*selectItem, error) {
	s := b.s
	var items []*selectItem
	for _, it := range b.st.Items {
		if star, ok := it.Expr.(*ast.Star); ok {
			if s.table == nil {
				return nil, errorf(ErrNoTables, star.Pos, "No tables used")
			}
			if star.Table != "" && (star.Table != s.qualifier || star.DB != "" && star.DB != s.db) {
				return nil, errorf(ErrUnknownTable, star.Pos, "Unknown table '%s'", star.Table)
			}
			for i, c := range s.table.Columns {
				if c.Hidden {
					continue
				}
				items = append(items, &selectItem{
					expr: &expr{kind: eCol, typ: c.Type, nullable: c.Nullable, pos: star.Pos, col: i},
					name: c.Name,
				})
			}
			continue
		}
		e, err := s.bind(it.Expr, exprCtx{clause: "SELECT", aggOK: true})
		if err != nil {
			return nil, err
		}
		item := &selectItem{expr: e}
		switch {
		case it.Alias != nil:
			item.name, item.alias = it.Alias.Name, it.Alias.Name
		default:
			item.name = defaultName(it.Expr)
		}
		items = append(items, item)
	}
	return items, nil
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

func (b *selectBinder) bind() (*Query, error) {
	s, st := b.s, b.st
	items, err := b.items()
	if err != nil {
		return nil, err
	}
	s.items = items

	var where *expr
	if st.Where != nil {
		if where, err = s.bind(st.Where, exprCtx{clause: "WHERE"}); err != nil {
			return nil, err
		}
		if where, err = b.asBool(where, "WHERE"); err != nil {
			return nil, err
		}
	}

	var groups []*expr
	groupIdx := map[string]int{}
	for _, g := range st.GroupBy {
		var e *expr
		if n, ok := ordinal(g); ok {
			if n < 1 || n > int64(len(items)) {
				return nil, errorf(ErrUnknownColumn, g.Position(), "Unknown column '%d' in 'group statement'", n)
			}
			e = items[n-1].expr
		} else if e, err = s.bind(g, exprCtx{clause: "GROUP BY", aliasLast: true}); err != nil {
			return nil, err
		}
		if e.hasAgg() {
			return nil, errorf(ErrInvalidGroupFunc, g.Position(), "Can't group on '%s'", ast.Format(g))
		}
		if _, dup := groupIdx[e.key()]; !dup {
			groupIdx[e.key()] = len(groups)
			groups = append(groups, e)
		}
	}

	var having *expr
	if st.Having != nil {
		if having, err = s.bind(st.Having, exprCtx{clause: "HAVING", aggOK: true, aliasLast: true}); err != nil {
			return nil, err
		}
		if having, err = b.asBool(having, "HAVING"); err != nil {
			return nil, err
		}
	}

	// ORDER BY: each key is a select item (by ordinal, alias or equal expression) or a hidden
	// column projected after the items.
	type orderKey struct {
		index      int
		desc       bool
		nullsFirst bool
	}
	var keys []orderKey
	var hidden []*expr
	for _, o := range st.OrderBy {
		idx := -1
		if n, ok := ordinal(o.Expr); ok {
			if n < 1 || n > int64(len(items)) {
				return nil, errorf(ErrUnknownColumn, o.Expr.Position(), "Unknown column '%d' in 'order clause'", n)
			}
			idx = int(n - 1)
		} else {
			e, err := s.bind(o.Expr, exprCtx{clause: "ORDER BY", aggOK: true, aliasFirst: true})
			if err != nil {
				return nil, err
			}
			k := e.key()
			for i, it := range items {
				if it.expr.key() == k {
					idx = i
					break
				}
			}
			if idx < 0 {
				for i, h := range hidden {
					if h.key() == k {
						idx = len(items) + i
					}
				}
			}
			if idx < 0 {
				if st.Distinct {
					return nil, errorf(ErrInvalidGroupFunc, o.Expr.Position(),
						"ORDER BY expression '%s' is not in the select list; this is incompatible with DISTINCT", ast.Format(o.Expr))
				}
				idx = len(items) + len(hidden)
				hidden = append(hidden, e)
			}
		}
		nullsFirst := !o.Desc // Doris: NULLs first ascending, last descending
		if o.NullsFirst != nil {
			nullsFirst = *o.NullsFirst
		}
		keys = append(keys, orderKey{index: idx, desc: o.Desc, nullsFirst: nullsFirst})
	}

	// Everything evaluated above the aggregation (if any).
	post := make([]*expr, 0, len(items)+len(hidden)+1)
	for _, it := range items {
		post = append(post, it.expr)
	}
	post = append(post, hidden...)
	if having != nil {
		post = append(post, having)
	}
	aggregated := len(groups) > 0
	for _, e := range post {
		aggregated = aggregated || e.hasAgg()
	}

	var aggs []*expr
	aggIdx := map[string]int{}
	if aggregated {
		for _, e := range post {
			e.walk(func(x *expr) bool {
				if x.kind != eAgg {
					return true
				}
				if _, ok := aggIdx[x.key()]; !ok {
					aggIdx[x.key()] = len(aggs)
					aggs = append(aggs, x)
				}
				return false
			})
		}
	}

	// The columns the scan must output.
	needed := map[int]bool{}
	collect := func(e *expr) {
		e.walk(func(x *expr) bool {
			if x.kind == eCol {
				needed[x.col] = true
			}
			return true
		})
	}
	if where != nil {
		collect(where)
	}
	if aggregated {
		for _, g := range groups {
			collect(g)
		}
		for _, a := range aggs {
			collect(a)
		}
	} else {
		for _, e := range post {
			collect(e)
		}
	}

	bug := func(e *expr) error {
		return fmt.Errorf("BUG: expression %s not available from the scan", e.key())
	}
	input := map[string]int{}
	var root *planpb.PlanNode
	if s.table != nil {
		scan := &planpb.OlapScanNode{TableId: s.table.ID, Schema: s.table.Schema()}
		if len(needed) == 0 {
			needed[0] = true
		}
		for i, c := range s.table.Columns {
			if needed[i] {
				input[(&expr{kind: eCol, col: i}).key()] = len(scan.ColumnUniqueIds)
				scan.ColumnUniqueIds = append(scan.ColumnUniqueIds, c.UniqueID)
			}
		}
		if where != nil {
			for _, c := range conjuncts(where) {
				pc, err := toPlan(c, input, bug)
				if err != nil {
					return nil, err
				}
				scan.Conjuncts = append(scan.Conjuncts, pc)
			}
		}
		root = b.node(&planpb.PlanNode{Node: &planpb.PlanNode_OlapScan{OlapScan: scan}}, nil)
		sc := selectPartitions(s.table, b.named, where)
		sc.NodeID = root.Id
		b.scans = append(b.scans, sc)
	} else {
		root = b.node(&planpb.PlanNode{Node: &planpb.PlanNode_Values{Values: &planpb.ValuesNode{Rows: &commonpb.Batch{NumRows: 1}}}}, nil)
		if where != nil {
			pred, err := toPlan(where, input, bug)
			if err != nil {
				return nil, err
			}
			root = b.node(&planpb.PlanNode{Node: &planpb.PlanNode_Filter{Filter: &planpb.FilterNode{Predicate: pred}}}, root)
		}
	}

	notFound := bug
	if aggregated {
		agg := &planpb.AggregateNode{Mode: planpb.AggregateMode_AGG_COMPLETE}
		for _, g := range groups {
			pg, err := toPlan(g, input, bug)
			if err != nil {
				return nil, err
			}
			agg.GroupBy = append(agg.GroupBy, pg)
		}
		for _, a := range aggs {
			call := &planpb.AggregateCall{Name: a.name, Distinct: a.distinct, Type: a.typ.Proto()}
			for _, arg := range a.args {
				pa, err := toPlan(arg, input, bug)
				if err != nil {
					return nil, err
				}
				call.Args = append(call.Args, pa)
			}
			agg.Aggregates = append(agg.Aggregates, call)
		}
		root = b.node(&planpb.PlanNode{Node: &planpb.PlanNode_Aggregate{Aggregate: agg}}, root)
		input = map[string]int{}
		for k, i := range groupIdx {
			input[k] = i
		}
		for k, j := range aggIdx {
			input[k] = len(groups) + j
		}
		notFound = func(e *expr) error {
			if e.kind == eCol {
				return errorf(ErrNotGrouped, e.pos, "column '%s' must appear in the GROUP BY clause or be used in an aggregate function",
					s.table.Columns[e.col].Name)
			}
			return bug(e)
		}
	}
	if having != nil {
		pred, err := toPlan(having, input, notFound)
		if err != nil {
			return nil, err
		}
		root = b.node(&planpb.PlanNode{Node: &planpb.PlanNode_Filter{Filter: &planpb.FilterNode{Predicate: pred}}}, root)
	}

	proj := &planpb.ProjectNode{}
	for _, e := range post[:len(items)+len(hidden)] {
		pe, err := toPlan(e, input, notFound)
		if err != nil {
			return nil, err
		}
		proj.Exprs = append(proj.Exprs, pe)
	}
	root = b.node(&planpb.PlanNode{Node: &planpb.PlanNode_Project{Project: proj}}, root)
	ref := func(i int) *planpb.Expr {
		pe := proj.Exprs[i]
		return &planpb.Expr{Type: pe.Type, Nullable: pe.Nullable, Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(i)}}}
	}
	if st.Distinct {
		agg := &planpb.AggregateNode{Mode: planpb.AggregateMode_AGG_COMPLETE}
		for i := range proj.Exprs {
			agg.GroupBy = append(agg.GroupBy, ref(i))
		}
		root = b.node(&planpb.PlanNode{Node: &planpb.PlanNode_Aggregate{Aggregate: agg}}, root)
	}
	if len(keys) > 0 {
		sort := &planpb.SortNode{}
		for _, k := range keys {
			sort.Keys = append(sort.Keys, &planpb.SortKey{Expr: ref(k.index), Descending: k.desc, NullsFirst: k.nullsFirst})
		}
		if l := st.Limit; l != nil && l.Count > 0 {
			sort.Limit = l.Count
			if l.Offset > math.MaxInt64-l.Count {
				sort.Limit = math.MaxInt64
			} else {
				sort.Limit += l.Offset
			}
		}
		root = b.node(&planpb.PlanNode{Node: &planpb.PlanNode_Sort{Sort: sort}}, root)
	}
	if l := st.Limit; l != nil && (len(keys) == 0 || l.Offset > 0 || l.Count == 0) {
		root = b.node(&planpb.PlanNode{Node: &planpb.PlanNode_Limit{Limit: &planpb.LimitNode{Offset: l.Offset, Limit: l.Count}}}, root)
	}
	if len(hidden) > 0 {
		strip := &planpb.ProjectNode{}
		for i := range items {
			strip.Exprs = append(strip.Exprs, ref(i))
		}
		root = b.node(&planpb.PlanNode{Node: &planpb.PlanNode_Project{Project: strip}}, root)
	}

	q := &Query{Fragment: &planpb.Fragment{Root: root}, Scans: b.scans}
	for i, it := range items {
		q.Columns = append(q.Columns, ResultColumn{Name: it.name, Type: it.expr.typ, Nullable: proj.Exprs[i].Nullable})
	}
	return q, nil
}

// conjuncts splits a predicate on its top-level ANDs.
func conjuncts(e *expr) []*expr {
	if e.kind == eCall && e.name == "and" {
		return append(conjuncts(e.args[0]), conjuncts(e.args[1])...)
	}
	return []*expr{e}
}
