package binder

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/function"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/plan"
)

// winSpec is the OVER clause of a bound window call (an eWin expr). The expr's args are the
// call's arguments (nargs of them), then the PARTITION BY expressions (npart), then the ORDER BY
// expressions (len(desc)) — so that the generic walks (aggregate substitution, keys, hasAgg)
// see every expression of the window.
type winSpec struct {
	nargs, npart int
	desc         []bool
	nullsFirst   []bool
	frame        *planpb.WindowFrame // nil: the default frame
	ignoresFrame bool                // ranking and navigation functions (frame-independent)
}

func (w *winSpec) key() string {
	return fmt.Sprintf("@win[%d,%d,%v,%v,%s]", w.nargs, w.npart, w.desc, w.nullsFirst, frameKey(w.frame))
}

func frameKey(f *planpb.WindowFrame) string {
	if f == nil {
		return "default"
	}
	return fmt.Sprintf("%s:%s/%d:%s/%d", f.GetUnit(), f.GetStart().GetKind(), f.GetStart().GetOffset(), f.GetEnd().GetKind(), f.GetEnd().GetOffset())
}

// frameIgnored are the window functions whose value does not depend on the frame.
var frameIgnored = map[string]bool{"row_number": true, "rank": true, "dense_rank": true, "ntile": true, "lag": true, "lead": true}

// bindWindow binds f(...) OVER (PARTITION BY ... ORDER BY ... frame).
func (s *scope) bindWindow(f *ast.FuncCall, ctx exprCtx) (*expr, error) {
	name := strings.ToLower(f.Name)
	switch {
	case !ctx.winOK:
		return nil, errorf(ErrInvalidGroupFunc, f.Pos, "window function %s is not allowed in %s", ast.Format(f), ctx.clause)
	case f.Distinct:
		return nil, errorf(ErrNotSupported, f.Pos, "DISTINCT in window function %s is not supported", name)
	case len(f.OrderBy) > 0:
		return nil, errorf(ErrNotSupported, f.Pos, "ORDER BY inside window function %s is not supported", name)
	case f.Star && name != "count":
		return nil, errorf(ErrWrongType, f.Pos, "%s(*) is not allowed; only COUNT(*)", f.Name)
	}
	inner := ctx
	inner.winOK = false
	args, err := s.bindAll(f.Args, inner)
	if err != nil {
		return nil, err
	}
	sig, err := function.ResolveWindow(f.Name, constArgs(args))
	if err != nil {
		return nil, funcError(f.Pos, err)
	}
	for i, a := range args {
		if args[i], err = s.coerce(a, sig.Args[i], f.Pos); err != nil {
			return nil, err
		}
	}
	// Constant arguments: ntile's bucket count, lag/lead's offset.
	switch sig.Name {
	case "ntile":
		if n, ok := intLiteral(args[0]); !ok || n <= 0 {
			return nil, errorf(ErrWrongType, f.Pos, "The bucket of NTILE must be a constant positive integer: %s", ast.Format(f.Args[0]))
		}
	case "lag", "lead":
		if len(args) >= 2 {
			if n, ok := intLiteral(args[1]); !ok || n < 0 {
				return nil, errorf(ErrWrongType, f.Pos, "The offset of %s must be a constant non-negative integer: %s", strings.ToUpper(sig.Name), ast.Format(f.Args[1]))
			}
		}
	}
	over := f.Over
	spec := &winSpec{nargs: len(args), npart: len(over.PartitionBy), ignoresFrame: frameIgnored[sig.Name]}
	all := args
	for _, p := range over.PartitionBy {
		e, err := s.bind(p, inner)
		if err != nil {
			return nil, err
		}
		all = append(all, e)
	}
	for _, o := range over.OrderBy {
		e, err := s.bind(o.Expr, inner)
		if err != nil {
			return nil, err
		}
		all = append(all, e)
		nullsFirst := !o.Desc
		if o.NullsFirst != nil {
			nullsFirst = *o.NullsFirst
		}
		spec.desc = append(spec.desc, o.Desc)
		spec.nullsFirst = append(spec.nullsFirst, nullsFirst)
	}
	for _, e := range all {
		hasSub := false
		e.walk(func(x *expr) bool {
			hasSub = hasSub || x.kind == eSub
			return !hasSub
		})
		if hasSub {
			return nil, errorf(ErrNotSupported, f.Pos, "subqueries in window function %s are not supported", name)
		}
	}
	if over.Frame != nil {
		if len(over.OrderBy) == 0 {
			return nil, errorf(ErrWrongType, over.Frame.Pos, "WindowFrame clause requires OrderBy clause")
		}
		if !spec.ignoresFrame {
			if spec.frame, err = s.bindFrame(over.Frame, all[len(all)-len(over.OrderBy):]); err != nil {
				return nil, err
			}
		}
	}
	return &expr{kind: eWin, typ: sig.Result, nullable: sig.Nullable, pos: f.Pos, name: sig.Name, args: all, win: spec}, nil
}

