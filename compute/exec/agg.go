package exec

import (
	"context"
	"fmt"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// hashAgg is hash aggregation: group ids come from a hash table over the group-by values (a
// map[int64] for one fixed-width key, otherwise the expr.AppendKey encoding of all keys), and
// each aggregate's State folds whole argument vectors by group id.
type hashAgg struct {
	child     Operator
	groupBy   []*expr.Expr
	aggs      []*expr.Aggregate
	states    []expr.State
	types     []types.T
	batchSize int

	ints     map[int64]int32 // single int64 key
	nullGid  int32           // group of the NULL key (single key), -1 until seen
	generic  map[string]int32
	keys     []*vector.Vector // group key values, one row per group
	ngroups  int
	keyBuf   []byte
	out      *vector.Batch
	pos      int
	consumed bool
	acct     account // the hash table, keys and states (memory.go)
}

func newAggregate(child Operator, n *planpb.AggregateNode, batchSize int) (Operator, error) {
	a := &hashAgg{child: child, batchSize: batchSize, nullGid: -1}
	for _, g := range n.GetGroupBy() {
		e, err := expr.Compile(g, child.Types())
		if err != nil {
			return nil, err
		}
		a.groupBy = append(a.groupBy, e)
		a.types = append(a.types, e.Type())
	}
	for _, c := range n.GetAggregates() {
		agg, err := expr.CompileAggregatePhase(c, child.Types(), n.GetMode())
		if err != nil {
			return nil, err
		}
		a.aggs = append(a.aggs, agg)
		a.types = append(a.types, agg.Type())
	}
	return a, nil
}

func (a *hashAgg) Types() []types.T { return a.types }

func (a *hashAgg) Open(ctx context.Context) error {
	a.states = make([]expr.State, len(a.aggs))
	for k, agg := range a.aggs {
		a.states[k] = agg.NewState()
	}
	a.keys = nil
	for _, g := range a.groupBy {
		a.keys = append(a.keys, vector.NewWithCap(g.Type(), 0))
	}
	if a.singleIntKey() {
		a.ints = map[int64]int32{}
	} else {
		a.generic = map[string]int32{}
	}
	if len(a.groupBy) == 0 {
		a.ngroups = 1 // a global aggregate has its one row even for empty input
		for _, s := range a.states {
			s.Grow(1)
		}
	}
	return a.child.Open(ctx)
}

func (a *hashAgg) singleIntKey() bool {
	return len(a.groupBy) == 1 && a.groupBy[0].Type().Physical() == types.PhysInt64
}

func (a *hashAgg) Close() error {
	a.acct.releaseAll()
	a.states, a.ints, a.generic, a.keys, a.out = nil, nil, nil, nil, nil
	return a.child.Close()
}

func (a *hashAgg) Next(ctx context.Context) (*vector.Batch, error) {
	if !a.consumed {
		if err := a.consume(ctx); err != nil {
			return nil, err
		}
		a.consumed = true
	}
	if a.pos >= a.out.N {
		return nil, nil
	}
	hi := min(a.out.N, a.pos+a.batchSize)
	cols := make([]*vector.Vector, len(a.out.Cols))
	for k, c := range a.out.Cols {
		cols[k] = c.Slice(a.pos, hi)
	}
	b := vector.NewBatch(cols, hi-a.pos)
	a.pos = hi
	return b, nil
}

func (a *hashAgg) consume(ctx context.Context) error {
	for {
		b, err := a.child.Next(ctx)
		if err != nil {
			return err
		}
		if b == nil {
			break
		}
		if err := a.add(b); err != nil {
			return err
		}
	}
	cols := append([]*vector.Vector(nil), a.keys...)
	for k, s := range a.states {
		v, err := a.aggs[k].Output(s)
		if err != nil {
			return err
		}
		cols = append(cols, v)
	}
	a.out = vector.NewBatch(cols, a.ngroups)
	return nil
}

func (a *hashAgg) add(b *vector.Batch) error {
	rows := b.Rows(nil)
	gids := make([]int32, len(rows))
	if len(a.groupBy) > 0 {
		keyv := make([]*vector.Vector, len(a.groupBy))
		for k, g := range a.groupBy {
			v, err := g.Eval(b)
			if err != nil {
				return err
			}
			keyv[k] = v
		}
		var fresh []int32 // rows that start a new group
		if a.ints != nil {
			v := keyv[0]
			for k, i := range rows {
				if v.IsNull(int(i)) {
					if a.nullGid < 0 {
						a.nullGid = int32(a.ngroups)
						a.ngroups++
						fresh = append(fresh, i)
					}
					gids[k] = a.nullGid
					continue
				}
				g, ok := a.ints[v.Int64[i]]
				if !ok {
					g = int32(a.ngroups)
					a.ints[v.Int64[i]] = g
					a.ngroups++
					fresh = append(fresh, i)
				}
				gids[k] = g
			}
		} else {
			for k, i := range rows {
				key := a.keyBuf[:0]
				for _, v := range keyv {
					key = expr.AppendKey(key, v, int(i))
				}
				a.keyBuf = key
				g, ok := a.generic[string(key)]
				if !ok {
					g = int32(a.ngroups)
					a.generic[string(key)] = g
					a.ngroups++
					fresh = append(fresh, i)
				}
				gids[k] = g
			}
		}
		for k, v := range keyv {
			a.keys[k].AppendRows(v, fresh)
		}
		if err := a.acct.reserve(groupBytes(keyv, fresh, len(a.aggs))); err != nil {
			return fmt.Errorf("aggregation hash table: %w", err)
		}
	}
	for k, agg := range a.aggs {
		args, err := agg.EvalArgs(b)
		if err != nil {
			return err
		}
		s := a.states[k]
		s.Grow(a.ngroups)
		if err := agg.Fold(s, args, rows, gids); err != nil {
			return err
		}
	}
	return nil
}
