package parser

import "fmt"

// SyntaxError is every error the parser returns: the statement text is not in the dialect, or uses
// a construct that is not supported yet. The MySQL edge maps it to error 1064 (ER_PARSE_ERROR).
type SyntaxError struct {
	Line, Col int    // 1-based position of the offending token (Col counts characters)
	Offset    int    // 0-based byte offset of the offending token
	Near      string // the offending token's text; empty at end of input
	AtEOF     bool   // the input ended where more was expected
	Msg       string // what was expected or what is wrong; may be empty
}

func (e *SyntaxError) Error() string {
	s := fmt.Sprintf("syntax error at line %d, column %d", e.Line, e.Col)
	if e.AtEOF {
		s += " near end of input"
	} else {
		s += fmt.Sprintf(" near '%s'", e.Near)
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}
