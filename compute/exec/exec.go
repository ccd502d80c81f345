package exec

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// DefaultBatchSize is the number of rows operators aim for per batch.
const DefaultBatchSize = 4096

// Operator is a node of a running plan. See the package doc for the contract.
type Operator interface {
	Types() []types.T
	Open(ctx context.Context) error
	Next(ctx context.Context) (*vector.Batch, error)
	Close() error
}

// BatchIterator yields batches until it returns nil.
type BatchIterator interface {
	Next(ctx context.Context) (*vector.Batch, error)
}

// TabletSource opens the rows of one tablet (its columns with the given unique ids, in order) at
// the version of a scan range.
type TabletSource interface {
	// conjuncts are the scan's (over the output columns): the source may use them to skip rows
	// through its indexes; the scan still filters exactly.
	ScanTablet(ctx context.Context, rng *planpb.ScanRange, schema *commonpb.TabletSchema, uniqueIDs []int32, conjuncts []*planpb.Expr, batchSize int) (BatchIterator, error)
}

// Env is what Build needs besides the plan.
type Env struct {
	Tablets   TabletSource
	Ranges    []*planpb.ScanRange // of the whole fragment; each scan takes those with its node id
	BatchSize int                 // 0 means DefaultBatchSize
	// RuntimeFilters connects the hash joins of the fragment with the scans their filters target;
	// Build makes one when it is nil (pass one to read its statistics).
	RuntimeFilters *RuntimeFilters
	// Memory, when set, is charged with what blocking operators hold (hash join build sides,
	// aggregation hash tables, sort and window buffers); NewMemTracker makes the per-query one.
	Memory Memory
	// Parallelism is the number of pipeline tasks (Doris's parallel_pipeline_task_num): with
	// more than one, Build splits the plan into parts that run in goroutines (see parallel.go
	// and the package doc). 0 or 1: the plan runs serially on the caller's goroutine.
	Parallelism int
	// StreamAggAfter tunes the partial aggregations of parallel grouped aggregates: one that
	// has read this many rows and made more than half as many groups stops folding and passes
	// the rest of its input on as one state per row (0: DefaultStreamAggAfter).
	StreamAggAfter int64
	// Location is the session's time zone, in which the functions between instants and local
	// times work (expr.Env.Location); nil: UTC.
	Location *time.Location

	shared *sharing // the fragment's shared subtrees (Build sets it; shared.go)
}

// exprEnv is the expression environment of the fragment's operators.
func (e Env) exprEnv(scratch bool) expr.Env {
	return expr.Env{Scratch: scratch, Location: e.Location}
}

// DefaultStreamAggAfter is Env.StreamAggAfter's default.
const DefaultStreamAggAfter = 1 << 16

func badPlan(format string, args ...any) error {
	return fmt.Errorf("%w: %s", expr.ErrBadPlan, fmt.Sprintf(format, args...))
}

// Build turns a plan tree into operators.
func Build(n *planpb.PlanNode, env Env) (Operator, error) {
	if env.BatchSize <= 0 {
		env.BatchSize = DefaultBatchSize
	}
	if env.RuntimeFilters == nil {
		env.RuntimeFilters = NewRuntimeFilters()
	}
	env.shared = newSharing(n)
	if env.Parallelism > 1 {
		p := &pbuilder{env: env}
		return p.one(n)
	}
	return build(n, env)
}

// checkChildren checks n's number of children against childCount.
func checkChildren(n *planpb.PlanNode) error {
	lo, hi := childCount(n)
	if len(n.Children) < lo || (hi >= 0 && len(n.Children) > hi) {
		want := fmt.Sprint(lo)
		if hi != lo {
			want = fmt.Sprintf("at least %d", lo)
		}
		return badPlan("plan node %d has %d children, want %s", n.GetId(), len(n.Children), want)
	}
	return nil
}

func build(n *planpb.PlanNode, env Env) (Operator, error) {
	if n == nil {
		return nil, badPlan("missing plan node")
	}
	if src := env.shared.source(n); src != nil {
		ops, err := env.shared.readers(src, 1, env, func(src *planpb.PlanNode) (Operator, error) { return buildOwn(src, env) })
		if err != nil {
			return nil, err
		}
		return ops[0], nil
	}
	return buildOwn(n, env)
}

