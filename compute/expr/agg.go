package expr

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"time"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Aggregate is a compiled aggregate call (planpb.AggregateCall): count, sum, min, max, avg,
// stddev_pop, stddev_samp, var_pop, var_samp, group_concat, approx_count_distinct,
// percentile_approx, any_value, bool_and, bool_or; optionally DISTINCT.
//
// Aggregation is split so that the hash-aggregation operator stays vectorized: the operator maps
// each active row to a group id, evaluates the argument expressions (EvalArgs) and hands whole
// vectors plus the group ids to a State (Fold), whose typed loops fold them into per-group
// accumulators; Output produces one value per group.
//
// Modes (planpb.AggregateMode): AGG_COMPLETE folds input rows and outputs results; AGG_PARTIAL
// folds input rows and outputs intermediate states (of function.IntermediateType: the natural
// value for count, sum, min, max, any_value, bool_and, bool_or; a serialized state in a STRING
// otherwise, see STATES.md); AGG_FINAL folds intermediate states (its one argument is the
// intermediate column; the call's arg_types are the original argument types) and outputs results.
// Partial states of one aggregate merge in any order and grouping: FINAL over any split of the
// input into PARTIAL runs gives COMPLETE's results (approximate aggregates: within their error).
type Aggregate struct {
	name     string
	distinct bool
	mode     planpb.AggregateMode
	args     []*Expr   // over the input (FINAL: the intermediate column)
	argTypes []types.T // the original arguments' types
	order    []*Expr   // group_concat ORDER BY keys
	desc     []bool
	nullsFst []bool
	t        types.T
}

// State accumulates one aggregate over groups 0..n-1.
type State interface {
	// Grow makes groups 0..n-1 exist (new groups are empty).
	Grow(n int)
	// Update folds row rows[k] of args into group gids[k], for every k.
	Update(args []*vector.Vector, rows []int32, gids []int32) error
	// Merge folds the intermediate state at row rows[k] of v into group gids[k].
	Merge(v *vector.Vector, rows []int32, gids []int32) error
	// Partial returns one intermediate state per group.
	Partial() (*vector.Vector, error)
	// Result returns one value per group, of the aggregate's result type.
	Result() (*vector.Vector, error)
}

// CompileAggregate compiles call for input batches with the given column types (AGG_COMPLETE).
func CompileAggregate(call *planpb.AggregateCall, input []types.T) (*Aggregate, error) {
	return CompileAggregatePhase(call, input, planpb.AggregateMode_AGG_COMPLETE)
}

// CompileAggregatePhase compiles call for the given mode.
func CompileAggregatePhase(call *planpb.AggregateCall, input []types.T, mode planpb.AggregateMode) (*Aggregate, error) {
	return compileAggregate(call, input, mode, Env{Scratch: true})
}

// CompileAggregates compiles the calls of one aggregation, evaluating a call that occurs in
// several arguments once per batch (the aggregates must then evaluate their arguments on the
// same batches, as an aggregation operator does).
func CompileAggregates(calls []*planpb.AggregateCall, input []types.T, mode planpb.AggregateMode) ([]*Aggregate, error) {
	return CompileAggregatesIn(calls, input, mode, nil)
}

// CompileAggregatesIn is CompileAggregates with the functions between instants and local times
// working in loc (Env.Location; nil: UTC).
func CompileAggregatesIn(calls []*planpb.AggregateCall, input []types.T, mode planpb.AggregateMode, loc *time.Location) ([]*Aggregate, error) {
	env := Env{Scratch: true, Now: time.Now(), Location: loc, cse: &cse{count: map[string]int{}, nodes: map[string]*shared{}}}
	for _, c := range calls {
		for _, e := range c.GetArgs() {
			env.cse.countCalls(e)
		}
	}
	out := make([]*Aggregate, len(calls))
	for k, c := range calls {
		a, err := compileAggregate(c, input, mode, env)
		if err != nil {
			return nil, err
		}
		out[k] = a
	}
	return out, nil
}

