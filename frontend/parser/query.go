package parser

import (
	"strings"

	"github.com/doricdb/doric/frontend/ast"
)

// The query language (Doris's grammar, MySQL's precedence):
//
//	query     := [WITH cte, ...] union [ORDER BY ...] [LIMIT ...]
//	union     := intersect {(UNION | EXCEPT | MINUS) [ALL | DISTINCT] intersect}
//	intersect := primary {INTERSECT [ALL | DISTINCT] primary}
//	primary   := SELECT ... | '(' query ')'
//	select    := SELECT [ALL | DISTINCT] items [FROM tables] [WHERE e] [GROUP BY ...] [HAVING e]
//	tables    := joined {',' joined}          -- the comma binds looser than JOIN
//	joined    := table {jointype JOIN [hint] table [ON e | USING (cols)]}
//	table     := name [PARTITION ...] [[AS] alias] | '(' query ')' [AS] alias [(cols)] | '(' tables ')'
//
// A parenthesised query may carry its own ORDER BY and LIMIT; ORDER BY and LIMIT after the last
// operand of a set operation apply to the whole operation.

// isQueryStart reports whether t starts a query that is not parenthesised: SELECT or WITH.
func isQueryStart(t token) bool { return isWord(t, "SELECT") || isWord(t, "WITH") }

// queryAfterParens reports whether the tokens from the n-th ahead on are a query, possibly in
// parentheses: `(SELECT`, `((SELECT`, ... — and not a parenthesised expression such as `(a % b)`.
func (p *parser) queryAfterParens(n int) bool {
	for {
		t := p.peekN(n)
		if t.kind != tOp || t.text != "(" { // the EOF token ends it too
			return isQueryStart(t)
		}
		n++
	}
}

// setOpKeyword reports whether t is UNION, INTERSECT, EXCEPT or MINUS.
func setOpKeyword(t token) bool {
	return isWord(t, "UNION") || isWord(t, "INTERSECT") || isWord(t, "EXCEPT") || isWord(t, "MINUS")
}

// continuesQuery reports whether the next tokens continue a query that has been parsed as a
// parenthesised operand: a set operator, ORDER BY or LIMIT.
func (p *parser) continuesQuery() bool {
	t := p.peek()
	return setOpKeyword(t) || isWord(t, "ORDER") && isWord(p.peekN(1), "BY") || isWord(t, "LIMIT")
}

// queryStatement parses a query as a statement.
func (p *parser) queryStatement() ast.Statement {
	q := p.query()
	if p.isKw("FOR") {
		p.fail("SELECT ... FOR UPDATE is not supported")
	}
	return q
}

// query parses [WITH ...] a set operation or a SELECT, with its ORDER BY and LIMIT.
func (p *parser) query() ast.QueryExpr {
	p.enter()
	defer p.leave()
	var with *ast.With
	withTok := p.peek()
	if p.isKw("WITH") {
		with = p.with()
	}
	q := p.queryFrom(p.queryPrimary())
	if with != nil {
		switch q := q.(type) {
		case *ast.Select:
			if q.With != nil {
				p.failAt(withTok, "a WITH clause before a parenthesised query with its own WITH clause is not supported yet")
			}
			q.With = with
		case *ast.SetOp:
			if q.With != nil {
				p.failAt(withTok, "a WITH clause before a parenthesised query with its own WITH clause is not supported yet")
			}
			q.With = with
		}
		p.queryDepth(q)
	}
	return q
}

// queryPrimary parses SELECT ... or a parenthesised query.
func (p *parser) queryPrimary() ast.QueryExpr {
	t := p.peek()
	switch {
	case isWord(t, "SELECT"):
		return p.selectCore()
	case t.kind == tOp && t.text == "(":
		p.next()
		q := p.query()
		p.expectOp(")")
		return q
	case isWord(t, "VALUES"):
		p.fail("VALUES as a query is not supported yet")
	}
	p.failExpected("SELECT or '('")
	return nil
}

// queryFrom parses the rest of a query whose first operand, first, has been parsed: set
// operations, then ORDER BY and LIMIT.
func (p *parser) queryFrom(first ast.QueryExpr) ast.QueryExpr {
	q := p.intersects(first)
	for {
		t := p.peek()
		op := ast.Union
		switch {
		case isWord(t, "UNION"):
		case isWord(t, "EXCEPT"), isWord(t, "MINUS"):
			op = ast.Except
		default:
			return p.queryOrganization(q)
		}
		p.next()
		all := p.setQuantifier()
		right := p.intersects(p.queryPrimary())
		q = p.setOp(op, all, q, right)
	}
}

