package exec

import (
	"context"
	"fmt"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// join is the hash join and the nested-loop join: they differ only in how candidate pairs of a
// probe (left) row and a build (right) row are found — equal keys through a hash table, or every
// pair — and share everything else: the build side is consumed completely on the first Next
// (before the probe side is pulled, so runtime filters are ready), probe batches then stream
// through, and the join type decides what a pair that matches (the condition is TRUE) or does
// not produces. See the package doc for the semantics of each type.
type join struct {
	name          string // for errors
	typ           planpb.JoinType
	left, right   Operator
	types         []types.T
	cond          *expr.Expr // over left ++ right; nil: always true
	condRefs      []bool     // columns of left ++ right the condition reads
	nullAwareMark bool
	nested        bool // nested loop: a NULL condition is a possible match (null-aware forms)
	batchSize     int
	env           Env

	// hash join
	probeKeys, buildKeys []*expr.Expr
	buildKeyCol          []int // per build key: the build column it is, or -1
	specs                []keySpec
	filters              []*planpb.RuntimeFilter
	table                *joinTable
	hp                   hashProbe

	build        *vector.Batch // the build side, compacted
	buildMatched []bool        // right-side types: build rows that matched
	built        bool
	reserved     int64
	shared       *sharedBuild // set: the build side is shared with other instances (parallel.go)
	closed       bool         // with shared: released

	// the probe batch in progress
	cur            *vector.Batch
	curRows        []int32
	rowsBuf        []int32          // curRows when the batch has no selection
	pk             []*vector.Vector // the probe keys of cur
	matched, maybe []bool           // by physical row of cur
	np             nlProbe
	probeDone      bool
	rightPos       int
	out            []*vector.Batch
	pl, pr         []int32
}

func newJoinBase(name string, typ planpb.JoinType, left, right Operator, env Env) (*join, error) {
	j := &join{name: name, typ: typ, left: left, right: right, batchSize: env.BatchSize, env: env}
	lt, rt := left.Types(), right.Types()
	switch typ {
	case planpb.JoinType_INNER, planpb.JoinType_CROSS, planpb.JoinType_LEFT_OUTER, planpb.JoinType_RIGHT_OUTER, planpb.JoinType_FULL_OUTER:
		j.types = append(append(j.types, lt...), rt...)
	case planpb.JoinType_LEFT_SEMI, planpb.JoinType_LEFT_ANTI, planpb.JoinType_NULL_AWARE_LEFT_ANTI:
		j.types = append(j.types, lt...)
	case planpb.JoinType_RIGHT_SEMI, planpb.JoinType_RIGHT_ANTI:
		j.types = append(j.types, rt...)
	case planpb.JoinType_LEFT_MARK:
		j.types = append(append(j.types, lt...), types.New(types.Boolean))
	default:
		return nil, badPlan("%s: unknown join type %s", name, typ)
	}
	return j, nil
}

func (j *join) compileCondition(e *planpb.Expr) error {
	if e == nil {
		return nil
	}
	in := append(append([]types.T(nil), j.left.Types()...), j.right.Types()...)
	c, err := compilePredicateIn(e, in, j.env)
	if err != nil {
		return fmt.Errorf("%s condition: %w", j.name, err)
	}
	j.cond = c
	j.condRefs = make([]bool, len(in))
	markRefs(e, j.condRefs)
	return nil
}

// markRefs sets refs[i] for every column e reads.
func markRefs(e *planpb.Expr, refs []bool) {
	if c := e.GetColumn(); c != nil {
		if i := int(c.GetIndex()); i >= 0 && i < len(refs) {
			refs[i] = true
		}
	}
	for _, a := range e.GetCall().GetArgs() {
		markRefs(a, refs)
	}
}

func newHashJoin(left, right Operator, n *planpb.HashJoinNode, env Env) (Operator, error) {
	if n.GetType() == planpb.JoinType_CROSS {
		return nil, badPlan("hash join of type CROSS")
	}
	j, err := newJoinBase("hash join", n.GetType(), left, right, env)
	if err != nil {
		return nil, err
	}
	if len(n.GetProbeKeys()) == 0 || len(n.GetProbeKeys()) != len(n.GetBuildKeys()) {
		return nil, badPlan("hash join with %d probe keys and %d build keys", len(n.GetProbeKeys()), len(n.GetBuildKeys()))
	}
	for k := range n.GetProbeKeys() {
		pk, err := expr.CompileEnv(n.GetProbeKeys()[k], left.Types(), env.exprEnv(false))
		if err != nil {
			return nil, fmt.Errorf("hash join probe key %d: %w", k, err)
		}
		bk, err := expr.CompileEnv(n.GetBuildKeys()[k], right.Types(), env.exprEnv(false))
		if err != nil {
			return nil, fmt.Errorf("hash join build key %d: %w", k, err)
		}
		s, ok := specFor(pk.Type(), bk.Type())
		if !ok {
			return nil, badPlan("hash join key %d compares %s with %s", k, pk.Type(), bk.Type())
		}
		s.nullSafe = k < len(n.GetNullSafe()) && n.GetNullSafe()[k]
		j.probeKeys = append(j.probeKeys, pk)
		j.buildKeys = append(j.buildKeys, bk)
		j.buildKeyCol = append(j.buildKeyCol, -1)
		if c := n.GetBuildKeys()[k].GetColumn(); c != nil {
			if i := int(c.GetIndex()); i >= 0 && i < len(right.Types()) && right.Types()[i] == bk.Type() {
				j.buildKeyCol[k] = i
			}
		}
		j.specs = append(j.specs, s)
	}
	if err := j.compileCondition(n.GetOtherCondition()); err != nil {
		return nil, err
	}
	j.nullAwareMark = n.GetNullAwareMark()
	for _, f := range n.GetRuntimeFilters() {
		if f.GetBuildKey() < 0 || int(f.GetBuildKey()) >= len(j.specs) {
			return nil, badPlan("runtime filter %d on build key %d of %d", f.GetId(), f.GetBuildKey(), len(j.specs))
		}
	}
	j.filters = n.GetRuntimeFilters()
	return j, nil
}

func newNestedLoopJoin(left, right Operator, n *planpb.NestedLoopJoinNode, env Env) (Operator, error) {
	j, err := newJoinBase("nested loop join", n.GetType(), left, right, env)
	if err != nil {
		return nil, err
	}
	if n.GetType() == planpb.JoinType_CROSS && n.GetCondition() != nil {
		return nil, badPlan("CROSS join with a condition")
	}
	if err := j.compileCondition(n.GetCondition()); err != nil {
		return nil, err
	}
	j.nested = true
	j.nullAwareMark = n.GetNullAwareMark()
	return j, nil
}

func (j *join) Types() []types.T { return j.types }

func (j *join) Open(ctx context.Context) error {
	if j.shared != nil {
		return j.left.Open(ctx) // the shared build opens and closes the right side itself
	}
	if err := j.right.Open(ctx); err != nil {
		return err
	}
	return j.left.Open(ctx)
}

func (j *join) Close() error {
	if j.shared != nil {
		if !j.closed {
			j.closed = true
			j.shared.release()
		}
		j.build, j.table, j.cur, j.out = nil, nil, nil, nil
		return j.left.Close()
	}
	if j.reserved > 0 && j.env.Memory != nil {
		j.env.Memory.Release(j.reserved)
	}
	j.reserved = 0
	j.build, j.table, j.cur, j.out, j.buildMatched = nil, nil, nil, nil, nil
	err := j.left.Close()
	if err2 := j.right.Close(); err == nil {
		err = err2
	}
	return err
}

func (j *join) reserve(n int64) error {
	if j.env.Memory == nil || n <= 0 {
		return nil
	}
	if err := j.env.Memory.Reserve(n); err != nil {
		return fmt.Errorf("%s build side: %w", j.name, err)
	}
	j.reserved += n
	return nil
}

func (j *join) rightTypes() bool {
	switch j.typ {
	case planpb.JoinType_RIGHT_OUTER, planpb.JoinType_FULL_OUTER, planpb.JoinType_RIGHT_SEMI, planpb.JoinType_RIGHT_ANTI:
		return true
	}
	return false
}

// emitsPairs: the output is left ++ right for each matching pair.
func (j *join) emitsPairs() bool {
	switch j.typ {
	case planpb.JoinType_INNER, planpb.JoinType_CROSS, planpb.JoinType_LEFT_OUTER, planpb.JoinType_RIGHT_OUTER, planpb.JoinType_FULL_OUTER:
		return true
	}
	return false
}

// oneMatchEnough: a left row's fate is decided by its first match.
func (j *join) oneMatchEnough() bool {
	switch j.typ {
	case planpb.JoinType_LEFT_SEMI, planpb.JoinType_LEFT_ANTI, planpb.JoinType_NULL_AWARE_LEFT_ANTI, planpb.JoinType_LEFT_MARK:
		return true
	}
	return false
}

// consumeBuild reads the whole build side, builds the hash table and publishes runtime filters.
// The build batches are kept until the end and then concatenated at the total size (joinbuild.go);
// a build key that is one of the build columns shares that column.
func (j *join) consumeBuild(ctx context.Context) error {
	rt := j.right.Types()
	var pieces, keyPieces []piece
	var buf []int32
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := j.right.Next(ctx)
		if err != nil {
			return err
		}
		if b == nil {
			break
		}
		p := piece{cols: b.Cols, rows: b.Sel, n: b.Len()}
		if p.n == 0 {
			continue
		}
		rows := b.Rows(buf)
		if b.Sel == nil {
			buf = rows
		}
		var size int64
		for _, c := range b.Cols {
			size += rowsBytes(c, rows) // of the rows added (not of the whole column: quadratic)
		}
		kp := piece{rows: b.Sel, n: p.n}
		for k, e := range j.buildKeys {
			if j.buildKeyCol[k] >= 0 {
				kp.cols = append(kp.cols, nil)
				continue
			}
			v, err := e.Eval(b)
			if err != nil {
				return err
			}
			kp.cols = append(kp.cols, v)
			size += int64(p.n) * 16
		}
		n += p.n
		if err := j.reserve(size); err != nil {
			return err
		}
		pieces, keyPieces = append(pieces, p), append(keyPieces, kp)
	}
	if j.nested {
		cols := make([]*vector.Vector, len(rt))
		for c, t := range rt {
			cols[c] = concatPieces(t, pieces, c, n, nil)
		}
		j.build = vector.NewBatch(cols, n)
		if j.rightTypes() {
			j.buildMatched = make([]bool, n)
		}
		return nil
	}
	// The keys, piece by piece (a key that is a build column is that column), widened.
	ts := make([]types.T, len(j.buildKeys))
	for k, e := range j.buildKeys {
		ts[k] = j.specs[k].widen(vector.New(e.Type(), 0)).Type
		if ts[k] != e.Type() {
			if err := j.reserve(int64(n) * 16); err != nil {
				return err
			}
		}
	}
	for x := range keyPieces {
		kp := &keyPieces[x]
		for k, c := range j.buildKeyCol {
			if c >= 0 {
				kp.cols[k] = pieces[x].cols[c]
			}
			kp.cols[k] = j.specs[k].widen(kp.cols[k])
		}
	}
	j.table = newJoinTablePieces(newHasher(), j.specs, ts, keyPieces, n)
	if err := j.reserve(j.table.bytes()); err != nil {
		return err
	}
	// The build columns in the table's row order (a key column is the table's key itself).
	cols := make([]*vector.Vector, len(rt))
	for c, t := range rt {
		for k, kc := range j.buildKeyCol {
			if kc == c && j.table.keys[k].Type == t {
				cols[c] = j.table.keys[k]
				break
			}
		}
		if cols[c] == nil {
			cols[c] = concatPieces(t, pieces, c, n, j.table.pos)
		}
	}
	j.table.pos = nil
	j.build = vector.NewBatch(cols, n)
	if j.rightTypes() {
		j.buildMatched = make([]bool, n)
	}
	j.publishFilters()
	return nil
}

