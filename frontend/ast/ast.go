package ast

import "fmt"

// Pos is a position in the statement text: Line and Col are 1-based (Col counts characters),
// Offset is the 0-based byte offset.
type Pos struct {
	Line, Col, Offset int
}

func (p Pos) String() string { return fmt.Sprintf("line %d, column %d", p.Line, p.Col) }

// IsValid reports whether the position was set.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Node is any syntax tree node.
type Node interface {
	Position() Pos
}

// Statement is a top-level SQL statement.
type Statement interface {
	Node
	statement()
}

// Expr is a scalar expression.
type Expr interface {
	Node
	expr()
}

// Ident is a name with its position.
type Ident struct {
	Pos  Pos
	Name string
}

// TableName is [db.]name.
type TableName struct {
	Pos  Pos
	DB   string // empty: the current database
	Name string
}

// TypeName is a SQL type as written: Name upper-cased (INT, INTEGER, DECIMALV3, VARCHAR, ...) and
// its parenthesised integer arguments. The binder maps it to a compute/types.T.
type TypeName struct {
	Pos  Pos
	Name string
	Args []int64
}

// Property is "key" = "value" in a PROPERTIES clause.
type Property struct {
	Pos        Pos
	Key, Value string
}

// ---- statements ----

// CreateDatabase is CREATE DATABASE [IF NOT EXISTS] name [PROPERTIES (...)].
type CreateDatabase struct {
	Pos         Pos
	IfNotExists bool
	Name        Ident
	Properties  []Property
}

// DropDatabase is DROP DATABASE [IF EXISTS] name [FORCE].
type DropDatabase struct {
	Pos      Pos
	IfExists bool
	Name     Ident
	Force    bool
}

// Use is USE db.
type Use struct {
	Pos Pos
	DB  Ident
}

// Nullability is a column definition's [NOT] NULL clause.
type Nullability uint8

const (
	NullUnspecified Nullability = iota
	Null
	NotNull
)

// ColumnDef is one column of CREATE TABLE:
// name type [aggregation] [NOT NULL | NULL] [DEFAULT value] [COMMENT 'x'].
type ColumnDef struct {
	Pos         Pos
	Name        Ident
	Type        TypeName
	Aggregation string // upper-case SUM, MIN, MAX, REPLACE, REPLACE_IF_NOT_NULL, ...; empty when absent
	Nullable    Nullability
	// Default is nil when there is no DEFAULT clause; otherwise a *Literal (possibly NULL) or a
	// *FuncCall named CURRENT_TIMESTAMP / CURRENT_DATE (Args may hold the fractional precision).
	Default Expr
	Comment *string
}

// KeysKind is the key model of a table.
type KeysKind uint8

const (
	DuplicateKeys KeysKind = iota
	AggregateKeys
	UniqueKeys
)

func (k KeysKind) String() string {
	switch k {
	case AggregateKeys:
		return "AGGREGATE"
	case UniqueKeys:
		return "UNIQUE"
	}
	return "DUPLICATE"
}

// KeysDesc is DUPLICATE KEY(cols) | AGGREGATE KEY(cols) | UNIQUE KEY(cols).
type KeysDesc struct {
	Pos     Pos
	Kind    KeysKind
	Columns []Ident
}

// DistributionDesc is DISTRIBUTED BY HASH(cols) BUCKETS n|AUTO or DISTRIBUTED BY RANDOM BUCKETS n|AUTO.
// Without a BUCKETS clause Doris uses AUTO.
type DistributionDesc struct {
	Pos     Pos
	Hash    bool
	Columns []Ident // HASH only
	Buckets int64   // when !AutoBuckets
	// AutoBuckets is BUCKETS AUTO, or no BUCKETS clause at all.
	AutoBuckets bool
}

// PartitionKind is RANGE or LIST.
type PartitionKind uint8

const (
	RangePartition PartitionKind = iota
	ListPartition
)

