package load

import (
	"fmt"
	"strings"

	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/parser"
)

// HeaderError is a `columns`, `where` or `partitions` header that does not parse.
type HeaderError struct {
	Header string
	Msg    string
}

func (e *HeaderError) Error() string { return fmt.Sprintf("%s header: %s", e.Header, e.Msg) }

// ParseColumns parses a `columns` header: comma-separated items, each a column name (optionally
// in backquotes) or `name = expression`. Commas inside parentheses and quotes do not separate.
func ParseColumns(h string) ([]binder.LoadColumn, error) {
	if strings.TrimSpace(h) == "" {
		return nil, nil
	}
	var out []binder.LoadColumn
	for i, item := range splitTopLevel(h) {
		text := strings.TrimSpace(item)
		bad := func(format string, a ...any) error {
			return &HeaderError{Header: "columns", Msg: fmt.Sprintf("item %d (%q): %s", i+1, text, fmt.Sprintf(format, a...))}
		}
		if text == "" {
			return nil, bad("empty item")
		}
		name, rest, err := leadingName(text)
		if err != nil {
			return nil, bad("%v", err)
		}
		rest = strings.TrimSpace(rest)
		if rest == "" {
			out = append(out, binder.LoadColumn{Name: name})
			continue
		}
		if rest[0] != '=' || strings.HasPrefix(rest, "==") {
			return nil, bad("expected ',' or '=' after the column name")
		}
		e, err := parser.ParseExpr(rest[1:])
		if err != nil {
			return nil, bad("%v", err)
		}
		out = append(out, binder.LoadColumn{Name: name, Expr: e, Pos: e.Position()})
	}
	return out, nil
}

// ParseWhere parses a `where` header ("" gives nil).
func ParseWhere(h string) (ast.Expr, error) {
	if strings.TrimSpace(h) == "" {
		return nil, nil
	}
	e, err := parser.ParseExpr(h)
	if err != nil {
		return nil, &HeaderError{Header: "where", Msg: err.Error()}
	}
	return e, nil
}

// ParsePartitions parses a `partitions` header: comma-separated partition names.
func ParsePartitions(h string) ([]string, error) {
	if strings.TrimSpace(h) == "" {
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(h, ",") {
		p = strings.Trim(strings.TrimSpace(p), "`")
		if p == "" {
			return nil, &HeaderError{Header: "partitions", Msg: fmt.Sprintf("empty partition name in %q", h)}
		}
		out = append(out, p)
	}
	return out, nil
}

// leadingName takes a column name (bare or in backquotes) off the front of s.
func leadingName(s string) (name, rest string, err error) {
	if strings.HasPrefix(s, "`") {
		end := strings.IndexByte(s[1:], '`')
		if end < 0 {
			return "", "", fmt.Errorf("unterminated backquote")
		}
		if end == 0 {
			return "", "", fmt.Errorf("empty column name")
		}
		return s[1 : end+1], s[end+2:], nil
	}
	n := 0
	for n < len(s) && isNameByte(s[n]) {
		n++
	}
	if n == 0 {
		return "", "", fmt.Errorf("expected a column name")
	}
	return s[:n], s[n:], nil
}

func isNameByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// splitTopLevel splits s at commas outside parentheses, quotes and backquotes.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote != '`' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			if depth > 0 {
				depth--
			}
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
