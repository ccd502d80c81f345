package plan

import (
	"fmt"
	"strings"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/catalog"
)

// ColumnID identifies a column within one query.
type ColumnID int32

// Column is a column a node produces.
type Column struct {
	ID       ColumnID
	Name     string
	Type     types.T
	Nullable bool
}

// Columns hands out column ids; one per query.
type Columns struct{ next ColumnID }

// New returns a fresh column.
func (c *Columns) New(name string, t types.T, nullable bool) Column {
	c.next++
	return Column{ID: c.next, Name: name, Type: t, Nullable: nullable}
}

// ---- expressions ----

// ExprKind is the kind of an expression.
type ExprKind uint8

const (
	ExprColumn   ExprKind = iota // a column by id
	ExprConst                    // a constant
	ExprCall                     // a scalar function call
	ExprSubquery                 // a subquery (before decorrelation)
)

// Expr is a bound, typed expression. Exprs are immutable once built and may be shared.
type Expr struct {
	Kind     ExprKind
	Type     types.T
	Nullable bool
	Col      ColumnID        // ExprColumn
	Value    *planpb.Literal // ExprConst
	Text     string          // ExprConst: canonical text (what CAST(v AS STRING) gives); "NULL" for NULL
	Name     string          // ExprCall: canonical function name
	Args     []*Expr         // ExprCall
	Sub      *Subquery       // ExprSubquery
}

// SubqueryKind is the kind of a subquery expression.
type SubqueryKind uint8

const (
	SubScalar SubqueryKind = iota // (SELECT x ...): the value of its one row (NULL with none)
	SubExists                     // EXISTS (...)
	SubIn                         // x IN (SELECT c ...): Cond is the comparison of x with c
)

// Subquery is a subquery used as a value. Plan may refer to columns of the enclosing query.
type Subquery struct {
	Kind SubqueryKind
	Plan Node
	Col  ColumnID // SubScalar, SubIn: the subquery's output column
	Cond *Expr    // SubIn: the comparison of the probe value with Col
	Text string   // the subquery as written (error messages)
}

// ColRef is a reference to c.
func ColRef(c Column) *Expr {
	return &Expr{Kind: ExprColumn, Type: c.Type, Nullable: c.Nullable, Col: c.ID}
}

// IsColumn reports whether e is a bare column reference.
func (e *Expr) IsColumn() bool { return e.Kind == ExprColumn }

// IsConst reports whether e is a constant.
func (e *Expr) IsConst() bool { return e.Kind == ExprConst }

// IsNull reports whether e is the NULL constant.
func (e *Expr) IsNull() bool { return e.Kind == ExprConst && e.Value.GetIsNull() }

// Walk calls f on e and its subexpressions, parents first; f returning false skips the children.
// Subquery plans are not entered, but a subquery's Cond is. A nil e is empty.
func (e *Expr) Walk(f func(*Expr) bool) {
	if e == nil || !f(e) {
		return
	}
	for _, a := range e.Args {
		a.Walk(f)
	}
	if e.Sub != nil && e.Sub.Cond != nil {
		e.Sub.Cond.Walk(f)
	}
}

// Cols adds the ids of the columns e refers to (outside subquery plans) to set.
func (e *Expr) Cols(set ColSet) ColSet {
	if set == nil {
		set = ColSet{}
	}
	e.Walk(func(x *Expr) bool {
		if x.Kind == ExprColumn {
			set[x.Col] = true
		}
		return true
	})
	return set
}

// HasSubquery reports whether e contains a subquery expression.
func (e *Expr) HasSubquery() bool {
	found := false
	e.Walk(func(x *Expr) bool {
		if x.Kind == ExprSubquery {
			found = true
		}
		return !found
	})
	return found
}

