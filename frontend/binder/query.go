package binder

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/function"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/plan"
)

// queryBinder binds one statement's query blocks into one logical plan; ids hands out the
// query's column ids.
type queryBinder struct {
	cat Catalog
	db  string
	ids plan.Columns
	now time.Time      // the statement's time: now(), current_date and unix_timestamp() fold to it
	loc *time.Location // the session's time zone: now() and current_date are local times there
}

// cteEnv is the chain of CTEs visible at a point of the query (innermost first).
type cteEnv struct {
	def    *ast.CTE
	parent *cteEnv
}

func (e *cteEnv) lookup(name string) *cteEnv {
	for ; e != nil; e = e.parent {
		if e.def.Name.Name == name {
			return e
		}
	}
	return nil
}

// outCol is a result column of a query block: its name and the column that holds it.
type outCol struct {
	name string
	col  plan.Column
}

func withEnv(w *ast.With, env *cteEnv) (*cteEnv, error) {
	if w == nil {
		return env, nil
	}
	if w.Recursive {
		return nil, errorf(ErrNotSupported, w.Pos, "WITH RECURSIVE is not supported")
	}
	for _, c := range w.CTEs {
		env = &cteEnv{def: c, parent: env}
	}
	return env, nil
}

// bindQuery binds a query expression; outer is the enclosing block's scope for a subquery.
func (qb *queryBinder) bindQuery(q ast.QueryExpr, outer *qscope, env *cteEnv) (plan.Node, []outCol, error) {
	switch q := q.(type) {
	case *ast.Select:
		return qb.bindSelect(q, outer, env)
	case *ast.SetOp:
		return qb.bindSetOp(q, outer, env)
	}
	return nil, nil, fmt.Errorf("BUG: query expression %T", q)
}

func (qb *queryBinder) colExpr(c plan.Column, pos ast.Pos) *expr {
	return &expr{kind: eCol, typ: c.Type, nullable: c.Nullable, pos: pos, col: int(c.ID)}
}

// ---- FROM ----

func (qb *queryBinder) bindFrom(te ast.TableExpr, outer *qscope, env *cteEnv) (plan.Node, []qcol, error) {
	switch te := te.(type) {
	case *ast.TableRef:
		if te.Table.DB == "" {
			if c := env.lookup(te.Table.Name); c != nil {
				if len(te.Partitions) > 0 {
					return nil, nil, errorf(ErrNotSupported, te.Pos, "PARTITION on a CTE")
				}
				qual := te.Table.Name
				if te.Alias != nil {
					qual = te.Alias.Name
				}
				return qb.bindDerived(c.def.Query, qual, c.def.Columns, nil, c.parent, te.Pos)
			}
		}
		t, db, err := resolveTable(qb.cat, qb.db, te.Table)
		if err != nil {
			return nil, nil, err
		}
		qual := t.Name
		if te.Alias != nil {
			qual = te.Alias.Name
		}
		scan := &plan.Scan{Table: t, Alias: qual}
		if len(te.Partitions) > 0 {
			if scan.Named, err = Partitions(t, te.Partitions); err != nil {
				return nil, nil, err
			}
		}
		var cols []qcol
		for i, c := range t.Columns {
			pc := qb.ids.New(c.Name, c.Type, c.Nullable)
			scan.Cols = append(scan.Cols, pc)
			scan.ColIdx = append(scan.ColIdx, i)
			cols = append(cols, qcol{qual: qual, db: db, name: c.Name, col: pc, hidden: c.Hidden})
		}
		return scan, cols, nil
	case *ast.DerivedTable:
		if te.Alias == nil {
			return nil, nil, errorf(ErrNotSupported, te.Pos, "Every derived table must have its own alias")
		}
		return qb.bindDerived(te.Query, te.Alias.Name, te.Columns, nil, env, te.Pos)
	case *ast.Join:
		return qb.bindJoin(te, outer, env)
	}
	return nil, nil, fmt.Errorf("BUG: table expression %T", te)
}