// buildOwn builds n itself (not as a reader of a shared subtree) over its children.
func buildOwn(n *planpb.PlanNode, env Env) (Operator, error) {
	if err := checkChildren(n); err != nil {
		return nil, err
	}
	children := make([]Operator, len(n.Children))
	for k, c := range n.Children {
		var err error
		if children[k], err = build(c, env); err != nil {
			return nil, err
		}
	}
	return buildNode(n, children, env)
}

// childCount is the number of children a plan node takes (hi < 0: no upper bound).
func childCount(n *planpb.PlanNode) (lo, hi int) {
	switch n.Node.(type) {
	case *planpb.PlanNode_OlapScan, *planpb.PlanNode_Values, *planpb.PlanNode_Shared:
		return 0, 0
	case *planpb.PlanNode_HashJoin, *planpb.PlanNode_NestedLoopJoin:
		return 2, 2
	case *planpb.PlanNode_Union:
		return 1, -1
	}
	return 1, 1
}

// buildNode builds the operator of n over already built children (checked against childCount).
func buildNode(n *planpb.PlanNode, children []Operator, env Env) (Operator, error) {
	var child Operator
	if len(children) > 0 {
		child = children[0]
	}
	switch k := n.Node.(type) {
	case *planpb.PlanNode_OlapScan:
		return newScan(n.GetId(), k.OlapScan, env)
	case *planpb.PlanNode_Values:
		return newValues(k.Values, env.BatchSize)
	case *planpb.PlanNode_Filter:
		return newFilter(child, k.Filter.GetPredicate(), env)
	case *planpb.PlanNode_Project:
		return newProject(child, k.Project.GetExprs(), env)
	case *planpb.PlanNode_Aggregate:
		op, err := newAggregate(child, k.Aggregate, env)
		if a, ok := op.(*hashAgg); ok {
			a.acct.mem = env.Memory
			if a.transient() {
				markReuse(child)
			}
		}
		return op, err
	case *planpb.PlanNode_Sort:
		op, err := newSort(child, k.Sort, env)
		if s, ok := op.(*sortOp); ok {
			s.acct.mem = env.Memory
		}
		return op, err
	case *planpb.PlanNode_Limit:
		return newLimit(child, k.Limit.GetOffset(), k.Limit.GetLimit()), nil
	case *planpb.PlanNode_HashJoin:
		return newHashJoin(children[0], children[1], k.HashJoin, env)
	case *planpb.PlanNode_NestedLoopJoin:
		return newNestedLoopJoin(children[0], children[1], k.NestedLoopJoin, env)
	case *planpb.PlanNode_Union:
		return newUnion(children)
	case *planpb.PlanNode_Repeat:
		return newRepeat(child, k.Repeat)
	case *planpb.PlanNode_AssertRows:
		return newAssertRows(child, k.AssertRows)
	case *planpb.PlanNode_Window:
		op, err := newWindow(child, k.Window, env)
		if w, ok := op.(*window); ok {
			w.acct.mem = env.Memory
		}
		return op, err
	case *planpb.PlanNode_Shared:
		return nil, badPlan("shared node %d: its source %d is not a node of the fragment", n.GetId(), k.Shared.GetSource())
	}
	return nil, badPlan("plan node %d has no kind", n.GetId())
}

// Drain runs op to the end and returns every batch (for tests and small results).
func Drain(ctx context.Context, op Operator) ([]*vector.Batch, error) {
	if err := op.Open(ctx); err != nil {
		op.Close()
		return nil, err
	}
	var out []*vector.Batch
	for {
		b, err := op.Next(ctx)
		if err != nil {
			op.Close()
			return nil, err
		}
		if b == nil {
			return out, op.Close()
		}
		out = append(out, b)
	}
}

// selectOwned narrows b to the active rows where every predicate is TRUE, evaluating each on
// the rows the ones before it kept; the result may have no rows. The selection is built in
// *scratch (grown as needed) and handed on as a copy of its exact size: the batch owns its
// selection, and copying the rows kept costs less than clearing a new array the size of the
// input (a selective filter keeps few).
func selectOwned(preds []*expr.Expr, b *vector.Batch, scratch *[]int32) (*vector.Batch, error) {
	if len(preds) == 0 {
		return b, nil
	}
	if cap(*scratch) < b.Len() {
		*scratch = make([]int32, 0, max(b.Len(), 1024))
	}
	out, err := selectInto(preds, b, (*scratch)[:0])
	if err != nil {
		return nil, err
	}
	out.Sel = slices.Clone(out.Sel)
	return out, nil
}

