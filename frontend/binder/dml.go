package binder

import (
	"fmt"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/catalog"
)

// Delete is a bound DELETE FROM: for DUPLICATE and AGGREGATE KEY tables a delete predicate
// written to every tablet of Partitions (Doris's delete-predicate delete); for UNIQUE KEY tables
// the rows to write back as tombstones (Rows: the matching rows with the delete sign set).
type Delete struct {
	Table      *catalog.Table
	Partitions []*catalog.Partition // the partitions the statement names; every partition when none
	Predicate  *commonpb.DeletePredicate
	Rows       *InsertSelect
}

// BindDelete binds DELETE FROM t [PARTITION ...] [WHERE ...].
//
// DUPLICATE and AGGREGATE KEY tables: the WHERE must be a conjunction (AND) of `col op literal`
// (op one of = != <> < <= > >=), `col [NOT] IN (literal, ...)` and `col IS [NOT] NULL`, over
// columns that are not FLOAT or DOUBLE (AGGREGATE: key columns only); literals are converted to
// the column's type and kept in canonical text. Anything else is refused with Doris's message.
//
// UNIQUE KEY tables: any WHERE (none: every row); the statement is INSERT INTO t (visible
// columns, __DORIS_DELETE_SIGN__) SELECT visible columns, 1 FROM t [PARTITION ...] WHERE ...
func BindDelete(cat Catalog, currentDB string, st *ast.Delete) (*Delete, error) {
	return BindDeleteWith(cat, currentDB, st, QueryOptions{})
}

// BindDeleteWith is BindDelete with a session's settings (see BindQueryWith).
func BindDeleteWith(cat Catalog, currentDB string, st *ast.Delete, o QueryOptions) (*Delete, error) {
	t, _, err := resolveTable(cat, currentDB, st.Table)
	if err != nil {
		return nil, err
	}
	d := &Delete{Table: t}
	if len(st.Partitions) > 0 {
		if d.Partitions, err = Partitions(t, st.Partitions); err != nil {
			return nil, err
		}
	} else {
		for i := range t.Partitions {
			d.Partitions = append(d.Partitions, &t.Partitions[i])
		}
	}
	if t.KeysType == commonpb.KeysType_UNIQUE_KEYS {
		d.Rows, err = bindDeleteRows(cat, currentDB, t, st, o)
		return d, err
	}
	if st.Where == nil {
		return nil, errorf(ErrInvalidDML, st.Pos, "Where clause is not set")
	}
	d.Predicate = &commonpb.DeletePredicate{}
	if err := deleteConditions(t, st.Where, d.Predicate); err != nil {
		return nil, err
	}
	return d, nil
}

func bindDeleteRows(cat Catalog, currentDB string, t *catalog.Table, st *ast.Delete, o QueryOptions) (*InsertSelect, error) {
	sign := t.DeleteSignIndex()
	if sign < 0 {
		return nil, fmt.Errorf("BUG: UNIQUE KEY table %s has no %s column", t.Name, catalog.DeleteSignColumn)
	}
	sel := &ast.Select{Pos: st.Pos, From: &ast.TableRef{Pos: st.Table.Pos, Table: st.Table, Partitions: st.Partitions}, Where: st.Where}
	target := t.VisibleColumns()
	for _, i := range target {
		sel.Items = append(sel.Items, &ast.SelectItem{Pos: st.Pos, Expr: &ast.ColumnRef{Pos: st.Pos, Name: t.Columns[i].Name}})
	}
	sel.Items = append(sel.Items, &ast.SelectItem{Pos: st.Pos, Expr: &ast.Literal{Pos: st.Pos, Kind: ast.LitInt, Value: "1"}})
	target = append(target, sign)
	q, err := BindQueryWith(cat, currentDB, sel, o)
	if err != nil {
		return nil, err
	}
	return newInsertSelect(t, q, target, nil, st.Pos, o.now())
}

