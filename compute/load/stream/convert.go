package stream

import (
	"errors"
	"fmt"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/loadpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/load/format"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// ErrUnsupported classifies loads this build cannot run.
var ErrUnsupported = errors.New("not supported")

// router assigns rows of a batch of table rows to the plan's partitions: part[k] is the index in
// sink.partitions of row rows[k], or -1 when no partition the load may write holds it. It is the
// one place where rows meet partitioning.
type router func(b *vector.Batch, rows []int32, part []int32)

// newRouter builds the router of a plan.
func newRouter(sink *computepb.TabletSink) (router, error) {
	switch n := len(sink.GetPartitions()); n {
	case 0:
		return nil, fmt.Errorf("the load plan has no partition to write")
	case 1:
		return func(_ *vector.Batch, rows []int32, part []int32) {
			for k := range rows {
				part[k] = 0
			}
		}, nil
	default:
		return nil, fmt.Errorf("stream load into %d partitions (the load plan carries no partition bounds yet): %w", n, ErrUnsupported)
	}
}

// converter turns chunks of source text into table rows, one accumulator per partition. See the
// package doc for the rules.
type converter struct {
	cols     []*commonpb.Column
	types    []types.T
	targets  []*expr.Expr
	direct   []int // source column a target takes as is; -1 for an expression or a default
	source   []int // a source column the target reads (for error positions); -1 none
	where    *expr.Expr
	strict   bool
	route    router
	parts    []*accum
	filtered int64
	unsel    int64
	loaded   int64
}

// accum holds the converted rows of one partition.
type accum struct {
	cols []*vector.Vector
	n    int
}

func newConverter(plan *loadpb.PlanResponse, strict bool) (*converter, error) {
	sink := plan.GetSink()
	cols := sink.GetSchema().GetColumns()
	if len(plan.GetTargets()) != len(cols) {
		return nil, fmt.Errorf("BUG: load plan has %d targets for %d columns", len(plan.GetTargets()), len(cols))
	}
	route, err := newRouter(sink)
	if err != nil {
		return nil, err
	}
	c := &converter{cols: cols, strict: strict, route: route}
	src := make([]types.T, len(plan.GetSourceColumns()))
	for i := range src {
		src[i] = types.New(types.String)
	}
	for i, t := range plan.GetTargets() {
		ct := types.FromProto(cols[i].GetType())
		e, err := expr.Compile(t, src)
		if err != nil {
			return nil, fmt.Errorf("column %s of the load plan: %w", cols[i].GetName(), err)
		}
		if !expr.CanCast(e.Type(), ct) {
			return nil, fmt.Errorf("column %s: the columns header gives %s, which cannot be stored in %s", cols[i].GetName(), e.Type(), ct)
		}
		c.types = append(c.types, ct)
		c.targets = append(c.targets, e)
		d := -1
		if ref := t.GetColumn(); ref != nil {
			d = int(ref.GetIndex())
		}
		c.direct = append(c.direct, d)
		c.source = append(c.source, firstColumn(t))
	}
	if w := plan.GetWhere(); w != nil {
		if c.where, err = expr.Compile(w, c.types); err != nil {
			return nil, fmt.Errorf("where of the load plan: %w", err)
		}
	}
	for range sink.GetPartitions() {
		a := &accum{cols: make([]*vector.Vector, len(cols))}
		for i, t := range c.types {
			a.cols[i] = vector.NewWithCap(t, 1024)
		}
		c.parts = append(c.parts, a)
	}
	return c, nil
}

// firstColumn is the first column an expression reads, or -1.
func firstColumn(e *planpb.Expr) int {
	if ref := e.GetColumn(); ref != nil {
		return int(ref.GetIndex())
	}
	for _, a := range e.GetCall().GetArgs() {
		if i := firstColumn(a); i >= 0 {
			return i
		}
	}
	return -1
}

// convert adds the rows of ch to the accumulators and returns the rows it rejected.
func (c *converter) convert(ch *format.Chunk) []format.RowError {
	errs := append([]format.RowError(nil), ch.Errors...)
	c.filtered += int64(len(ch.Errors))
	n := ch.N
	if n == 0 {
		return errs
	}
	src := vector.NewBatch(ch.Cols, n)
	bad := make([]bool, n)
	reject := func(r, col int, name, value, reason string) {
		if bad[r] {
			return
		}
		bad[r] = true
		e := format.RowError{Line: ch.Lines[r], Column: col, Name: name, Value: value, Reason: reason, Raw: format.Truncate(ch.Raw[r])}
		errs = append(errs, e)
	}
	all := vector.Identity(nil, n)
	out := make([]*vector.Vector, len(c.targets))
	for i, t := range c.targets {
		name := c.cols[i].GetName()
		pos := c.source[i] + 1
		if pos == 0 {
			pos = i + 1
		}
		v, err := t.Eval(src)
		if err != nil {
			v = c.evalRows(t, src, bad, func(r int, err error) { reject(r, pos, name, "", err.Error()) })
		}
		to := c.types[i]
		o := expr.Cast(v, all, to)
		out[i] = o
		for r := range n {
			if bad[r] {
				continue
			}
			srcNull, dstNull := v.IsNull(r), o.IsNull(r)
			switch {
			case !srcNull && dstNull && (c.strict || !c.cols[i].GetNullable()):
				reason := fmt.Sprintf("invalid value for %s", to)
				if c.strict && c.cols[i].GetNullable() {
					reason += " (strict mode)"
				}
				reject(r, pos, name, c.valueText(i, v, ch, r), reason)
			case dstNull && !c.cols[i].GetNullable():
				reject(r, pos, name, "", "NULL value for NOT NULL column")
			case !dstNull:
				if why := fits(to, o, r); why != "" {
					reject(r, pos, name, c.valueText(i, v, ch, r), why)
				}
			}
		}
	}
	good := make([]int32, 0, n)
	for r := range n {
		if !bad[r] {
			good = append(good, int32(r))
		}
	}
	rows := vector.NewBatch(out, n)
	if c.where != nil && len(good) > 0 {
		rows.Sel = good
		w, err := c.where.Eval(rows)
		if err != nil {
			w = c.evalRows(c.where, rows, bad, func(r int, err error) { reject(r, 1, "where", "", err.Error()) })
		}
		kept := good[:0]
		for _, r := range good {
			switch {
			case bad[r]:
			case w.IsNull(int(r)) || w.Int64[r] == 0:
				c.unsel++
			default:
				kept = append(kept, r)
			}
		}
		good = kept
		rows.Sel = nil
	}
	part := make([]int32, len(good))
	c.route(rows, good, part)
	byPart := make([][]int32, len(c.parts))
	for k, r := range good {
		p := part[k]
		if p < 0 || int(p) >= len(c.parts) {
			reject(int(r), 1, "", "", "no partition for this tuple")
			continue
		}
		byPart[p] = append(byPart[p], r)
	}
	for p, sel := range byPart {
		if len(sel) == 0 {
			continue
		}
		a := c.parts[p]
		for i, col := range a.cols {
			col.AppendRows(out[i], sel)
		}
		a.n += len(sel)
		c.loaded += int64(len(sel))
	}
	c.filtered += int64(len(errs) - len(ch.Errors))
	return errs
}

// evalRows evaluates e row by row (after a batch evaluation failed), reporting the rows that fail.
func (c *converter) evalRows(e *expr.Expr, b *vector.Batch, bad []bool, fail func(int, error)) *vector.Vector {
	out := vector.NewWithCap(e.Type(), b.N)
	one := []int32{0}
	for r := range b.N {
		if bad[r] {
			out.AppendNull()
			continue
		}
		one[0] = int32(r)
		v, err := e.EvalRows(b, one)
		if err != nil {
			fail(r, err)
			out.AppendNull()
			continue
		}
		out.AppendRows(v, one)
	}
	return out
}

// valueText is the value a rejected row had for target i: the source text for a column taken as
// is, the expression's result otherwise.
func (c *converter) valueText(i int, v *vector.Vector, ch *format.Chunk, r int) string {
	if d := c.direct[i]; d >= 0 && !ch.Cols[d].IsNull(r) {
		return string(ch.Cols[d].Bytes[r])
	}
	return v.Format(r)
}

var (
	minDate = types.DaysFromCivil(0, 1, 1)
	maxDate = types.DaysFromCivil(9999, 12, 31)
)

// fits says why row r of v (a non-NULL value of type t) cannot be stored, or "".
func fits(t types.T, v *vector.Vector, r int) string {
	switch t.Kind {
	case types.Boolean, types.TinyInt, types.SmallInt, types.Int:
		lo, hi := types.IntegerRange(t.Kind)
		if x := v.Int64[r]; x < lo || x > hi {
			return fmt.Sprintf("value %d out of range for %s", x, t)
		}
	case types.Decimal:
		var x types.Int128
		if t.Physical() == types.PhysInt128 {
			x = v.Int128[r]
		} else {
			x = types.I128(v.Int64[r])
		}
		if m := types.MaxUnscaled(t.Precision); x.Cmp(m) > 0 || x.Cmp(m.Neg()) < 0 {
			return fmt.Sprintf("value out of range for %s", t)
		}
	case types.Date:
		if x := v.Int64[r]; x < minDate || x > maxDate {
			return fmt.Sprintf("date out of range for %s", t)
		}
	case types.DateTime:
		const day = 86400 * 1_000_000
		if x := v.Int64[r]; x < minDate*day || x >= (maxDate+1)*day {
			return fmt.Sprintf("datetime out of range for %s", t)
		}
	case types.Char, types.Varchar:
		if t.Length > 0 && len(v.Bytes[r]) > int(t.Length) {
			return fmt.Sprintf("the length of input is too long than schema: %d bytes for %s", len(v.Bytes[r]), t)
		}
	}
	return ""
}

func typeOf(c *commonpb.Column) types.T { return types.FromProto(c.GetType()) }
