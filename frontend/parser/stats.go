package parser

import "github.com/doricdb/doric/frontend/ast"

// analyze parses ANALYZE TABLE [db.]t [(c, ...)] [WITH SYNC] and ANALYZE DATABASE db [WITH SYNC].
func (p *parser) analyze() ast.Statement {
	t := p.expectKw("ANALYZE")
	if p.acceptKw("DATABASE") {
		db := p.ident("a database name")
		return &ast.Analyze{Pos: t.pos, Database: &db, Sync: p.acceptKw("WITH", "SYNC")}
	}
	p.expectKw("TABLE")
	s := &ast.Analyze{Pos: t.pos, Table: p.tableName()}
	s.Columns = p.statsColumns()
	s.Sync = p.acceptKw("WITH", "SYNC")
	return s
}

// showColumnStats parses the rest of SHOW COLUMN STATS [db.]t [(c, ...)].
func (p *parser) showColumnStats(show token) ast.Statement {
	p.expectKw("COLUMN", "STATS")
	s := &ast.ShowColumnStats{Pos: show.pos, Table: p.tableName()}
	s.Columns = p.statsColumns()
	return s
}

// dropStats parses the rest of DROP STATS [db.]t [(c, ...)].
func (p *parser) dropStats(drop token) ast.Statement {
	p.expectKw("STATS")
	s := &ast.DropStats{Pos: drop.pos, Table: p.tableName()}
	s.Columns = p.statsColumns()
	return s
}

// statsColumns parses an optional parenthesised column list.
func (p *parser) statsColumns() []ast.Ident {
	if !p.acceptOp("(") {
		return nil
	}
	var cols []ast.Ident
	for {
		cols = append(cols, p.ident("a column name"))
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return cols
}
