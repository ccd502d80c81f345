package opt

import (
	"fmt"
	"strings"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/frontend/plan"
)

// origin is where a column's values come from unchanged: an output column of a scan node, with
// nothing in between that a runtime filter on it could not be pushed through.
type origin struct {
	node int32
	col  int32
}

// pnode is a physical node under construction: its output layout (column ids by position).
type pnode struct {
	n       *planpb.PlanNode
	cols    []plan.ColumnID
	origins map[plan.ColumnID]origin
}

func (p *pnode) layout() map[plan.ColumnID]int {
	m := make(map[plan.ColumnID]int, len(p.cols))
	for i, c := range p.cols {
		if _, dup := m[c]; !dup {
			m[c] = i
		}
	}
	return m
}

type physical struct {
	o      *optimizer
	nextID int32
	nextRF int32
	res    *Result
	scans  []builtScan
}

// builtScan is the logical scan a physical scan node was built from.
type builtScan struct {
	id   int32
	scan *plan.Scan
}

func (o *optimizer) physical(n plan.Node, out []plan.Column) (*Result, error) {
	p := &physical{o: o, res: &Result{Info: map[int32]*NodeInfo{}, Logical: n}}
	root, err := p.build(n)
	if err != nil {
		return nil, err
	}
	same := len(root.cols) == len(out)
	for i := 0; same && i < len(out); i++ {
		same = root.cols[i] == out[i].ID
	}
	if !same {
		lay := root.layout()
		proj := &planpb.ProjectNode{}
		for _, c := range out {
			e, err := p.expr(plan.ColRef(c), lay)
			if err != nil {
				return nil, err
			}
			proj.Exprs = append(proj.Exprs, e)
		}
		root = p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Project{Project: proj}}, nil, o.estimate(n).rows, root)
	}
	p.res.Fragment = &planpb.Fragment{Root: root.n}
	if !o.opts.NoSharedSubtrees {
		share(p.res)
	}
	return p.res, nil
}

func (p *physical) node(n *planpb.PlanNode, cols []plan.ColumnID, rows float64, children ...*pnode) *pnode {
	n.Id = p.nextID
	p.nextID++
	for _, c := range children {
		n.Children = append(n.Children, c.n)
	}
	p.res.Info[n.Id] = &NodeInfo{Rows: rows, Distribution: "single"}
	return &pnode{n: n, cols: cols}
}

// expr renders e over an input whose layout is lay.
func (p *physical) expr(e *plan.Expr, lay map[plan.ColumnID]int) (*planpb.Expr, error) {
	out := &planpb.Expr{Type: e.Type.Proto(), Nullable: e.Nullable}
	switch e.Kind {
	case plan.ExprColumn:
		i, ok := lay[e.Col]
		if !ok {
			return nil, bug("column #%d is not in the input of its node", e.Col)
		}
		out.Kind = &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(i)}}
	case plan.ExprConst:
		out.Kind = &planpb.Expr_Literal{Literal: e.Value}
	case plan.ExprCall:
		call := &planpb.Call{Name: e.Name}
		for _, a := range e.Args {
			pa, err := p.expr(a, lay)
			if err != nil {
				return nil, err
			}
			call.Args = append(call.Args, pa)
		}
		out.Kind = &planpb.Expr_Call{Call: call}
	default:
		return nil, bug("subquery left in the plan")
	}
	return out, nil
}

