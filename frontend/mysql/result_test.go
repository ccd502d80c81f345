package mysql

import (
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/types"
)

func TestFormatValue(t *testing.T) {
	i128 := func(v types.Int128) []uint64 { return []uint64{uint64(v.Hi), v.Lo} }
	big, _ := types.ParseDecimal("-12345678901234567890.123", 38, 3)
	cases := []struct {
		t    types.T
		col  *commonpb.ColumnData
		want string
	}{
		{types.New(types.Int), &commonpb.ColumnData{Int64S: []int64{-42}}, "-42"},
		{types.New(types.Boolean), &commonpb.ColumnData{Int64S: []int64{1}}, "1"},
		{types.DecimalOf(10, 2), &commonpb.ColumnData{Int64S: []int64{-5}}, "-0.05"},
		{types.DecimalOf(10, 0), &commonpb.ColumnData{Int64S: []int64{7}}, "7"},
		{types.DecimalOf(38, 3), &commonpb.ColumnData{Decimal128: i128(big)}, "-12345678901234567890.123"},
		{types.New(types.Date), &commonpb.ColumnData{Int64S: []int64{types.DaysFromCivil(2024, 2, 29)}}, "2024-02-29"},
		{types.DateTimeOf(0), &commonpb.ColumnData{Int64S: []int64{-1}}, "1969-12-31 23:59:59"},
		{types.DateTimeOf(3), &commonpb.ColumnData{Int64S: []int64{1_500}}, "1970-01-01 00:00:00.001"},
		{types.New(types.Double), &commonpb.ColumnData{Doubles: []float64{1.5e10}}, "15000000000"},
		{types.New(types.Double), &commonpb.ColumnData{Doubles: []float64{1e15}}, "1e+15"},
		{types.New(types.Double), &commonpb.ColumnData{Doubles: []float64{0.1}}, "0.1"},
		{types.New(types.Double), &commonpb.ColumnData{Doubles: []float64{1e-6}}, "1e-06"},
		{types.New(types.Float), &commonpb.ColumnData{Doubles: []float64{float64(float32(0.1))}}, "0.1"},
		{types.VarcharOf(5), &commonpb.ColumnData{Bytes: [][]byte{[]byte("héllo")}}, "héllo"},
	}
	for _, c := range cases {
		if got := string(FormatValue(c.t, c.col, 0)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.t, got, c.want)
		}
	}
}

func TestAppendBatchNulls(t *testing.T) {
	r := &Result{Columns: []Column{{Name: "a", Type: types.New(types.BigInt)}}}
	r.AppendBatch(&commonpb.Batch{NumRows: 3, Columns: []*commonpb.ColumnData{
		{Type: types.New(types.BigInt).Proto(), Nulls: []byte{0b010}, Int64S: []int64{1, 0, 3}},
	}})
	if len(r.Rows) != 3 || string(r.Rows[0][0]) != "1" || r.Rows[1][0] != nil || string(r.Rows[2][0]) != "3" {
		t.Fatalf("rows: %q", r.Rows)
	}
}
