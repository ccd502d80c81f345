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
	if p.isKw("PARTITION") || p.isKw("AUTO") {
		s.Partition = p.partitionDesc()
	}
	if p.isKw("DISTRIBUTED") {
		s.Distribution = p.distribution()
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

// distribution parses DISTRIBUTED BY HASH (cols) | RANDOM [BUCKETS n|AUTO].
func (p *parser) distribution() *ast.DistributionDesc {
	t := p.expectKw("DISTRIBUTED")
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
	return d
}

// partitionDesc parses
//
//	[AUTO] PARTITION BY RANGE|LIST (cols) [(partition | FROM (..) TO (..) INTERVAL n [unit], ...)]
//	AUTO PARTITION BY RANGE (date_trunc(col, 'unit')) [(partition, ...)]
//
// The partition list is required without AUTO.
func (p *parser) partitionDesc() *ast.PartitionDesc {
	t := p.peek()
	d := &ast.PartitionDesc{Pos: t.pos, Auto: p.acceptKw("AUTO")}
	p.expectKw("PARTITION")
	p.expectKw("BY")
	switch {
	case p.acceptKw("RANGE"):
		d.Kind = ast.RangePartition
	case p.acceptKw("LIST"):
		d.Kind = ast.ListPartition
	default:
		p.failExpected("RANGE or LIST")
	}
	if p.isOp("(") && p.peekN(2).kind == tOp && p.peekN(2).text == "(" {
		if !d.Auto || d.Kind != ast.RangePartition {
			p.fail("partitioning by an expression is only supported as AUTO PARTITION BY RANGE (date_trunc(column, 'unit'))")
		}
		p.expectOp("(")
		f, ok := p.expr().(*ast.FuncCall)
		if !ok {
			p.failExpected("date_trunc(column, 'unit')")
		}
		d.Func = f
		p.expectOp(")")
	} else {
		d.Columns = p.identList("a partition column name")
	}
	if !p.isOp("(") && d.Auto {
		return d
	}
	p.expectOp("(")
	if p.acceptOp(")") {
		return d
	}
	for {
		if p.isKw("FROM") {
			d.Partitions = append(d.Partitions, p.batchPartitions(d.Kind))
		} else {
			d.Partitions = append(d.Partitions, p.partitionDef(d.Kind))
		}
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return d
}

// batchPartitions parses FROM (lo) TO (hi) INTERVAL n [unit].
func (p *parser) batchPartitions(kind ast.PartitionKind) *ast.PartitionDef {
	t := p.expectKw("FROM")
	if kind != ast.RangePartition {
		p.failAt(t, "FROM ... TO ... INTERVAL is only allowed in RANGE partitioning")
	}
	def := &ast.PartitionDef{Pos: t.pos, Kind: ast.ValuesFromTo}
	lo := p.boundTuple()
	p.expectKw("TO")
	hi := p.boundTuple()
	def.Values = [][]ast.Expr{lo, hi}
	p.expectKw("INTERVAL")
	def.Interval = p.intLit("an interval")
	if u := p.peek(); u.kind == tWord && !p.isKw("PARTITION") && !p.isKw("FROM") {
		p.next()
		def.Unit = strings.ToUpper(u.text)
	}
	return def
}

// anyKind lets partitionDef accept a range or a list partition (ALTER TABLE ADD PARTITION,
// where the table decides).
const anyKind ast.PartitionKind = 255

func (p *parser) partitionDef(kind ast.PartitionKind) *ast.PartitionDef {
	t := p.expectKw("PARTITION")
	def := &ast.PartitionDef{Pos: t.pos}
	def.IfNotExists = p.acceptKw("IF", "NOT", "EXISTS")
	def.Name = p.ident("a partition name")
	p.expectKw("VALUES")
	rng, list := kind == ast.RangePartition || kind == anyKind, kind == ast.ListPartition || kind == anyKind
	switch {
	case rng && p.acceptKw("LESS", "THAN"):
		def.Kind = ast.ValuesLessThan
		if !p.acceptKw("MAXVALUE") {
			def.Values = [][]ast.Expr{p.boundTuple()}
		}
	case rng && p.acceptOp("["):
		def.Kind = ast.ValuesFixedRange
		lo := p.boundTuple()
		p.expectOp(",")
		hi := p.boundTuple()
		p.expectOp(")")
		def.Values = [][]ast.Expr{lo, hi}
	case list && p.acceptKw("IN"):
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
	case kind == ast.ListPartition:
		p.failExpected("IN")
	default:
		p.failExpected("LESS THAN, '[' or IN")
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

// alterTable parses, after ALTER TABLE [db.]t, one operation:
//
//	ADD PARTITION [IF NOT EXISTS] p VALUES ... [DISTRIBUTED BY ...]
//	DROP PARTITION [IF EXISTS] p [FORCE]
//	[CUMULATIVE | BASE] COMPACT
func (p *parser) alterTable(alter token) ast.Statement {
	s := &ast.AlterTable{Pos: alter.pos, Table: p.tableName()}
	t := p.peek()
	switch {
	case p.acceptKw("ADD"):
		if !p.isKw("PARTITION") {
			p.fail("ALTER TABLE ... ADD " + strings.ToUpper(p.peek().text) + " is not supported yet")
		}
		op := &ast.AddPartition{Pos: t.pos, Partition: p.partitionDef(anyKind)}
		if p.isKw("DISTRIBUTED") {
			op.Distribution = p.distribution()
		}
		s.Op = op
	case p.acceptKw("DROP"):
		if !p.acceptKw("PARTITION") {
			p.fail("ALTER TABLE ... DROP " + strings.ToUpper(p.peek().text) + " is not supported yet")
		}
		op := &ast.DropPartition{Pos: t.pos}
		op.IfExists = p.acceptKw("IF", "EXISTS")
		op.Name = p.ident("a partition name")
		op.Force = p.acceptKw("FORCE")
		s.Op = op
	case p.acceptKw("COMPACT"):
		s.Op = &ast.Compact{Pos: t.pos}
	case p.acceptKw("CUMULATIVE", "COMPACT"):
		s.Op = &ast.Compact{Pos: t.pos, Kind: "CUMULATIVE"}
	case p.acceptKw("BASE", "COMPACT"):
		s.Op = &ast.Compact{Pos: t.pos, Kind: "BASE"}
	default:
		p.fail("only ALTER TABLE ... ADD PARTITION, DROP PARTITION and [CUMULATIVE | BASE] COMPACT are supported yet")
	}
	return s
}

// partitionNames parses PARTITION (p, ...), PARTITIONS (p, ...) or PARTITION p, as Doris allows
// after a table name; nil when the next token is none of them.
func (p *parser) partitionNames() []ast.Ident {
	if !p.isKw("PARTITION") && !p.isKw("PARTITIONS") {
		return nil
	}
	p.next()
	if p.isOp("(") {
		return p.identList("a partition name")
	}
	return []ast.Ident{p.ident("a partition name")}
}
