package parser

import (
	"strings"

	"github.com/doricdb/doric/frontend/ast"
)

// maxTreeDepth bounds the depth of an expression tree, so that consumers may walk trees
// recursively. maxDepth (the parser's own recursion) is set so that the canonical, fully
// parenthesised form of any accepted tree is accepted too: it nests at most two levels per node.
const (
	maxTreeDepth = 3000
	maxDepth     = 2*maxTreeDepth + 16
	maxListLen   = 1 << 20
)

// track records the depth of a composite expression from its children's and fails when it is
// too deep.
func (p *parser) track(e ast.Expr, kids ...ast.Expr) ast.Expr {
	d := 0
	for _, k := range kids {
		d = max(d, p.depthOf(k))
	}
	p.setDepth(e, d+1)
	return e
}

// trackQuery is track for an expression that holds a query besides its expression children.
func (p *parser) trackQuery(e ast.Expr, q ast.QueryExpr, kids ...ast.Expr) ast.Expr {
	p.track(e, kids...)
	p.setDepth(e, max(p.depthOf(e), p.depthOf(q)+1))
	return e
}

// depthOf is the recorded tree depth of n: 0 for leaves and nil.
func (p *parser) depthOf(n ast.Node) int {
	if n == nil {
		return 0
	}
	return p.depths[n]
}

// setDepth records the tree depth of a composite node (expression, query or table expression)
// and fails when it is too deep: consumers walk trees recursively.
func (p *parser) setDepth(n ast.Node, d int) {
	if d > maxTreeDepth {
		p.fail("expression nested too deeply")
	}
	if p.depths == nil {
		p.depths = map[ast.Node]int{}
	}
	p.depths[n] = d
}

// Operator precedence, loosest first (MySQL's):
//
//	OR ||
//	AND &&
//	NOT
//	= <=> != <> < <= > >= IS, [NOT] BETWEEN, [NOT] IN, [NOT] LIKE
//	+ -
//	* / % DIV MOD
//	unary - + !
func (p *parser) expr() ast.Expr {
	p.enter()
	defer p.leave()
	return p.orExpr()
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail("expression nested too deeply")
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) orExpr() ast.Expr {
	l := p.andExpr()
	for {
		t := p.peek()
		if !p.acceptKw("OR") && !p.acceptOp("||") {
			return l
		}
		r := p.andExpr()
		l = p.track(&ast.BinaryExpr{Pos: t.pos, Op: ast.OpOr, L: l, R: r}, l, r)
	}
}

func (p *parser) andExpr() ast.Expr {
	l := p.notExpr()
	for {
		t := p.peek()
		if !p.acceptKw("AND") && !p.acceptOp("&&") {
			return l
		}
		r := p.notExpr()
		l = p.track(&ast.BinaryExpr{Pos: t.pos, Op: ast.OpAnd, L: l, R: r}, l, r)
	}
}

func (p *parser) notExpr() ast.Expr {
	if t := p.peek(); p.acceptKw("NOT") {
		p.enter()
		defer p.leave()
		after := p.peek()
		x := p.notExpr()
		// NOT EXISTS (query) is one node; NOT (EXISTS (query)) stays a negation.
		if e, ok := x.(*ast.ExistsExpr); ok && !e.Not && isWord(after, "EXISTS") && e.Pos == after.pos {
			e.Not, e.Pos = true, t.pos
			return e
		}
		return p.track(&ast.UnaryExpr{Pos: t.pos, Op: ast.OpNot, X: x}, x)
	}
	return p.predicate()
}

var comparisonOps = map[string]ast.BinaryOp{
	"=": ast.OpEq, "<=>": ast.OpNullSafeEq, "!=": ast.OpNe, "<>": ast.OpNe,
	"<": ast.OpLt, "<=": ast.OpLe, ">": ast.OpGt, ">=": ast.OpGe,
}