// PartitionValuesKind says how a partition's bounds are written.
type PartitionValuesKind uint8

const (
	// ValuesLessThan: VALUES LESS THAN (v, ...) or VALUES LESS THAN MAXVALUE (Values empty).
	ValuesLessThan PartitionValuesKind = iota
	// ValuesFixedRange: VALUES [(lo, ...), (hi, ...)) — Values holds two tuples.
	ValuesFixedRange
	// ValuesIn: VALUES IN (v, ...) or VALUES IN ((v, ...), ...) — Values holds one tuple per
	// listed value (a one-element tuple for the single-column form).
	ValuesIn
	// ValuesFromTo: FROM (lo) TO (hi) INTERVAL n [unit], a batch of range partitions — Values
	// holds the two tuples, Name is empty.
	ValuesFromTo
)

// PartitionDef is one PARTITION name VALUES ... item, or a FROM .. TO .. INTERVAL batch. Tuple
// elements are *Literal or *MaxValue.
type PartitionDef struct {
	Pos         Pos
	IfNotExists bool
	Name        Ident
	Kind        PartitionValuesKind
	Values      [][]Expr
	// ValuesFromTo: the interval and its unit, upper-case (DAY, WEEK, MONTH, YEAR, HOUR, ...);
	// Unit is empty for a numeric interval.
	Interval int64
	Unit     string
}

// PartitionDesc is [AUTO] PARTITION BY RANGE|LIST (cols) (partition, ...). AUTO PARTITION BY
// RANGE partitions by an expression, Func (date_trunc(col, 'unit')), and Columns is empty.
type PartitionDesc struct {
	Pos        Pos
	Auto       bool
	Kind       PartitionKind
	Columns    []Ident
	Func       *FuncCall
	Partitions []*PartitionDef
}

// CreateTable is CREATE TABLE. Optional clauses are nil/empty when absent.
type CreateTable struct {
	Pos          Pos
	IfNotExists  bool
	Table        TableName
	Columns      []*ColumnDef
	Engine       *Ident // ENGINE=name, upper-cased
	Keys         *KeysDesc
	Comment      *string
	Partition    *PartitionDesc
	Distribution *DistributionDesc
	Properties   []Property
}

// AlterTable is ALTER TABLE [db.]t followed by one operation.
type AlterTable struct {
	Pos   Pos
	Table TableName
	Op    AlterTableOp
}

// AlterTableOp is an operation of ALTER TABLE.
type AlterTableOp interface {
	Node
	alterTableOp()
}

// AddPartition is ADD PARTITION [IF NOT EXISTS] p VALUES ... [DISTRIBUTED BY ...]. Distribution
// is nil when absent (the table's is used).
type AddPartition struct {
	Pos          Pos
	Partition    *PartitionDef
	Distribution *DistributionDesc
}

// DropPartition is DROP PARTITION [IF EXISTS] p [FORCE].
type DropPartition struct {
	Pos      Pos
	IfExists bool
	Name     Ident
	Force    bool
}

// DropTable is DROP TABLE [IF EXISTS] [db.]t [FORCE].
type DropTable struct {
	Pos      Pos
	IfExists bool
	Table    TableName
	Force    bool
}

// ShowDatabases is SHOW DATABASES|SCHEMAS [LIKE 'pattern'].
type ShowDatabases struct {
	Pos  Pos
	Like *string
}

// ShowTables is SHOW [FULL] TABLES [FROM|IN db] [LIKE 'pattern'].
type ShowTables struct {
	Pos  Pos
	Full bool
	DB   *Ident
	Like *string
}

// ShowColumns is SHOW [FULL] COLUMNS|FIELDS FROM|IN [db.]t [FROM|IN db].
type ShowColumns struct {
	Pos   Pos
	Full  bool
	Table TableName
}

// Describe is DESC|DESCRIBE [db.]t.
type Describe struct {
	Pos   Pos
	Table TableName
}