func (p *physical) exprs(es []*plan.Expr, lay map[plan.ColumnID]int) ([]*planpb.Expr, error) {
	out := make([]*planpb.Expr, len(es))
	for i, e := range es {
		var err error
		if out[i], err = p.expr(e, lay); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (p *physical) build(n plan.Node) (*pnode, error) {
	rows := p.o.estimate(n).rows
	switch x := n.(type) {
	case *plan.Scan:
		s := &planpb.OlapScanNode{TableId: x.Table.ID, Schema: x.Table.Schema()}
		var cols []plan.ColumnID
		for i, c := range x.Cols {
			s.ColumnUniqueIds = append(s.ColumnUniqueIds, x.Table.Columns[x.ColIdx[i]].UniqueID)
			cols = append(cols, c.ID)
		}
		pn := &pnode{cols: cols}
		conj, err := p.exprs(x.Filters, pn.layout())
		if err != nil {
			return nil, err
		}
		s.Conjuncts = conj
		pn = p.node(&planpb.PlanNode{Node: &planpb.PlanNode_OlapScan{OlapScan: s}}, cols, rows)
		pn.origins = map[plan.ColumnID]origin{}
		for i, c := range cols {
			pn.origins[c] = origin{node: pn.n.Id, col: int32(i)}
		}
		p.scanInfo(x, pn.n.Id)
		p.scans = append(p.scans, builtScan{id: pn.n.Id, scan: x})
		if len(x.FilterOnly) == 0 {
			return pn, nil
		}
		// Drop the columns only the scan's conjuncts read.
		proj := &planpb.ProjectNode{}
		var kept []plan.ColumnID
		origins := map[plan.ColumnID]origin{}
		for i, c := range x.Cols {
			if x.FilterOnly[c.ID] {
				continue
			}
			proj.Exprs = append(proj.Exprs, &planpb.Expr{Type: c.Type.Proto(), Nullable: c.Nullable,
				Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(i)}}})
			kept = append(kept, c.ID)
			origins[c.ID] = pn.origins[c.ID]
		}
		pp := p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Project{Project: proj}}, kept, rows, pn)
		pp.origins = origins
		return pp, nil
	case *plan.Values:
		var cols []plan.ColumnID
		for _, c := range x.Cols {
			cols = append(cols, c.ID)
		}
		return p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Values{Values: &planpb.ValuesNode{Rows: x.Rows}}}, cols, rows), nil
	case *plan.Filter:
		in, err := p.build(x.Input)
		if err != nil {
			return nil, err
		}
		pred, err := p.expr(plan.And(x.Conds...), in.layout())
		if err != nil {
			return nil, err
		}
		pn := p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Filter{Filter: &planpb.FilterNode{Predicate: pred}}}, in.cols, rows, in)
		pn.origins = in.origins
		return pn, nil
	case *plan.Project:
		in, err := p.build(x.Input)
		if err != nil {
			return nil, err
		}
		if identity(x.Items, in.cols) {
			return in, nil
		}
		lay := in.layout()
		proj := &planpb.ProjectNode{}
		var cols []plan.ColumnID
		origins := map[plan.ColumnID]origin{}
		for _, it := range x.Items {
			e, err := p.expr(it.Expr, lay)
			if err != nil {
				return nil, err
			}
			proj.Exprs = append(proj.Exprs, e)
			cols = append(cols, it.Col.ID)
			if it.Expr.IsColumn() {
				if o, ok := in.origins[it.Expr.Col]; ok {
					origins[it.Col.ID] = o
				}
			}
		}
		pn := p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Project{Project: proj}}, cols, rows, in)
		pn.origins = origins
		return pn, nil
	case *plan.Join:
		return p.join(x, rows)
	case *plan.Aggregate:
		return p.aggregate(x, rows)
	case *plan.Sort:
		in, err := p.build(x.Input)
		if err != nil {
			return nil, err
		}
		lay := in.layout()
		srt := &planpb.SortNode{Limit: x.Limit}
		for _, k := range x.Keys {
			e, err := p.expr(k.Expr, lay)
			if err != nil {
				return nil, err
			}
			srt.Keys = append(srt.Keys, &planpb.SortKey{Expr: e, Descending: k.Desc, NullsFirst: k.NullsFirst})
		}
		pn := p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Sort{Sort: srt}}, in.cols, rows, in)
		if x.Limit == 0 {
			pn.origins = in.origins
		}
		return pn, nil
	case *plan.Limit:
		in, err := p.build(x.Input)
		if err != nil {
			return nil, err
		}
		return p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Limit{Limit: &planpb.LimitNode{Offset: x.Offset, Limit: x.Count}}}, in.cols, rows, in), nil
	case *plan.Union:
		var children []*pnode
		for i, in := range x.Inputs {
			c, err := p.build(in)
			if err != nil {
				return nil, err
			}
			same := len(c.cols) == len(x.InputCols[i])
			for j := 0; same && j < len(c.cols); j++ {
				same = c.cols[j] == x.InputCols[i][j]
			}
			if !same {
				lay := c.layout()
				proj := &planpb.ProjectNode{}
				for j, id := range x.InputCols[i] {
					e, err := p.expr(&plan.Expr{Kind: plan.ExprColumn, Col: id, Type: x.Cols[j].Type, Nullable: x.Cols[j].Nullable}, lay)
					if err != nil {
						return nil, err
					}
					proj.Exprs = append(proj.Exprs, e)
				}
				c = p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Project{Project: proj}}, x.InputCols[i], p.o.estimate(in).rows, c)
			}
			children = append(children, c)
		}
		var cols []plan.ColumnID
		for _, c := range x.Cols {
			cols = append(cols, c.ID)
		}
		return p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Union{Union: &planpb.UnionNode{}}}, cols, rows, children...), nil
	case *plan.Window:
		return p.window(x, rows)
	case *plan.AssertRows:
		in, err := p.build(x.Input)
		if err != nil {
			return nil, err
		}
		return p.node(&planpb.PlanNode{Node: &planpb.PlanNode_AssertRows{AssertRows: &planpb.AssertRowsNode{MaxRows: x.Max, Description: x.Desc}}}, in.cols, rows, in), nil
	}
	return nil, bug("logical node %T", n)
}