func (p *parser) predicate() ast.Expr {
	l := p.additive()
	for {
		t := p.peek()
		if t.kind == tOp {
			op, ok := comparisonOps[t.text]
			if !ok {
				return l
			}
			p.next()
			// x op ANY|SOME|ALL (query); any(...) that is not a subquery is a function call.
			if q := p.peek(); (isWord(q, "ANY") || isWord(q, "SOME") || isWord(q, "ALL")) && p.peekN(1).kind == tOp &&
				p.peekN(1).text == "(" && p.queryAfterParens(2) {
				p.next()
				p.next()
				sub := p.query()
				p.expectOp(")")
				c := &ast.CompareSubquery{Pos: t.pos, Op: op, All: isWord(q, "ALL"), X: l, Query: sub}
				l = p.trackQuery(c, sub, l)
				continue
			}
			r := p.additive()
			l = p.track(&ast.BinaryExpr{Pos: t.pos, Op: op, L: l, R: r}, l, r)
			continue
		}
		if p.acceptKw("IS") {
			e := &ast.IsExpr{Pos: t.pos, X: l, Not: p.acceptKw("NOT")}
			switch {
			case p.acceptKw("NULL"):
				e.What = ast.IsNull
			case p.acceptKw("TRUE"):
				e.What = ast.IsTrue
			case p.acceptKw("FALSE"):
				e.What = ast.IsFalse
			case p.acceptKw("UNKNOWN"):
				e.What = ast.IsUnknown
			default:
				p.failExpected("NULL, TRUE, FALSE or UNKNOWN after IS")
			}
			l = p.track(e, l)
			continue
		}
		not := false
		if isWord(t, "NOT") {
			nx := p.peekN(1)
			if !isWord(nx, "BETWEEN") && !isWord(nx, "IN") && !isWord(nx, "LIKE") && !isWord(nx, "REGEXP") && !isWord(nx, "RLIKE") {
				return l
			}
			p.next()
			not = true
		}
		switch {
		case p.acceptKw("BETWEEN"):
			lo := p.additive()
			p.expectKw("AND")
			hi := p.additive()
			l = p.track(&ast.BetweenExpr{Pos: t.pos, X: l, Lo: lo, Hi: hi, Not: not}, l, lo, hi)
		case p.acceptKw("IN"):
			p.expectOp("(")
			in := &ast.InExpr{Pos: t.pos, X: l, Not: not}
			if isQueryStart(p.peek()) {
				in.Query = p.query()
			} else {
				for {
					e := p.expr()
					if sq, ok := e.(*ast.Subquery); ok && len(in.List) == 0 && p.continuesQuery() {
						// x IN ((SELECT ...) UNION ...): the list is a parenthesised query.
						in.Query = p.queryFrom(sq.Query)
						break
					}
					in.List = append(in.List, e)
					if len(in.List) > maxListLen {
						p.fail("IN list too long")
					}
					if !p.acceptOp(",") {
						break
					}
				}
			}
			p.expectOp(")")
			l = p.trackQuery(in, in.Query, append(in.List, l)...)
		case p.isKw("LIKE") || p.isKw("REGEXP") || p.isKw("RLIKE"):
			re := !isWord(p.next(), "LIKE")
			pat := p.additive()
			e := &ast.LikeExpr{Pos: t.pos, X: l, Pattern: pat, Not: not, Regexp: re}
			if !re && p.acceptKw("ESCAPE") {
				e.Escape = p.additive()
			}
			l = p.track(e, l, pat, e.Escape)
		default:
			return l
		}
	}
}

func (p *parser) additive() ast.Expr {
	l := p.multiplicative()
	for {
		t := p.peek()
		var op ast.BinaryOp
		switch {
		case p.acceptOp("+"):
			op = ast.OpAdd
		case p.acceptOp("-"):
			op = ast.OpSub
		default:
			return l
		}
		r := p.multiplicative()
		l = p.track(&ast.BinaryExpr{Pos: t.pos, Op: op, L: l, R: r}, l, r)
	}
}

func (p *parser) multiplicative() ast.Expr {
	l := p.unary()
	for {
		t := p.peek()
		var op ast.BinaryOp
		switch {
		case p.acceptOp("*"):
			op = ast.OpMul
		case p.acceptOp("/"):
			op = ast.OpDiv
		case p.acceptOp("%"), p.acceptKw("MOD"):
			op = ast.OpMod
		case p.acceptKw("DIV"):
			op = ast.OpIntDiv
		default:
			return l
		}
		r := p.unary()
		l = p.track(&ast.BinaryExpr{Pos: t.pos, Op: op, L: l, R: r}, l, r)
	}
}

func (p *parser) unary() ast.Expr {
	t := p.peek()
	if t.kind != tOp {
		return p.primary()
	}
	switch t.text {
	case "-":
		p.next()
		p.enter()
		defer p.leave()
		x := p.unary()
		if lit, ok := x.(*ast.Literal); ok && (lit.Kind == ast.LitInt || lit.Kind == ast.LitDecimal || lit.Kind == ast.LitFloat) {
			v := lit.Value
			if strings.HasPrefix(v, "-") {
				v = v[1:]
			} else {
				v = "-" + v
			}
			return &ast.Literal{Pos: t.pos, Kind: lit.Kind, Value: v}
		}
		return p.track(&ast.UnaryExpr{Pos: t.pos, Op: ast.OpNeg, X: x}, x)
	case "+":
		p.next()
		p.enter()
		defer p.leave()
		x := p.unary()
		return p.track(&ast.UnaryExpr{Pos: t.pos, Op: ast.OpPlus, X: x}, x)
	case "!":
		p.next()
		p.enter()
		defer p.leave()
		x := p.unary()
		return p.track(&ast.UnaryExpr{Pos: t.pos, Op: ast.OpNot, X: x}, x)
	case "~":
		p.fail("bitwise operators are not supported yet")
	}
	return p.primary()
}

