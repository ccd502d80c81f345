package binder

import (
	"strings"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/catalog"
)

// hiddenColumnPrefix starts the names of the system's hidden columns; user columns may not.
const hiddenColumnPrefix = "__DORIS_"

// checkColumnName refuses a user column whose name is reserved for hidden columns (Doris's text).
func checkColumnName(d *ast.ColumnDef) error {
	if strings.HasPrefix(strings.ToUpper(d.Name.Name), hiddenColumnPrefix) {
		return &Error{Code: ErrInvalidDDL, Pos: d.Name.Pos, Column: d.Name.Name,
			Msg: "Disable to create table column with name start with __DORIS_: " + d.Name.Name}
	}
	return nil
}

// addHiddenColumns appends the system's hidden columns to a new table: for UNIQUE KEY tables the
// delete sign, __DORIS_DELETE_SIGN__ TINYINT NOT NULL DEFAULT "0" REPLACE, as the last column
// (as Doris; TabletSchema.delete_sign_idx points at it).
func addHiddenColumns(t *catalog.Table) {
	if t.KeysType != commonpb.KeysType_UNIQUE_KEYS {
		return
	}
	zero := "0"
	t.Columns = append(t.Columns, catalog.Column{UniqueID: t.NextColumnID, Name: catalog.DeleteSignColumn,
		Type: types.New(types.TinyInt), Default: &zero, Aggregation: "REPLACE", Hidden: true})
	t.NextColumnID++
}
