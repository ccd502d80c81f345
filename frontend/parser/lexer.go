package parser

import (
	"strings"
	"unicode/utf8"

	"github.com/doricdb/doric/frontend/ast"
)

type tokKind uint8

const (
	tEOF         tokKind = iota
	tWord                // unquoted identifier or keyword
	tQuotedIdent         // `name`
	tInt                 // 123
	tDecimal             // 1.5, .5, 1.
	tFloat               // 1e5, 1.5E-3
	tString              // 'x' or "x" (text unescaped)
	tSysVar              // @@name or @@scope.name (text without @@)
	tUserVar             // @name (text without @)
	tOp                  // punctuation and operators
)

type token struct {
	kind  tokKind
	text  string // word/ident/number text, unescaped string, variable name, operator
	raw   string // the source text of the token, for error messages
	pos   ast.Pos
	scope ast.VarScope // variables only
}

// lexer turns SQL text into tokens. Comments (-- ..., # ..., /* ... */) and whitespace are skipped.
type lexer struct {
	src  string
	off  int
	line int
	col  int
}

func newLexer(src string) *lexer { return &lexer{src: src, line: 1, col: 1} }

func (l *lexer) pos() ast.Pos { return ast.Pos{Line: l.line, Col: l.col, Offset: l.off} }

func (l *lexer) peekByte(ahead int) byte {
	if l.off+ahead < len(l.src) {
		return l.src[l.off+ahead]
	}
	return 0
}

// advance consumes one character (rune) and keeps line and column.
func (l *lexer) advance() {
	if l.off >= len(l.src) {
		return
	}
	c := l.src[l.off]
	if c < utf8.RuneSelf {
		l.off++
	} else {
		_, n := utf8.DecodeRuneInString(l.src[l.off:])
		l.off += n
	}
	if c == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
}

func (l *lexer) errAt(pos ast.Pos, near, msg string) *SyntaxError {
	return &SyntaxError{Line: pos.Line, Col: pos.Col, Offset: pos.Offset, Near: near, Msg: msg}
}

// skipSpace skips whitespace and comments.
func (l *lexer) skipSpace() error {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.advance()
		case c == '#' || c == '-' && l.peekByte(1) == '-':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance()
			}
		case c == '/' && l.peekByte(1) == '*':
			start := l.pos()
			l.advance()
			l.advance()
			for {
				if l.off >= len(l.src) {
					return l.errAt(start, "/*", "unterminated comment")
				}
				if l.src[l.off] == '*' && l.peekByte(1) == '/' {
					l.advance()
					l.advance()
					break
				}
				l.advance()
			}
		default:
			return nil
		}
	}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWordStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf
}

func isWordChar(c byte) bool { return isWordStart(c) || isDigit(c) || c == '$' }

// next returns the next token.
func (l *lexer) next() (token, error) {
	if err := l.skipSpace(); err != nil {
		return token{}, err
	}
	start := l.pos()
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[l.off]
	mk := func(k tokKind, text string) (token, error) {
		return token{kind: k, text: text, raw: l.src[start.Offset:l.off], pos: start}, nil
	}
	switch {
	case isWordStart(c):
		for l.off < len(l.src) && isWordChar(l.src[l.off]) {
			l.advance()
		}
		return mk(tWord, l.src[start.Offset:l.off])
	case isDigit(c) || c == '.' && isDigit(l.peekByte(1)):
		return l.number(start)
	case c == '`':
		name, err := l.quoted('`', start)
		if err != nil {
			return token{}, err
		}
		if name == "" {
			return token{}, l.errAt(start, "``", "empty identifier")
		}
		return mk(tQuotedIdent, name)
	case c == '\'' || c == '"':
		s, err := l.quoted(c, start)
		if err != nil {
			return token{}, err
		}
		return mk(tString, s)
	case c == '@':
		return l.variable(start)
	}
	// Operators: longest match first.
	for _, op := range []string{"<=>", "<=", ">=", "<>", "!=", "&&", "||", ":="} {
		if strings.HasPrefix(l.src[l.off:], op) {
			for range op {
				l.advance()
			}
			return mk(tOp, op)
		}
	}
	if strings.IndexByte("=<>+-*/%(),.;!~&|^[]{}?:", c) >= 0 {
		l.advance()
		return mk(tOp, string(c))
	}
	l.advance()
	raw := l.src[start.Offset:l.off]
	return token{}, l.errAt(start, raw, "unexpected character")
}

