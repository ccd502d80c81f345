package exec

import (
	"context"
	"fmt"
	"sync"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// The pipeline split (Env.Parallelism > 1). Build instantiates the plan as "parts": a set of
// operators whose outputs together are the output of one plan node. A scan's parts are the
// scans of contiguous chunks of its ranges; filter, project and repeat run once per part; a
// hash or nested-loop join whose type outputs nothing from its build side after the probe
// (inner, left outer/semi/anti, null-aware anti, mark) runs once per probe part against one
// build side built once (sharedBuild); a grouped aggregate is fed by a hash-partitioning local
// exchange (shuffle) and runs once per partition over disjoint groups — or, when the planner
// says its input's parts hold disjoint groups already (AggregateNode.colocated: the scan's
// chunks are whole buckets), once per part with no exchange; a sort runs once per part
// (top-N per part with a limit) under an order-preserving merge (mergeSort) that breaks ties by
// part, so that the result equals the serial, stable sort. Everything else (limit, window,
// global aggregates, right/full outer, right semi/anti joins, values) takes its input as one
// stream: a gather runs each part in a goroutine and passes their batches on as they come.
//
// Every operator that runs parts in goroutines (gather, mergeSort, shuffle) starts them on its
// first Next with a context derived from that call's, stops them (cancel, then wait) on Close
// or on the first error, and closes the parts only after they stopped. The parts of a shuffle
// must be consumed concurrently (each consumer blocks until the others drain their share):
// that is why a multi-part subtree is only ever consumed through those operators.

// exchangeBuffer is the number of batches a part may produce ahead of its consumer.
const exchangeBuffer = 2

type pbuilder struct{ env Env }

// single returns the parts as one stream.
func (p *pbuilder) single(parts []Operator) Operator {
	if len(parts) == 1 {
		return parts[0]
	}
	return newGather(parts)
}

func (p *pbuilder) one(n *planpb.PlanNode) (Operator, error) {
	parts, err := p.parts(n)
	if err != nil {
		return nil, err
	}
	return p.single(parts), nil
}

// closeAll closes operators built before a failure.
func closeAll(ops []Operator) {
	for _, op := range ops {
		if op != nil {
			op.Close()
		}
	}
}

// parts builds n as one or more operators whose outputs together are n's output.
func (p *pbuilder) parts(n *planpb.PlanNode) ([]Operator, error) {
	if n == nil {
		return nil, badPlan("missing plan node")
	}
	if src := p.env.shared.source(n); src != nil {
		return p.env.shared.readers(src, p.env.Parallelism, p.env, func(src *planpb.PlanNode) (Operator, error) {
			parts, err := p.ownParts(src)
			if err != nil {
				return nil, err
			}
			return p.single(parts), nil
		})
	}
	return p.ownParts(n)
}

// ownParts builds n itself (not as a reader of a shared subtree) in parts.
func (p *pbuilder) ownParts(n *planpb.PlanNode) ([]Operator, error) {
	if err := checkChildren(n); err != nil {
		return nil, err
	}
	env := p.env
	switch k := n.Node.(type) {
	case *planpb.PlanNode_OlapScan:
		var mine []*planpb.ScanRange
		for _, r := range env.Ranges {
			if r.GetNodeId() == n.GetId() {
				mine = append(mine, r)
			}
		}
		chunks := min(env.Parallelism, len(mine))
		if chunks <= 1 {
			op, err := newScan(n.GetId(), k.OlapScan, env)
			return []Operator{op}, err
		}
		parts := make([]Operator, chunks)
		for c := range chunks {
			e := env
			e.Ranges = mine[c*len(mine)/chunks : (c+1)*len(mine)/chunks]
			op, err := newScan(n.GetId(), k.OlapScan, e)
			if err != nil {
				return nil, err
			}
			parts[c] = op
		}
		return parts, nil
	case *planpb.PlanNode_Filter, *planpb.PlanNode_Project, *planpb.PlanNode_Repeat:
		in, err := p.parts(n.Children[0])
		if err != nil {
			return nil, err
		}
		out := make([]Operator, len(in))
		for i, c := range in {
			if out[i], err = buildNode(n, []Operator{c}, env); err != nil {
				closeAll(in)
				return nil, err
			}
		}
		return out, nil
	case *planpb.PlanNode_Aggregate:
		in, err := p.parts(n.Children[0])
		if err != nil {
			return nil, err
		}
		if len(in) > 1 && len(k.Aggregate.GetPartitionBy()) > 0 && len(k.Aggregate.GetGroupBy()) > 0 {
			// Partitioned by some of its keys: whole groups meet in one partition, and the
			// parts hold whole groups of those keys for a colocated aggregate above.
			return p.shuffled(n, in, k.Aggregate.GetPartitionBy())
		}
		if len(in) > 1 && k.Aggregate.GetColocated() && len(k.Aggregate.GetGroupBy()) > 0 {
			// Each part holds whole groups (its tablets' buckets): aggregate each alone.
			out := make([]Operator, len(in))
			for i, c := range in {
				if out[i], err = buildNode(n, []Operator{c}, env); err != nil {
					closeAll(out[:i])
					closeAll(in[i:])
					return nil, err
				}
			}
			return out, nil
		}
		if len(in) > 1 && twoPhase(k.Aggregate) {
			return p.twoPhaseAgg(n, k.Aggregate, in)
		}
		if len(in) == 1 || len(k.Aggregate.GetGroupBy()) == 0 {
			op, err := buildNode(n, []Operator{p.single(in)}, env)
			return []Operator{op}, err
		}
		return p.shuffled(n, in, k.Aggregate.GetGroupBy())
	case *planpb.PlanNode_Sort:
		in, err := p.parts(n.Children[0])
		if err != nil {
			return nil, err
		}
		if len(in) == 1 {
			op, err := buildNode(n, in, env)
			return []Operator{op}, err
		}
		sorts := make([]Operator, len(in))
		for i, c := range in {
			if sorts[i], err = buildNode(n, []Operator{c}, env); err != nil {
				return nil, err
			}
		}
		m, err := newMergeSort(sorts, k.Sort, env)
		return []Operator{m}, err
	case *planpb.PlanNode_HashJoin, *planpb.PlanNode_NestedLoopJoin:
		left, err := p.parts(n.Children[0])
		if err != nil {
			return nil, err
		}
		right, err := p.one(n.Children[1])
		if err != nil {
			return nil, err
		}
		typ := k2joinType(n)
		if len(left) == 1 || rightSideTypes(typ) {
			op, err := buildNode(n, []Operator{p.single(left), right}, env)
			return []Operator{op}, err
		}
		sb := &sharedBuild{refs: len(left)}
		out := make([]Operator, len(left))
		for i, l := range left {
			op, err := buildNode(n, []Operator{l, right}, env)
			if err != nil {
				return nil, err
			}
			j, ok := op.(*join)
			if !ok {
				return nil, fmt.Errorf("BUG: join node %d built as %T", n.GetId(), op)
			}
			if i == 0 {
				sb.leader = j
			}
			j.shared = sb
			out[i] = j
		}
		return out, nil
	case *planpb.PlanNode_Union:
		var out []Operator
		var first []types.T
		for c, ch := range n.Children {
			in, err := p.parts(ch)
			if err != nil {
				return nil, err
			}
			if c == 0 {
				first = in[0].Types()
			}
			for _, part := range in {
				r, err := relabelTo(part, first, c)
				if err != nil {
					return nil, err
				}
				out = append(out, r)
			}
		}
		return out, nil
	}
	// Limit, Window, Values and anything new: one stream in, one out.
	children := make([]Operator, len(n.Children))
	for i, c := range n.Children {
		var err error
		if children[i], err = p.one(c); err != nil {
			return nil, err
		}
	}
	op, err := buildNode(n, children, env)
	return []Operator{op}, err
}

// shuffled builds aggregate n once per partition of a hash-partitioning local exchange of its
// input parts by keys.
func (p *pbuilder) shuffled(n *planpb.PlanNode, in []Operator, keys []*planpb.Expr) ([]Operator, error) {
	sh, err := newShuffle(in, keys, p.env)
	if err != nil {
		return nil, err
	}
	out := make([]Operator, p.env.Parallelism)
	for i := range out {
		if out[i], err = buildNode(n, []Operator{sh.consumer(i)}, p.env); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// twoPhase reports whether an AGG_COMPLETE aggregate runs as a partial aggregate per part and a
// final one over their intermediate states: when every call has a small, fixed-size state
// (no DISTINCT sets, GROUP_CONCAT strings or sketches to serialize).
func twoPhase(a *planpb.AggregateNode) bool {
	if a.GetMode() != planpb.AggregateMode_AGG_COMPLETE {
		return false
	}
	for _, c := range a.GetAggregates() {
		if c.GetDistinct() || len(c.GetOrderBy()) > 0 {
			return false
		}
		switch c.GetName() {
		case "count", "sum", "min", "max", "avg", "any_value", "bool_and", "bool_or":
		default:
			return false
		}
	}
	return true
}

// twoPhaseAgg builds an AGG_COMPLETE aggregate over parts as an AGG_PARTIAL aggregate per part
// and AGG_FINAL aggregates over their outputs: one over a gather for a global aggregate, one per
// task over a shuffle by the group keys otherwise. Each part folds its own rows into few groups
// (TPC-H q1: 4), so the exchange carries states instead of rows.
func (p *pbuilder) twoPhaseAgg(n *planpb.PlanNode, a *planpb.AggregateNode, in []Operator) ([]Operator, error) {
	env := p.env
	partial := &planpb.PlanNode{Id: n.GetId(), Node: &planpb.PlanNode_Aggregate{Aggregate: &planpb.AggregateNode{
		GroupBy: a.GetGroupBy(), Aggregates: a.GetAggregates(), Mode: planpb.AggregateMode_AGG_PARTIAL}}}
	parts := make([]Operator, len(in))
	for i, c := range in {
		op, err := buildNode(partial, []Operator{c}, env)
		if err != nil {
			closeAll(parts)
			closeAll(in[i:])
			return nil, err
		}
		if h, ok := op.(*hashAgg); ok && len(a.GetGroupBy()) > 0 {
			h.streamAfter = env.StreamAggAfter
			if h.streamAfter <= 0 {
				h.streamAfter = DefaultStreamAggAfter
			}
		}
		parts[i] = op
	}
	// The final aggregate reads the partial's output: the group keys, then one state per call.
	ts := parts[0].Types()
	fin := &planpb.AggregateNode{Mode: planpb.AggregateMode_AGG_FINAL}
	g := len(a.GetGroupBy())
	for k := range g {
		fin.GroupBy = append(fin.GroupBy, colExpr(k, ts[k]))
	}
	for k, c := range a.GetAggregates() {
		f := &planpb.AggregateCall{Name: c.GetName(), Type: c.GetType(), Args: []*planpb.Expr{colExpr(g+k, ts[g+k])}}
		for _, e := range c.GetArgs() {
			f.ArgTypes = append(f.ArgTypes, e.GetType())
		}
		fin.Aggregates = append(fin.Aggregates, f)
	}
	final := &planpb.PlanNode{Id: n.GetId(), Node: &planpb.PlanNode_Aggregate{Aggregate: fin}}
	if g == 0 {
		op, err := buildNode(final, []Operator{newGather(parts)}, env)
		return []Operator{op}, err
	}
	sh, err := newShuffle(parts, fin.GroupBy, env)
	if err != nil {
		closeAll(parts)
		return nil, err
	}
	out := make([]Operator, env.Parallelism)
	for i := range out {
		if out[i], err = buildNode(final, []Operator{sh.consumer(i)}, env); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func colExpr(i int, t types.T) *planpb.Expr {
	return &planpb.Expr{Type: t.Proto(), Nullable: true, Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(i)}}}
}

func k2joinType(n *planpb.PlanNode) planpb.JoinType {
	if h := n.GetHashJoin(); h != nil {
		return h.GetType()
	}
	return n.GetNestedLoopJoin().GetType()
}

// rightSideTypes: join types that output build rows after the probe side ends (they need every
// probe row's matches in one place).
func rightSideTypes(t planpb.JoinType) bool {
	switch t {
	case planpb.JoinType_RIGHT_OUTER, planpb.JoinType_FULL_OUTER, planpb.JoinType_RIGHT_SEMI, planpb.JoinType_RIGHT_ANTI:
		return true
	}
	return false
}

// ---------------------------------------------------------------- relabel

// relabel passes batches through with other column types of the same representation (union).
type relabel struct {
	Operator
	types []types.T
}

func relabelTo(op Operator, want []types.T, child int) (Operator, error) {
	ts := op.Types()
	if len(ts) != len(want) {
		return nil, badPlan("union child %d has %d columns, want %d", child, len(ts), len(want))
	}
	same := true
	for k, t := range ts {
		if t == want[k] {
			continue
		}
		if !sameRepresentation(t, want[k]) {
			return nil, badPlan("union child %d column %d is %s, want %s", child, k, t, want[k])
		}
		same = false
	}
	if same {
		return op, nil
	}
	return &relabel{Operator: op, types: want}, nil
}

func (r *relabel) Types() []types.T { return r.types }

func (r *relabel) Next(ctx context.Context) (*vector.Batch, error) {
	b, err := r.Operator.Next(ctx)
	if err != nil || b == nil {
		return nil, err
	}
	cols := make([]*vector.Vector, len(b.Cols))
	for k, c := range b.Cols {
		v := *c
		v.Type = r.types[k]
		cols[k] = &v
	}
	return &vector.Batch{Cols: cols, N: b.N, Sel: b.Sel}, nil
}

// ---------------------------------------------------------------- workers

// workers runs operators in goroutines, each sending its batches to its channel: its own (closed
// when it ends), or with one set, a channel they share (closed when they all ended).
type workers struct {
	ops    []Operator
	chans  []chan *vector.Batch
	one    chan *vector.Batch // set: every op sends here
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu  sync.Mutex
	err error // the first error of a worker
}

// start runs op i in a goroutine sending to chans[i] (which it closes when done).
func (w *workers) start(ctx context.Context) {
	ctx, w.cancel = context.WithCancel(ctx)
	for i, op := range w.ops {
		ch := w.one
		if ch == nil {
			ch = w.chans[i]
		}
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			if w.one == nil {
				defer close(ch)
			}
			for {
				if err := ctx.Err(); err != nil {
					w.fail(err)
					return
				}
				b, err := op.Next(ctx)
				if err != nil {
					w.fail(err)
					return
				}
				if b == nil {
					return
				}
				select {
				case ch <- b:
				case <-ctx.Done():
					w.fail(ctx.Err())
					return
				}
			}
		}()
	}
	if w.one != nil {
		go func() { w.wg.Wait(); close(w.one) }()
	}
}

// fail records the first error and stops the other workers.
func (w *workers) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	w.cancel()
}

func (w *workers) firstErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// stop cancels the workers and waits for them.
func (w *workers) stop() {
	if w.cancel != nil {
		w.cancel()
		w.wg.Wait()
	}
}

func (w *workers) open(ctx context.Context) error {
	for _, op := range w.ops {
		if err := op.Open(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (w *workers) closeOps() error {
	var first error
	for _, op := range w.ops {
		if err := op.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// ---------------------------------------------------------------- gather

// gather is the local exchange from many parts to one stream: batches in the order they come.
type gather struct {
	w       workers
	started bool
	closed  bool
}

func newGather(parts []Operator) *gather {
	return &gather{w: workers{ops: parts, one: make(chan *vector.Batch, exchangeBuffer*len(parts))}}
}

func (g *gather) Types() []types.T               { return g.w.ops[0].Types() }
func (g *gather) Open(ctx context.Context) error { return g.w.open(ctx) }

func (g *gather) Close() error {
	if g.closed {
		return nil
	}
	g.closed = true
	g.w.stop()
	return g.w.closeOps()
}

func (g *gather) Next(ctx context.Context) (*vector.Batch, error) {
	if g.closed {
		return nil, nil
	}
	if !g.started {
		g.started = true
		g.w.start(ctx)
	}
	if err := g.w.firstErr(); err != nil {
		return nil, err
	}
	select {
	case b, ok := <-g.w.one:
		if !ok {
			return nil, g.w.firstErr()
		}
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// ---------------------------------------------------------------- merge sort

// mergeSort merges sorted parts (each a sort of one part of the input) into one sorted stream;
// equal keys come in part order, so the result is the stable sort of the parts' concatenation.
type mergeSort struct {
	w          workers
	keys       []*expr.Expr
	desc       []bool
	nullsFirst []bool
	limit      int64 // <= 0: none
	batchSize  int

	heads   []mergeHead
	sent    int64
	started bool
	done    bool
	closed  bool
}

type mergeHead struct {
	b    *vector.Batch
	rows []int32
	keys []*vector.Vector
	pos  int
	eof  bool
}

func newMergeSort(sorts []Operator, n *planpb.SortNode, env Env) (*mergeSort, error) {
	m := &mergeSort{w: workers{ops: sorts}, limit: n.GetLimit(), batchSize: env.BatchSize}
	m.w.chans = make([]chan *vector.Batch, len(sorts))
	for i := range sorts {
		m.w.chans[i] = make(chan *vector.Batch, exchangeBuffer)
	}
	for _, k := range n.GetKeys() {
		e, err := expr.CompileEnv(k.GetExpr(), sorts[0].Types(), env.exprEnv(false))
		if err != nil {
			return nil, err
		}
		if e.Type().Kind == types.Null {
			continue
		}
		m.keys = append(m.keys, e)
		m.desc = append(m.desc, k.GetDescending())
		m.nullsFirst = append(m.nullsFirst, k.GetNullsFirst())
	}
	m.heads = make([]mergeHead, len(sorts))
	return m, nil
}

func (m *mergeSort) Types() []types.T               { return m.w.ops[0].Types() }
func (m *mergeSort) Open(ctx context.Context) error { return m.w.open(ctx) }

func (m *mergeSort) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	m.heads = nil
	m.w.stop()
	return m.w.closeOps()
}

// fill makes head i hold an unconsumed row unless its part ended.
func (m *mergeSort) fill(ctx context.Context, i int) error {
	h := &m.heads[i]
	for !h.eof && h.pos >= len(h.rows) {
		var b *vector.Batch
		var ok bool
		select {
		case b, ok = <-m.w.chans[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !ok {
			if err := m.w.firstErr(); err != nil {
				return err
			}
			h.eof, h.b, h.keys = true, nil, nil
			return nil
		}
		h.b, h.rows, h.pos = b, b.Rows(nil), 0
		h.keys = h.keys[:0]
		for _, e := range m.keys {
			v, err := e.Eval(b)
			if err != nil {
				return err
			}
			h.keys = append(h.keys, v)
		}
	}
	return nil
}

// less: the head row of part a orders before that of part b (ties go to the lower part).
func (m *mergeSort) cmp(a, b int) int {
	ha, hb := &m.heads[a], &m.heads[b]
	ia, ib := int(ha.rows[ha.pos]), int(hb.rows[hb.pos])
	for k := range m.keys {
		va, vb := ha.keys[k], hb.keys[k]
		an, bn := va.IsNull(ia), vb.IsNull(ib)
		switch {
		case an && bn:
			continue
		case an != bn:
			if an == m.nullsFirst[k] {
				return -1
			}
			return 1
		}
		r := vector.CompareAt(va, ia, vb, ib)
		if m.desc[k] {
			r = -r
		}
		if r != 0 {
			return r
		}
	}
	return a - b
}

func (m *mergeSort) Next(ctx context.Context) (*vector.Batch, error) {
	if m.closed || m.done {
		return nil, nil
	}
	if !m.started {
		m.started = true
		m.w.start(ctx)
	}
	want := m.batchSize
	if m.limit > 0 {
		want = int(min(int64(want), m.limit-m.sent))
	}
	var out []*vector.Vector
	n := 0
	for n < want {
		best := -1
		for i := range m.heads {
			if err := m.fill(ctx, i); err != nil {
				return nil, err
			}
			if m.heads[i].eof {
				continue
			}
			if best < 0 || m.cmp(i, best) < 0 {
				best = i
			}
		}
		if best < 0 {
			break
		}
		// Take the run of rows of part best that order before every other head.
		h := &m.heads[best]
		lo := h.pos
		for h.pos < len(h.rows) && n < want {
			ok := true
			for i := range m.heads {
				if i != best && !m.heads[i].eof && m.cmp(best, i) > 0 {
					ok = false
					break
				}
			}
			if !ok {
				break
			}
			h.pos++
			n++
		}
		if out == nil {
			out = make([]*vector.Vector, len(h.b.Cols))
			for k, c := range h.b.Cols {
				out[k] = vector.NewWithCap(c.Type, want)
			}
		}
		for k, c := range h.b.Cols {
			out[k].AppendRows(c, h.rows[lo:h.pos])
		}
	}
	if n == 0 {
		m.done = true
		return nil, nil
	}
	m.sent += int64(n)
	if m.limit > 0 && m.sent >= m.limit {
		m.done = true
	}
	return vector.NewBatch(out, n), nil
}

// ---------------------------------------------------------------- shuffle

// shuffle is the hash-partitioning local exchange: producers (the parts of the input) route each
// row by the hash of its group keys to one of n consumers, so that equal keys meet in one
// consumer. Batches are not copied: a consumer receives the producer's columns under a selection
// of its rows.
type shuffle struct {
	w       workers // the producers; their channels are unused (routing goroutines send to out)
	out     []chan *vector.Batch
	keys    [][]*expr.Expr // per producer
	hs      hasher
	mu      sync.Mutex
	opened  int
	closed  int
	started bool
	stopped chan struct{} // closed when every producer finished
}

func newShuffle(producers []Operator, groupBy []*planpb.Expr, env Env) (*shuffle, error) {
	n := env.Parallelism
	s := &shuffle{w: workers{ops: producers}, hs: newHasher(), stopped: make(chan struct{})}
	for range producers {
		var ks []*expr.Expr
		for _, g := range groupBy {
			e, err := expr.CompileEnv(g, producers[0].Types(), env.exprEnv(true)) // hashed at once
			if err != nil {
				return nil, err
			}
			ks = append(ks, e)
		}
		s.keys = append(s.keys, ks)
	}
	s.out = make([]chan *vector.Batch, n)
	for i := range s.out {
		s.out[i] = make(chan *vector.Batch, exchangeBuffer*len(producers))
	}
	return s, nil
}

func (s *shuffle) consumer(i int) Operator { return &shuffleOut{s: s, i: i} }

func (s *shuffle) open(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opened++
	if s.opened == 1 {
		return s.w.open(ctx)
	}
	return nil
}

func (s *shuffle) start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	s.started = true
	ctx, s.w.cancel = context.WithCancel(ctx)
	for p, op := range s.w.ops {
		s.w.wg.Add(1)
		go func() {
			defer s.w.wg.Done()
			if err := s.produce(ctx, p, op); err != nil {
				s.w.fail(err)
			}
		}()
	}
	go func() {
		s.w.wg.Wait()
		for _, ch := range s.out {
			close(ch)
		}
	}()
}

func (s *shuffle) produce(ctx context.Context, p int, op Operator) error {
	n := len(s.out)
	sels := make([][]int32, n)
	var h []uint64
	var buf []int32
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := op.Next(ctx)
		if err != nil || b == nil {
			return err
		}
		rows := b.Rows(buf)
		if b.Sel == nil {
			buf = rows
		}
		h = h[:0]
		for range rows {
			h = append(h, 0)
		}
		for _, e := range s.keys[p] {
			v, err := e.Eval(b)
			if err != nil {
				return err
			}
			if v.Type.Kind == types.Null {
				continue
			}
			s.hs.hashColumn(keySpec{phys: v.Type.Physical(), trim: v.Type.Kind == types.Char}, v, rows, h)
		}
		for k, i := range rows {
			t := fmix64(h[k]) % uint64(n)
			sels[t] = append(sels[t], i)
		}
		for t, sel := range sels {
			if len(sel) == 0 {
				continue
			}
			select {
			case s.out[t] <- &vector.Batch{Cols: b.Cols, N: b.N, Sel: sel}:
			case <-ctx.Done():
				return ctx.Err()
			}
			sels[t] = nil
		}
	}
}

func (s *shuffle) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed++
	if s.closed != len(s.out) {
		return nil
	}
	s.w.stop()
	return s.w.closeOps()
}

// shuffleOut is consumer i of a shuffle.
type shuffleOut struct {
	s      *shuffle
	i      int
	closed bool
}

func (o *shuffleOut) Types() []types.T               { return o.s.w.ops[0].Types() }
func (o *shuffleOut) Open(ctx context.Context) error { return o.s.open(ctx) }

func (o *shuffleOut) Close() error {
	if o.closed {
		return nil
	}
	o.closed = true
	return o.s.close()
}

func (o *shuffleOut) Next(ctx context.Context) (*vector.Batch, error) {
	if o.closed {
		return nil, nil
	}
	o.s.start(ctx)
	select {
	case b, ok := <-o.s.out[o.i]:
		if !ok {
			return nil, o.s.w.firstErr()
		}
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// ---------------------------------------------------------------- shared build

// sharedBuild is the build side of a join whose probe side runs in parts: the first instance to
// need it (any of them) builds it through the leader's right child; every instance probes the
// same table, which is read-only once built. The memory it holds is released when the last
// instance closes.
type sharedBuild struct {
	mu     sync.Mutex
	leader *join
	done   bool
	err    error
	refs   int
}

func (s *sharedBuild) load(ctx context.Context, j *join) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.done = true
		l := s.leader
		s.err = l.right.Open(ctx)
		if s.err == nil {
			s.err = l.consumeBuild(ctx)
		}
		if err := l.right.Close(); s.err == nil {
			s.err = err
		}
	}
	if s.err != nil {
		return s.err
	}
	j.build, j.table = s.leader.build, s.leader.table
	return nil
}

// release is an instance's Close.
func (s *sharedBuild) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refs--
	if s.refs > 0 {
		return
	}
	l := s.leader
	if l.reserved > 0 && l.env.Memory != nil {
		l.env.Memory.Release(l.reserved)
	}
	l.reserved = 0
	if !s.done { // never built: the right child was never opened
		s.done, s.err = true, errClosed
	}
}

var errClosed = fmt.Errorf("BUG: join build side used after Close")