// queryOrganization parses [ORDER BY ...] [LIMIT ...] after the query q and attaches them.
func (p *parser) queryOrganization(q ast.QueryExpr) ast.QueryExpr {
	orderTok := p.peek()
	var order []*ast.OrderItem
	if p.acceptKw("ORDER", "BY") {
		order = p.orderItems()
	}
	limitTok := p.peek()
	limit := p.limit()
	if order == nil && limit == nil {
		return q
	}
	var qOrder *[]*ast.OrderItem
	var qLimit **ast.Limit
	switch q := q.(type) {
	case *ast.Select:
		qOrder, qLimit = &q.OrderBy, &q.Limit
	case *ast.SetOp:
		qOrder, qLimit = &q.OrderBy, &q.Limit
	}
	if order != nil {
		if *qOrder != nil || *qLimit != nil {
			p.failAt(orderTok, "ORDER BY after a parenthesised query with its own ORDER BY or LIMIT is not supported yet")
		}
		*qOrder = order
	}
	if limit != nil {
		if *qLimit != nil {
			p.failAt(limitTok, "LIMIT after a parenthesised query with its own LIMIT is not supported yet")
		}
		*qLimit = limit
	}
	if setOpKeyword(p.peek()) {
		p.fail("ORDER BY or LIMIT of an operand of a set operation needs parentheses around the operand")
	}
	p.queryDepth(q)
	return q
}

// intersects parses {INTERSECT [ALL | DISTINCT] primary} after first.
func (p *parser) intersects(first ast.QueryExpr) ast.QueryExpr {
	q := first
	for p.acceptKw("INTERSECT") {
		all := p.setQuantifier()
		q = p.setOp(ast.Intersect, all, q, p.queryPrimary())
	}
	return q
}

func (p *parser) setQuantifier() bool {
	if p.acceptKw("ALL") {
		return true
	}
	p.acceptKw("DISTINCT")
	return false
}

func (p *parser) setOp(op ast.SetOpKind, all bool, l, r ast.QueryExpr) ast.QueryExpr {
	s := &ast.SetOp{Pos: l.Position(), Op: op, All: all, Left: l, Right: r}
	p.queryDepth(s)
	return s
}

// with parses WITH [RECURSIVE] name [(cols)] AS (query), ....
func (p *parser) with() *ast.With {
	t := p.next()
	w := &ast.With{Pos: t.pos}
	if p.isKw("RECURSIVE") && isIdentToken(p.peekN(1)) {
		p.next()
		w.Recursive = true
	}
	for {
		c := &ast.CTE{Pos: p.peek().pos, Name: p.ident("a common table expression name")}
		if p.isOp("(") {
			c.Columns = p.identList("a column name")
		}
		p.expectKw("AS")
		p.expectOp("(")
		c.Query = p.query()
		p.expectOp(")")
		w.CTEs = append(w.CTEs, c)
		if len(w.CTEs) > maxListLen {
			p.fail("too many common table expressions")
		}
		if !p.acceptOp(",") {
			return w
		}
	}
}

// selectCore parses a query block without ORDER BY and LIMIT (queryFrom adds those).
func (p *parser) selectCore() *ast.Select {
	sel := p.expectKw("SELECT")
	s := &ast.Select{Pos: sel.pos}
	if !p.acceptKw("ALL") {
		s.Distinct = p.acceptKw("DISTINCT")
	}
	for {
		s.Items = append(s.Items, p.selectItem())
		if len(s.Items) > maxListLen {
			p.fail("too many select items")
		}
		if !p.acceptOp(",") {
			break
		}
	}
	if p.acceptKw("FROM") {
		s.From = p.from()
	}
	if p.acceptKw("WHERE") {
		s.Where = p.expr()
	}
	if p.acceptKw("GROUP", "BY") {
		p.groupBy(s)
	}
	if p.acceptKw("HAVING") {
		s.Having = p.expr()
	}
	if p.isKw("QUALIFY") || p.isKw("WINDOW") {
		p.fail(strings.ToUpper(p.peek().text) + " is not supported yet")
	}
	p.queryDepth(s)
	return s
}

