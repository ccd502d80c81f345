package expr

import (
	"math"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Range selection: an AND of two comparisons of one column stored as int64 (integers, DATE,
// DATETIME, DECIMALs of up to 18 digits) with constants that bound it from below and above —
// `d >= '1995-09-01' AND d < '1995-10-01'`, BETWEEN — selects in one pass over the values: lo <= x
// <= hi is one unsigned comparison, (x - lo) <= (hi - lo) modulo 2^64. Strict bounds are
// moved by one (x > c is x >= c+1); bounds that cross select nothing. A NULL value is never in
// the range.

// rangeSel is how an AND selects as a range; ok is false when it does not.
type rangeSel struct {
	ok     bool
	col    int
	lo, hi int64
	empty  bool // no value satisfies both bounds
}

// rangeOf works out (once) whether n selects as a range.
func (n *logic) rangeOf() *rangeSel {
	if n.rng != nil {
		return n.rng
	}
	n.rng = &rangeSel{}
	if !n.and || len(n.args) != 2 {
		return n.rng
	}
	r := &rangeSel{lo: math.MinInt64, hi: math.MaxInt64, col: -1}
	lower, upper := false, false
	for _, a := range n.args {
		c, ok := a.(*compare)
		if !ok {
			return n.rng
		}
		if c.sel == nil {
			c.sel = c.constSide()
		}
		cs := c.sel
		col, ok := cs.other.(*column)
		if !cs.ok || !ok || cs.lit.null || cs.lit.t.Physical() != types.PhysInt64 || col.t.Physical() != types.PhysInt64 {
			return n.rng
		}
		if r.col >= 0 && r.col != col.idx {
			return n.rng
		}
		r.col = col.idx
		v := cs.lit.i64
		switch cs.op {
		case cmpGe, cmpGt:
			if cs.op == cmpGt {
				if v == math.MaxInt64 {
					r.empty = true
				}
				v++
			}
			lower, r.lo = true, max(r.lo, v)
		case cmpLe, cmpLt:
			if cs.op == cmpLt {
				if v == math.MinInt64 {
					r.empty = true
				}
				v--
			}
			upper, r.hi = true, min(r.hi, v)
		default:
			return n.rng
		}
	}
	if !lower || !upper {
		return n.rng
	}
	r.ok, r.empty = true, r.empty || r.lo > r.hi
	n.rng = r
	return r
}

// selectRange appends to out the rows of v (rows; all of 0..n-1 when rows is nil) in the range.
func (r *rangeSel) selectRange(v *vector.Vector, n int, rows []int32, out []int32) []int32 {
	if r.empty {
		return out
	}
	lo, span := uint64(r.lo), uint64(r.hi)-uint64(r.lo)
	x := v.Int64
	k0 := len(out)
	k := k0
	if rows == nil {
		out = room(out, n)
		for i, val := range x[:n] {
			out[k] = int32(i)
			k += int(b2i(uint64(val)-lo <= span))
		}
	} else {
		out = room(out, len(rows))
		for _, i := range rows {
			out[k] = i
			k += int(b2i(uint64(x[i])-lo <= span))
		}
	}
	out = out[:k]
	if v.Nulls != nil { // drop the NULL rows the loop kept
		k = k0
		for _, i := range out[k0:] {
			if !v.Nulls.Get(int(i)) {
				out[k] = i
				k++
			}
		}
		out = out[:k]
	}
	return out
}
