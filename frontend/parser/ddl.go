package parser

import (
	"strings"

	"github.com/doricdb/doric/frontend/ast"
)

// aggTypes are the aggregation types a column definition may carry (the binder decides which
// are supported).
var aggTypes = map[string]bool{
	"SUM": true, "MIN": true, "MAX": true, "REPLACE": true, "REPLACE_IF_NOT_NULL": true,
	"HLL_UNION": true, "BITMAP_UNION": true, "QUANTILE_UNION": true, "GENERIC": true,
}

// createTable parses, after CREATE:
//
//	TABLE [IF NOT EXISTS] [db.]t (coldef, ...) [ENGINE [=] name]
//	  [DUPLICATE|AGGREGATE|UNIQUE KEY (cols)] [COMMENT 'x'] [PARTITION BY ...]
//	  [DISTRIBUTED BY HASH (cols) | RANDOM [BUCKETS n|AUTO]] [PROPERTIES (...)]
//
// in Doris's clause order.
func (p *parser) createTable(create token) ast.Statement {
	p.expectKw("TABLE")
	s := &ast.CreateTable{Pos: create.pos}
	s.IfNotExists = p.acceptKw("IF", "NOT", "EXISTS")
	s.Table = p.tableName()
	if p.isKw("LIKE") || p.isKw("AS") {
		p.fail("CREATE TABLE ... " + strings.ToUpper(p.peek().text) + " is not supported yet")
	}
	p.expectOp("(")
	for {
		if p.isKw("INDEX") {
			p.fail("indexes are not supported yet")
		}
		s.Columns = append(s.Columns, p.columnDef())
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	if p.acceptKw("ENGINE") {
		p.acceptOp("=")
		id := p.ident("an engine name")
		id.Name = strings.ToUpper(id.Name)
		s.Engine = &id
	}
	if t := p.peek(); p.isKw("DUPLICATE") || p.isKw("AGGREGATE") || p.isKw("UNIQUE") {
		kind := map[string]ast.KeysKind{"DUPLICATE": ast.DuplicateKeys, "AGGREGATE": ast.AggregateKeys, "UNIQUE": ast.UniqueKeys}[strings.ToUpper(t.text)]
		p.next()
		p.expectKw("KEY")
		s.Keys = &ast.KeysDesc{Pos: t.pos, Kind: kind, Columns: p.identList("a key column name")}
	}
	if p.acceptKw("COMMENT") {
		c := p.stringLit("a quoted comment")
		s.Comment = &c
	}
	if p.isKw("AUTO") {
		p.fail("AUTO PARTITION is not supported yet")
	}
	if p.isKw("PARTITION") {
		s.Partition = p.partitionDesc()
	}
	if t := p.peek(); p.acceptKw("DISTRIBUTED") {
		p.expectKw("BY")
		d := &ast.DistributionDesc{Pos: t.pos}
		switch {
		case p.acceptKw("HASH"):
			d.Hash = true
			d.Columns = p.identList("a distribution column name")
		case p.acceptKw("RANDOM"):
		default:
			p.failExpected("HASH or RANDOM")
		}
		d.AutoBuckets = true
		if p.acceptKw("BUCKETS") {
			if !p.acceptKw("AUTO") {
				d.AutoBuckets = false
				d.Buckets = p.intLit("a bucket count or AUTO")
			}
		}
		s.Distribution = d
	}
	if p.isKw("ROLLUP") {
		p.fail("ROLLUP is not supported yet")
	}
	if p.isKw("PROPERTIES") {
		s.Properties = p.properties()
	}
	return s
}

func (p *parser) columnDef() *ast.ColumnDef {
	name := p.ident("a column name")
	c := &ast.ColumnDef{Pos: name.Pos, Name: name, Type: p.typeName()}
	if t := p.peek(); t.kind == tWord && aggTypes[strings.ToUpper(t.text)] {
		p.next()
		c.Aggregation = strings.ToUpper(t.text)
	}
	switch {
	case p.acceptKw("NOT", "NULL"):
		c.Nullable = ast.NotNull
	case p.acceptKw("NULL"):
		c.Nullable = ast.Null
	}
	if p.isKw("AUTO_INCREMENT") {
		p.fail("AUTO_INCREMENT is not supported yet")
	}
	if p.acceptKw("DEFAULT") {
		c.Default = p.defaultValue()
	}
	if p.isKw("ON") {
		p.fail("ON UPDATE is not supported yet")
	}
	if p.acceptKw("COMMENT") {
		s := p.stringLit("a quoted comment")
		c.Comment = &s
	}
	return c
}

// defaultValue parses NULL | [-]number | 'string' | TRUE | FALSE | CURRENT_TIMESTAMP[(n)] | CURRENT_DATE.
func (p *parser) defaultValue() ast.Expr {
	t := p.peek()
	switch {
	case isWord(t, "CURRENT_TIMESTAMP") || isWord(t, "CURRENT_DATE"):
		p.next()
		f := &ast.FuncCall{Pos: t.pos, Name: strings.ToUpper(t.text)}
		if p.acceptOp("(") {
			if n := p.peek(); n.kind == tInt {
				p.next()
				f.Args = []ast.Expr{&ast.Literal{Pos: n.pos, Kind: ast.LitInt, Value: n.text}}
			}
			p.expectOp(")")
		}
		return f
	}
	return p.literalValue("a default value")
}

// literalValue parses a constant: NULL, TRUE, FALSE, a string, or a number with an optional sign.
func (p *parser) literalValue(what string) *ast.Literal {
	t := p.peek()
	switch {
	case t.kind == tString || t.kind == tInt || t.kind == tDecimal || t.kind == tFloat ||
		isWord(t, "NULL") || isWord(t, "TRUE") || isWord(t, "FALSE"):
		return p.primary().(*ast.Literal)
	case t.kind == tOp && (t.text == "-" || t.text == "+"):
		if n := p.peekN(1); n.kind == tInt || n.kind == tDecimal || n.kind == tFloat {
			p.next()
			lit := p.primary().(*ast.Literal)
			if t.text == "-" {
				lit.Pos, lit.Value = t.pos, "-"+lit.Value
			}
			return lit
		}
	}
	p.failExpected(what)
	return nil
}

func (p *parser) partitionDesc() *ast.PartitionDesc {
	t := p.expectKw("PARTITION")
	p.expectKw("BY")
	d := &ast.PartitionDesc{Pos: t.pos}
	switch {
	case p.acceptKw("RANGE"):
		d.Kind = ast.RangePartition
	case p.acceptKw("LIST"):
		d.Kind = ast.ListPartition
	default:
		p.failExpected("RANGE or LIST")
	}
	if p.isOp("(") && p.peekN(2).kind == tOp && p.peekN(2).text == "(" {
		p.fail("partitioning by an expression is not supported yet")
	}
	d.Columns = p.identList("a partition column name")
	p.expectOp("(")
	if p.acceptOp(")") {
		return d
	}
	for {
		if p.isKw("FROM") {
			p.fail("batch partition definitions (FROM ... TO ... INTERVAL) are not supported yet")
		}
		d.Partitions = append(d.Partitions, p.partitionDef(d.Kind))
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return d
}

func (p *parser) partitionDef(kind ast.PartitionKind) *ast.PartitionDef {
	t := p.expectKw("PARTITION")
	def := &ast.PartitionDef{Pos: t.pos}
	def.IfNotExists = p.acceptKw("IF", "NOT", "EXISTS")
	def.Name = p.ident("a partition name")
	p.expectKw("VALUES")
	switch {
	case kind == ast.RangePartition && p.acceptKw("LESS", "THAN"):
		def.Kind = ast.ValuesLessThan
		if !p.acceptKw("MAXVALUE") {
			def.Values = [][]ast.Expr{p.boundTuple()}
		}
	case kind == ast.RangePartition && p.acceptOp("["):
		def.Kind = ast.ValuesFixedRange
		lo := p.boundTuple()
		p.expectOp(",")
		hi := p.boundTuple()
		p.expectOp(")")
		def.Values = [][]ast.Expr{lo, hi}
	case kind == ast.ListPartition && p.acceptKw("IN"):
		def.Kind = ast.ValuesIn
		p.expectOp("(")
		for {
			if p.isOp("(") {
				def.Values = append(def.Values, p.boundTuple())
			} else {
				def.Values = append(def.Values, []ast.Expr{p.boundValue()})
			}
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	case kind == ast.RangePartition:
		p.failExpected("LESS THAN or '['")
	default:
		p.failExpected("IN")
	}
	if p.isOp("(") {
		p.fail("partition properties are not supported yet")
	}
	return def
}

func (p *parser) boundTuple() []ast.Expr {
	p.expectOp("(")
	var vals []ast.Expr
	for {
		vals = append(vals, p.boundValue())
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return vals
}

func (p *parser) boundValue() ast.Expr {
	if t := p.peek(); p.acceptKw("MAXVALUE") {
		return &ast.MaxValue{Pos: t.pos}
	}
	return p.literalValue("a partition bound value")
}
