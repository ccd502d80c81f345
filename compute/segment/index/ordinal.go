package index

import (
	"sort"

	"github.com/doricdb/doric/compute/segment/encoding"
	"google.golang.org/protobuf/encoding/protowire"
)

// MaxPageRows bounds the rows of one page (FORMAT.md).
const MaxPageRows = 1 << 20

// Ordinal is a column's ordinal index: for each page, in row order, its first row and where its
// block lies in the file. Page p holds rows [FirstRow[p], FirstRow[p+1]) (the last one up to
// NumRows).
type Ordinal struct {
	FirstRow []int64
	Offset   []int64
	Size     []int64
	NumRows  int64
}

// Len is the number of pages.
func (o *Ordinal) Len() int { return len(o.FirstRow) }

// Rows returns the row range [start, end) of page p.
func (o *Ordinal) Rows(p int) (start, end int64) {
	if p+1 < len(o.FirstRow) {
		return o.FirstRow[p], o.FirstRow[p+1]
	}
	return o.FirstRow[p], o.NumRows
}

// Page returns the page holding row (0 <= row < NumRows).
func (o *Ordinal) Page(row int64) int {
	return sort.Search(len(o.FirstRow), func(p int) bool { return o.FirstRow[p] > row }) - 1
}

// AppendOrdinal appends o as an OrdinalIndex message body (FORMAT.md).
func AppendOrdinal(dst []byte, o *Ordinal) []byte {
	dst = appendPacked(dst, 1, o.FirstRow)
	dst = appendPacked(dst, 2, o.Offset)
	return appendPacked(dst, 3, o.Size)
}

// DecodeOrdinal decodes and validates the ordinal index of a column of numPages pages covering
// numRows rows whose blocks lie within [0, dataEnd).
func DecodeOrdinal(msg []byte, numPages int, numRows, dataEnd int64) (*Ordinal, error) {
	o := &Ordinal{NumRows: numRows}
	err := Fields(msg, func(num protowire.Number, _ uint64, b []byte, isBytes bool) error {
		var err error
		if num >= 1 && num <= 3 && !isBytes {
			return corrupt("ordinal index: field %d is not packed", num)
		}
		switch num {
		case 1:
			o.FirstRow, err = unpackVarints(b, o.FirstRow)
		case 2:
			o.Offset, err = unpackVarints(b, o.Offset)
		case 3:
			o.Size, err = unpackVarints(b, o.Size)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(o.FirstRow) != numPages || len(o.Offset) != numPages || len(o.Size) != numPages {
		return nil, corrupt("ordinal index lists %d/%d/%d pages, the column has %d", len(o.FirstRow), len(o.Offset), len(o.Size), numPages)
	}
	if (numPages == 0) != (numRows == 0) {
		return nil, corrupt("ordinal index: %d pages for %d rows", numPages, numRows)
	}
	for p := range numPages {
		start, end := o.Rows(p)
		switch {
		case p == 0 && start != 0:
			return nil, corrupt("ordinal index: first page starts at row %d", start)
		case end <= start || end-start > MaxPageRows:
			return nil, corrupt("ordinal index: page %d covers rows [%d, %d)", p, start, end)
		case o.Size[p] < encoding.MinBlockLen || o.Offset[p]+o.Size[p] > dataEnd:
			return nil, corrupt("ordinal index: page %d at [%d, +%d) is outside the data region [0, %d)", p, o.Offset[p], o.Size[p], dataEnd)
		}
	}
	return o, nil
}
