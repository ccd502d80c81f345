package parser

import "github.com/doricdb/doric/frontend/ast"

// deleteStmt parses DELETE FROM [db.]t [PARTITION p | PARTITIONS (p, ...)] [WHERE expr].
func (p *parser) deleteStmt() ast.Statement {
	del := p.next()
	s := &ast.Delete{Pos: del.pos}
	p.expectKw("FROM")
	s.Table = p.tableName()
	s.Partitions = p.partitionNames()
	if p.isKw("USING") {
		p.fail("DELETE ... USING is not supported yet")
	}
	if isIdentToken(p.peek()) || p.isKw("AS") {
		p.fail("table aliases in DELETE are not supported yet")
	}
	if p.acceptKw("WHERE") {
		s.Where = p.expr()
	}
	return s
}

// updateStmt parses UPDATE [db.]t SET col = expr, ... [WHERE expr].
func (p *parser) updateStmt() ast.Statement {
	upd := p.next()
	s := &ast.Update{Pos: upd.pos}
	s.Table = p.tableName()
	if !p.isKw("SET") {
		if isIdentToken(p.peek()) || p.isKw("AS") {
			p.fail("table aliases in UPDATE are not supported yet")
		}
		p.failExpected("SET")
	}
	p.next()
	for {
		t := p.peek()
		col := p.ident("a column name")
		if p.acceptOp(".") { // t.col: the qualifier must be the table's name; it is dropped
			if col.Name != s.Table.Name {
				p.failAt(t, "the column qualifier '"+col.Name+"' is not the updated table")
			}
			col = p.ident("a column name")
			col.Pos = t.pos
		}
		p.expectOp("=")
		a := &ast.Assignment{Pos: t.pos, Column: col}
		if v := p.peek(); isWord(v, "DEFAULT") {
			p.next()
			a.Value = &ast.Default{Pos: v.pos}
		} else {
			a.Value = p.expr()
		}
		s.Set = append(s.Set, a)
		if !p.acceptOp(",") {
			break
		}
	}
	if p.isKw("FROM") {
		p.fail("UPDATE ... FROM is not supported yet")
	}
	if p.acceptKw("WHERE") {
		s.Where = p.expr()
	}
	if p.isKw("ORDER") || p.isKw("LIMIT") {
		p.fail("UPDATE with ORDER BY or LIMIT is not supported")
	}
	return s
}

// showLoad parses the rest of SHOW LOAD [FROM db] [WHERE expr] [ORDER BY ...] [LIMIT ...].
func (p *parser) showLoad(show token) ast.Statement {
	s := &ast.ShowLoad{Pos: show.pos}
	if p.acceptKw("FROM") || p.acceptKw("IN") {
		db := p.ident("a database name")
		s.DB = &db
	}
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