func (p *physical) scanInfo(x *plan.Scan, id int32) {
	t := x.Table
	kept := p.o.partitions(x)
	s := &Scan{NodeID: id, TableID: t.ID, Total: len(t.Partitions)}
	for _, pt := range t.Partitions {
		s.TotalTablets += len(pt.Tablets)
	}
	for _, pt := range kept {
		s.Partitions = append(s.Partitions, pt.ID)
		s.Names = append(s.Names, pt.Name)
		s.Tablets += len(pt.Tablets)
	}
	p.res.Scans = append(p.res.Scans, s)
	note := fmt.Sprintf("partitions=%d/%d", len(s.Partitions), s.Total)
	if t.Partitioning != nil {
		note += " (" + strings.Join(s.Names, ",") + ")"
	}
	note += fmt.Sprintf(" tablets=%d/%d", s.Tablets, s.TotalTablets)
	p.res.Info[id].Note = note
	dist := "RANDOM"
	if len(t.Distribution.Columns) > 0 {
		dist = "HASH(" + strings.Join(t.Distribution.Columns, ",") + ")"
	}
	p.res.Info[id].Distribution = "bucketed " + dist
}

var physJoinType = map[plan.JoinKind]planpb.JoinType{
	plan.InnerJoin: planpb.JoinType_INNER, plan.LeftJoin: planpb.JoinType_LEFT_OUTER,
	plan.RightJoin: planpb.JoinType_RIGHT_OUTER, plan.FullJoin: planpb.JoinType_FULL_OUTER,
	plan.CrossJoin: planpb.JoinType_CROSS, plan.SemiJoin: planpb.JoinType_LEFT_SEMI,
	plan.AntiJoin: planpb.JoinType_LEFT_ANTI, plan.NullAwareAntiJoin: planpb.JoinType_NULL_AWARE_LEFT_ANTI,
	plan.MarkJoin: planpb.JoinType_LEFT_MARK,
}

