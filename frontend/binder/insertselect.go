package binder

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/catalog"
)

// insertTargets resolves an INSERT column list to positions in t.Columns; without a list, the
// visible columns in schema order. A hidden column may be named explicitly.
func insertTargets(t *catalog.Table, cols []ast.Ident) ([]int, error) {
	if len(cols) == 0 {
		return t.VisibleColumns(), nil
	}
	var target []int
	seen := map[int]bool{}
	for _, c := range cols {
		i := t.ColumnIndex(c.Name)
		if i < 0 {
			return nil, errorf(ErrUnknownColumn, c.Pos, "Unknown column '%s' in 'table list'", c.Name)
		}
		if seen[i] {
			return nil, &Error{Code: ErrDuplicateColumn, Pos: c.Pos, Column: t.Columns[i].Name,
				Msg: fmt.Sprintf("Column '%s' specified twice", c.Name)}
		}
		seen[i] = true
		target = append(target, i)
	}
	return target, nil
}

// sourceOf inverts target: for each table column, the position of its value (-1: not listed).
func sourceOf(t *catalog.Table, target []int) []int {
	source := make([]int, len(t.Columns))
	for i := range source {
		source[i] = -1
	}
	for pos, col := range target {
		source[col] = pos
	}
	return source
}

// InsertSelect is a bound INSERT ... SELECT: the query to run and how its result rows become
// rows of the table (Add, Rows). DELETE and UPDATE on UNIQUE KEY tables bind to one too: they
// write back the rows they select.
type InsertSelect struct {
	Query *Query
	Table *catalog.Table
	// Partitions are the target partitions the statement names (INSERT INTO t PARTITION (...));
	// empty: any.
	Partitions []string
	pos        ast.Pos
	source     []int    // per table column: the query result column, or -1 (the default)
	defaults   []*value // computed once, when first needed
	now        time.Time
	builders   []*columnBuilder // the converted rows
	rows       int
}

// BindInsertSelect binds INSERT INTO t [PARTITION (...)] [(cols)] <query>, where the query is any
// query expression (SELECT, a set operation, WITH ..., a parenthesised query): the query (bound
// by BindQuery against cat; it may read t itself) must output one column per target column (the
// listed ones, or every visible column of t). Columns not listed take their DEFAULT, as in
// INSERT ... VALUES. Values are converted when the rows arrive (Add), strictly, with the
// messages INSERT ... VALUES gives.
func BindInsertSelect(cat Catalog, currentDB string, t *catalog.Table, st *ast.Insert) (*InsertSelect, error) {
	return BindInsertSelectWith(cat, currentDB, t, st, QueryOptions{})
}

// BindInsertSelectWith is BindInsertSelect with a session's settings (the query's, see
// BindQueryWith).
func BindInsertSelectWith(cat Catalog, currentDB string, t *catalog.Table, st *ast.Insert, o QueryOptions) (*InsertSelect, error) {
	query := st.Query
	if query == nil && st.Select != nil {
		query = st.Select
	}
	if query == nil {
		return nil, fmt.Errorf("BUG: BindInsertSelect of an INSERT ... VALUES")
	}
	target, err := insertTargets(t, st.Columns)
	if err != nil {
		return nil, err
	}
	var parts []string
	if len(st.Partitions) > 0 {
		ps, err := Partitions(t, st.Partitions)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			parts = append(parts, p.Name)
		}
	}
	q, err := BindQueryWith(cat, currentDB, query, o)
	if err != nil {
		return nil, err
	}
	if len(q.Columns) != len(target) {
		return nil, errorf(ErrValueCount, query.Position(), "insert into cols should be corresponding to the query output")
	}
	return newInsertSelect(t, q, target, parts, st.Pos, o.now())
}

