package expr

import (
	"math"
	"math/big"
	"math/bits"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

type arithOp uint8

const (
	opAdd arithOp = iota
	opSub
	opMul
	opDiv
	opMod
	opIntDiv // DIV: the truncated quotient as an integer
)

func arithOpOf(name string) arithOp {
	switch name {
	case "add":
		return opAdd
	case "subtract":
		return opSub
	case "multiply":
		return opMul
	case "divide":
		return opDiv
	case "int_divide":
		return opIntDiv
	}
	return opMod
}

// domain is the representation arithmetic is computed in.
type domain uint8

const (
	domInt64 domain = iota
	domInt128
	domFloat
	domDecimal
)

type arith struct {
	outBuf
	op   arithOp
	t    types.T
	dom  domain
	a, b node
}

func exact(t types.T) bool {
	return t.IsInteger() || t.Kind == types.Boolean || t.Kind == types.Decimal
}

// arithDomain picks the computation domain from the result type and checks the arguments fit it.
// Arguments of a DOUBLE result are converted to DOUBLE.
func arithDomain(name string, t types.T, args []node) (domain, []node, error) {
	switch {
	case t.IsFloat():
		out := make([]node, len(args))
		for i, a := range args {
			at := a.typ()
			if !at.IsNumeric() && at.Kind != types.Boolean {
				return 0, nil, badPlan("%s: argument of type %s for a %s result", name, at, t)
			}
			out[i] = a
			if !at.IsFloat() {
				out[i] = &cast{arg: a, t: types.New(types.Double)}
			}
		}
		return domFloat, out, nil
	case t.Kind == types.Decimal:
		for _, a := range args {
			if !exact(a.typ()) {
				return 0, nil, badPlan("%s: argument of type %s for a %s result", name, a.typ(), t)
			}
		}
		return domDecimal, args, nil
	case t.IsInteger():
		dom := domInt64
		if t.Kind == types.LargeInt {
			dom = domInt128
		}
		for _, a := range args {
			at := a.typ()
			if !at.IsInteger() && at.Kind != types.Boolean {
				return 0, nil, badPlan("%s: argument of type %s for a %s result", name, at, t)
			}
			if at.Kind == types.LargeInt {
				dom = domInt128
			}
		}
		return dom, args, nil
	}
	return 0, nil, badPlan("%s: result type %s is not numeric", name, t)
}

func newArith(name string, t types.T, a, b node) (node, error) {
	if name == "int_divide" && t.IsInteger() && (a.typ().IsFloat() || b.typ().IsFloat()) {
		// DIV of DOUBLEs: truncate the quotient into the integer result.
		if !a.typ().IsFloat() || !b.typ().IsFloat() {
			return nil, badPlan("int_divide of %s and %s", a.typ(), b.typ())
		}
		return &arith{op: opIntDiv, t: t, dom: domFloat, a: a, b: b}, nil
	}
	if name == "int_divide" && !t.IsInteger() {
		return nil, badPlan("int_divide: result type %s is not an integer", t)
	}
	dom, args, err := arithDomain(name, t, []node{a, b})
	if err != nil {
		return nil, err
	}
	return &arith{op: arithOpOf(name), t: t, dom: dom, a: args[0], b: args[1]}, nil
}

func (n *arith) typ() types.T { return n.t }

func (n *arith) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	av, err := n.a.eval(b, rows)
	if err != nil {
		return nil, err
	}
	bv, err := n.b.eval(b, rows)
	if err != nil {
		return nil, err
	}
	out := n.get(n.t, b.N)
	orNulls(out, b.N, av, bv)
	switch n.dom {
	case domInt64:
		err = n.int64s(av.Int64, bv.Int64, out, rows)
	case domInt128:
		err = n.int128s(wide(av), wide(bv), out, rows)
	case domFloat:
		if n.op == opIntDiv {
			err = n.floatIntDiv(av.Float64, bv.Float64, out, rows)
		} else {
			n.floats(av.Float64, bv.Float64, out, rows)
		}
	case domDecimal:
		err = n.decimals(av, bv, out, rows)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

var bigIntT = types.New(types.BigInt)

func (n *arith) int64s(a, b []int64, out *vector.Vector, rows []int32) error {
	res, nulls := out.Int64, out.Nulls
	overflow := false
	switch n.op {
	case opAdd, opSub:
		// Branch-free: OR the overflow signs together, and look at NULLs only if one is set.
		var ov int64
		if n.op == opAdd {
			for _, i := range rows {
				x, y := a[i], b[i]
				s := x + y
				ov |= (x ^ s) & (y ^ s)
				res[i] = s
			}
		} else {
			for _, i := range rows {
				x, y := a[i], b[i]
				d := x - y
				ov |= (x ^ y) & (x ^ d)
				res[i] = d
			}
		}
		if ov < 0 {
			for _, i := range rows {
				x, y, r := a[i], b[i], res[i]
				bad := (x^r)&(y^r) < 0
				if n.op == opSub {
					bad = (x^y)&(x^r) < 0
				}
				if bad && !nulls.Get(int(i)) {
					overflow = true
				}
			}
		}
	case opMul:
		for _, i := range rows {
			x, y := a[i], b[i]
			p := x * y
			if (x > math.MaxInt32 || x < math.MinInt32 || y > math.MaxInt32 || y < math.MinInt32) &&
				x != 0 && (p/x != y || (x == -1 && y == math.MinInt64)) && !nulls.Get(int(i)) {
				overflow = true
			}
			res[i] = p
		}
	case opDiv, opIntDiv, opMod:
		for _, i := range rows {
			x, y := a[i], b[i]
			switch {
			case y == 0:
				out.SetNull(int(i))
			case y == -1:
				if n.op != opMod {
					overflow = overflow || (x == math.MinInt64 && !out.IsNull(int(i)))
					res[i] = -x
				} else {
					res[i] = 0
				}
			case n.op != opMod:
				res[i] = x / y
			default:
				res[i] = x % y
			}
		}
	}
	if overflow {
		return outOfRange(bigIntT)
	}
	return checkNarrow(out, rows)
}

// floatIntDiv is DIV of DOUBLEs: trunc(a / b) as an integer; NULL when b is 0.
func (n *arith) floatIntDiv(a, b []float64, out *vector.Vector, rows []int32) error {
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		if b[i] == 0 {
			out.SetNull(int(i))
			continue
		}
		q := math.Trunc(a[i] / b[i])
		if !(q >= -(1<<63) && q < 1<<63) { // also NaN
			return outOfRange(bigIntT)
		}
		if out.Type.Physical() == types.PhysInt128 {
			out.Int128[i] = types.I128(int64(q))
		} else {
			out.Int64[i] = int64(q)
		}
	}
	if out.Type.Physical() == types.PhysInt64 {
		return checkNarrow(out, rows)
	}
	return nil
}

// checkNarrow checks that results fit an integer result type narrower than BIGINT.
func checkNarrow(out *vector.Vector, rows []int32) error {
	k := out.Type.Kind
	if k != types.TinyInt && k != types.SmallInt && k != types.Int {
		return nil
	}
	lo, hi := types.IntegerRange(k)
	for _, i := range rows {
		if x := out.Int64[i]; (x < lo || x > hi) && !out.IsNull(int(i)) {
			return outOfRange(out.Type)
		}
	}
	return nil
}

func (n *arith) int128s(a, b []types.Int128, out *vector.Vector, rows []int32) error {
	res := make([]types.Int128, out.Len())
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		x, y := a[i], b[i]
		var r types.Int128
		ok := true
		switch n.op {
		case opAdd:
			r, ok = add128(x, y)
		case opSub:
			r, ok = sub128(x, y)
		case opMul:
			r, ok = x.Mul(y)
		case opDiv, opIntDiv, opMod:
			if y == (types.Int128{}) {
				out.SetNull(int(i))
				continue
			}
			q, rem := quoRem128(x, y)
			r = rem
			if n.op != opMod {
				r, ok = q, !(x == minInt128 && y == types.I128(-1))
			}
		}
		if !ok {
			return outOfRange(types.New(types.LargeInt))
		}
		res[i] = r
	}
	return storeInt128(out, res, rows)
}