// number lexes 123, 1.5, .5, 1., 1e5, 1.5e-3.
func (l *lexer) number(start ast.Pos) (token, error) {
	kind := tInt
	for isDigit(l.peekByte(0)) {
		l.advance()
	}
	if l.peekByte(0) == '.' {
		kind = tDecimal
		l.advance()
		for isDigit(l.peekByte(0)) {
			l.advance()
		}
	}
	if e := l.peekByte(0); e == 'e' || e == 'E' {
		d := l.peekByte(1)
		if isDigit(d) || (d == '+' || d == '-') && isDigit(l.peekByte(2)) {
			kind = tFloat
			l.advance()
			if d == '+' || d == '-' {
				l.advance()
			}
			for isDigit(l.peekByte(0)) {
				l.advance()
			}
		}
	}
	text := l.src[start.Offset:l.off]
	return token{kind: kind, text: text, raw: text, pos: start}, nil
}

// quoted lexes a string or back-quoted identifier starting at the quote q. A doubled quote stands
// for itself; in strings, backslash escapes are MySQL's (\n \t \r \b \0 \Z \\ \' \"; \% and \_
// keep the backslash for LIKE; any other \x is x).
func (l *lexer) quoted(q byte, start ast.Pos) (string, error) {
	l.advance()
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			what := "unterminated string"
			if q == '`' {
				what = "unterminated quoted identifier"
			}
			return "", l.errAt(start, l.src[start.Offset:min(len(l.src), start.Offset+32)], what)
		}
		c := l.src[l.off]
		switch {
		case c == q && l.peekByte(1) == q:
			b.WriteByte(q)
			l.advance()
			l.advance()
		case c == q:
			l.advance()
			return b.String(), nil
		case c == '\\' && q != '`' && l.off+1 < len(l.src):
			l.advance()
			e := l.src[l.off]
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case '0':
				b.WriteByte(0)
			case 'Z':
				b.WriteByte(26)
			case '%', '_':
				b.WriteByte('\\')
				b.WriteByte(e)
			default:
				if e < utf8.RuneSelf {
					b.WriteByte(e)
				} else {
					_, n := utf8.DecodeRuneInString(l.src[l.off:])
					b.WriteString(l.src[l.off : l.off+n])
				}
			}
			l.advance()
		default:
			if c < utf8.RuneSelf {
				b.WriteByte(c)
			} else {
				_, n := utf8.DecodeRuneInString(l.src[l.off:])
				b.WriteString(l.src[l.off : l.off+n])
			}
			l.advance()
		}
	}
}

// variable lexes @name, @`name`, @'name', @@name, @@scope.name (scope SESSION, GLOBAL or LOCAL;
// each part bare or quoted). The token's text is the name; scope is set for system variables.
func (l *lexer) variable(start ast.Pos) (token, error) {
	l.advance()
	kind := tUserVar
	if l.peekByte(0) == '@' {
		kind = tSysVar
		l.advance()
	}
	var parts []string
	for {
		switch c := l.peekByte(0); {
		case c == '`' || c == '\'' || c == '"':
			s, err := l.quoted(c, l.pos())
			if err != nil {
				return token{}, err
			}
			if s == "" {
				return token{}, l.errAt(start, l.src[start.Offset:l.off], "empty variable name")
			}
			parts = append(parts, s)
		case isWordChar(c):
			from := l.off
			for l.off < len(l.src) && isWordChar(l.src[l.off]) {
				l.advance()
			}
			parts = append(parts, l.src[from:l.off])
		default:
			return token{}, l.errAt(start, l.src[start.Offset:l.off], "expected a variable name")
		}
		if kind != tSysVar || len(parts) > 1 || l.peekByte(0) != '.' {
			break
		}
		l.advance()
	}
	t := token{kind: kind, text: parts[len(parts)-1], raw: l.src[start.Offset:l.off], pos: start}
	if kind == tUserVar {
		t.scope = ast.ScopeUser
	}
	if len(parts) == 2 {
		switch strings.ToLower(parts[0]) {
		case "session", "local":
			t.scope = ast.ScopeSession
		case "global":
			t.scope = ast.ScopeGlobal
		default:
			return token{}, l.errAt(start, t.raw, "unknown variable scope "+parts[0])
		}
	}
	return t, nil
}

// tokenize lexes the whole input; the last token is tEOF.
func tokenize(src string) ([]token, error) {
	l := newLexer(src)
	var toks []token
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		if t.kind == tEOF {
			return toks, nil
		}
	}
}
