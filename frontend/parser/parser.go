package parser

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/doricdb/doric/frontend/ast"
)

// Parse parses one or more statements separated by ';'. Empty statements are skipped, so "" and
// ";" give no statements. Any error is a *SyntaxError.
func Parse(sql string) (stmts []ast.Statement, err error) {
	toks, err := tokenize(sql)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			stmts, err = nil, b.err
		}
	}()
	for {
		for p.acceptOp(";") {
		}
		if p.peek().kind == tEOF {
			return stmts, nil
		}
		stmts = append(stmts, p.statement())
		if p.peek().kind != tEOF && !p.isOp(";") {
			p.failExpected("';' or end of input")
		}
	}
}

// ParseOne parses exactly one statement (a trailing ';' is allowed).
func ParseOne(sql string) (ast.Statement, error) {
	stmts, err := Parse(sql)
	if err != nil {
		return nil, err
	}
	switch len(stmts) {
	case 1:
		return stmts[0], nil
	case 0:
		return nil, &SyntaxError{Line: 1, Col: 1, AtEOF: true, Msg: "empty statement"}
	}
	return nil, &SyntaxError{Line: stmts[1].Position().Line, Col: stmts[1].Position().Col,
		Offset: stmts[1].Position().Offset, Near: firstWord(sql[stmts[1].Position().Offset:]),
		Msg: "expected a single statement"}
}

// ParseExpr parses a single expression (for tests and tools).
func ParseExpr(sql string) (e ast.Expr, err error) {
	toks, err := tokenize(sql)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			e, err = nil, b.err
		}
	}()
	e = p.expr()
	if p.peek().kind != tEOF {
		p.failExpected("end of input")
	}
	return e, nil
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, " \t\r\n;("); i > 0 {
		return s[:i]
	}
	return s
}

// bailout carries a syntax error up the recursive descent to Parse, which recovers it. No other
// panic value is recovered.
type bailout struct{ err *SyntaxError }