func (qb *queryBinder) bindDerived(q ast.QueryExpr, qual string, names []ast.Ident, outer *qscope, env *cteEnv, pos ast.Pos) (plan.Node, []qcol, error) {
	n, outs, err := qb.bindQuery(q, outer, env)
	if err != nil {
		return nil, nil, err
	}
	if len(names) > 0 && len(names) != len(outs) {
		return nil, nil, errorf(ErrValueCount, pos, "derived table %s has %d columns but %d column names", qual, len(outs), len(names))
	}
	var cols []qcol
	for i, o := range outs {
		name := o.name
		if len(names) > 0 {
			name = names[i].Name
		}
		cols = append(cols, qcol{qual: qual, name: name, col: o.col})
	}
	return n, cols, nil
}

var joinKinds = map[ast.JoinKind]plan.JoinKind{
	ast.InnerJoin: plan.InnerJoin, ast.LeftJoin: plan.LeftJoin, ast.RightJoin: plan.RightJoin,
	ast.FullJoin: plan.FullJoin, ast.CrossJoin: plan.InnerJoin, ast.LeftSemiJoin: plan.SemiJoin,
	ast.LeftAntiJoin: plan.AntiJoin, ast.RightSemiJoin: plan.SemiJoin, ast.RightAntiJoin: plan.AntiJoin,
}

func (qb *queryBinder) bindJoin(j *ast.Join, outer *qscope, env *cteEnv) (plan.Node, []qcol, error) {
	l, lcols, err := qb.bindFrom(j.Left, outer, env)
	if err != nil {
		return nil, nil, err
	}
	r, rcols, err := qb.bindFrom(j.Right, outer, env)
	if err != nil {
		return nil, nil, err
	}
	kind, ok := joinKinds[j.Kind]
	if !ok {
		return nil, nil, errorf(ErrNotSupported, j.Pos, "%s is not supported", j.Kind)
	}
	if j.Kind == ast.RightSemiJoin || j.Kind == ast.RightAntiJoin {
		l, r, lcols, rcols = r, l, rcols, lcols
	}
	join := &plan.Join{Kind: kind, Left: l, Right: r}
	all := append(append([]qcol(nil), lcols...), rcols...)
	s := &scope{q: &qscope{cols: all, parent: outer}, qb: qb}
	s.q.env = env
	if j.On != nil {
		on, err := s.bind(j.On, exprCtx{clause: "ON"})
		if err != nil {
			return nil, nil, err
		}
		if on, err = s.coerce(on, types.New(types.Boolean), on.pos); err != nil {
			return nil, nil, err
		}
		for _, c := range conjuncts(on) {
			pc, err := lower(c)
			if err != nil {
				return nil, nil, err
			}
			join.On = append(join.On, pc)
		}
	}
	for _, u := range j.Using {
		ref := &ast.ColumnRef{Pos: u.Pos, Name: u.Name}
		lc, _, err := (&qscope{cols: lcols}).resolve(ref)
		if err != nil {
			return nil, nil, err
		}
		rc, _, err := (&qscope{cols: rcols}).resolve(ref)
		if err != nil {
			return nil, nil, err
		}
		eq, err := s.call(u.Pos, "eq", qb.colExpr(lc.col, u.Pos), qb.colExpr(rc.col, u.Pos))
		if err != nil {
			return nil, nil, err
		}
		pe, err := lower(eq)
		if err != nil {
			return nil, nil, err
		}
		join.On = append(join.On, pe)
		// The bare name (and *) means the left copy, or the right one of a RIGHT JOIN.
		dup := rc.col.ID
		if j.Kind == ast.RightJoin {
			dup = lc.col.ID
		}
		for i := range all {
			if all[i].col.ID == dup {
				all[i].usingDup = true
			}
		}
	}
	if (kind == plan.InnerJoin) && len(join.On) == 0 {
		join.Kind = plan.CrossJoin
	}
	if kind == plan.SemiJoin || kind == plan.AntiJoin {
		all = lcols
	}
	if kind == plan.LeftJoin || kind == plan.FullJoin {
		for i := len(lcols); i < len(all); i++ {
			all[i].col.Nullable = true
		}
	}
	if kind == plan.RightJoin || kind == plan.FullJoin {
		for i := 0; i < len(lcols); i++ {
			all[i].col.Nullable = true
		}
	}
	return join, all, nil
}

