package expr_test

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// A tiny s-expression syntax for expressions in tests:
//
//	(name:type arg ...)   a call with its result type
//	$col                  a column of the current table
//	text:type             a literal: text is parsed as a cast from string to type ('...' quotes)
//	null:type             a NULL literal
//
// Types: boolean tinyint smallint int bigint largeint float double decimal(p,s) date
// datetime(s) char(n) varchar(n) string null.

func parseType(s string) (types.T, error) {
	name, params, _ := strings.Cut(s, "(")
	params = strings.TrimSuffix(params, ")")
	var ps []int32
	if params != "" {
		for _, p := range strings.Split(params, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				return types.T{}, fmt.Errorf("type %q: %v", s, err)
			}
			ps = append(ps, int32(n))
		}
	}
	param := func(i int, def int32) int32 {
		if i < len(ps) {
			return ps[i]
		}
		return def
	}
	kinds := map[string]types.Kind{
		"boolean": types.Boolean, "tinyint": types.TinyInt, "smallint": types.SmallInt, "int": types.Int,
		"bigint": types.BigInt, "largeint": types.LargeInt, "float": types.Float, "double": types.Double,
		"date": types.Date, "string": types.String, "null": types.Null,
	}
	switch name {
	case "decimal":
		return types.DecimalOf(param(0, 9), param(1, 0)), nil
	case "datetime":
		return types.DateTimeOf(param(0, 0)), nil
	case "varchar":
		return types.VarcharOf(param(0, 65533)), nil
	case "char":
		return types.CharOf(param(0, 1)), nil
	}
	k, ok := kinds[name]
	if !ok {
		return types.T{}, fmt.Errorf("unknown type %q", s)
	}
	return types.New(k), nil
}

func tokenize(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t':
			i++
		case c == '(' || c == ')':
			toks = append(toks, string(c))
			i++
		default:
			j := i
			depth := 0
			inType := false
			for j < len(s) {
				d := s[j]
				if d == '\'' {
					k := strings.IndexByte(s[j+1:], '\'')
					if k < 0 {
						return nil, fmt.Errorf("unterminated quote in %q", s)
					}
					j += k + 2
					continue
				}
				if d == ':' {
					inType = true
				}
				if inType && d == '(' {
					depth++
				} else if d == ')' && depth > 0 {
					depth--
				} else if depth == 0 && (d == ' ' || d == '\n' || d == '(' || d == ')') {
					break
				}
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

type table struct {
	names []string
	types []types.T
	batch *vector.Batch
}

func (tb *table) col(name string) (int, bool) {
	for i, n := range tb.names {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

func splitTyped(atom string) (string, types.T, error) {
	k := strings.LastIndexByte(atom, ':')
	if q := strings.LastIndexByte(atom, '\''); q > k {
		k = -1
	}
	if k < 0 {
		return "", types.T{}, fmt.Errorf("%q has no type", atom)
	}
	t, err := parseType(atom[k+1:])
	return atom[:k], t, err
}

// literalExpr builds a literal of type t from text (parsed as a cast from a string).
func literalExpr(text string, t types.T) (*planpb.Expr, error) {
	if text == "null" || t.Kind == types.Null {
		return &planpb.Expr{Type: t.Proto(), Nullable: true, Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{IsNull: true}}}, nil
	}
	text = strings.TrimSuffix(strings.TrimPrefix(text, "'"), "'")
	v := vector.New(types.New(types.String), 1)
	v.Bytes[0] = []byte(text)
	c := expr.Cast(v, []int32{0}, t)
	if c.IsNull(0) {
		return nil, fmt.Errorf("literal %q is not a valid %s", text, t)
	}
	return &planpb.Expr{Type: t.Proto(), Kind: &planpb.Expr_Literal{Literal: expr.LiteralOf(c, 0)}}, nil
}

func parseExpr(s string, tb *table) (*planpb.Expr, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	e, rest, err := parseToks(toks, tb)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("trailing tokens %v", rest)
	}
	return e, nil
}

func parseToks(toks []string, tb *table) (*planpb.Expr, []string, error) {
	if len(toks) == 0 {
		return nil, nil, fmt.Errorf("unexpected end")
	}
	t := toks[0]
	switch {
	case t == "(":
		name, typ, err := splitTyped(toks[1])
		if err != nil {
			return nil, nil, err
		}
		call := &planpb.Call{Name: name}
		rest := toks[2:]
		for len(rest) > 0 && rest[0] != ")" {
			var a *planpb.Expr
			a, rest, err = parseToks(rest, tb)
			if err != nil {
				return nil, nil, err
			}
			call.Args = append(call.Args, a)
		}
		if len(rest) == 0 {
			return nil, nil, fmt.Errorf("missing )")
		}
		return &planpb.Expr{Type: typ.Proto(), Nullable: true, Kind: &planpb.Expr_Call{Call: call}}, rest[1:], nil
	case strings.HasPrefix(t, "$"):
		if tb == nil {
			return nil, nil, fmt.Errorf("no table for %s", t)
		}
		i, ok := tb.col(t[1:])
		if !ok {
			return nil, nil, fmt.Errorf("no column %s", t)
		}
		return &planpb.Expr{Type: tb.types[i].Proto(), Nullable: true, Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(i)}}}, toks[1:], nil
	}
	text, typ, err := splitTyped(t)
	if err != nil {
		return nil, nil, err
	}
	e, err := literalExpr(text, typ)
	return e, toks[1:], err
}

// parseTable reads "name:type ..." then one line of values per row (NULL for NULL).
func parseTable(input string) (*table, error) {
	lines := strings.Split(strings.TrimSpace(input), "\n")
	tb := &table{}
	for _, f := range strings.Fields(lines[0]) {
		name, t, err := splitTyped(f)
		if err != nil {
			return nil, err
		}
		tb.names = append(tb.names, name)
		tb.types = append(tb.types, t)
	}
	n := len(lines) - 1
	cols := make([]*vector.Vector, len(tb.types))
	for c, t := range tb.types {
		cols[c] = vector.New(t, n)
	}
	for r, line := range lines[1:] {
		fields := splitFields(line)
		if len(fields) != len(cols) {
			return nil, fmt.Errorf("row %q has %d fields, want %d", line, len(fields), len(cols))
		}
		for c, f := range fields {
			if f == "NULL" {
				cols[c].SetNull(r)
				continue
			}
			e, err := literalExpr(f, tb.types[c])
			if err != nil {
				return nil, err
			}
			ce, err := expr.Compile(e, nil)
			if err != nil {
				return nil, err
			}
			v, _ := ce.Constant()
			switch tb.types[c].Physical() {
			case types.PhysInt64:
				cols[c].Int64[r] = v.Int64[0]
			case types.PhysInt128:
				cols[c].Int128[r] = v.Int128[0]
			case types.PhysFloat64:
				cols[c].Float64[r] = v.Float64[0]
			default:
				cols[c].Bytes[r] = v.Bytes[0]
			}
		}
	}
	tb.batch = vector.NewBatch(cols, n)
	return tb, nil
}

// splitFields splits on spaces, keeping '...' together.
func splitFields(line string) []string {
	var out []string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimSpace(line) {
		if line[0] == '\'' {
			k := strings.IndexByte(line[1:], '\'')
			out = append(out, line[:k+2])
			line = line[k+2:]
			continue
		}
		k := strings.IndexByte(line, ' ')
		if k < 0 {
			k = len(line)
		}
		out = append(out, line[:k])
		line = line[k:]
	}
	return out
}
