package binder

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
)

// value is a constant of a known type, in the representation of compute/types, plus its
// canonical text (what CAST(v AS STRING) gives).
type value struct {
	typ  types.T
	null bool
	i64  int64        // PhysInt64 types
	i128 types.Int128 // PhysInt128 types
	f64  float64      // PhysFloat64 types
	b    []byte       // PhysBytes types
	text string
}

func nullValue(t types.T) value { return value{typ: t, null: true, text: "NULL"} }

// convError is why a value does not convert; the caller adds where.
type convError struct{ msg string }

func (e *convError) Error() string { return e.msg }

func quoteValue(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return "'" + s + "'"
}

func outOfRange(text string, to types.T) error {
	return &convError{fmt.Sprintf("value %s out of range for %s", quoteValue(text), to)}
}

func invalidValue(text string, to types.T) error {
	return &convError{fmt.Sprintf("invalid value %s for %s", quoteValue(text), to)}
}

// literalValue types an AST literal (see the package doc) and parses it.
func literalValue(lit *ast.Literal) (value, error) {
	switch lit.Kind {
	case ast.LitNull:
		return nullValue(types.New(types.Null)), nil
	case ast.LitBool:
		if lit.Value == "TRUE" {
			return value{typ: types.New(types.Boolean), i64: 1, text: "1"}, nil
		}
		return value{typ: types.New(types.Boolean), i64: 0, text: "0"}, nil
	case ast.LitInt:
		n, ok := new(big.Int).SetString(lit.Value, 10)
		if !ok {
			return value{}, invalidValue(lit.Value, types.New(types.BigInt))
		}
		for _, k := range []types.Kind{types.TinyInt, types.SmallInt, types.Int, types.BigInt} {
			if lo, hi := types.IntegerRange(k); n.IsInt64() && n.Int64() >= lo && n.Int64() <= hi {
				return value{typ: types.New(k), i64: n.Int64(), text: n.String()}, nil
			}
		}
		if v, ok := types.Int128FromBig(n); ok {
			return value{typ: types.New(types.LargeInt), i128: v, text: n.String()}, nil
		}
		digits := int32(len(strings.TrimPrefix(n.String(), "-")))
		if digits <= types.MaxDecimalPrecision {
			return convertText(types.New(types.LargeInt), n.String(), types.DecimalOf(digits, 0))
		}
		return convertText(types.New(types.LargeInt), n.String(), types.New(types.Double))
	case ast.LitDecimal:
		intPart, frac, _ := strings.Cut(strings.TrimPrefix(lit.Value, "-"), ".")
		intDigits := int32(len(strings.TrimLeft(intPart, "0")))
		s := int32(len(frac))
		p := max(intDigits+s, 1)
		if p > types.MaxDecimalPrecision {
			return convertText(types.DecimalOf(types.MaxDecimalPrecision, 0), lit.Value, types.New(types.Double))
		}
		return convertText(types.New(types.String), lit.Value, types.DecimalOf(p, s))
	case ast.LitFloat:
		return convertText(types.DecimalOf(types.MaxDecimalPrecision, 0), lit.Value, types.New(types.Double))
	case ast.LitString:
		return value{typ: types.VarcharOf(max(int32(len(lit.Value)), 1)), b: []byte(lit.Value), text: lit.Value}, nil
	case ast.LitDate:
		return convertText(types.New(types.String), lit.Value, types.New(types.Date))
	case ast.LitTimestamp:
		scale := int32(0)
		if _, frac, ok := strings.Cut(lit.Value, "."); ok {
			scale = min(int32(len(strings.TrimSpace(frac))), types.MaxDateTimeScale)
		}
		return convertText(types.New(types.String), lit.Value, types.DateTimeOf(scale))
	}
	return value{}, fmt.Errorf("BUG: literal kind %d", lit.Kind)
}

// convert converts v to type to, strictly: a value that does not fit is an error (*convError).
func convert(v value, to types.T) (value, error) {
	if v.null {
		return nullValue(to), nil
	}
	if v.typ == to {
		return v, nil
	}
	return convertText(v.typ, v.text, to)
}

// numericText parses a number written as text; it rejects what big.Rat accepts beyond SQL
// numbers (fractions, hexadecimal).
func numericText(text string) (*big.Rat, bool) {
	s := strings.TrimSpace(text)
	if s == "" || strings.ContainsAny(s, "/xXpP_") {
		return nil, false
	}
	return new(big.Rat).SetString(s)
}