// Replace returns e with every subexpression for which f returns non-nil replaced by it
// (parents first); unchanged subtrees are shared.
func (e *Expr) Replace(f func(*Expr) *Expr) *Expr {
	if r := f(e); r != nil {
		return r
	}
	if len(e.Args) == 0 && (e.Sub == nil || e.Sub.Cond == nil) {
		return e
	}
	var out *Expr
	for i, a := range e.Args {
		na := a.Replace(f)
		if na != a && out == nil {
			c := *e
			c.Args = append([]*Expr(nil), e.Args...)
			out = &c
		}
		if out != nil {
			out.Args[i] = na
		}
	}
	if e.Sub != nil && e.Sub.Cond != nil {
		np := e.Sub.Cond.Replace(f)
		if np != e.Sub.Cond {
			if out == nil {
				c := *e
				out = &c
			}
			s := *e.Sub
			s.Cond = np
			out.Sub = &s
		}
	}
	if out == nil {
		return e
	}
	return out
}

// Substitute replaces column references by the expressions m maps them to.
func (e *Expr) Substitute(m map[ColumnID]*Expr) *Expr {
	return e.Replace(func(x *Expr) *Expr {
		if x.Kind == ExprColumn {
			if r, ok := m[x.Col]; ok {
				return r
			}
		}
		return nil
	})
}

// Key is a structural identity: equal keys mean equal expressions.
func (e *Expr) Key() string {
	var b strings.Builder
	e.writeKey(&b)
	return b.String()
}

func (e *Expr) writeKey(b *strings.Builder) {
	switch e.Kind {
	case ExprColumn:
		fmt.Fprintf(b, "#%d", e.Col)
	case ExprConst:
		fmt.Fprintf(b, "%q:%s", e.Text, e.Type)
	case ExprSubquery:
		fmt.Fprintf(b, "subquery@%p", e.Sub)
	default:
		fmt.Fprintf(b, "%s:%s(", e.Name, e.Type)
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(",")
			}
			a.writeKey(b)
		}
		b.WriteString(")")
	}
}

// Call builds a call expression (already resolved by the caller).
func Call(name string, t types.T, nullable bool, args ...*Expr) *Expr {
	return &Expr{Kind: ExprCall, Type: t, Nullable: nullable, Name: name, Args: args}
}

// Bool is the BOOLEAN constant v.
func Bool(v bool) *Expr {
	l := &planpb.Literal{}
	text := "0"
	if v {
		l.Int64, text = 1, "1"
	}
	return &Expr{Kind: ExprConst, Type: types.New(types.Boolean), Value: l, Text: text}
}

// Null is the NULL constant of type t.
func Null(t types.T) *Expr {
	return &Expr{Kind: ExprConst, Type: t, Nullable: true, Value: &planpb.Literal{IsNull: true}, Text: "NULL"}
}

// And joins conjuncts with "and" (nil for none).
func And(cs ...*Expr) *Expr {
	var out *Expr
	for _, c := range cs {
		if out == nil {
			out = c
			continue
		}
		out = Call("and", types.New(types.Boolean), out.Nullable || c.Nullable, out, c)
	}
	return out
}

// Conjuncts splits e on its top-level ANDs.
func Conjuncts(e *Expr) []*Expr {
	if e == nil {
		return nil
	}
	if e.Kind == ExprCall && e.Name == "and" {
		return append(Conjuncts(e.Args[0]), Conjuncts(e.Args[1])...)
	}
	return []*Expr{e}
}

// ColSet is a set of column ids.
type ColSet map[ColumnID]bool

// SubsetOf reports whether every column of s is in o.
func (s ColSet) SubsetOf(o ColSet) bool {
	for c := range s {
		if !o[c] {
			return false
		}
	}
	return true
}

// Intersects reports whether s and o share a column.
func (s ColSet) Intersects(o ColSet) bool {
	for c := range s {
		if o[c] {
			return true
		}
	}
	return false
}

// SetOf is the set of the ids of cols.
func SetOf(cols []Column) ColSet {
	s := ColSet{}
	for _, c := range cols {
		s[c.ID] = true
	}
	return s
}

// ---- nodes ----

// Node is a logical operator.
type Node interface {
	Columns() []Column
	Children() []Node
}

// Scan reads a table.
type Scan struct {
	Table   *catalog.Table
	Alias   string
	Cols    []Column
	ColIdx  []int // table column index of each of Cols
	Filters []*Expr
	Named   []*catalog.Partition // FROM t PARTITION (...); nil: all
	// FilterOnly are the columns of Cols that only Filters read (set by the optimizer's column
	// pruning): the physical plan drops them right after the scan, so that joins and
	// aggregations above do not carry them.
	FilterOnly ColSet
}