// selectInto is selectAll with the selection built in sel's array (then narrowed in place).
func selectInto(preds []*expr.Expr, b *vector.Batch, sel []int32) (*vector.Batch, error) {
	for _, pred := range preds {
		var err error
		if sel, err = pred.Select(b, sel); err != nil {
			return nil, err
		}
		b = &vector.Batch{Cols: b.Cols, N: b.N, Sel: sel}
		if len(sel) == 0 {
			break
		}
	}
	return b, nil
}

// compilePredicateIn compiles a predicate whose value is consumed before the next batch (it
// reuses its vectors: expr.Env.Scratch) in the fragment's environment.
func compilePredicateIn(e *planpb.Expr, input []types.T, env Env) (*expr.Expr, error) {
	c, err := expr.CompileEnv(e, input, env.exprEnv(true))
	if err != nil {
		return nil, err
	}
	if k := c.Type().Kind; k != types.Boolean && k != types.Null && !c.Type().IsInteger() {
		return nil, badPlan("predicate of type %s", c.Type())
	}
	if c.Type().Physical() != types.PhysInt64 {
		return nil, badPlan("predicate of type %s", c.Type())
	}
	return c, nil
}

// ---------------------------------------------------------------- filter

type filter struct {
	child   Operator
	preds   []*expr.Expr // the one predicate
	scratch []int32
}

func newFilter(child Operator, pred *planpb.Expr, env Env) (Operator, error) {
	p, err := compilePredicateIn(pred, child.Types(), env)
	if err != nil {
		return nil, err
	}
	return &filter{child: child, preds: []*expr.Expr{p}}, nil
}

func (f *filter) Types() []types.T               { return f.child.Types() }
func (f *filter) Open(ctx context.Context) error { return f.child.Open(ctx) }
func (f *filter) Close() error                   { return f.child.Close() }

func (f *filter) Next(ctx context.Context) (*vector.Batch, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := f.child.Next(ctx)
		if err != nil || b == nil {
			return nil, err
		}
		out, err := selectOwned(f.preds, b, &f.scratch)
		if err != nil {
			return nil, err
		}
		if out.Len() > 0 {
			return out, nil
		}
	}
}

// ---------------------------------------------------------------- project

type project struct {
	child Operator
	exprs []*expr.Expr
	types []types.T
	pick  []int // when every expression is a column of the input as it is: their indexes
}

func newProject(child Operator, exprs []*planpb.Expr, env Env) (Operator, error) {
	p := &project{child: child}
	for _, e := range exprs {
		c, err := expr.CompileEnv(e, child.Types(), env.exprEnv(false))
		if err != nil {
			return nil, err
		}
		p.exprs = append(p.exprs, c)
		p.types = append(p.types, c.Type())
	}
	in := child.Types()
	for _, e := range exprs {
		ref := e.GetColumn()
		if ref == nil || int(ref.GetIndex()) >= len(in) || in[ref.GetIndex()] != types.FromProto(e.GetType()) {
			p.pick = nil
			break
		}
		p.pick = append(p.pick, int(ref.GetIndex()))
	}
	return p, nil
}

func (p *project) Types() []types.T               { return p.types }
func (p *project) Open(ctx context.Context) error { return p.child.Open(ctx) }
func (p *project) Close() error                   { return p.child.Close() }

func (p *project) Next(ctx context.Context) (*vector.Batch, error) {
	b, err := p.child.Next(ctx)
	if err != nil || b == nil {
		return nil, err
	}
	cols := make([]*vector.Vector, len(p.exprs))
	if p.pick != nil {
		for k, i := range p.pick {
			cols[k] = b.Cols[i]
		}
		return &vector.Batch{Cols: cols, N: b.N, Sel: b.Sel}, nil
	}
	for k, e := range p.exprs {
		if cols[k], err = e.Eval(b); err != nil {
			return nil, err
		}
	}
	return &vector.Batch{Cols: cols, N: b.N, Sel: b.Sel}, nil
}

