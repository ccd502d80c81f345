package exec

import (
	"context"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// ---------------------------------------------------------------- union

// union passes the batches of its children through, one child after the other (UNION ALL).
// Children whose column types differ from the first child's only in parameters that do not change
// the representation (VARCHAR lengths, DECIMAL precision within one physical width) are
// relabelled with the first child's types.
type union struct {
	children []Operator
	types    []types.T
	relabel  []bool
	cur      int
}

func newUnion(children []Operator) (Operator, error) {
	u := &union{children: children, types: children[0].Types(), relabel: make([]bool, len(children))}
	for c, ch := range children {
		ts := ch.Types()
		if len(ts) != len(u.types) {
			return nil, badPlan("union child %d has %d columns, want %d", c, len(ts), len(u.types))
		}
		for k, t := range ts {
			if t == u.types[k] {
				continue
			}
			if !sameRepresentation(t, u.types[k]) {
				return nil, badPlan("union child %d column %d is %s, want %s", c, k, t, u.types[k])
			}
			u.relabel[c] = true
		}
	}
	return u, nil
}

// sameRepresentation reports whether values of a read as values of b unchanged.
func sameRepresentation(a, b types.T) bool {
	if a.Physical() != b.Physical() {
		return false
	}
	switch {
	case a.IsString() && b.IsString():
		return (a.Kind == types.Char) == (b.Kind == types.Char)
	case a.Kind == types.Decimal || a.Kind == types.DateTime:
		return a.Kind == b.Kind && a.Scale == b.Scale
	}
	return a.Kind == b.Kind || (a.IsInteger() && b.IsInteger() && b.Kind != types.Boolean)
}

func (u *union) Types() []types.T { return u.types }

func (u *union) Open(ctx context.Context) error {
	for _, c := range u.children {
		if err := c.Open(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (u *union) Close() error {
	var first error
	for _, c := range u.children {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (u *union) Next(ctx context.Context) (*vector.Batch, error) {
	for u.cur < len(u.children) {
		b, err := u.children[u.cur].Next(ctx)
		if err != nil {
			return nil, err
		}
		if b == nil {
			u.cur++
			continue
		}
		if u.relabel[u.cur] {
			cols := make([]*vector.Vector, len(b.Cols))
			for k, c := range b.Cols {
				v := *c
				v.Type = u.types[k]
				cols[k] = &v
			}
			b = &vector.Batch{Cols: cols, N: b.N, Sel: b.Sel}
		}
		return b, nil
	}
	return nil, nil
}

// ---------------------------------------------------------------- repeat

// repeat outputs each input batch once per grouping set: the slot columns outside the set
// replaced by NULL columns, plus the BIGINT grouping id. The other columns are shared.
type repeat struct {
	child   Operator
	types   []types.T
	nulled  [][]bool // per set: input columns replaced by NULL
	ids     []int64  // per set: the grouping id
	cur     *vector.Batch
	nextSet int
}

func newRepeat(child Operator, n *planpb.RepeatNode) (Operator, error) {
	in := child.Types()
	slots := n.GetSlots()
	if len(slots) > 63 {
		return nil, badPlan("repeat over %d slots", len(slots))
	}
	for _, s := range slots {
		if s < 0 || int(s) >= len(in) {
			return nil, badPlan("repeat slot %d of %d columns", s, len(in))
		}
	}
	if len(n.GetSets()) == 0 {
		return nil, badPlan("repeat without grouping sets")
	}
	r := &repeat{child: child, types: append(append([]types.T(nil), in...), types.New(types.BigInt))}
	for _, set := range n.GetSets() {
		inSet := make([]bool, len(slots))
		for _, x := range set.GetSlots() {
			if x < 0 || int(x) >= len(slots) {
				return nil, badPlan("grouping set names slot %d of %d", x, len(slots))
			}
			inSet[x] = true
		}
		nulled := make([]bool, len(in))
		var id int64
		for i, s := range slots {
			if !inSet[i] {
				id |= 1 << (len(slots) - 1 - i)
				nulled[s] = true
			}
		}
		// A column that is a slot both inside and outside the set keeps its values.
		for i, s := range slots {
			if inSet[i] {
				nulled[s] = false
			}
		}
		r.nulled = append(r.nulled, nulled)
		r.ids = append(r.ids, id)
	}
	return r, nil
}

func (r *repeat) Types() []types.T               { return r.types }
func (r *repeat) Open(ctx context.Context) error { return r.child.Open(ctx) }
func (r *repeat) Close() error                   { r.cur = nil; return r.child.Close() }

func (r *repeat) Next(ctx context.Context) (*vector.Batch, error) {
	if r.cur == nil || r.nextSet >= len(r.ids) {
		b, err := r.child.Next(ctx)
		if err != nil || b == nil {
			return nil, err
		}
		r.cur, r.nextSet = b, 0
	}
	b, s := r.cur, r.nextSet
	r.nextSet++
	cols := make([]*vector.Vector, 0, len(r.types))
	for k, c := range b.Cols {
		if r.nulled[s][k] {
			c = nullColumns(r.types[k:k+1], b.N)[0]
		}
		cols = append(cols, c)
	}
	id := vector.New(types.New(types.BigInt), b.N)
	for i := range id.Int64 {
		id.Int64[i] = r.ids[s]
	}
	return &vector.Batch{Cols: append(cols, id), N: b.N, Sel: b.Sel}, nil
}
