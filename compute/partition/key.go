package partition

import (
	"bytes"
	"cmp"
	"fmt"
	"math/big"
	"strings"

	"github.com/doricdb/doric/compute/types"
)

// Kind is how a table is partitioned.
type Kind string

// The partitioning kinds.
const (
	Range Kind = "RANGE"
	List  Kind = "LIST"
)

// Value is one value of a partition key as the catalog stores it: canonical text of a value of
// the column's type (see the package doc), NULL (list partitions) or MAXVALUE (range bounds).
type Value struct {
	Text string `json:",omitempty"`
	Null bool   `json:",omitempty"`
	Max  bool   `json:",omitempty"`
}

// Key is a partition key: one Value per partition column.
type Key []Value

// Bounds are what a partition holds: [Lower, Upper) for a range partition, the keys In for a
// list partition.
type Bounds struct {
	Lower Key   `json:",omitempty"`
	Upper Key   `json:",omitempty"`
	In    []Key `json:",omitempty"`
}

// Clone returns a deep copy.
func (b *Bounds) Clone() *Bounds {
	if b == nil {
		return nil
	}
	c := &Bounds{Lower: append(Key(nil), b.Lower...), Upper: append(Key(nil), b.Upper...)}
	for _, k := range b.In {
		c.In = append(c.In, append(Key(nil), k...))
	}
	return c
}

// Spec gives partition keys their meaning: the partitioning kind and the types of the partition
// columns, in order.
type Spec struct {
	Kind  Kind
	Types []types.T
}

// Error is a partition definition or value that Doris rejects; Msg is Doris's wording.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, a ...any) error { return &Error{Msg: fmt.Sprintf(format, a...)} }

// TypeName is the name Doris prints for a partition column type (its PrimitiveType), as in
// SHOW PARTITIONS and error messages: INT, DATEV2, DATETIMEV2, VARCHAR, ...
func TypeName(t types.T) string {
	switch t.Kind {
	case types.Date:
		return "DATEV2"
	case types.DateTime:
		return "DATETIMEV2"
	case types.Decimal:
		switch {
		case t.Precision <= 9:
			return "DECIMAL32"
		case t.Precision <= 18:
			return "DECIMAL64"
		}
		return "DECIMAL128"
	case types.String:
		return "STRING"
	}
	return strings.ToUpper(t.String()[:strings.IndexByte(t.String()+"(", '(')])
}

// Allowed reports whether a column of type t can be a partition column of kind k (Doris:
// integers and dates for RANGE; also BOOLEAN, CHAR and VARCHAR for LIST).
func Allowed(k Kind, t types.T) bool {
	switch {
	case t.IsInteger(), t.IsTemporal():
		return true
	case k == List:
		return t.Kind == types.Boolean || t.Kind == types.Char || t.Kind == types.Varchar
	}
	return false
}

// datum is a decoded partition value, in compute/vector's representation of its type.
type datum struct {
	null, max bool
	i         int64        // integers, BOOLEAN, DATE (days), DATETIME (microseconds)
	w         types.Int128 // LARGEINT
	b         []byte       // CHAR, VARCHAR
}

// Normalize converts text (a value as a user writes it) to the canonical text of a value of type
// t, or fails with an *Error.
func Normalize(t types.T, text string) (string, error) {
	d, err := parse(t, text)
	if err != nil {
		return "", err
	}
	return format(t, d), nil
}

