package binder

import (
	"strings"

	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/plan"
)

// qcol is a column visible to names in a query block: a FROM item's column with the qualifier
// it is known by.
type qcol struct {
	qual, db string // table alias (or name) and database; qual empty for unnamed sources
	name     string
	col      plan.Column
	hidden   bool // a hidden table column: not in *
	usingDup bool // the second copy of a USING column: not found by bare name, not in *
}

// qscope is what column names of one query block resolve against: its FROM columns, then
// (for correlated subqueries) the enclosing blocks.
type qscope struct {
	cols   []qcol
	parent *qscope
	env    *cteEnv // the CTEs visible in the block
}

// resolve finds a column reference in the scope chain; outer reports a reference to an
// enclosing block.
func (q *qscope) resolve(c *ast.ColumnRef) (qcol, bool, error) {
	for s, depth := q, 0; s != nil; s, depth = s.parent, depth+1 {
		var found []qcol
		for _, x := range s.cols {
			if !strings.EqualFold(x.name, c.Name) {
				continue
			}
			if c.Table == "" {
				if x.usingDup {
					continue
				}
			} else if x.qual != c.Table || c.DB != "" && c.DB != x.db {
				continue
			}
			found = append(found, x)
		}
		switch {
		case len(found) == 1:
			return found[0], depth > 0, nil
		case len(found) > 1:
			return qcol{}, false, errorf(ErrUnknownColumn, c.Pos, "Column '%s' in field list is ambiguous", refText(c))
		}
	}
	return qcol{}, false, errorf(ErrUnknownColumn, c.Pos, "Unknown column '%s' in 'table list'", refText(c))
}

// has reports whether the block itself (not an enclosing one) produces column id.
func (q *qscope) has(id plan.ColumnID) bool {
	for _, x := range q.cols {
		if x.col.ID == id {
			return true
		}
	}
	return false
}