// Values outputs constant rows.
type Values struct {
	Rows *commonpb.Batch
	Cols []Column
}

// Filter keeps rows where every conjunct is TRUE.
type Filter struct {
	Input Node
	Conds []*Expr
}

// Item is an output column defined by an expression.
type Item struct {
	Col  Column
	Expr *Expr
}

// Project computes Items.
type Project struct {
	Input Node
	Items []Item
}

// JoinKind is the kind of a join.
type JoinKind uint8

const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
	CrossJoin
	SemiJoin
	AntiJoin
	NullAwareAntiJoin // NOT IN
	MarkJoin          // left columns plus Mark: does a right row match (three-valued when NullAware)
)

var joinKindNames = [...]string{"INNER", "LEFT OUTER", "RIGHT OUTER", "FULL OUTER", "CROSS", "LEFT SEMI", "LEFT ANTI", "NULL AWARE LEFT ANTI", "LEFT MARK"}

func (k JoinKind) String() string {
	if int(k) < len(joinKindNames) {
		return joinKindNames[k]
	}
	return "JOIN?"
}

// Join joins Left and Right on the conjuncts On.
type Join struct {
	Kind        JoinKind
	Left, Right Node
	On          []*Expr
	Mark        Column // MarkJoin
	NullAware   bool   // MarkJoin for IN: NULL comparisons make the mark NULL
}

// AggCall is an aggregate function computing Col.
type AggCall struct {
	Col      Column
	Name     string
	Args     []*Expr
	Distinct bool
	OrderBy  []SortKey // GROUP_CONCAT(... ORDER BY ...): the order of the values
}

// Aggregate groups its input.
type Aggregate struct {
	Input   Node
	GroupBy []Item
	Aggs    []AggCall
	// GroupingSets (ROLLUP, CUBE, GROUPING SETS): each set lists indexes into GroupBy; the
	// grouping id column is GroupingID. Empty: plain grouping.
	GroupingSets [][]int
	GroupingID   Column
}

// WindowCall is a window function computing Col.
type WindowCall struct {
	Col  Column
	Name string
	Args []*Expr
}

// Window evaluates window functions over partitions of its input.
type Window struct {
	Input       Node
	PartitionBy []*Expr
	OrderBy     []SortKey
	Frame       *planpb.WindowFrame // nil: the default
	Calls       []WindowCall
}

// SortKey is one ORDER BY key.
type SortKey struct {
	Expr       *Expr
	Desc       bool
	NullsFirst bool
}

// Sort orders its input; Limit > 0 makes it a top-N of Limit rows.
type Sort struct {
	Input Node
	Keys  []SortKey
	Limit int64
}

// Limit skips Offset rows and passes at most Count (Count < 0: all).
type Limit struct {
	Input  Node
	Offset int64
	Count  int64
}

// AssertRows passes its input through and fails the query when it has more than Max rows
// (with Doris's message, naming Desc).
type AssertRows struct {
	Input Node
	Max   int64
	Desc  string
}

// Union concatenates its inputs (UNION ALL).
type Union struct {
	Inputs    []Node
	InputCols [][]ColumnID
	Cols      []Column
}