func (p *physical) join(x *plan.Join, rows float64) (*pnode, error) {
	l, err := p.build(x.Left)
	if err != nil {
		return nil, err
	}
	r, err := p.build(x.Right)
	if err != nil {
		return nil, err
	}
	typ := physJoinType[x.Kind]
	outLeft := x.Left.Columns()
	// A semi or anti join whose left side is the smaller builds its hash table from the left:
	// RIGHT_SEMI / RIGHT_ANTI with the sides swapped.
	if (x.Kind == plan.SemiJoin || x.Kind == plan.AntiJoin) && p.o.estimate(x.Left).rows < p.o.estimate(x.Right).rows {
		if _, _, _, other := splitKeys(x.On, plan.SetOf(x.Right.Columns()), plan.SetOf(outLeft)); len(other) < len(x.On) {
			l, r = r, l
			if x.Kind == plan.SemiJoin {
				typ = planpb.JoinType_RIGHT_SEMI
			} else {
				typ = planpb.JoinType_RIGHT_ANTI
			}
		}
	}
	lset, rset := colSet(l.cols), colSet(r.cols)
	probe, build, nullSafe, other := splitKeys(x.On, lset, rset)
	if x.Kind == plan.CrossJoin && len(x.On) > 0 {
		typ = planpb.JoinType_INNER
	}
	var cols []plan.ColumnID
	origins := map[plan.ColumnID]origin{}
	keepOrigins := func(pn *pnode) {
		for k, v := range pn.origins {
			origins[k] = v
		}
	}
	switch typ {
	case planpb.JoinType_LEFT_SEMI, planpb.JoinType_LEFT_ANTI, planpb.JoinType_NULL_AWARE_LEFT_ANTI:
		cols = l.cols
		keepOrigins(l)
	case planpb.JoinType_RIGHT_SEMI, planpb.JoinType_RIGHT_ANTI:
		cols = r.cols
		keepOrigins(r)
	case planpb.JoinType_LEFT_MARK:
		cols = append(append([]plan.ColumnID(nil), l.cols...), x.Mark.ID)
		keepOrigins(l)
	default:
		cols = append(append([]plan.ColumnID(nil), l.cols...), r.cols...)
		keepOrigins(l)
		keepOrigins(r)
	}
	both := &pnode{cols: append(append([]plan.ColumnID(nil), l.cols...), r.cols...)}
	var cond *planpb.Expr
	if len(other) > 0 {
		if cond, err = p.expr(plan.And(other...), both.layout()); err != nil {
			return nil, err
		}
	}
	if len(probe) == 0 || typ == planpb.JoinType_CROSS {
		if typ == planpb.JoinType_INNER && cond == nil {
			typ = planpb.JoinType_CROSS
		}
		nl := &planpb.NestedLoopJoinNode{Type: typ, Condition: cond, NullAwareMark: x.NullAware}
		pn := p.node(&planpb.PlanNode{Node: &planpb.PlanNode_NestedLoopJoin{NestedLoopJoin: nl}}, cols, rows, l, r)
		pn.origins = origins
		return pn, nil
	}
	hj := &planpb.HashJoinNode{Type: typ, OtherCondition: cond, NullAwareMark: x.NullAware}
	llay, rlay := l.layout(), r.layout()
	for i := range probe {
		pk, err := p.expr(probe[i], llay)
		if err != nil {
			return nil, err
		}
		bk, err := p.expr(build[i], rlay)
		if err != nil {
			return nil, err
		}
		hj.ProbeKeys = append(hj.ProbeKeys, pk)
		hj.BuildKeys = append(hj.BuildKeys, bk)
		hj.NullSafe = append(hj.NullSafe, nullSafe[i])
	}
	if !p.o.opts.NoRuntimeFilters {
		switch typ {
		case planpb.JoinType_INNER, planpb.JoinType_LEFT_SEMI, planpb.JoinType_RIGHT_SEMI, planpb.JoinType_RIGHT_OUTER, planpb.JoinType_RIGHT_ANTI:
			for i, k := range probe {
				if k.Kind == plan.ExprCall && k.Name == "cast" && k.Type.IsInteger() && k.Args[0].Type.IsInteger() {
					k = k.Args[0]
				}
				if !k.IsColumn() {
					continue
				}
				o, ok := l.origins[k.Col]
				if !ok {
					continue
				}
				hj.RuntimeFilters = append(hj.RuntimeFilters, &planpb.RuntimeFilter{Id: p.nextRF, BuildKey: int32(i),
					TargetNodeId: o.node, TargetColumn: o.col, Type: planpb.RuntimeFilterType_RF_IN_OR_BLOOM})
				p.nextRF++
			}
		}
	}
	pn := p.node(&planpb.PlanNode{Node: &planpb.PlanNode_HashJoin{HashJoin: hj}}, cols, rows, l, r)
	pn.origins = origins
	return pn, nil
}

// identity reports whether a projection outputs exactly its input columns, in order.
func identity(items []plan.Item, in []plan.ColumnID) bool {
	if len(items) != len(in) {
		return false
	}
	for i, it := range items {
		if !it.Expr.IsColumn() || it.Expr.Col != in[i] || it.Col.ID != in[i] {
			return false
		}
	}
	return true
}