// ShowPartitions is SHOW PARTITIONS FROM [db.]t [WHERE expr] [ORDER BY ...] [LIMIT ...].
type ShowPartitions struct {
	Pos     Pos
	Table   TableName
	Where   Expr
	OrderBy []*OrderItem
	Limit   *Limit
}

// ShowTablets is SHOW TABLETS FROM [db.]t [PARTITION (p, ...)].
type ShowTablets struct {
	Pos        Pos
	Table      TableName
	Partitions []Ident
}

// ShowCreateTable is SHOW CREATE TABLE [db.]t.
type ShowCreateTable struct {
	Pos   Pos
	Table TableName
}

// VarScope is the scope of a variable reference or assignment.
type VarScope uint8

const (
	ScopeDefault VarScope = iota // no scope written (SESSION for SET and @@x)
	ScopeSession
	ScopeGlobal
	ScopeUser // @name user variables
)

// ShowVariables is SHOW [SESSION|GLOBAL] VARIABLES [LIKE 'pattern' | WHERE expr].
type ShowVariables struct {
	Pos   Pos
	Scope VarScope
	Like  *string
	Where Expr
}

// Insert is INSERT INTO [db.]t [PARTITION (p, ...)] [WITH LABEL l] [(cols)] VALUES (...), ... |
// query. Exactly one of Rows and Query is set. A row value may be *Default. Select is Query when
// the query is a plain *Select (a set operation leaves it nil), for callers that handle only a
// single query block.
type Insert struct {
	Pos        Pos
	Table      TableName
	Partitions []Ident // empty: every partition
	Label      *Ident
	Columns    []Ident
	Rows       [][]Expr
	Select     *Select
	Query      QueryExpr // INSERT ... SELECT / WITH / set operation / (query)
}

// Select is a single-table query block.
type Select struct {
	Pos      Pos
	With     *With // WITH ... before this SELECT (the outermost query of a statement)
	Distinct bool
	Items    []*SelectItem
	From     TableExpr // nil: no FROM clause (FROM DUAL is also nil)
	Where    Expr
	GroupBy  []Expr // the plain list, or the columns of ROLLUP / CUBE
	Grouping GroupingKind
	// GroupingSets lists the sets of GROUPING SETS (Grouping == GroupSets); an empty set is ().
	GroupingSets [][]Expr
	Having       Expr
	OrderBy      []*OrderItem
	Limit        *Limit
}

// SelectItem is expr [[AS] alias] or a *Star.
type SelectItem struct {
	Pos   Pos
	Expr  Expr
	Alias *Ident
}

// TableRef is [db.]t [PARTITION (p, ...)] [[AS] alias] in FROM.
type TableRef struct {
	Pos        Pos
	Table      TableName
	Partitions []Ident // empty: every partition
	Alias      *Ident
}

// OrderItem is expr [ASC|DESC] [NULLS FIRST|LAST]. NullsFirst is nil when not written (Doris:
// NULLs sort first ascending, last descending).
type OrderItem struct {
	Pos        Pos
	Expr       Expr
	Desc       bool
	NullsFirst *bool
}

// Limit is LIMIT count [OFFSET offset] or LIMIT offset, count.
type Limit struct {
	Pos    Pos
	Count  int64
	Offset int64
}

// Set is SET assignment, ....
type Set struct {
	Pos   Pos
	Items []*SetItem
}

// SetItem is [SESSION|GLOBAL] name = value, @@[scope.]name = value or @name = value. Value may be
// *Default; a bare word on the right (SET autocommit = ON) is a *ColumnRef holding the word.
type SetItem struct {
	Pos   Pos
	Scope VarScope
	Name  string
	Value Expr
}

// SetNames is SET NAMES charset [COLLATE collation] | SET NAMES DEFAULT (Charset empty).
type SetNames struct {
	Pos     Pos
	Charset string
	Collate string
}

