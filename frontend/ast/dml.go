package ast

// Delete is DELETE FROM [db.]t [PARTITION p | PARTITIONS (p, ...) | PARTITION (p, ...)] [WHERE
// expr]. Where is nil when absent (the binder refuses that where Doris does).
type Delete struct {
	Pos        Pos
	Table      TableName
	Partitions []Ident // empty: every partition
	Where      Expr
}

// Assignment is column = value in UPDATE's SET list.
type Assignment struct {
	Pos    Pos
	Column Ident
	Value  Expr
}

// Update is UPDATE [db.]t SET col = expr, ... [WHERE expr].
type Update struct {
	Pos   Pos
	Table TableName
	Set   []*Assignment
	Where Expr
}

// ShowLoad is SHOW LOAD [FROM db] [WHERE expr] [ORDER BY ...] [LIMIT ...]. The binder accepts
// in Where only LABEL = 'x', LABEL LIKE 'x' and STATE = 'x', joined by AND.
type ShowLoad struct {
	Pos     Pos
	DB      *Ident
	Where   Expr
	OrderBy []*OrderItem
	Limit   *Limit
}

func (n *Delete) Position() Pos     { return n.Pos }
func (n *Update) Position() Pos     { return n.Pos }
func (n *ShowLoad) Position() Pos   { return n.Pos }
func (n *Assignment) Position() Pos { return n.Pos }

func (*Delete) statement()   {}
func (*Update) statement()   {}
func (*ShowLoad) statement() {}

// dml renders DELETE, UPDATE and SHOW LOAD (Format's cases for this file's statements).
func (p *printer) dml(n Node) {
	switch n := n.(type) {
	case *Delete:
		p.w("DELETE FROM ")
		p.tableName(n.Table)
		p.partitionNames(n.Partitions)
		if n.Where != nil {
			p.w(" WHERE ")
			p.node(n.Where)
		}
	case *Update:
		p.w("UPDATE ")
		p.tableName(n.Table)
		p.w(" SET ")
		for i, a := range n.Set {
			if i > 0 {
				p.w(", ")
			}
			p.ident(a.Column.Name)
			p.w(" = ")
			p.node(a.Value)
		}
		if n.Where != nil {
			p.w(" WHERE ")
			p.node(n.Where)
		}
	case *ShowLoad:
		p.w("SHOW LOAD")
		if n.DB != nil {
			p.w(" FROM ")
			p.ident(n.DB.Name)
		}
		if n.Where != nil {
			p.w(" WHERE ")
			p.node(n.Where)
		}
		p.orderBy(n.OrderBy)
		p.limit(n.Limit)
	}
}