func compileAggregate(call *planpb.AggregateCall, input []types.T, mode planpb.AggregateMode, env Env) (*Aggregate, error) {
	a := &Aggregate{name: call.GetName(), distinct: call.GetDistinct(), t: types.FromProto(call.GetType()), mode: mode}
	for _, e := range call.GetArgs() {
		c, err := CompileEnv(e, input, env)
		if err != nil {
			return nil, err
		}
		a.args = append(a.args, c)
	}
	if mode == planpb.AggregateMode_AGG_FINAL {
		if len(a.args) != 1 {
			return nil, badPlan("%s: a final aggregate takes the one intermediate column, got %d arguments", a.name, len(a.args))
		}
		for _, t := range call.GetArgTypes() {
			a.argTypes = append(a.argTypes, types.FromProto(t))
		}
	} else {
		for _, e := range a.args {
			a.argTypes = append(a.argTypes, e.Type())
		}
	}
	for _, k := range call.GetOrderBy() {
		if a.name != "group_concat" {
			return nil, badPlan("%s: ORDER BY is only for group_concat", a.name)
		}
		if mode != planpb.AggregateMode_AGG_COMPLETE {
			return nil, badPlan("group_concat with ORDER BY runs in one phase (AGG_COMPLETE)")
		}
		c, err := Compile(k.GetExpr(), input)
		if err != nil {
			return nil, err
		}
		a.order = append(a.order, c)
		a.desc = append(a.desc, k.GetDescending())
		a.nullsFst = append(a.nullsFst, k.GetNullsFirst())
	}
	if err := a.check(); err != nil {
		return nil, err
	}
	if mode == planpb.AggregateMode_AGG_FINAL {
		if it := a.Intermediate(); !compatible(a.args[0].Type(), it) {
			return nil, badPlan("%s: intermediate column of type %s, want %s", a.name, a.args[0].Type(), it)
		}
	}
	return a, nil
}

func (a *Aggregate) check() error {
	ats := a.argTypes
	switch a.name {
	case "count":
		if a.t.Kind == types.Invalid {
			a.t = bigIntT
		}
		if !a.t.IsInteger() || a.t.Physical() != types.PhysInt64 {
			return badPlan("count: result type %s", a.t)
		}
		return nil
	case "group_concat":
		if len(ats) < 1 || len(ats) > 2 {
			return badPlan("group_concat: %d arguments", len(ats))
		}
		for _, t := range ats {
			if !t.IsString() && t.Kind != types.Null {
				return badPlan("group_concat of %s", t)
			}
		}
		if a.t.Kind == types.Invalid {
			a.t = stringT
		}
		if !a.t.IsString() {
			return badPlan("group_concat: result type %s", a.t)
		}
		return nil
	case "approx_count_distinct":
		if len(ats) < 1 {
			return badPlan("approx_count_distinct: no arguments")
		}
		if a.t.Kind == types.Invalid {
			a.t = bigIntT
		}
		if a.t.Kind != types.BigInt {
			return badPlan("approx_count_distinct: result type %s", a.t)
		}
		return nil
	case "percentile_approx":
		if len(ats) < 2 || len(ats) > 3 {
			return badPlan("percentile_approx: %d arguments", len(ats))
		}
		for _, t := range ats {
			if !t.IsFloat() && t.Kind != types.Null {
				return badPlan("percentile_approx of %s", t)
			}
		}
		if a.t.Kind == types.Invalid {
			a.t = types.New(types.Double)
		}
		if !a.t.IsFloat() {
			return badPlan("percentile_approx: result type %s", a.t)
		}
		return nil
	}
	if len(ats) != 1 {
		return badPlan("%s: %d arguments", a.name, len(ats))
	}
	at := ats[0]
	if a.t.Kind == types.Invalid {
		a.t = defaultAggType(a.name, at)
	}
	if err := a.t.Validate(); err != nil {
		return badPlan("%s: result type: %v", a.name, err)
	}
	switch a.name {
	case "sum", "avg":
		ok := (exact(at) && (a.t.IsInteger() || a.t.Kind == types.Decimal || (a.name == "avg" && a.t.IsFloat()))) ||
			(at.IsFloat() && a.t.IsFloat())
		if at.Kind == types.Decimal && a.t.IsInteger() || at.Kind == types.Decimal && a.t.IsFloat() && a.name == "sum" {
			ok = false
		}
		if !ok {
			return badPlan("%s(%s) with result type %s", a.name, at, a.t)
		}
	case "min", "max", "any_value":
		if at.Kind == types.Null || !CanCast(at, a.t) {
			return badPlan("%s(%s) with result type %s", a.name, at, a.t)
		}
	case "stddev_pop", "stddev_samp", "var_pop", "var_samp":
		if !at.IsFloat() || !a.t.IsFloat() {
			return badPlan("%s(%s) with result type %s", a.name, at, a.t)
		}
	case "bool_and", "bool_or":
		if (at.Kind != types.Boolean && at.Kind != types.Null) || a.t.Kind != types.Boolean {
			return badPlan("%s(%s) with result type %s", a.name, at, a.t)
		}
	default:
		return badPlan("unknown aggregate function %q", a.name)
	}
	return nil
}