type parser struct {
	toks    []token
	i       int
	depth   int              // recursion depth of the expression descent
	depths  map[ast.Node]int // tree depth of composite nodes (expressions, queries, joins)
	closeOf map[int]int      // token index of '(' -> of its matching ')' (see closing)
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekN(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) failAt(t token, msg string) {
	e := &SyntaxError{Line: t.pos.Line, Col: t.pos.Col, Offset: t.pos.Offset, Near: t.raw, Msg: msg}
	if t.kind == tEOF {
		e.AtEOF = true
	}
	panic(bailout{e})
}

func (p *parser) fail(msg string) { p.failAt(p.peek(), msg) }

func (p *parser) failExpected(what string) { p.fail("expected " + what) }

func isWord(t token, kw string) bool { return t.kind == tWord && strings.EqualFold(t.text, kw) }

func (p *parser) isKw(kw string) bool { return isWord(p.peek(), kw) }

// acceptKw consumes the keywords if the next tokens are exactly them.
func (p *parser) acceptKw(kws ...string) bool {
	for i, kw := range kws {
		if !isWord(p.peekN(i), kw) {
			return false
		}
	}
	p.i += len(kws)
	return true
}

func (p *parser) expectKw(kws ...string) token {
	t := p.peek()
	for _, kw := range kws {
		if !p.isKw(kw) {
			p.failExpected(strings.Join(kws, " "))
		}
		p.next()
	}
	return t
}

func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == op
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectOp(op string) token {
	if !p.isOp(op) {
		p.failExpected("'" + op + "'")
	}
	return p.next()
}

// isIdentToken reports whether t can be an identifier: a non-reserved word or a quoted name.
func isIdentToken(t token) bool {
	return t.kind == tQuotedIdent || t.kind == tWord && !ast.IsReserved(t.text)
}

func (p *parser) ident(what string) ast.Ident {
	t := p.peek()
	if !isIdentToken(t) {
		if t.kind == tWord {
			p.fail(fmt.Sprintf("expected %s ('%s' is a reserved word; quote it with backticks)", what, t.text))
		}
		p.failExpected(what)
	}
	p.next()
	return ast.Ident{Pos: t.pos, Name: t.text}
}

func (p *parser) identList(what string) []ast.Ident {
	p.expectOp("(")
	var ids []ast.Ident
	for {
		ids = append(ids, p.ident(what))
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return ids
}

// tableName parses [db.]name.
func (p *parser) tableName() ast.TableName {
	first := p.ident("a table name")
	if p.acceptOp(".") {
		second := p.ident("a table name")
		return ast.TableName{Pos: first.Pos, DB: first.Name, Name: second.Name}
	}
	return ast.TableName{Pos: first.Pos, Name: first.Name}
}

func (p *parser) stringLit(what string) string {
	t := p.peek()
	if t.kind != tString {
		p.failExpected(what)
	}
	p.next()
	return t.text
}

// intLit parses a non-negative integer literal that fits in int64.
func (p *parser) intLit(what string) int64 {
	t := p.peek()
	if t.kind != tInt {
		p.failExpected(what)
	}
	v, err := strconv.ParseInt(t.text, 10, 64)
	if err != nil {
		p.fail(what + " out of range")
	}
	p.next()
	return v
}

func (p *parser) optLike() *string {
	if p.acceptKw("LIKE") {
		s := p.stringLit("a string pattern after LIKE")
		return &s
	}
	return nil
}

func (p *parser) statement() ast.Statement {
	t := p.peek()
	if t.kind != tWord {
		if t.kind == tOp && t.text == "(" {
			return p.queryStatement()
		}
		p.failExpected("a statement")
	}
	switch strings.ToUpper(t.text) {
	case "SELECT", "WITH":
		return p.queryStatement()
	case "INSERT":
		return p.insert()
	case "CREATE":
		p.next()
		switch {
		case p.isKw("DATABASE") || p.isKw("SCHEMA"):
			return p.createDatabase(t)
		case p.isKw("TABLE"):
			return p.createTable(t)
		case p.acceptKw("STORAGE"):
			p.expectKw("VAULT")
			s := &ast.CreateStorageVault{Pos: t.pos}
			s.IfNotExists = p.acceptKw("IF", "NOT", "EXISTS")
			s.Name = p.ident("a storage vault name")
			if p.isKw("PROPERTIES") {
				s.Properties = p.properties()
			}
			return s
		case p.isKw("EXTERNAL") || p.isKw("TEMPORARY"):
			p.fail("only OLAP tables are supported")
		}
		p.failExpected("DATABASE, TABLE or STORAGE VAULT after CREATE")
	case "ANALYZE":
		return p.analyze()
	case "DROP":
		p.next()
		if p.isKw("STATS") {
			return p.dropStats(t)
		}
		switch {
		case p.isKw("DATABASE") || p.isKw("SCHEMA"):
			p.next()
			s := &ast.DropDatabase{Pos: t.pos}
			s.IfExists = p.acceptKw("IF", "EXISTS")
			s.Name = p.ident("a database name")
			s.Force = p.acceptKw("FORCE")
			return s
		case p.isKw("TABLE"):
			p.next()
			s := &ast.DropTable{Pos: t.pos}
			s.IfExists = p.acceptKw("IF", "EXISTS")
			s.Table = p.tableName()
			s.Force = p.acceptKw("FORCE")
			return s
		}
		p.failExpected("DATABASE or TABLE after DROP")
	case "USE":
		p.next()
		return &ast.Use{Pos: t.pos, DB: p.ident("a database name")}
	case "SHOW":
		return p.show()
	case "DESC", "DESCRIBE", "EXPLAIN":
		p.next()
		if e := p.explain(t); e != nil {
			return e
		}
		return &ast.Describe{Pos: t.pos, Table: p.tableName()}
	case "SET":
		return p.set()
	case "KILL":
		return p.kill()
	case "BEGIN":
		p.next()
		s := &ast.Begin{Pos: t.pos}
		if p.acceptKw("WITH", "LABEL") {
			id := p.ident("a label")
			s.Label = &id
		}
		return s
	case "START":
		p.next()
		p.expectKw("TRANSACTION")
		return &ast.Begin{Pos: t.pos}
	case "COMMIT":
		p.next()
		p.acceptKw("WORK")
		return &ast.Commit{Pos: t.pos}
	case "ROLLBACK":
		p.next()
		p.acceptKw("WORK")
		return &ast.Rollback{Pos: t.pos}
	case "ALTER":
		if isWord(p.peekN(1), "TABLE") {
			p.next()
			p.next()
			return p.alterTable(t)
		}
		if isWord(p.peekN(1), "STORAGE") {
			p.next()
			p.next()
			p.expectKw("VAULT")
			s := &ast.AlterStorageVault{Pos: t.pos}
			s.Name = p.ident("a storage vault name")
			s.Properties = p.properties()
			return s
		}
		p.fail("ALTER statements other than ALTER TABLE and ALTER STORAGE VAULT are not supported yet")
	case "UNSET":
		p.fail("UNSET DEFAULT STORAGE VAULT is not supported yet")
	case "DELETE":
		return p.deleteStmt()
	case "UPDATE":
		return p.updateStmt()
	case "TRUNCATE":
		p.fail(strings.ToUpper(t.text) + " statements are not supported yet")
	}
	p.failExpected("a statement")
	return nil
}

func (p *parser) createDatabase(create token) ast.Statement {
	p.next() // DATABASE | SCHEMA
	s := &ast.CreateDatabase{Pos: create.pos}
	s.IfNotExists = p.acceptKw("IF", "NOT", "EXISTS")
	s.Name = p.ident("a database name")
	if p.isKw("PROPERTIES") {
		s.Properties = p.properties()
	}
	return s
}

// properties parses PROPERTIES ("k" = "v", ...).
func (p *parser) properties() []ast.Property {
	p.expectKw("PROPERTIES")
	p.expectOp("(")
	var props []ast.Property
	for {
		t := p.peek()
		k := p.stringLit("a quoted property name")
		p.expectOp("=")
		v := p.stringLit("a quoted property value")
		props = append(props, ast.Property{Pos: t.pos, Key: k, Value: v})
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return props
}

func (p *parser) show() ast.Statement {
	show := p.next()
	t := p.peek()
	switch {
	case p.acceptKw("DATABASES") || p.acceptKw("SCHEMAS"):
		return &ast.ShowDatabases{Pos: show.pos, Like: p.optLike()}
	case p.acceptKw("CREATE"):
		p.expectKw("TABLE")
		return &ast.ShowCreateTable{Pos: show.pos, Table: p.tableName()}
	case p.acceptKw("STORAGE"):
		if !p.acceptKw("VAULTS") && !p.acceptKw("VAULT") {
			p.failExpected("VAULTS after SHOW STORAGE")
		}
		return &ast.ShowStorageVaults{Pos: show.pos}
	case p.isKw("GLOBAL") || p.isKw("SESSION") || p.isKw("LOCAL") || p.isKw("VARIABLES"):
		s := &ast.ShowVariables{Pos: show.pos}
		switch {
		case p.acceptKw("GLOBAL"):
			s.Scope = ast.ScopeGlobal
		case p.acceptKw("SESSION"), p.acceptKw("LOCAL"):
			s.Scope = ast.ScopeSession
		}
		p.expectKw("VARIABLES")
		if p.acceptKw("WHERE") {
			s.Where = p.expr()
		} else {
			s.Like = p.optLike()
		}
		return s
	}
	if p.acceptKw("LOAD") {
		return p.showLoad(show)
	}
	if p.isKw("COLUMN") && isWord(p.peekN(1), "STATS") {
		return p.showColumnStats(show)
	}
	if p.isKw("TEMPORARY") && isWord(p.peekN(1), "PARTITIONS") {
		p.fail("temporary partitions are not supported")
	}
	if p.acceptKw("PARTITIONS") {
		s := &ast.ShowPartitions{Pos: show.pos}
		p.expectKw("FROM")
		s.Table = p.tableName()
		if p.acceptKw("WHERE") {
			s.Where = p.expr()
		}
		if p.acceptKw("ORDER", "BY") {
			for {
				s.OrderBy = append(s.OrderBy, p.orderItem())
				if !p.acceptOp(",") {
					break
				}
			}
		}
		s.Limit = p.limit()
		return s
	}
	if p.acceptKw("TABLETS") {
		s := &ast.ShowTablets{Pos: show.pos}
		p.expectKw("FROM")
		s.Table = p.tableName()
		s.Partitions = p.partitionNames()
		return s
	}
	full := p.acceptKw("FULL")
	switch {
	case p.acceptKw("TABLES"):
		s := &ast.ShowTables{Pos: show.pos, Full: full}
		if p.acceptKw("FROM") || p.acceptKw("IN") {
			db := p.ident("a database name")
			s.DB = &db
		}
		s.Like = p.optLike()
		return s
	case p.acceptKw("COLUMNS") || p.acceptKw("FIELDS"):
		s := &ast.ShowColumns{Pos: show.pos, Full: full}
		if !p.acceptKw("FROM") && !p.acceptKw("IN") {
			p.failExpected("FROM")
		}
		s.Table = p.tableName()
		if p.acceptKw("FROM") || p.acceptKw("IN") {
			if s.Table.DB != "" {
				p.fail("database given twice")
			}
			s.Table.DB = p.ident("a database name").Name
		}
		return s
	}
	if full {
		p.failExpected("TABLES or COLUMNS after SHOW FULL")
	}
	p.failAt(t, "unsupported SHOW statement")
	return nil
}

func (p *parser) set() ast.Statement {
	set := p.next()
	if p.acceptKw("NAMES") {
		s := &ast.SetNames{Pos: set.pos}
		if p.acceptKw("DEFAULT") {
			return s
		}
		s.Charset = p.nameOrString("a character set name")
		if p.acceptKw("COLLATE") {
			s.Collate = p.nameOrString("a collation name")
		}
		return s
	}
	if isIdentToken(p.peek()) && isWord(p.peekN(1), "AS") {
		s := &ast.SetDefaultStorageVault{Pos: set.pos, Name: p.ident("a storage vault name")}
		p.expectKw("AS", "DEFAULT", "STORAGE", "VAULT")
		return s
	}
	s := &ast.Set{Pos: set.pos}
	for {
		s.Items = append(s.Items, p.setItem())
		if !p.acceptOp(",") {
			return s
		}
	}
}

func (p *parser) nameOrString(what string) string {
	t := p.peek()
	if (t.kind == tString || t.kind == tQuotedIdent || t.kind == tWord) && t.text != "" {
		p.next()
		return t.text
	}
	p.failExpected(what)
	return ""
}

func (p *parser) setItem() *ast.SetItem {
	t := p.peek()
	it := &ast.SetItem{Pos: t.pos}
	switch {
	case t.kind == tSysVar || t.kind == tUserVar:
		p.next()
		it.Scope, it.Name = t.scope, t.text
	default:
		switch {
		case p.acceptKw("GLOBAL"):
			it.Scope = ast.ScopeGlobal
		case p.acceptKw("SESSION"), p.acceptKw("LOCAL"):
			it.Scope = ast.ScopeSession
		}
		it.Name = p.ident("a variable name").Name
	}
	if !p.acceptOp("=") && !p.acceptOp(":=") {
		p.failExpected("'='")
	}
	v := p.peek()
	after := p.peekN(1)
	endsHere := after.kind == tEOF || after.kind == tOp && (after.text == "," || after.text == ";")
	switch {
	case isWord(v, "DEFAULT") && endsHere:
		p.next()
		it.Value = &ast.Default{Pos: v.pos}
	case v.kind == tWord && endsHere && !isWord(v, "NULL") && !isWord(v, "TRUE") && !isWord(v, "FALSE"):
		// A bare word (ON, OFF, utf8mb4, ...) is kept as a name.
		p.next()
		it.Value = &ast.ColumnRef{Pos: v.pos, Name: v.text}
	default:
		it.Value = p.expr()
	}
	return it
}

func (p *parser) insert() ast.Statement {
	ins := p.next()
	s := &ast.Insert{Pos: ins.pos}
	if p.isKw("OVERWRITE") {
		p.fail("INSERT OVERWRITE is not supported yet")
	}
	p.expectKw("INTO")
	s.Table = p.tableName()
	s.Partitions = p.partitionNames()
	if p.isKw("WITH") && isWord(p.peekN(1), "LABEL") && isIdentToken(p.peekN(2)) {
		p.next()
		p.next()
		id := p.ident("a label")
		s.Label = &id
	}
	if p.isOp("(") && !isQueryStart(p.peekN(1)) && !(p.peekN(1).kind == tOp && p.peekN(1).text == "(") {
		s.Columns = p.identList("a column name")
	}
	switch {
	case p.acceptKw("VALUES") || p.acceptKw("VALUE"):
		for {
			p.expectOp("(")
			row := []ast.Expr{}
			if !p.isOp(")") {
				for {
					if t := p.peek(); isWord(t, "DEFAULT") {
						p.next()
						row = append(row, &ast.Default{Pos: t.pos})
					} else {
						row = append(row, p.expr())
					}
					if !p.acceptOp(",") {
						break
					}
				}
			}
			p.expectOp(")")
			s.Rows = append(s.Rows, row)
			if !p.acceptOp(",") {
				break
			}
		}
	case isQueryStart(p.peek()) || p.isOp("("):
		s.Query = p.query()
		if sel, ok := s.Query.(*ast.Select); ok {
			s.Select = sel
		}
	default:
		p.failExpected("VALUES or SELECT")
	}
	return s
}

// limit parses [LIMIT count [OFFSET offset] | LIMIT offset, count].
func (p *parser) limit() *ast.Limit {
	t := p.peek()
	if !p.acceptKw("LIMIT") {
		return nil
	}
	l := &ast.Limit{Pos: t.pos}
	first := p.intLit("a row count after LIMIT")
	switch {
	case p.acceptOp(","):
		l.Offset, l.Count = first, p.intLit("a row count")
	case p.acceptKw("OFFSET"):
		l.Count, l.Offset = first, p.intLit("an offset after OFFSET")
	default:
		l.Count = first
	}
	return l
}

func (p *parser) selectItem() *ast.SelectItem {
	t := p.peek()
	it := &ast.SelectItem{Pos: t.pos}
	// *, t.*, db.t.*
	switch {
	case p.isOp("*"):
		p.next()
		it.Expr = &ast.Star{Pos: t.pos}
		return it
	case isIdentToken(t) && p.peekN(1).kind == tOp && p.peekN(1).text == "." && p.peekN(2).kind == tOp && p.peekN(2).text == "*":
		p.i += 3
		it.Expr = &ast.Star{Pos: t.pos, Table: t.text}
		return it
	case isIdentToken(t) && p.peekN(1).kind == tOp && p.peekN(1).text == "." && isIdentToken(p.peekN(2)) && p.peekN(3).kind == tOp && p.peekN(3).text == "." &&
		p.peekN(4).kind == tOp && p.peekN(4).text == "*":
		tbl := p.peekN(2)
		p.i += 5
		it.Expr = &ast.Star{Pos: t.pos, DB: t.text, Table: tbl.text}
		return it
	}
	it.Expr = p.expr()
	switch a := p.peek(); {
	case p.acceptKw("AS"):
		if s := p.peek(); s.kind == tString {
			if s.text == "" {
				p.fail("empty alias")
			}
			p.next()
			it.Alias = &ast.Ident{Pos: s.pos, Name: s.text}
		} else {
			id := p.ident("an alias after AS")
			it.Alias = &id
		}
	case p.isAlias() || a.kind == tString:
		if a.text == "" {
			p.fail("empty alias")
		}
		p.next()
		it.Alias = &ast.Ident{Pos: a.pos, Name: a.text}
	}
	return it
}

func (p *parser) orderItem() *ast.OrderItem {
	t := p.peek()
	o := &ast.OrderItem{Pos: t.pos, Expr: p.expr()}
	if p.acceptKw("DESC") {
		o.Desc = true
	} else {
		p.acceptKw("ASC")
	}
	if p.acceptKw("NULLS") {
		first := true
		switch {
		case p.acceptKw("FIRST"):
		case p.acceptKw("LAST"):
			first = false
		default:
			p.failExpected("FIRST or LAST")
		}
		o.NullsFirst = &first
	}
	return o
}

// explainPlanTypes and explainLevels are the words of Doris's EXPLAIN [plan type] [level].
var (
	explainPlanTypes = map[string]bool{"PARSED": true, "ANALYZED": true, "REWRITTEN": true, "LOGICAL": true,
		"OPTIMIZED": true, "PHYSICAL": true, "SHAPE": true, "MEMO": true, "DISTRIBUTED": true, "ALL": true}
	explainLevels = map[string]bool{"VERBOSE": true, "TREE": true, "GRAPH": true, "PLAN": true, "DUMP": true}
)

// explain parses what follows EXPLAIN, DESC or DESCRIBE: [plan type] [VERBOSE | level] and a
// query or INSERT. After DESC and DESCRIBE it returns nil (consuming nothing) unless a query
// follows, for DESCRIBE table.
func (p *parser) explain(t token) ast.Statement {
	e := &ast.Explain{Pos: t.pos}
	stmtStart := func(t token) bool { return isQueryStart(t) || isWord(t, "INSERT") || t.kind == tOp && t.text == "(" }
	isExplain := strings.EqualFold(t.text, "EXPLAIN")
	start := p.i
	if w := p.peek(); w.kind == tWord && explainPlanTypes[strings.ToUpper(w.text)] && isExplain {
		p.next()
		e.PlanType = strings.ToUpper(w.text)
	}
	if w := p.peek(); w.kind == tWord && explainLevels[strings.ToUpper(w.text)] && (isExplain || stmtStart(p.peekN(1))) {
		p.next()
		if lv := strings.ToUpper(w.text); lv == "VERBOSE" {
			e.Verbose = true
		} else {
			e.Level = lv
		}
	}
	if p.isKw("PROCESS") {
		p.fail("EXPLAIN ... PROCESS is not supported yet")
	}
	switch {
	case p.isKw("INSERT"):
		e.Stmt = p.insert()
	case stmtStart(p.peek()):
		e.Stmt = p.queryStatement()
	case isExplain || p.i != start:
		p.failExpected("SELECT or INSERT")
	default:
		return nil
	}
	return e
}
