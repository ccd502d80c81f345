package expr

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Aggregate is a compiled aggregate call (planpb.AggregateCall): count, sum, min, max, avg,
// optionally DISTINCT.
//
// Aggregation is split so that the hash-aggregation operator stays vectorized: the operator maps
// each active row to a group id, evaluates the argument expressions (EvalArgs) and hands whole
// vectors plus the group ids to a State, whose typed loops fold them into per-group
// accumulators. The accumulators (count, sum, min/max, sum+count for avg) are exactly what a
// PARTIAL mode would emit and a FINAL mode merge; this slice runs AGG_COMPLETE only.
type Aggregate struct {
	name     string
	distinct bool
	args     []*Expr
	t        types.T
}

// State accumulates one aggregate over groups 0..n-1.
type State interface {
	// Grow makes groups 0..n-1 exist (new groups are empty).
	Grow(n int)
	// Update folds row rows[k] of args into group gids[k], for every k.
	Update(args []*vector.Vector, rows []int32, gids []int32) error
	// Result returns one value per group, of the aggregate's result type.
	Result() (*vector.Vector, error)
}

// CompileAggregate compiles call for input batches with the given column types.
func CompileAggregate(call *planpb.AggregateCall, input []types.T) (*Aggregate, error) {
	a := &Aggregate{name: call.GetName(), distinct: call.GetDistinct(), t: types.FromProto(call.GetType())}
	for _, e := range call.GetArgs() {
		c, err := Compile(e, input)
		if err != nil {
			return nil, err
		}
		a.args = append(a.args, c)
	}
	if a.name == "count" {
		if a.t.Kind == types.Invalid {
			a.t = bigIntT
		}
		if !a.t.IsInteger() || a.t.Physical() != types.PhysInt64 {
			return nil, badPlan("count: result type %s", a.t)
		}
		return a, nil
	}
	if len(a.args) != 1 {
		return nil, badPlan("%s: %d arguments", a.name, len(a.args))
	}
	at := a.args[0].Type()
	if a.t.Kind == types.Invalid {
		a.t = defaultAggType(a.name, at)
	}
	if err := a.t.Validate(); err != nil {
		return nil, badPlan("%s: result type: %v", a.name, err)
	}
	switch a.name {
	case "sum", "avg":
		ok := (exact(at) && (a.t.IsInteger() || a.t.Kind == types.Decimal || (a.name == "avg" && a.t.IsFloat()))) ||
			(at.IsFloat() && a.t.IsFloat())
		if at.Kind == types.Decimal && a.t.IsInteger() || at.Kind == types.Decimal && a.t.IsFloat() && a.name == "sum" {
			ok = false
		}
		if !ok {
			return nil, badPlan("%s(%s) with result type %s", a.name, at, a.t)
		}
	case "min", "max":
		if at.Kind == types.Null || !CanCast(at, a.t) {
			return nil, badPlan("%s(%s) with result type %s", a.name, at, a.t)
		}
	default:
		return nil, badPlan("unknown aggregate function %q", a.name)
	}
	return a, nil
}

// defaultAggType is the result type Doris gives name(arg) when the plan does not say.
func defaultAggType(name string, at types.T) types.T {
	switch name {
	case "sum":
		switch {
		case at.Kind == types.Decimal:
			return types.DecimalOf(types.MaxDecimalPrecision, at.Scale)
		case at.IsFloat():
			return types.New(types.Double)
		case at.Kind == types.LargeInt:
			return at
		}
		return bigIntT
	case "avg":
		if at.Kind == types.Decimal {
			return types.DecimalOf(types.MaxDecimalPrecision, max(at.Scale, 4))
		}
		return types.New(types.Double)
	}
	return at
}

// Type is the result type.
func (a *Aggregate) Type() types.T { return a.t }

// NumArgs is the number of arguments (0 for COUNT(*)).
func (a *Aggregate) NumArgs() int { return len(a.args) }