// ---- SELECT ----

func (qb *queryBinder) bindSelect(st *ast.Select, outer *qscope, env *cteEnv) (plan.Node, []outCol, error) {
	env, err := withEnv(st.With, env)
	if err != nil {
		return nil, nil, err
	}
	q := &qscope{parent: outer, env: env}
	var root plan.Node
	if st.From != nil {
		if root, q.cols, err = qb.bindFrom(st.From, outer, env); err != nil {
			return nil, nil, err
		}
	} else {
		root = &plan.Values{Rows: &commonpb.Batch{NumRows: 1}}
	}
	s := &scope{q: q, qb: qb}
	b := &selectBinder{s: s, st: st}

	// Select list.
	var items []*selectItem
	for _, it := range st.Items {
		if star, ok := it.Expr.(*ast.Star); ok {
			if st.From == nil {
				return nil, nil, errorf(ErrNoTables, star.Pos, "No tables used")
			}
			n := 0
			for _, c := range q.cols {
				if c.hidden || c.usingDup && star.Table == "" {
					continue
				}
				if star.Table != "" && (c.qual != star.Table || star.DB != "" && star.DB != c.db) {
					continue
				}
				items = append(items, &selectItem{expr: qb.colExpr(c.col, star.Pos), name: c.name})
				n++
			}
			if n == 0 && star.Table != "" {
				return nil, nil, errorf(ErrUnknownTable, star.Pos, "Unknown table '%s'", star.Table)
			}
			continue
		}
		e, err := s.bind(it.Expr, exprCtx{clause: "SELECT", aggOK: true, winOK: true})
		if err != nil {
			return nil, nil, err
		}
		item := &selectItem{expr: e}
		if it.Alias != nil {
			item.name, item.alias = it.Alias.Name, it.Alias.Name
		} else {
			item.name = defaultName(it.Expr)
		}
		items = append(items, item)
	}
	s.items = items

	if st.Where != nil {
		where, err := s.bind(st.Where, exprCtx{clause: "WHERE"})
		if err != nil {
			return nil, nil, err
		}
		if where, err = b.asBool(where, "WHERE"); err != nil {
			return nil, nil, err
		}
		f := &plan.Filter{Input: root}
		for _, c := range conjuncts(where) {
			pc, err := lower(c)
			if err != nil {
				return nil, nil, err
			}
			f.Conds = append(f.Conds, pc)
		}
		root = f
	}

	// GROUP BY.
	var groups []*expr
	groupIdx := map[string]int{}
	bindGroup := func(g ast.Expr) (int, error) {
		var e *expr
		if n, ok := ordinal(g); ok {
			if n < 1 || n > int64(len(items)) {
				return 0, errorf(ErrUnknownColumn, g.Position(), "Unknown column '%d' in 'group statement'", n)
			}
			e = items[n-1].expr
		} else if e, err = s.bind(g, exprCtx{clause: "GROUP BY", aliasLast: true}); err != nil {
			return 0, err
		}
		if e.hasAgg() {
			return 0, errorf(ErrInvalidGroupFunc, g.Position(), "Can't group on '%s'", ast.Format(g))
		}
		if i, dup := groupIdx[e.key()]; dup {
			return i, nil
		}
		groupIdx[e.key()] = len(groups)
		groups = append(groups, e)
		return len(groups) - 1, nil
	}
	var sets [][]int
	switch st.Grouping {
	case ast.GroupPlain, ast.GroupRollup, ast.GroupCube:
		var idx []int
		for _, g := range st.GroupBy {
			i, err := bindGroup(g)
			if err != nil {
				return nil, nil, err
			}
			idx = append(idx, i)
		}
		switch st.Grouping {
		case ast.GroupRollup:
			for n := len(idx); n >= 0; n-- {
				sets = append(sets, slices.Clone(idx[:n]))
			}
		case ast.GroupCube:
			for m := (1 << len(idx)) - 1; m >= 0; m-- {
				var set []int
				for i := range idx {
					if m&(1<<(len(idx)-1-i)) != 0 {
						set = append(set, idx[i])
					}
				}
				sets = append(sets, set)
			}
		}
	case ast.GroupSets:
		for _, gs := range st.GroupingSets {
			set := []int{}
			for _, g := range gs {
				i, err := bindGroup(g)
				if err != nil {
					return nil, nil, err
				}
				if !slices.Contains(set, i) {
					set = append(set, i)
				}
			}
			sets = append(sets, set)
		}
	}

	var having *expr
	if st.Having != nil {
		if having, err = s.bind(st.Having, exprCtx{clause: "HAVING", aggOK: true, aliasLast: true}); err != nil {
			return nil, nil, err
		}
		if having, err = b.asBool(having, "HAVING"); err != nil {
			return nil, nil, err
		}
	}

	// ORDER BY keys: select items (by ordinal, alias or equal expression) or hidden columns.
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
				return nil, nil, errorf(ErrUnknownColumn, o.Expr.Position(), "Unknown column '%d' in 'order clause'", n)
			}
			idx = int(n - 1)
		} else {
			e, err := s.bind(o.Expr, exprCtx{clause: "ORDER BY", aggOK: true, aliasFirst: true, winOK: true})
			if err != nil {
				return nil, nil, err
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
					return nil, nil, errorf(ErrInvalidGroupFunc, o.Expr.Position(),
						"ORDER BY expression '%s' is not in the select list; this is incompatible with DISTINCT", ast.Format(o.Expr))
				}
				idx = len(items) + len(hidden)
				hidden = append(hidden, e)
			}
		}
		nullsFirst := !o.Desc
		if o.NullsFirst != nil {
			nullsFirst = *o.NullsFirst
		}
		keys = append(keys, orderKey{index: idx, desc: o.Desc, nullsFirst: nullsFirst})
	}

	post := make([]*expr, 0, len(items)+len(hidden)+1)
	for _, it := range items {
		post = append(post, it.expr)
	}
	post = append(post, hidden...)
	if having != nil {
		post = append(post, having)
	}
	aggregated := len(groups) > 0 || len(sets) > 0
	for _, e := range post {
		aggregated = aggregated || e.hasAgg()
	}
	if aggregated {
		if root, post, err = qb.aggregate(s, root, groups, sets, post); err != nil {
			return nil, nil, err
		}
		if having != nil {
			having = post[len(post)-1]
			post = post[:len(post)-1]
		}
	} else if having != nil {
		post = post[:len(post)-1]
	}
	if having != nil {
		f := &plan.Filter{Input: root}
		for _, c := range conjuncts(having) {
			pc, err := lower(c)
			if err != nil {
				return nil, nil, err
			}
			f.Conds = append(f.Conds, pc)
		}
		root = f
	}
	if root, post, err = qb.windows(root, post); err != nil {
		return nil, nil, err
	}

	// Project the items and the hidden ORDER BY columns.
	proj := &plan.Project{Input: root}
	used := map[plan.ColumnID]bool{}
	for i, e := range post {
		pe, err := lower(e)
		if err != nil {
			return nil, nil, err
		}
		name := ""
		if i < len(items) {
			name = items[i].name
		}
		var col plan.Column
		if pe.IsColumn() && !used[pe.Col] {
			col = plan.Column{ID: pe.Col, Name: name, Type: pe.Type, Nullable: pe.Nullable}
		} else {
			col = qb.ids.New(name, pe.Type, pe.Nullable)
		}
		used[col.ID] = true
		proj.Items = append(proj.Items, plan.Item{Col: col, Expr: pe})
	}
	root = proj
	pcols := proj.Columns()
	if st.Distinct {
		agg := &plan.Aggregate{Input: root}
		for _, c := range pcols {
			agg.GroupBy = append(agg.GroupBy, plan.Item{Col: c, Expr: plan.ColRef(c)})
		}
		root = agg
	}
	if len(keys) > 0 {
		srt := &plan.Sort{Input: root}
		for _, k := range keys {
			srt.Keys = append(srt.Keys, plan.SortKey{Expr: plan.ColRef(pcols[k.index]), Desc: k.desc, NullsFirst: k.nullsFirst})
		}
		root = srt
	}
	root = applyLimit(root, st.Limit)
	outs := make([]outCol, len(items))
	for i, it := range items {
		outs[i] = outCol{name: it.name, col: pcols[i]}
	}
	if len(hidden) > 0 {
		strip := &plan.Project{Input: root}
		for _, o := range outs {
			strip.Items = append(strip.Items, plan.Item{Col: o.col, Expr: plan.ColRef(o.col)})
		}
		root = strip
	}
	return root, outs, nil
}

