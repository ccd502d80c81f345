package exec_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/exec"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// The operator test harness: a source that emits a table's rows in batches of random sizes,
// each with decoy rows hidden behind a selection vector (their values would overflow or match
// predicates, so an operator that ignores the selection fails), and a drain that checks every
// output batch against the operator contract.

var (
	tInt     = types.New(types.Int)
	tBigint  = types.New(types.BigInt)
	tVarchar = types.VarcharOf(10)
	tDecimal = types.DecimalOf(10, 2)
	tBool    = types.New(types.Boolean)
	tableTy  = []types.T{tInt, tBigint, tVarchar, tDecimal}
)

// row is one row of the test table; nil pointers are NULL.
type row struct {
	g *int64  // INT, few distinct values
	a *int64  // BIGINT
	s *string // VARCHAR(10), few distinct values
	d *int64  // DECIMAL(10,2), unscaled
}

func ptr[T any](v T) *T { return &v }

func randomRows(r *rand.Rand, n int) []row {
	rows := make([]row, n)
	for i := range rows {
		if r.IntN(8) != 0 {
			rows[i].g = ptr(r.Int64N(6))
		}
		if r.IntN(6) != 0 {
			rows[i].a = ptr(r.Int64N(2001) - 1000)
		}
		if r.IntN(7) != 0 {
			rows[i].s = ptr(fmt.Sprint("s", r.IntN(4)))
		}
		if r.IntN(5) != 0 {
			rows[i].d = ptr(r.Int64N(100001) - 50000)
		}
	}
	return rows
}

// toVectors builds the table's columns from rows.
func toVectors(rows []row) []*vector.Vector {
	cols := make([]*vector.Vector, len(tableTy))
	for k, t := range tableTy {
		cols[k] = vector.New(t, len(rows))
	}
	for i, rw := range rows {
		setInt(cols[0], i, rw.g)
		setInt(cols[1], i, rw.a)
		if rw.s == nil {
			cols[2].SetNull(i)
		} else {
			cols[2].Bytes[i] = []byte(*rw.s)
		}
		setInt(cols[3], i, rw.d)
	}
	return cols
}

func setInt(v *vector.Vector, i int, x *int64) {
	if x == nil {
		v.SetNull(i)
	} else {
		v.Int64[i] = *x
	}
}

// decoy is a row no operator may look at: its values overflow arithmetic and match the tests'
// predicates.
var decoy = row{g: ptr(int64(3)), a: ptr(int64(math.MaxInt64)), s: ptr("s1"), d: ptr(int64(99999999))}

// source emits rows in random batches with decoys behind a selection.
type source struct {
	r      *rand.Rand
	rows   []row
	pos    int
	opened bool
	closed int
}

func newSource(r *rand.Rand, rows []row) *source { return &source{r: r, rows: rows} }

func (s *source) Types() []types.T { return tableTy }
func (s *source) Open(context.Context) error {
	s.opened = true
	return nil
}
func (s *source) Close() error { s.closed++; return nil }

func (s *source) Next(context.Context) (*vector.Batch, error) {
	if !s.opened {
		return nil, fmt.Errorf("BUG: Next before Open")
	}
	if s.pos >= len(s.rows) {
		return nil, nil
	}
	k := min(len(s.rows)-s.pos, 1+s.r.IntN(97))
	real := s.rows[s.pos : s.pos+k]
	s.pos += k
	if s.r.IntN(3) == 0 {
		return vector.NewBatch(toVectors(real), k), nil
	}
	var phys []row
	var sel []int32
	for _, rw := range real {
		for range s.r.IntN(3) {
			phys = append(phys, decoy)
		}
		sel = append(sel, int32(len(phys)))
		phys = append(phys, rw)
	}
	phys = append(phys, decoy)
	b := vector.NewBatch(toVectors(phys), len(phys))
	b.Sel = sel
	return b, nil
}

// drain runs op and returns its rows formatted as "v1|v2|...", checking the operator contract.
func drain(t *testing.T, op exec.Operator) []string {
	t.Helper()
	ctx := context.Background()
	if err := op.Open(ctx); err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		b, err := op.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			break
		}
		if err := b.Validate(); err != nil {
			t.Fatal(err)
		}
		if b.Len() == 0 {
			t.Fatal("operator returned an empty batch")
		}
		if len(b.Cols) != len(op.Types()) {
			t.Fatalf("batch has %d columns, operator says %d", len(b.Cols), len(op.Types()))
		}
		for k, c := range b.Cols {
			if c.Type != op.Types()[k] {
				t.Fatalf("column %d is %s, operator says %s", k, c.Type, op.Types()[k])
			}
		}
		for _, i := range b.Rows(nil) {
			var parts []string
			for _, c := range b.Cols {
				parts = append(parts, c.Format(int(i)))
			}
			out = append(out, strings.Join(parts, "|"))
		}
	}
	if b, err := op.Next(ctx); b != nil || err != nil {
		t.Fatalf("Next after the end: %v %v", b, err)
	}
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// ---------------------------------------------------------------- plan builders

func colRef(i int, t types.T) *planpb.Expr {
	return &planpb.Expr{Type: t.Proto(), Nullable: true, Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(i)}}}
}

func intLit(v int64, t types.T) *planpb.Expr {
	return &planpb.Expr{Type: t.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Int64: v}}}
}

func strLit(s string) *planpb.Expr {
	return &planpb.Expr{Type: tVarchar.Proto(), Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{Bytes: []byte(s)}}}
}

func call(name string, t types.T, args ...*planpb.Expr) *planpb.Expr {
	return &planpb.Expr{Type: t.Proto(), Nullable: true, Kind: &planpb.Expr_Call{Call: &planpb.Call{Name: name, Args: args}}}
}

// fmtInt formats a nullable integer as Vector.Format does.
func fmtInt(x *int64) string {
	if x == nil {
		return "NULL"
	}
	return fmt.Sprint(*x)
}

func fmtStr(x *string) string {
	if x == nil {
		return "NULL"
	}
	return *x
}

func fmtDec(x *int64, scale int32) string {
	if x == nil {
		return "NULL"
	}
	return types.FormatDecimal(types.I128(*x), scale)
}