func colSet(ids []plan.ColumnID) plan.ColSet {
	s := plan.ColSet{}
	for _, id := range ids {
		s[id] = true
	}
	return s
}

// splitKeys splits join conjuncts into equi-join keys (left expression, right expression,
// null-safe) and the other conditions.
func splitKeys(on []*plan.Expr, l, r plan.ColSet) (probe, build []*plan.Expr, nullSafe []bool, other []*plan.Expr) {
	for _, c := range on {
		if c.Kind == plan.ExprCall && (c.Name == "eq" || c.Name == "eq_for_null") && len(c.Args) == 2 {
			a, b := c.Args[0], c.Args[1]
			ac, bc := a.Cols(nil), b.Cols(nil)
			if len(ac) > 0 && len(bc) > 0 && ac.SubsetOf(r) && bc.SubsetOf(l) {
				a, b, ac, bc = b, a, bc, ac
			}
			if len(ac) > 0 && len(bc) > 0 && ac.SubsetOf(l) && bc.SubsetOf(r) && keyTypesMatch(a, b) {
				probe, build = append(probe, a), append(build, b)
				nullSafe = append(nullSafe, c.Name == "eq_for_null")
				continue
			}
		}
		other = append(other, c)
	}
	return
}

// keyTypesMatch reports whether two key expressions compare by value in the hash join (see
// compute/exec: integers, DECIMALs of one scale, floats, dates, datetimes, strings).
func keyTypesMatch(a, b *plan.Expr) bool {
	ta, tb := a.Type, b.Type
	switch {
	case ta.IsInteger() && tb.IsInteger():
		return true
	case ta.IsString() && tb.IsString():
		return true
	}
	return ta == tb
}

func (p *physical) aggregate(x *plan.Aggregate, rows float64) (*pnode, error) {
	in, err := p.build(x.Input)
	if err != nil {
		return nil, err
	}
	agg := &planpb.AggregateNode{Mode: planpb.AggregateMode_AGG_COMPLETE}
	var cols []plan.ColumnID
	origins := map[plan.ColumnID]origin{}
	lay := in.layout()
	if len(x.GroupingSets) > 0 {
		// Project the grouping expressions as extra columns, repeat per set, group by them
		// and the grouping id.
		proj := &planpb.ProjectNode{}
		for i := range in.cols {
			proj.Exprs = append(proj.Exprs, &planpb.Expr{Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(i)}}})
		}
		// Column references need their types: take them from the logical input.
		inCols := map[plan.ColumnID]plan.Column{}
		for _, c := range x.Input.Columns() {
			inCols[c.ID] = c
		}
		for i, id := range in.cols {
			c := inCols[id]
			proj.Exprs[i].Type, proj.Exprs[i].Nullable = c.Type.Proto(), c.Nullable
		}
		rep := &planpb.RepeatNode{}
		for _, g := range x.GroupBy {
			e, err := p.expr(g.Expr, lay)
			if err != nil {
				return nil, err
			}
			rep.Slots = append(rep.Slots, int32(len(proj.Exprs)))
			proj.Exprs = append(proj.Exprs, e)
		}
		for _, set := range x.GroupingSets {
			gs := &planpb.GroupingSet{}
			for _, i := range set {
				gs.Slots = append(gs.Slots, int32(i))
			}
			rep.Sets = append(rep.Sets, gs)
		}
		pin := p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Project{Project: proj}}, nil, p.o.estimate(x.Input).rows, in)
		rin := p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Repeat{Repeat: rep}}, nil, rows, pin)
		for i, g := range x.GroupBy {
			agg.GroupBy = append(agg.GroupBy, &planpb.Expr{Type: g.Col.Type.Proto(), Nullable: true,
				Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: rep.Slots[i]}}})
			cols = append(cols, g.Col.ID)
		}
		agg.GroupBy = append(agg.GroupBy, &planpb.Expr{Type: x.GroupingID.Type.Proto(),
			Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(len(proj.Exprs))}}})
		cols = append(cols, x.GroupingID.ID)
		for _, a := range x.Aggs {
			call, err := p.aggCall(a, lay)
			if err != nil {
				return nil, err
			}
			agg.Aggregates = append(agg.Aggregates, call)
			cols = append(cols, a.Col.ID)
		}
		return p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Aggregate{Aggregate: agg}}, cols, rows, rin), nil
	}
	for _, g := range x.GroupBy {
		e, err := p.expr(g.Expr, lay)
		if err != nil {
			return nil, err
		}
		agg.GroupBy = append(agg.GroupBy, e)
		cols = append(cols, g.Col.ID)
		if g.Expr.IsColumn() {
			if o, ok := in.origins[g.Expr.Col]; ok {
				origins[g.Col.ID] = o
			}
		}
	}
	for _, a := range x.Aggs {
		call, err := p.aggCall(a, lay)
		if err != nil {
			return nil, err
		}
		agg.Aggregates = append(agg.Aggregates, call)
		cols = append(cols, a.Col.ID)
	}
	agg.Colocated = p.colocated(in, x)
	if !agg.Colocated && rows >= minPartitionGroups {
		agg.Colocated = partitionBelow(in.n, agg)
	}
	pn := p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Aggregate{Aggregate: agg}}, cols, rows, in)
	pn.origins = origins
	return pn, nil
}

