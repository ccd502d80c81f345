package ast

// The query language of issue 6: joins, derived tables, subqueries, WITH, set operations,
// grouping sets, window functions and the expressions TPC-H and Doris users write. Select (in
// ast.go) is one kind of QueryExpr; its From is a TableExpr (a table, a derived table or a join
// tree: comma joins are Joins of kind CrossJoin with Comma set).

// QueryExpr is a query: a *Select or a *SetOp (a parenthesised query is the query itself).
type QueryExpr interface {
	Statement
	queryExpr()
}

// TableExpr is an item of FROM: a *TableRef, a *DerivedTable or a *Join.
type TableExpr interface {
	Node
	tableExpr()
}

// DerivedTable is (Query) [AS] Alias [(Columns)]. Doris requires the alias.
type DerivedTable struct {
	Pos     Pos
	Query   QueryExpr
	Alias   *Ident
	Columns []Ident // column aliases; empty: the query's own names
}

// JoinKind is the kind of a join.
type JoinKind uint8

const (
	InnerJoin     JoinKind = iota // [INNER] JOIN
	LeftJoin                      // LEFT [OUTER] JOIN
	RightJoin                     // RIGHT [OUTER] JOIN
	FullJoin                      // FULL [OUTER] JOIN
	CrossJoin                     // CROSS JOIN, and the comma of FROM a, b
	LeftSemiJoin                  // LEFT SEMI JOIN (Doris)
	LeftAntiJoin                  // LEFT ANTI JOIN (Doris)
	RightSemiJoin                 // RIGHT SEMI JOIN (Doris)
	RightAntiJoin                 // RIGHT ANTI JOIN (Doris)
)

var joinKindText = [...]string{"JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN", "CROSS JOIN", "LEFT SEMI JOIN", "LEFT ANTI JOIN", "RIGHT SEMI JOIN", "RIGHT ANTI JOIN"}

func (k JoinKind) String() string {
	if int(k) < len(joinKindText) {
		return joinKindText[k]
	}
	return "JOIN?"
}

// Join is Left kind Right [ON On | USING (Using)]. Joins associate to the left, and (as in MySQL
// and Doris) the comma binds looser than JOIN: a, b JOIN c ON ... is Join(a, Join(b, c), comma),
// and a JOIN b ON ... JOIN c ON ... is Join(Join(a, b), c). The right side of a non-comma join is
// a table, a derived table or a parenthesised join tree. Pos is the join keyword's (or the
// comma's). Hint is a join hint as written ([broadcast], [shuffle]), lower-cased without
// brackets; empty when absent.
type Join struct {
	Pos   Pos
	Kind  JoinKind
	Comma bool // FROM a, b
	Left  TableExpr
	Right TableExpr
	On    Expr
	Using []Ident
	Hint  string
}

// SetOpKind is UNION, INTERSECT or EXCEPT (MINUS is EXCEPT).
type SetOpKind uint8

const (
	Union SetOpKind = iota
	Intersect
	Except
)

var setOpText = [...]string{"UNION", "INTERSECT", "EXCEPT"}

func (k SetOpKind) String() string {
	if int(k) < len(setOpText) {
		return setOpText[k]
	}
	return "SETOP?"
}

// SetOp is Left op [ALL|DISTINCT] Right, with the ORDER BY and LIMIT that apply to its result.
// INTERSECT binds tighter than UNION and EXCEPT, which associate to the left. With is set on
// the outermost query of a statement that starts with WITH.
type SetOp struct {
	Pos     Pos
	With    *With
	Op      SetOpKind
	All     bool
	Left    QueryExpr
	Right   QueryExpr
	OrderBy []*OrderItem
	Limit   *Limit
}

// With is WITH [RECURSIVE] cte, ....
type With struct {
	Pos       Pos
	Recursive bool
	CTEs      []*CTE
}

