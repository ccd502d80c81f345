package stream

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/loadpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/load/format"
	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// router assigns the rows of a batch of table rows to the load's partitions (the converter's
// accumulators, in order). It is the one place where rows meet partitioning: package
// compute/partition, over the bounds the plan carries.
type router struct {
	pt    *loadpb.Partitioning // nil: unpartitioned
	kind  partition.Kind
	cols  []int    // the partition columns: indexes into the schema; nil: unpartitioned
	names []string // their names
	r     *partition.Router
}

// newRouter builds the router over the bounds of parts (nil partitioning: an unpartitioned
// table, whose one partition takes every row).
func newRouter(pt *loadpb.Partitioning, cols []*commonpb.Column, parts []*accum) (*router, error) {
	if pt == nil {
		if len(parts) != 1 {
			return nil, fmt.Errorf("BUG: the load plan of an unpartitioned table has %d partitions", len(parts))
		}
		return &router{}, nil
	}
	spec := partition.Spec{Kind: partition.Kind(pt.GetKind())}
	if spec.Kind != partition.Range && spec.Kind != partition.List {
		return nil, fmt.Errorf("BUG: the load plan has partitioning kind %q", pt.GetKind())
	}
	r := &router{pt: pt, kind: spec.Kind}
	for _, c := range pt.GetColumns() {
		if c < 0 || int(c) >= len(cols) {
			return nil, fmt.Errorf("BUG: the load plan has partition column %d of %d columns", c, len(cols))
		}
		r.cols = append(r.cols, int(c))
		r.names = append(r.names, cols[c].GetName())
		spec.Types = append(spec.Types, typeOf(cols[c]))
	}
	if len(r.cols) == 0 {
		return nil, fmt.Errorf("BUG: the load plan's partitioning has no column")
	}
	bounds := make([]*partition.Bounds, len(parts))
	for i, a := range parts {
		if a.bounds == nil {
			return nil, fmt.Errorf("BUG: partition %s of the load plan has no bounds", a.name)
		}
		bounds[i] = a.bounds
	}
	var err error
	if r.r, err = partition.NewRouter(spec, bounds); err != nil {
		return nil, fmt.Errorf("BUG: the partitions of the load plan: %w", err)
	}
	return r, nil
}

// route sets out[i], for every row i of b (no selection), to the index of the partition that
// holds it, or -1 when none of the load's partitions does.
func (r *router) route(b *vector.Batch, out []int32) {
	if r.r == nil {
		clear(out[:b.N])
		return
	}
	r.r.Route(r.columns(b), b.N, out)
}

// columns are the partition columns' vectors of b.
func (r *router) columns(b *vector.Batch) []*vector.Vector {
	cols := make([]*vector.Vector, len(r.cols))
	for i, c := range r.cols {
		cols[i] = b.Cols[c]
	}
	return cols
}

// key is row i's partition key, as the auto partition request carries it.
func (r *router) key(b *vector.Batch, i int) *loadpb.Key {
	k := &loadpb.Key{}
	for _, c := range r.cols {
		v := b.Cols[c]
		if v.IsNull(i) {
			k.Values = append(k.Values, &loadpb.Value{Null: true})
		} else {
			k.Values = append(k.Values, &loadpb.Value{Text: v.Format(i)})
		}
	}
	return k
}

// reason says why row i of b was filtered: Doris's "no partition for value", naming the values
// of the partition columns and, for a load the `partitions` header restricted, its partitions.
func (r *router) reason(b *vector.Batch, i int, restrict []string) string {
	vals := make([]string, len(r.cols))
	for k, c := range r.cols {
		if v := b.Cols[c]; v.IsNull(i) {
			vals[k] = "NULL"
		} else {
			vals[k] = format.Quote(v.Format(i))
		}
	}
	msg := "no partition for value " + vals[0] + " of column '" + r.names[0] + "'"
	if len(vals) > 1 {
		msg = "no partition for value (" + strings.Join(vals, ", ") + ") of columns '" + strings.Join(r.names, "', '") + "'"
	}
	if len(restrict) > 0 {
		msg += " in partitions " + strings.Join(restrict, ", ")
	}
	return msg
}

