package expr

import (
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// conform returns v as type t: v itself when the representation already matches, a cast
// otherwise.
func conform(v *vector.Vector, rows []int32, t types.T) *vector.Vector {
	vt := v.Type
	switch {
	case vt == t, intLike(vt) && intLike(t), vt.IsString() && t.IsString(),
		vt.Kind == t.Kind && vt.Kind == types.Date, vt.Kind == types.Double && t.Kind == types.Double,
		vt.Kind == types.Float && t.Kind == types.Double,
		vt.Kind == types.Decimal && t.Kind == types.Decimal && vt.Scale == t.Scale && vt.Physical() == t.Physical() && vt.Precision <= t.Precision,
		vt.Kind == types.DateTime && t.Kind == types.DateTime && vt.Scale <= t.Scale:
		if vt == t {
			return v
		}
		return retype(v, t)
	}
	return Cast(v, rows, t)
}

// copyRows copies rows of src (of dst's representation) into dst, including NULLs.
func copyRows(dst, src *vector.Vector, rows []int32) {
	switch dst.Type.Physical() {
	case types.PhysInt64:
		for _, i := range rows {
			dst.Int64[i] = src.Int64[i]
		}
	case types.PhysInt128:
		for _, i := range rows {
			dst.Int128[i] = src.Int128[i]
		}
	case types.PhysFloat64:
		for _, i := range rows {
			dst.Float64[i] = src.Float64[i]
		}
	default:
		for _, i := range rows {
			dst.Bytes[i] = src.Bytes[i]
		}
	}
	if src.Nulls != nil {
		for _, i := range rows {
			if src.Nulls.Get(int(i)) {
				dst.SetNull(int(i))
			}
		}
	}
}

func checkResult(name string, t types.T, args ...node) error {
	for _, a := range args {
		if !CanCast(a.typ(), t) && a.typ() != t {
			return badPlan("%s: branch of type %s for a %s result", name, a.typ(), t)
		}
	}
	return nil
}

// caseNode is CASE WHEN c1 THEN v1 ... [ELSE e] END, and IF(c, a, b). Each branch is evaluated
// only on the rows that select it.
type caseNode struct {
	t     types.T
	whens []node
	thens []node
	els   node // nil: NULL
	// Row buffers reused across evaluations: the rows a WHEN selects, and the rows still
	// pending (two, as one is read while the other is written).
	hit  []int32
	miss [2][]int32
}

func newCase(t types.T, args []node) (node, error) {
	n := &caseNode{t: t}
	for k := 0; k+1 < len(args); k += 2 {
		if err := checkBool("case", args[k]); err != nil {
			return nil, err
		}
		n.whens = append(n.whens, args[k])
		n.thens = append(n.thens, args[k+1])
	}
	if len(args)%2 == 1 {
		n.els = args[len(args)-1]
	}
	if err := checkResult("case", t, n.thens...); err != nil {
		return nil, err
	}
	if n.els != nil {
		if err := checkResult("case", t, n.els); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (n *caseNode) typ() types.T { return n.t }

func (n *caseNode) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	out := vector.New(n.t, b.N)
	pending := rows
	for k, w := range n.whens {
		if len(pending) == 0 {
			break
		}
		// The WHEN selects its rows as a filter would (comparisons with constants, LIKE and IN
		// without a BOOLEAN vector); the rest stay pending.
		hit, err := selectRows(w, b, pending, n.hit[:0])
		if err != nil {
			return nil, err
		}
		n.hit = hit
		miss := n.miss[k%2][:0]
		h := 0
		for _, i := range pending {
			if h < len(hit) && hit[h] == i {
				h++
				continue
			}
			miss = append(miss, i)
		}
		n.miss[k%2] = miss
		if len(hit) > 0 {
			v, err := n.thens[k].eval(b, hit)
			if err != nil {
				return nil, err
			}
			copyRows(out, conform(v, hit, n.t), hit)
		}
		pending = miss
	}
	if len(pending) == 0 {
		return out, nil
	}
	if n.els == nil {
		for _, i := range pending {
			out.SetNull(int(i))
		}
		return out, nil
	}
	v, err := n.els.eval(b, pending)
	if err != nil {
		return nil, err
	}
	copyRows(out, conform(v, pending, n.t), pending)
	return out, nil
}

// coalesce returns its first non-NULL argument; ifnull(a, b) is coalesce(a, b). Each argument
// is evaluated only on the rows still NULL.
type coalesce struct {
	t    types.T
	args []node
}

func newCoalesce(t types.T, args []node) (node, error) {
	if err := checkResult("coalesce", t, args...); err != nil {
		return nil, err
	}
	return &coalesce{t: t, args: args}, nil
}

func (n *coalesce) typ() types.T { return n.t }

func (n *coalesce) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	out := vector.New(n.t, b.N)
	pending := rows
	for _, a := range n.args {
		if len(pending) == 0 {
			break
		}
		v, err := a.eval(b, pending)
		if err != nil {
			return nil, err
		}
		v = conform(v, pending, n.t)
		var got, next []int32
		for _, i := range pending {
			if v.IsNull(int(i)) {
				next = append(next, i)
			} else {
				got = append(got, i)
			}
		}
		copyRows(out, v, got)
		pending = next
	}
	for _, i := range pending {
		out.SetNull(int(i))
	}
	return out, nil
}

// nullIf is NULLIF(a, b): NULL when a = b, otherwise a.
type nullIf struct {
	t    types.T
	c    comparison
	a, b node
}

func newNullIf(t types.T, a, b node) (node, error) {
	c, ok := comparisonOf(a.typ(), b.typ())
	if !ok {
		return nil, badPlan("nullif: cannot compare %s with %s", a.typ(), b.typ())
	}
	if err := checkResult("nullif", t, a); err != nil {
		return nil, err
	}
	return &nullIf{t: t, c: c, a: a, b: b}, nil
}

func (n *nullIf) typ() types.T { return n.t }

func (n *nullIf) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	av, err := n.a.eval(b, rows)
	if err != nil {
		return nil, err
	}
	bv, err := n.b.eval(b, rows)
	if err != nil {
		return nil, err
	}
	eq := vector.New(boolT, b.N)
	compareVectors(cmpEq, n.c, coerce(av, rows, n.c.ta), coerce(bv, rows, n.c.tb), rows, eq)
	out := vector.New(n.t, b.N)
	copyRows(out, conform(av, rows, n.t), rows)
	for _, i := range rows {
		if eq.Int64[i] == 1 && !eq.IsNull(int(i)) {
			out.SetNull(int(i))
		}
	}
	return out, nil
}
