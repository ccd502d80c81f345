package exec

import (
	"context"
	"fmt"
	"math/big"
	"sort"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// window evaluates window functions over input sorted by partition_by then order_by. It buffers
// rows until a partition is complete (the partition key changes, or the input ends), computes
// every function over the complete partitions, and outputs those rows followed by one column per
// function; the incomplete last partition stays buffered.
type window struct {
	env       expr.Env // of the fragment (time zone)
	child     Operator
	types     []types.T
	partBy    []*expr.Expr
	orderBy   []*expr.Expr
	desc      []bool
	calls     []*windowCall
	frame     frameSpec
	batchSize int

	buf     []*vector.Vector // buffered input columns
	pkeys   []*vector.Vector // partition key values
	okeys   []*vector.Vector // order key values
	n       int
	lastCut int // start of the last partition seen so far
	checked int // rows whose partition boundary was checked
	eof     bool
	out     *vector.Batch
	pos     int
	acct    account // the buffered rows
}

type windowCall struct {
	name    string
	args    []*expr.Expr
	vals    []*vector.Vector // buffered argument values
	t       types.T
	offset  int64 // lag, lead, ntile
	sumType types.T
}

type frameSpec struct {
	rows       bool // ROWS; else RANGE
	start, end *planpb.FrameBound
}

func newWindow(child Operator, n *planpb.WindowNode, env Env) (Operator, error) {
	w := &window{child: child, batchSize: env.BatchSize, env: env.exprEnv(false)}
	in := child.Types()
	w.types = append(w.types, in...)
	for _, e := range n.GetPartitionBy() {
		c, err := expr.CompileEnv(e, in, w.env)
		if err != nil {
			return nil, err
		}
		w.partBy = append(w.partBy, c)
	}
	for _, k := range n.GetOrderBy() {
		c, err := expr.CompileEnv(k.GetExpr(), in, w.env)
		if err != nil {
			return nil, err
		}
		w.orderBy = append(w.orderBy, c)
		w.desc = append(w.desc, k.GetDescending())
	}
	if err := w.setFrame(n.GetFrame()); err != nil {
		return nil, err
	}
	for _, pc := range n.GetCalls() {
		c, err := w.compileCall(pc, in)
		if err != nil {
			return nil, fmt.Errorf("window function %s: %w", pc.GetName(), err)
		}
		w.calls = append(w.calls, c)
		w.types = append(w.types, c.t)
	}
	return w, nil
}

func (w *window) setFrame(f *planpb.WindowFrame) error {
	if f == nil {
		if len(w.orderBy) > 0 {
			w.frame = frameSpec{start: &planpb.FrameBound{Kind: planpb.FrameBoundKind_UNBOUNDED_PRECEDING}, end: &planpb.FrameBound{Kind: planpb.FrameBoundKind_CURRENT_ROW}}
		} else {
			w.frame = frameSpec{rows: true, start: &planpb.FrameBound{Kind: planpb.FrameBoundKind_UNBOUNDED_PRECEDING}, end: &planpb.FrameBound{Kind: planpb.FrameBoundKind_UNBOUNDED_FOLLOWING}}
		}
		return nil
	}
	w.frame = frameSpec{rows: f.GetUnit() == planpb.FrameUnit_ROWS, start: f.GetStart(), end: f.GetEnd()}
	if w.frame.start == nil || w.frame.end == nil {
		return badPlan("window frame without bounds")
	}
	if w.frame.start.GetKind() == planpb.FrameBoundKind_UNBOUNDED_FOLLOWING || w.frame.end.GetKind() == planpb.FrameBoundKind_UNBOUNDED_PRECEDING {
		return badPlan("window frame from %s to %s", w.frame.start.GetKind(), w.frame.end.GetKind())
	}
	for _, b := range []*planpb.FrameBound{w.frame.start, w.frame.end} {
		k := b.GetKind()
		if (k == planpb.FrameBoundKind_PRECEDING || k == planpb.FrameBoundKind_FOLLOWING) && b.GetOffset() < 0 {
			return badPlan("window frame offset %d", b.GetOffset())
		}
		if !w.frame.rows && (k == planpb.FrameBoundKind_PRECEDING || k == planpb.FrameBoundKind_FOLLOWING) {
			if len(w.orderBy) != 1 {
				return badPlan("RANGE frame with an offset needs exactly one ORDER BY key, have %d", len(w.orderBy))
			}
			t := w.orderBy[0].Type()
			if !(t.IsNumeric() || t.Kind == types.Date) {
				return badPlan("RANGE frame with an offset over %s", t)
			}
		}
	}
	return nil
}

func (w *window) compileCall(pc *planpb.WindowCall, in []types.T) (*windowCall, error) {
	c := &windowCall{name: pc.GetName(), t: types.FromProto(pc.GetType())}
	for _, a := range pc.GetArgs() {
		e, err := expr.CompileEnv(a, in, w.env)
		if err != nil {
			return nil, err
		}
		c.args = append(c.args, e)
	}
	nargs := func(lo, hi int) error {
		if len(c.args) < lo || len(c.args) > hi {
			return badPlan("%d arguments", len(c.args))
		}
		return nil
	}
	constInt := func(k int) (int64, error) {
		v, ok := c.args[k].Constant()
		if !ok || !v.Type.IsInteger() || v.Type.Physical() != types.PhysInt64 || v.IsNull(0) {
			return 0, badPlan("argument %d must be an integer constant", k+1)
		}
		return v.Int64[0], nil
	}
	intResult := func() error {
		if c.t.Kind == types.Invalid {
			c.t = types.New(types.BigInt)
		}
		if !c.t.IsInteger() || c.t.Physical() != types.PhysInt64 {
			return badPlan("result type %s", c.t)
		}
		return nil
	}
	argResult := func() error {
		at := c.args[0].Type()
		if c.t.Kind == types.Invalid {
			c.t = at
		}
		if at.Kind != types.Null && !sameRepresentation(at, c.t) {
			return badPlan("result type %s for an argument of type %s", c.t, at)
		}
		return nil
	}
	var err error
	switch c.name {
	case "row_number", "rank", "dense_rank":
		if err = nargs(0, 0); err == nil {
			err = intResult()
		}
	case "ntile":
		if err = nargs(1, 1); err == nil {
			if c.offset, err = constInt(0); err == nil && c.offset <= 0 {
				err = badPlan("ntile(%d): the number of buckets must be positive", c.offset)
			}
			if err == nil {
				err = intResult()
			}
		}
	case "lag", "lead":
		if err = nargs(1, 3); err != nil {
			break
		}
		c.offset = 1
		if len(c.args) >= 2 {
			if c.offset, err = constInt(1); err == nil && c.offset < 0 {
				err = badPlan("%s offset %d", c.name, c.offset)
			}
		}
		if err == nil {
			err = argResult()
		}
		if err == nil && len(c.args) == 3 {
			if dt := c.args[2].Type(); dt.Kind != types.Null && !sameRepresentation(dt, c.t) {
				err = badPlan("default of type %s for a result of type %s", dt, c.t)
			}
		}
	case "first_value", "last_value", "min", "max":
		if err = nargs(1, 1); err == nil {
			err = argResult()
		}
	case "count":
		if err = nargs(0, 1); err == nil {
			err = intResult()
		}
	case "sum", "avg":
		if err = nargs(1, 1); err != nil {
			break
		}
		at := c.args[0].Type()
		switch {
		case at.IsFloat():
			c.sumType = types.New(types.Double)
		case at.IsInteger() || at.Kind == types.Boolean:
			c.sumType = types.New(types.LargeInt)
		case at.Kind == types.Decimal:
			c.sumType = types.DecimalOf(types.MaxDecimalPrecision, at.Scale)
		default:
			return nil, badPlan("%s of %s", c.name, at)
		}
		if c.t.Kind == types.Invalid {
			// Doris's result types, as the hash aggregation's.
			agg, err := expr.CompileAggregate(&planpb.AggregateCall{Name: c.name, Args: []*planpb.Expr{{Type: at.Proto(), Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{}}}}}, []types.T{at})
			if err != nil {
				return nil, err
			}
			c.t = agg.Type()
		}
		switch {
		case c.t.IsFloat():
		case c.t.Kind == types.Decimal && c.name == "avg":
		case c.sumType.IsFloat():
			err = badPlan("%s(%s) with result type %s", c.name, at, c.t)
		case c.t.Kind == types.Decimal && c.t.Scale >= c.sumType.Scale:
		case c.t.IsInteger() && c.sumType.Kind == types.LargeInt && c.name == "sum":
		default:
			err = badPlan("%s(%s) with result type %s", c.name, at, c.t)
		}
	default:
		return nil, badPlan("unknown window function")
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (w *window) Types() []types.T { return w.types }

func (w *window) Open(ctx context.Context) error {
	w.buf, w.pkeys, w.okeys = nil, nil, nil
	for _, t := range w.child.Types() {
		w.buf = append(w.buf, vector.NewWithCap(t, 0))
	}
	for _, e := range w.partBy {
		w.pkeys = append(w.pkeys, vector.NewWithCap(e.Type(), 0))
	}
	for _, e := range w.orderBy {
		w.okeys = append(w.okeys, vector.NewWithCap(e.Type(), 0))
	}
	for _, c := range w.calls {
		c.vals = nil
		for _, a := range c.args {
			c.vals = append(c.vals, vector.NewWithCap(a.Type(), 0))
		}
	}
	return w.child.Open(ctx)
}

func (w *window) Close() error {
	w.acct.releaseAll()
	w.buf, w.pkeys, w.okeys, w.out = nil, nil, nil, nil
	for _, c := range w.calls {
		c.vals = nil
	}
	return w.child.Close()
}

func (w *window) Next(ctx context.Context) (*vector.Batch, error) {
	for {
		if w.out != nil && w.pos < w.out.N {
			hi := min(w.out.N, w.pos+w.batchSize)
			cols := make([]*vector.Vector, len(w.out.Cols))
			for k, c := range w.out.Cols {
				cols[k] = c.Slice(w.pos, hi)
			}
			b := vector.NewBatch(cols, hi-w.pos)
			w.pos = hi
			return b, nil
		}
		w.out = nil
		if w.eof {
			if w.n == 0 {
				return nil, nil
			}
			if err := w.emit(w.n); err != nil {
				return nil, err
			}
			continue
		}
		b, err := w.child.Next(ctx)
		if err != nil {
			return nil, err
		}
		if b == nil {
			w.eof = true
			continue
		}
		if err := w.add(b); err != nil {
			return nil, err
		}
		if w.lastCut > 0 {
			if err := w.emit(w.lastCut); err != nil {
				return nil, err
			}
		}
	}
}

func appendEval(dst []*vector.Vector, es []*expr.Expr, b *vector.Batch, rows []int32) error {
	for k, e := range es {
		v, err := e.Eval(b)
		if err != nil {
			return err
		}
		dst[k].AppendRows(v, rows)
	}
	return nil
}

func (w *window) add(b *vector.Batch) error {
	rows := b.Rows(nil)
	if err := w.acct.reserve(batchBytes(b, rows)); err != nil {
		return fmt.Errorf("window buffer: %w", err)
	}
	for k, c := range b.Cols {
		w.buf[k].AppendRows(c, rows)
	}
	if err := appendEval(w.pkeys, w.partBy, b, rows); err != nil {
		return err
	}
	if err := appendEval(w.okeys, w.orderBy, b, rows); err != nil {
		return err
	}
	for _, c := range w.calls {
		if err := appendEval(c.vals, c.args, b, rows); err != nil {
			return err
		}
	}
	w.n += len(rows)
	for i := max(w.checked, 1); i < w.n; i++ {
		if !sameValues(w.pkeys, i, i-1) {
			w.lastCut = i
		}
	}
	w.checked = w.n
	return nil
}

// sameValues reports whether rows i and j of vs are equal (NULL equal to NULL).
func sameValues(vs []*vector.Vector, i, j int) bool {
	for _, v := range vs {
		if vector.CompareAt(v, i, v, j) != 0 {
			return false
		}
	}
	return true
}

// emit computes the functions over rows [0, p) (complete partitions), makes them the output and
// keeps the rows after p buffered.
func (w *window) emit(p int) error {
	results := make([]*vector.Vector, len(w.calls))
	for k, c := range w.calls {
		results[k] = vector.New(c.t, p)
	}
	idx := make([][]int32, len(w.calls)) // functions that pick a row: the row, -1 for NULL
	for ps := 0; ps < p; {
		pe := ps + 1
		for pe < p && sameValues(w.pkeys, pe, ps) {
			pe++
		}
		if err := w.partition(ps, pe, results, idx); err != nil {
			return err
		}
		ps = pe
	}
	cols := make([]*vector.Vector, 0, len(w.types))
	for _, c := range w.buf {
		cols = append(cols, c.Slice(0, p))
	}
	for k, c := range w.calls {
		if idx[k] != nil {
			results[k] = gatherOrNull(c.vals[0], idx[k], c.t)
			if len(c.vals) == 3 { // lag/lead default, evaluated at the current row
				for r, i := range idx[k] {
					if i < 0 {
						copyValue(results[k], r, c.vals[2], r)
					}
				}
			}
		}
		cols = append(cols, results[k])
	}
	w.out, w.pos = vector.NewBatch(cols, p), 0
	keep := func(vs []*vector.Vector) {
		for k, v := range vs {
			vs[k] = v.Slice(p, w.n)
		}
	}
	keep(w.buf)
	keep(w.pkeys)
	keep(w.okeys)
	for _, c := range w.calls {
		keep(c.vals)
	}
	if w.acct.mem != nil && w.n > 0 { // the emitted rows' share of the buffer is given back
		give := w.acct.reserved * int64(p) / int64(w.n)
		w.acct.mem.Release(give)
		w.acct.reserved -= give
	}
	w.n -= p
	w.lastCut = max(w.lastCut-p, 0)
	w.checked = w.n
	return nil
}

// gatherOrNull returns the rows idx of v (NULL where idx < 0) as type t.
func gatherOrNull(v *vector.Vector, idx []int32, t types.T) *vector.Vector {
	out := vector.New(t, len(idx))
	if v.Type.Kind == types.Null {
		return nullColumns([]types.T{t}, len(idx))[0]
	}
	for k, i := range idx {
		if i < 0 || v.IsNull(int(i)) {
			out.SetNull(k)
			continue
		}
		switch t.Physical() {
		case types.PhysInt64:
			out.Int64[k] = v.Int64[i]
		case types.PhysInt128:
			out.Int128[k] = v.Int128[i]
		case types.PhysFloat64:
			out.Float64[k] = v.Float64[i]
		default:
			out.Bytes[k] = v.Bytes[i]
		}
	}
	return out
}

// partition computes every function over the partition of rows [ps, pe).
func (w *window) partition(ps, pe int, results []*vector.Vector, idx [][]int32) error {
	m := pe - ps
	// peer groups: peerStart[i], peerEnd[i] (partition-relative) of row ps+i
	peerStart, peerEnd := make([]int32, m), make([]int32, m)
	for i := 0; i < m; {
		j := i + 1
		for j < m && sameValues(w.okeys, ps+j, ps+i) {
			j++
		}
		for x := i; x < j; x++ {
			peerStart[x], peerEnd[x] = int32(i), int32(j)
		}
		i = j
	}
	var fs, fe []int32 // frame of each row, [fs, fe) partition-relative; computed on demand
	frames := func() error {
		if fs == nil {
			var err error
			fs, fe, err = w.frames(ps, m, peerStart, peerEnd)
			return err
		}
		return nil
	}
	for k, c := range w.calls {
		out := results[k]
		switch c.name {
		case "row_number":
			for i := range m {
				out.Int64[ps+i] = int64(i + 1)
			}
		case "rank":
			for i := range m {
				out.Int64[ps+i] = int64(peerStart[i] + 1)
			}
		case "dense_rank":
			r := int64(0)
			for i := range m {
				if peerStart[i] == int32(i) {
					r++
				}
				out.Int64[ps+i] = r
			}
		case "ntile":
			n := c.offset
			q, rem := int64(m)/n, int64(m)%n
			for i := range int64(m) {
				if i < rem*(q+1) {
					out.Int64[ps+int(i)] = i/(q+1) + 1
				} else {
					out.Int64[ps+int(i)] = rem + (i-rem*(q+1))/q + 1
				}
			}
		case "lag", "lead":
			if idx[k] == nil {
				idx[k] = make([]int32, out.Len())
			}
			off := c.offset
			if c.name == "lag" {
				off = -off
			}
			for i := range m {
				src := int64(i) + off
				if src >= 0 && src < int64(m) {
					idx[k][ps+i] = int32(ps) + int32(src)
				} else {
					idx[k][ps+i] = -1
				}
			}
		case "first_value", "last_value":
			if err := frames(); err != nil {
				return err
			}
			if idx[k] == nil {
				idx[k] = make([]int32, out.Len())
			}
			for i := range m {
				switch {
				case fs[i] >= fe[i]:
					idx[k][ps+i] = -1
				case c.name == "first_value":
					idx[k][ps+i] = int32(ps) + fs[i]
				default:
					idx[k][ps+i] = int32(ps) + fe[i] - 1
				}
			}
		default:
			if err := frames(); err != nil {
				return err
			}
			if err := w.frameAggregate(c, ps, m, fs, fe, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// frames computes each row's frame, [fs[i], fe[i]) relative to the partition.
func (w *window) frames(ps, m int, peerStart, peerEnd []int32) (fs, fe []int32, err error) {
	fs, fe = make([]int32, m), make([]int32, m)
	f := w.frame
	var rk *rangeKeys
	if !f.rows && (isOffset(f.start) || isOffset(f.end)) {
		rk = newRangeKeys(w.okeys[0], ps, m, w.desc[0])
	}
	bound := func(b *planpb.FrameBound, i int, isEnd bool) int {
		add := 0
		if isEnd {
			add = 1
		}
		off := int(min(b.GetOffset(), int64(m)+1))
		switch b.GetKind() {
		case planpb.FrameBoundKind_UNBOUNDED_PRECEDING:
			return 0
		case planpb.FrameBoundKind_UNBOUNDED_FOLLOWING:
			return m
		case planpb.FrameBoundKind_CURRENT_ROW:
			if f.rows {
				return i + add
			}
			if isEnd {
				return int(peerEnd[i])
			}
			return int(peerStart[i])
		}
		if f.rows {
			if b.GetKind() == planpb.FrameBoundKind_PRECEDING {
				return i - off + add
			}
			return i + off + add
		}
		return rk.bound(i, b, isEnd, peerStart, peerEnd)
	}
	for i := range m {
		s := min(max(bound(f.start, i, false), 0), m)
		e := min(max(bound(f.end, i, true), 0), m)
		fs[i], fe[i] = int32(s), int32(max(e, s))
	}
	return fs, fe, nil
}

func isOffset(b *planpb.FrameBound) bool {
	return b.GetKind() == planpb.FrameBoundKind_PRECEDING || b.GetKind() == planpb.FrameBoundKind_FOLLOWING
}

// rangeKeys holds a partition's single ORDER BY key for RANGE offsets, normalised to ascending
// (descending keys negated), as exact 128-bit values or floats.
type rangeKeys struct {
	t       types.T
	exact   []types.Int128
	floats  []float64
	null    []bool
	nnStart int // non-NULL rows are [nnStart, nnEnd)
	nnEnd   int
	neg     bool
}

func newRangeKeys(v *vector.Vector, ps, m int, desc bool) *rangeKeys {
	rk := &rangeKeys{t: v.Type, null: make([]bool, m), neg: desc, nnStart: m, nnEnd: 0}
	float := v.Type.IsFloat()
	if float {
		rk.floats = make([]float64, m)
	} else {
		rk.exact = make([]types.Int128, m)
	}
	for i := range m {
		r := ps + i
		if v.IsNull(r) {
			rk.null[i] = true
			continue
		}
		rk.nnStart, rk.nnEnd = min(rk.nnStart, i), max(rk.nnEnd, i+1)
		switch {
		case float:
			rk.floats[i] = v.Float64[r]
			if desc {
				rk.floats[i] = -rk.floats[i]
			}
		case v.Type.Physical() == types.PhysInt128:
			rk.exact[i] = v.Int128[r]
		default:
			rk.exact[i] = types.I128(v.Int64[r])
		}
		if desc && !float {
			rk.exact[i] = rk.exact[i].Neg()
		}
	}
	return rk
}

// bound is the frame bound of row i for an offset bound b: the first row (start) or one past the
// last row (end) whose key is within the offset. A NULL key's frame is its peer group.
func (rk *rangeKeys) bound(i int, b *planpb.FrameBound, isEnd bool, peerStart, peerEnd []int32) int {
	if rk.null[i] {
		if isEnd {
			return int(peerEnd[i])
		}
		return int(peerStart[i])
	}
	sign := int64(1)
	if b.GetKind() == planpb.FrameBoundKind_PRECEDING {
		sign = -1
	}
	lo, hi := rk.nnStart, rk.nnEnd
	if rk.floats != nil {
		target := rk.floats[i] + float64(sign)*float64(b.GetOffset())
		return lo + sort.Search(hi-lo, func(x int) bool {
			if isEnd {
				return rk.floats[lo+x] > target
			}
			return rk.floats[lo+x] >= target
		})
	}
	off := new(big.Int).Mul(big.NewInt(b.GetOffset()), big.NewInt(sign))
	if rk.t.Kind == types.Decimal {
		off.Mul(off, types.Pow10(rk.t.Scale).Big())
	}
	target := new(big.Int).Add(rk.exact[i].Big(), off)
	tv, ok := types.Int128FromBig(target)
	if !ok { // beyond every key
		if target.Sign() < 0 {
			return lo
		}
		return hi
	}
	return lo + sort.Search(hi-lo, func(x int) bool {
		c := rk.exact[lo+x].Cmp(tv)
		if isEnd {
			return c > 0
		}
		return c >= 0
	})
}

// frameAggregate computes count, sum, avg, min or max of c over each row's frame.
func (w *window) frameAggregate(c *windowCall, ps, m int, fs, fe []int32, out *vector.Vector) error {
	var v *vector.Vector
	if len(c.vals) > 0 {
		v = c.vals[0]
	}
	notNull := func(i int) bool { return v == nil || (v.Type.Kind != types.Null && !v.IsNull(ps+i)) }
	// prefix counts of non-NULL values
	cnt := make([]int64, m+1)
	for i := range m {
		cnt[i+1] = cnt[i]
		if notNull(i) {
			cnt[i+1]++
		}
	}
	switch c.name {
	case "count":
		for i := range m {
			out.Int64[ps+i] = cnt[fe[i]] - cnt[fs[i]]
		}
		return nil
	case "min", "max":
		return w.frameMinMax(c.name == "max", v, ps, m, fs, fe, out)
	}
	if c.sumType.IsFloat() {
		pre := make([]float64, m+1)
		for i := range m {
			pre[i+1] = pre[i]
			if notNull(i) {
				pre[i+1] += v.Float64[ps+i]
			}
		}
		for i := range m {
			n := cnt[fe[i]] - cnt[fs[i]]
			if n == 0 {
				out.SetNull(ps + i)
				continue
			}
			s := pre[fe[i]] - pre[fs[i]]
			if fs[i] == 0 {
				s = pre[fe[i]]
			}
			if c.name == "avg" {
				s /= float64(n)
			}
			out.Float64[ps+i] = s
		}
		return nil
	}
	// exact: prefix sums of unscaled values in 128 bits
	pre := make([]types.Int128, m+1)
	for i := range m {
		pre[i+1] = pre[i]
		if !notNull(i) {
			continue
		}
		var x types.Int128
		if v.Type.Physical() == types.PhysInt128 {
			x = v.Int128[ps+i]
		} else {
			x = types.I128(v.Int64[ps+i])
		}
		r := pre[i].Add(x)
		if pre[i].Sign() == x.Sign() && x.Sign() != 0 && r.Sign() != x.Sign() {
			return &expr.RangeError{Type: c.sumType}
		}
		pre[i+1] = r
	}
	sums := vector.New(c.sumType, m)
	counts := vector.New(types.New(types.BigInt), m)
	for i := range m {
		counts.Int64[i] = cnt[fe[i]] - cnt[fs[i]]
		if counts.Int64[i] == 0 {
			sums.SetNull(i)
			continue
		}
		sums.Int128[i] = pre[fe[i]].Sub(pre[fs[i]])
	}
	res, err := exactResult(c, sums, counts)
	if err != nil {
		return err
	}
	for i := range m {
		if res.IsNull(i) {
			out.SetNull(ps + i)
			continue
		}
		switch out.Type.Physical() {
		case types.PhysInt64:
			out.Int64[ps+i] = res.Int64[i]
		case types.PhysInt128:
			out.Int128[ps+i] = res.Int128[i]
		default:
			out.Float64[ps+i] = res.Float64[i]
		}
	}
	return nil
}

// exactResult turns exact frame sums (c.sumType: LARGEINT or DECIMAL(38, argument scale)) and
// counts into sum or avg values of c's result type, with compute/expr's arithmetic (exact
// DECIMAL division rounded half away from zero, overflow as expr.ErrOutOfRange).
func exactResult(c *windowCall, sums, counts *vector.Vector) (*vector.Vector, error) {
	b := vector.NewBatch([]*vector.Vector{sums, counts}, sums.Len())
	col := func(i int, t types.T) *planpb.Expr {
		return &planpb.Expr{Type: t.Proto(), Nullable: true, Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(i)}}}
	}
	var e *planpb.Expr
	switch {
	case c.name == "avg":
		e = &planpb.Expr{Type: c.t.Proto(), Nullable: true, Kind: &planpb.Expr_Call{Call: &planpb.Call{Name: "divide", Args: []*planpb.Expr{col(0, sums.Type), col(1, counts.Type)}}}}
	case c.t.IsFloat():
		e = &planpb.Expr{Type: c.t.Proto(), Nullable: true, Kind: &planpb.Expr_Call{Call: &planpb.Call{Name: "cast", Args: []*planpb.Expr{col(0, sums.Type)}}}}
	default:
		// sum: the exact value in the result type, an error when it does not fit
		out := vector.New(c.t, sums.Len())
		scaleUp := types.I128(1)
		if c.t.Kind == types.Decimal {
			scaleUp = types.Pow10(c.t.Scale - sums.Type.Scale)
		}
		for i := range sums.Len() {
			if sums.IsNull(i) {
				out.SetNull(i)
				continue
			}
			x, ok := sums.Int128[i].Mul(scaleUp)
			if ok && c.t.Kind == types.Decimal {
				m := types.MaxUnscaled(c.t.Precision)
				ok = x.Cmp(m) <= 0 && x.Cmp(m.Neg()) >= 0
			}
			if ok && out.Int64 != nil {
				ok = x.IsInt64()
				if ok && c.t.IsInteger() {
					lo, hi := types.IntegerRange(c.t.Kind)
					ok = x.Int64() >= lo && x.Int64() <= hi
				}
				out.Int64[i] = x.Int64()
			} else if ok {
				out.Int128[i] = x
			}
			if !ok {
				return nil, &expr.RangeError{Type: c.t}
			}
		}
		return out, nil
	}
	ce, err := expr.Compile(e, []types.T{sums.Type, counts.Type})
	if err != nil {
		return nil, err
	}
	return ce.Eval(b)
}

// frameMinMax computes min or max over monotone frames with a deque of candidate rows; frames
// that move backwards (they do not, for sorted input) fall back to a scan.
func (w *window) frameMinMax(isMax bool, v *vector.Vector, ps, m int, fs, fe []int32, out *vector.Vector) error {
	if v.Type.Kind == types.Null {
		for i := range m {
			out.SetNull(ps + i)
		}
		return nil
	}
	cmp := vector.Comparator(v)
	better := func(a, b int) bool { // a beats b
		c := cmp(ps+a, ps+b)
		if isMax {
			return c > 0
		}
		return c < 0
	}
	var dq []int
	pushed := 0 // rows [0, pushed) have been offered
	idx := make([]int32, m)
	for i := range m {
		s, e := int(fs[i]), int(fe[i])
		if i > 0 && (s < int(fs[i-1]) || e < int(fe[i-1])) || pushed > e {
			dq, pushed = dq[:0], s
		}
		if pushed < s {
			pushed = s
		}
		for ; pushed < e; pushed++ {
			if v.IsNull(ps + pushed) {
				continue
			}
			for len(dq) > 0 && !better(dq[len(dq)-1], pushed) {
				dq = dq[:len(dq)-1]
			}
			dq = append(dq, pushed)
		}
		for len(dq) > 0 && dq[0] < s {
			dq = dq[1:]
		}
		if len(dq) == 0 {
			idx[i] = -1
		} else {
			idx[i] = int32(ps + dq[0])
		}
	}
	res := gatherOrNull(v, idx, out.Type)
	for i := range m {
		if res.IsNull(i) {
			out.SetNull(ps + i)
			continue
		}
		switch out.Type.Physical() {
		case types.PhysInt64:
			out.Int64[ps+i] = res.Int64[i]
		case types.PhysInt128:
			out.Int128[ps+i] = res.Int128[i]
		case types.PhysFloat64:
			out.Float64[ps+i] = res.Float64[i]
		default:
			out.Bytes[ps+i] = res.Bytes[i]
		}
	}
	return nil
}

// copyValue sets dst[i] to src[j] (NULL included); both have dst's physical type unless src is
// of type NULL.
func copyValue(dst *vector.Vector, i int, src *vector.Vector, j int) {
	if src.Type.Kind == types.Null || src.IsNull(j) {
		dst.SetNull(i)
		return
	}
	if dst.Nulls != nil {
		dst.Nulls.Clear(i)
	}
	switch dst.Type.Physical() {
	case types.PhysInt64:
		dst.Int64[i] = src.Int64[j]
	case types.PhysInt128:
		dst.Int128[i] = src.Int128[j]
	case types.PhysFloat64:
		dst.Float64[i] = src.Float64[j]
	default:
		dst.Bytes[i] = src.Bytes[j]
	}
}
