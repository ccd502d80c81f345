package catalog

import "strings"

// DeleteSignColumn is the hidden TINYINT NOT NULL DEFAULT "0" REPLACE column every UNIQUE KEY
// table has as its last column (Doris's __DORIS_DELETE_SIGN__): a row whose winning version
// has it set to 1 is a tombstone (DELETE on UNIQUE tables writes such rows).
const DeleteSignColumn = "__DORIS_DELETE_SIGN__"

// DeleteSignIndex is the position of the hidden delete-sign column in Columns; -1 when the table
// has none.
func (t *Table) DeleteSignIndex() int {
	for i, c := range t.Columns {
		if c.Hidden && strings.EqualFold(c.Name, DeleteSignColumn) {
			return i
		}
	}
	return -1
}

// VisibleColumns lists the positions in Columns of the columns that are not hidden, in order:
// what SELECT *, DESC and INSERT without a column list see.
func (t *Table) VisibleColumns() []int {
	out := make([]int, 0, len(t.Columns))
	for i, c := range t.Columns {
		if !c.Hidden {
			out = append(out, i)
		}
	}
	return out
}