// minPartitionGroups is how many groups an aggregate over an aggregate must be estimated to
// have for partitionBelow: with fewer, a partitioning by its keys would leave parts idle.
const minPartitionGroups = 256

// partitionBelow plans an aggregate (agg) over an aggregate grouped by more keys (child: the
// inner of a split DISTINCT, group by G, x under group by G) as one exchange: the inner one is
// partitioned by the outer keys (AggregateNode.partition_by), so that each of its parts holds
// whole outer groups and the outer aggregate runs per part. It reports whether it did (the
// outer aggregate is then colocated): the outer keys must be plain references to inner keys.
func partitionBelow(child *planpb.PlanNode, agg *planpb.AggregateNode) bool {
	inner := child.GetAggregate()
	if inner == nil || inner.GetColocated() || len(inner.GetPartitionBy()) > 0 || len(agg.GetGroupBy()) == 0 ||
		len(agg.GetGroupBy()) >= len(inner.GetGroupBy()) {
		return false
	}
	var keys []*planpb.Expr
	for _, g := range agg.GetGroupBy() {
		c := g.GetColumn()
		if c == nil || int(c.GetIndex()) >= len(inner.GetGroupBy()) {
			return false
		}
		keys = append(keys, inner.GetGroupBy()[c.GetIndex()])
	}
	inner.PartitionBy = keys
	return true
}

// colocated reports whether the rows of one group of x all come from one bucket of the scan at
// the end of in's probe-side chain (through projects, filters and the left side of joins that
// stream their probe side): that scan reads one partition of a hash-distributed table and x
// groups by plain references to every distribution column of it. An executor that runs that
// chain in parts by tablets may then aggregate each part alone (AggregateNode.colocated).
func (p *physical) colocated(in *pnode, x *plan.Aggregate) bool {
	n := in.n
	for n.GetOlapScan() == nil {
		switch k := n.Node.(type) {
		case *planpb.PlanNode_Project, *planpb.PlanNode_Filter:
		case *planpb.PlanNode_HashJoin:
			if rightSide(k.HashJoin.GetType()) {
				return false
			}
		case *planpb.PlanNode_NestedLoopJoin:
			if rightSide(k.NestedLoopJoin.GetType()) {
				return false
			}
		default:
			return false
		}
		if len(n.Children) == 0 {
			return false
		}
		n = n.Children[0]
	}
	var scan *plan.Scan
	for _, s := range p.scans {
		if s.id == n.Id {
			scan = s.scan
		}
	}
	if scan == nil || len(scan.Table.Distribution.Columns) == 0 || len(p.o.partitions(scan)) != 1 {
		return false
	}
	grouped := map[int32]bool{} // unique ids of the scan's columns grouped by as they are
	for _, g := range x.GroupBy {
		if !g.Expr.IsColumn() {
			continue
		}
		if o, ok := in.origins[g.Expr.Col]; ok && o.node == n.Id {
			grouped[n.GetOlapScan().GetColumnUniqueIds()[o.col]] = true
		}
	}
	for _, name := range scan.Table.Distribution.Columns {
		i := scan.Table.ColumnIndex(name)
		if i < 0 || !grouped[scan.Table.Columns[i].UniqueID] {
			return false
		}
	}
	return true
}