// EvalArgs evaluates the arguments over the active rows of b.
func (a *Aggregate) EvalArgs(b *vector.Batch) ([]*vector.Vector, error) {
	out := make([]*vector.Vector, len(a.args))
	for k, e := range a.args {
		v, err := e.Eval(b)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// NewState returns an empty accumulator.
func (a *Aggregate) NewState() State {
	var s State
	switch a.name {
	case "count":
		s = &countState{}
	case "sum":
		s = newSumState(a.args[0].Type(), a.t)
	case "avg":
		s = &avgState{sum: newSumState(a.args[0].Type(), sumTypeForAvg(a.args[0].Type())).(*sumState), t: a.t}
	default:
		s = &minMaxState{isMax: a.name == "max", t: a.args[0].Type(), result: a.t}
	}
	if a.distinct {
		s = &distinctState{inner: s}
	}
	return s
}

func sumTypeForAvg(at types.T) types.T {
	switch {
	case at.Kind == types.Decimal:
		return types.DecimalOf(types.MaxDecimalPrecision, at.Scale)
	case at.IsFloat():
		return types.New(types.Double)
	}
	return types.New(types.LargeInt)
}

// ---------------------------------------------------------------- count

type countState struct{ counts []int64 }

func (s *countState) Grow(n int) {
	for len(s.counts) < n {
		s.counts = append(s.counts, 0)
	}
}

func (s *countState) Update(args []*vector.Vector, rows []int32, gids []int32) error {
	c := s.counts
	anyNulls := false
	for _, a := range args {
		anyNulls = anyNulls || a.Nulls != nil
	}
	if !anyNulls {
		for _, g := range gids {
			c[g]++
		}
		return nil
	}
	for k, i := range rows {
		if !anyNull(args, i) {
			c[gids[k]]++
		}
	}
	return nil
}

func anyNull(args []*vector.Vector, i int32) bool {
	for _, a := range args {
		if a.IsNull(int(i)) {
			return true
		}
	}
	return false
}

func (s *countState) Result() (*vector.Vector, error) {
	return &vector.Vector{Type: bigIntT, Int64: s.counts}, nil
}

// ---------------------------------------------------------------- sum

// sumState sums integers (int64 or 128-bit, by result type), DECIMALs (128-bit, unscaled, at the
// argument's scale) or floats. Overflow of the result type is an error.
type sumState struct {
	arg, t types.T
	dom    domain
	i64    []int64
	i128   []types.Int128
	f64    []float64
	has    []bool
}

func newSumState(arg, t types.T) State {
	s := &sumState{arg: arg, t: t}
	switch {
	case t.IsFloat():
		s.dom = domFloat
	case t.Kind == types.Decimal:
		s.dom = domDecimal
	case t.Kind == types.LargeInt:
		s.dom = domInt128
	default:
		s.dom = domInt64
	}
	return s
}

func (s *sumState) Grow(n int) {
	for len(s.has) < n {
		s.has = append(s.has, false)
		switch s.dom {
		case domInt64:
			s.i64 = append(s.i64, 0)
		case domFloat:
			s.f64 = append(s.f64, 0)
		default:
			s.i128 = append(s.i128, types.Int128{})
		}
	}
}

func (s *sumState) Update(args []*vector.Vector, rows []int32, gids []int32) error {
	v := args[0]
	has := s.has
	switch s.dom {
	case domInt64:
		x, acc := v.Int64, s.i64
		for k, i := range rows {
			if v.IsNull(int(i)) {
				continue
			}
			g := gids[k]
			a, y := acc[g], x[i]
			r := a + y
			if (a^r)&(y^r) < 0 {
				return outOfRange(s.t)
			}
			acc[g], has[g] = r, true
		}
	case domFloat:
		acc := s.f64
		if v.Type.IsFloat() {
			for k, i := range rows {
				if !v.IsNull(int(i)) {
					g := gids[k]
					acc[g] += v.Float64[i]
					has[g] = true
				}
			}
			return nil
		}
		for k, i := range rows {
			if !v.IsNull(int(i)) {
				x, sc := exactOf(v, i)
				g := gids[k]
				acc[g] += decimalToFloat(x, sc)
				has[g] = true
			}
		}
	default:
		acc := s.i128
		if v.Type.Physical() == types.PhysInt64 {
			for k, i := range rows {
				if v.IsNull(int(i)) {
					continue
				}
				g := gids[k]
				r, ok := add128(acc[g], types.I128(v.Int64[i]))
				if !ok {
					return outOfRange(s.t)
				}
				acc[g], has[g] = r, true
			}
			return nil
		}
		for k, i := range rows {
			if v.IsNull(int(i)) {
				continue
			}
			g := gids[k]
			r, ok := add128(acc[g], v.Int128[i])
			if !ok {
				return outOfRange(s.t)
			}
			acc[g], has[g] = r, true
		}
	}
	return nil
}

func (s *sumState) Result() (*vector.Vector, error) {
	n := len(s.has)
	out := vector.New(s.t, n)
	for g := range n {
		if !s.has[g] {
			out.SetNull(g)
			continue
		}
		switch s.dom {
		case domInt64:
			out.Int64[g] = s.i64[g]
		case domFloat:
			out.Float64[g] = s.f64[g]
		case domInt128:
			out.Int128[g] = s.i128[g]
		case domDecimal:
			r, ok := rescale128(s.i128[g], scaleOf(s.arg), s.t.Scale)
			if !ok || !fitsPrecision(r, s.t.Precision) {
				return nil, outOfRange(s.t)
			}
			if out.Int128 != nil {
				out.Int128[g] = r
			} else {
				out.Int64[g] = r.Int64()
			}
		}
	}
	return out, nil
}

// ---------------------------------------------------------------- avg

type avgState struct {
	sum    *sumState
	counts []int64
	t      types.T
}

func (s *avgState) Grow(n int) {
	s.sum.Grow(n)
	for len(s.counts) < n {
		s.counts = append(s.counts, 0)
	}
}

func (s *avgState) Update(args []*vector.Vector, rows []int32, gids []int32) error {
	if err := s.sum.Update(args, rows, gids); err != nil {
		return err
	}
	v := args[0]
	for k, i := range rows {
		if !v.IsNull(int(i)) {
			s.counts[gids[k]]++
		}
	}
	return nil
}

func (s *avgState) Result() (*vector.Vector, error) {
	n := len(s.counts)
	out := vector.New(s.t, n)
	sum := s.sum
	for g := range n {
		c := s.counts[g]
		if c == 0 {
			out.SetNull(g)
			continue
		}
		switch {
		case sum.dom == domFloat:
			out.Float64[g] = sum.f64[g] / float64(c)
		case s.t.IsFloat(): // integers (or DECIMALs) averaged as DOUBLE
			out.Float64[g] = decimalToFloat(sum.i128[g], scaleOf(sum.arg)) / float64(c)
		default: // DECIMAL (or integer) exact: sum / count rounded half away from zero
			r, null, ok := decimalOp(opDiv, sum.i128[g], scaleOf(sum.arg), types.I128(c), 0, scaleOf(s.t))
			if null || !ok || !fitsPrecision(r, precisionOf(s.t)) {
				return nil, outOfRange(s.t)
			}
			if out.Int128 != nil {
				out.Int128[g] = r
			} else if r.IsInt64() && int64Fits(s.t, r.Int64()) {
				out.Int64[g] = r.Int64()
			} else {
				return nil, outOfRange(s.t)
			}
		}
	}
	return out, nil
}

// ---------------------------------------------------------------- min, max

type minMaxState struct {
	isMax     bool
	t, result types.T
	vals      *vector.Vector
	has       []bool
}

func (s *minMaxState) Grow(n int) {
	if s.vals == nil {
		s.vals = vector.NewWithCap(s.t, n)
	}
	for len(s.has) < n {
		s.has = append(s.has, false)
		switch s.t.Physical() {
		case types.PhysInt64:
			s.vals.Int64 = append(s.vals.Int64, 0)
		case types.PhysInt128:
			s.vals.Int128 = append(s.vals.Int128, types.Int128{})
		case types.PhysFloat64:
			s.vals.Float64 = append(s.vals.Float64, 0)
		default:
			s.vals.Bytes = append(s.vals.Bytes, nil)
		}
	}
}

// better reports whether c (the comparison of a new value with the current one) replaces it.
func (s *minMaxState) better(c int) bool {
	if s.isMax {
		return c > 0
	}
	return c < 0
}

func (s *minMaxState) Update(args []*vector.Vector, rows []int32, gids []int32) error {
	v := args[0]
	if v.Type.Kind == types.Null {
		return nil
	}
	has := s.has
	switch s.t.Physical() {
	case types.PhysInt64:
		acc := s.vals.Int64
		for k, i := range rows {
			if v.IsNull(int(i)) {
				continue
			}
			g, x := gids[k], v.Int64[i]
			if !has[g] || (s.isMax && x > acc[g]) || (!s.isMax && x < acc[g]) {
				acc[g], has[g] = x, true
			}
		}
	case types.PhysFloat64:
		acc := s.vals.Float64
		for k, i := range rows {
			if v.IsNull(int(i)) {
				continue
			}
			g, x := gids[k], v.Float64[i]
			if !has[g] || (s.isMax && x > acc[g]) || (!s.isMax && x < acc[g]) {
				acc[g], has[g] = x, true
			}
		}
	case types.PhysInt128:
		acc := s.vals.Int128
		for k, i := range rows {
			if v.IsNull(int(i)) {
				continue
			}
			g, x := gids[k], v.Int128[i]
			if !has[g] || s.better(x.Cmp(acc[g])) {
				acc[g], has[g] = x, true
			}
		}
	default:
		acc := s.vals.Bytes
		for k, i := range rows {
			if v.IsNull(int(i)) {
				continue
			}
			g, x := gids[k], v.Bytes[i]
			if !has[g] || s.better(bytes.Compare(x, acc[g])) {
				// Copy: x may alias a buffer the producer shares with other batches.
				acc[g], has[g] = append([]byte(nil), x...), true
			}
		}
	}
	return nil
}

func (s *minMaxState) Result() (*vector.Vector, error) {
	n := len(s.has)
	if s.vals == nil {
		s.Grow(0)
	}
	out := *s.vals
	out.Nulls = nil
	for g := range n {
		if !s.has[g] {
			out.SetNull(g)
		}
	}
	rows := vector.Identity(nil, n)
	return conform(&out, rows, s.result), nil
}

// ---------------------------------------------------------------- DISTINCT

// distinctState passes each (group, argument values) combination to inner once. Rows with a
// NULL argument are dropped (no aggregate counts them).
type distinctState struct {
	inner State
	seen  map[string]struct{}
	key   []byte
}

func (s *distinctState) Grow(n int) { s.inner.Grow(n) }

func (s *distinctState) Update(args []*vector.Vector, rows []int32, gids []int32) error {
	if s.seen == nil {
		s.seen = map[string]struct{}{}
	}
	var keepRows, keepGids []int32
	for k, i := range rows {
		if anyNull(args, i) {
			continue
		}
		key := binary.LittleEndian.AppendUint32(s.key[:0], uint32(gids[k]))
		for _, a := range args {
			key = AppendKey(key, a, int(i))
		}
		s.key = key
		if _, dup := s.seen[string(key)]; dup {
			continue
		}
		s.seen[string(key)] = struct{}{}
		keepRows = append(keepRows, i)
		keepGids = append(keepGids, gids[k])
	}
	if len(keepRows) == 0 {
		return nil
	}
	return s.inner.Update(args, keepRows, keepGids)
}

func (s *distinctState) Result() (*vector.Vector, error) { return s.inner.Result() }

// AppendKey appends an encoding of row i of v that is equal for equal SQL values of v's type and
// different otherwise (NULL included), for hashing group and distinct keys. Floats are
// normalized (-0 = +0, one NaN); CHAR ignores trailing spaces.
func AppendKey(key []byte, v *vector.Vector, i int) []byte {
	if v.IsNull(i) {
		return append(key, 0)
	}
	key = append(key, 1)
	switch v.Type.Physical() {
	case types.PhysInt64:
		return binary.LittleEndian.AppendUint64(key, uint64(v.Int64[i]))
	case types.PhysInt128:
		key = binary.LittleEndian.AppendUint64(key, v.Int128[i].Lo)
		return binary.LittleEndian.AppendUint64(key, uint64(v.Int128[i].Hi))
	case types.PhysFloat64:
		f := v.Float64[i]
		switch {
		case f == 0:
			f = 0
		case math.IsNaN(f):
			f = math.NaN()
		}
		return binary.LittleEndian.AppendUint64(key, math.Float64bits(f))
	default:
		b := v.Bytes[i]
		if v.Type.Kind == types.Char {
			b = trimRightSpace(b)
		}
		key = binary.AppendUvarint(key, uint64(len(b)))
		return append(key, b...)
	}
}
