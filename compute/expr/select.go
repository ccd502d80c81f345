package expr

import (
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Select returns the active rows of b (its selection, or all rows) where the expression is TRUE
// (not NULL and not zero), in order, appended to sel[:0]. sel may be b.Sel itself: the rows are
// narrowed in place. Comparisons of a column (or any int64 or float expression) with a constant,
// LIKE with a constant pattern, IN over literals, and ANDs and ORs of predicates, select
// without materializing a BOOLEAN vector.
func (e *Expr) Select(b *vector.Batch, sel []int32) ([]int32, error) {
	rows := b.Sel
	if rows == nil {
		if out, ok, err := selectDense(e.root, b, sel[:0]); ok || err != nil {
			return out, err
		}
		e.buf = vector.Identity(e.buf, b.N)
		rows = e.buf
	}
	return selectRows(e.root, b, rows, sel[:0])
}

// selector is a node that can select the rows where it is TRUE directly; ok is false when it
// cannot for this batch (the caller evaluates it instead).
type selector interface {
	selectRows(b *vector.Batch, rows []int32, out []int32) (_ []int32, ok bool, err error)
}

// selectRows appends to out the rows of rows where n is TRUE; out may share rows' array (it
// never gets ahead of the row being read).
func selectRows(n node, b *vector.Batch, rows []int32, out []int32) ([]int32, error) {
	if s, ok := n.(selector); ok {
		res, ok, err := s.selectRows(b, rows, out)
		if ok || err != nil {
			return res, err
		}
	}
	v, err := n.eval(b, rows)
	if err != nil {
		return nil, err
	}
	return selectTrue(v, rows, out), nil
}

// selectTrue appends the rows where v is TRUE to out (branch-free when v has no NULLs).
func selectTrue(v *vector.Vector, rows []int32, out []int32) []int32 {
	vals := v.Int64
	if v.Nulls != nil {
		for _, i := range rows {
			if vals[i] != 0 && !v.Nulls.Get(int(i)) {
				out = append(out, i)
			}
		}
		return out
	}
	k := len(out)
	out = room(out, len(rows))
	for _, i := range rows {
		out[k] = i
		k += int(b2i(vals[i] != 0))
	}
	return out[:k]
}

// room returns out extended by n elements (their values unspecified), in place when it has the
// capacity (as when out shares the array of the rows being selected from).
func room(out []int32, n int) []int32 {
	if cap(out)-len(out) < n {
		grown := make([]int32, len(out), len(out)+max(n, 1024))
		copy(grown, out)
		out = grown
	}
	return out[:len(out)+n]
}

// selectRows of AND: each argument narrows the rows the ones before it kept (AND is TRUE
// exactly when every argument is).
func (n *logic) selectRows(b *vector.Batch, rows []int32, out []int32) ([]int32, bool, error) {
	if !n.and {
		res, err := n.selectOr(b, rows, out)
		return res, true, err
	}
	if r := n.rangeOf(); r.ok {
		return r.selectRange(b.Cols[r.col], b.N, rows, out), true, nil
	}
	res, err := selectAnd(n.args, b, rows, out)
	return res, true, err
}

// selectOr selects the rows where some argument is TRUE: each argument selects among the rows
// the ones before it did not select (those that reach it in Eval too), and the selections,
// disjoint and each in order, are merged. out is written only once rows have been read.
func (n *logic) selectOr(b *vector.Batch, rows []int32, out []int32) ([]int32, error) {
	undecided := rows
	g, u := 0, 0 // the buffers got and undecided are in (once undecided is not rows)
	got := n.orGot[g][:0]
	for k, a := range n.args {
		if len(undecided) == 0 {
			break
		}
		hit, err := selectRows(a, b, undecided, n.orHit[:0])
		if err != nil {
			return nil, err
		}
		n.orHit = hit
		if len(hit) == 0 {
			continue
		}
		g = 1 - g
		merged := n.orGot[g][:0]
		gi := 0
		for _, i := range hit {
			for gi < len(got) && got[gi] < i {
				merged = append(merged, got[gi])
				gi++
			}
			merged = append(merged, i)
		}
		merged = append(merged, got[gi:]...)
		n.orGot[g], got = merged, merged
		if k == len(n.args)-1 {
			break
		}
		u = 1 - u
		rest := n.orUn[u][:0]
		h := 0
		for _, i := range undecided {
			if h < len(hit) && hit[h] == i {
				h++
				continue
			}
			rest = append(rest, i)
		}
		n.orUn[u], undecided = rest, rest
	}
	return append(out, got...), nil
}

// selectAnd selects the rows where every one of args is TRUE.
func selectAnd(args []node, b *vector.Batch, rows []int32, out []int32) ([]int32, error) {
	cur := rows
	for k, a := range args {
		dst := out
		if k > 0 {
			dst = cur[:0] // narrowing cur in place (it is out's array by now)
		}
		var err error
		if cur, err = selectRows(a, b, cur, dst); err != nil {
			return nil, err
		}
		if len(cur) == 0 {
			break
		}
	}
	return cur, nil
}

// selectRows of a comparison with a constant side: one typed loop over the other side's values.
func (n *compare) selectRows(b *vector.Batch, rows []int32, out []int32) ([]int32, bool, error) {
	if n.sel == nil {
		n.sel = n.constSide()
	}
	cs := n.sel
	if !cs.ok {
		return nil, false, nil
	}
	if cs.lit.null {
		return out, true, nil // comparisons with NULL are never TRUE
	}
	v, err := cs.other.eval(b, rows)
	if err != nil {
		return nil, true, err
	}
	k0 := len(out)
	switch cs.lit.t.Physical() {
	case types.PhysBytes:
		out = selectBytes(cs.op, v.Bytes, cs.lit.b, n.c.trim, rows, out)
	case types.PhysFloat64:
		out = selectCmp(cs.op, v.Float64, cs.lit.f64, rows, out)
	default:
		out = selectCmp(cs.op, v.Int64, cs.lit.i64, rows, out)
	}
	if v.Nulls != nil { // drop the NULL rows the loop kept
		k := k0
		for _, i := range out[k0:] {
			if !v.Nulls.Get(int(i)) {
				out[k] = i
				k++
			}
		}
		out = out[:k]
	}
	return out, true, nil
}

// constSel is how a comparison selects against a constant: other op lit.
type constSel struct {
	ok    bool
	op    cmpOp
	other node
	lit   *literal
}

// constSide decides whether the comparison is `x op constant` (or `constant op x`) with values
// compared as they are stored: int64 integers, DATEs, DECIMALs of one scale, DOUBLEs, strings.
func (n *compare) constSide() *constSel {
	cs := &constSel{op: n.op, other: n.a}
	l, ok := n.b.(*literal)
	ta, tb := n.c.ta, n.c.tb
	if !ok {
		if l, ok = n.a.(*literal); !ok || n.nullSafe {
			return cs
		}
		cs.other, cs.op = n.b, n.op.flip()
		ta, tb = tb, ta
	}
	if n.nullSafe {
		return cs
	}
	cs.lit = l
	ot, lt := cs.other.typ(), l.t
	if l.null {
		cs.ok = true
		return cs
	}
	switch n.c.mode {
	case modeInt64:
		cs.ok = storedAs(ot, ta) && storedAs(lt, tb)
	case modeDecimal:
		cs.ok = ot.Kind == types.Decimal && lt.Kind == types.Decimal && ot.Scale == lt.Scale &&
			ot.Physical() == types.PhysInt64 && lt.Physical() == types.PhysInt64
	case modeFloat:
		cs.ok = ot.Kind == types.Double && lt.Kind == types.Double
	case modeBytes:
		cs.ok = ot.IsString() && lt.IsString()
	}
	return cs
}

// storedAs reports whether values of type t compare as type want without conversion (coerce
// returns them as they are).
func storedAs(t, want types.T) bool {
	return t == want || (intLike(t) && intLike(want))
}

// selectDense selects from all rows of b (which has no selection) without listing them first,
// when n is a comparison of a column with a constant, or an AND that starts with one.
func selectDense(n node, b *vector.Batch, out []int32) (_ []int32, ok bool, err error) {
	if l, ok := n.(*logic); ok && l.and {
		if r := l.rangeOf(); r.ok {
			return r.selectRange(b.Cols[r.col], b.N, nil, out), true, nil
		}
		first, ok, _ := selectDense(l.args[0], b, out)
		if !ok || len(first) == 0 {
			return first, ok, nil
		}
		res, err := selectAnd(l.args[1:], b, first, first[:0])
		return res, true, err
	}
	c, ok := n.(*compare)
	if !ok {
		return nil, false, nil
	}
	if c.sel == nil {
		c.sel = c.constSide()
	}
	cs := c.sel
	col, ok := cs.other.(*column)
	if !cs.ok || !ok || cs.lit.null || cs.lit.t.Physical() == types.PhysBytes {
		return nil, false, nil
	}
	v := b.Cols[col.idx]
	if v.Nulls != nil {
		return nil, false, nil
	}
	if cs.lit.t.Physical() == types.PhysFloat64 {
		return selectCmpDense(cs.op, v.Float64[:b.N], cs.lit.f64, out), true, nil
	}
	return selectCmpDense(cs.op, v.Int64[:b.N], cs.lit.i64, out), true, nil
}

// selectCmpDense is selectCmp over every row of x.
func selectCmpDense[T int64 | float64](op cmpOp, x []T, c T, out []int32) []int32 {
	k := len(out)
	out = room(out, len(x))
	switch op {
	case cmpEq:
		for i, v := range x {
			out[k] = int32(i)
			k += int(b2i(v == c))
		}
	case cmpNe:
		for i, v := range x {
			out[k] = int32(i)
			k += int(b2i(v != c))
		}
	case cmpLt:
		for i, v := range x {
			out[k] = int32(i)
			k += int(b2i(v < c))
		}
	case cmpLe:
		for i, v := range x {
			out[k] = int32(i)
			k += int(b2i(v <= c))
		}
	case cmpGt:
		for i, v := range x {
			out[k] = int32(i)
			k += int(b2i(v > c))
		}
	case cmpGe:
		for i, v := range x {
			out[k] = int32(i)
			k += int(b2i(v >= c))
		}
	}
	return out[:k]
}

// flip is the operator with its operands swapped (c op x  ==  x flip(op) c).
func (op cmpOp) flip() cmpOp {
	switch op {
	case cmpLt:
		return cmpGt
	case cmpLe:
		return cmpGe
	case cmpGt:
		return cmpLt
	case cmpGe:
		return cmpLe
	}
	return op
}

func selectCmp[T int64 | float64](op cmpOp, x []T, c T, rows []int32, out []int32) []int32 {
	k := len(out)
	out = room(out, len(rows))
	switch op {
	case cmpEq:
		for _, i := range rows {
			out[k] = i
			k += int(b2i(x[i] == c))
		}
	case cmpNe:
		for _, i := range rows {
			out[k] = i
			k += int(b2i(x[i] != c))
		}
	case cmpLt:
		for _, i := range rows {
			out[k] = i
			k += int(b2i(x[i] < c))
		}
	case cmpLe:
		for _, i := range rows {
			out[k] = i
			k += int(b2i(x[i] <= c))
		}
	case cmpGt:
		for _, i := range rows {
			out[k] = i
			k += int(b2i(x[i] > c))
		}
	case cmpGe:
		for _, i := range rows {
			out[k] = i
			k += int(b2i(x[i] >= c))
		}
	}
	return out[:k]
}
