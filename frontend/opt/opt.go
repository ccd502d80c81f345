package opt

import (
	"fmt"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/plan"
)

// Options tune one compilation.
type Options struct {
	Stats Stats // nil: every table is assumed to hold defaultRows rows
	// NoRuntimeFilters disables runtime filters (tests comparing plans with and without).
	NoRuntimeFilters bool
	// NoSharedSubtrees plans a repeated subtree as many times as it occurs (shared.go).
	NoSharedSubtrees bool
}

// Scan is what one OlapScan node of the physical plan reads: the partitions kept after the FROM
// clause's PARTITION list and partition pruning, in the table's partition order.
type Scan struct {
	NodeID     int32
	TableID    int64
	Partitions []int64
	// Total is how many partitions the table has; Tablets and TotalTablets count the tablets of
	// the kept partitions and of all of them (EXPLAIN's partitions=k/n, tablets=k/n).
	Total, Tablets, TotalTablets int
	Names                        []string // of the kept partitions
}

// NodeInfo is what EXPLAIN shows of a physical node beyond the node itself.
type NodeInfo struct {
	Rows         float64 // estimated output rows
	Distribution string  // where the node's output is: "single" (one fragment on one node)
	Note         string  // extra text (a scan's partitions and tablets)
}

// Result is a compiled query: the fragment to run, its scans, and per plan node id what
// EXPLAIN shows.
type Result struct {
	Fragment *planpb.Fragment
	Scans    []*Scan
	Info     map[int32]*NodeInfo
	Logical  plan.Node // the optimised logical plan
}

type optimizer struct {
	ids   *plan.Columns
	stats Stats
	opts  Options
	ests  map[plan.Node]*est
	// classDom bounds the distinct values of a column by the smallest known domain in its
	// equivalence class of join equalities (see classDomains).
	classDom map[plan.ColumnID]float64
}

// Build optimises a bound query and plans it as one fragment whose root outputs exactly out, in
// order. ids is the query's column allocator (new columns continue its numbering).
func Build(root plan.Node, out []plan.Column, ids *plan.Columns, opts Options) (*Result, error) {
	o := &optimizer{ids: ids, stats: opts.Stats, opts: opts, ests: map[plan.Node]*est{}, classDom: map[plan.ColumnID]float64{}}
	n, err := o.Optimize(root)
	if err != nil {
		return nil, err
	}
	n = prune(n, plan.SetOf(out))
	return o.physical(n, out)
}

// Optimize rewrites a logical plan: subqueries decorrelated into joins, predicates pushed down
// (outer joins simplified on the way), inner joins ordered by estimated cost, DISTINCT
// aggregates split into two aggregates (distinct.go).
func (o *optimizer) Optimize(root plan.Node) (plan.Node, error) {
	n, err := o.decorrelate(root)
	if err != nil {
		return nil, err
	}
	if p, ok := o.stats.(Prefetcher); ok {
		p.Prefetch(scannedTables(n))
	}
	if n, err = o.push(n, nil); err != nil {
		return nil, err
	}
	return o.splitDistinct(n), nil
}

// fold simplifies conjuncts: TRUE conjuncts go, nested ANDs are split, and conjuncts common to
// every branch of an OR are factored out of it ((a AND b) OR (a AND c) → a AND (b OR c)).
func (o *optimizer) fold(conds []*plan.Expr) []*plan.Expr {
	var out []*plan.Expr
	for _, c := range conds {
		for _, x := range plan.Conjuncts(c) {
			if x.IsConst() && !x.Value.GetIsNull() && x.Value.GetInt64() != 0 && x.Type.Kind == boolType.Kind {
				continue
			}
			if x.Kind == plan.ExprCall && x.Name == "or" {
				out = append(out, factorOr(x)...)
				continue
			}
			out = append(out, x)
		}
	}
	return out
}

// disjuncts splits e on its top-level ORs.
func disjuncts(e *plan.Expr) []*plan.Expr {
	if e.Kind == plan.ExprCall && e.Name == "or" {
		return append(disjuncts(e.Args[0]), disjuncts(e.Args[1])...)
	}
	return []*plan.Expr{e}
}

// or joins disjuncts with "or".
func or(ds []*plan.Expr) *plan.Expr {
	out := ds[0]
	for _, d := range ds[1:] {
		out = plan.Call("or", boolType, out.Nullable || d.Nullable, out, d)
	}
	return out
}

// factorOr returns the conjuncts equivalent to an OR: those common to all its branches, then
// the OR of what remains of each branch (none when some branch is left empty: it is TRUE).
func factorOr(e *plan.Expr) []*plan.Expr {
	ds := disjuncts(e)
	branches := make([][]*plan.Expr, len(ds))
	for i, d := range ds {
		branches[i] = plan.Conjuncts(d)
	}
	var common []*plan.Expr
	for _, c := range branches[0] {
		k := c.Key()
		inAll := true
		for _, b := range branches[1:] {
			found := false
			for _, x := range b {
				if x.Key() == k {
					found = true
					break
				}
			}
			inAll = inAll && found
		}
		if inAll {
			common = append(common, c)
		}
	}
	if len(common) == 0 {
		return []*plan.Expr{e}
	}
	keys := map[string]bool{}
	for _, c := range common {
		keys[c.Key()] = true
	}
	rest := make([]*plan.Expr, len(branches))
	for i, b := range branches {
		var left []*plan.Expr
		for _, x := range b {
			if !keys[x.Key()] {
				left = append(left, x)
			}
		}
		if len(left) == 0 {
			return common // this branch is just the common part: the OR adds nothing
		}
		rest[i] = plan.And(left...)
	}
	return append(common, or(rest))
}

