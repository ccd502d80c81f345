package mysql

import (
	"math"
	"strconv"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/types"
)

// Column describes a result column.
type Column struct {
	Name string
	Type types.T
}

// Result is what a statement returns: a result set (Columns set) or an OK packet.
type Result struct {
	Columns      []Column
	Rows         [][][]byte // text-encoded values; a nil value is SQL NULL
	AffectedRows uint64
	Info         string // the OK packet's info string (INSERT reports its label and txn here)
	Warnings     uint16
}

// AddRow appends a row of already-formatted values (nil = NULL).
func (r *Result) AddRow(values ...[]byte) { r.Rows = append(r.Rows, values) }

// AddStrings appends a row of strings.
func (r *Result) AddStrings(values ...string) {
	row := make([][]byte, len(values))
	for i, v := range values {
		row[i] = []byte(v)
	}
	r.Rows = append(r.Rows, row)
}

// AppendBatch formats the rows of a wire batch, column i having type r.Columns[i].Type.
func (r *Result) AppendBatch(b *commonpb.Batch) {
	n := int(b.NumRows)
	start := len(r.Rows)
	for i := 0; i < n; i++ {
		r.Rows = append(r.Rows, make([][]byte, len(r.Columns)))
	}
	for c, col := range b.Columns {
		t := types.FromProto(col.Type)
		for i := 0; i < n; i++ {
			if isNull(col.Nulls, i) {
				continue
			}
			r.Rows[start+i][c] = FormatValue(t, col, i)
		}
	}
}

func isNull(bitmap []byte, i int) bool {
	return i/8 < len(bitmap) && bitmap[i/8]&(1<<(i%8)) != 0
}

// FormatValue renders value i of a column as MySQL's text protocol shows it.
func FormatValue(t types.T, col *commonpb.ColumnData, i int) []byte {
	switch t.Physical() {
	case types.PhysBytes:
		return col.Bytes[i]
	case types.PhysFloat64:
		v := col.Doubles[i]
		switch {
		case math.IsInf(v, 1):
			return []byte("Infinity")
		case math.IsInf(v, -1):
			return []byte("-Infinity")
		case math.IsNaN(v):
			return []byte("NaN")
		}
		return formatFloat(v, t.Kind == types.Float)
	case types.PhysInt128:
		v := types.Int128{Hi: int64(col.Decimal128[2*i]), Lo: col.Decimal128[2*i+1]}
		if t.Kind == types.Decimal {
			return []byte(types.FormatDecimal(v, t.Scale))
		}
		return []byte(v.String())
	}
	v := col.Int64S[i]
	switch t.Kind {
	case types.Decimal:
		return []byte(types.FormatDecimal(types.I128(v), t.Scale))
	case types.Date:
		return []byte(types.FormatDate(v))
	case types.DateTime:
		return []byte(types.FormatDateTime(v, t.Scale))
	}
	return strconv.AppendInt(nil, v, 10)
}

// formatFloat renders a FLOAT or DOUBLE as Doris does: the shortest digits that read back to the
// same value, positional between 1e-5 and 1e15 and in exponent form outside.
func formatFloat(v float64, single bool) []byte {
	bits := 64
	if single {
		bits = 32
	}
	if a := math.Abs(v); a == 0 || (a >= 1e-5 && a < 1e15) {
		return strconv.AppendFloat(nil, v, 'f', -1, bits)
	}
	return strconv.AppendFloat(nil, v, 'g', -1, bits)
}
