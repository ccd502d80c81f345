package binder

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/catalog"
)

// BindInsert converts the rows of INSERT INTO t ... VALUES into a batch with every column of t
// in schema order (the column types of t, NULLs in the bitmap: bit i%8 of byte i/8 is row i).
// Columns not listed take their DEFAULT (CURRENT_TIMESTAMP and CURRENT_DATE are evaluated once
// per statement, in local time), or NULL when nullable; otherwise it is an error. Values are
// literals (optionally signed), NULL or DEFAULT; they are converted strictly: a value that does
// not fit its column is an error naming the row, the column and the value.
//
// The caller resolves t from st.Table (the database defaults to the session's).
func BindInsert(t *catalog.Table, st *ast.Insert) (*commonpb.Batch, error) {
	return bindInsert(t, st, time.Now().UTC())
}

// BindInsertAt is BindInsert with CURRENT_TIMESTAMP and NOW() defaults at now, a local time in
// the session's time zone.
func BindInsertAt(t *catalog.Table, st *ast.Insert, now time.Time) (*commonpb.Batch, error) {
	return bindInsert(t, st, now)
}

func bindInsert(t *catalog.Table, st *ast.Insert, now time.Time) (*commonpb.Batch, error) {
	if st.Query != nil || st.Select != nil {
		pos := st.Pos
		if st.Query != nil {
			pos = st.Query.Position()
		}
		return nil, errorf(ErrNotSupported, pos, "INSERT ... SELECT is bound by BindInsertSelect, not BindInsert")
	}
	// target[i] is the table column the i-th value of a row goes to.
	target, err := insertTargets(t, st.Columns)
	if err != nil {
		return nil, err
	}
	source := sourceOf(t, target) // value position per table column; -1: not listed

	n := len(st.Rows)
	builders := make([]*columnBuilder, len(t.Columns))
	for i, c := range t.Columns {
		builders[i] = newColumnBuilder(c.Type, n)
	}
	defaults := make([]*value, len(t.Columns)) // computed once per statement, when needed
	defaultOf := func(col int, pos ast.Pos, row int) (value, error) {
		if defaults[col] == nil {
			v, err := columnDefault(t.Columns[col], now)
			if err != nil {
				e := err.(*Error)
				e.Pos, e.Row = pos, row
				return value{}, e
			}
			defaults[col] = &v
		}
		return *defaults[col], nil
	}

	for r, row := range st.Rows {
		rowNo := r + 1
		if len(row) != len(target) && !(len(row) == 0 && len(st.Columns) == 0) {
			return nil, &Error{Code: ErrValueCount, Pos: st.Pos, Row: rowNo,
				Msg: fmt.Sprintf("Column count doesn't match value count at row %d", rowNo)}
		}
		for ci, c := range t.Columns {
			var v value
			var err error
			switch {
			case len(row) == 0 || source[ci] < 0:
				v, err = defaultOf(ci, st.Pos, rowNo)
			default:
				v, err = rowValue(row[source[ci]], c, now, func(pos ast.Pos) (value, error) { return defaultOf(ci, pos, rowNo) })
				if err != nil {
					var ce *convError
					if errors.As(err, &ce) {
						err = &Error{Code: ErrBadValue, Pos: row[source[ci]].Position(), Row: rowNo, Column: c.Name,
							Msg: fmt.Sprintf("row %d, column '%s': %s", rowNo, c.Name, ce.msg)}
					} else if be, ok := err.(*Error); ok && be.Row == 0 {
						be.Row, be.Column = rowNo, c.Name
						be.Msg = fmt.Sprintf("row %d, column '%s': %s", rowNo, c.Name, be.Msg)
					}
				}
			}
			if err != nil {
				return nil, err
			}
			if v.null && !c.Nullable {
				pos := st.Pos
				if source[ci] >= 0 && len(row) > 0 {
					pos = row[source[ci]].Position()
				}
				return nil, &Error{Code: ErrBadNull, Pos: pos, Row: rowNo, Column: c.Name,
					Msg: fmt.Sprintf("row %d, column '%s': Column '%s' cannot be null", rowNo, c.Name, c.Name)}
			}
			builders[ci].add(v)
		}
	}
	batch := &commonpb.Batch{NumRows: int64(n)}
	for _, b := range builders {
		if len(b.col.Nulls) > 0 {
			for len(b.col.Nulls) < (n+7)/8 {
				b.col.Nulls = append(b.col.Nulls, 0)
			}
		}
		batch.Columns = append(batch.Columns, b.col)
	}
	return batch, nil
}

