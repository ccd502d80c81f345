package expr

import (
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Expr is a compiled scalar expression.
type Expr struct {
	root node
	buf  []int32
}

// node is a compiled expression node. eval evaluates rows of b (never nil) and returns a vector
// of length b.N (values at other rows unspecified).
type node interface {
	typ() types.T
	eval(b *vector.Batch, rows []int32) (*vector.Vector, error)
}

// Compile compiles e for input batches whose columns have the given types.
// now() and friends read the time of this call (see CompileEnv for one time per query).
func Compile(e *planpb.Expr, input []types.T) (*Expr, error) {
	return CompileEnv(e, input, Env{})
}

// Type is the result type.
func (e *Expr) Type() types.T { return e.root.typ() }

// Eval evaluates the active rows of b.
func (e *Expr) Eval(b *vector.Batch) (*vector.Vector, error) {
	rows := b.Sel
	if rows == nil {
		e.buf = vector.Identity(e.buf, b.N)
		rows = e.buf
	}
	return e.root.eval(b, rows)
}

// EvalRows evaluates rows (a subset of 0..b.N-1, ignoring b.Sel).
func (e *Expr) EvalRows(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	return e.root.eval(b, rows)
}

// Constant reports whether the expression is a literal, and its value as a one-row vector.
func (e *Expr) Constant() (*vector.Vector, bool) {
	l, ok := e.root.(*literal)
	if !ok {
		return nil, false
	}
	v, _ := l.eval(&vector.Batch{N: 1}, []int32{0})
	return v, true
}

func compile(e *planpb.Expr, input []types.T, env *Env) (node, error) {
	if e == nil {
		return nil, badPlan("missing expression")
	}
	t := types.FromProto(e.GetType())
	if t.Kind != types.Null {
		if err := t.Validate(); err != nil {
			return nil, badPlan("expression type: %v", err)
		}
	}
	switch k := e.Kind.(type) {
	case *planpb.Expr_Column:
		idx := int(k.Column.GetIndex())
		if idx < 0 || idx >= len(input) {
			return nil, badPlan("column reference %d out of range [0, %d)", idx, len(input))
		}
		in := input[idx]
		if !compatible(in, t) {
			return nil, badPlan("column %d has type %s, expression says %s", idx, in, t)
		}
		return &column{idx: idx, t: in}, nil
	case *planpb.Expr_Literal:
		return newLiteral(t, k.Literal)
	case *planpb.Expr_Call:
		if env.cse != nil {
			if key := cseKey(e); key != "" && env.cse.count[key] > 1 {
				if s, ok := env.cse.nodes[key]; ok {
					return s, nil
				}
				inner := *env
				inner.cse = nil // below a shared node every call is evaluated once anyway
				n, err := compile(e, input, &inner)
				if err != nil {
					return nil, err
				}
				s := &shared{n: n}
				env.cse.nodes[key] = s
				return s, nil
			}
		}
		args := make([]node, len(k.Call.GetArgs()))
		argEnv := env
		if env.cse != nil && conditional(k.Call.GetName()) {
			inner := *env
			inner.cse = nil // see countCalls
			argEnv = &inner
		}
		for i, a := range k.Call.GetArgs() {
			n, err := compile(a, input, argEnv)
			if err != nil {
				return nil, err
			}
			args[i] = n
		}
		if t.Kind == types.Invalid {
			return nil, badPlan("call %s has no result type", k.Call.GetName())
		}
		n, err := compileCall(k.Call.GetName(), t, args, env)
		if err == nil && env.Scratch {
			if r, ok := n.(reuser); ok {
				r.reuse()
			}
		}
		return n, err
	}
	return nil, badPlan("expression has no kind")
}

// compatible reports whether a value of type have may be used where want is declared: same
// representation and meaning (string kinds and lengths are interchangeable).
func compatible(have, want types.T) bool {
	if have == want {
		return true
	}
	if have.IsString() && want.IsString() {
		return true
	}
	return have.Kind == want.Kind && have.Kind != types.Decimal && have.Kind != types.DateTime
}

func compileCall(name string, t types.T, args []node, env *Env) (node, error) {
	arity := func(lo, hi int) error {
		if len(args) < lo || (hi >= 0 && len(args) > hi) {
			return badPlan("%s: %d arguments", name, len(args))
		}
		return nil
	}
	var err error
	switch name {
	case "add", "subtract", "multiply", "divide", "int_divide", "mod":
		if err = arity(2, 2); err == nil {
			return newArith(name, t, args[0], args[1])
		}
	case "negate", "abs":
		if err = arity(1, 1); err == nil {
			return newUnaryArith(name, t, args[0])
		}
	case "eq", "eq_for_null", "ne", "lt", "le", "gt", "ge":
		if err = arity(2, 2); err == nil {
			return newCompare(name, args[0], args[1])
		}
	case "and", "or":
		if err = arity(2, -1); err == nil {
			return newLogic(name == "and", args)
		}
	case "not":
		if err = arity(1, 1); err == nil {
			return newNot(args[0])
		}
	case "is_null", "is_not_null":
		if err = arity(1, 1); err == nil {
			return &isNull{arg: args[0], not: name == "is_not_null"}, nil
		}
	case "in", "not_in":
		if err = arity(2, -1); err == nil {
			return newIn(name == "not_in", args[0], args[1:])
		}
	case "like", "not_like":
		if err = arity(2, 3); err == nil {
			return newLikeEscape(name == "not_like", args)
		}
	case "cast":
		if err = arity(1, 1); err == nil {
			return newCast(args[0], t)
		}
	case "case":
		if err = arity(2, -1); err == nil {
			return newCase(t, args)
		}
	case "if":
		if err = arity(3, 3); err == nil {
			return newCase(t, args)
		}
	case "ifnull":
		if err = arity(2, 2); err == nil {
			return newCoalesce(t, args)
		}
	case "coalesce":
		if err = arity(1, -1); err == nil {
			return newCoalesce(t, args)
		}
	case "nullif":
		if err = arity(2, 2); err == nil {
			return newNullIf(t, args[0], args[1])
		}
	case "concat":
		if err = arity(1, -1); err == nil {
			return newConcat(t, args)
		}
	case "upper", "lower", "length":
		if err = arity(1, 1); err == nil {
			return newStringUnary(name, t, args[0])
		}
	case "substring", "substr":
		if err = arity(2, 3); err == nil {
			return newSubstring(t, args)
		}
	default:
		if n, ok, err := compileBuiltin(name, t, args, env); ok {
			return n, err
		}
		return nil, badPlan("unknown function %q", name)
	}
	return nil, err
}

// column is a reference to an input column.
type column struct {
	idx int
	t   types.T
}

func (c *column) typ() types.T { return c.t }

func (c *column) eval(b *vector.Batch, _ []int32) (*vector.Vector, error) {
	v := b.Cols[c.idx]
	if v.Type != c.t {
		return retype(v, c.t), nil
	}
	return v, nil
}

// reuser is a node that can evaluate into vectors it keeps from one evaluation to the next
// (Env.Scratch).
type reuser interface{ reuse() }

// outBuf is the result vector of a node: a new one per evaluation, or with reuse on, one kept
// and handed out again (its values are stale: the node writes every active row, and its NULLs
// are cleared). The compiled tree is a tree (no node is evaluated twice in one evaluation), so
// a kept vector is only overwritten once its consumer is done with it.
type outBuf struct {
	on bool
	v  *vector.Vector
}

func (o *outBuf) reuse() { o.on = true }

// get returns a vector of type t and length n whose values are unspecified and without NULLs.
func (o *outBuf) get(t types.T, n int) *vector.Vector {
	if !o.on || t.Physical() == types.PhysBytes { // string values outlive the vector (states keep them)
		return vector.New(t, n)
	}
	v := o.v
	if v == nil || v.Type != t || capOf(v) < n {
		v = vector.New(t, max(n, 1024))
		o.v = v
	}
	v.Nulls = nil
	switch t.Physical() {
	case types.PhysInt64:
		v.Int64 = v.Int64[:n]
	case types.PhysInt128:
		v.Int128 = v.Int128[:n]
	case types.PhysFloat64:
		v.Float64 = v.Float64[:n]
	case types.PhysBytes:
		v.Bytes = v.Bytes[:n]
	}
	return v
}

func capOf(v *vector.Vector) int {
	switch v.Type.Physical() {
	case types.PhysInt64:
		return cap(v.Int64)
	case types.PhysInt128:
		return cap(v.Int128)
	case types.PhysFloat64:
		return cap(v.Float64)
	}
	return cap(v.Bytes)
}

// literal is a constant. Its vector is built once (per length) and shared by every evaluation:
// results are never modified by their consumers.
type literal struct {
	t    types.T
	null bool
	i64  int64
	i128 types.Int128
	f64  float64
	b    []byte
	v    *vector.Vector // the value repeated, at least as long as the last batch
	last *vector.Vector // v's prefix of the last batch's length
}

func newLiteral(t types.T, l *planpb.Literal) (*literal, error) {
	if l == nil {
		return nil, badPlan("literal without value")
	}
	lit := &literal{t: t, null: l.GetIsNull() || t.Kind == types.Null}
	switch t.Physical() {
	case types.PhysInt64:
		lit.i64 = l.GetInt64()
		if !lit.null && t.Kind != types.Null && !int64Fits(t, lit.i64) {
			return nil, badPlan("literal %d out of range for %s", lit.i64, t)
		}
	case types.PhysInt128:
		lit.i128 = types.Int128{Hi: int64(l.GetHi()), Lo: l.GetLo()}
	case types.PhysFloat64:
		lit.f64 = l.GetDouble()
	case types.PhysBytes:
		lit.b = l.GetBytes()
	}
	return lit, nil
}

func (l *literal) typ() types.T { return l.t }

func (l *literal) eval(b *vector.Batch, _ []int32) (*vector.Vector, error) {
	n := b.N
	if l.last != nil && l.last.Len() == n {
		return l.last, nil
	}
	if l.v == nil || l.v.Len() < n {
		v, err := l.fill(max(n, 1024))
		if err != nil {
			return nil, err
		}
		l.v = v
	}
	l.last = l.v
	if l.v.Len() != n {
		l.last = l.v.Slice(0, n)
	}
	return l.last, nil
}

func (l *literal) fill(n int) (*vector.Vector, error) {
	v := vector.New(l.t, n)
	if l.null {
		v.Nulls = allNulls(n)
		return v, nil
	}
	switch l.t.Physical() {
	case types.PhysInt64:
		if l.i64 != 0 {
			for i := range v.Int64 {
				v.Int64[i] = l.i64
			}
		}
	case types.PhysInt128:
		for i := range v.Int128 {
			v.Int128[i] = l.i128
		}
	case types.PhysFloat64:
		for i := range v.Float64 {
			v.Float64[i] = l.f64
		}
	case types.PhysBytes:
		for i := range v.Bytes {
			v.Bytes[i] = l.b
		}
	}
	return v, nil
}

// LiteralOf builds the planpb literal of row i of v (for tests and constant folding).
func LiteralOf(v *vector.Vector, i int) *planpb.Literal {
	if v.IsNull(i) {
		return &planpb.Literal{IsNull: true}
	}
	switch v.Type.Physical() {
	case types.PhysInt64:
		return &planpb.Literal{Int64: v.Int64[i]}
	case types.PhysInt128:
		return &planpb.Literal{Hi: uint64(v.Int128[i].Hi), Lo: v.Int128[i].Lo}
	case types.PhysFloat64:
		return &planpb.Literal{Double: v.Float64[i]}
	default:
		return &planpb.Literal{Bytes: v.Bytes[i]}
	}
}

func allNulls(n int) vector.Bitmap {
	bm := vector.NewBitmap(n)
	for i := range bm {
		bm[i] = ^uint64(0)
	}
	return bm
}

// retype returns v viewed as type t, which must have the same physical representation and value
// meaning (e.g. VARCHAR(10) as STRING).
func retype(v *vector.Vector, t types.T) *vector.Vector {
	c := *v
	c.Type = t
	return &c
}

// int64Fits reports whether x is in the range of an int64-represented type.
func int64Fits(t types.T, x int64) bool {
	switch t.Kind {
	case types.Boolean, types.TinyInt, types.SmallInt, types.Int:
		lo, hi := types.IntegerRange(t.Kind)
		return x >= lo && x <= hi
	case types.Decimal:
		m := pow10i64[t.Precision]
		return x < m && x > -m
	}
	return true
}

// orNulls sets the null bitmap of out (of n rows) to the union of the args' bitmaps.
func orNulls(out *vector.Vector, n int, args ...*vector.Vector) {
	var bm vector.Bitmap
	for _, a := range args {
		if a.Nulls == nil {
			continue
		}
		if bm == nil {
			bm = vector.NewBitmap(n)
		}
		for w := range bm {
			if w < len(a.Nulls) {
				bm[w] |= a.Nulls[w]
			}
		}
	}
	out.Nulls = bm
}
