package expr

import (
	"bytes"
	"cmp"
	"math"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpNe
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

func cmpOpOf(name string) cmpOp {
	switch name {
	case "eq", "eq_for_null":
		return cmpEq
	case "ne":
		return cmpNe
	case "lt":
		return cmpLt
	case "le":
		return cmpLe
	case "gt":
		return cmpGt
	}
	return cmpGe
}

// holds reports whether a three-way comparison result c (-1, 0, 1) satisfies op.
func (op cmpOp) holds(c int) bool {
	switch op {
	case cmpEq:
		return c == 0
	case cmpNe:
		return c != 0
	case cmpLt:
		return c < 0
	case cmpLe:
		return c <= 0
	case cmpGt:
		return c > 0
	}
	return c >= 0
}

// cmpMode is how two coerced values are compared.
type cmpMode uint8

const (
	modeInt64 cmpMode = iota
	modeInt128
	modeFloat
	modeDecimal // exact, possibly different scales
	modeBytes   // bytewise; trim: trailing spaces ignored (CHAR)
)

// comparison describes how to compare values of two types: the types each side is converted to
// first, and the mode.
type comparison struct {
	ta, tb types.T
	mode   cmpMode
	trim   bool
}

func intLike(t types.T) bool {
	return (t.IsInteger() && t.Kind != types.LargeInt) || t.Kind == types.Boolean
}

// comparisonOf decides how values of types a and b compare; ok is false when they do not.
func comparisonOf(a, b types.T) (comparison, bool) {
	switch {
	case a.Kind == types.Null || b.Kind == types.Null:
		t := a
		if a.Kind == types.Null {
			t = b
		}
		if t.Kind == types.Null {
			t = types.New(types.BigInt)
		}
		c, ok := comparisonOf(t, t)
		c.ta, c.tb = t, t
		return c, ok
	case a.IsString() && b.IsString():
		return comparison{ta: a, tb: b, mode: modeBytes, trim: a.Kind == types.Char || b.Kind == types.Char}, true
	case a.IsString():
		c, ok := comparisonOf(b, b)
		c.ta, c.tb = b, b
		return c, ok
	case b.IsString():
		c, ok := comparisonOf(a, a)
		c.ta, c.tb = a, a
		return c, ok
	case intLike(a) && intLike(b):
		return comparison{ta: a, tb: b, mode: modeInt64}, true
	case a.Kind == b.Kind && (a.Kind == types.Date):
		return comparison{ta: a, tb: b, mode: modeInt64}, true
	case a.IsTemporal() && b.IsTemporal():
		t := types.DateTimeOf(max(a.Scale, b.Scale))
		return comparison{ta: t, tb: t, mode: modeInt64}, true
	case a.IsTemporal() || b.IsTemporal():
		return comparison{}, false
	case a.IsFloat() || b.IsFloat():
		t := types.New(types.Double)
		return comparison{ta: t, tb: t, mode: modeFloat}, true
	case a.Kind == types.Decimal || b.Kind == types.Decimal:
		return comparison{ta: a, tb: b, mode: modeDecimal}, true
	default: // LARGEINT with an integer
		t := types.New(types.LargeInt)
		return comparison{ta: t, tb: t, mode: modeInt128}, true
	}
}

// coerce converts v to t when its type differs in representation or meaning.
func coerce(v *vector.Vector, rows []int32, t types.T) *vector.Vector {
	if v.Type == t || (intLike(v.Type) && intLike(t)) || (v.Type.IsString() && t.IsString()) ||
		(v.Type.Kind == types.Decimal && t.Kind == types.Decimal && v.Type.Scale == t.Scale && v.Type.Physical() == t.Physical()) {
		return v
	}
	return Cast(v, rows, t)
}

type compare struct {
	outBuf
	op       cmpOp
	nullSafe bool // <=>: NULL <=> NULL is TRUE, NULL <=> x is FALSE, never NULL
	c        comparison
	a, b     node
	sel      *constSel // decided on the first selectRows
}

func newCompare(name string, a, b node) (node, error) {
	a, b = simplifyCompared(a, b)
	c, ok := comparisonOf(a.typ(), b.typ())
	if !ok {
		return nil, badPlan("%s: cannot compare %s with %s", name, a.typ(), b.typ())
	}
	return &compare{op: cmpOpOf(name), nullSafe: name == "eq_for_null", c: c, a: a, b: b}, nil
}

func (n *compare) typ() types.T { return types.New(types.Boolean) }

func (n *compare) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	av, err := n.a.eval(b, rows)
	if err != nil {
		return nil, err
	}
	bv, err := n.b.eval(b, rows)
	if err != nil {
		return nil, err
	}
	out := n.get(boolT, b.N)
	compareVectors(n.op, n.c, coerce(av, rows, n.c.ta), coerce(bv, rows, n.c.tb), rows, out)
	if n.nullSafe && out.Nulls != nil {
		for _, i := range rows {
			an, bn := av.IsNull(int(i)), bv.IsNull(int(i))
			if an || bn {
				out.Int64[i] = b2i(an && bn)
			}
		}
		out.Nulls = nil
	}
	return out, nil
}