func (n *Scan) Columns() []Column   { return n.Cols }
func (n *Values) Columns() []Column { return n.Cols }
func (n *Filter) Columns() []Column { return n.Input.Columns() }
func (n *Project) Columns() []Column {
	out := make([]Column, len(n.Items))
	for i, it := range n.Items {
		out[i] = it.Col
	}
	return out
}
func (n *Join) Columns() []Column {
	l := n.Left.Columns()
	switch n.Kind {
	case SemiJoin, AntiJoin, NullAwareAntiJoin:
		return l
	case MarkJoin:
		return append(append([]Column(nil), l...), n.Mark)
	}
	r := n.Right.Columns()
	out := make([]Column, 0, len(l)+len(r))
	for _, c := range l {
		if n.Kind == RightJoin || n.Kind == FullJoin {
			c.Nullable = true
		}
		out = append(out, c)
	}
	for _, c := range r {
		if n.Kind == LeftJoin || n.Kind == FullJoin {
			c.Nullable = true
		}
		out = append(out, c)
	}
	return out
}
func (n *Aggregate) Columns() []Column {
	out := make([]Column, 0, len(n.GroupBy)+len(n.Aggs)+1)
	for _, it := range n.GroupBy {
		out = append(out, it.Col)
	}
	for _, a := range n.Aggs {
		out = append(out, a.Col)
	}
	if len(n.GroupingSets) > 0 {
		out = append(out, n.GroupingID)
	}
	return out
}
func (n *Window) Columns() []Column {
	out := append([]Column(nil), n.Input.Columns()...)
	for _, c := range n.Calls {
		out = append(out, c.Col)
	}
	return out
}
func (n *Sort) Columns() []Column       { return n.Input.Columns() }
func (n *Limit) Columns() []Column      { return n.Input.Columns() }
func (n *Union) Columns() []Column      { return n.Cols }
func (n *AssertRows) Columns() []Column { return n.Input.Columns() }

func (n *Scan) Children() []Node       { return nil }
func (n *Values) Children() []Node     { return nil }
func (n *Filter) Children() []Node     { return []Node{n.Input} }
func (n *Project) Children() []Node    { return []Node{n.Input} }
func (n *Join) Children() []Node       { return []Node{n.Left, n.Right} }
func (n *Aggregate) Children() []Node  { return []Node{n.Input} }
func (n *Window) Children() []Node     { return []Node{n.Input} }
func (n *Sort) Children() []Node       { return []Node{n.Input} }
func (n *Limit) Children() []Node      { return []Node{n.Input} }
func (n *Union) Children() []Node      { return n.Inputs }
func (n *AssertRows) Children() []Node { return []Node{n.Input} }

// Exprs calls f on every expression a node evaluates itself (not its children's).
func Exprs(n Node, f func(*Expr)) {
	switch n := n.(type) {
	case *Scan:
		for _, e := range n.Filters {
			f(e)
		}
	case *Filter:
		for _, e := range n.Conds {
			f(e)
		}
	case *Project:
		for _, it := range n.Items {
			f(it.Expr)
		}
	case *Join:
		for _, e := range n.On {
			f(e)
		}
	case *Aggregate:
		for _, it := range n.GroupBy {
			f(it.Expr)
		}
		for _, a := range n.Aggs {
			for _, e := range a.Args {
				f(e)
			}
			for _, k := range a.OrderBy {
				f(k.Expr)
			}
		}
	case *Window:
		for _, e := range n.PartitionBy {
			f(e)
		}
		for _, k := range n.OrderBy {
			f(k.Expr)
		}
		for _, c := range n.Calls {
			for _, e := range c.Args {
				f(e)
			}
		}
	case *Sort:
		for _, k := range n.Keys {
			f(k.Expr)
		}
	}
}

// OuterCols is the set of columns a plan refers to that it does not produce itself (its
// correlation with an enclosing query), including those of nested subqueries.
func OuterCols(n Node) ColSet {
	produced := ColSet{}
	used := ColSet{}
	var walk func(n Node)
	walk = func(n Node) {
		for _, c := range n.Children() {
			walk(c)
		}
		for _, c := range n.Columns() {
			produced[c.ID] = true
		}
		if a, ok := n.(*Aggregate); ok {
			for _, it := range a.GroupBy {
				produced[it.Col.ID] = true
			}
		}
		if u, ok := n.(*Union); ok {
			for _, ids := range u.InputCols {
				for _, id := range ids {
					used[id] = true
				}
			}
		}
		Exprs(n, func(e *Expr) {
			e.Walk(func(x *Expr) bool {
				if x.Kind == ExprColumn {
					used[x.Col] = true
				}
				if x.Kind == ExprSubquery {
					for c := range OuterCols(x.Sub.Plan) {
						used[c] = true
					}
					if x.Sub.Kind == SubScalar || x.Sub.Kind == SubIn {
						produced[x.Sub.Col] = true
					}
				}
				return true
			})
		})
	}
	walk(n)
	out := ColSet{}
	for c := range used {
		if !produced[c] {
			out[c] = true
		}
	}
	return out
}