// deleteConditions appends the conditions of a delete predicate's WHERE to out.
func deleteConditions(t *catalog.Table, e ast.Expr, out *commonpb.DeletePredicate) error {
	switch x := e.(type) {
	case *ast.BinaryExpr:
		op := ""
		switch x.Op {
		case ast.OpAnd:
			if err := deleteConditions(t, x.L, out); err != nil {
				return err
			}
			return deleteConditions(t, x.R, out)
		case ast.OpOr:
			return errorf(ErrInvalidDML, x.Pos, "Compound predicate's op should be AND")
		case ast.OpEq, ast.OpNe, ast.OpLt, ast.OpLe, ast.OpGt, ast.OpGe:
			op = x.Op.String()
		default:
			return errorf(ErrInvalidDML, x.Pos, "Where clause only supports compound predicate, binary predicate, is_null predicate or in predicate")
		}
		col, ok := x.L.(*ast.ColumnRef)
		if !ok {
			return errorf(ErrInvalidDML, x.Pos, "Left expr of binary predicate should be column name, predicate: %s, left expr type:%s",
				ast.Format(x), exprType(t, x.L))
		}
		lit, ok := x.R.(*ast.Literal)
		if !ok {
			return errorf(ErrInvalidDML, x.Pos, "Right expr of binary predicate should be value, predicate: %s, right expr type:%s",
				ast.Format(x), exprType(t, x.R))
		}
		c, err := deleteColumn(t, col)
		if err != nil {
			return err
		}
		v, err := deleteValue(c, lit)
		if err != nil {
			return err
		}
		out.Conditions = append(out.Conditions, &commonpb.DeleteCondition{ColumnUniqueId: c.UniqueID, ColumnName: c.Name, Op: op, Values: []string{v}})
		return nil
	case *ast.IsExpr:
		if x.What != ast.IsNull {
			return errorf(ErrInvalidDML, x.Pos, "Where clause only supports compound predicate, binary predicate, is_null predicate or in predicate")
		}
		col, ok := x.X.(*ast.ColumnRef)
		if !ok {
			return errorf(ErrInvalidDML, x.Pos, "Left expr of is_null predicate should be column name")
		}
		c, err := deleteColumn(t, col)
		if err != nil {
			return err
		}
		op := "IS NULL"
		if x.Not {
			op = "IS NOT NULL"
		}
		out.Conditions = append(out.Conditions, &commonpb.DeleteCondition{ColumnUniqueId: c.UniqueID, ColumnName: c.Name, Op: op})
		return nil
	case *ast.InExpr:
		col, ok := x.X.(*ast.ColumnRef)
		if !ok {
			return errorf(ErrInvalidDML, x.Pos, "Left expr of in predicate should be column name")
		}
		cond := &commonpb.DeleteCondition{Op: "IN"}
		if x.Not {
			cond.Op = "NOT IN"
		}
		for _, item := range x.List {
			if _, ok := item.(*ast.Literal); !ok {
				return errorf(ErrInvalidDML, item.Position(), "Child of in predicate should be value")
			}
		}
		c, err := deleteColumn(t, col)
		if err != nil {
			return err
		}
		cond.ColumnUniqueId, cond.ColumnName = c.UniqueID, c.Name
		for _, item := range x.List {
			v, err := deleteValue(c, item.(*ast.Literal))
			if err != nil {
				return err
			}
			cond.Values = append(cond.Values, v)
		}
		out.Conditions = append(out.Conditions, cond)
		return nil
	}
	return errorf(ErrInvalidDML, e.Position(), "Where clause only supports compound predicate, binary predicate, is_null predicate or in predicate")
}

// exprType is the type of e over t's columns, for messages ("UNKNOWN" when it does not bind).
func exprType(t *catalog.Table, e ast.Expr) string {
	s := &scope{table: t, qualifier: t.Name}
	b, err := s.bind(e, exprCtx{clause: "WHERE"})
	if err != nil {
		return "UNKNOWN"
	}
	return b.typ.String()
}

