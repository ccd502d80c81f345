package types

import (
	"fmt"

	"github.com/doricdb/doric/api/commonpb"
)

// Kind is a SQL type kind. Its values are those of commonpb.TypeKind.
type Kind = commonpb.TypeKind

// The kinds, named as in SQL.
const (
	Invalid  = commonpb.TypeKind_TYPE_INVALID
	Boolean  = commonpb.TypeKind_TYPE_BOOLEAN
	TinyInt  = commonpb.TypeKind_TYPE_TINYINT
	SmallInt = commonpb.TypeKind_TYPE_SMALLINT
	Int      = commonpb.TypeKind_TYPE_INT
	BigInt   = commonpb.TypeKind_TYPE_BIGINT
	LargeInt = commonpb.TypeKind_TYPE_LARGEINT
	Float    = commonpb.TypeKind_TYPE_FLOAT
	Double   = commonpb.TypeKind_TYPE_DOUBLE
	Decimal  = commonpb.TypeKind_TYPE_DECIMAL
	Date     = commonpb.TypeKind_TYPE_DATE
	DateTime = commonpb.TypeKind_TYPE_DATETIME
	Char     = commonpb.TypeKind_TYPE_CHAR
	Varchar  = commonpb.TypeKind_TYPE_VARCHAR
	String   = commonpb.TypeKind_TYPE_STRING
	Null     = commonpb.TypeKind_TYPE_NULL
)

// Limits of the parameterised types, as Doris.
const (
	MaxDecimalPrecision    = 38
	MaxDecimal64Precision  = 18
	MaxDateTimeScale       = 6
	MaxVarcharLength       = 65533
	MaxCharLength          = 255
	DefaultVarcharLength   = 65533
	DefaultDecimalPrecison = 9 // DECIMAL with no arguments is DECIMAL(9,0) in Doris
)

// T is a SQL type: a kind plus its parameters. The zero value is Invalid. T is comparable.
type T struct {
	Kind      Kind
	Precision int32 // DECIMAL
	Scale     int32 // DECIMAL, DATETIME
	Length    int32 // CHAR, VARCHAR (0 = unspecified)
}

// Convenience constructors.
func New(k Kind) T             { return T{Kind: k} }
func DecimalOf(p, s int32) T   { return T{Kind: Decimal, Precision: p, Scale: s} }
func DateTimeOf(scale int32) T { return T{Kind: DateTime, Scale: scale} }
func VarcharOf(length int32) T { return T{Kind: Varchar, Length: length} }
func CharOf(length int32) T    { return T{Kind: Char, Length: length} }
func (t T) IsValid() bool      { return t.Kind != Invalid }
func (t T) Equal(o T) bool     { return t == o }
func (t T) Proto() *commonpb.Type {
	return &commonpb.Type{Kind: t.Kind, Precision: t.Precision, Scale: t.Scale, Length: t.Length}
}
func FromProto(p *commonpb.Type) T {
	if p == nil {
		return T{}
	}
	return T{Kind: p.Kind, Precision: p.Precision, Scale: p.Scale, Length: p.Length}
}

// Validate reports whether the parameters are legal for the kind, with a message a user can act on.
func (t T) Validate() error {
	switch t.Kind {
	case Decimal:
		if t.Precision < 1 || t.Precision > MaxDecimalPrecision {
			return fmt.Errorf("DECIMAL precision %d out of range [1, %d]", t.Precision, MaxDecimalPrecision)
		}
		if t.Scale < 0 || t.Scale > t.Precision {
			return fmt.Errorf("DECIMAL scale %d out of range [0, %d]", t.Scale, t.Precision)
		}
	case DateTime:
		if t.Scale < 0 || t.Scale > MaxDateTimeScale {
			return fmt.Errorf("DATETIME scale %d out of range [0, %d]", t.Scale, MaxDateTimeScale)
		}
	case Varchar:
		if t.Length < 0 || t.Length > MaxVarcharLength {
			return fmt.Errorf("VARCHAR length %d out of range [1, %d]", t.Length, MaxVarcharLength)
		}
	case Char:
		if t.Length < 0 || t.Length > MaxCharLength {
			return fmt.Errorf("CHAR length %d out of range [1, %d]", t.Length, MaxCharLength)
		}
	case Invalid:
		return fmt.Errorf("invalid type")
	}
	return nil
}

// Physical is the Go representation a kind's values use.
type Physical uint8

const (
	PhysInt64 Physical = iota
	PhysInt128
	PhysFloat64
	PhysBytes
)

// Physical returns how values of t are held in memory (see the package doc).
func (t T) Physical() Physical {
	switch t.Kind {
	case LargeInt:
		return PhysInt128
	case Decimal:
		if t.Precision > MaxDecimal64Precision {
			return PhysInt128
		}
		return PhysInt64
	case Float, Double:
		return PhysFloat64
	case Char, Varchar, String:
		return PhysBytes
	default:
		return PhysInt64
	}
}

// IsInteger reports TINYINT..LARGEINT.
func (t T) IsInteger() bool {
	switch t.Kind {
	case TinyInt, SmallInt, Int, BigInt, LargeInt:
		return true
	}
	return false
}

// IsNumeric reports the integer, floating and decimal kinds (not BOOLEAN).
func (t T) IsNumeric() bool { return t.IsInteger() || t.IsFloat() || t.Kind == Decimal }

// IsFloat reports FLOAT and DOUBLE.
func (t T) IsFloat() bool { return t.Kind == Float || t.Kind == Double }

// IsString reports CHAR, VARCHAR and STRING.
func (t T) IsString() bool { return t.Kind == Char || t.Kind == Varchar || t.Kind == String }

// IsTemporal reports DATE and DATETIME.
func (t T) IsTemporal() bool { return t.Kind == Date || t.Kind == DateTime }

// IntegerRange is the inclusive range of an integer kind that fits in int64.
func IntegerRange(k Kind) (lo, hi int64) {
	switch k {
	case Boolean:
		return 0, 1
	case TinyInt:
		return -1 << 7, 1<<7 - 1
	case SmallInt:
		return -1 << 15, 1<<15 - 1
	case Int:
		return -1 << 31, 1<<31 - 1
	default:
		return -1 << 63, 1<<63 - 1
	}
}

// String renders the type as Doris's SHOW CREATE TABLE and DESC do.
func (t T) String() string {
	switch t.Kind {
	case Boolean:
		return "boolean"
	case TinyInt:
		return "tinyint"
	case SmallInt:
		return "smallint"
	case Int:
		return "int"
	case BigInt:
		return "bigint"
	case LargeInt:
		return "largeint"
	case Float:
		return "float"
	case Double:
		return "double"
	case Decimal:
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale)
	case Date:
		return "date"
	case DateTime:
		if t.Scale > 0 {
			return fmt.Sprintf("datetime(%d)", t.Scale)
		}
		return "datetime"
	case Char:
		return fmt.Sprintf("char(%d)", t.Length)
	case Varchar:
		return fmt.Sprintf("varchar(%d)", t.Length)
	case String:
		return "text"
	case Null:
		return "null"
	}
	return "invalid"
}