func parse(t types.T, text string) (datum, error) {
	s := strings.TrimSpace(text)
	switch {
	case t.Kind == types.Boolean:
		switch strings.ToLower(s) {
		case "true", "1":
			return datum{i: 1}, nil
		case "false", "0":
			return datum{}, nil
		}
		return datum{}, errorf("Invalid BOOLEAN literal: %s", text)
	case t.IsInteger():
		n, ok := new(big.Int).SetString(strings.TrimPrefix(s, "+"), 10)
		if !ok {
			return datum{}, errorf("Invalid number format: %s", text)
		}
		if t.Kind == types.LargeInt {
			w, ok := types.Int128FromBig(n)
			if !ok {
				return datum{}, errorf("Number out of range[%s]. type: %s", text, TypeName(t))
			}
			return datum{w: w}, nil
		}
		lo, hi := types.IntegerRange(t.Kind)
		if !n.IsInt64() || n.Int64() < lo || n.Int64() > hi {
			return datum{}, errorf("Number out of range[%s]. type: %s", text, TypeName(t))
		}
		return datum{i: n.Int64()}, nil
	case t.Kind == types.Date:
		d, err := types.ParseDate(s)
		if err != nil {
			return datum{}, errorf("date literal [%s] is invalid", text)
		}
		return datum{i: d}, nil
	case t.Kind == types.DateTime:
		us, err := types.ParseDateTime(s)
		if err != nil {
			return datum{}, errorf("date literal [%s] is invalid", text)
		}
		return datum{i: roundMicros(us, t.Scale)}, nil
	case t.Kind == types.Char || t.Kind == types.Varchar:
		if t.Length > 0 && len(text) > int(t.Length) {
			return datum{}, errorf("partition value '%s' is longer than %s", text, t)
		}
		return datum{b: []byte(text)}, nil
	}
	return datum{}, errorf("type %s cannot be a partition key", TypeName(t))
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

func format(t types.T, d datum) string {
	switch {
	case d.max:
		return "MAXVALUE"
	case d.null:
		return "NULL"
	case t.Kind == types.Boolean:
		if d.i != 0 {
			return "true"
		}
		return "false"
	case t.Kind == types.LargeInt:
		return d.w.String()
	case t.IsInteger():
		return fmt.Sprint(d.i)
	case t.Kind == types.Date:
		return types.FormatDate(d.i)
	case t.Kind == types.DateTime:
		return types.FormatDateTime(d.i, t.Scale)
	}
	return string(d.b)
}

// decode decodes a stored value.
func decode(t types.T, v Value) (datum, error) {
	switch {
	case v.Max:
		return datum{max: true}, nil
	case v.Null:
		return datum{null: true}, nil
	}
	return parse(t, v.Text)
}

// compare orders two values of type t: NULL before every value, MAXVALUE after.
func compare(t types.T, a, b datum) int {
	switch {
	case a.max || b.max:
		return cmpBool(a.max, b.max)
	case a.null || b.null:
		return -cmpBool(a.null, b.null)
	}
	switch t.Physical() {
	case types.PhysInt128:
		return a.w.Cmp(b.w)
	case types.PhysBytes:
		if t.Kind == types.Char {
			return bytes.Compare(bytes.TrimRight(a.b, " "), bytes.TrimRight(b.b, " "))
		}
		return bytes.Compare(a.b, b.b)
	}
	return cmp.Compare(a.i, b.i)
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// minDatum is the smallest value of type t (Doris's MIN partition value).
func minDatum(t types.T) datum {
	switch {
	case t.Kind == types.LargeInt:
		return datum{w: types.Int128{Hi: -1 << 63}}
	case t.IsInteger() || t.Kind == types.Boolean:
		lo, _ := types.IntegerRange(t.Kind)
		return datum{i: lo}
	case t.Kind == types.Date:
		return datum{i: types.DaysFromCivil(0, 1, 1)}
	case t.Kind == types.DateTime:
		return datum{i: types.DaysFromCivil(0, 1, 1) * 86400 * 1_000_000}
	}
	return datum{b: []byte{}}
}

// tuple is a decoded key.
type tuple []datum

func (s Spec) decodeKey(k Key) (tuple, error) {
	if len(k) != len(s.Types) {
		return nil, fmt.Errorf("BUG: key of %d values for %d partition columns", len(k), len(s.Types))
	}
	out := make(tuple, len(k))
	for i, v := range k {
		d, err := decode(s.Types[i], v)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func (s Spec) compareTuples(a, b tuple) int {
	for i := range min(len(a), len(b)) {
		if c := compare(s.Types[i], a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func (s Spec) isMin(k tuple) bool {
	for i, d := range k {
		if compare(s.Types[i], d, minDatum(s.Types[i])) != 0 {
			return false
		}
	}
	return true
}

// MinKey is the smallest key: every column's minimum value.
func (s Spec) MinKey() Key {
	k := make(Key, len(s.Types))
	for i, t := range s.Types {
		k[i] = Value{Text: format(t, minDatum(t))}
	}
	return k
}

// MaxKey is the key of MAXVALUE in every column.
func (s Spec) MaxKey() Key {
	k := make(Key, len(s.Types))
	for i := range k {
		k[i] = Value{Max: true}
	}
	return k
}

// CompareKeys orders two keys of s (as range bounds are ordered).
func (s Spec) CompareKeys(a, b Key) (int, error) {
	ta, err := s.decodeKey(a)
	if err != nil {
		return 0, err
	}
	tb, err := s.decodeKey(b)
	if err != nil {
		return 0, err
	}
	return s.compareTuples(ta, tb), nil
}

// BoundKey builds a range bound from the values written in a partition definition (canonical or
// not; nil elements are MAXVALUE): values beyond those given are the columns' minimum, as Doris
// completes a bound. It fails when more values than columns are given or a value does not fit.
func (s Spec) BoundKey(values []*string) (Key, error) {
	if len(values) > len(s.Types) {
		return nil, errorf("partition key desc list size[%d] is larger than partition column size[%d]", len(values), len(s.Types))
	}
	k := make(Key, len(s.Types))
	for i, t := range s.Types {
		switch {
		case i >= len(values):
			k[i] = Value{Text: format(t, minDatum(t))}
		case values[i] == nil:
			k[i] = Value{Max: true}
		default:
			text, err := Normalize(t, *values[i])
			if err != nil {
				return nil, err
			}
			k[i] = Value{Text: text}
		}
	}
	return k, nil
}

// ListKey builds a list key from the values written for one element of VALUES IN (nil elements
// are NULL); it must have exactly one value per partition column.
func (s Spec) ListKey(values []*string) (Key, error) {
	if len(values) != len(s.Types) {
		return nil, errorf("partition key desc list size[%d] is not equal to partition column size[%d]", len(values), len(s.Types))
	}
	k := make(Key, len(values))
	for i, t := range s.Types {
		if values[i] == nil {
			k[i] = Value{Null: true}
			continue
		}
		text, err := Normalize(t, *values[i])
		if err != nil {
			return nil, err
		}
		k[i] = Value{Text: text}
	}
	return k, nil
}