// ---------------------------------------------------------------- limit

type limit struct {
	child         Operator
	offset, limit int64 // limit < 0: none
	skipped, sent int64
}

func newLimit(child Operator, offset, lim int64) Operator {
	return &limit{child: child, offset: max(offset, 0), limit: lim}
}

func (l *limit) Types() []types.T               { return l.child.Types() }
func (l *limit) Open(ctx context.Context) error { return l.child.Open(ctx) }
func (l *limit) Close() error                   { return l.child.Close() }

func (l *limit) Next(ctx context.Context) (*vector.Batch, error) {
	for {
		if l.limit >= 0 && l.sent >= l.limit {
			return nil, nil
		}
		b, err := l.child.Next(ctx)
		if err != nil || b == nil {
			return nil, err
		}
		rows := b.Rows(nil)
		skip := min(int64(len(rows)), l.offset-l.skipped)
		l.skipped += skip
		rows = rows[skip:]
		if l.limit >= 0 {
			rows = rows[:min(int64(len(rows)), l.limit-l.sent)]
		}
		if len(rows) == 0 {
			continue
		}
		l.sent += int64(len(rows))
		return &vector.Batch{Cols: b.Cols, N: b.N, Sel: append([]int32(nil), rows...)}, nil
	}
}

// ---------------------------------------------------------------- values

type values struct {
	b         *vector.Batch
	types     []types.T
	batchSize int
	pos       int
}

func newValues(n *planpb.ValuesNode, batchSize int) (Operator, error) {
	b, err := vector.FromProto(n.GetRows())
	if err != nil {
		return nil, badPlan("values: %v", err)
	}
	v := &values{b: b, batchSize: batchSize}
	for _, c := range b.Cols {
		v.types = append(v.types, c.Type)
	}
	return v, nil
}

func (v *values) Types() []types.T           { return v.types }
func (v *values) Open(context.Context) error { return nil }
func (v *values) Close() error               { return nil }

func (v *values) Next(context.Context) (*vector.Batch, error) {
	if v.pos >= v.b.N {
		return nil, nil
	}
	hi := min(v.b.N, v.pos+v.batchSize)
	cols := make([]*vector.Vector, len(v.b.Cols))
	for k, c := range v.b.Cols {
		cols[k] = c.Slice(v.pos, hi)
	}
	n := hi - v.pos
	v.pos = hi
	return vector.NewBatch(cols, n), nil
}

// ---------------------------------------------------------------- scan

type scan struct {
	node      *planpb.OlapScanNode
	ranges    []*planpb.ScanRange
	src       TabletSource
	types     []types.T
	conjuncts []*expr.Expr
	ordered   []*planpb.Expr // the node's conjuncts, cheap first; tablets evaluate them so too
	batchSize int
	next      int // next range
	cur       BatchIterator
	id        int32
	filters   *RuntimeFilters
	// reuse: the consumer is done with a batch before it asks for the next and keeps no
	// reference into it (markReuse), so tablet sources that can may reuse their buffers.
	reuse bool
	sel   []int32 // with reuse: the selection buffer of the conjuncts
	rfSel []int32 // with reuse: the selection buffer of the runtime filters
	ident []int32 // 0, 1, 2, ...: the rows of a batch without selection (read only)
}

// reuser is a BatchIterator that can decode into the buffers of its earlier batches
// (tablet.Scanner.Reuse).
type reuser interface{ Reuse() }

// applier is a tablet iterator that may have evaluated some of the scan's conjuncts on the batch
// it returned last: the first Applied() of them (in the order handed to ScanTablet) hold for
// every row of its selection (tablet.Scanner.Applied).
type applier interface{ Applied() int }

// markReuse lets the scans under op (through filters and projects, which pass batches on in
// the same goroutine) reuse their buffers: for a consumer of op's batches that keeps nothing of
// them (see transientAgg).
func markReuse(op Operator) {
	for {
		switch o := op.(type) {
		case *filter:
			op = o.child
		case *project:
			op = o.child
		case *scan:
			o.reuse = true
			return
		default:
			return
		}
	}
}