// skipProbe: with an empty build side the probe side cannot produce output.
func (j *join) skipProbe() bool {
	if j.build.N > 0 {
		return false
	}
	switch j.typ {
	case planpb.JoinType_INNER, planpb.JoinType_CROSS, planpb.JoinType_LEFT_SEMI, planpb.JoinType_RIGHT_OUTER,
		planpb.JoinType_RIGHT_SEMI, planpb.JoinType_RIGHT_ANTI:
		return true
	}
	return false
}

func (j *join) Next(ctx context.Context) (*vector.Batch, error) {
	if !j.built {
		var err error
		if j.shared != nil {
			err = j.shared.load(ctx, j)
		} else {
			err = j.consumeBuild(ctx)
		}
		if err != nil {
			return nil, err
		}
		j.built = true
		j.probeDone = j.skipProbe()
	}
	for {
		if len(j.out) > 0 {
			b := j.out[0]
			j.out[0] = nil
			j.out = j.out[1:]
			return b, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if j.cur == nil {
			if j.probeDone {
				return j.emitRight(), nil
			}
			b, err := j.left.Next(ctx)
			if err != nil {
				return nil, err
			}
			if b == nil {
				j.probeDone = true
				continue
			}
			if err := j.startBatch(b); err != nil {
				return nil, err
			}
		}
		if err := j.step(); err != nil {
			return nil, err
		}
	}
}

func (j *join) startBatch(b *vector.Batch) error {
	j.cur = b
	if b.Sel != nil {
		j.curRows = b.Sel
	} else {
		j.rowsBuf = vector.Identity(j.rowsBuf, b.N)
		j.curRows = j.rowsBuf
	}
	j.matched = resetBools(j.matched, b.N)
	j.maybe = resetBools(j.maybe, b.N)
	if j.nested {
		j.np = nlProbe{rows: j.curRows, n: int32(j.build.N)}
		return nil
	}
	j.pk = j.pk[:0]
	for k, e := range j.probeKeys {
		v, err := e.Eval(b)
		if err != nil {
			return err
		}
		j.pk = append(j.pk, j.specs[k].widen(v))
	}
	j.hp.reset(j.table, j.pk, j.curRows)
	if j.typ == planpb.JoinType_RIGHT_SEMI || j.typ == planpb.JoinType_RIGHT_ANTI {
		j.hp.skipBuild = j.buildMatched // a matched build row's fate is decided
	}
	return nil
}

func resetBools(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}

// step handles the next chunk of candidate pairs of the current probe batch, and finishes the
// batch when its pairs are exhausted.
func (j *join) step() error {
	var skip []bool
	if j.oneMatchEnough() {
		skip = j.matched
	}
	var more bool
	if j.nested {
		j.pl, j.pr, more = j.np.next(j.pl[:0], j.pr[:0], j.batchSize, skip)
	} else {
		j.pl, j.pr, more = j.hp.next(j.pl[:0], j.pr[:0], j.batchSize, skip, skip != nil && j.cond == nil)
	}
	if len(j.pl) > 0 {
		if err := j.pairs(j.pl, j.pr); err != nil {
			return err
		}
	}
	if more {
		return nil
	}
	err := j.finishBatch()
	j.cur = nil
	return err
}

// pairBatch gathers the left columns at rows l of the probe batch and the right columns at rows
// r of the build side; with only set, just the columns it marks (the others are nil).
func (j *join) pairBatch(l, r []int32, only []bool) *vector.Batch {
	nl := len(j.cur.Cols)
	cols := make([]*vector.Vector, nl+len(j.build.Cols))
	for k, c := range j.cur.Cols {
		if only == nil || only[k] {
			cols[k] = gatherVector(c, l)
		}
	}
	for k, c := range j.build.Cols {
		if only == nil || only[nl+k] {
			cols[nl+k] = gatherVector(c, r)
		}
	}
	return vector.NewBatch(cols, len(l))
}

// denseAscending reports whether the probe rows l of a pair chunk are strictly ascending (each
// probe row in one pair) and at least half of the batch's n physical rows.
func denseAscending(l []int32, n int) bool {
	if 2*len(l) < n {
		return false
	}
	for k := 1; k < len(l); k++ {
		if l[k] <= l[k-1] {
			return false
		}
	}
	return true
}

// lateBatch is pairBatch for pairs whose probe rows l are strictly ascending: the probe batch's
// columns are shared (selected by a copy of l) and only the build columns are materialized,
// scattered to the physical rows l.
func (j *join) lateBatch(l, r []int32) *vector.Batch {
	n := j.cur.N
	cols := make([]*vector.Vector, 0, len(j.cur.Cols)+len(j.build.Cols))
	cols = append(cols, j.cur.Cols...)
	for _, c := range j.build.Cols {
		cols = append(cols, scatter(c, r, l, n))
	}
	b := &vector.Batch{Cols: cols, N: n, Sel: append([]int32(nil), l...)}
	if len(l) == n {
		b.Sel = nil // l is 0..n-1
	}
	return b
}

// pairs evaluates the condition on candidate pairs and records (and, for the pair-emitting
// types, outputs) the matches.
func (j *join) pairs(l, r []int32) error {
	if j.cond == nil && j.emitsPairs() && denseAscending(l, j.cur.N) {
		j.out = append(j.out, j.lateBatch(l, r))
		for _, i := range l {
			j.matched[i] = true
		}
		if j.buildMatched != nil {
			for _, x := range r {
				j.buildMatched[x] = true
			}
		}
		return nil
	}
	var pb *vector.Batch
	switch {
	case j.emitsPairs():
		pb = j.pairBatch(l, r, nil)
	case j.cond != nil:
		pb = j.pairBatch(l, r, j.condRefs)
	}
	var res *vector.Vector
	if j.cond != nil {
		var err error
		if res, err = j.cond.Eval(pb); err != nil {
			return err
		}
	}
	var sel []int32
	for k, i := range l {
		if res != nil && (res.IsNull(k) || res.Int64[k] == 0) {
			if j.nested && res.IsNull(k) {
				j.maybe[i] = true
			}
			continue
		}
		j.matched[i] = true
		if j.buildMatched != nil {
			j.buildMatched[r[k]] = true
		}
		if pb != nil && j.emitsPairs() {
			sel = append(sel, int32(k))
		}
	}
	if len(sel) > 0 {
		if len(sel) < len(l) {
			pb.Sel = sel
		}
		j.out = append(j.out, pb)
	}
	return nil
}

// nullColumns returns all-NULL vectors of the given types and length.
func nullColumns(ts []types.T, n int) []*vector.Vector {
	out := make([]*vector.Vector, len(ts))
	for k, t := range ts {
		v := vector.New(t, n)
		v.Nulls = vector.NewBitmap(n)
		for i := range v.Nulls {
			v.Nulls[i] = ^uint64(0)
		}
		out[k] = v
	}
	return out
}

// finishBatch outputs what the current probe batch produces beyond its matching pairs.
func (j *join) finishBatch() error {
	b := j.cur
	selectRows := func(want func(i int32) bool) []int32 {
		sel := make([]int32, 0, len(j.curRows))
		for _, i := range j.curRows {
			if want(i) {
				sel = append(sel, i)
			}
		}
		return sel
	}
	emit := func(cols []*vector.Vector, sel []int32) {
		if len(sel) > 0 {
			j.out = append(j.out, &vector.Batch{Cols: cols, N: b.N, Sel: sel})
		}
	}
	switch j.typ {
	case planpb.JoinType_LEFT_OUTER, planpb.JoinType_FULL_OUTER:
		sel := selectRows(func(i int32) bool { return !j.matched[i] })
		if len(sel) > 0 {
			emit(append(append([]*vector.Vector(nil), b.Cols...), nullColumns(j.right.Types(), b.N)...), sel)
		}
	case planpb.JoinType_LEFT_SEMI:
		emit(b.Cols, selectRows(func(i int32) bool { return j.matched[i] }))
	case planpb.JoinType_LEFT_ANTI:
		emit(b.Cols, selectRows(func(i int32) bool { return !j.matched[i] }))
	case planpb.JoinType_NULL_AWARE_LEFT_ANTI:
		if err := j.resolveMaybe(); err != nil {
			return err
		}
		emit(b.Cols, selectRows(func(i int32) bool { return !j.matched[i] && !j.maybe[i] }))
	case planpb.JoinType_LEFT_MARK:
		if j.nullAwareMark {
			if err := j.resolveMaybe(); err != nil {
				return err
			}
		}
		mark := vector.New(types.New(types.Boolean), b.N)
		for _, i := range j.curRows {
			switch {
			case j.matched[i]:
				mark.Int64[i] = 1
			case j.nullAwareMark && j.maybe[i]:
				mark.SetNull(int(i))
			}
		}
		cols := append(append([]*vector.Vector(nil), b.Cols...), mark)
		j.out = append(j.out, &vector.Batch{Cols: cols, N: b.N, Sel: b.Sel})
	}
	return nil
}

// resolveMaybe (hash join) marks the unmatched probe rows that possibly match: some build row
// compares NULL on the keys (a NULL on either side, not null-safe) and satisfies the condition.
// The nested-loop join records possible matches as it evaluates its condition.
func (j *join) resolveMaybe() error {
	if j.nested || j.build.N == 0 {
		return nil
	}
	t := j.table
	p := &j.hp
	singleKey := len(j.specs) == 1 && !j.specs[0].nullSafe
	var l, r []int32
	flush := func() error {
		if len(l) == 0 {
			return nil
		}
		pb := j.pairBatch(l, r, j.condRefs)
		res, err := j.cond.Eval(pb)
		if err != nil {
			return err
		}
		for k, i := range l {
			if !res.IsNull(k) && res.Int64[k] != 0 {
				j.maybe[i] = true
			}
		}
		l, r = l[:0], r[:0]
		return nil
	}
	all := vector.Identity(nil, 0)
	for x, i := range j.curRows {
		if j.matched[i] {
			continue
		}
		cands := t.nullRows
		if p.rowHasNullKey(x) {
			if len(all) == 0 {
				all = vector.Identity(nil, t.n)
			}
			cands = all
		}
		if len(cands) == 0 {
			continue
		}
		if j.cond == nil && singleKey {
			j.maybe[i] = true
			continue
		}
		for _, c := range cands {
			if tupleEq3(t.specs, p.eqs, p.pk, t.keys, i, c) != cmpNull {
				continue
			}
			if j.cond == nil {
				j.maybe[i] = true
				break
			}
			l, r = append(l, i), append(r, c)
			if len(l) >= j.batchSize {
				if err := flush(); err != nil {
					return err
				}
				if j.maybe[i] {
					break
				}
			}
		}
	}
	if j.cond != nil {
		return flush()
	}
	return nil
}

// emitRight outputs, after the probe side, the build rows the right-side types output (one
// batch per call; nil at the end).
func (j *join) emitRight() *vector.Batch {
	if !j.rightTypes() {
		return nil
	}
	wantMatched := j.typ == planpb.JoinType_RIGHT_SEMI
	for j.rightPos < j.build.N {
		lo := j.rightPos
		hi := min(j.build.N, lo+j.batchSize)
		j.rightPos = hi
		var sel []int32
		for i := lo; i < hi; i++ {
			if j.buildMatched[i] == wantMatched {
				sel = append(sel, int32(i-lo))
			}
		}
		if len(sel) == 0 {
			continue
		}
		var cols []*vector.Vector
		if j.typ == planpb.JoinType_RIGHT_OUTER || j.typ == planpb.JoinType_FULL_OUTER {
			cols = nullColumns(j.left.Types(), hi-lo)
		}
		for _, c := range j.build.Cols {
			cols = append(cols, c.Slice(lo, hi))
		}
		b := &vector.Batch{Cols: cols, N: hi - lo, Sel: sel}
		if len(sel) == hi-lo {
			b.Sel = nil
		}
		return b
	}
	return nil
}