var minInt128 = types.Int128{Hi: math.MinInt64}

// quoRem128 is truncated division (as Go's / and %); y != 0.
func quoRem128(x, y types.Int128) (types.Int128, types.Int128) {
	if x.IsInt64() && y.IsInt64() && !(x.Int64() == math.MinInt64 && y.Int64() == -1) {
		return types.I128(x.Int64() / y.Int64()), types.I128(x.Int64() % y.Int64())
	}
	q, r := new(big.Int).QuoRem(x.Big(), y.Big(), new(big.Int))
	qq, _ := types.Int128FromBig(q)
	rr, _ := types.Int128FromBig(r)
	return qq, rr
}

// storeInt128 writes 128-bit integer results into out (LARGEINT or an int64 integer type).
func storeInt128(out *vector.Vector, res []types.Int128, rows []int32) error {
	if out.Type.Physical() == types.PhysInt128 {
		out.Int128 = res
		return nil
	}
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		if !res[i].IsInt64() || !int64Fits(out.Type, res[i].Int64()) {
			return outOfRange(out.Type)
		}
		out.Int64[i] = res[i].Int64()
	}
	return nil
}

func (n *arith) floats(a, b []float64, out *vector.Vector, rows []int32) {
	res := out.Float64
	switch n.op {
	case opAdd:
		for _, i := range rows {
			res[i] = a[i] + b[i]
		}
	case opSub:
		for _, i := range rows {
			res[i] = a[i] - b[i]
		}
	case opMul:
		for _, i := range rows {
			res[i] = a[i] * b[i]
		}
	case opDiv, opMod:
		for _, i := range rows {
			if b[i] == 0 {
				out.SetNull(int(i))
				continue
			}
			if n.op == opDiv {
				res[i] = a[i] / b[i]
			} else {
				res[i] = math.Mod(a[i], b[i])
			}
		}
	}
	if n.t.Kind == types.Float {
		for _, i := range rows {
			res[i] = float64(float32(res[i]))
		}
	}
}