// applyLimit puts LIMIT/OFFSET over root: a top-N into a Sort right below, a Limit otherwise.
func applyLimit(root plan.Node, l *ast.Limit) plan.Node {
	if l == nil {
		return root
	}
	if srt, ok := root.(*plan.Sort); ok && l.Count > 0 {
		srt.Limit = l.Count
		if l.Offset > math.MaxInt64-l.Count {
			srt.Limit = math.MaxInt64
		} else {
			srt.Limit += l.Offset
		}
		if l.Offset == 0 {
			return root
		}
	}
	return &plan.Limit{Input: root, Offset: l.Offset, Count: l.Count}
}

// aggregate puts an Aggregate over root and rewrites the expressions evaluated above it (post)
// to refer to its outputs.
func (qb *queryBinder) aggregate(s *scope, root plan.Node, groups []*expr, sets [][]int, post []*expr) (plan.Node, []*expr, error) {
	agg := &plan.Aggregate{Input: root, GroupingSets: sets}
	subst := map[string]*expr{}
	for _, g := range groups {
		pg, err := lower(g)
		if err != nil {
			return nil, nil, err
		}
		var col plan.Column
		if pg.IsColumn() && len(sets) == 0 {
			col = plan.Column{ID: pg.Col, Type: pg.Type, Nullable: pg.Nullable}
		} else {
			col = qb.ids.New("", pg.Type, pg.Nullable || len(sets) > 0)
		}
		agg.GroupBy = append(agg.GroupBy, plan.Item{Col: col, Expr: pg})
		subst[g.key()] = qb.colExpr(col, g.pos)
	}
	if len(sets) > 0 {
		agg.GroupingID = qb.ids.New("grouping_id", types.New(types.BigInt), false)
	}
	var err error
	rewrite := func(e *expr) *expr {
		var walk func(e *expr) *expr
		walk = func(e *expr) *expr {
			if err != nil {
				return e
			}
			if r, ok := subst[e.key()]; ok {
				return r
			}
			switch e.kind {
			case eAgg:
				args := make([]*plan.Expr, len(e.args))
				for i, a := range e.args {
					if args[i], err = lower(a); err != nil {
						return e
					}
				}
				col := qb.ids.New("", e.typ, e.nullable)
				call := plan.AggCall{Col: col, Name: e.name, Args: args, Distinct: e.distinct}
				if e.order != nil {
					for i, o := range e.order.exprs {
						po, lerr := lower(o)
						if lerr != nil {
							err = lerr
							return e
						}
						call.OrderBy = append(call.OrderBy, plan.SortKey{Expr: po, Desc: e.order.desc[i], NullsFirst: e.order.nullsFirst[i]})
					}
				}
				agg.Aggs = append(agg.Aggs, call)
				r := qb.colExpr(col, e.pos)
				subst[e.key()] = r
				return r
			case eGrouping:
				var r *expr
				if r, err = qb.groupingValue(s, e, groups, agg); err != nil {
					return e
				}
				subst[e.key()] = r
				return r
			case eCol:
				if s.q.has(plan.ColumnID(e.col)) {
					err = errorf(ErrNotGrouped, e.pos, "column '%s' must appear in the GROUP BY clause or be used in an aggregate function", s.q.name(plan.ColumnID(e.col)))
				}
				return e
			case eLit:
				return e
			}
			c := *e
			c.args = make([]*expr, len(e.args))
			for i, a := range e.args {
				c.args[i] = walk(a)
			}
			return &c
		}
		return walk(e)
	}
	out := make([]*expr, len(post))
	for i, e := range post {
		out[i] = rewrite(e)
		if err != nil {
			return nil, nil, err
		}
	}
	return agg, out, nil
}

