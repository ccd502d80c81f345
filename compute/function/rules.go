package function

import (
	"fmt"

	"github.com/doricdb/doric/compute/types"
)

// DivPrecisionIncrement is the number of fractional digits a DECIMAL division adds to the
// dividend's scale (Doris's and MySQL's div_precision_increment default).
const DivPrecisionIncrement = 4

var (
	tBool     = types.New(types.Boolean)
	tTinyInt  = types.New(types.TinyInt)
	tSmallInt = types.New(types.SmallInt)
	tInt      = types.New(types.Int)
	tBigInt   = types.New(types.BigInt)
	tLargeInt = types.New(types.LargeInt)
	tDouble   = types.New(types.Double)
	tDate     = types.New(types.Date)
	tString   = types.New(types.String)
)

// intRank orders BOOLEAN and the integer kinds by width.
func intRank(k types.Kind) int {
	switch k {
	case types.Boolean:
		return 0
	case types.TinyInt:
		return 1
	case types.SmallInt:
		return 2
	case types.Int:
		return 3
	case types.BigInt:
		return 4
	case types.LargeInt:
		return 5
	}
	return -1
}

func isIntLike(t types.T) bool { return t.IsInteger() || t.Kind == types.Boolean }

// IntegerDecimal is the DECIMAL an integer kind converts to when it meets a DECIMAL: just wide
// enough for every value (BOOLEAN 1, TINYINT 3, SMALLINT 5, INT 10, BIGINT 19, LARGEINT 38
// digits, scale 0).
func IntegerDecimal(k types.Kind) types.T {
	switch k {
	case types.Boolean:
		return types.DecimalOf(1, 0)
	case types.TinyInt:
		return types.DecimalOf(3, 0)
	case types.SmallInt:
		return types.DecimalOf(5, 0)
	case types.Int:
		return types.DecimalOf(10, 0)
	case types.BigInt:
		return types.DecimalOf(19, 0)
	case types.LargeInt:
		return types.DecimalOf(types.MaxDecimalPrecision, 0)
	}
	panic(fmt.Sprintf("BUG: IntegerDecimal of non-integer kind %v", k))
}

// asDecimal converts an integer-like or decimal type to its DECIMAL form.
func asDecimal(t types.T) types.T {
	if t.Kind == types.Decimal {
		return t
	}
	return IntegerDecimal(t.Kind)
}

// decimalOf caps the precision at 38 and keeps the scale when it fits.
func decimalOf(p, s int32) types.T {
	if p > types.MaxDecimalPrecision {
		p = types.MaxDecimalPrecision
	}
	if s > p {
		s = p
	}
	if p < 1 {
		p = 1
	}
	return types.DecimalOf(p, s)
}

// commonDecimal is the smallest DECIMAL holding every value of both: integer digits and scale
// are each the larger of the two.
func commonDecimal(a, b types.T) types.T {
	s := max(a.Scale, b.Scale)
	return decimalOf(max(a.Precision-a.Scale, b.Precision-b.Scale)+s, s)
}

// numClass classifies an operand of arithmetic.
type numClass uint8

const (
	clsInt numClass = iota
	clsDecimal
	clsDouble
	clsOther // temporal: not an arithmetic operand
)

func arithClass(t types.T) numClass {
	switch {
	case t.Kind == types.Null || isIntLike(t):
		return clsInt
	case t.Kind == types.Decimal:
		return clsDecimal
	case t.IsFloat() || t.IsString():
		return clsDouble
	}
	return clsOther
}

