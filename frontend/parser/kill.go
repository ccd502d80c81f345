package parser

import "github.com/doricdb/doric/frontend/ast"

// kill parses KILL [CONNECTION | QUERY] connection_id.
func (p *parser) kill() ast.Statement {
	t := p.expectKw("KILL")
	s := &ast.Kill{Pos: t.pos}
	if !p.acceptKw("CONNECTION") {
		s.Query = p.acceptKw("QUERY")
	}
	s.ConnID = p.intLit("a connection id")
	return s
}