func (n *arith) decimals(av, bv *vector.Vector, out *vector.Vector, rows []int32) error {
	if (n.op == opAdd || n.op == opSub) && av.Type.Physical() == types.PhysInt64 &&
		bv.Type.Physical() == types.PhysInt64 && out.Type.Physical() == types.PhysInt64 &&
		n.t.Scale == max(scaleOf(av.Type), scaleOf(bv.Type)) {
		if done, err := n.decimals64(av, bv, out, rows); done {
			return err
		}
	}
	if done, err := n.decimalsNatural(av, bv, out, rows); done {
		return err
	}
	a, b := wide(av), wide(bv)
	sa, sb := scaleOf(av.Type), scaleOf(bv.Type)
	s, p := n.t.Scale, n.t.Precision
	res := make([]types.Int128, out.Len())
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		r, null, ok := decimalOp(n.op, a[i], sa, b[i], sb, s)
		switch {
		case null:
			out.SetNull(int(i))
		case !ok || !fitsPrecision(r, p):
			return outOfRange(n.t)
		default:
			res[i] = r
		}
	}
	storeDecimal(out, res, rows)
	return nil
}

// decimals64 is DECIMAL + and - when arguments and result are 64-bit at the natural scale: align
// the scales by multiplication and add. It reports done=false (having written nothing that
// matters) when a value needs more than 64 bits, for the general path to redo the batch.
func (n *arith) decimals64(av, bv *vector.Vector, out *vector.Vector, rows []int32) (bool, error) {
	s := n.t.Scale
	ma, mb := pow10i64[s-scaleOf(av.Type)], pow10i64[s-scaleOf(bv.Type)]
	limA, limB := math.MaxInt64/ma, math.MaxInt64/mb
	max := pow10i64[n.t.Precision]
	a, b, res := av.Int64, bv.Int64, out.Int64
	sub := n.op == opSub
	// When the argument types bound the result within the precision (and so within 64 bits),
	// nothing needs checking.
	if ia, ib := precisionOf(av.Type)-scaleOf(av.Type), precisionOf(bv.Type)-scaleOf(bv.Type); ia+s < 19 && ib+s < 19 &&
		maxI32(ia, ib)+s+1 <= n.t.Precision {
		if sub {
			for _, i := range rows {
				res[i] = a[i]*ma - b[i]*mb
			}
		} else {
			for _, i := range rows {
				res[i] = a[i]*ma + b[i]*mb
			}
		}
		return true, nil
	}
	for _, i := range rows {
		x, y := a[i], b[i]
		if x > limA || x < -limA || y > limB || y < -limB {
			return false, nil
		}
		x, y = x*ma, y*mb
		if sub {
			y = -y
		}
		r := x + y
		if (x^r)&(y^r) < 0 {
			return false, nil
		}
		if (r >= max || r <= -max) && !out.IsNull(int(i)) {
			return true, outOfRange(n.t)
		}
		res[i] = r
	}
	return true, nil
}

