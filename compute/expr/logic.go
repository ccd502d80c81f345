package expr

import (
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

var boolT = types.New(types.Boolean)

func checkBool(name string, a node) error {
	t := a.typ()
	if !intLike(t) && t.Kind != types.Null {
		return badPlan("%s: argument of type %s is not boolean", name, t)
	}
	return nil
}

// logic is n-ary AND or OR with three-valued logic. Each argument after the first is evaluated
// only on the rows the previous ones left undecided.
type logic struct {
	outBuf
	and  bool
	args []node
	sels [2][]int32 // with reuse: the undecided rows, alternating
	// selectOr's buffers: an argument's rows, the rows selected so far and the rows still
	// undecided (the last two alternating).
	orHit       []int32
	orGot, orUn [2][]int32
	rng         *rangeSel // an AND that selects as a range (selectrange.go); nil: not worked out yet
}

func newLogic(and bool, args []node) (node, error) {
	for _, a := range args {
		if err := checkBool("and/or", a); err != nil {
			return nil, err
		}
	}
	return &logic{and: and, args: args}, nil
}

func (n *logic) typ() types.T { return boolT }

func (n *logic) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	// The value that decides the result: FALSE for AND, TRUE for OR.
	var decisive int64
	if !n.and {
		decisive = 1
	}
	out := n.get(boolT, b.N)
	for i := range out.Int64 {
		out.Int64[i] = 1 - decisive
	}
	pending := rows
	for k, a := range n.args {
		if len(pending) == 0 {
			break
		}
		v, err := a.eval(b, pending)
		if err != nil {
			return nil, err
		}
		last := k == len(n.args)-1
		var next []int32
		if !last {
			if n.on {
				if cap(n.sels[k&1]) < len(pending) {
					n.sels[k&1] = make([]int32, 0, max(len(pending), 1024))
				}
				next = n.sels[k&1][:0]
			} else {
				next = make([]int32, 0, len(pending))
			}
		}
		for _, i := range pending {
			switch {
			case v.IsNull(int(i)):
				out.SetNull(int(i))
			case b2i(v.Int64[i] != 0) == decisive:
				out.Int64[i] = decisive
				if out.Nulls != nil {
					out.Nulls.Clear(int(i))
				}
				continue
			}
			if !last {
				next = append(next, i)
			}
		}
		pending = next
	}
	return out, nil
}

type not struct{ arg node }

func newNot(a node) (node, error) {
	if err := checkBool("not", a); err != nil {
		return nil, err
	}
	return &not{arg: a}, nil
}

func (n *not) typ() types.T { return boolT }

func (n *not) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	v, err := n.arg.eval(b, rows)
	if err != nil {
		return nil, err
	}
	out := vector.New(boolT, b.N)
	orNulls(out, b.N, v)
	for _, i := range rows {
		out.Int64[i] = b2i(v.Int64[i] == 0)
	}
	return out, nil
}

type isNull struct {
	arg node
	not bool
}

func (n *isNull) typ() types.T { return boolT }

func (n *isNull) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	v, err := n.arg.eval(b, rows)
	if err != nil {
		return nil, err
	}
	out := vector.New(boolT, b.N)
	for _, i := range rows {
		out.Int64[i] = b2i(v.IsNull(int(i)) != n.not)
	}
	return out, nil
}