// funcKeywords are reserved words that still name a function when followed by '('.
var funcKeywords = map[string]bool{"LEFT": true, "RIGHT": true, "MOD": true, "DATABASE": true, "INSERT": true}

// niladic are the functions that may be written without parentheses; all are reserved words, so
// that a column of the same name must be quoted and cannot be mistaken for the call.
var niladic = map[string]bool{
	"CURRENT_TIMESTAMP": true, "CURRENT_DATE": true, "CURRENT_TIME": true,
	"LOCALTIME": true, "LOCALTIMESTAMP": true, "CURRENT_USER": true,
}

func (p *parser) primary() ast.Expr {
	t := p.peek()
	switch t.kind {
	case tInt:
		p.next()
		return &ast.Literal{Pos: t.pos, Kind: ast.LitInt, Value: t.text}
	case tDecimal:
		p.next()
		return &ast.Literal{Pos: t.pos, Kind: ast.LitDecimal, Value: t.text}
	case tFloat:
		p.next()
		return &ast.Literal{Pos: t.pos, Kind: ast.LitFloat, Value: t.text}
	case tString:
		p.next()
		return &ast.Literal{Pos: t.pos, Kind: ast.LitString, Value: t.text}
	case tSysVar, tUserVar:
		p.next()
		return &ast.Variable{Pos: t.pos, Scope: t.scope, Name: t.text}
	case tQuotedIdent:
		return p.columnRef()
	case tOp:
		if t.text == "(" {
			return p.parenExpr()
		}
		p.failExpected("an expression")
	case tEOF:
		p.failExpected("an expression")
	}
	// A word.
	up := strings.ToUpper(t.text)
	next := p.peekN(1)
	nextIsParen := next.kind == tOp && next.text == "("
	switch up {
	case "NULL":
		p.next()
		return &ast.Literal{Pos: t.pos, Kind: ast.LitNull}
	case "TRUE", "FALSE":
		p.next()
		return &ast.Literal{Pos: t.pos, Kind: ast.LitBool, Value: up}
	case "DATE", "TIMESTAMP", "DATETIME":
		if next.kind == tString {
			p.next()
			p.next()
			kind := ast.LitTimestamp
			if up == "DATE" {
				kind = ast.LitDate
			}
			return &ast.Literal{Pos: t.pos, Kind: kind, Value: next.text}
		}
	case "CASE":
		return p.caseExpr()
	case "CAST":
		p.next()
		p.expectOp("(")
		x := p.expr()
		p.expectKw("AS")
		typ := p.typeName()
		p.expectOp(")")
		return p.track(&ast.CastExpr{Pos: t.pos, X: x, Type: typ}, x)
	case "EXISTS":
		if nextIsParen {
			p.next()
			p.next()
			q := p.query()
			p.expectOp(")")
			return p.trackQuery(&ast.ExistsExpr{Pos: t.pos, Query: q}, q)
		}
	case "INTERVAL":
		p.next()
		v := p.expr()
		return p.track(&ast.IntervalExpr{Pos: t.pos, Value: v, Unit: p.timeUnit()}, v)
	case "EXTRACT":
		if nextIsParen && p.peekN(2).kind == tWord && isWord(p.peekN(3), "FROM") {
			p.next()
			p.next()
			unit := p.timeUnit()
			p.next() // FROM
			x := p.expr()
			p.expectOp(")")
			return p.track(&ast.ExtractExpr{Pos: t.pos, Unit: unit, X: x}, x)
		}
	}
	if niladic[up] && !nextIsParen {
		p.next()
		return &ast.FuncCall{Pos: t.pos, Name: t.text}
	}
	if nextIsParen && (!ast.IsReserved(up) || funcKeywords[up] || niladic[up]) {
		return p.funcCall()
	}
	if ast.IsReserved(up) {
		p.failExpected("an expression")
	}
	return p.columnRef()
}

