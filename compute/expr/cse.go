package expr

import (
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"google.golang.org/protobuf/proto"
)

// Common subexpressions of the arguments of one aggregation (CompileAggregates): a call that
// occurs more than once (TPC-H q1's l_extendedprice * (1 - l_discount), in two sums) is compiled
// once, as a shared node that evaluates its input once per batch and hands every parent the same
// vector.

// cse is the compile-time state: how often each call occurs, and the shared nodes made.
type cse struct {
	count map[string]int
	nodes map[string]*shared
}

func cseKey(e *planpb.Expr) string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(e)
	if err != nil {
		return "" // not shared
	}
	return string(b)
}

// countCalls counts the calls of e's tree, except below conditional forms (which evaluate their
// arguments on some of the rows only: a shared result must cover every row).
func (c *cse) countCalls(e *planpb.Expr) {
	call := e.GetCall()
	if call == nil {
		return
	}
	if k := cseKey(e); k != "" {
		c.count[k]++
	}
	if conditional(call.GetName()) {
		return
	}
	for _, a := range call.GetArgs() {
		c.countCalls(a)
	}
}

// conditional: the forms that evaluate an argument only on the rows that reach it.
func conditional(name string) bool {
	switch name {
	case "and", "or", "case", "if", "coalesce", "ifnull":
		return true
	}
	return false
}

// shared evaluates n once per batch: a later evaluation of the same batch (the same *Batch, which
// the node keeps referenced until the next one, so that no other batch can take its address)
// returns the first result. Results are never modified by their consumers, so they can share it.
type shared struct {
	n node
	b *vector.Batch
	v *vector.Vector
}

func (s *shared) typ() types.T { return s.n.typ() }

func (s *shared) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	if s.b == b && s.v != nil {
		return s.v, nil
	}
	v, err := s.n.eval(b, rows)
	if err != nil {
		s.b, s.v = nil, nil
		return nil, err
	}
	s.b, s.v = b, v
	return v, nil
}