// Begin is BEGIN [WITH LABEL l] or START TRANSACTION.
type Begin struct {
	Pos   Pos
	Label *Ident
}

// Commit is COMMIT [WORK].
type Commit struct{ Pos Pos }

// Rollback is ROLLBACK [WORK].
type Rollback struct{ Pos Pos }

// Explain is EXPLAIN [plan type] [VERBOSE | level] stmt (also DESC/DESCRIBE followed by a query).
type Explain struct {
	Pos     Pos
	Verbose bool
	Stmt    Statement
	// PlanType is Doris's plan type, upper-case: PARSED, ANALYZED, REWRITTEN, LOGICAL, OPTIMIZED,
	// PHYSICAL, SHAPE, MEMO, DISTRIBUTED or ALL; empty when not written.
	PlanType string
	// Level is TREE, GRAPH, PLAN or DUMP (upper-case) when written; VERBOSE sets Verbose instead.
	Level string
}

// CreateStorageVault is CREATE STORAGE VAULT [IF NOT EXISTS] name [PROPERTIES (...)].
type CreateStorageVault struct {
	Pos         Pos
	IfNotExists bool
	Name        Ident
	Properties  []Property
}

// AlterStorageVault is ALTER STORAGE VAULT name PROPERTIES (...).
type AlterStorageVault struct {
	Pos        Pos
	Name       Ident
	Properties []Property
}

// SetDefaultStorageVault is SET name AS DEFAULT STORAGE VAULT.
type SetDefaultStorageVault struct {
	Pos  Pos
	Name Ident
}

// ShowStorageVaults is SHOW STORAGE VAULTS (or SHOW STORAGE VAULT).
type ShowStorageVaults struct{ Pos Pos }

// ---- expressions ----

// LitKind is the kind of a literal.
type LitKind uint8

const (
	LitNull      LitKind = iota
	LitBool              // Value "TRUE" or "FALSE"
	LitInt               // Value: optional '-', decimal digits
	LitDecimal           // Value: optional '-', digits with a '.'
	LitFloat             // Value: a number with an exponent
	LitString            // Value: the unescaped contents
	LitDate              // DATE 'x'; Value the string
	LitTimestamp         // TIMESTAMP 'x' or DATETIME 'x'; Value the string
)

// Literal is a constant. A numeric literal directly under unary minus is folded by the parser
// into a literal whose Value starts with '-'.
type Literal struct {
	Pos   Pos
	Kind  LitKind
	Value string
}

// ColumnRef is [[db.]table.]name.
type ColumnRef struct {
	Pos   Pos
	DB    string
	Table string
	Name  string
}

// Star is * or [db.]t.* in a select list.
type Star struct {
	Pos   Pos
	DB    string
	Table string
}

// Variable is @@[scope.]name (a system variable) or @name (ScopeUser).
type Variable struct {
	Pos   Pos
	Scope VarScope
	Name  string
}

// UnaryOp is a prefix operator.
type UnaryOp uint8

const (
	OpNeg  UnaryOp = iota // -
	OpPlus                // +
	OpNot                 // NOT and !
)

// UnaryExpr is op X.
type UnaryExpr struct {
	Pos Pos
	Op  UnaryOp
	X   Expr
}

// BinaryOp is an infix operator.
type BinaryOp uint8

const (
	OpAdd        BinaryOp = iota // +
	OpSub                        // -
	OpMul                        // *
	OpDiv                        // /
	OpIntDiv                     // DIV
	OpMod                        // % and MOD
	OpEq                         // =
	OpNullSafeEq                 // <=>
	OpNe                         // != and <>
	OpLt                         // <
	OpLe                         // <=
	OpGt                         // >
	OpGe                         // >=
	OpAnd                        // AND and &&
	OpOr                         // OR and ||
)

var binaryOpText = [...]string{"+", "-", "*", "/", "DIV", "%", "=", "<=>", "!=", "<", "<=", ">", ">=", "AND", "OR"}