// rowValue converts one VALUES item for column c.
func rowValue(e ast.Expr, c catalog.Column, now time.Time, def func(ast.Pos) (value, error)) (value, error) {
	switch x := e.(type) {
	case *ast.Default:
		return def(x.Pos)
	case *ast.Literal:
		// Convert from the literal's text, so that no intermediate type loses precision.
		text := x.Value
		var from types.T
		switch x.Kind {
		case ast.LitNull:
			return nullValue(c.Type), nil
		case ast.LitBool:
			from, text = types.New(types.Boolean), map[string]string{"TRUE": "1", "FALSE": "0"}[x.Value]
		case ast.LitInt:
			from = types.New(types.LargeInt)
		case ast.LitDecimal:
			from = types.DecimalOf(types.MaxDecimalPrecision, 0)
		case ast.LitFloat:
			from = types.New(types.Double)
		case ast.LitDate:
			from = types.New(types.Date)
		case ast.LitTimestamp:
			from = types.DateTimeOf(types.MaxDateTimeScale)
		default:
			from = types.New(types.String)
		}
		return convertText(from, text, c.Type)
	case *ast.UnaryExpr:
		if lit, ok := x.X.(*ast.Literal); ok && x.Op == ast.OpPlus && lit.Kind != ast.LitString {
			return rowValue(lit, c, now, def)
		}
	case *ast.FuncCall:
		name := strings.ToUpper(x.Name)
		if (name == "CURRENT_TIMESTAMP" || name == "NOW" || name == "CURRENT_DATE") && len(x.Args) == 0 && !x.Star {
			v, err := currentValue(now, c.Type)
			if err != nil {
				return value{}, &convError{fmt.Sprintf("%s() cannot be stored in a %s column", x.Name, c.Type)}
			}
			return v, nil
		}
	}
	return value{}, errorf(ErrNotSupported, e.Position(), "only constant values are supported in INSERT ... VALUES for now, got %s", ast.Format(e))
}

// columnDefault is the value an omitted column takes.
func columnDefault(c catalog.Column, now time.Time) (value, error) {
	if c.Default == nil {
		if c.Nullable {
			return nullValue(c.Type), nil
		}
		return value{}, &Error{Code: ErrNoDefault, Column: c.Name, Msg: fmt.Sprintf("Field '%s' doesn't have a default value", c.Name)}
	}
	text := *c.Default
	if up := strings.ToUpper(text); up == "CURRENT_TIMESTAMP" || up == "CURRENT_DATE" {
		v, err := currentValue(now, c.Type)
		if err != nil {
			return value{}, &Error{Code: ErrInvalidDefault, Column: c.Name, Msg: fmt.Sprintf("Invalid default value for '%s': %v", c.Name, err)}
		}
		return v, nil
	}
	v, err := convertText(types.New(types.String), text, c.Type)
	if err != nil {
		return value{}, &Error{Code: ErrInvalidDefault, Column: c.Name, Msg: fmt.Sprintf("Invalid default value for '%s': %v", c.Name, err)}
	}
	return v, nil
}

// columnBuilder accumulates one column of a batch.
type columnBuilder struct {
	t   types.T
	n   int
	col *commonpb.ColumnData
}

func newColumnBuilder(t types.T, rows int) *columnBuilder {
	col := &commonpb.ColumnData{Type: t.Proto()}
	switch t.Physical() {
	case types.PhysInt128:
		col.Decimal128 = make([]uint64, 0, 2*rows)
	case types.PhysFloat64:
		col.Doubles = make([]float64, 0, rows)
	case types.PhysBytes:
		col.Bytes = make([][]byte, 0, rows)
	default:
		col.Int64S = make([]int64, 0, rows)
	}
	return &columnBuilder{t: t, col: col}
}

func (b *columnBuilder) add(v value) {
	if v.null {
		for len(b.col.Nulls) <= b.n/8 {
			b.col.Nulls = append(b.col.Nulls, 0)
		}
		b.col.Nulls[b.n/8] |= 1 << (b.n % 8)
	}
	switch b.t.Physical() {
	case types.PhysInt128:
		b.col.Decimal128 = append(b.col.Decimal128, uint64(v.i128.Hi), v.i128.Lo)
	case types.PhysFloat64:
		b.col.Doubles = append(b.col.Doubles, v.f64)
	case types.PhysBytes:
		if v.b == nil {
			v.b = []byte{}
		}
		b.col.Bytes = append(b.col.Bytes, v.b)
	default:
		b.col.Int64S = append(b.col.Int64S, v.i64)
	}
	b.n++
}
