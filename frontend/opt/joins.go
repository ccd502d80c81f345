package opt

import (
	"math"
	"math/bits"

	"github.com/doricdb/doric/frontend/plan"
)

// maxDPRelations is the largest join graph ordered by dynamic programming over all subsets;
// larger ones are ordered greedily.
const maxDPRelations = 10

// jrel is one relation of a join graph.
type jrel struct {
	node plan.Node
	cols plan.ColSet
}

// jcond is a join condition and the relations it refers to.
type jcond struct {
	e    *plan.Expr
	mask uint64
}

// eqClass is a set of columns known equal (a = b, b = c, ...), with the relation of each.
type eqClass struct {
	cols []*plan.Expr
	rel  []int
}

// jplan is a plan of a subset of the relations.
type jplan struct {
	node       plan.Node
	rows, cost float64
}

type graph struct {
	rels    []jrel
	conds   []jcond
	classes []*eqClass
}

// reorder flattens the tree of inner and cross joins rooted at j, pushes each conjunct (of preds
// and the joins' conditions) as low as it goes, and orders the joins by estimated cost.
func (o *optimizer) reorder(j *plan.Join, preds []*plan.Expr) (plan.Node, error) {
	var leaves []plan.Node
	conds := append([]*plan.Expr(nil), preds...)
	var flatten func(n plan.Node)
	flatten = func(n plan.Node) {
		switch x := n.(type) {
		case *plan.Join:
			if x.Kind == plan.InnerJoin || x.Kind == plan.CrossJoin {
				flatten(x.Left)
				flatten(x.Right)
				conds = append(conds, x.On...)
				return
			}
		case *plan.Filter:
			if jj, ok := x.Input.(*plan.Join); ok && (jj.Kind == plan.InnerJoin || jj.Kind == plan.CrossJoin) {
				conds = append(conds, x.Conds...)
				flatten(jj)
				return
			}
		}
		leaves = append(leaves, n)
	}
	flatten(j)
	if len(leaves) > 64 {
		return nil, unsupported("joins of more than 64 tables")
	}
	conds = o.fold(conds)
	g := &graph{rels: make([]jrel, len(leaves))}
	for i, l := range leaves {
		g.rels[i].cols = plan.SetOf(l.Columns())
	}
	relOf := func(id plan.ColumnID) int {
		for i, r := range g.rels {
			if r.cols[id] {
				return i
			}
		}
		return -1
	}
	local := make([][]*plan.Expr, len(leaves))
	var top []*plan.Expr
	for _, c := range conds {
		var mask uint64
		outer := false
		for id := range c.Cols(nil) {
			if r := relOf(id); r >= 0 {
				mask |= 1 << r
			} else {
				outer = true
			}
		}
		switch {
		case mask == 0 || outer || c.HasSubquery():
			top = append(top, c)
		case bits.OnesCount64(mask) == 1:
			local[bits.TrailingZeros64(mask)] = append(local[bits.TrailingZeros64(mask)], c)
		default:
			if a, b, ok := colEq(c); ok && a.Type == b.Type {
				g.addEq(a, b, relOf(a.Col), relOf(b.Col))
				continue
			}
			g.conds = append(g.conds, jcond{e: c, mask: mask})
			// An OR over several relations implies a filter on each relation that every
			// branch restricts (TPC-H q19): push those down too.
			for i, r := range g.rels {
				if mask&(1<<i) != 0 {
					if f := impliedFilter(c, r.cols); f != nil {
						local[i] = append(local[i], f)
					}
				}
			}
		}
	}
	for i, l := range leaves {
		n, err := o.push(l, local[i])
		if err != nil {
			return nil, err
		}
		g.rels[i].node = n
	}
	o.classDomains(g)
	var root plan.Node
	if len(leaves) <= maxDPRelations {
		root = o.dp(g)
	} else {
		root = o.greedy(g)
	}
	return filter(root, top), nil
}

// colEq matches a = b over two bare columns.
func colEq(c *plan.Expr) (*plan.Expr, *plan.Expr, bool) {
	if c.Kind == plan.ExprCall && c.Name == "eq" && len(c.Args) == 2 && c.Args[0].IsColumn() && c.Args[1].IsColumn() {
		return c.Args[0], c.Args[1], true
	}
	return nil, nil, false
}

func (g *graph) addEq(a, b *plan.Expr, ra, rb int) {
	find := func(e *plan.Expr) *eqClass {
		for _, c := range g.classes {
			for _, x := range c.cols {
				if x.Col == e.Col {
					return c
				}
			}
		}
		return nil
	}
	ca, cb := find(a), find(b)
	switch {
	case ca == nil && cb == nil:
		g.classes = append(g.classes, &eqClass{cols: []*plan.Expr{a, b}, rel: []int{ra, rb}})
	case ca == nil:
		cb.cols, cb.rel = append(cb.cols, a), append(cb.rel, ra)
	case cb == nil:
		ca.cols, ca.rel = append(ca.cols, b), append(ca.rel, rb)
	case ca != cb:
		ca.cols, ca.rel = append(ca.cols, cb.cols...), append(ca.rel, cb.rel...)
		for i, c := range g.classes {
			if c == cb {
				g.classes = append(g.classes[:i], g.classes[i+1:]...)
				break
			}
		}
	}
}