// decimalsNatural is DECIMAL +, - and * at the natural scale of the result (+ and -: the larger
// of the arguments' scales, *: their sum), so that no rounding is involved: it reads 64- or
// 128-bit arguments in place and writes the result's representation directly. Precision is only
// checked when the argument types do not rule out an overflow. It reports done=false (having
// written nothing that matters) when a value needs more than 128 bits, for the general path.
func (n *arith) decimalsNatural(av, bv *vector.Vector, out *vector.Vector, rows []int32) (bool, error) {
	sa, sb, s, p := scaleOf(av.Type), scaleOf(bv.Type), n.t.Scale, n.t.Precision
	pa, pb := precisionOf(av.Type), precisionOf(bv.Type)
	var check bool
	switch n.op {
	case opMul:
		if s != sa+sb {
			return false, nil
		}
		check = pa+pb > p
	case opAdd, opSub:
		if s != max(sa, sb) {
			return false, nil
		}
		check = max(pa-sa, pb-sb)+s+1 > p
	default:
		return false, nil
	}
	ka, kb := s-sa, s-sb // scale-ups of + and -
	if n.op == opMul {
		ka, kb = 0, 0
	}
	a64, b64 := av.Int64, bv.Int64
	a128, b128 := av.Int128, bv.Int128
	wa, wb := av.Type.Physical() == types.PhysInt128, bv.Type.Physical() == types.PhysInt128
	o64, o128 := out.Int64, out.Int128
	wo := out.Type.Physical() == types.PhysInt128
	nulls := out.Nulls
	// The common shape: 64-bit arguments, a 64- or 128-bit product with no check needed.
	if n.op == opMul && !wa && !wb && !check {
		if wo {
			for _, i := range rows {
				o128[i] = mul64(a64[i], b64[i])
			}
		} else {
			for _, i := range rows {
				o64[i] = a64[i] * b64[i]
			}
		}
		return true, nil
	}
	// + and - of 128-bit values at one scale into 128 bits with no check needed: the result is
	// within the precision, so within 127 bits (q09's amount, a difference of two products).
	if (n.op == opAdd || n.op == opSub) && wa && wb && wo && ka == 0 && kb == 0 && !check {
		if n.op == opAdd {
			for _, i := range rows {
				o128[i] = a128[i].Add(b128[i])
			}
		} else {
			for _, i := range rows {
				o128[i] = a128[i].Sub(b128[i])
			}
		}
		return true, nil
	}
	// A 128-bit argument times a 64-bit one into 128 bits where a product of two int64s cannot
	// break the precision (q01's DECIMAL(31,4) * DECIMAL(16,2) -> DECIMAL(38,6)): while the wide
	// values fit in 64 bits, one mul64 per row; the first that does not sends the batch to the
	// general loop below, which redoes it.
	if n.op == opMul && wa != wb && wo && (!check || p >= types.MaxDecimalPrecision) {
		x, y := a128, b64
		if wb {
			x, y = b128, a64
		}
		if mulWide64(x, y, o128, rows) {
			return true, nil
		}
	}
	for _, i := range rows {
		var x, y types.Int128
		if wa {
			x = a128[i]
		} else {
			x = types.I128(a64[i])
		}
		if wb {
			y = b128[i]
		} else {
			y = types.I128(b64[i])
		}
		var r types.Int128
		ok := true
		chk := check
		switch n.op {
		case opMul:
			if x.IsInt64() && y.IsInt64() {
				// |x·y| <= 2^126 < 10^38: only a smaller precision needs the check.
				r, chk = mul64(x.Int64(), y.Int64()), check && p < types.MaxDecimalPrecision
			} else {
				r, ok = x.Mul(y)
			}
		default:
			if ka > 0 {
				x, ok = scaleUp128(x, ka)
			}
			if kb > 0 && ok {
				y, ok = scaleUp128(y, kb)
			}
			if ok {
				if n.op == opAdd {
					r, ok = add128(x, y)
				} else {
					r, ok = sub128(x, y)
				}
			}
		}
		if !ok {
			if nulls.Get(int(i)) {
				continue
			}
			return false, nil
		}
		if chk && !fitsPrecision(r, p) {
			if nulls.Get(int(i)) {
				continue
			}
			return true, outOfRange(n.t)
		}
		if wo {
			o128[i] = r
		} else {
			o64[i] = r.Int64()
		}
	}
	return true, nil
}