func (q *qscope) name(id plan.ColumnID) string {
	for _, c := range q.cols {
		if c.col.ID == id {
			return c.name
		}
	}
	return fmt.Sprint(id)
}

// ---- set operations ----

func (qb *queryBinder) bindSetOp(so *ast.SetOp, outer *qscope, env *cteEnv) (plan.Node, []outCol, error) {
	env, err := withEnv(so.With, env)
	if err != nil {
		return nil, nil, err
	}
	l, lo, err := qb.bindQuery(so.Left, outer, env)
	if err != nil {
		return nil, nil, err
	}
	r, ro, err := qb.bindQuery(so.Right, outer, env)
	if err != nil {
		return nil, nil, err
	}
	if len(lo) != len(ro) {
		return nil, nil, errorf(ErrValueCount, so.Pos, "The used SELECT statements have a different number of columns")
	}
	s := &scope{q: &qscope{parent: outer, env: env}, qb: qb}
	// Convert both sides to the common types.
	conv := func(n plan.Node, outs []outCol, ts []types.T) (plan.Node, []plan.Column, error) {
		proj := &plan.Project{Input: n}
		changed := false
		for i, o := range outs {
			e := qb.colExpr(o.col, so.Pos)
			if o.col.Type != ts[i] {
				var err error
				if e, err = s.cast(e, ts[i], so.Pos); err != nil {
					return nil, nil, err
				}
				changed = true
			}
			pe, err := lower(e)
			if err != nil {
				return nil, nil, err
			}
			col := o.col
			if changed && !pe.IsColumn() {
				col = qb.ids.New(o.name, pe.Type, pe.Nullable)
			}
			proj.Items = append(proj.Items, plan.Item{Col: col, Expr: pe})
		}
		return proj, proj.Columns(), nil
	}
	ts := make([]types.T, len(lo))
	for i := range lo {
		lt, rt := lo[i].col.Type, ro[i].col.Type
		if lt.IsString() && rt.IsString() && lt != rt {
			ts[i] = types.New(types.String)
			continue
		}
		t, err := function.ResultType(lt, rt)
		if err != nil {
			return nil, nil, errorf(ErrWrongType, so.Pos, "%s: column %d: %v", so.Op, i+1, err)
		}
		ts[i] = t
	}
	l, lcols, err := conv(l, lo, ts)
	if err != nil {
		return nil, nil, err
	}
	r, rcols, err := conv(r, ro, ts)
	if err != nil {
		return nil, nil, err
	}
	var root plan.Node
	var cols []plan.Column
	distinct := func(n plan.Node) plan.Node {
		agg := &plan.Aggregate{Input: n}
		for _, c := range n.Columns() {
			agg.GroupBy = append(agg.GroupBy, plan.Item{Col: c, Expr: plan.ColRef(c)})
		}
		return agg
	}
	switch so.Op {
	case ast.Union:
		u := &plan.Union{Inputs: []plan.Node{l, r}}
		var lids, rids []plan.ColumnID
		for i := range lcols {
			cols = append(cols, qb.ids.New(lo[i].name, ts[i], lcols[i].Nullable || rcols[i].Nullable))
			lids, rids = append(lids, lcols[i].ID), append(rids, rcols[i].ID)
		}
		u.InputCols, u.Cols = [][]plan.ColumnID{lids, rids}, cols
		root = u
		if !so.All {
			root = distinct(root)
		}
	case ast.Intersect, ast.Except:
		// ALL: number the copies of each row on both sides (row_number over a partition by
		// every column) and match copy k with copy k: INTERSECT ALL keeps min(m, n) copies,
		// EXCEPT ALL max(m - n, 0).
		var lrn, rrn plan.Column
		if so.All {
			l, lrn = qb.numberCopies(l, lcols)
			r, rrn = qb.numberCopies(r, rcols)
		}
		j := &plan.Join{Kind: plan.SemiJoin, Left: l, Right: r}
		if so.Op == ast.Except {
			j.Kind = plan.AntiJoin
		}
		for i := range lcols {
			eq, err := s.call(so.Pos, "eq_for_null", qb.colExpr(lcols[i], so.Pos), qb.colExpr(rcols[i], so.Pos))
			if err != nil {
				return nil, nil, err
			}
			pe, err := lower(eq)
			if err != nil {
				return nil, nil, err
			}
			j.On = append(j.On, pe)
		}
		cols = lcols
		if so.All {
			j.On = append(j.On, plan.Call("eq", types.New(types.Boolean), false, plan.ColRef(lrn), plan.ColRef(rrn)))
			proj := &plan.Project{Input: j}
			for _, c := range lcols {
				proj.Items = append(proj.Items, plan.Item{Col: c, Expr: plan.ColRef(c)})
			}
			root = proj
		} else {
			root = distinct(j)
		}
	}
	outs := make([]outCol, len(cols))
	for i, c := range cols {
		outs[i] = outCol{name: lo[i].name, col: c}
	}
	if len(so.OrderBy) > 0 {
		qs := &qscope{parent: outer, env: env}
		for _, o := range outs {
			qs.cols = append(qs.cols, qcol{name: o.name, col: o.col})
		}
		os := &scope{q: qs, qb: qb}
		srt := &plan.Sort{Input: root}
		for _, o := range so.OrderBy {
			var e *expr
			if n, ok := ordinal(o.Expr); ok {
				if n < 1 || n > int64(len(outs)) {
					return nil, nil, errorf(ErrUnknownColumn, o.Expr.Position(), "Unknown column '%d' in 'order clause'", n)
				}
				e = qb.colExpr(outs[n-1].col, o.Pos)
			} else if e, err = os.bind(o.Expr, exprCtx{clause: "ORDER BY"}); err != nil {
				return nil, nil, err
			}
			pe, err := lower(e)
			if err != nil {
				return nil, nil, err
			}
			nullsFirst := !o.Desc
			if o.NullsFirst != nil {
				nullsFirst = *o.NullsFirst
			}
			srt.Keys = append(srt.Keys, plan.SortKey{Expr: pe, Desc: o.Desc, NullsFirst: nullsFirst})
		}
		root = srt
	}
	return applyLimit(root, so.Limit), outs, nil
}