// rightSide: join types whose executor takes the probe side as one stream (they output build
// rows after it ends).
func rightSide(t planpb.JoinType) bool {
	switch t {
	case planpb.JoinType_RIGHT_OUTER, planpb.JoinType_FULL_OUTER, planpb.JoinType_RIGHT_SEMI, planpb.JoinType_RIGHT_ANTI:
		return true
	}
	return false
}

// aggCall renders an aggregate call over an input whose layout is lay.
func (p *physical) aggCall(a plan.AggCall, lay map[plan.ColumnID]int) (*planpb.AggregateCall, error) {
	call := &planpb.AggregateCall{Name: a.Name, Distinct: a.Distinct, Type: a.Col.Type.Proto()}
	var err error
	if call.Args, err = p.exprs(a.Args, lay); err != nil {
		return nil, err
	}
	for _, k := range a.OrderBy {
		e, err := p.expr(k.Expr, lay)
		if err != nil {
			return nil, err
		}
		call.OrderBy = append(call.OrderBy, &planpb.SortKey{Expr: e, Descending: k.Desc, NullsFirst: k.NullsFirst})
	}
	return call, nil
}

// window plans a Window as a sort by its partition then order keys (unless its input is a
// Window with the same keys, whose output is already in that order) and a WindowNode.
func (p *physical) window(x *plan.Window, rows float64) (*pnode, error) {
	in, err := p.build(x.Input)
	if err != nil {
		return nil, err
	}
	lay := in.layout()
	var keys []*planpb.SortKey
	for _, e := range x.PartitionBy {
		pe, err := p.expr(e, lay)
		if err != nil {
			return nil, err
		}
		keys = append(keys, &planpb.SortKey{Expr: pe, NullsFirst: true})
	}
	var order []*planpb.SortKey
	for _, k := range x.OrderBy {
		pe, err := p.expr(k.Expr, lay)
		if err != nil {
			return nil, err
		}
		order = append(order, &planpb.SortKey{Expr: pe, Descending: k.Desc, NullsFirst: k.NullsFirst})
	}
	keys = append(keys, order...)
	child := in
	if below, ok := x.Input.(*plan.Window); (!ok || !sameWindowKeys(below, x)) && len(keys) > 0 {
		child = p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Sort{Sort: &planpb.SortNode{Keys: keys}}}, in.cols, p.o.estimate(x.Input).rows, in)
	}
	wn := &planpb.WindowNode{OrderBy: order, Frame: x.Frame}
	for _, k := range keys[:len(x.PartitionBy)] {
		wn.PartitionBy = append(wn.PartitionBy, k.Expr)
	}
	cols := append([]plan.ColumnID(nil), in.cols...)
	for _, c := range x.Calls {
		args, err := p.exprs(c.Args, lay)
		if err != nil {
			return nil, err
		}
		wn.Calls = append(wn.Calls, &planpb.WindowCall{Name: c.Name, Args: args, Type: c.Col.Type.Proto()})
		cols = append(cols, c.Col.ID)
	}
	// No origins: a runtime filter below a window would change the rows it computes over.
	return p.node(&planpb.PlanNode{Node: &planpb.PlanNode_Window{Window: wn}}, cols, rows, child), nil
}

// sameWindowKeys reports whether two windows partition and order their rows alike.
func sameWindowKeys(a, b *plan.Window) bool {
	if len(a.PartitionBy) != len(b.PartitionBy) || len(a.OrderBy) != len(b.OrderBy) {
		return false
	}
	for i := range a.PartitionBy {
		if a.PartitionBy[i].Key() != b.PartitionBy[i].Key() {
			return false
		}
	}
	for i, k := range a.OrderBy {
		o := b.OrderBy[i]
		if k.Expr.Key() != o.Expr.Key() || k.Desc != o.Desc || k.NullsFirst != o.NullsFirst {
			return false
		}
	}
	return true
}