// compareVectors sets out (BOOLEAN, length of the inputs) to a op b at rows.
func compareVectors(op cmpOp, c comparison, av, bv *vector.Vector, rows []int32, out *vector.Vector) {
	orNulls(out, len(out.Int64), av, bv)
	res := out.Int64
	switch c.mode {
	case modeInt64:
		cmpOrdered(op, av.Int64, bv.Int64, rows, res)
	case modeFloat:
		cmpOrdered(op, av.Float64, bv.Float64, rows, res)
	case modeInt128:
		x, y := av.Int128, bv.Int128
		for _, i := range rows {
			res[i] = b2i(op.holds(x[i].Cmp(y[i])))
		}
	case modeDecimal:
		sa, sb := scaleOf(av.Type), scaleOf(bv.Type)
		if av.Type.Physical() == types.PhysInt64 && bv.Type.Physical() == types.PhysInt64 {
			if sa == sb {
				cmpOrdered(op, av.Int64, bv.Int64, rows, res)
				return
			}
			if cmpDecimal64(op, av.Int64, sa, bv.Int64, sb, rows, res) {
				return
			}
		}
		x, y := wide(av), wide(bv)
		for _, i := range rows {
			res[i] = b2i(op.holds(cmpDecimal(x[i], sa, y[i], sb)))
		}
	case modeBytes:
		x, y := av.Bytes, bv.Bytes
		if c.trim {
			for _, i := range rows {
				res[i] = b2i(op.holds(bytes.Compare(trimRightSpace(x[i]), trimRightSpace(y[i]))))
			}
			return
		}
		for _, i := range rows {
			res[i] = b2i(op.holds(bytes.Compare(x[i], y[i])))
		}
	}
}