// constArgs describes bound arguments for function resolution, literals with their text.
func constArgs(args []*expr) []function.Arg {
	out := make([]function.Arg, len(args))
	for i, a := range args {
		out[i] = function.Arg{Type: a.typ, Nullable: a.nullable}
		if a.kind == eLit && !a.val.null {
			text := a.val.text
			out[i].Const = &text
		}
	}
	return out
}

// intLiteral is the value of an integer literal.
func intLiteral(e *expr) (int64, bool) {
	if e.kind != eLit || e.val.null || !e.typ.IsInteger() {
		return 0, false
	}
	n, err := strconv.ParseInt(e.val.text, 10, 64)
	return n, err == nil
}

var frameBoundKinds = map[ast.FrameBoundKind]planpb.FrameBoundKind{
	ast.UnboundedPreceding: planpb.FrameBoundKind_UNBOUNDED_PRECEDING, ast.Preceding: planpb.FrameBoundKind_PRECEDING,
	ast.CurrentRow: planpb.FrameBoundKind_CURRENT_ROW, ast.Following: planpb.FrameBoundKind_FOLLOWING,
	ast.UnboundedFollowing: planpb.FrameBoundKind_UNBOUNDED_FOLLOWING,
}

// bindFrame checks and converts a frame: offsets are non-negative integer constants; the start
// is not after the end; RANGE offsets need exactly one numeric or DATE ORDER BY key.
func (s *scope) bindFrame(f *ast.WindowFrame, order []*expr) (*planpb.WindowFrame, error) {
	out := &planpb.WindowFrame{Unit: planpb.FrameUnit_ROWS}
	if f.Unit == ast.FrameRange {
		out.Unit = planpb.FrameUnit_RANGE
	}
	bound := func(b ast.FrameBound) (*planpb.FrameBound, error) {
		pb := &planpb.FrameBound{Kind: frameBoundKinds[b.Kind]}
		if b.Kind != ast.Preceding && b.Kind != ast.Following {
			return pb, nil
		}
		e, err := s.bind(b.Offset, exprCtx{clause: "window frame"})
		if err != nil {
			return nil, err
		}
		n, ok := intLiteral(e)
		if !ok || n < 0 {
			return nil, errorf(ErrWrongType, f.Pos, "BoundOffset of window frame must be a constant non-negative integer: %s", ast.Format(b.Offset))
		}
		if f.Unit == ast.FrameRange {
			if len(order) != 1 {
				return nil, errorf(ErrWrongType, f.Pos, "RANGE frame with an offset requires exactly one ORDER BY expression")
			}
			if t := order[0].typ; !t.IsNumeric() && t.Kind != types.Date {
				return nil, errorf(ErrWrongType, f.Pos, "RANGE frame with an offset requires a numeric or DATE ORDER BY expression, got %s", t)
			}
		}
		pb.Offset = n
		return pb, nil
	}
	var err error
	if out.Start, err = bound(f.Start); err != nil {
		return nil, err
	}
	if out.End, err = bound(f.End); err != nil {
		return nil, err
	}
	if out.Start.Kind == planpb.FrameBoundKind_UNBOUNDED_FOLLOWING {
		return nil, errorf(ErrWrongType, f.Pos, "Frame start cannot be UNBOUNDED FOLLOWING")
	}
	if out.End.Kind == planpb.FrameBoundKind_UNBOUNDED_PRECEDING {
		return nil, errorf(ErrWrongType, f.Pos, "Frame end cannot be UNBOUNDED PRECEDING")
	}
	if boundRank(out.Start) > boundRank(out.End) {
		return nil, errorf(ErrWrongType, f.Pos, "WindowFrame's start bound is after its end bound")
	}
	return out, nil
}