// fromPB converts bounds of the plan to package partition's.
func fromPB(b *loadpb.Bounds) *partition.Bounds {
	if b == nil {
		return nil
	}
	key := func(vs []*loadpb.Value) partition.Key {
		k := make(partition.Key, len(vs))
		for i, v := range vs {
			k[i] = partition.Value{Text: v.GetText(), Null: v.GetNull(), Max: v.GetMax()}
		}
		return k
	}
	out := &partition.Bounds{Lower: key(b.GetLower()), Upper: key(b.GetUpper())}
	for _, k := range b.GetIn() {
		out.In = append(out.In, key(k.GetValues()))
	}
	return out
}

// converter turns chunks of source text into table rows, one accumulator per partition. See the
// package doc for the rules.
type converter struct {
	cols    []*commonpb.Column
	types   []types.T
	limits  []limit // per column, what its values must stay within
	targets []*expr.Expr
	direct  []int // source column a target takes as is; -1 for an expression or a default
	source  []int // a source column the target reads (for error positions); -1 none
	where   *expr.Expr
	strict  bool
	route   *router
	parts   []*accum
	byID    map[int64]int // partition id → index in parts
	// restrict names the partitions the `partitions` header limited the load to (nil: none).
	restrict []string
	// create asks the frontend for the partitions that hold keys no partition of parts holds
	// (POST /api/_auto_partitions); nil unless the table has AUTO PARTITION and the load is not
	// restricted.
	create   func(keys []*loadpb.Key) (*loadpb.AutoPartitionResponse, error)
	filtered int64
	unsel    int64
	loaded   int64
}

// accum holds the converted rows of one partition not yet handed to its writer: the pieces each
// chunk gave (a load hands them over after every chunk; group commit keeps them until its batch
// commits). n counts every row the partition got.
type accum struct {
	sink   *computepb.PartitionSink // the partition's id and tablets
	name   string
	bounds *partition.Bounds // nil for the implicit partition of an unpartitioned table
	types  []types.T
	pieces [][]*vector.Vector // column sets, in load order; piece k holds sizes[k] rows
	sizes  []int
	n      int
}

// newAccum returns an empty accumulator for a partition of a table with these columns.
func newAccum(sink *computepb.PartitionSink, name string, bounds *partition.Bounds, cols []*commonpb.Column) *accum {
	a := &accum{sink: sink, name: name, bounds: bounds, types: make([]types.T, len(cols))}
	for i, c := range cols {
		a.types[i] = typeOf(c)
	}
	return a
}

// add appends rows rows held by cols (one vector per column, rows [0, rows) of each); the
// accumulator keeps the vectors, so the caller must not change them.
func (a *accum) add(cols []*vector.Vector, rows int) {
	a.pieces = append(a.pieces, cols)
	a.sizes = append(a.sizes, rows)
	a.n += rows
}

// addAll appends the rows of o (which is not used afterwards).
func (a *accum) addAll(o *accum) {
	a.pieces = append(a.pieces, o.pieces...)
	a.sizes = append(a.sizes, o.sizes...)
	a.n += o.n
}

// planPartitions are the accumulators of the partitions the plan may write, empty, in the order
// of sink.partitions.
func planPartitions(plan *loadpb.PlanResponse) ([]*accum, error) {
	sink := plan.GetSink()
	infos := plan.GetPartitions()
	if len(infos) != 0 && len(infos) != len(sink.GetPartitions()) {
		return nil, fmt.Errorf("BUG: the load plan describes %d of its %d partitions", len(infos), len(sink.GetPartitions()))
	}
	var out []*accum
	for i, ps := range sink.GetPartitions() {
		name := partitionName(plan, i)
		var bounds *partition.Bounds
		if len(infos) > 0 {
			if infos[i].GetId() != ps.GetPartitionId() {
				return nil, fmt.Errorf("BUG: partition %d of the load plan is %d in the sink, %d in the bounds", i, ps.GetPartitionId(), infos[i].GetId())
			}
			bounds = fromPB(infos[i].GetBounds())
		}
		out = append(out, newAccum(ps, name, bounds, sink.GetSchema().GetColumns()))
	}
	return out, nil
}

