package ast

import (
	"fmt"
	"strconv"
	"strings"
)

// Format renders a statement or expression as canonical SQL (see the package doc).
func Format(n Node) string {
	var p printer
	p.node(n)
	return p.String()
}

// QuoteString renders s as a single-quoted SQL string literal with backslash escapes.
func QuoteString(s string) string { return quote(s, '\'') }

func quote(s string, q byte) string {
	var b strings.Builder
	b.WriteByte(q)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case q:
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			b.WriteString(`\0`)
		case 26:
			b.WriteString(`\Z`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(q)
	return b.String()
}

type printer struct{ strings.Builder }

func (p *printer) w(parts ...string) {
	for _, s := range parts {
		p.WriteString(s)
	}
}

func (p *printer) ident(name string) { p.w(QuoteIdent(name)) }

func (p *printer) tableName(t TableName) {
	if t.DB != "" {
		p.ident(t.DB)
		p.w(".")
	}
	p.ident(t.Name)
}

func (p *printer) idents(ids []Ident) {
	p.w("(")
	for i, id := range ids {
		if i > 0 {
			p.w(", ")
		}
		p.ident(id.Name)
	}
	p.w(")")
}

func (p *printer) typeName(t TypeName) {
	p.w(t.Name)
	if len(t.Args) > 0 {
		p.w("(")
		for i, a := range t.Args {
			if i > 0 {
				p.w(", ")
			}
			p.w(strconv.FormatInt(a, 10))
		}
		p.w(")")
	}
}

func (p *printer) properties(props []Property) {
	p.w("PROPERTIES (")
	for i, pr := range props {
		if i > 0 {
			p.w(", ")
		}
		p.w(quote(pr.Key, '"'), " = ", quote(pr.Value, '"'))
	}
	p.w(")")
}

func (p *printer) exprs(es []Expr) {
	for i, e := range es {
		if i > 0 {
			p.w(", ")
		}
		p.node(e)
	}
}

func (p *printer) like(like *string) {
	if like != nil {
		p.w(" LIKE ", QuoteString(*like))
	}
}

func (p *printer) node(n Node) {
	switch n := n.(type) {
	case nil:
		p.w("<nil>")
	case *CreateDatabase:
		p.w("CREATE DATABASE ")
		if n.IfNotExists {
			p.w("IF NOT EXISTS ")
		}
		p.ident(n.Name.Name)
		if len(n.Properties) > 0 {
			p.w(" ")
			p.properties(n.Properties)
		}
	case *DropDatabase:
		p.w("DROP DATABASE ")
		if n.IfExists {
			p.w("IF EXISTS ")
		}
		p.ident(n.Name.Name)
		if n.Force {
			p.w(" FORCE")
		}
	case *Use:
		p.w("USE ")
		p.ident(n.DB.Name)
	case *CreateTable:
		p.createTable(n)
	case *CreateStorageVault:
		p.w("CREATE STORAGE VAULT ")
		if n.IfNotExists {
			p.w("IF NOT EXISTS ")
		}
		p.ident(n.Name.Name)
		if len(n.Properties) > 0 {
			p.w(" ")
			p.properties(n.Properties)
		}
	case *AlterStorageVault:
		p.w("ALTER STORAGE VAULT ")
		p.ident(n.Name.Name)
		p.w(" ")
		p.properties(n.Properties)
	case *SetDefaultStorageVault:
		p.w("SET ")
		p.ident(n.Name.Name)
		p.w(" AS DEFAULT STORAGE VAULT")
	case *ShowStorageVaults:
		p.w("SHOW STORAGE VAULTS")
	case *DropTable:
		p.w("DROP TABLE ")
		if n.IfExists {
			p.w("IF EXISTS ")
		}
		p.tableName(n.Table)
		if n.Force {
			p.w(" FORCE")
		}
	case *AlterTable:
		p.w("ALTER TABLE ")
		p.tableName(n.Table)
		p.w(" ")
		p.node(n.Op)
	case *AddPartition:
		p.w("ADD ")
		p.partition(n.Partition)
		if n.Distribution != nil {
			p.distribution(n.Distribution)
		}
	case *Compact:
		if n.Kind != "" {
			p.w(n.Kind + " ")
		}
		p.w("COMPACT")
	case *DropPartition:
		p.w("DROP PARTITION ")
		if n.IfExists {
			p.w("IF EXISTS ")
		}
		p.ident(n.Name.Name)
		if n.Force {
			p.w(" FORCE")
		}
	case *ShowPartitions:
		p.w("SHOW PARTITIONS FROM ")
		p.tableName(n.Table)
		if n.Where != nil {
			p.w(" WHERE ")
			p.node(n.Where)
		}
		p.orderBy(n.OrderBy)
		p.limit(n.Limit)
	case *ShowTablets:
		p.w("SHOW TABLETS FROM ")
		p.tableName(n.Table)
		p.partitionNames(n.Partitions)
	case *ShowDatabases:
		p.w("SHOW DATABASES")
		p.like(n.Like)
	case *ShowTables:
		p.w("SHOW ")
		if n.Full {
			p.w("FULL ")
		}
		p.w("TABLES")
		if n.DB != nil {
			p.w(" FROM ")
			p.ident(n.DB.Name)
		}
		p.like(n.Like)
	case *ShowColumns:
		p.w("SHOW ")
		if n.Full {
			p.w("FULL ")
		}
		p.w("COLUMNS FROM ")
		p.tableName(n.Table)
	case *Describe:
		p.w("DESCRIBE ")
		p.tableName(n.Table)
	case *ShowCreateTable:
		p.w("SHOW CREATE TABLE ")
		p.tableName(n.Table)
	case *ShowVariables:
		p.w("SHOW ")
		p.scope(n.Scope)
		p.w("VARIABLES")
		p.like(n.Like)
		if n.Where != nil {
			p.w(" WHERE ")
			p.node(n.Where)
		}
	case *Insert:
		p.w("INSERT INTO ")
		p.tableName(n.Table)
		p.partitionNames(n.Partitions)
		if n.Label != nil {
			p.w(" WITH LABEL ")
			p.ident(n.Label.Name)
		}
		if len(n.Columns) > 0 {
			p.w(" ")
			p.idents(n.Columns)
		}
		switch {
		case n.Query != nil:
			p.w(" ")
			p.node(n.Query)
			return
		case n.Select != nil:
			p.w(" ")
			p.node(n.Select)
			return
		}
		p.w(" VALUES ")
		for i, row := range n.Rows {
			if i > 0 {
				p.w(", ")
			}
			p.w("(")
			p.exprs(row)
			p.w(")")
		}
	case *Select:
		p.selectStmt(n)
	case *SetOp:
		p.setOp(n)
	case *Delete, *Update, *ShowLoad:
		p.dml(n)
	case *Set:
		p.w("SET ")
		for i, it := range n.Items {
			if i > 0 {
				p.w(", ")
			}
			p.expr(&Variable{Scope: it.Scope, Name: it.Name})
			p.w(" = ")
			p.node(it.Value)
		}
	case *SetNames:
		p.w("SET NAMES ")
		if n.Charset == "" {
			p.w("DEFAULT")
			return
		}
		p.ident(n.Charset)
		if n.Collate != "" {
			p.w(" COLLATE ")
			p.ident(n.Collate)
		}
	case *Begin:
		p.w("BEGIN")
		if n.Label != nil {
			p.w(" WITH LABEL ")
			p.ident(n.Label.Name)
		}
	case *Commit:
		p.w("COMMIT")
	case *Rollback:
		p.w("ROLLBACK")
	case *Explain:
		p.w("EXPLAIN ")
		if n.PlanType != "" {
			p.w(n.PlanType, " ")
		}
		if n.Verbose {
			p.w("VERBOSE ")
		} else if n.Level != "" {
			p.w(n.Level, " ")
		}
		p.node(n.Stmt)
	default:
		if p.formatStats(n) {
			return
		}
		p.expr(n)
	}
}

func (p *printer) scope(s VarScope) {
	switch s {
	case ScopeSession:
		p.w("SESSION ")
	case ScopeGlobal:
		p.w("GLOBAL ")
	}
}

func (p *printer) createTable(n *CreateTable) {
	p.w("CREATE TABLE ")
	if n.IfNotExists {
		p.w("IF NOT EXISTS ")
	}
	p.tableName(n.Table)
	p.w(" (")
	for i, c := range n.Columns {
		if i > 0 {
			p.w(", ")
		}
		p.ident(c.Name.Name)
		p.w(" ")
		p.typeName(c.Type)
		if c.Aggregation != "" {
			p.w(" ", c.Aggregation)
		}
		switch c.Nullable {
		case Null:
			p.w(" NULL")
		case NotNull:
			p.w(" NOT NULL")
		}
		if c.Default != nil {
			p.w(" DEFAULT ")
			p.node(c.Default)
		}
		if c.Comment != nil {
			p.w(" COMMENT ", QuoteString(*c.Comment))
		}
	}
	p.w(")")
	if n.Engine != nil {
		p.w(" ENGINE = ", n.Engine.Name)
	}
	if n.Keys != nil {
		p.w(" ", n.Keys.Kind.String(), " KEY ")
		p.idents(n.Keys.Columns)
	}
	if n.Comment != nil {
		p.w(" COMMENT ", QuoteString(*n.Comment))
	}
	if pd := n.Partition; pd != nil {
		p.w(" ")
		if pd.Auto {
			p.w("AUTO ")
		}
		if pd.Kind == ListPartition {
			p.w("PARTITION BY LIST ")
		} else {
			p.w("PARTITION BY RANGE ")
		}
		if pd.Func != nil {
			p.w("(")
			p.node(pd.Func)
			p.w(")")
		} else {
			p.idents(pd.Columns)
		}
		p.w(" (")
		for i, def := range pd.Partitions {
			if i > 0 {
				p.w(", ")
			}
			p.partition(def)
		}
		p.w(")")
	}
	if d := n.Distribution; d != nil {
		p.distribution(d)
	}
	if len(n.Properties) > 0 {
		p.w(" ")
		p.properties(n.Properties)
	}
}

func (p *printer) distribution(d *DistributionDesc) {
	if d.Hash {
		p.w(" DISTRIBUTED BY HASH ")
		p.idents(d.Columns)
	} else {
		p.w(" DISTRIBUTED BY RANDOM")
	}
	if d.AutoBuckets {
		p.w(" BUCKETS AUTO")
	} else {
		p.w(" BUCKETS ", strconv.FormatInt(d.Buckets, 10))
	}
}

// partitionNames renders " PARTITION (p, ...)" (nothing for none).
func (p *printer) partitionNames(names []Ident) {
	if len(names) > 0 {
		p.w(" PARTITION ")
		p.idents(names)
	}
}

func (p *printer) orderBy(items []*OrderItem) {
	if len(items) == 0 {
		return
	}
	p.w(" ORDER BY ")
	p.orderItems(items)
}

func (p *printer) orderItems(items []*OrderItem) {
	for i, o := range items {
		if i > 0 {
			p.w(", ")
		}
		p.node(o.Expr)
		if o.Desc {
			p.w(" DESC")
		}
		if o.NullsFirst != nil {
			if *o.NullsFirst {
				p.w(" NULLS FIRST")
			} else {
				p.w(" NULLS LAST")
			}
		}
	}
}

func (p *printer) limit(l *Limit) {
	if l != nil {
		p.w(" LIMIT ", strconv.FormatInt(l.Count, 10))
		if l.Offset != 0 {
			p.w(" OFFSET ", strconv.FormatInt(l.Offset, 10))
		}
	}
}

func (p *printer) partition(d *PartitionDef) {
	tuple := func(t []Expr) {
		p.w("(")
		p.exprs(t)
		p.w(")")
	}
	if d.Kind == ValuesFromTo {
		p.w("FROM ")
		tuple(d.Values[0])
		p.w(" TO ")
		tuple(d.Values[1])
		p.w(" INTERVAL ", strconv.FormatInt(d.Interval, 10))
		if d.Unit != "" {
			p.w(" ", d.Unit)
		}
		return
	}
	p.w("PARTITION ")
	if d.IfNotExists {
		p.w("IF NOT EXISTS ")
	}
	p.ident(d.Name.Name)
	switch d.Kind {
	case ValuesLessThan:
		p.w(" VALUES LESS THAN ")
		if len(d.Values) == 0 {
			p.w("MAXVALUE")
		} else {
			tuple(d.Values[0])
		}
	case ValuesFixedRange:
		p.w(" VALUES [")
		for i, t := range d.Values {
			if i > 0 {
				p.w(", ")
			}
			tuple(t)
		}
		p.w(")")
	case ValuesIn:
		p.w(" VALUES IN (")
		for i, t := range d.Values {
			if i > 0 {
				p.w(", ")
			}
			tuple(t)
		}
		p.w(")")
	}
}

func (p *printer) tableExpr(n TableExpr) {
	switch n := n.(type) {
	case *TableRef:
		if n.Table.DB == "" && strings.EqualFold(n.Table.Name, "dual") {
			p.w("`", n.Table.Name, "`") // a table named dual, not FROM DUAL (no FROM)
		} else {
			p.tableName(n.Table)
		}
		p.partitionNames(n.Partitions)
		if n.Alias != nil {
			p.w(" AS ")
			p.ident(n.Alias.Name)
		}
	case *DerivedTable:
		p.w("(")
		p.node(n.Query)
		p.w(")")
		if n.Alias != nil {
			p.w(" AS ")
			p.ident(n.Alias.Name)
		}
		if len(n.Columns) > 0 {
			p.w(" ")
			p.idents(n.Columns)
		}
	case *Join:
		// The comma binds looser than JOIN, and the right side of JOIN is a single table: a
		// comma join on the left of JOIN and any join on the right of JOIN need parentheses.
		left, leftIsJoin := n.Left.(*Join)
		if leftIsJoin && left.Comma && !n.Comma {
			p.w("(")
			p.tableExpr(n.Left)
			p.w(")")
		} else {
			p.tableExpr(n.Left)
		}
		if n.Comma {
			p.w(", ")
		} else {
			p.w(" ", n.Kind.String(), " ")
			if n.Hint != "" {
				p.w("[", n.Hint, "] ")
			}
		}
		right, rightIsJoin := n.Right.(*Join)
		if rightIsJoin && (!n.Comma || right.Comma) {
			p.w("(")
			p.tableExpr(n.Right)
			p.w(")")
		} else {
			p.tableExpr(n.Right)
		}
		if n.On != nil {
			p.w(" ON ")
			p.node(n.On)
		}
		if len(n.Using) > 0 {
			p.w(" USING ")
			p.idents(n.Using)
		}
	default:
		p.w(fmt.Sprintf("<unknown table expression %T>", n))
	}
}

func (p *printer) with(w *With) {
	if w == nil {
		return
	}
	p.w("WITH ")
	if w.Recursive {
		p.w("RECURSIVE ")
	}
	for i, c := range w.CTEs {
		if i > 0 {
			p.w(", ")
		}
		p.ident(c.Name.Name)
		if len(c.Columns) > 0 {
			p.w(" ")
			p.idents(c.Columns)
		}
		p.w(" AS (")
		p.node(c.Query)
		p.w(")")
	}
	p.w(" ")
}

// setOp renders a set operation; an operand is parenthesised when it has its own WITH, ORDER BY
// or LIMIT, or when it is a set operation that would otherwise regroup (INTERSECT binds tighter;
// all associate to the left).
func (p *printer) setOp(n *SetOp) {
	p.with(n.With)
	p.setOperand(n.Left, n, false)
	p.w(" ", n.Op.String())
	if n.All {
		p.w(" ALL")
	}
	p.w(" ")
	p.setOperand(n.Right, n, true)
	p.orderBy(n.OrderBy)
	p.limit(n.Limit)
}

func setOpPrec(k SetOpKind) int {
	if k == Intersect {
		return 2
	}
	return 1
}

func (p *printer) setOperand(q QueryExpr, parent *SetOp, right bool) {
	paren := false
	switch q := q.(type) {
	case *Select:
		paren = q.With != nil || len(q.OrderBy) > 0 || q.Limit != nil
	case *SetOp:
		pq, pp := setOpPrec(q.Op), setOpPrec(parent.Op)
		paren = q.With != nil || len(q.OrderBy) > 0 || q.Limit != nil || pq < pp || right && pq == pp
	}
	if paren {
		p.w("(")
		p.node(q)
		p.w(")")
	} else {
		p.node(q)
	}
}

func (p *printer) selectStmt(n *Select) {
	p.with(n.With)
	p.w("SELECT ")
	if n.Distinct {
		p.w("DISTINCT ")
	}
	for i, it := range n.Items {
		if i > 0 {
			p.w(", ")
		}
		p.node(it.Expr)
		if it.Alias != nil {
			p.w(" AS ")
			p.ident(it.Alias.Name)
		}
	}
	if n.From != nil {
		p.w(" FROM ")
		p.tableExpr(n.From)
	}
	if n.Where != nil {
		p.w(" WHERE ")
		p.node(n.Where)
	}
	switch n.Grouping {
	case GroupRollup, GroupCube:
		p.w(" GROUP BY ", map[bool]string{true: "ROLLUP(", false: "CUBE("}[n.Grouping == GroupRollup])
		p.exprs(n.GroupBy)
		p.w(")")
	case GroupSets:
		p.w(" GROUP BY GROUPING SETS (")
		for i, set := range n.GroupingSets {
			if i > 0 {
				p.w(", ")
			}
			p.w("(")
			p.exprs(set)
			p.w(")")
		}
		p.w(")")
	default:
		if len(n.GroupBy) > 0 {
			p.w(" GROUP BY ")
			p.exprs(n.GroupBy)
		}
	}
	if n.Having != nil {
		p.w(" HAVING ")
		p.node(n.Having)
	}
	p.orderBy(n.OrderBy)
	p.limit(n.Limit)
}

var frameBoundText = [...]string{"UNBOUNDED PRECEDING", " PRECEDING", "CURRENT ROW", " FOLLOWING", "UNBOUNDED FOLLOWING"}

func (p *printer) frameBound(b FrameBound) {
	if b.Kind == Preceding || b.Kind == Following {
		p.node(b.Offset)
	}
	if int(b.Kind) < len(frameBoundText) {
		p.w(frameBoundText[b.Kind])
	}
}

func (p *printer) window(w *WindowSpec) {
	p.w(" OVER (")
	sep := ""
	if len(w.PartitionBy) > 0 {
		p.w("PARTITION BY ")
		p.exprs(w.PartitionBy)
		sep = " "
	}
	if len(w.OrderBy) > 0 {
		p.w(sep, "ORDER BY ")
		p.orderItems(w.OrderBy)
		sep = " "
	}
	if f := w.Frame; f != nil {
		p.w(sep, map[bool]string{true: "RANGE", false: "ROWS"}[f.Unit == FrameRange], " BETWEEN ")
		p.frameBound(f.Start)
		p.w(" AND ")
		p.frameBound(f.End)
	}
	p.w(")")
}

func (p *printer) expr(n Node) {
	switch n := n.(type) {
	case *Literal:
		switch n.Kind {
		case LitNull:
			p.w("NULL")
		case LitString:
			p.w(QuoteString(n.Value))
		case LitDate:
			p.w("DATE ", QuoteString(n.Value))
		case LitTimestamp:
			p.w("TIMESTAMP ", QuoteString(n.Value))
		default:
			p.w(n.Value)
		}
	case *ColumnRef:
		if n.DB != "" {
			p.ident(n.DB)
			p.w(".")
		}
		if n.Table != "" {
			p.ident(n.Table)
			p.w(".")
		}
		p.ident(n.Name)
	case *Star:
		if n.DB != "" {
			p.ident(n.DB)
			p.w(".")
		}
		if n.Table != "" {
			p.ident(n.Table)
			p.w(".")
		}
		p.w("*")
	case *Variable:
		switch n.Scope {
		case ScopeUser:
			p.w("@")
		case ScopeSession:
			p.w("@@session.")
		case ScopeGlobal:
			p.w("@@global.")
		default:
			p.w("@@")
		}
		p.w(quoteVarName(n.Name))
	case *UnaryExpr:
		switch n.Op {
		case OpNeg:
			p.w("(- ")
		case OpPlus:
			p.w("(+ ")
		default:
			p.w("(NOT ")
		}
		p.node(n.X)
		p.w(")")
	case *BinaryExpr:
		p.w("(")
		p.node(n.L)
		p.w(" ", n.Op.String(), " ")
		p.node(n.R)
		p.w(")")
	case *IsExpr:
		p.w("(")
		p.node(n.X)
		p.w(" IS ")
		if n.Not {
			p.w("NOT ")
		}
		p.w([...]string{"NULL", "TRUE", "FALSE", "UNKNOWN"}[n.What])
		p.w(")")
	case *BetweenExpr:
		p.w("(")
		p.node(n.X)
		if n.Not {
			p.w(" NOT")
		}
		p.w(" BETWEEN ")
		p.node(n.Lo)
		p.w(" AND ")
		p.node(n.Hi)
		p.w(")")
	case *InExpr:
		p.w("(")
		p.node(n.X)
		if n.Not {
			p.w(" NOT")
		}
		p.w(" IN (")
		if n.Query != nil {
			p.node(n.Query)
		} else {
			p.exprs(n.List)
		}
		p.w("))")
	case *LikeExpr:
		p.w("(")
		p.node(n.X)
		if n.Not {
			p.w(" NOT")
		}
		if n.Regexp {
			p.w(" REGEXP ")
		} else {
			p.w(" LIKE ")
		}
		p.node(n.Pattern)
		if n.Escape != nil {
			p.w(" ESCAPE ")
			p.node(n.Escape)
		}
		p.w(")")
	case *RowExpr:
		p.w("(")
		p.exprs(n.Items)
		p.w(")")
	case *Subquery:
		p.w("(")
		p.node(n.Query)
		p.w(")")
	case *ExistsExpr:
		if n.Not {
			p.w("(NOT EXISTS (")
		} else {
			p.w("(EXISTS (")
		}
		p.node(n.Query)
		p.w("))")
	case *CompareSubquery:
		p.w("(")
		p.node(n.X)
		p.w(" ", n.Op.String(), map[bool]string{true: " ALL (", false: " ANY ("}[n.All])
		p.node(n.Query)
		p.w("))")
	case *IntervalExpr:
		p.w("INTERVAL ")
		p.node(n.Value)
		p.w(" ", n.Unit)
	case *ExtractExpr:
		p.w("EXTRACT(", n.Unit, " FROM ")
		p.node(n.X)
		p.w(")")
	case *CaseExpr:
		p.w("CASE")
		if n.Operand != nil {
			p.w(" ")
			p.node(n.Operand)
		}
		for _, wh := range n.Whens {
			p.w(" WHEN ")
			p.node(wh.Cond)
			p.w(" THEN ")
			p.node(wh.Result)
		}
		if n.Else != nil {
			p.w(" ELSE ")
			p.node(n.Else)
		}
		p.w(" END")
	case *CastExpr:
		p.w("CAST(")
		p.node(n.X)
		p.w(" AS ")
		p.typeName(n.Type)
		p.w(")")
	case *FuncCall:
		p.w(n.Name, "(")
		switch {
		case n.Star:
			p.w("*")
		case n.Distinct:
			p.w("DISTINCT ")
			p.exprs(n.Args)
		default:
			p.exprs(n.Args)
		}
		p.orderBy(n.OrderBy)
		p.w(")")
		if n.Over != nil {
			p.window(n.Over)
		}
	case *Default:
		p.w("DEFAULT")
	case *MaxValue:
		p.w("MAXVALUE")
	default:
		p.w(fmt.Sprintf("<unknown node %T>", n))
	}
}