func (op BinaryOp) String() string {
	if int(op) < len(binaryOpText) {
		return binaryOpText[op]
	}
	return fmt.Sprintf("BinaryOp(%d)", uint8(op))
}

// BinaryExpr is L op R; Pos is the operator's.
type BinaryExpr struct {
	Pos  Pos
	Op   BinaryOp
	L, R Expr
}

// IsWhat is the right-hand side of IS [NOT].
type IsWhat uint8

const (
	IsNull IsWhat = iota
	IsTrue
	IsFalse
	IsUnknown
)

// IsExpr is X IS [NOT] NULL|TRUE|FALSE|UNKNOWN; Pos is IS's.
type IsExpr struct {
	Pos  Pos
	X    Expr
	Not  bool
	What IsWhat
}

// BetweenExpr is X [NOT] BETWEEN Lo AND Hi; Pos is BETWEEN's (or NOT's).
type BetweenExpr struct {
	Pos       Pos
	X, Lo, Hi Expr
	Not       bool
}

// InExpr is X [NOT] IN (List) or X [NOT] IN (Query); Pos is IN's (or NOT's). X is a row
// constructor (*RowExpr) for (a, b) IN (...).
type InExpr struct {
	Pos   Pos
	X     Expr
	List  []Expr
	Query QueryExpr // IN (subquery); List is then empty
	Not   bool
}

// RowExpr is a row constructor (a, b, ...) (in IN and comparisons).
type RowExpr struct {
	Pos   Pos
	Items []Expr
}

// LikeExpr is X [NOT] LIKE Pattern, or X [NOT] REGEXP|RLIKE Pattern when Regexp; Pos is the
// operator's (or NOT's).
type LikeExpr struct {
	Pos        Pos
	X, Pattern Expr
	Not        bool
	Regexp     bool
	Escape     Expr // LIKE ... ESCAPE e; nil: the default escape character, backslash
}

// When is WHEN Cond THEN Result.
type When struct {
	Pos          Pos
	Cond, Result Expr
}

// CaseExpr is CASE [Operand] WHEN ... [ELSE ...] END. Operand is nil for the searched form.
type CaseExpr struct {
	Pos     Pos
	Operand Expr
	Whens   []*When
	Else    Expr
}

// CastExpr is CAST(X AS Type).
type CastExpr struct {
	Pos  Pos
	X    Expr
	Type TypeName
}

// FuncCall is name(args), name(DISTINCT args) or name(*), optionally a window function with
// OVER (...). Name is as written. SUBSTRING(x FROM a FOR b), TRIM(...) and the like are parsed
// into their plain call forms; GROUP_CONCAT's SEPARATOR is its last argument and its ORDER BY is
// OrderBy.
type FuncCall struct {
	Pos      Pos
	Name     string
	Args     []Expr
	Distinct bool
	Star     bool
	OrderBy  []*OrderItem // GROUP_CONCAT(... ORDER BY ...)
	Over     *WindowSpec
}

// Default is the DEFAULT keyword as a value (INSERT VALUES, SET).
type Default struct{ Pos Pos }

// MaxValue is MAXVALUE in a partition bound.
type MaxValue struct{ Pos Pos }