// newConverter returns the converter of a load. create (see converter.create) is used only for
// an AUTO PARTITION table and a load the `partitions` header does not restrict.
func newConverter(plan *loadpb.PlanResponse, strict bool, create func([]*loadpb.Key) (*loadpb.AutoPartitionResponse, error)) (*converter, error) {
	sink := plan.GetSink()
	cols := sink.GetSchema().GetColumns()
	if len(plan.GetTargets()) != len(cols) {
		return nil, fmt.Errorf("BUG: load plan has %d targets for %d columns", len(plan.GetTargets()), len(cols))
	}
	parts, err := planPartitions(plan)
	if err != nil {
		return nil, err
	}
	pt := plan.GetPartitioning()
	if len(parts) == 0 && !pt.GetAuto() {
		return nil, fmt.Errorf("the load plan has no partition to write")
	}
	route, err := newRouter(pt, cols, parts)
	if err != nil {
		return nil, err
	}
	c := &converter{cols: cols, strict: strict, route: route, parts: parts, byID: map[int64]int{}}
	for i, a := range parts {
		c.byID[a.sink.GetPartitionId()] = i
	}
	if plan.GetPartitionsRestricted() {
		c.restrict = plan.GetPartitionNames()
	} else if pt.GetAuto() {
		c.create = create
	}
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
		c.limits = append(c.limits, newLimit(ct))
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

// convert adds the rows of ch to the accumulators and returns the rows it rejected. An error
// (the frontend could not create the partitions the rows need) fails the load.
func (c *converter) convert(ch *format.Chunk) ([]format.RowError, error) {
	errs := append([]format.RowError(nil), ch.Errors...)
	c.filtered += int64(len(ch.Errors))
	n := ch.N
	if n == 0 {
		return errs, nil
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
		var o *vector.Vector
		if c.direct[i] >= 0 && v.Type.IsString() && fastCastable(to) {
			o = fastCast(v, n, to)
		} else {
			o = expr.Cast(v, all, to)
		}
		out[i] = o
		nullable := c.cols[i].GetNullable()
		lim := c.limits[i]
		for r := range n {
			if bad[r] {
				continue
			}
			srcNull, dstNull := v.IsNull(r), o.IsNull(r)
			switch {
			case !srcNull && dstNull && (c.strict || !nullable):
				reason := fmt.Sprintf("invalid value for %s", to)
				if c.strict && nullable {
					reason += " (strict mode)"
				}
				reject(r, pos, name, c.valueText(i, v, ch, r), reason)
			case dstNull && !nullable:
				reject(r, pos, name, "", "NULL value for NOT NULL column")
			case !dstNull:
				if why := lim.fits(o, r); why != "" {
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
	part := make([]int32, n)
	if len(good) > 0 {
		c.route.route(rows, part)
	}
	if c.create != nil {
		if err := c.autoPartitions(rows, good, part); err != nil {
			return errs, err
		}
	}
	byPart := make([][]int32, len(c.parts))
	for _, r := range good {
		p := part[r]
		if p < 0 || int(p) >= len(c.parts) {
			k := c.route.cols[0]
			pos := c.source[k] + 1
			if pos == 0 {
				pos = k + 1
			}
			reject(int(r), pos, c.cols[k].GetName(), "", c.route.reason(rows, int(r), c.restrict))
			continue
		}
		byPart[p] = append(byPart[p], r)
	}
	for p, sel := range byPart {
		if len(sel) == 0 {
			continue
		}
		a := c.parts[p]
		if len(sel) == n { // every row, in order: keep the converted vectors as they are
			a.add(out, n)
		} else {
			cols := make([]*vector.Vector, len(out))
			for i, v := range out {
				cols[i] = v.Gather(sel)
			}
			a.add(cols, len(sel))
		}
		c.loaded += int64(len(sel))
	}
	c.filtered += int64(len(errs) - len(ch.Errors))
	return errs, nil
}

// autoPartitions gets the partitions that hold the good rows no partition of the load holds
// (rows with a NULL in a RANGE partition column excepted: no partition AUTO PARTITION creates
// takes NULL), adds them to the load and routes the rows again.
func (c *converter) autoPartitions(rows *vector.Batch, good []int32, part []int32) error {
	var keys []*loadpb.Key
	seen := map[string]bool{}
	for _, r := range good {
		if part[r] >= 0 {
			continue
		}
		k := c.route.key(rows, int(r))
		if c.route.kind == partition.Range && k.GetValues()[0].GetNull() {
			continue
		}
		id := keyString(k)
		if !seen[id] {
			seen[id] = true
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	resp, err := c.create(keys)
	if err != nil {
		return fmt.Errorf("create partitions for the load: %w", err)
	}
	if len(resp.GetPartitions()) != len(resp.GetSinks()) {
		return fmt.Errorf("BUG: auto partition answer has %d partitions and %d sinks", len(resp.GetPartitions()), len(resp.GetSinks()))
	}
	added := false
	for i, p := range resp.GetPartitions() {
		if _, ok := c.byID[p.GetId()]; ok {
			continue
		}
		if resp.GetSinks()[i].GetPartitionId() != p.GetId() {
			return fmt.Errorf("BUG: auto partition answer's partition %d is %d in the sinks", p.GetId(), resp.GetSinks()[i].GetPartitionId())
		}
		c.byID[p.GetId()] = len(c.parts)
		c.parts = append(c.parts, newAccum(resp.GetSinks()[i], p.GetName(), fromPB(p.GetBounds()), c.cols))
		added = true
	}
	if !added {
		return nil
	}
	route, err := newRouter(c.route.pt, c.cols, c.parts)
	if err != nil {
		return err
	}
	c.route = route
	c.route.route(rows, part)
	return nil
}

// keyString identifies a key (to send each once).
func keyString(k *loadpb.Key) string {
	var b strings.Builder
	for _, v := range k.GetValues() {
		if v.GetNull() {
			b.WriteString("N|")
		} else {
			b.WriteString(strconv.Quote(v.GetText()))
			b.WriteByte('|')
		}
	}
	return b.String()
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

// limit is what a column's values must stay within (computed once per load).
type limit struct {
	t      types.T
	lo, hi int64        // integer kinds
	maxDec types.Int128 // DECIMAL: the largest unscaled value of the precision
}

func newLimit(t types.T) limit {
	l := limit{t: t}
	switch t.Kind {
	case types.Boolean, types.TinyInt, types.SmallInt, types.Int:
		l.lo, l.hi = types.IntegerRange(t.Kind)
	case types.Decimal:
		l.maxDec = types.MaxUnscaled(t.Precision)
	}
	return l
}

// fits says why row r of v (a non-NULL value of type l.t) cannot be stored, or "".
func (l *limit) fits(v *vector.Vector, r int) string {
	t := l.t
	switch t.Kind {
	case types.Boolean, types.TinyInt, types.SmallInt, types.Int:
		if x := v.Int64[r]; x < l.lo || x > l.hi {
			return fmt.Sprintf("value %d out of range for %s", x, t)
		}
	case types.Decimal:
		var x types.Int128
		if t.Physical() == types.PhysInt128 {
			x = v.Int128[r]
		} else {
			x = types.I128(v.Int64[r])
		}
		if m := l.maxDec; x.Cmp(m) > 0 || x.Cmp(m.Neg()) < 0 {
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