// boundRank orders frame bounds relative to the current row (rows before it negative).
func boundRank(b *planpb.FrameBound) float64 {
	switch b.Kind {
	case planpb.FrameBoundKind_UNBOUNDED_PRECEDING:
		return -1e30
	case planpb.FrameBoundKind_PRECEDING:
		return -float64(b.Offset)
	case planpb.FrameBoundKind_FOLLOWING:
		return float64(b.Offset)
	case planpb.FrameBoundKind_UNBOUNDED_FOLLOWING:
		return 1e30
	}
	return 0
}

// windows puts Window nodes over root for the window calls in post (the expressions evaluated
// above it) and rewrites post to refer to their outputs. Calls with the same PARTITION BY, ORDER
// BY and frame share one node (frame-independent functions join any node of their keys); nodes
// with the same keys are stacked next to each other so that one sort serves them all.
func (qb *queryBinder) windows(root plan.Node, post []*expr) (plan.Node, []*expr, error) {
	any := false
	for _, e := range post {
		e.walk(func(x *expr) bool {
			any = any || x.kind == eWin
			return !any
		})
	}
	if !any {
		return root, post, nil
	}
	type group struct {
		sortKey, frame string
		w              *plan.Window
	}
	var groups []*group
	subst := map[string]*expr{}
	var err error
	add := func(e *expr) *expr {
		w := e.win
		low := make([]*plan.Expr, len(e.args))
		for i, a := range e.args {
			if low[i], err = lower(a); err != nil {
				return e
			}
		}
		var kb strings.Builder
		for i, p := range low[w.nargs : w.nargs+w.npart] {
			fmt.Fprintf(&kb, "p%d:%s;", i, p.Key())
		}
		var keys []plan.SortKey
		for i, o := range low[w.nargs+w.npart:] {
			keys = append(keys, plan.SortKey{Expr: o, Desc: w.desc[i], NullsFirst: w.nullsFirst[i]})
			fmt.Fprintf(&kb, "o:%s:%v:%v;", o.Key(), w.desc[i], w.nullsFirst[i])
		}
		sk, fk := kb.String(), frameKey(w.frame)
		var g *group
		for _, x := range groups {
			if x.sortKey == sk && (w.ignoresFrame || x.frame == fk) {
				g = x
				break
			}
		}
		if g == nil {
			g = &group{sortKey: sk, frame: fk, w: &plan.Window{PartitionBy: low[w.nargs : w.nargs+w.npart], OrderBy: keys, Frame: w.frame}}
			groups = append(groups, g)
		}
		col := qb.ids.New("", e.typ, e.nullable)
		g.w.Calls = append(g.w.Calls, plan.WindowCall{Col: col, Name: e.name, Args: low[:w.nargs]})
		return qb.colExpr(col, e.pos)
	}
	var rewrite func(e *expr) *expr
	rewrite = func(e *expr) *expr {
		if err != nil {
			return e
		}
		k := e.key()
		if r, ok := subst[k]; ok {
			return r
		}
		if e.kind == eWin {
			r := add(e)
			subst[k] = r
			return r
		}
		if len(e.args) == 0 {
			return e
		}
		var c *expr
		for i, a := range e.args {
			na := rewrite(a)
			if na != a && c == nil {
				cp := *e
				cp.args = slices.Clone(e.args)
				c = &cp
			}
			if c != nil {
				c.args[i] = na
			}
		}
		if c == nil {
			return e
		}
		return c
	}
	out := make([]*expr, len(post))
	for i, e := range post {
		out[i] = rewrite(e)
	}
	if err != nil {
		return nil, nil, err
	}
	// Stack the nodes, those with equal keys adjacent (in order of first appearance).
	first := map[string]int{}
	for i, g := range groups {
		if _, ok := first[g.sortKey]; !ok {
			first[g.sortKey] = i
		}
	}
	slices.SortStableFunc(groups, func(a, b *group) int { return first[a.sortKey] - first[b.sortKey] })
	for _, g := range groups {
		g.w.Input = root
		root = g.w
	}
	return root, out, nil
}