func maxI32(a, b int32) int32 { return max(a, b) }

// mulWide64 sets out[i] = x[i]·y[i] for the rows, reporting false at the first x[i] that is not
// an int64.
func mulWide64(x []types.Int128, y []int64, out []types.Int128, rows []int32) bool {
	for _, i := range rows {
		v := x[i]
		if !v.IsInt64() {
			return false
		}
		out[i] = mul64(int64(v.Lo), y[i])
	}
	return true
}

// mul64 is the exact 128-bit product of two int64s.
func mul64(x, y int64) types.Int128 {
	hi, lo := bits.Mul64(uint64(x), uint64(y))
	// Signed correction of the unsigned product's high word.
	h := int64(hi)
	if x < 0 {
		h -= y
	}
	if y < 0 {
		h -= x
	}
	return types.Int128{Hi: h, Lo: lo}
}

// storeDecimal writes unscaled results that fit out's precision into out.
func storeDecimal(out *vector.Vector, res []types.Int128, rows []int32) {
	if out.Type.Physical() == types.PhysInt128 {
		out.Int128 = res
		return
	}
	for _, i := range rows {
		out.Int64[i] = res[i].Int64()
	}
}

// unaryArith is negate and abs.
type unaryArith struct {
	abs bool
	t   types.T
	dom domain
	a   node
}

func newUnaryArith(name string, t types.T, a node) (node, error) {
	dom, args, err := arithDomain(name, t, []node{a})
	if err != nil {
		return nil, err
	}
	return &unaryArith{abs: name == "abs", t: t, dom: dom, a: args[0]}, nil
}

func (n *unaryArith) typ() types.T { return n.t }

func (n *unaryArith) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	av, err := n.a.eval(b, rows)
	if err != nil {
		return nil, err
	}
	out := vector.New(n.t, b.N)
	orNulls(out, b.N, av)
	switch n.dom {
	case domInt64:
		x := av.Int64
		for _, i := range rows {
			v := x[i]
			if !n.abs || v < 0 {
				if v == math.MinInt64 && !out.IsNull(int(i)) {
					return nil, outOfRange(bigIntT)
				}
				v = -v
			}
			out.Int64[i] = v
		}
		return out, checkNarrow(out, rows)
	case domFloat:
		x := av.Float64
		for _, i := range rows {
			if n.abs {
				out.Float64[i] = math.Abs(x[i])
			} else {
				out.Float64[i] = -x[i]
			}
		}
		return out, nil
	}
	x := wide(av)
	sa := scaleOf(av.Type)
	res := make([]types.Int128, b.N)
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		v := x[i]
		if !n.abs || v.Sign() < 0 {
			if v == minInt128 {
				return nil, outOfRange(n.t)
			}
			v = v.Neg()
		}
		if n.dom == domDecimal {
			var ok bool
			if v, ok = rescale128(v, sa, n.t.Scale); !ok || !fitsPrecision(v, n.t.Precision) {
				return nil, outOfRange(n.t)
			}
		}
		res[i] = v
	}
	if n.dom == domDecimal {
		storeDecimal(out, res, rows)
		return out, nil
	}
	return out, storeInt128(out, res, rows)
}