func (n *CreateDatabase) Position() Pos         { return n.Pos }
func (n *DropDatabase) Position() Pos           { return n.Pos }
func (n *Use) Position() Pos                    { return n.Pos }
func (n *CreateTable) Position() Pos            { return n.Pos }
func (n *DropTable) Position() Pos              { return n.Pos }
func (n *AlterTable) Position() Pos             { return n.Pos }
func (n *ShowPartitions) Position() Pos         { return n.Pos }
func (n *ShowTablets) Position() Pos            { return n.Pos }
func (n *AddPartition) Position() Pos           { return n.Pos }
func (n *DropPartition) Position() Pos          { return n.Pos }
func (n *ShowDatabases) Position() Pos          { return n.Pos }
func (n *ShowTables) Position() Pos             { return n.Pos }
func (n *ShowColumns) Position() Pos            { return n.Pos }
func (n *Describe) Position() Pos               { return n.Pos }
func (n *ShowCreateTable) Position() Pos        { return n.Pos }
func (n *ShowVariables) Position() Pos          { return n.Pos }
func (n *Insert) Position() Pos                 { return n.Pos }
func (n *Select) Position() Pos                 { return n.Pos }
func (n *Set) Position() Pos                    { return n.Pos }
func (n *SetNames) Position() Pos               { return n.Pos }
func (n *Begin) Position() Pos                  { return n.Pos }
func (n *Commit) Position() Pos                 { return n.Pos }
func (n *Rollback) Position() Pos               { return n.Pos }
func (n *Explain) Position() Pos                { return n.Pos }
func (n *CreateStorageVault) Position() Pos     { return n.Pos }
func (n *AlterStorageVault) Position() Pos      { return n.Pos }
func (n *SetDefaultStorageVault) Position() Pos { return n.Pos }
func (n *ShowStorageVaults) Position() Pos      { return n.Pos }

func (*CreateDatabase) statement()         {}
func (*DropDatabase) statement()           {}
func (*Use) statement()                    {}
func (*CreateTable) statement()            {}
func (*DropTable) statement()              {}
func (*AlterTable) statement()             {}
func (*ShowPartitions) statement()         {}
func (*ShowTablets) statement()            {}
func (*ShowDatabases) statement()          {}
func (*ShowTables) statement()             {}
func (*ShowColumns) statement()            {}
func (*Describe) statement()               {}
func (*ShowCreateTable) statement()        {}
func (*ShowVariables) statement()          {}
func (*Insert) statement()                 {}
func (*Select) statement()                 {}
func (*Set) statement()                    {}
func (*SetNames) statement()               {}
func (*Begin) statement()                  {}
func (*Commit) statement()                 {}
func (*Rollback) statement()               {}
func (*Explain) statement()                {}
func (*CreateStorageVault) statement()     {}
func (*AlterStorageVault) statement()      {}
func (*SetDefaultStorageVault) statement() {}
func (*ShowStorageVaults) statement()      {}

func (*AddPartition) alterTableOp()  {}
func (*DropPartition) alterTableOp() {}

func (n *Literal) Position() Pos     { return n.Pos }
func (n *ColumnRef) Position() Pos   { return n.Pos }
func (n *Star) Position() Pos        { return n.Pos }
func (n *Variable) Position() Pos    { return n.Pos }
func (n *UnaryExpr) Position() Pos   { return n.Pos }
func (n *BinaryExpr) Position() Pos  { return n.Pos }
func (n *IsExpr) Position() Pos      { return n.Pos }
func (n *BetweenExpr) Position() Pos { return n.Pos }
func (n *InExpr) Position() Pos      { return n.Pos }
func (n *LikeExpr) Position() Pos    { return n.Pos }
func (n *CaseExpr) Position() Pos    { return n.Pos }
func (n *CastExpr) Position() Pos    { return n.Pos }
func (n *FuncCall) Position() Pos    { return n.Pos }
func (n *Default) Position() Pos     { return n.Pos }
func (n *MaxValue) Position() Pos    { return n.Pos }

func (*Literal) expr()     {}
func (*ColumnRef) expr()   {}
func (*Star) expr()        {}
func (*Variable) expr()    {}
func (*UnaryExpr) expr()   {}
func (*BinaryExpr) expr()  {}
func (*IsExpr) expr()      {}
func (*BetweenExpr) expr() {}
func (*InExpr) expr()      {}
func (*LikeExpr) expr()    {}
func (*CaseExpr) expr()    {}
func (*CastExpr) expr()    {}
func (*FuncCall) expr()    {}
func (*Default) expr()     {}
func (*MaxValue) expr()    {}