// joinConds are the conditions that join the relation sets l and r: the conditions within l|r
// but neither l nor r, and one equality per equivalence class with members on both sides.
func (g *graph) joinConds(l, r uint64) []*plan.Expr {
	var on []*plan.Expr
	for _, c := range g.classes {
		var a, b *plan.Expr
		for i, x := range c.cols {
			bit := uint64(1) << c.rel[i]
			if a == nil && l&bit != 0 {
				a = x
			}
			if b == nil && r&bit != 0 {
				b = x
			}
		}
		if a != nil && b != nil {
			on = append(on, eqExpr(a, b))
		}
	}
	all := l | r
	for _, c := range g.conds {
		if c.mask&all == c.mask && c.mask&l != c.mask && c.mask&r != c.mask {
			on = append(on, c.e)
		}
	}
	return on
}

func eqExpr(a, b *plan.Expr) *plan.Expr {
	return plan.Call("eq", boolType, a.Nullable || b.Nullable, a, b)
}

func (o *optimizer) join(l, r *jplan, on []*plan.Expr) *jplan {
	kind := plan.InnerJoin
	if len(on) == 0 {
		kind = plan.CrossJoin
	}
	// The smaller side is the build (right) side.
	if r.rows > l.rows {
		l, r = r, l
	}
	n := &plan.Join{Kind: kind, Left: l.node, Right: r.node, On: on}
	// Only the rows: the program weighs thousands of candidate joins and keeps one per subset;
	// the output's column statistics are estimated for the ones kept, when asked for. (An inner
	// or cross join's rows, as estimate1 computes them.)
	le, re := o.estimate(l.node), o.estimate(r.node)
	rows := math.Max(le.rows*re.rows*o.joinSelectivity(on, le, re, &est{sides: []*est{le, re}}), 1)
	return &jplan{node: n, rows: rows, cost: l.cost + r.cost + rows + r.rows}
}

func (o *optimizer) leaf(g *graph, i int) *jplan {
	n := g.rels[i].node
	rows := o.estimate(n).rows
	return &jplan{node: n, rows: rows}
}

// dp finds the cheapest bushy join tree over all subsets (cost: the sum of the estimated rows of
// every join's output and build side).
func (o *optimizer) dp(g *graph) plan.Node {
	n := len(g.rels)
	best := make([]*jplan, 1<<n)
	for i := range n {
		best[1<<i] = o.leaf(g, i)
	}
	connected := func(l, r uint64) bool {
		for _, c := range g.classes {
			inL, inR := false, false
			for _, ri := range c.rel {
				inL = inL || l&(1<<ri) != 0
				inR = inR || r&(1<<ri) != 0
			}
			if inL && inR {
				return true
			}
		}
		for _, c := range g.conds {
			if c.mask&(l|r) == c.mask && c.mask&l != 0 && c.mask&r != 0 {
				return true
			}
		}
		return false
	}
	for mask := uint64(1); mask < 1<<n; mask++ {
		if bits.OnesCount64(mask) < 2 {
			continue
		}
		var b *jplan
		// Connected splits first; cross products only when the set has none.
		for pass := 0; pass < 2 && b == nil; pass++ {
			for sub := (mask - 1) & mask; sub > 0; sub = (sub - 1) & mask {
				rest := mask ^ sub
				if sub < rest || best[sub] == nil || best[rest] == nil {
					continue
				}
				if pass == 0 && !connected(sub, rest) {
					continue
				}
				c := o.join(best[sub], best[rest], g.joinConds(sub, rest))
				if b == nil || c.cost < b.cost {
					b = c
				}
			}
		}
		best[mask] = b
	}
	return best[(1<<n)-1].node
}

// greedy repeatedly joins the two plans whose join is estimated smallest, preferring connected
// pairs.
func (o *optimizer) greedy(g *graph) plan.Node {
	type comp struct {
		p    *jplan
		mask uint64
	}
	var comps []comp
	for i := range g.rels {
		comps = append(comps, comp{o.leaf(g, i), 1 << i})
	}
	for len(comps) > 1 {
		bi, bj := -1, -1
		var bp *jplan
		bestConnected := false
		for i := range comps {
			for j := i + 1; j < len(comps); j++ {
				on := g.joinConds(comps[i].mask, comps[j].mask)
				conn := len(on) > 0
				if bestConnected && !conn {
					continue
				}
				p := o.join(comps[i].p, comps[j].p, on)
				if bp == nil || conn && !bestConnected || p.rows < bp.rows {
					bi, bj, bp, bestConnected = i, j, p, conn
				}
			}
		}
		comps[bi] = comp{bp, comps[bi].mask | comps[bj].mask}
		comps = append(comps[:bj], comps[bj+1:]...)
	}
	return comps[0].p.node
}

// classDomains records, for every column of an equivalence class of join equalities, the smallest
// domain any member has in its relation (a unique key's row count): the columns of a class are
// joined to that key, so they are taken to have no more distinct values than it — the
// foreign-key inference that makes c_nationkey = s_nationkey, both joined to nation's 25-row key,
// a join of 1/25 of the pairs and not 1/max(rows).
func (o *optimizer) classDomains(g *graph) {
	for _, c := range g.classes {
		d := math.Inf(1)
		for i, col := range c.cols {
			col = stripCast(col)
			if !col.IsColumn() {
				continue
			}
			if v, ok := o.estimate(g.rels[c.rel[i]].node).dom[col.Col]; ok {
				d = math.Min(d, v)
			}
		}
		if math.IsInf(d, 1) {
			continue
		}
		for _, col := range c.cols {
			if col = stripCast(col); col.IsColumn() {
				if old, ok := o.classDom[col.Col]; !ok || d < old {
					o.classDom[col.Col] = d
				}
			}
		}
	}
}