// deleteColumn resolves the column of a delete condition and checks Doris's rules for it.
func deleteColumn(t *catalog.Table, ref *ast.ColumnRef) (*catalog.Column, error) {
	if ref.Table != "" && (ref.Table != t.Name || ref.DB != "") {
		return nil, errorf(ErrUnknownColumn, ref.Pos, "Unknown column '%s.%s' in '%s'", ref.Table, ref.Name, t.Name)
	}
	i := t.ColumnIndex(ref.Name)
	if i < 0 || t.Columns[i].Hidden {
		return nil, errorf(ErrUnknownColumn, ref.Pos, "Unknown column '%s' in '%s'", ref.Name, t.Name)
	}
	c := &t.Columns[i]
	if c.Type.IsFloat() {
		return nil, errorf(ErrInvalidDML, ref.Pos, "Column[%s] type is float or double.", c.Name)
	}
	if !c.IsKey && t.KeysType == commonpb.KeysType_AGG_KEYS {
		return nil, errorf(ErrInvalidDML, ref.Pos, "delete predicate on value column only supports Unique table with merge-on-write enabled and Duplicate table, but Table[%s] is an Aggregate table.", t.Name)
	}
	return c, nil
}

// deleteValue converts a condition's literal to the column's type, in canonical text.
func deleteValue(c *catalog.Column, lit *ast.Literal) (string, error) {
	v, err := literalValue(lit)
	if err == nil && !v.null {
		v, err = convert(v, c.Type)
	}
	if err != nil || v.null {
		text := lit.Value
		if lit.Kind == ast.LitNull {
			text = "NULL"
		}
		return "", errorf(ErrInvalidDML, lit.Pos, "Invalid column value[%s] for column %s", text, c.Name)
	}
	return v.text, nil
}

// BindUpdate binds UPDATE t SET col = expr, ... [WHERE ...] on a UNIQUE KEY table: the statement
// is INSERT INTO t (visible columns but those SET to DEFAULT) SELECT (the SET expression or the
// column itself, for each) FROM t WHERE ... . Key columns cannot be set (Doris's messages).
func BindUpdate(cat Catalog, currentDB string, st *ast.Update) (*InsertSelect, error) {
	return BindUpdateWith(cat, currentDB, st, QueryOptions{})
}

// BindUpdateWith is BindUpdate with a session's settings (see BindQueryWith).
func BindUpdateWith(cat Catalog, currentDB string, st *ast.Update, o QueryOptions) (*InsertSelect, error) {
	t, _, err := resolveTable(cat, currentDB, st.Table)
	if err != nil {
		return nil, err
	}
	if t.KeysType != commonpb.KeysType_UNIQUE_KEYS {
		return nil, errorf(ErrInvalidDML, st.Pos, "Only unique table could be updated.")
	}
	set := map[int]*ast.Assignment{}
	for _, a := range st.Set {
		i := t.ColumnIndex(a.Column.Name)
		if i < 0 {
			return nil, errorf(ErrUnknownColumn, a.Column.Pos, "Unknown column '%s' in 'field list'", a.Column.Name)
		}
		if _, dup := set[i]; dup {
			return nil, errorf(ErrInvalidDML, a.Pos, "Duplicate column setting: %s", a.Column.Name)
		}
		if t.Columns[i].IsKey {
			return nil, errorf(ErrInvalidDML, a.Pos, "Only value columns of unique table could be updated")
		}
		set[i] = a
	}
	sel := &ast.Select{Pos: st.Pos, From: &ast.TableRef{Pos: st.Table.Pos, Table: st.Table}, Where: st.Where}
	var target []int
	for i, c := range t.Columns {
		a, isSet := set[i]
		switch {
		case isSet && isDefault(a.Value):
			continue // takes its default
		case isSet:
			sel.Items = append(sel.Items, &ast.SelectItem{Pos: a.Pos, Expr: a.Value})
		case c.Hidden:
			continue // the delete sign: 0
		default:
			sel.Items = append(sel.Items, &ast.SelectItem{Pos: st.Pos, Expr: &ast.ColumnRef{Pos: st.Pos, Name: c.Name}})
		}
		target = append(target, i)
	}
	q, err := BindQueryWith(cat, currentDB, sel, o)
	if err != nil {
		return nil, err
	}
	return newInsertSelect(t, q, target, nil, st.Pos, o.now())
}

func isDefault(e ast.Expr) bool {
	_, ok := e.(*ast.Default)
	return ok
}
