package binder

import (
	"fmt"
	"strings"
	"time"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/catalog"
)

// LoadColumn is one item of a stream load's `columns` header: a source column name, or a
// mapping `Name = Expr` of a table column to an expression over the source columns.
type LoadColumn struct {
	Name string
	Expr ast.Expr // nil: Name is a source column
	Pos  ast.Pos
}

// LoadMapping is how a load turns the body's columns into the table's rows (package doc of
// frontend/load; the wire form is loadpb.PlanResponse).
type LoadMapping struct {
	// Sources are the body's columns, in order. Without a `columns` header they are the table's
	// columns.
	Sources []string
	// Targets has one expression per table column, over the sources (each STRING, nullable):
	// a ColumnRef, a mapping's expression, or the column's default (NULL when nullable and without
	// default). Its type may differ from the column's; the compute node casts.
	Targets []*planpb.Expr
	// Where is the `where` filter over the table's columns, or nil.
	Where *planpb.Expr
}

// BindLoad binds a stream load's `columns` items (none: every table column, in order) and
// `where` filter (nil: none) against t. Defaults of CURRENT_TIMESTAMP/CURRENT_DATE are taken at
// now. Names are case-insensitive, as table columns are. Errors are *Error, wrapped with the
// header they come from.
func BindLoad(t *catalog.Table, items []LoadColumn, where ast.Expr, now time.Time) (*LoadMapping, error) {
	m := &LoadMapping{}
	mapped := map[int]ast.Expr{} // table column → its mapping expression
	if len(items) == 0 {
		for _, c := range t.Columns {
			if !c.Hidden { // hidden columns take their default
				m.Sources = append(m.Sources, c.Name)
			}
		}
	}
	seen := map[string]bool{}
	for _, it := range items {
		key := strings.ToLower(it.Name)
		if it.Expr == nil {
			if seen[key] {
				return nil, &Error{Code: ErrDuplicateColumn, Column: it.Name, Msg: fmt.Sprintf("columns header: Duplicate column: %s", it.Name)}
			}
			seen[key] = true
			m.Sources = append(m.Sources, it.Name)
			continue
		}
		i := t.ColumnIndex(it.Name)
		if i < 0 {
			return nil, &Error{Code: ErrUnknownColumn, Column: it.Name, Msg: fmt.Sprintf("columns header: Unknown column '%s' in table '%s'", it.Name, t.Name)}
		}
		if _, dup := mapped[i]; dup {
			return nil, &Error{Code: ErrDuplicateColumn, Column: it.Name, Msg: fmt.Sprintf("columns header: Column '%s' is mapped twice", it.Name)}
		}
		mapped[i] = it.Expr
	}

	// The sources, as a table of nullable strings, are what mapping expressions see.
	src := &catalog.Table{Name: t.Name}
	for _, name := range m.Sources {
		src.Columns = append(src.Columns, catalog.Column{Name: name, Type: types.New(types.String), Nullable: true})
	}
	srcScope := &scope{table: src, qualifier: t.Name}
	srcInput := map[string]int{}
	for i := range src.Columns {
		srcInput[fmt.Sprintf("#%d", i)] = i
	}
	notFound := func(e *expr) error { return fmt.Errorf("BUG: load expression refers to %s", e.key()) }

	for i, c := range t.Columns {
		if e, ok := mapped[i]; ok {
			b, err := srcScope.bind(e, exprCtx{clause: "columns"})
			if err != nil {
				return nil, fmt.Errorf("columns header, %s = %s: %w", c.Name, ast.Format(e), err)
			}
			if b.hasAgg() {
				return nil, errorf(ErrInvalidGroupFunc, e.Position(), "aggregate functions are not allowed in the columns header")
			}
			p, err := toPlan(b, srcInput, notFound)
			if err != nil {
				return nil, err
			}
			m.Targets = append(m.Targets, p)
			continue
		}
		if k := src.ColumnIndex(c.Name); k >= 0 {
			m.Targets = append(m.Targets, &planpb.Expr{Type: types.New(types.String).Proto(), Nullable: true,
				Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(k)}}})
			continue
		}
		if c.Default == nil && !c.Nullable {
			return nil, &Error{Code: ErrNoDefault, Column: c.Name, Msg: fmt.Sprintf("Column has no default value. column: %s", c.Name)}
		}
		v, err := columnDefault(c, now)
		if err != nil {
			return nil, err
		}
		m.Targets = append(m.Targets, &planpb.Expr{Type: c.Type.Proto(), Nullable: v.null, Kind: &planpb.Expr_Literal{Literal: v.literal()}})
	}

	if where != nil {
		s := &scope{table: t, qualifier: t.Name}
		b, err := s.bind(where, exprCtx{clause: "where"})
		if err != nil {
			return nil, fmt.Errorf("where header: %w", err)
		}
		if b.hasAgg() {
			return nil, errorf(ErrInvalidGroupFunc, where.Position(), "aggregate functions are not allowed in the where header")
		}
		if b.typ.IsTemporal() {
			return nil, errorf(ErrWrongType, where.Position(), "the where header must be a boolean condition, got %s", b.typ)
		}
		if b, err = s.coerce(b, types.New(types.Boolean), where.Position()); err != nil {
			return nil, fmt.Errorf("where header: %w", err)
		}
		input := map[string]int{}
		for i := range t.Columns {
			input[fmt.Sprintf("#%d", i)] = i
		}
		if m.Where, err = toPlan(b, input, notFound); err != nil {
			return nil, err
		}
	}
	return m, nil
}