// numberCopies puts over n a row_number() over a partition by every column of cols: the copies
// of a row are numbered 1, 2, ....
func (qb *queryBinder) numberCopies(n plan.Node, cols []plan.Column) (plan.Node, plan.Column) {
	rn := qb.ids.New("", types.New(types.BigInt), false)
	w := &plan.Window{Input: n, Calls: []plan.WindowCall{{Col: rn, Name: "row_number"}}}
	for _, c := range cols {
		w.PartitionBy = append(w.PartitionBy, plan.ColRef(c))
	}
	return w, rn
}

// ---- subqueries ----

func (s *scope) bindSubquery(e ast.Expr, ctx exprCtx) (*expr, error) {
	if s.q == nil || s.qb == nil {
		return nil, errorf(ErrNotSupported, e.Position(), "subqueries are not allowed here")
	}
	qb := s.qb
	sub := func(q ast.QueryExpr) (plan.Node, []outCol, error) {
		return qb.bindQuery(q, s.q, s.q.env)
	}
	switch e := e.(type) {
	case *ast.Subquery:
		n, outs, err := sub(e.Query)
		if err != nil {
			return nil, err
		}
		if len(outs) != 1 {
			return nil, errorf(ErrWrongType, e.Pos, "Operand should contain 1 column(s)")
		}
		c := outs[0].col
		return &expr{kind: eSub, typ: c.Type, nullable: true, pos: e.Pos, sub: &subq{kind: plan.SubScalar, plan: n, col: c, text: ast.Format(e)}}, nil
	case *ast.ExistsExpr:
		n, _, err := sub(e.Query)
		if err != nil {
			return nil, err
		}
		x := &expr{kind: eSub, typ: types.New(types.Boolean), pos: e.Pos, sub: &subq{kind: plan.SubExists, plan: n}}
		if e.Not {
			return s.call(e.Pos, "not", x)
		}
		return x, nil
	case *ast.InExpr:
		return s.bindInSubquery(e.Pos, e.X, e.Query, "eq", e.Not, ctx)
	case *ast.CompareSubquery:
		if e.All || e.Op != ast.OpEq {
			return nil, errorf(ErrNotSupported, e.Pos, "%s %s (subquery) is not supported yet", e.Op, map[bool]string{true: "ALL", false: "ANY"}[e.All])
		}
		return s.bindInSubquery(e.Pos, e.X, e.Query, "eq", false, ctx)
	}
	return nil, fmt.Errorf("BUG: subquery expression %T", e)
}