func (p *parser) columnRef() ast.Expr {
	first := p.ident("a column name")
	parts := []string{first.Name}
	for len(parts) < 3 && p.isOp(".") {
		p.next()
		parts = append(parts, p.ident("a column name").Name)
	}
	c := &ast.ColumnRef{Pos: first.Pos}
	switch len(parts) {
	case 1:
		c.Name = parts[0]
	case 2:
		c.Table, c.Name = parts[0], parts[1]
	default:
		c.DB, c.Table, c.Name = parts[0], parts[1], parts[2]
	}
	if p.isOp(".") {
		p.fail("too many name qualifiers")
	}
	return c
}

// parenExpr parses what starts with '(' in an expression: a scalar subquery, a parenthesised
// expression or a row constructor (a, b, ...).
func (p *parser) parenExpr() ast.Expr {
	open := p.next()
	if isQueryStart(p.peek()) {
		q := p.query()
		p.expectOp(")")
		return p.trackQuery(&ast.Subquery{Pos: open.pos, Query: q}, q)
	}
	e := p.expr()
	if sq, ok := e.(*ast.Subquery); ok && p.continuesQuery() {
		// ((SELECT ...) UNION ...): a parenthesised query.
		q := p.queryFrom(sq.Query)
		p.expectOp(")")
		return p.trackQuery(&ast.Subquery{Pos: open.pos, Query: q}, q)
	}
	if p.isOp(",") {
		row := &ast.RowExpr{Pos: open.pos, Items: []ast.Expr{e}}
		for p.acceptOp(",") {
			row.Items = append(row.Items, p.expr())
			if len(row.Items) > maxListLen {
				p.fail("row constructor too long")
			}
		}
		p.expectOp(")")
		return p.track(row, row.Items...)
	}
	p.expectOp(")")
	return e
}

// timeUnits are the units of INTERVAL and EXTRACT (Doris's).
var timeUnits = map[string]bool{
	"YEAR": true, "QUARTER": true, "MONTH": true, "WEEK": true, "DAY": true, "HOUR": true, "MINUTE": true, "SECOND": true,
}

// timeUnit parses a unit of INTERVAL or EXTRACT, upper-cased.
func (p *parser) timeUnit() string {
	t := p.peek()
	if t.kind != tWord || !timeUnits[strings.ToUpper(t.text)] {
		p.failExpected("a time unit (YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE or SECOND)")
	}
	p.next()
	return strings.ToUpper(t.text)
}

// funcCall parses name(args) [OVER (...)], with the special argument forms of the dialect:
// name(*), name(DISTINCT args), name(args ORDER BY ...), GROUP_CONCAT(args SEPARATOR s),
// SUBSTRING|SUBSTR(x FROM a [FOR b]), TRIM([BOTH|LEADING|TRAILING] [c] FROM x) and
// POSITION(a IN b); the special forms become plain calls (see ast.FuncCall).
func (p *parser) funcCall() ast.Expr {
	name := p.next()
	p.expectOp("(")
	f := &ast.FuncCall{Pos: name.pos, Name: name.text}
	up := strings.ToUpper(name.text)
	switch {
	case p.acceptOp(")"):
	case p.isOp("*"):
		p.next()
		f.Star = true
		p.expectOp(")")
	case up == "TRIM" && p.trimArgs(f):
	case up == "POSITION" && p.positionArgs(f):
	default:
		if p.acceptKw("DISTINCT") {
			f.Distinct = true
		} else {
			p.acceptKw("ALL")
		}
		for {
			f.Args = append(f.Args, p.expr())
			if len(f.Args) > maxListLen {
				p.fail("too many arguments")
			}
			if len(f.Args) == 1 && (up == "SUBSTRING" || up == "SUBSTR") && p.acceptKw("FROM") {
				f.Args = append(f.Args, p.expr())
				if p.acceptKw("FOR") {
					f.Args = append(f.Args, p.expr())
				}
				break
			}
			if !p.acceptOp(",") {
				break
			}
		}
		if p.acceptKw("ORDER", "BY") {
			f.OrderBy = p.orderItems()
		}
		if up == "GROUP_CONCAT" && p.acceptKw("SEPARATOR") {
			f.Args = append(f.Args, p.expr())
		}
		p.expectOp(")")
	}
	if p.acceptKw("OVER") {
		f.Over = p.windowSpec()
	}
	kids := append([]ast.Expr(nil), f.Args...)
	for _, o := range f.OrderBy {
		kids = append(kids, o.Expr)
	}
	return p.track(f, append(kids, windowExprs(f.Over)...)...)
}