// Intermediate is the type of the aggregate's intermediate state (function.IntermediateType).
func (a *Aggregate) Intermediate() types.T {
	if a.distinct {
		return stringT
	}
	switch a.name {
	case "count":
		return bigIntT
	case "sum":
		return a.t
	case "min", "max", "any_value":
		return a.argTypes[0]
	case "bool_and", "bool_or":
		return boolT
	}
	return stringT
}

// Fold folds a batch's evaluated arguments (EvalArgs) into s: input rows in AGG_COMPLETE and
// AGG_PARTIAL mode, intermediate states in AGG_FINAL mode.
func (a *Aggregate) Fold(s State, args []*vector.Vector, rows []int32, gids []int32) error {
	if a.mode == planpb.AggregateMode_AGG_FINAL {
		return s.Merge(args[0], rows, gids)
	}
	return s.Update(args, rows, gids)
}

// Output is one value per group: intermediate states in AGG_PARTIAL mode, results otherwise.
func (a *Aggregate) Output(s State) (*vector.Vector, error) {
	if a.mode == planpb.AggregateMode_AGG_PARTIAL {
		return s.Partial()
	}
	return s.Result()
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

// Type is the type of the output column: the intermediate type in AGG_PARTIAL mode, the result
// type otherwise.
func (a *Aggregate) Type() types.T {
	if a.mode == planpb.AggregateMode_AGG_PARTIAL {
		return a.Intermediate()
	}
	return a.t
}

// HoldsNoInput reports whether the aggregate's states keep no reference into the vectors it
// folds: count, sum, avg, bool_and, bool_or and the variances hold numbers, min, max and
// any_value copy the strings they keep; in AGG_COMPLETE or AGG_PARTIAL mode, without DISTINCT.
func (a *Aggregate) HoldsNoInput() bool {
	if a.distinct || a.mode == planpb.AggregateMode_AGG_FINAL {
		return false
	}
	switch a.name {
	case "count", "sum", "avg", "bool_and", "bool_or", "stddev_pop", "stddev_samp", "var_pop", "var_samp",
		"min", "max", "any_value":
		return true
	}
	return false
}

// NumArgs is the number of arguments (0 for COUNT(*)).
func (a *Aggregate) NumArgs() int { return len(a.args) }

// EvalArgs evaluates the arguments (then the ORDER BY keys) over the active rows of b. The
// arguments' vectors are valid until the next EvalArgs (Env.Scratch): fold them before.
func (a *Aggregate) EvalArgs(b *vector.Batch) ([]*vector.Vector, error) {
	out := make([]*vector.Vector, 0, len(a.args)+len(a.order))
	for _, e := range append(a.args[:len(a.args):len(a.args)], a.order...) {
		v, err := e.Eval(b)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// NewState returns an empty accumulator.
func (a *Aggregate) NewState() State {
	at := func() types.T { return a.argTypes[0] }
	var s State
	switch a.name {
	case "count":
		s = &countState{}
	case "sum":
		s = newSumState(at(), a.t)
	case "avg":
		s = &avgState{sum: newSumState(at(), sumTypeForAvg(at())).(*sumState), t: a.t}
	case "min", "max":
		s = &minMaxState{isMax: a.name == "max", t: at(), result: a.t}
	case "any_value":
		s = &minMaxState{any: true, t: at(), result: a.t}
	case "bool_and", "bool_or":
		s = &boolState{and: a.name == "bool_and"}
	case "stddev_pop", "stddev_samp", "var_pop", "var_samp":
		s = &varianceState{kind: a.name}
	case "group_concat":
		s = newGroupConcatState(a)
	case "approx_count_distinct":
		s = &hllState{}
	case "percentile_approx":
		s = &percentileState{}
	}
	if a.distinct {
		s = &distinctState{inner: s, types: a.argTypes}
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

type countState struct {
	counts []int64
	lanes  []int64 // countGroups's
}

// countGroups adds to counts[g] the number of times g occurs in gids. Over few groups it counts
// into four lanes (row k into lane k%4) so that consecutive rows of one group do not wait for
// each other's stores, then folds them.
func countGroups(counts []int64, gids []int32, lanes *[]int64) {
	ng := len(counts)
	if ng == 1 { // every gid is 0
		counts[0] += int64(len(gids))
		return
	}
	if ng > laneGroups || len(gids) < 64 {
		for _, g := range gids {
			counts[g]++
		}
		return
	}
	if cap(*lanes) < 4*ng {
		*lanes = make([]int64, 4*laneGroups)
	}
	l := (*lanes)[:4*ng]
	clear(l)
	l0, l1, l2, l3 := l[:ng], l[ng:2*ng], l[2*ng:3*ng], l[3*ng:]
	k := 0
	for ; k+4 <= len(gids); k += 4 {
		l0[gids[k]]++
		l1[gids[k+1]]++
		l2[gids[k+2]]++
		l3[gids[k+3]]++
	}
	for ; k < len(gids); k++ {
		l0[gids[k]]++
	}
	for g := range ng {
		counts[g] += l0[g] + l1[g] + l2[g] + l3[g]
	}
}

func (s *countState) Grow(n int) { s.counts = vector.Grown(s.counts, n) }

func (s *countState) Update(args []*vector.Vector, rows []int32, gids []int32) error {
	c := s.counts
	anyNulls := false
	for _, a := range args {
		anyNulls = anyNulls || a.Nulls != nil
	}
	if !anyNulls {
		countGroups(c, gids, &s.lanes)
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

func (s *countState) Partial() (*vector.Vector, error) { return s.Result() }

func (s *countState) Merge(v *vector.Vector, rows []int32, gids []int32) error {
	for k, i := range rows {
		if !v.IsNull(int(i)) {
			s.counts[gids[k]] += v.Int64[i]
		}
	}
	return nil
}

// ---------------------------------------------------------------- sum

// sumState sums integers (int64 or 128-bit, by result type), DECIMALs (128-bit, unscaled, at the
// argument's scale) or floats. Overflow of the result type is an error.
type sumState struct {
	arg, t   types.T
	dom      domain
	i64      []int64
	i128     []types.Int128
	f64      []float64
	has      []bool
	nhas     int            // groups markHas set (a lower bound of those with has set)
	lanes    []int64        // sumLanes64's partial sums
	lanes128 []types.Int128 // sumLanes128's
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
	s.has = vector.Grown(s.has, n)
	switch s.dom {
	case domInt64:
		s.i64 = vector.Grown(s.i64, n)
	case domFloat:
		s.f64 = vector.Grown(s.f64, n)
	default:
		s.i128 = vector.Grown(s.i128, n)
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
			// A 128-bit sum of int64 values cannot overflow (that takes 2^64 of them).
			x := v.Int64
			if v.Nulls == nil && s.sumLanes64(x, rows, gids) {
				return nil
			}
			if v.Nulls == nil {
				for k, i := range rows {
					g := gids[k]
					y := x[i]
					a := acc[g]
					lo, carry := bits.Add64(a.Lo, uint64(y), 0)
					acc[g] = types.Int128{Hi: a.Hi + y>>63 + int64(carry), Lo: lo}
					has[g] = true
				}
				return nil
			}
			for k, i := range rows {
				if v.IsNull(int(i)) {
					continue
				}
				g := gids[k]
				acc[g], has[g] = acc[g].Add(types.I128(x[i])), true
			}
			return nil
		}
		if v.Nulls == nil {
			x := v.Int128
			if done, err := s.sumLanes128(x, rows, gids); done {
				return err
			}
			for k, i := range rows {
				g := gids[k]
				r, ok := add128(acc[g], x[i])
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

// Few groups: consecutive rows mostly hit the same accumulator, and each add waits for the
// previous one's store. sumLanes64 spreads rows over four lanes of int64 partial sums (row k
// into lane k%4, independent chains) and folds them into the 128-bit sums at the end of the
// batch. It only runs when the argument's precision bounds a lane's sum within 64 bits.
const laneGroups = 256

func (s *sumState) sumLanes64(x []int64, rows []int32, gids []int32) bool {
	ng := len(s.has)
	p := precisionOf(s.arg)
	if ng > laneGroups || p > 18 || pow10i64[p] > math.MaxInt64/int64(len(rows)+1) {
		return false
	}
	if cap(s.lanes) < 4*ng {
		s.lanes = make([]int64, 4*laneGroups)
	}
	l := s.lanes[:4*ng]
	clear(l)
	l0, l1, l2, l3 := l[:ng], l[ng:2*ng], l[2*ng:3*ng], l[3*ng:]
	k := 0
	for ; k+4 <= len(rows); k += 4 {
		l0[gids[k]] += x[rows[k]]
		l1[gids[k+1]] += x[rows[k+1]]
		l2[gids[k+2]] += x[rows[k+2]]
		l3[gids[k+3]] += x[rows[k+3]]
	}
	for ; k < len(rows); k++ {
		l0[gids[k]] += x[rows[k]]
	}
	s.markHas(gids)
	acc := s.i128
	for g := range ng {
		if t := l0[g] + l1[g] + l2[g] + l3[g]; t != 0 { // |t| < len(rows)·10^p: within int64 by the bound above
			acc[g] = acc[g].Add(types.I128(t))
		}
	}
	return true
}

// markHas sets has for the groups of gids; once every group has a value it does nothing.
func (s *sumState) markHas(gids []int32) {
	if s.nhas == len(s.has) {
		return
	}
	for _, g := range gids {
		if !s.has[g] {
			s.has[g] = true
			s.nhas++
		}
	}
}

// sumLanes128 is sumLanes64 for 128-bit arguments whose precision bounds a batch's sum within
// 127 bits (so the lanes need no overflow checks; folding them into the sums does).
func (s *sumState) sumLanes128(x []types.Int128, rows []int32, gids []int32) (bool, error) {
	ng := len(s.has)
	p := precisionOf(s.arg)
	if ng > laneGroups {
		return false, nil
	}
	// |sum| < len(rows)·10^p <= 2^13·10^p < 2^127 for p <= 34; otherwise each add is checked.
	if cap(s.lanes128) < 4*ng {
		s.lanes128 = make([]types.Int128, 4*laneGroups)
	}
	if s.sumLanes128Small(x, rows, gids) {
		s.markHas(gids)
		return true, s.foldLanes64(ng)
	}
	if p > 34 || len(rows) > 1<<13 {
		return s.sumLanes128Checked(x, rows, gids)
	}
	l := s.lanes128[:4*ng]
	clear(l)
	l0, l1, l2, l3 := l[:ng], l[ng:2*ng], l[2*ng:3*ng], l[3*ng:]
	k := 0
	for ; k+4 <= len(rows); k += 4 {
		g0, g1, g2, g3 := gids[k], gids[k+1], gids[k+2], gids[k+3]
		l0[g0] = l0[g0].Add(x[rows[k]])
		l1[g1] = l1[g1].Add(x[rows[k+1]])
		l2[g2] = l2[g2].Add(x[rows[k+2]])
		l3[g3] = l3[g3].Add(x[rows[k+3]])
	}
	for ; k < len(rows); k++ {
		l0[gids[k]] = l0[gids[k]].Add(x[rows[k]])
	}
	s.markHas(gids)
	acc := s.i128
	for g := range ng {
		t := l0[g].Add(l1[g]).Add(l2[g]).Add(l3[g])
		r, ok := add128(acc[g], t)
		if !ok {
			return true, outOfRange(s.t)
		}
		acc[g] = r
	}
	return true, nil
}

// sumLanes128Small sums 128-bit arguments into int64 lanes when the batch's values turn out to
// be small (the usual case: DECIMAL(38, s) products of 64-bit columns): one pass adds the low
// words and collects whether every value is an int64 and the OR of their magnitudes, which
// bounds each lane's sum. It reports false (the lanes then hold garbage) when a value needs
// more than 64 bits or the bound does not rule out a lane overflowing.
func (s *sumState) sumLanes128Small(x []types.Int128, rows []int32, gids []int32) bool {
	ng := len(s.has)
	if cap(s.lanes) < 4*ng {
		s.lanes = make([]int64, 4*laneGroups)
	}
	l := s.lanes[:4*ng]
	clear(l)
	l0, l1, l2, l3 := l[:ng], l[ng:2*ng], l[2*ng:3*ng], l[3*ng:]
	var wide int64 // nonzero when some value is not an int64
	var mag uint64 // OR of the values' magnitudes
	k := 0
	for ; k+4 <= len(rows); k += 4 {
		v0, v1, v2, v3 := x[rows[k]], x[rows[k+1]], x[rows[k+2]], x[rows[k+3]]
		y0, y1, y2, y3 := int64(v0.Lo), int64(v1.Lo), int64(v2.Lo), int64(v3.Lo)
		wide |= (v0.Hi ^ y0>>63) | (v1.Hi ^ y1>>63) | (v2.Hi ^ y2>>63) | (v3.Hi ^ y3>>63)
		mag |= abs64(y0) | abs64(y1) | abs64(y2) | abs64(y3)
		l0[gids[k]] += y0
		l1[gids[k+1]] += y1
		l2[gids[k+2]] += y2
		l3[gids[k+3]] += y3
	}
	for ; k < len(rows); k++ {
		v := x[rows[k]]
		y := int64(v.Lo)
		wide |= v.Hi ^ y>>63
		mag |= abs64(y)
		l0[gids[k]] += y
	}
	// Every |value| < 2^bits.Len64(mag); a lane adds at most len(rows) of them.
	return wide == 0 && bits.Len64(mag)+bits.Len64(uint64(len(rows))) < 63
}

// abs64 is |y| as a uint64 (2^63 for MinInt64), branch-free.
func abs64(y int64) uint64 {
	m := y >> 63
	return uint64((y ^ m) - m)
}

// foldLanes64 adds sumLanes128Small's lanes into the 128-bit sums, marking the groups.
func (s *sumState) foldLanes64(ng int) error {
	l := s.lanes[:4*ng]
	l0, l1, l2, l3 := l[:ng], l[ng:2*ng], l[2*ng:3*ng], l[3*ng:]
	acc := s.i128
	for g := range ng {
		// Within int64: all the lanes together add at most len(rows) values (the bound above).
		t := l0[g] + l1[g] + l2[g] + l3[g]
		if t == 0 {
			continue
		}
		r, ok := add128(acc[g], types.I128(t))
		if !ok {
			return outOfRange(s.t)
		}
		acc[g] = r
	}
	return nil
}

// sumLanes128Checked is sumLanes128 with every add checked for overflow (an overflow in a lane
// is reported as the sum's: the same values in another order may overflow as well).
func (s *sumState) sumLanes128Checked(x []types.Int128, rows []int32, gids []int32) (bool, error) {
	ng := len(s.has)
	l := s.lanes128[:4*ng]
	clear(l)
	l0, l1, l2, l3 := l[:ng], l[ng:2*ng], l[2*ng:3*ng], l[3*ng:]
	k := 0
	var ok0, ok1, ok2, ok3 bool
	for ; k+4 <= len(rows); k += 4 {
		g0, g1, g2, g3 := gids[k], gids[k+1], gids[k+2], gids[k+3]
		l0[g0], ok0 = add128(l0[g0], x[rows[k]])
		l1[g1], ok1 = add128(l1[g1], x[rows[k+1]])
		l2[g2], ok2 = add128(l2[g2], x[rows[k+2]])
		l3[g3], ok3 = add128(l3[g3], x[rows[k+3]])
		if !(ok0 && ok1 && ok2 && ok3) {
			return true, outOfRange(s.t)
		}
	}
	for ; k < len(rows); k++ {
		if l0[gids[k]], ok0 = add128(l0[gids[k]], x[rows[k]]); !ok0 {
			return true, outOfRange(s.t)
		}
	}
	s.markHas(gids)
	acc := s.i128
	for g := range ng {
		r, ok := add128(acc[g], l0[g])
		r, ok1 := add128(r, l1[g])
		r, ok2 := add128(r, l2[g])
		r, ok3 := add128(r, l3[g])
		if !(ok && ok1 && ok2 && ok3) {
			return true, outOfRange(s.t)
		}
		acc[g] = r
	}
	return true, nil
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

func (s *sumState) Partial() (*vector.Vector, error) { return s.Result() }

// Merge adds partial sums (of the result type, whose scale is the argument's).
func (s *sumState) Merge(v *vector.Vector, rows []int32, gids []int32) error {
	return s.Update([]*vector.Vector{v}, rows, gids)
}

// ---------------------------------------------------------------- avg

type avgState struct {
	sum    *sumState
	counts []int64
	t      types.T
	lanes  []int64 // countGroups's
}

func (s *avgState) Grow(n int) {
	s.sum.Grow(n)
	s.counts = vector.Grown(s.counts, n)
}

func (s *avgState) Update(args []*vector.Vector, rows []int32, gids []int32) error {
	if err := s.sum.Update(args, rows, gids); err != nil {
		return err
	}
	v := args[0]
	if v.Nulls == nil {
		countGroups(s.counts, gids, &s.lanes)
		return nil
	}
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

// Partial serializes (sum, count) per group: the sum as 8 bytes (float64 bits) or 16 (Int128
// Lo, Hi), then the count as 8 bytes, little endian. A group without rows has count 0.
func (s *avgState) Partial() (*vector.Vector, error) {
	n := len(s.counts)
	out := vector.New(stringT, n)
	for g := range n {
		var b []byte
		if s.sum.dom == domFloat {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.sum.f64[g]))
		} else {
			b = binary.LittleEndian.AppendUint64(b, s.sum.i128[g].Lo)
			b = binary.LittleEndian.AppendUint64(b, uint64(s.sum.i128[g].Hi))
		}
		out.Bytes[g] = binary.LittleEndian.AppendUint64(b, uint64(s.counts[g]))
	}
	return out, nil
}

func (s *avgState) Merge(v *vector.Vector, rows []int32, gids []int32) error {
	sum := s.sum
	for k, i := range rows {
		if v.IsNull(int(i)) {
			continue
		}
		b, g := v.Bytes[i], gids[k]
		if sum.dom == domFloat {
			if len(b) != 16 {
				return badState("avg", b)
			}
			sum.f64[g] += math.Float64frombits(binary.LittleEndian.Uint64(b))
		} else {
			if len(b) != 24 {
				return badState("avg", b)
			}
			x := types.Int128{Lo: binary.LittleEndian.Uint64(b), Hi: int64(binary.LittleEndian.Uint64(b[8:]))}
			r, ok := add128(sum.i128[g], x)
			if !ok {
				return outOfRange(s.t)
			}
			sum.i128[g] = r
		}
		c := int64(binary.LittleEndian.Uint64(b[len(b)-8:]))
		s.counts[g] += c
		sum.has[g] = sum.has[g] || c > 0
	}
	return nil
}

// ---------------------------------------------------------------- min, max

type minMaxState struct {
	isMax     bool
	any       bool // any_value: the first value seen
	t, result types.T
	vals      *vector.Vector
	has       []bool
}

func (s *minMaxState) Grow(n int) {
	if s.vals == nil {
		s.vals = vector.NewWithCap(s.t, n)
	}
	s.has = vector.Grown(s.has, n)
	switch s.t.Physical() {
	case types.PhysInt64:
		s.vals.Int64 = vector.Grown(s.vals.Int64, n)
	case types.PhysInt128:
		s.vals.Int128 = vector.Grown(s.vals.Int128, n)
	case types.PhysFloat64:
		s.vals.Float64 = vector.Grown(s.vals.Float64, n)
	default:
		s.vals.Bytes = vector.Grown(s.vals.Bytes, n)
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
	if s.any {
		for k, i := range rows {
			if g := gids[k]; !has[g] && !v.IsNull(int(i)) {
				has[g] = true
				switch s.t.Physical() {
				case types.PhysInt64:
					s.vals.Int64[g] = v.Int64[i]
				case types.PhysInt128:
					s.vals.Int128[g] = v.Int128[i]
				case types.PhysFloat64:
					s.vals.Float64[g] = v.Float64[i]
				default:
					s.vals.Bytes[g] = append([]byte(nil), v.Bytes[i]...)
				}
			}
		}
		return nil
	}
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

// Partial is the values in the argument's type (NULL for a group without one).
func (s *minMaxState) Partial() (*vector.Vector, error) {
	if s.vals == nil {
		s.Grow(0)
	}
	out := *s.vals
	out.Nulls = nil
	for g := range len(s.has) {
		if !s.has[g] {
			out.SetNull(g)
		}
	}
	return &out, nil
}

func (s *minMaxState) Merge(v *vector.Vector, rows []int32, gids []int32) error {
	return s.Update([]*vector.Vector{v}, rows, gids)
}

// ---------------------------------------------------------------- DISTINCT

// distinctState passes each (group, argument values) combination to inner once. Rows with a
// NULL argument are dropped (no aggregate counts them).
type distinctState struct {
	inner    State
	types    []types.T // the arguments' types
	seen     map[string]struct{}
	key      []byte
	perGroup [][]byte // per group: the distinct keys seen, each as uvarint length + AppendKey encoding
}

func (s *distinctState) Grow(n int) {
	s.inner.Grow(n)
	s.perGroup = vector.Grown(s.perGroup, n)
}

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
		g := gids[k]
		s.perGroup[g] = binary.AppendUvarint(s.perGroup[g], uint64(len(key)-4))
		s.perGroup[g] = append(s.perGroup[g], key[4:]...)
		keepRows = append(keepRows, i)
		keepGids = append(keepGids, gids[k])
	}
	if len(keepRows) == 0 {
		return nil
	}
	return s.inner.Update(args, keepRows, keepGids)
}

func (s *distinctState) Result() (*vector.Vector, error) { return s.inner.Result() }

// Partial is each group's set of distinct argument tuples: the concatenation of uvarint length +
// AppendKey encoding of the tuple.
func (s *distinctState) Partial() (*vector.Vector, error) {
	out := vector.New(stringT, len(s.perGroup))
	for g, b := range s.perGroup {
		out.Bytes[g] = append([]byte{}, b...)
	}
	return out, nil
}

// Merge adds the tuples of partial sets that the group has not seen, feeding them to the inner
// aggregate.
func (s *distinctState) Merge(v *vector.Vector, rows []int32, gids []int32) error {
	if s.seen == nil {
		s.seen = map[string]struct{}{}
	}
	vals := make([]*vector.Vector, len(s.types))
	for k, t := range s.types {
		vals[k] = vector.NewWithCap(t, 0)
	}
	var newGids []int32
	for k, i := range rows {
		if v.IsNull(int(i)) {
			continue
		}
		g := gids[k]
		b := v.Bytes[i]
		for len(b) > 0 {
			n, w := binary.Uvarint(b)
			if w <= 0 || uint64(len(b)-w) < n {
				return badState("distinct", v.Bytes[i])
			}
			tuple := b[w : w+int(n)]
			b = b[w+int(n):]
			key := binary.LittleEndian.AppendUint32(s.key[:0], uint32(g))
			key = append(key, tuple...)
			s.key = key
			if _, dup := s.seen[string(key)]; dup {
				continue
			}
			s.seen[string(key)] = struct{}{}
			s.perGroup[g] = binary.AppendUvarint(s.perGroup[g], uint64(len(tuple)))
			s.perGroup[g] = append(s.perGroup[g], tuple...)
			if err := decodeKey(tuple, vals); err != nil {
				return err
			}
			newGids = append(newGids, g)
		}
	}
	if len(newGids) == 0 {
		return nil
	}
	return s.inner.Update(vals, vector.Identity(nil, len(newGids)), newGids)
}

// decodeKey appends the values of an AppendKey encoding of one tuple to vals (one per element).
func decodeKey(b []byte, vals []*vector.Vector) error {
	orig := b
	for _, v := range vals {
		if len(b) < 1 {
			return badState("distinct", orig)
		}
		flag := b[0]
		b = b[1:]
		if flag == 0 {
			v.AppendNull()
			continue
		}
		switch v.Type.Physical() {
		case types.PhysInt64, types.PhysFloat64:
			if len(b) < 8 {
				return badState("distinct", orig)
			}
			x := binary.LittleEndian.Uint64(b)
			if v.Type.Physical() == types.PhysInt64 {
				v.Int64 = append(v.Int64, int64(x))
			} else {
				v.Float64 = append(v.Float64, math.Float64frombits(x))
			}
			b = b[8:]
		case types.PhysInt128:
			if len(b) < 16 {
				return badState("distinct", orig)
			}
			v.Int128 = append(v.Int128, types.Int128{Lo: binary.LittleEndian.Uint64(b), Hi: int64(binary.LittleEndian.Uint64(b[8:]))})
			b = b[16:]
		default:
			n, w := binary.Uvarint(b)
			if w <= 0 || uint64(len(b)-w) < n {
				return badState("distinct", orig)
			}
			v.Bytes = append(v.Bytes, append([]byte(nil), b[w:w+int(n)]...))
			b = b[w+int(n):]
		}
	}
	if len(b) != 0 {
		return badState("distinct", orig)
	}
	return nil
}

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
