package ast

// Analyze is ANALYZE TABLE [db.]t [(c1, c2, ...)] [WITH SYNC]: compute the statistics of the
// named columns (all when none are) and store them for the optimizer; or ANALYZE DATABASE db
// [WITH SYNC]: every column of every table of the database.
type Analyze struct {
	Pos      Pos
	Table    TableName // ANALYZE TABLE's
	Database *Ident    // ANALYZE DATABASE's (Table and Columns then empty)
	Columns  []Ident   // nil: every column
	Sync     bool      // WITH SYNC
}

// ShowColumnStats is SHOW COLUMN STATS [db.]t [(c1, c2, ...)].
type ShowColumnStats struct {
	Pos     Pos
	Table   TableName
	Columns []Ident // nil: every column
}

// DropStats is DROP STATS [db.]t [(c1, c2, ...)].
type DropStats struct {
	Pos     Pos
	Table   TableName
	Columns []Ident // nil: every column
}

func (n *Analyze) Position() Pos         { return n.Pos }
func (n *ShowColumnStats) Position() Pos { return n.Pos }
func (n *DropStats) Position() Pos       { return n.Pos }
func (*Analyze) statement()              {}
func (*ShowColumnStats) statement()      {}
func (*DropStats) statement()            {}

// formatStats renders the statistics statements; false when n is not one of them.
func (p *printer) formatStats(n Node) bool {
	var cols []Ident
	switch n := n.(type) {
	case *Analyze:
		if n.Database != nil {
			p.w("ANALYZE DATABASE ")
			p.ident(n.Database.Name)
		} else {
			p.w("ANALYZE TABLE ")
			p.tableName(n.Table)
			p.statsColumns(n.Columns)
		}
		if n.Sync {
			p.w(" WITH SYNC")
		}
		return true
	case *ShowColumnStats:
		p.w("SHOW COLUMN STATS ")
		p.tableName(n.Table)
		cols = n.Columns
	case *DropStats:
		p.w("DROP STATS ")
		p.tableName(n.Table)
		cols = n.Columns
	default:
		return false
	}
	p.statsColumns(cols)
	return true
}

func (p *printer) statsColumns(cols []Ident) {
	if len(cols) == 0 {
		return
	}
	p.w(" ")
	p.idents(cols)
}
