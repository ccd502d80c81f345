package format

import (
	"fmt"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Defaults shared by the readers.
const (
	DefaultBatchRows  = 4096
	DefaultBatchBytes = 8 << 20
	// DefaultMaxRecordBytes bounds one CSV record or JSON line.
	DefaultMaxRecordBytes = 256 << 20
	// DefaultMaxDocumentBytes bounds a JSON document read whole (not by line), as Doris's
	// streaming_load_json_max_mb (100 MB).
	DefaultMaxDocumentBytes = 100 << 20
)

// Reader yields the rows of a load body. See the package doc.
type Reader interface {
	// Next returns the next chunk, or io.EOF after the last.
	Next() (*Chunk, error)
}

// Chunk is a batch of source rows as text.
type Chunk struct {
	// Cols holds one STRING vector per source column, all of length N.
	Cols []*vector.Vector
	N    int
	// Lines[i] is the line row i starts on; Raw[i] its source text (for error reports).
	Lines []int64
	Raw   [][]byte
	// Errors are the rows the reader rejected (not among the N rows).
	Errors []RowError
	arena  []byte // field values (table rows keep referring to them)
	raws   []byte // row texts (only error reports refer to them)
}

// Rows is the number of source rows the chunk accounts for: the good ones and the rejected.
func (c *Chunk) Rows() int { return c.N + len(c.Errors) }

func newChunk(ncols, rows int) *Chunk {
	c := &Chunk{Cols: make([]*vector.Vector, ncols), Lines: make([]int64, 0, rows), Raw: make([][]byte, 0, rows)}
	for i := range c.Cols {
		c.Cols[i] = vector.NewWithCap(types.New(types.String), rows)
	}
	return c
}

// keep copies a field value into the chunk's arena and returns the copy.
func (c *Chunk) keep(b []byte) []byte { return keepIn(&c.arena, b) }

// keepRaw copies a row's text apart from the values, so that the loaded rows do not keep it.
func (c *Chunk) keepRaw(b []byte) []byte { return keepIn(&c.raws, b) }

func keepIn(arena *[]byte, b []byte) []byte {
	if len(b) == 0 {
		return []byte{}
	}
	a := *arena
	if cap(a)-len(a) < len(b) {
		a = make([]byte, 0, max(64<<10, 2*len(b)))
	}
	start := len(a)
	a = append(a, b...)
	*arena = a
	return a[start:len(a):len(a)]
}

// RowError is a source row a reader (or the caller, converting it) rejected.
type RowError struct {
	Line   int64  // 1-based line the row starts on
	Column int    // 1-based field (CSV) or byte in the line (JSON); 0: the whole row
	Name   string // the column's name, when known
	Value  string // the offending value (truncated)
	Reason string
	Raw    string // the row's source text (truncated)
}

func (e RowError) Error() string {
	s := fmt.Sprintf("line %d, column %d", e.Line, e.Column)
	if e.Name != "" {
		s += fmt.Sprintf(" (%s)", e.Name)
	}
	s += ": " + e.Reason
	if e.Value != "" {
		s += ": value " + Quote(e.Value)
	}
	return s
}

// SyntaxError ends a read: the body cannot be parsed past Line, Column.
type SyntaxError struct {
	Line   int64
	Column int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// MaxShown is how many bytes of a value or row errors quote.
const MaxShown = 256

// Truncate shortens s to MaxShown bytes (marking the cut).
func Truncate(s []byte) string {
	if len(s) > MaxShown {
		return string(s[:MaxShown]) + "..."
	}
	return string(s)
}

// Quote renders a value for an error message.
func Quote(s string) string {
	if len(s) > MaxShown {
		s = s[:MaxShown] + "..."
	}
	return "'" + s + "'"
}

// position converts a byte offset in body to a 1-based line and column (lines end at delim).
func position(body []byte, off int64, delim []byte) (int64, int) {
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	if off < 0 {
		off = 0
	}
	line, start := int64(1), 0
	if len(delim) == 0 {
		delim = []byte{'\n'}
	}
	for i := 0; i+len(delim) <= int(off); {
		if body[i] == delim[0] && string(body[i:i+len(delim)]) == string(delim) {
			line++
			i += len(delim)
			start = i
			continue
		}
		i++
	}
	return line, int(off) - start + 1
}