// groupBy parses what follows GROUP BY: ROLLUP(...), CUBE(...), GROUPING SETS (...) or a list,
// optionally WITH ROLLUP.
func (p *parser) groupBy(s *ast.Select) {
	t := p.peek()
	nextParen := p.peekN(1).kind == tOp && p.peekN(1).text == "("
	switch {
	case (isWord(t, "ROLLUP") || isWord(t, "CUBE")) && nextParen:
		p.next()
		p.next()
		s.Grouping = ast.GroupRollup
		if isWord(t, "CUBE") {
			s.Grouping = ast.GroupCube
		}
		s.GroupBy = p.exprList("too many grouping expressions")
		p.expectOp(")")
	case isWord(t, "GROUPING") && isWord(p.peekN(1), "SETS"):
		p.next()
		p.next()
		s.Grouping = ast.GroupSets
		p.expectOp("(")
		for {
			p.expectOp("(")
			var set []ast.Expr
			if !p.isOp(")") {
				set = p.exprList("too many grouping expressions")
			}
			p.expectOp(")")
			s.GroupingSets = append(s.GroupingSets, set)
			if len(s.GroupingSets) > maxListLen {
				p.fail("too many grouping sets")
			}
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	default:
		s.GroupBy = p.exprList("too many grouping expressions")
		if p.acceptKw("WITH", "ROLLUP") {
			s.Grouping = ast.GroupRollup
		}
	}
}

// exprList parses expr {, expr}.
func (p *parser) exprList(tooMany string) []ast.Expr {
	var es []ast.Expr
	for {
		es = append(es, p.expr())
		if len(es) > maxListLen {
			p.fail(tooMany)
		}
		if !p.acceptOp(",") {
			return es
		}
	}
}

// orderItems parses item {, item} after ORDER BY.
func (p *parser) orderItems() []*ast.OrderItem {
	var items []*ast.OrderItem
	for {
		items = append(items, p.orderItem())
		if len(items) > maxListLen {
			p.fail("too many ORDER BY items")
		}
		if !p.acceptOp(",") {
			return items
		}
	}
}

// notAlias are the non-reserved words that end a table or select item rather than name it.
var notAlias = map[string]bool{
	"STRAIGHT_JOIN": true, "INTERSECT": true, "EXCEPT": true, "MINUS": true, "FOR": true,
	"LATERAL": true, "QUALIFY": true, "WINDOW": true,
}

// isAlias reports whether the next token is an alias written without AS. FULL and NATURAL are
// aliases unless a join follows.
func (p *parser) isAlias() bool {
	t := p.peek()
	if !isIdentToken(t) || t.kind == tWord && notAlias[strings.ToUpper(t.text)] {
		return false
	}
	if isWord(t, "FULL") || isWord(t, "NATURAL") {
		nx := p.peekN(1)
		return !isWord(nx, "JOIN") && !isWord(nx, "OUTER") && !isWord(nx, "LEFT") && !isWord(nx, "RIGHT") && !isWord(nx, "INNER")
	}
	return true
}

// from parses the table expression of FROM; FROM DUAL is no FROM (nil).
func (p *parser) from() ast.TableExpr {
	first := p.peek()
	te := p.tables()
	p.requireAlias(te)
	if r, ok := te.(*ast.TableRef); ok && first.kind == tWord && r.Table.DB == "" && r.Alias == nil &&
		len(r.Partitions) == 0 && strings.EqualFold(r.Table.Name, "dual") {
		return nil
	}
	return te
}

// requireAlias fails on a derived table without an alias (one is only allowed as the whole of a
// parenthesised table expression, where it is a parenthesised query).
func (p *parser) requireAlias(te ast.TableExpr) {
	if d, ok := te.(*ast.DerivedTable); ok && d.Alias == nil {
		p.fail("every derived table must have its own alias")
	}
}

// tables parses joined {, joined}.
func (p *parser) tables() ast.TableExpr {
	left := p.joined()
	for {
		t := p.peek()
		if !p.acceptOp(",") {
			return left
		}
		p.requireAlias(left)
		right := p.joined()
		p.requireAlias(right)
		left = p.join(&ast.Join{Pos: t.pos, Kind: ast.CrossJoin, Comma: true, Left: left, Right: right})
	}
}

// joined parses table {jointype JOIN [hint] table [ON e | USING (cols)]}.
func (p *parser) joined() ast.TableExpr {
	left := p.tablePrimary()
	for {
		t := p.peek()
		if isWord(t, "LATERAL") {
			p.fail("LATERAL VIEW is not supported yet")
		}
		kind, ok := p.joinType()
		if !ok {
			return left
		}
		p.requireAlias(left)
		j := &ast.Join{Pos: t.pos, Kind: kind, Left: left}
		if p.acceptOp("[") {
			j.Hint = strings.ToLower(p.ident("a join hint").Name)
			p.expectOp("]")
		}
		j.Right = p.tablePrimary()
		p.requireAlias(j.Right)
		switch {
		case p.acceptKw("ON"):
			j.On = p.expr()
		case p.acceptKw("USING"):
			j.Using = p.identList("a column name")
		case kind != ast.InnerJoin && kind != ast.CrossJoin:
			p.failExpected("ON or USING")
		}
		left = p.join(j)
	}
}

// joinType consumes a join operator up to and including JOIN.
func (p *parser) joinType() (ast.JoinKind, bool) {
	t := p.peek()
	if t.kind != tWord {
		return 0, false
	}
	var kind ast.JoinKind
	switch strings.ToUpper(t.text) {
	case "JOIN":
		p.next()
		return ast.InnerJoin, true
	case "INNER":
		kind = ast.InnerJoin
	case "CROSS":
		kind = ast.CrossJoin
	case "LEFT", "RIGHT":
		left := isWord(t, "LEFT")
		p.next()
		switch {
		case p.acceptKw("SEMI"):
			kind = map[bool]ast.JoinKind{true: ast.LeftSemiJoin, false: ast.RightSemiJoin}[left]
		case p.acceptKw("ANTI"):
			kind = map[bool]ast.JoinKind{true: ast.LeftAntiJoin, false: ast.RightAntiJoin}[left]
		default:
			p.acceptKw("OUTER")
			kind = map[bool]ast.JoinKind{true: ast.LeftJoin, false: ast.RightJoin}[left]
		}
		p.expectKw("JOIN")
		return kind, true
	case "FULL":
		if !isWord(p.peekN(1), "JOIN") && !isWord(p.peekN(1), "OUTER") {
			return 0, false
		}
		p.next()
		p.acceptKw("OUTER")
		p.expectKw("JOIN")
		return ast.FullJoin, true
	case "NATURAL":
		p.fail("NATURAL joins are not supported yet")
	case "STRAIGHT_JOIN":
		p.fail("STRAIGHT_JOIN is not supported yet")
	default:
		return 0, false
	}
	p.next()
	p.expectKw("JOIN")
	return kind, true
}

func (p *parser) join(j *ast.Join) ast.TableExpr {
	p.setDepth(j, 1+max(p.depthOf(j.Left), p.depthOf(j.Right), p.depthOf(j.On)))
	return j
}

// tablePrimary parses a table, a derived table or a parenthesised table expression.
func (p *parser) tablePrimary() ast.TableExpr {
	t := p.peek()
	if t.kind == tOp && t.text == "(" {
		p.enter()
		defer p.leave()
		p.next()
		if isQueryStart(p.peek()) {
			q := p.query()
			p.expectOp(")")
			return p.derivedTable(t, q)
		}
		inner := p.tables()
		if d, ok := inner.(*ast.DerivedTable); ok && d.Alias == nil {
			// ((SELECT ...)) or ((SELECT ...) UNION ...): a parenthesised query.
			q := p.queryFrom(d.Query)
			p.expectOp(")")
			return p.derivedTable(t, q)
		}
		p.expectOp(")")
		return inner
	}
	if isWord(t, "LATERAL") {
		p.fail("LATERAL VIEW is not supported yet")
	}
	r := &ast.TableRef{Pos: t.pos, Table: p.tableName()}
	if p.isOp("(") {
		p.fail("table-valued functions are not supported yet")
	}
	r.Partitions = p.partitionNames()
	if p.acceptKw("AS") {
		id := p.ident("an alias after AS")
		r.Alias = &id
	} else if a := p.peek(); p.isAlias() {
		p.next()
		r.Alias = &ast.Ident{Pos: a.pos, Name: a.text}
	}
	if r.Alias != nil && p.isOp("(") {
		p.fail("column aliases of a table are not supported yet")
	}
	return r
}

// derivedTable parses the alias and column aliases after (query). Without an alias it returns an
// unaliased derived table only where the parentheses may turn out to be a parenthesised query
// (before ')' or a set operator, ORDER BY or LIMIT); the callers refuse it elsewhere.
func (p *parser) derivedTable(open token, q ast.QueryExpr) ast.TableExpr {
	d := &ast.DerivedTable{Pos: open.pos, Query: q}
	if p.acceptKw("AS") {
		id := p.ident("an alias after AS")
		d.Alias = &id
	} else if a := p.peek(); p.isAlias() {
		p.next()
		d.Alias = &ast.Ident{Pos: a.pos, Name: a.text}
	}
	if d.Alias != nil && p.isOp("(") {
		d.Columns = p.identList("a column alias")
	}
	if d.Alias == nil && !p.isOp(")") && !p.continuesQuery() {
		p.fail("every derived table must have its own alias")
	}
	p.setDepth(d, 1+p.depthOf(q))
	return d
}

// windowSpec parses (PARTITION BY ... ORDER BY ... frame) after OVER.
func (p *parser) windowSpec() *ast.WindowSpec {
	t := p.peek()
	if !p.isOp("(") {
		if isIdentToken(t) {
			p.fail("named windows are not supported yet")
		}
		p.failExpected("'(' after OVER")
	}
	p.next()
	w := &ast.WindowSpec{Pos: t.pos}
	if p.acceptKw("PARTITION", "BY") {
		w.PartitionBy = p.exprList("too many PARTITION BY expressions")
	}
	if p.acceptKw("ORDER", "BY") {
		w.OrderBy = p.orderItems()
	}
	if p.isKw("ROWS") || p.isKw("RANGE") {
		f := &ast.WindowFrame{Pos: p.peek().pos}
		if isWord(p.next(), "RANGE") {
			f.Unit = ast.FrameRange
		}
		if p.acceptKw("BETWEEN") {
			f.Start = p.frameBound()
			p.expectKw("AND")
			f.End = p.frameBound()
		} else {
			f.Start = p.frameBound()
			f.End = ast.FrameBound{Kind: ast.CurrentRow}
		}
		w.Frame = f
	}
	p.expectOp(")")
	return w
}

func (p *parser) frameBound() ast.FrameBound {
	switch {
	case p.acceptKw("UNBOUNDED"):
		switch {
		case p.acceptKw("PRECEDING"):
			return ast.FrameBound{Kind: ast.UnboundedPreceding}
		case p.acceptKw("FOLLOWING"):
			return ast.FrameBound{Kind: ast.UnboundedFollowing}
		}
		p.failExpected("PRECEDING or FOLLOWING")
	case p.acceptKw("CURRENT"):
		p.expectKw("ROW")
		return ast.FrameBound{Kind: ast.CurrentRow}
	}
	off := p.expr()
	switch {
	case p.acceptKw("PRECEDING"):
		return ast.FrameBound{Kind: ast.Preceding, Offset: off}
	case p.acceptKw("FOLLOWING"):
		return ast.FrameBound{Kind: ast.Following, Offset: off}
	}
	p.failExpected("PRECEDING or FOLLOWING")
	return ast.FrameBound{}
}

// windowExprs lists the expressions of a window spec (for depth tracking).
func windowExprs(w *ast.WindowSpec) []ast.Expr {
	if w == nil {
		return nil
	}
	es := append([]ast.Expr(nil), w.PartitionBy...)
	for _, o := range w.OrderBy {
		es = append(es, o.Expr)
	}
	if f := w.Frame; f != nil {
		es = append(es, f.Start.Offset, f.End.Offset)
	}
	return es
}

// queryDepth records the tree depth of a query from its parts' (which are recorded already).
func (p *parser) queryDepth(q ast.QueryExpr) {
	d := 0
	order := func(items []*ast.OrderItem) {
		for _, o := range items {
			d = max(d, p.depthOf(o.Expr))
		}
	}
	with := func(w *ast.With) {
		if w != nil {
			for _, c := range w.CTEs {
				d = max(d, p.depthOf(c.Query))
			}
		}
	}
	switch q := q.(type) {
	case *ast.Select:
		with(q.With)
		for _, it := range q.Items {
			d = max(d, p.depthOf(it.Expr))
		}
		d = max(d, p.depthOf(q.From), p.depthOf(q.Where), p.depthOf(q.Having))
		for _, e := range q.GroupBy {
			d = max(d, p.depthOf(e))
		}
		for _, set := range q.GroupingSets {
			for _, e := range set {
				d = max(d, p.depthOf(e))
			}
		}
		order(q.OrderBy)
	case *ast.SetOp:
		with(q.With)
		d = max(d, p.depthOf(q.Left), p.depthOf(q.Right))
		order(q.OrderBy)
	}
	p.setDepth(q, d+1)
}