func (s *scope) bindInSubquery(pos ast.Pos, xe ast.Expr, q ast.QueryExpr, op string, not bool, ctx exprCtx) (*expr, error) {
	if _, ok := xe.(*ast.RowExpr); ok {
		return nil, errorf(ErrNotSupported, pos, "row constructors with IN (subquery) are not supported yet")
	}
	x, err := s.bind(xe, ctx)
	if err != nil {
		return nil, err
	}
	n, outs, err := s.qb.bindQuery(q, s.q, s.q.env)
	if err != nil {
		return nil, err
	}
	if len(outs) != 1 {
		return nil, errorf(ErrWrongType, pos, "Operand should contain 1 column(s)")
	}
	c := outs[0].col
	cond, err := s.call(pos, op, x, s.qb.colExpr(c, pos))
	if err != nil {
		return nil, err
	}
	in := &expr{kind: eSub, typ: types.New(types.Boolean), nullable: cond.nullable, pos: pos, args: []*expr{cond},
		sub: &subq{kind: plan.SubIn, plan: n, col: c}}
	if not {
		return s.call(pos, "not", in)
	}
	return in, nil
}

// lower converts a bound expression of a query block into a plan expression.
func lower(e *expr) (*plan.Expr, error) {
	switch e.kind {
	case eCol:
		return &plan.Expr{Kind: plan.ExprColumn, Type: e.typ, Nullable: e.nullable, Col: plan.ColumnID(e.col)}, nil
	case eLit:
		return &plan.Expr{Kind: plan.ExprConst, Type: e.typ, Nullable: e.val.null, Value: e.val.literal(), Text: e.val.text}, nil
	case eAgg:
		return nil, errorf(ErrInvalidGroupFunc, e.pos, "Invalid use of group function %s", e.name)
	case eWin:
		return nil, fmt.Errorf("BUG: window function %s left in an expression", e.name)
	case eGrouping:
		return nil, fmt.Errorf("BUG: %s left in an expression", e.name)
	case eSub:
		ps := &plan.Subquery{Kind: e.sub.kind, Plan: e.sub.plan, Col: e.sub.col.ID, Text: e.sub.text}
		if len(e.args) > 0 {
			c, err := lower(e.args[0])
			if err != nil {
				return nil, err
			}
			ps.Cond = c
		}
		return &plan.Expr{Kind: plan.ExprSubquery, Type: e.typ, Nullable: e.nullable, Sub: ps}, nil
	}
	out := &plan.Expr{Kind: plan.ExprCall, Type: e.typ, Nullable: e.nullable, Name: e.name}
	for _, a := range e.args {
		pa, err := lower(a)
		if err != nil {
			return nil, err
		}
		out.Args = append(out.Args, pa)
	}
	return out, nil
}