// CTE is Name [(Columns)] AS (Query).
type CTE struct {
	Pos     Pos
	Name    Ident
	Columns []Ident
	Query   QueryExpr
}

// GroupingKind says what GROUP BY lists.
type GroupingKind uint8

const (
	GroupPlain  GroupingKind = iota // GROUP BY a, b
	GroupRollup                     // GROUP BY ROLLUP(a, b), or a, b WITH ROLLUP
	GroupCube                       // GROUP BY CUBE(a, b)
	GroupSets                       // GROUP BY GROUPING SETS ((a, b), (a), ())
)

// Subquery is a parenthesised query used as a value (a scalar subquery).
type Subquery struct {
	Pos   Pos
	Query QueryExpr
}

// ExistsExpr is [NOT] EXISTS (Query).
type ExistsExpr struct {
	Pos   Pos
	Not   bool
	Query QueryExpr
}

// CompareSubquery is X op ANY|SOME|ALL (Query).
type CompareSubquery struct {
	Pos   Pos
	Op    BinaryOp // a comparison
	All   bool     // ALL; false: ANY / SOME
	X     Expr
	Query QueryExpr
}

// IntervalExpr is INTERVAL Value Unit (in date arithmetic and DATE_ADD/DATE_SUB arguments). Unit
// is upper-case: YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND.
type IntervalExpr struct {
	Pos   Pos
	Value Expr
	Unit  string
}

// ExtractExpr is EXTRACT(Unit FROM X); Unit is upper-case (YEAR, MONTH, DAY, ...).
type ExtractExpr struct {
	Pos  Pos
	Unit string
	X    Expr
}

// WindowSpec is OVER ([PARTITION BY ...] [ORDER BY ...] [frame]).
type WindowSpec struct {
	Pos         Pos
	PartitionBy []Expr
	OrderBy     []*OrderItem
	Frame       *WindowFrame // nil: the default frame
}

// FrameUnit is ROWS or RANGE.
type FrameUnit uint8

const (
	FrameRows FrameUnit = iota
	FrameRange
)

// FrameBoundKind is the kind of a frame bound.
type FrameBoundKind uint8

const (
	UnboundedPreceding FrameBoundKind = iota
	Preceding                         // Offset PRECEDING
	CurrentRow
	Following // Offset FOLLOWING
	UnboundedFollowing
)

// FrameBound is one end of a window frame.
type FrameBound struct {
	Kind   FrameBoundKind
	Offset Expr // Preceding and Following only
}

// WindowFrame is ROWS|RANGE BETWEEN Start AND End (or ROWS|RANGE Start, whose End is CURRENT ROW).
type WindowFrame struct {
	Pos   Pos
	Unit  FrameUnit
	Start FrameBound
	End   FrameBound
}

func (n *TableRef) Position() Pos        { return n.Pos }
func (n *DerivedTable) Position() Pos    { return n.Pos }
func (n *Join) Position() Pos            { return n.Pos }
func (n *SetOp) Position() Pos           { return n.Pos }
func (n *Subquery) Position() Pos        { return n.Pos }
func (n *ExistsExpr) Position() Pos      { return n.Pos }
func (n *CompareSubquery) Position() Pos { return n.Pos }
func (n *IntervalExpr) Position() Pos    { return n.Pos }
func (n *ExtractExpr) Position() Pos     { return n.Pos }
func (n *RowExpr) Position() Pos         { return n.Pos }

func (*Select) queryExpr() {}
func (*SetOp) queryExpr()  {}
func (*SetOp) statement()  {}

func (*TableRef) tableExpr()     {}
func (*DerivedTable) tableExpr() {}
func (*Join) tableExpr()         {}

func (*Subquery) expr()        {}
func (*ExistsExpr) expr()      {}
func (*CompareSubquery) expr() {}
func (*IntervalExpr) expr()    {}
func (*ExtractExpr) expr()     {}
func (*RowExpr) expr()         {}