// ComparisonType is the type both sides of a comparison (or every operand of IN) are converted
// to: the wider integer; DECIMAL when a DECIMAL meets an integer or DECIMAL; DOUBLE when a FLOAT,
// DOUBLE or string meets a number; DATE/DATETIME when a string meets one; DATETIME for DATE with
// DATETIME. Two strings compare as strings (the result is the first's type: strings are never
// cast to one another). NULL adopts the other side; NULL with NULL is BOOLEAN.
func ComparisonType(a, b types.T) (types.T, error) {
	switch {
	case a.Kind == types.Null && b.Kind == types.Null:
		return tBool, nil
	case a.Kind == types.Null:
		return nonNull(b), nil
	case b.Kind == types.Null:
		return nonNull(a), nil
	case a.IsString() && b.IsString():
		return a, nil
	case a.IsTemporal() && b.IsTemporal():
		return temporalCommon(a, b), nil
	case a.IsTemporal() && b.IsString():
		return a, nil
	case a.IsString() && b.IsTemporal():
		return b, nil
	case a.IsTemporal() || b.IsTemporal():
		return types.T{}, fmt.Errorf("cannot compare %s with %s", a, b)
	case isIntLike(a) && isIntLike(b):
		if intRank(a.Kind) >= intRank(b.Kind) {
			return a, nil
		}
		return b, nil
	case a.IsFloat() || b.IsFloat() || a.IsString() || b.IsString():
		return tDouble, nil
	}
	// Decimal with an integer or a decimal.
	return commonDecimal(asDecimal(a), asDecimal(b)), nil
}

func nonNull(t types.T) types.T {
	if t.Kind == types.Null {
		return tBool
	}
	return t
}

func temporalCommon(a, b types.T) types.T {
	if a.Kind == types.Date && b.Kind == types.Date {
		return tDate
	}
	return types.DateTimeOf(max(a.Scale, b.Scale))
}

// ResultType is the type of a value that is one of a or b (CASE, IF, IFNULL, COALESCE, NULLIF):
// numbers widen as in ComparisonType; two strings give VARCHAR of the longer length (STRING when
// either is STRING, CHAR when both are CHAR of one length); a string with a non-string gives
// STRING; DATE with DATETIME gives DATETIME. NULL adopts the other side; NULL with NULL is BOOLEAN.
func ResultType(a, b types.T) (types.T, error) {
	switch {
	case a.Kind == types.Null || b.Kind == types.Null:
		return ComparisonType(a, b)
	case a.IsString() && b.IsString():
		switch {
		case a == b:
			return a, nil
		case a.Kind == types.String || b.Kind == types.String:
			return tString, nil
		}
		return types.VarcharOf(max(a.Length, b.Length)), nil
	case a.IsString() || b.IsString():
		return tString, nil
	case a.IsTemporal() && b.IsTemporal():
		return temporalCommon(a, b), nil
	case a.IsTemporal() || b.IsTemporal():
		return types.T{}, fmt.Errorf("incompatible types %s and %s", a, b)
	}
	return ComparisonType(a, b)
}

// param is the type an argument of type arg is passed as when the function wants `want`: strings
// stay what they are when a string is wanted.
func param(arg, want types.T) types.T {
	if arg.IsString() && want.IsString() {
		return arg
	}
	return want
}

// castMayFail reports whether converting from → to can fail on some value (which gives NULL).
func castMayFail(from, to types.T) bool {
	switch {
	case from == to, from.Kind == types.Null, to.Kind == types.String:
		return false
	case from.IsString() && to.IsString():
		return to.Kind != types.String && (from.Kind == types.String || from.Length > to.Length || to.Length == 0)
	case isIntLike(from) && isIntLike(to):
		return intRank(from.Kind) > intRank(to.Kind)
	case isIntLike(from) && to.IsFloat():
		return false
	case isIntLike(from) && to.Kind == types.Decimal:
		d := IntegerDecimal(from.Kind)
		return to.Precision-to.Scale < d.Precision
	case from.Kind == types.Decimal && to.Kind == types.Decimal:
		return to.Precision-to.Scale < from.Precision-from.Scale
	case from.Kind == types.Decimal && to.Kind == types.Double:
		return false
	case from.Kind == types.Float && to.Kind == types.Double:
		return false
	case from.Kind == types.Date && to.Kind == types.DateTime:
		return false
	}
	return true
}

// CanCast reports whether CAST(from AS to) is allowed.
func CanCast(from, to types.T) bool {
	if to.Kind == types.Null || to.Validate() != nil {
		return false
	}
	switch {
	case from.Kind == types.Null, from == to, from.IsString(), to.IsString():
		return true
	case to.Kind == types.Boolean:
		return from.Kind == types.Boolean || from.IsNumeric()
	case to.IsNumeric():
		return from.Kind == types.Boolean || from.IsNumeric() || from.IsTemporal()
	case to.IsTemporal():
		return from.IsTemporal() || from.IsInteger()
	}
	return false
}
