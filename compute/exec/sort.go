package exec

import (
	"context"
	"fmt"
	"slices"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// sortOp buffers its input, then outputs it ordered by the keys (stable). With a limit it keeps
// only the best `limit` rows as it goes (top-N).
type sortOp struct {
	child      Operator
	keys       []*expr.Expr
	desc       []bool
	nullsFirst []bool
	limit      int64
	batchSize  int

	rows   []*vector.Vector // buffered input columns
	keyv   []*vector.Vector // buffered key values
	n      int
	perm   []int32
	pos    int
	sorted bool
	acct   account // the buffered rows
}

func newSort(child Operator, n *planpb.SortNode, env Env) (Operator, error) {
	s := &sortOp{child: child, limit: n.GetLimit(), batchSize: env.BatchSize}
	for _, k := range n.GetKeys() {
		e, err := expr.CompileEnv(k.GetExpr(), child.Types(), env.exprEnv(false))
		if err != nil {
			return nil, err
		}
		if e.Type().Kind == types.Null {
			continue // a constant NULL orders nothing
		}
		s.keys = append(s.keys, e)
		s.desc = append(s.desc, k.GetDescending())
		s.nullsFirst = append(s.nullsFirst, k.GetNullsFirst())
	}
	if len(n.GetKeys()) == 0 {
		return nil, badPlan("sort without keys")
	}
	return s, nil
}

func (s *sortOp) Types() []types.T { return s.child.Types() }

func (s *sortOp) Open(ctx context.Context) error {
	for _, t := range s.child.Types() {
		s.rows = append(s.rows, vector.NewWithCap(t, 0))
	}
	for _, k := range s.keys {
		s.keyv = append(s.keyv, vector.NewWithCap(k.Type(), 0))
	}
	return s.child.Open(ctx)
}

func (s *sortOp) Close() error {
	s.acct.releaseAll()
	s.rows, s.keyv, s.perm = nil, nil, nil
	return s.child.Close()
}

func (s *sortOp) Next(ctx context.Context) (*vector.Batch, error) {
	if !s.sorted {
		if err := s.consume(ctx); err != nil {
			return nil, err
		}
		s.sorted = true
	}
	if s.pos >= len(s.perm) {
		return nil, nil
	}
	hi := min(len(s.perm), s.pos+s.batchSize)
	sel := s.perm[s.pos:hi]
	cols := make([]*vector.Vector, len(s.rows))
	for k, c := range s.rows {
		cols[k] = c.Gather(sel)
	}
	s.pos = hi
	return vector.NewBatch(cols, len(sel)), nil
}

func (s *sortOp) consume(ctx context.Context) error {
	// Top-N: once the buffer holds this many rows, sort it and keep the first `limit`.
	prune := -1
	if s.limit > 0 {
		prune = int(max(2*s.limit, int64(s.batchSize)))
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := s.child.Next(ctx)
		if err != nil {
			return err
		}
		if b == nil {
			break
		}
		rows := b.Rows(nil)
		size := batchBytes(b, rows)
		for k, e := range s.keys {
			v, err := e.Eval(b)
			if err != nil {
				return err
			}
			size += rowsBytes(v, rows)
			s.keyv[k].AppendRows(v, rows)
		}
		if err := s.acct.reserve(size); err != nil {
			return fmt.Errorf("sort buffer: %w", err)
		}
		for k, c := range b.Cols {
			s.rows[k].AppendRows(c, rows)
		}
		s.n += len(rows)
		if prune > 0 && s.n >= prune {
			if err := s.sortBuffered(ctx); err != nil {
				return err
			}
			s.perm = s.perm[:s.limit]
			for k := range s.rows {
				s.rows[k] = s.rows[k].Gather(s.perm)
			}
			for k := range s.keyv {
				s.keyv[k] = s.keyv[k].Gather(s.perm)
			}
			s.n = int(s.limit)
			// The pruned buffer holds about limit/n of what was reserved.
			if s.acct.mem != nil {
				keep := s.acct.reserved * s.limit / int64(prune)
				s.acct.mem.Release(s.acct.reserved - keep)
				s.acct.reserved = keep
			}
		}
	}
	if err := s.sortBuffered(ctx); err != nil {
		return err
	}
	if s.limit > 0 && int64(len(s.perm)) > s.limit {
		s.perm = s.perm[:s.limit]
	}
	return nil
}

// sortBuffered sets perm to the stable order of the buffered rows. It checks ctx every few
// thousand comparisons; once ctx is done every comparison is "equal", which ends the sort fast,
// and the sort fails with ctx's error.
func (s *sortOp) sortBuffered(ctx context.Context) error {
	s.perm = vector.Identity(s.perm, s.n)
	cmps := make([]func(i, j int) int, len(s.keyv))
	for k, v := range s.keyv {
		cmps[k] = vector.Comparator(v)
	}
	var calls int
	stopped := false
	slices.SortStableFunc(s.perm, func(x, y int32) int {
		if calls++; calls&4095 == 0 && !stopped {
			stopped = ctx.Err() != nil
		}
		if stopped {
			return 0
		}
		for k, c := range cmps {
			v := s.keyv[k]
			xn, yn := v.IsNull(int(x)), v.IsNull(int(y))
			switch {
			case xn && yn:
				continue
			case xn != yn:
				// NULL placement is absolute (nulls_first), independent of the direction.
				if xn == s.nullsFirst[k] {
					return -1
				}
				return 1
			}
			r := c(int(x), int(y))
			if s.desc[k] {
				r = -r
			}
			if r != 0 {
				return r
			}
		}
		return 0
	})
	if stopped {
		return ctx.Err()
	}
	return nil
}