func newScan(id int32, n *planpb.OlapScanNode, env Env) (Operator, error) {
	s := &scan{node: n, src: env.Tablets, batchSize: env.BatchSize, id: id, filters: env.RuntimeFilters}
	byID := map[int32]*commonpb.Column{}
	for _, c := range n.GetSchema().GetColumns() {
		byID[c.GetUniqueId()] = c
	}
	for _, id := range n.GetColumnUniqueIds() {
		c, ok := byID[id]
		if !ok {
			return nil, badPlan("scan of table %d: no column with unique id %d", n.GetTableId(), id)
		}
		s.types = append(s.types, types.FromProto(c.GetType()))
	}
	s.ordered = orderConjuncts(n.GetConjuncts())
	for _, e := range s.ordered {
		c, err := compilePredicateIn(e, s.types, env)
		if err != nil {
			return nil, err
		}
		s.conjuncts = append(s.conjuncts, c)
	}
	for _, r := range env.Ranges {
		if r.GetNodeId() == id {
			s.ranges = append(s.ranges, r)
		}
	}
	if len(s.ranges) > 0 && s.src == nil {
		return nil, fmt.Errorf("BUG: scan node %d has ranges and no tablet source", id)
	}
	return s, nil
}

func (s *scan) Types() []types.T           { return s.types }
func (s *scan) Open(context.Context) error { return nil }
func (s *scan) Close() error               { s.cur = nil; return nil }

func (s *scan) Next(ctx context.Context) (*vector.Batch, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if s.cur == nil {
			if s.next >= len(s.ranges) {
				return nil, nil
			}
			r := s.ranges[s.next]
			s.next++
			it, err := s.src.ScanTablet(ctx, r, s.node.GetSchema(), s.node.GetColumnUniqueIds(), s.ordered, s.batchSize)
			if err != nil {
				return nil, err
			}
			if ru, ok := it.(reuser); ok && s.reuse {
				ru.Reuse()
			}
			s.cur = it
		}
		b, err := s.cur.Next(ctx)
		if err != nil {
			return nil, err
		}
		if b == nil {
			s.cur = nil
			continue
		}
		conjuncts := s.conjuncts // those the tablet did not apply
		if a, ok := s.cur.(applier); ok {
			conjuncts = conjuncts[min(a.Applied(), len(conjuncts)):]
		}
		if s.filters != nil && b.Len() > 0 {
			if len(s.ident) < b.N {
				s.ident = vector.Identity(nil, max(b.N, s.batchSize))
			}
			in := b
			// The selection is built in s.rfSel; without reuse it is copied below (each
			// batch's selection is its own).
			b, s.rfSel = applyFilters(s.filters, s.id, b, s.rfSel, s.ident)
			if b != in && !s.reuse && len(conjuncts) == 0 {
				b.Sel = slices.Clone(b.Sel)
			}
		}
		if len(conjuncts) > 0 && b.Len() > 0 {
			if !s.reuse {
				b, err = selectOwned(conjuncts, b, &s.sel)
			} else { // the consumer is done with the previous batch: its selection too
				if cap(s.sel) < b.Len() {
					s.sel = make([]int32, 0, max(b.Len(), 4096))
				}
				b, err = selectInto(conjuncts, b, s.sel[:0])
			}
			if err != nil {
				return nil, err
			}
		}
		if b.Len() > 0 {
			return b, nil
		}
	}
}

// BuildOver builds the single operator of plan node n (whose children are ignored) over an
// existing child operator. For tests and for callers that assemble pipelines themselves.
func BuildOver(n *planpb.PlanNode, child Operator, env Env) (Operator, error) {
	return BuildOn(n, []Operator{child}, env)
}

// BuildOn builds the single operator of plan node n (whose children are ignored) over existing
// child operators: one for most nodes, two (left, right) for joins, any number for a union.
func BuildOn(n *planpb.PlanNode, children []Operator, env Env) (Operator, error) {
	if env.BatchSize <= 0 {
		env.BatchSize = DefaultBatchSize
	}
	if env.RuntimeFilters == nil {
		env.RuntimeFilters = NewRuntimeFilters()
	}
	lo, hi := childCount(n)
	if lo == 0 {
		return nil, badPlan("plan node %d does not take a child", n.GetId())
	}
	if len(children) < lo || (hi >= 0 && len(children) > hi) {
		return nil, badPlan("plan node %d over %d children", n.GetId(), len(children))
	}
	return buildNode(n, children, env)
}
