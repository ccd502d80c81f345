package exec

import (
	"context"
	"fmt"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// hashAgg is hash aggregation: group ids come from a hash table over the group-by values
// (groupTable, aggtable.go), and each aggregate's State folds whole argument vectors by group id.
type hashAgg struct {
	child     Operator
	groupBy   []*expr.Expr
	aggs      []*expr.Aggregate
	states    []expr.State
	types     []types.T
	batchSize int

	table    *groupTable // with group keys: their values, one row per group
	ngroups  int
	keyv     []*vector.Vector // per batch: the evaluated keys
	fresh    []int32          // per batch: the rows that made new groups
	rowBuf   []int32          // the identity selection of batches without one
	gidBuf   []int32
	out      *vector.Batch
	pos      int
	consumed bool
	acct     account // the hash table, keys and states (memory.go)

	// Streaming pre-aggregation (a grouped AGG_PARTIAL under a final aggregate, twoPhaseAgg):
	// once streamAfter input rows made more than half as many groups, folding them saves the
	// final aggregate little, so the operator outputs the groups it has and then passes every
	// further batch on as one state per row (passBatch).
	streamAfter int64 // 0: never
	rowsIn      int64
	passing     bool
}

func newAggregate(child Operator, n *planpb.AggregateNode, env Env) (Operator, error) {
	a := &hashAgg{child: child, batchSize: env.BatchSize}
	for _, g := range n.GetGroupBy() {
		e, err := expr.CompileEnv(g, child.Types(), env.exprEnv(true)) // copied into keys at once
		if err != nil {
			return nil, err
		}
		a.groupBy = append(a.groupBy, e)
		a.types = append(a.types, e.Type())
	}
	aggs, err := expr.CompileAggregatesIn(n.GetAggregates(), child.Types(), n.GetMode(), env.Location)
	if err != nil {
		return nil, err
	}
	for _, agg := range aggs {
		a.aggs = append(a.aggs, agg)
		a.types = append(a.types, agg.Type())
	}
	return a, nil
}

func (a *hashAgg) Types() []types.T { return a.types }

// transient reports whether the aggregation keeps nothing of its input batches once it folded
// them: its group keys are copied (strings too, groupTable.appendKeys) and its states hold
// numbers — not min, max or any_value of strings, nor the sets and strings of DISTINCT,
// group_concat and the sketches.
func (a *hashAgg) transient() bool {
	for _, agg := range a.aggs {
		if !agg.HoldsNoInput() {
			return false
		}
	}
	return true
}

func (a *hashAgg) Open(ctx context.Context) error {
	a.states = make([]expr.State, len(a.aggs))
	for k, agg := range a.aggs {
		a.states[k] = agg.NewState()
	}
	var kt []types.T
	for _, g := range a.groupBy {
		kt = append(kt, g.Type())
	}
	a.table = newGroupTable(kt)
	if len(a.groupBy) == 0 {
		a.ngroups = 1 // a global aggregate has its one row even for empty input
		for _, s := range a.states {
			s.Grow(1)
		}
	}
	return a.child.Open(ctx)
}

func (a *hashAgg) Close() error {
	a.acct.releaseAll()
	a.states, a.table, a.out = nil, nil, nil
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
		if a.passing {
			return a.passNext(ctx)
		}
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
		a.rowsIn += int64(b.Len())
		if a.streamAfter > 0 && a.rowsIn >= a.streamAfter && 2*int64(a.ngroups) > a.rowsIn {
			a.passing = true
			break
		}
	}
	cols := append([]*vector.Vector(nil), a.table.keys...)
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

// passNext passes the next input batch on as intermediate states, one group per row.
func (a *hashAgg) passNext(ctx context.Context) (*vector.Batch, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := a.child.Next(ctx)
		if err != nil || b == nil {
			return nil, err
		}
		if b.Len() > 0 {
			return a.passBatch(b)
		}
	}
}

// passBatch is one batch as AGG_PARTIAL output with a group per row: the keys copied (strings
// too: the input's buffers may be reused), each aggregate folded into fresh states.
func (a *hashAgg) passBatch(b *vector.Batch) (*vector.Batch, error) {
	rows := b.Rows(nil)
	n := len(rows)
	cols := make([]*vector.Vector, 0, len(a.types))
	var arena []byte
	for _, g := range a.groupBy {
		v, err := g.Eval(b)
		if err != nil {
			return nil, err
		}
		k := v.Gather(rows)
		for i, s := range k.Bytes {
			if s != nil {
				arena = append(arena, s...)
				k.Bytes[i] = arena[len(arena)-len(s) : len(arena) : len(arena)]
			}
		}
		cols = append(cols, k)
	}
	gids := vector.Identity(nil, n)
	for _, agg := range a.aggs {
		st := agg.NewState()
		st.Grow(n)
		args, err := agg.EvalArgs(b)
		if err != nil {
			return nil, err
		}
		if err := agg.Fold(st, args, rows, gids); err != nil {
			return nil, err
		}
		v, err := agg.Output(st)
		if err != nil {
			return nil, err
		}
		cols = append(cols, v)
	}
	return vector.NewBatch(cols, n), nil
}

func (a *hashAgg) add(b *vector.Batch) error {
	rows := b.Rows(a.rowBuf)
	if b.Sel == nil {
		a.rowBuf = rows
	}
	if cap(a.gidBuf) < len(rows) {
		a.gidBuf = make([]int32, max(len(rows), 1024))
	}
	gids := a.gidBuf[:len(rows)]
	if len(a.groupBy) == 0 {
		clear(gids)
	}
	if len(a.groupBy) > 0 {
		keyv := a.keyv[:0]
		for _, g := range a.groupBy {
			v, err := g.Eval(b)
			if err != nil {
				return err
			}
			keyv = append(keyv, v)
		}
		a.keyv = keyv
		fresh := a.table.find(keyv, rows, gids, a.fresh[:0])
		a.fresh = fresh
		a.table.appendKeys(keyv, fresh)
		a.ngroups = a.table.n
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