// convertText converts the canonical text of a value of type from to type to.
func convertText(from types.T, text string, to types.T) (value, error) {
	out := value{typ: to}
	switch {
	case to.Kind == types.Boolean:
		switch {
		case from.IsString():
			switch strings.ToLower(strings.TrimSpace(text)) {
			case "true", "1":
				out.i64 = 1
			case "false", "0":
			default:
				return value{}, invalidValue(text, to)
			}
		case from.IsNumeric() || from.Kind == types.Boolean:
			r, ok := numericText(text)
			if !ok {
				return value{}, invalidValue(text, to)
			}
			if r.Sign() != 0 {
				out.i64 = 1
			}
		default:
			return value{}, invalidValue(text, to)
		}
		out.text = strconv.FormatInt(out.i64, 10)
	case to.IsInteger():
		var n *big.Int
		switch {
		case from.IsString():
			var ok bool
			if n, ok = new(big.Int).SetString(strings.TrimSpace(text), 10); !ok {
				return value{}, invalidValue(text, to)
			}
		case from.IsNumeric() || from.Kind == types.Boolean:
			r, ok := numericText(text)
			if !ok {
				return value{}, invalidValue(text, to)
			}
			n = new(big.Int).Quo(r.Num(), r.Denom()) // truncates toward zero, as CAST
		default:
			return value{}, invalidValue(text, to)
		}
		if to.Kind == types.LargeInt {
			v, ok := types.Int128FromBig(n)
			if !ok {
				return value{}, outOfRange(text, to)
			}
			out.i128 = v
		} else {
			lo, hi := types.IntegerRange(to.Kind)
			if !n.IsInt64() || n.Int64() < lo || n.Int64() > hi {
				return value{}, outOfRange(text, to)
			}
			out.i64 = n.Int64()
		}
		out.text = n.String()
	case to.IsFloat():
		if !(from.IsString() || from.IsNumeric() || from.Kind == types.Boolean) {
			return value{}, invalidValue(text, to)
		}
		if _, ok := numericText(text); !ok {
			return value{}, invalidValue(text, to)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil || math.IsInf(f, 0) {
			return value{}, outOfRange(text, to)
		}
		bits := 64
		if to.Kind == types.Float {
			if math.Abs(f) > math.MaxFloat32 {
				return value{}, outOfRange(text, to)
			}
			f, bits = float64(float32(f)), 32
		}
		out.f64 = f
		out.text = strconv.FormatFloat(f, 'g', -1, bits)
	case to.Kind == types.Decimal:
		if !(from.IsString() || from.IsNumeric() || from.Kind == types.Boolean) {
			return value{}, invalidValue(text, to)
		}
		r, ok := numericText(text)
		if !ok {
			return value{}, invalidValue(text, to)
		}
		v, err := types.DecimalFromRat(r, to.Precision, to.Scale, text)
		if err != nil {
			return value{}, outOfRange(text, to)
		}
		if to.Physical() == types.PhysInt128 {
			out.i128 = v
		} else {
			out.i64 = v.Int64()
		}
		out.text = types.FormatDecimal(v, to.Scale)
	case to.Kind == types.Date:
		if !(from.IsString() || from.IsTemporal() || from.IsInteger() && len(text) == 8) {
			return value{}, invalidValue(text, to)
		}
		d, err := types.ParseDate(text)
		if err != nil {
			return value{}, invalidValue(text, to)
		}
		out.i64, out.text = d, types.FormatDate(d)
	case to.Kind == types.DateTime:
		if !(from.IsString() || from.IsTemporal() || from.IsInteger() && len(text) == 8) {
			return value{}, invalidValue(text, to)
		}
		us, err := types.ParseDateTime(text)
		if err != nil {
			return value{}, invalidValue(text, to)
		}
		us = roundMicros(us, to.Scale)
		out.i64, out.text = us, types.FormatDateTime(us, to.Scale)
	case to.IsString():
		if (to.Kind == types.Varchar || to.Kind == types.Char) && to.Length > 0 && int32(len(text)) > to.Length {
			return value{}, &convError{fmt.Sprintf("value %s is too long for %s", quoteValue(text), to)}
		}
		out.b, out.text = []byte(text), text
	default:
		return value{}, invalidValue(text, to)
	}
	return out, nil
}

// roundMicros rounds microseconds half up to scale fractional digits.
func roundMicros(us int64, scale int32) int64 {
	unit := int64(1)
	for i := scale; i < types.MaxDateTimeScale; i++ {
		unit *= 10
	}
	r := ((us % unit) + unit) % unit
	if r*2 >= unit {
		return us - r + unit
	}
	return us - r
}

// currentValue is the value of CURRENT_TIMESTAMP / CURRENT_DATE for a column of type t.
func currentValue(now time.Time, t types.T) (value, error) {
	text := now.Format("2006-01-02 15:04:05.000000")
	return convertText(types.New(types.String), text, t)
}

// literal encodes v as a plan literal.
func (v value) literal() *planpb.Literal {
	if v.null {
		return &planpb.Literal{IsNull: true}
	}
	switch v.typ.Physical() {
	case types.PhysInt128:
		return &planpb.Literal{Hi: uint64(v.i128.Hi), Lo: v.i128.Lo}
	case types.PhysFloat64:
		return &planpb.Literal{Double: v.f64}
	case types.PhysBytes:
		return &planpb.Literal{Bytes: v.b}
	}
	return &planpb.Literal{Int64: v.i64}
}