// impliedFilter derives from an OR over several relations a filter on the columns cols alone:
// the OR of each branch's conjuncts over cols, when every branch has some (nil otherwise).
func impliedFilter(e *plan.Expr, cols plan.ColSet) *plan.Expr {
	if e.Kind != plan.ExprCall || e.Name != "or" {
		return nil
	}
	ds := disjuncts(e)
	parts := make([]*plan.Expr, len(ds))
	for i, d := range ds {
		var mine []*plan.Expr
		for _, c := range plan.Conjuncts(d) {
			if cs := c.Cols(nil); len(cs) > 0 && cs.SubsetOf(cols) && !c.HasSubquery() {
				mine = append(mine, c)
			}
		}
		if len(mine) == 0 {
			return nil
		}
		parts[i] = plan.And(mine...)
	}
	return or(parts)
}

// prune drops the columns nothing above needs: scans read fewer columns, projections and
// aggregations compute fewer expressions.
func prune(n plan.Node, need plan.ColSet) plan.Node {
	add := func(set plan.ColSet, es ...*plan.Expr) plan.ColSet {
		out := plan.ColSet{}
		for c := range set {
			out[c] = true
		}
		for _, e := range es {
			e.Cols(out)
		}
		return out
	}
	switch x := n.(type) {
	case *plan.Scan:
		s := *x
		s.Cols, s.ColIdx = nil, nil
		used := add(need, x.Filters...)
		for i, c := range x.Cols {
			if used[c.ID] {
				s.Cols = append(s.Cols, c)
				s.ColIdx = append(s.ColIdx, x.ColIdx[i])
			}
		}
		if len(s.Cols) == 0 && len(x.Cols) > 0 {
			s.Cols, s.ColIdx = x.Cols[:1], x.ColIdx[:1]
		}
		s.FilterOnly = nil
		for _, c := range s.Cols {
			if !need[c.ID] {
				if s.FilterOnly == nil {
					s.FilterOnly = plan.ColSet{}
				}
				s.FilterOnly[c.ID] = true
			}
		}
		if len(s.FilterOnly) == len(s.Cols) { // a scan outputs at least one column
			s.FilterOnly = nil
		}
		return &s
	case *plan.Filter:
		return &plan.Filter{Input: prune(x.Input, add(need, x.Conds...)), Conds: x.Conds}
	case *plan.Project:
		p := &plan.Project{}
		var es []*plan.Expr
		for _, it := range x.Items {
			if need[it.Col.ID] {
				p.Items = append(p.Items, it)
				es = append(es, it.Expr)
			}
		}
		if len(p.Items) == 0 && len(x.Items) > 0 {
			p.Items = x.Items[:1]
			es = append(es, x.Items[0].Expr)
		}
		p.Input = prune(x.Input, add(nil, es...))
		return p
	case *plan.Join:
		j := *x
		all := add(need, x.On...)
		j.Left, j.Right = prune(x.Left, all), prune(x.Right, all)
		return &j
	case *plan.Aggregate:
		a := *x
		a.Aggs = nil
		var es []*plan.Expr
		for _, g := range x.GroupBy {
			es = append(es, g.Expr)
		}
		for _, c := range x.Aggs {
			if need[c.Col.ID] {
				a.Aggs = append(a.Aggs, c)
				es = append(es, c.Args...)
				for _, k := range c.OrderBy {
					es = append(es, k.Expr)
				}
			}
		}
		if len(a.Aggs) == 0 && len(a.GroupBy) == 0 && len(x.Aggs) > 0 {
			a.Aggs = x.Aggs[:1]
			es = append(es, x.Aggs[0].Args...)
		}
		a.Input = prune(x.Input, add(nil, es...))
		return &a
	case *plan.Window:
		w := *x
		var es []*plan.Expr
		es = append(es, x.PartitionBy...)
		for _, k := range x.OrderBy {
			es = append(es, k.Expr)
		}
		for _, c := range x.Calls {
			es = append(es, c.Args...)
		}
		w.Input = prune(x.Input, add(need, es...))
		return &w
	case *plan.Sort:
		s := *x
		var es []*plan.Expr
		for _, k := range x.Keys {
			es = append(es, k.Expr)
		}
		s.Input = prune(x.Input, add(need, es...))
		return &s
	case *plan.Limit:
		l := *x
		l.Input = prune(x.Input, need)
		return &l
	case *plan.AssertRows:
		a := *x
		a.Input = prune(x.Input, need)
		return &a
	case *plan.Union:
		u := *x
		u.Inputs = make([]plan.Node, len(x.Inputs))
		for i, in := range x.Inputs {
			set := plan.ColSet{}
			for _, id := range x.InputCols[i] {
				set[id] = true
			}
			u.Inputs[i] = prune(in, set)
		}
		return &u
	}
	return n
}

// partitions are the partitions a scan reads: those named (all when none are), minus those its
// filters rule out.
func (o *optimizer) partitions(s *plan.Scan) []*catalog.Partition {
	t := s.Table
	candidates := s.Named
	if candidates == nil {
		for i := range t.Partitions {
			candidates = append(candidates, &t.Partitions[i])
		}
	}
	keep := prunePartitions(s, candidates)
	var out []*catalog.Partition
	for i, p := range candidates {
		if keep[i] {
			out = append(out, p)
		}
	}
	return out
}

func bug(format string, a ...any) error { return fmt.Errorf("BUG: "+format, a...) }
