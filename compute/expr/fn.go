package expr

import (
	"time"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Env is what a query's expressions may read besides their input: the query's start time (now(),
// current_date, unix_timestamp()) and the session's time zone. Every expression of a query
// should be compiled with the same Env so that now() is one value per query, as in Doris.
type Env struct {
	Now      time.Time      // zero: the time CompileEnv is called
	Location *time.Location // nil: UTC
	// Scratch lets the expression reuse its vectors from one Eval to the next: a result (and
	// what it shares) is valid only until the next Eval or EvalRows. For callers that are done
	// with a result before they evaluate again and keep no reference to it (filters, aggregate
	// arguments, hash keys); it saves the allocation of every intermediate vector per batch.
	Scratch bool

	cse *cse // CompileAggregates: calls shared between the expressions compiled with this Env
}

func (e *Env) loc() *time.Location {
	if e == nil || e.Location == nil {
		return time.UTC
	}
	return e.Location
}

// CompileEnv is Compile with an explicit Env.
func CompileEnv(e *planpb.Expr, input []types.T, env Env) (*Expr, error) {
	if env.Now.IsZero() {
		env.Now = time.Now()
	}
	n, err := compile(e, input, &env)
	if err != nil {
		return nil, err
	}
	return &Expr{root: n}, nil
}

// kernel computes rows of out from the argument vectors. out arrives with the union of the
// arguments' NULLs (unless the function handles NULLs itself); a kernel skips NULL rows and may
// set more.
type kernel func(in []*vector.Vector, rows []int32, out *vector.Vector) error

// fn is a scalar function node: it evaluates its arguments to whole vectors and runs a typed
// kernel over the active rows.
type fn struct {
	t        types.T
	args     []node
	k        kernel
	ownNulls bool // the kernel decides NULLs itself (the out vector arrives without any)
}

func (n *fn) typ() types.T { return n.t }

func (n *fn) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	in := make([]*vector.Vector, len(n.args))
	for k, a := range n.args {
		v, err := a.eval(b, rows)
		if err != nil {
			return nil, err
		}
		in[k] = v
	}
	out := vector.New(n.t, b.N)
	if !n.ownNulls {
		orNulls(out, b.N, in...)
		for _, v := range in {
			if v.Type.Kind == types.Null { // every row is NULL
				return out, nil
			}
		}
	}
	if err := n.k(in, rows, out); err != nil {
		return nil, err
	}
	return out, nil
}

// constArg returns the value of a non-NULL literal argument.
func constArg(n node) (*literal, bool) {
	l, ok := n.(*literal)
	if !ok || l.null {
		return nil, false
	}
	return l, true
}

// checkArgs verifies the physical kinds of a builtin's arguments (the plan is the binder's
// output; a mismatch is a bad plan, not a crash).
func checkArgs(name string, args []node, want ...func(types.T) bool) error {
	for i, a := range args {
		t := a.typ()
		if t.Kind == types.Null {
			continue
		}
		if !want[min(i, len(want)-1)](t) {
			return badPlan("%s: argument %d of type %s", name, i+1, t)
		}
	}
	return nil
}

func isStr(t types.T) bool      { return t.IsString() }
func isInt(t types.T) bool      { return intLike(t) }
func isDbl(t types.T) bool      { return t.IsFloat() }
func isTemporal(t types.T) bool { return t.IsTemporal() }
func isAny(types.T) bool        { return true }

// compileBuiltin compiles the functions of fn*.go files; ok is false for an unknown name.
func compileBuiltin(name string, t types.T, args []node, env *Env) (node, bool, error) {
	if n, ok, err := compileDateFn(name, t, args, env); ok || err != nil {
		return n, true, err
	}
	if n, ok, err := compileStringFn(name, t, args); ok || err != nil {
		return n, true, err
	}
	if n, ok, err := compileMathFn(name, t, args); ok || err != nil {
		return n, true, err
	}
	return nil, false, nil
}

// arityErr checks the argument count.
func arityErr(name string, args []node, lo, hi int) error {
	if len(args) < lo || (hi >= 0 && len(args) > hi) {
		return badPlan("%s: %d arguments", name, len(args))
	}
	return nil
}
