package exec

import (
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Build-side materialization and output gathers of the hash join, sized once: the build side is
// collected as a list of pieces (one per build batch, holding its columns and active rows) and
// concatenated into vectors allocated at the total size, instead of growing vectors batch by
// batch (which copies every value about twice more).

// piece is one build batch's contribution: rows of cols (rows nil: 0..n-1).
type piece struct {
	cols []*vector.Vector
	rows []int32
	n    int
}

// concatPieces returns column c of the pieces, in order, as one vector of n values of type t;
// with pos, the k-th row of the pieces goes to row pos[k] instead (see joinTable.pos).
func concatPieces(t types.T, pieces []piece, c int, n int, pos []int32) *vector.Vector {
	out := vector.New(t, n)
	off := 0
	for _, p := range pieces {
		src := p.cols[c]
		var at []int32
		if pos != nil {
			at = pos[off : off+p.n]
		}
		switch t.Physical() {
		case types.PhysInt64:
			copyRows(out.Int64, off, src.Int64, p.rows, at, p.n)
		case types.PhysInt128:
			copyRows(out.Int128, off, src.Int128, p.rows, at, p.n)
		case types.PhysFloat64:
			copyRows(out.Float64, off, src.Float64, p.rows, at, p.n)
		default:
			copyRows(out.Bytes, off, src.Bytes, p.rows, at, p.n)
		}
		if src.Nulls != nil {
			for k := range p.n {
				i := k
				if p.rows != nil {
					i = int(p.rows[k])
				}
				if src.Nulls.Get(i) {
					if out.Nulls == nil {
						out.Nulls = vector.NewBitmap(n)
					}
					if at != nil {
						out.Nulls.Set(int(at[k]))
					} else {
						out.Nulls.Set(off + k)
					}
				}
			}
		}
		off += p.n
	}
	return out
}

// copyRows copies n rows of src (rows[k], or k with rows nil) to dst: to rows at[k], or
// off+k with at nil.
func copyRows[T any](dst []T, off int, src []T, rows, at []int32, n int) {
	switch {
	case at == nil && rows == nil:
		copy(dst[off:off+n], src[:n])
	case at == nil:
		d := dst[off : off+n]
		for k, i := range rows[:n] {
			d[k] = src[i]
		}
	case rows == nil:
		for k, a := range at[:n] {
			dst[a] = src[k]
		}
	default:
		for k, i := range rows[:n] {
			dst[at[k]] = src[i]
		}
	}
}

// permuteValues sets dst[pos[i]] = src[i].
func permuteValues[T any](dst, src []T, pos []int32) {
	for i, a := range pos {
		dst[a] = src[i]
	}
}

// gatherVector returns a new vector holding rows sel of v, in that order (vector.Gather without the
// appends).
func gatherVector(v *vector.Vector, sel []int32) *vector.Vector {
	out := &vector.Vector{Type: v.Type}
	switch v.Type.Physical() {
	case types.PhysInt64:
		out.Int64 = gatherValues(v.Int64, sel)
	case types.PhysInt128:
		out.Int128 = gatherValues(v.Int128, sel)
	case types.PhysFloat64:
		out.Float64 = gatherValues(v.Float64, sel)
	default:
		out.Bytes = gatherValues(v.Bytes, sel)
	}
	if v.Nulls != nil {
		for k, i := range sel {
			if v.Nulls.Get(int(i)) {
				if out.Nulls == nil {
					out.Nulls = vector.NewBitmap(len(sel))
				}
				out.Nulls.Set(k)
			}
		}
	}
	return out
}

func gatherValues[T any](src []T, sel []int32) []T {
	out := make([]T, len(sel))
	for k, i := range sel {
		out[k] = src[i]
	}
	return out
}

// scatter returns a vector of n values holding row r[k] of v at row at[k] (the other rows zero,
// not NULL: they must not be selected).
func scatter(v *vector.Vector, r, at []int32, n int) *vector.Vector {
	out := vector.New(v.Type, n)
	switch v.Type.Physical() {
	case types.PhysInt64:
		scatterValues(out.Int64, v.Int64, r, at)
	case types.PhysInt128:
		scatterValues(out.Int128, v.Int128, r, at)
	case types.PhysFloat64:
		scatterValues(out.Float64, v.Float64, r, at)
	default:
		scatterValues(out.Bytes, v.Bytes, r, at)
	}
	if v.Nulls != nil {
		for k, i := range r {
			if v.Nulls.Get(int(i)) {
				if out.Nulls == nil {
					out.Nulls = vector.NewBitmap(n)
				}
				out.Nulls.Set(int(at[k]))
			}
		}
	}
	return out
}

func scatterValues[T any](dst, src []T, r, at []int32) {
	for k, i := range r {
		dst[at[k]] = src[i]
	}
}
