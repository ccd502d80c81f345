package vector

import (
	"encoding/binary"
	"fmt"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/types"
)

// ToProto converts the active rows of b to the wire form.
func ToProto(b *Batch) *commonpb.Batch {
	b = b.Compact()
	out := &commonpb.Batch{NumRows: int64(b.N), Columns: make([]*commonpb.ColumnData, len(b.Cols))}
	for i, c := range b.Cols {
		out.Columns[i] = VectorToProto(c, b.N)
	}
	return out
}

// VectorToProto converts the first n rows of v.
func VectorToProto(v *Vector, n int) *commonpb.ColumnData {
	cd := &commonpb.ColumnData{Type: v.Type.Proto()}
	if v.Nulls.Any(n) {
		nb := make([]byte, (n+7)/8)
		for i := range n {
			if v.Nulls.Get(i) {
				nb[i>>3] |= 1 << (uint(i) & 7)
			}
		}
		cd.Nulls = nb
	}
	switch v.Type.Physical() {
	case types.PhysInt64:
		cd.Int64S = v.Int64[:n:n]
	case types.PhysInt128:
		d := make([]uint64, 2*n)
		for i, x := range v.Int128[:n] {
			d[2*i], d[2*i+1] = uint64(x.Hi), x.Lo
		}
		cd.Decimal128 = d
	case types.PhysFloat64:
		cd.Doubles = v.Float64[:n:n]
	default:
		cd.Bytes = v.Bytes[:n:n]
	}
	return cd
}

// FromProto converts a wire batch, checking its shape (it may come from another process).
func FromProto(pb *commonpb.Batch) (*Batch, error) {
	if pb.GetNumRows() < 0 {
		return nil, fmt.Errorf("batch has %d rows", pb.GetNumRows())
	}
	n := int(pb.GetNumRows())
	cols := make([]*Vector, len(pb.GetColumns()))
	for i, cd := range pb.GetColumns() {
		v, err := VectorFromProto(cd, n)
		if err != nil {
			return nil, fmt.Errorf("column %d: %w", i, err)
		}
		cols[i] = v
	}
	return &Batch{Cols: cols, N: n}, nil
}

// VectorFromProto converts one wire column of n rows. A column of type NULL (a bare NULL in a
// select list) carries int64 placeholders and a full null bitmap.
func VectorFromProto(cd *commonpb.ColumnData, n int) (*Vector, error) {
	t := types.FromProto(cd.GetType())
	if t.Kind <= types.Invalid || t.Kind > types.Null {
		return nil, fmt.Errorf("unknown type kind %d", t.Kind)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	v := &Vector{Type: t}
	want := func(got int, what string) error {
		if got != n {
			return fmt.Errorf("%s column has %d %s values, want %d", t, got, what, n)
		}
		return nil
	}
	var err error
	switch t.Physical() {
	case types.PhysInt64:
		v.Int64, err = cd.Int64S, want(len(cd.Int64S), "int64")
		if v.Int64 == nil {
			v.Int64 = []int64{}
		}
	case types.PhysInt128:
		if err = want(len(cd.Decimal128)/2, "decimal128"); err == nil && len(cd.Decimal128)%2 != 0 {
			err = fmt.Errorf("%s column has an odd number of decimal128 words", t)
		}
		v.Int128 = make([]types.Int128, n)
		for i := range v.Int128 {
			if err == nil {
				v.Int128[i] = types.Int128{Hi: int64(cd.Decimal128[2*i]), Lo: cd.Decimal128[2*i+1]}
			}
		}
	case types.PhysFloat64:
		v.Float64, err = cd.Doubles, want(len(cd.Doubles), "double")
		if v.Float64 == nil {
			v.Float64 = []float64{}
		}
	default:
		v.Bytes, err = cd.Bytes, want(len(cd.Bytes), "bytes")
		if v.Bytes == nil {
			v.Bytes = [][]byte{}
		}
	}
	if err != nil {
		return nil, err
	}
	if len(cd.Nulls) > 0 {
		if len(cd.Nulls) < (n+7)/8 {
			return nil, fmt.Errorf("null bitmap of %d bytes for %d rows", len(cd.Nulls), n)
		}
		bm := NewBitmap(n)
		for w := range bm {
			var buf [8]byte
			copy(buf[:], cd.Nulls[min(8*w, len(cd.Nulls)):])
			bm[w] = binary.LittleEndian.Uint64(buf[:])
		}
		if rem := n & 63; rem != 0 {
			bm[len(bm)-1] &= 1<<uint(rem) - 1
		}
		if bm.Any(n) {
			v.Nulls = bm
		}
	}
	if t.Kind == types.Null && n > 0 {
		v.Nulls = NewBitmap(n)
		for i := range n {
			v.Nulls.Set(i)
		}
	}
	return v, nil
}
