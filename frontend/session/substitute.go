package session

import (
	"strconv"
	"strings"

	"github.com/doricdb/doric/frontend/ast"
)

// substitute replaces what only the session knows — system variables (@@x) and the connection
// functions (VERSION(), DATABASE(), USER(), CONNECTION_ID(), ...) — by literals, before binding.
// A select item that is exactly such an expression keeps its text as the column name, as MySQL.
func (s *Session) substitute(st *ast.Select) {
	for _, it := range st.Items {
		if it.Alias == nil {
			switch e := it.Expr.(type) {
			case *ast.Variable:
				if e.Scope != ast.ScopeUser {
					name := "@@" + e.Name
					if e.Scope == ast.ScopeSession {
						name = "@@session." + e.Name
					} else if e.Scope == ast.ScopeGlobal {
						name = "@@global." + e.Name
					}
					it.Alias = &ast.Ident{Pos: e.Pos, Name: name}
				}
			case *ast.FuncCall:
				if _, ok := s.connFunc(e); ok {
					it.Alias = &ast.Ident{Pos: e.Pos, Name: strings.ToUpper(e.Name) + "()"}
				}
			}
		}
		it.Expr = s.subst(it.Expr)
	}
	st.Where = s.subst(st.Where)
	st.Having = s.subst(st.Having)
}

// substituteQuery is substitute on every SELECT block of a query's set operations.
func (s *Session) substituteQuery(q ast.QueryExpr) {
	switch q := q.(type) {
	case *ast.Select:
		s.substitute(q)
	case *ast.SetOp:
		s.substituteQuery(q.Left)
		s.substituteQuery(q.Right)
	}
}

func (s *Session) connFunc(f *ast.FuncCall) (*ast.Literal, bool) {
	if len(f.Args) != 0 || f.Star {
		return nil, false
	}
	lit := func(v string) (*ast.Literal, bool) {
		return &ast.Literal{Pos: f.Pos, Kind: ast.LitString, Value: v}, true
	}
	switch strings.ToLower(f.Name) {
	case "version":
		return lit(s.vars["version"].String())
	case "database", "schema":
		if s.db == "" {
			return &ast.Literal{Pos: f.Pos, Kind: ast.LitNull}, true
		}
		return lit(s.db)
	case "user", "session_user", "system_user":
		return lit(s.user + "@%")
	case "current_user":
		return lit("'" + s.user + "'@'%'")
	case "connection_id":
		return &ast.Literal{Pos: f.Pos, Kind: ast.LitInt, Value: strconv.FormatUint(uint64(s.connID), 10)}, true
	}
	return nil, false
}

func (s *Session) subst(e ast.Expr) ast.Expr {
	switch e := e.(type) {
	case nil:
		return nil
	case *ast.Variable:
		if e.Scope == ast.ScopeUser {
			return &ast.Literal{Pos: e.Pos, Kind: ast.LitNull}
		}
		v, ok := s.vars[strings.ToLower(e.Name)]
		if !ok {
			return e // the binder reports the unknown variable
		}
		if v.isNum {
			return &ast.Literal{Pos: e.Pos, Kind: ast.LitInt, Value: strconv.FormatInt(v.num, 10)}
		}
		return &ast.Literal{Pos: e.Pos, Kind: ast.LitString, Value: v.str}
	case *ast.FuncCall:
		if l, ok := s.connFunc(e); ok {
			return l
		}
		for i := range e.Args {
			e.Args[i] = s.subst(e.Args[i])
		}
	case *ast.UnaryExpr:
		e.X = s.subst(e.X)
	case *ast.BinaryExpr:
		e.L, e.R = s.subst(e.L), s.subst(e.R)
	case *ast.IsExpr:
		e.X = s.subst(e.X)
	case *ast.BetweenExpr:
		e.X, e.Lo, e.Hi = s.subst(e.X), s.subst(e.Lo), s.subst(e.Hi)
	case *ast.InExpr:
		e.X = s.subst(e.X)
		for i := range e.List {
			e.List[i] = s.subst(e.List[i])
		}
	case *ast.LikeExpr:
		e.X, e.Pattern = s.subst(e.X), s.subst(e.Pattern)
	case *ast.CaseExpr:
		e.Operand, e.Else = s.subst(e.Operand), s.subst(e.Else)
		for _, w := range e.Whens {
			w.Cond, w.Result = s.subst(w.Cond), s.subst(w.Result)
		}
	case *ast.CastExpr:
		e.X = s.subst(e.X)
	}
	return e
}