func newInsertSelect(t *catalog.Table, q *Query, target []int, parts []string, pos ast.Pos, now time.Time) (*InsertSelect, error) {
	p := &InsertSelect{Query: q, Table: t, Partitions: parts, pos: pos, source: sourceOf(t, target),
		defaults: make([]*value, len(t.Columns)), now: now}
	// A column without a value and without a default fails now, not at the first row.
	for ci, src := range p.source {
		if src < 0 {
			if _, err := p.defaultOf(ci); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

func (p *InsertSelect) defaultOf(col int) (value, error) {
	if p.defaults[col] == nil {
		v, err := columnDefault(p.Table.Columns[col], p.now)
		if err != nil {
			if e, ok := err.(*Error); ok {
				e.Pos = p.pos
			}
			return value{}, err
		}
		p.defaults[col] = &v
	}
	return *p.defaults[col], nil
}

// Add converts a batch of the query's result rows into rows of the table (every column, schema
// order) and keeps them for Rows. Errors name the row (1-based, counted over every batch added)
// and the column, as INSERT ... VALUES does. An InsertSelect is used by one goroutine.
func (p *InsertSelect) Add(in *commonpb.Batch) error {
	cols := p.Table.Columns
	if p.builders == nil {
		p.builders = make([]*columnBuilder, len(cols))
		for i, c := range cols {
			p.builders[i] = newColumnBuilder(c.Type, int(in.GetNumRows()))
		}
	}
	from := make([]types.T, len(in.GetColumns()))
	for i, c := range in.GetColumns() {
		from[i] = types.FromProto(c.GetType())
	}
	for r := 0; r < int(in.GetNumRows()); r++ {
		rowNo := p.rows + 1
		for ci, c := range cols {
			var v value
			var err error
			if src := p.source[ci]; src < 0 {
				v, err = p.defaultOf(ci)
			} else if src >= len(in.GetColumns()) {
				return fmt.Errorf("BUG: query result has %d columns, column %s reads #%d", len(in.GetColumns()), c.Name, src)
			} else {
				v, err = convert(cellValue(from[src], in.GetColumns()[src], r), c.Type)
				var ce *convError
				if errors.As(err, &ce) {
					err = &Error{Code: ErrBadValue, Pos: p.pos, Row: rowNo, Column: c.Name,
						Msg: fmt.Sprintf("row %d, column '%s': %s", rowNo, c.Name, ce.msg)}
				}
			}
			if err != nil {
				return err
			}
			if v.null && !c.Nullable {
				return &Error{Code: ErrBadNull, Pos: p.pos, Row: rowNo, Column: c.Name,
					Msg: fmt.Sprintf("row %d, column '%s': Column '%s' cannot be null", rowNo, c.Name, c.Name)}
			}
			p.builders[ci].add(v)
		}
		p.rows++
	}
	return nil
}

// NumRows is how many rows Add has converted.
func (p *InsertSelect) NumRows() int { return p.rows }

// Rows is every row Add converted, as one batch of every column of the table in schema order.
func (p *InsertSelect) Rows() *commonpb.Batch {
	n := p.rows
	out := &commonpb.Batch{NumRows: int64(n)}
	for i, c := range p.Table.Columns {
		var b *columnBuilder
		if p.builders != nil {
			b = p.builders[i]
		} else {
			b = newColumnBuilder(c.Type, 0)
		}
		if len(b.col.Nulls) > 0 {
			for len(b.col.Nulls) < (n+7)/8 {
				b.col.Nulls = append(b.col.Nulls, 0)
			}
		}
		out.Columns = append(out.Columns, b.col)
	}
	return out
}

// cellValue is value i of a wire column of type t, with its canonical text.
func cellValue(t types.T, col *commonpb.ColumnData, i int) value {
	if nulls := col.GetNulls(); i/8 < len(nulls) && nulls[i/8]&(1<<(i%8)) != 0 {
		return nullValue(t)
	}
	v := value{typ: t}
	switch t.Physical() {
	case types.PhysBytes:
		v.b = col.GetBytes()[i]
		v.text = string(v.b)
	case types.PhysFloat64:
		v.f64 = col.GetDoubles()[i]
		bits := 64
		if t.Kind == types.Float {
			bits = 32
		}
		v.text = strconv.FormatFloat(v.f64, 'g', -1, bits)
	case types.PhysInt128:
		v.i128 = types.Int128{Hi: int64(col.GetDecimal128()[2*i]), Lo: col.GetDecimal128()[2*i+1]}
		if t.Kind == types.Decimal {
			v.text = types.FormatDecimal(v.i128, t.Scale)
		} else {
			v.text = v.i128.String()
		}
	default:
		v.i64 = col.GetInt64S()[i]
		switch t.Kind {
		case types.Decimal:
			v.text = types.FormatDecimal(types.I128(v.i64), t.Scale)
		case types.Date:
			v.text = types.FormatDate(v.i64)
		case types.DateTime:
			v.text = types.FormatDateTime(v.i64, t.Scale)
		default:
			v.text = strconv.FormatInt(v.i64, 10)
		}
	}
	return v
}
