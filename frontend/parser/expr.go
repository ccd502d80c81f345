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

// track records the depth of a composite node from its children's and fails when it is too deep.
func (p *parser) track(e ast.Expr, kids ...ast.Expr) ast.Expr {
	d := 0
	for _, k := range kids {
		if k != nil {
			d = max(d, p.depths[k])
		}
	}
	d++
	if d > maxTreeDepth {
		p.fail("expression nested too deeply")
	}
	if p.depths == nil {
		p.depths = map[ast.Expr]int{}
	}
	p.depths[e] = d
	return e
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
		x := p.notExpr()
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
			if p.isKw("SELECT") {
				p.fail("subqueries are not supported yet")
			}
			in := &ast.InExpr{Pos: t.pos, X: l, Not: not}
			for {
				in.List = append(in.List, p.expr())
				if len(in.List) > maxListLen {
					p.fail("IN list too long")
				}
				if !p.acceptOp(",") {
					break
				}
			}
			p.expectOp(")")
			l = p.track(in, append(in.List, l)...)
		case p.acceptKw("LIKE"):
			pat := p.additive()
			l = p.track(&ast.LikeExpr{Pos: t.pos, X: l, Pattern: pat, Not: not}, l, pat)
			if p.isKw("ESCAPE") {
				p.fail("LIKE ... ESCAPE is not supported yet")
			}
		case p.isKw("REGEXP") || p.isKw("RLIKE"):
			p.fail("REGEXP is not supported yet")
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
			p.next()
			if p.isKw("SELECT") {
				p.fail("subqueries are not supported yet")
			}
			e := p.expr()
			if p.isOp(",") {
				p.fail("row constructors are not supported yet")
			}
			p.expectOp(")")
			return e
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
		p.fail("subqueries are not supported yet")
	case "INTERVAL":
		p.fail("INTERVAL expressions are not supported yet")
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

func (p *parser) funcCall() ast.Expr {
	name := p.next()
	p.expectOp("(")
	f := &ast.FuncCall{Pos: name.pos, Name: name.text}
	if p.acceptOp(")") {
		return f
	}
	if p.acceptOp("*") {
		f.Star = true
		p.expectOp(")")
		return f
	}
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
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return p.track(f, f.Args...)
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
