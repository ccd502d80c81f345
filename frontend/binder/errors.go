package binder

import (
	"fmt"

	"github.com/doricdb/doric/frontend/ast"
)

// Code classifies binder errors. The comments give the MySQL error a client should see.
type Code uint8

const (
	ErrNoDatabase       Code = iota + 1 // 1046 No database selected
	ErrUnknownDatabase                  // 1049 Unknown database 'x'
	ErrUnknownTable                     // 1051 Unknown table 'x'
	ErrUnknownColumn                    // 1054 Unknown column 'x' in 'table list'
	ErrUnknownFunction                  // 1305 function does not exist
	ErrUnknownVariable                  // 1193 Unknown system variable 'x'
	ErrNoTables                         // 1096 No tables used
	ErrNotGrouped                       // 1055 column not in GROUP BY
	ErrInvalidGroupFunc                 // 1111 Invalid use of group function
	ErrWrongType                        // 1105 a type error in an expression
	ErrValueCount                       // 1136 Column count doesn't match value count at row n
	ErrDuplicateColumn                  // 1060 Duplicate column name / 1110 column specified twice
	ErrNoDefault                        // 1364 Field 'x' doesn't have a default value
	ErrBadNull                          // 1048 Column 'x' cannot be null
	ErrBadValue                         // 1366 / 1264 / 1406: a value that does not fit its column
	ErrInvalidDefault                   // 1067 Invalid default value for 'x'
	ErrInvalidDDL                       // 1105 a CREATE TABLE that Doris rejects (keys, distribution, ...)
	ErrNotSupported                     // 1235 a construct that is not supported yet
	ErrUnknownPartition                 // 1735 Unknown partition 'p' in table 't'
	ErrInvalidDML                       // 1105 a DELETE or UPDATE that Doris rejects (model, predicate form)
)

// Error is every error the binder returns.
type Error struct {
	Code   Code
	Pos    ast.Pos // where in the statement; zero when not known
	Msg    string
	Row    int    // INSERT: 1-based row of the bad value; 0 otherwise
	Column string // INSERT and CREATE TABLE: the column concerned, when there is one
}

func (e *Error) Error() string {
	if e.Pos.IsValid() && e.Row == 0 {
		return fmt.Sprintf("%s (line %d, column %d)", e.Msg, e.Pos.Line, e.Pos.Col)
	}
	return e.Msg
}

func errorf(code Code, pos ast.Pos, format string, a ...any) *Error {
	return &Error{Code: code, Pos: pos, Msg: fmt.Sprintf(format, a...)}
}