func trimRightSpace(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// cmpDecimal64 compares 64-bit decimals of different scales by scaling the smaller-scale side;
// false (nothing meaningful written) when a scaled value would not fit 64 bits.
func cmpDecimal64(op cmpOp, a []int64, sa int32, b []int64, sb int32, rows []int32, res []int64) bool {
	k := sb - sa
	if k < 0 {
		k = -k
	}
	if k > 18 {
		return false
	}
	m := pow10i64[k]
	lim := math.MaxInt64 / m
	for _, i := range rows {
		x, y := a[i], b[i]
		if sa < sb {
			if x > lim || x < -lim {
				return false
			}
			x *= m
		} else {
			if y > lim || y < -lim {
				return false
			}
			y *= m
		}
		res[i] = b2i(op.holds(cmp.Compare(x, y)))
	}
	return true
}

// cmpDecimal compares x/10^sx with y/10^sy exactly.
func cmpDecimal(x types.Int128, sx int32, y types.Int128, sy int32) int {
	switch {
	case sx < sy:
		xs, ok := scaleUp128(x, sy-sx)
		if !ok { // |x·10^k| exceeds every 128-bit value
			return x.Sign()
		}
		return xs.Cmp(y)
	case sx > sy:
		ys, ok := scaleUp128(y, sx-sy)
		if !ok {
			return -y.Sign()
		}
		return x.Cmp(ys)
	}
	return x.Cmp(y)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func cmpOrdered[T int64 | float64](op cmpOp, a, b []T, rows []int32, res []int64) {
	switch op {
	case cmpEq:
		for _, i := range rows {
			res[i] = b2i(a[i] == b[i])
		}
	case cmpNe:
		for _, i := range rows {
			res[i] = b2i(a[i] != b[i])
		}
	case cmpLt:
		for _, i := range rows {
			res[i] = b2i(a[i] < b[i])
		}
	case cmpLe:
		for _, i := range rows {
			res[i] = b2i(a[i] <= b[i])
		}
	case cmpGt:
		for _, i := range rows {
			res[i] = b2i(a[i] > b[i])
		}
	case cmpGe:
		for _, i := range rows {
			res[i] = b2i(a[i] >= b[i])
		}
	}
}

// in is `value IN (list)`, with SQL's NULL semantics: TRUE on a match, otherwise NULL when the
// value or any list element is NULL, otherwise FALSE. not_in is its negation.
type in struct {
	not   bool
	value node
	list  []node
	c     []comparison // per list element
	// Constant lists over int64 or bytes values use a set.
	set     bool
	ints    map[int64]struct{}
	strs    map[string]struct{}
	trim    bool // strs hold CHAR values without trailing spaces; values are trimmed to look up
	hasNull bool
	setType types.T
	small   []shortStr // strs as words when there are few and all are short (packSet)
}

func newIn(not bool, value node, list []node) (node, error) {
	n := &in{not: not, value: value, list: list}
	for _, l := range list {
		c, ok := comparisonOf(value.typ(), l.typ())
		if !ok {
			return nil, badPlan("in: cannot compare %s with %s", value.typ(), l.typ())
		}
		n.c = append(n.c, c)
	}
	n.buildSet()
	return n, nil
}

// buildSet prepares the set form when every list element is a literal and the value compares as
// plain int64s or bytes: untrimmed, or — a CHAR value against string literals — both sides
// without trailing spaces.
func (n *in) buildSet() {
	vt := n.value.typ()
	var mode cmpMode
	switch {
	case intLike(vt) || vt.Kind == types.Date || (vt.Kind == types.Decimal && vt.Physical() == types.PhysInt64):
		mode = modeInt64
	case vt.IsString():
		mode = modeBytes
	default:
		return
	}
	ints, strs := map[int64]struct{}{}, map[string]struct{}{}
	one := &vector.Batch{N: 1}
	trim := mode == modeBytes && vt.Kind == types.Char
	for k, l := range n.list {
		lit, ok := l.(*literal)
		if !ok || n.c[k].ta != vt || (mode == modeBytes && n.c[k].trim != trim) {
			return
		}
		if lit.null {
			n.hasNull = true
			continue
		}
		orig, _ := lit.eval(one, []int32{0})
		if trim { // compared as they are, trailing spaces aside: no cast (which could cut them)
			if !lit.t.IsString() {
				return
			}
			strs[string(trimRightSpace(orig.Bytes[0]))] = struct{}{}
			continue
		}
		v := Cast(orig, []int32{0}, vt)
		// Numbers compare exactly (no cast on the general path): a literal the value's type
		// cannot hold exactly can never be equal. Other failed conversions compare as NULL, as
		// they do on the general path.
		numeric := exact(vt) && exact(lit.t)
		if v.IsNull(0) {
			if !numeric {
				n.hasNull = true
			}
			continue
		}
		if numeric {
			x, xs := exactOf(orig, 0)
			if cmpDecimal(types.I128(v.Int64[0]), scaleOf(vt), x, xs) != 0 {
				continue
			}
		}
		if mode == modeInt64 {
			ints[v.Int64[0]] = struct{}{}
		} else {
			strs[string(v.Bytes[0])] = struct{}{}
		}
	}
	n.set, n.setType, n.trim = true, vt, trim
	if mode == modeInt64 {
		n.ints = ints
	} else {
		n.strs = strs
		n.small = packSet(strs)
	}
}

func (n *in) typ() types.T { return types.New(types.Boolean) }

func (n *in) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	v, err := n.value.eval(b, rows)
	if err != nil {
		return nil, err
	}
	out := vector.New(types.New(types.Boolean), b.N)
	if n.set {
		n.evalSet(v, rows, out)
	} else if err := n.evalList(b, v, rows, out); err != nil {
		return nil, err
	}
	if n.not {
		for _, i := range rows {
			out.Int64[i] ^= 1
		}
	}
	return out, nil
}

func (n *in) evalSet(v *vector.Vector, rows []int32, out *vector.Vector) {
	orNulls(out, len(out.Int64), v)
	for _, i := range rows {
		var hit bool
		switch {
		case n.ints != nil:
			_, hit = n.ints[v.Int64[i]]
		default:
			hit = n.hasString(v.Bytes[i])
		}
		switch {
		case hit:
			out.Int64[i] = 1
		case n.hasNull:
			out.SetNull(int(i))
		}
	}
}

func (n *in) evalList(b *vector.Batch, v *vector.Vector, rows []int32, out *vector.Vector) error {
	// OR over value = element, three-valued: start FALSE, TRUE wins, NULL sticks otherwise.
	eq := vector.New(types.New(types.Boolean), b.N)
	for k, l := range n.list {
		lv, err := l.eval(b, rows)
		if err != nil {
			return err
		}
		c := n.c[k]
		eq.Nulls = nil
		compareVectors(cmpEq, c, coerce(v, rows, c.ta), coerce(lv, rows, c.tb), rows, eq)
		for _, i := range rows {
			switch {
			case out.Int64[i] == 1:
			case eq.IsNull(int(i)):
				out.SetNull(int(i))
			case eq.Int64[i] == 1:
				out.Int64[i] = 1
				if out.Nulls != nil {
					out.Nulls.Clear(int(i))
				}
			}
		}
	}
	return nil
}