// argHas reports whether the keyword kw occurs at parenthesis depth 0 in the function argument
// that starts at the next token (before its ',' or ')'). Parenthesised groups are skipped in one
// step (closing), so nested calls do not rescan their arguments.
func (p *parser) argHas(kw string) bool {
	for i := p.i; i < len(p.toks); i++ {
		t := p.toks[i]
		switch {
		case t.kind == tEOF:
			return false
		case t.kind == tOp && t.text == "(":
			i = p.closing(i)
		case t.kind == tOp && (t.text == ")" || t.text == "," || t.text == ";"):
			return false
		case isWord(t, kw):
			return true
		}
	}
	return false
}

// closing returns the index of the ')' that matches the '(' at index open (the EOF token's when
// there is none), computing the matches of the whole input on first use.
func (p *parser) closing(open int) int {
	if p.closeOf == nil {
		p.closeOf = make(map[int]int)
		var stack []int
		for i, t := range p.toks {
			switch {
			case t.kind == tOp && t.text == "(":
				stack = append(stack, i)
			case t.kind == tOp && t.text == ")" && len(stack) > 0:
				p.closeOf[stack[len(stack)-1]] = i
				stack = stack[:len(stack)-1]
			}
		}
	}
	if c, ok := p.closeOf[open]; ok {
		return c
	}
	return len(p.toks) - 1
}

// trimArgs parses the arguments of TRIM([BOTH|LEADING|TRAILING] [c] FROM x) up to ')' into
// trim|ltrim|rtrim(x[, c]); it reports false (consuming nothing) for the plain form TRIM(x, ...).
func (p *parser) trimArgs(f *ast.FuncCall) bool {
	if !p.argHas("FROM") {
		return false
	}
	spec := p.peek()
	if isWord(spec, "BOTH") || isWord(spec, "LEADING") || isWord(spec, "TRAILING") {
		p.next()
		switch strings.ToUpper(spec.text) {
		case "LEADING":
			f.Name = "ltrim"
		case "TRAILING":
			f.Name = "rtrim"
		}
	}
	if p.acceptKw("FROM") {
		f.Args = []ast.Expr{p.expr()}
	} else {
		c := p.expr()
		p.expectKw("FROM")
		f.Args = []ast.Expr{p.expr(), c}
	}
	p.expectOp(")")
	return true
}

// positionArgs parses POSITION(a IN b) up to ')' into locate(a, b); it reports false (consuming
// nothing) for the plain form POSITION(a, ...).
func (p *parser) positionArgs(f *ast.FuncCall) bool {
	if !p.argHas("IN") {
		return false
	}
	a := p.additive()
	p.expectKw("IN")
	f.Name = "locate"
	f.Args = []ast.Expr{a, p.expr()}
	p.expectOp(")")
	return true
}

func (p *parser) caseExpr() ast.Expr {
	c := &ast.CaseExpr{Pos: p.next().pos}
	if !p.isKw("WHEN") {
		c.Operand = p.expr()
	}
	for {
		t := p.peek()
		if !p.acceptKw("WHEN") {
			break
		}
		cond := p.expr()
		p.expectKw("THEN")
		c.Whens = append(c.Whens, &ast.When{Pos: t.pos, Cond: cond, Result: p.expr()})
		if len(c.Whens) > maxListLen {
			p.fail("too many WHEN branches")
		}
	}
	if len(c.Whens) == 0 {
		p.failExpected("WHEN")
	}
	if p.acceptKw("ELSE") {
		c.Else = p.expr()
	}
	p.expectKw("END")
	kids := []ast.Expr{c.Operand, c.Else}
	for _, w := range c.Whens {
		kids = append(kids, w.Cond, w.Result)
	}
	return p.track(c, kids...)
}

// typeName parses a type: a word and optional integer arguments, e.g. DECIMAL(10, 2),
// VARCHAR(20), DATETIME(3), SIGNED [INTEGER]. The name is upper-cased; the binder validates it.
func (p *parser) typeName() ast.TypeName {
	t := p.peek()
	if t.kind != tWord {
		p.failExpected("a type name")
	}
	p.next()
	tn := ast.TypeName{Pos: t.pos, Name: strings.ToUpper(t.text)}
	if tn.Name == "SIGNED" || tn.Name == "UNSIGNED" {
		if !p.acceptKw("INTEGER") {
			p.acceptKw("INT")
		}
		return tn
	}
	if p.acceptOp("(") {
		for {
			tn.Args = append(tn.Args, p.intLit("an integer type argument"))
			if len(tn.Args) > 2 || !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	}
	if p.isOp("<") {
		p.fail("complex types are not supported yet")
	}
	return tn
}
