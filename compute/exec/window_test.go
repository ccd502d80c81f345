package exec_test

import (
	"cmp"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/exec"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

func bound(k planpb.FrameBoundKind, off int64) *planpb.FrameBound {
	return &planpb.FrameBound{Kind: k, Offset: off}
}

const (
	unbPre = planpb.FrameBoundKind_UNBOUNDED_PRECEDING
	pre    = planpb.FrameBoundKind_PRECEDING
	curRow = planpb.FrameBoundKind_CURRENT_ROW
	fol    = planpb.FrameBoundKind_FOLLOWING
	unbFol = planpb.FrameBoundKind_UNBOUNDED_FOLLOWING
	rowsU  = planpb.FrameUnit_ROWS
	rangeU = planpb.FrameUnit_RANGE
)

func randomFrame(r *rand.Rand, ordered bool) *planpb.WindowFrame {
	n, m := r.Int64N(4), r.Int64N(4)
	frames := []*planpb.WindowFrame{
		nil,
		{Unit: rowsU, Start: bound(unbPre, 0), End: bound(curRow, 0)},
		{Unit: rowsU, Start: bound(pre, n), End: bound(fol, m)},
		{Unit: rowsU, Start: bound(curRow, 0), End: bound(unbFol, 0)},
		{Unit: rowsU, Start: bound(fol, n), End: bound(fol, m)},
		{Unit: rowsU, Start: bound(pre, n), End: bound(pre, m)},
		{Unit: rangeU, Start: bound(unbPre, 0), End: bound(unbFol, 0)},
		{Unit: rangeU, Start: bound(curRow, 0), End: bound(unbFol, 0)},
	}
	if ordered {
		frames = append(frames,
			&planpb.WindowFrame{Unit: rangeU, Start: bound(pre, n), End: bound(curRow, 0)},
			&planpb.WindowFrame{Unit: rangeU, Start: bound(curRow, 0), End: bound(fol, m)},
			&planpb.WindowFrame{Unit: rangeU, Start: bound(pre, n), End: bound(fol, m)},
			&planpb.WindowFrame{Unit: rangeU, Start: bound(unbPre, 0), End: bound(pre, m)},
			&planpb.WindowFrame{Unit: rangeU, Start: bound(fol, n), End: bound(unbFol, 0)},
		)
	}
	return frames[r.IntN(len(frames))]
}

func windowCalls() []*planpb.WindowCall {
	c := func(name string, t types.T, args ...*planpb.Expr) *planpb.WindowCall {
		return &planpb.WindowCall{Name: name, Args: args, Type: t.Proto()}
	}
	return []*planpb.WindowCall{
		c("row_number", tBigint),
		c("rank", tBigint),
		c("dense_rank", tBigint),
		c("ntile", tBigint, intLit(3, tBigint)),
		c("lag", tBigint, colRef(1, tBigint), intLit(2, tBigint), intLit(-1, tBigint)),
		c("lead", tVarchar, colRef(2, tVarchar)),
		c("first_value", tDecimal, colRef(3, tDecimal)),
		c("last_value", tVarchar, colRef(2, tVarchar)),
		c("sum", types.DecimalOf(38, 2), colRef(3, tDecimal)),
		c("avg", types.DecimalOf(38, 4), colRef(3, tDecimal)),
		c("sum", tBigint, colRef(1, tBigint)),
		c("count", tBigint, colRef(1, tBigint)),
		c("count", tBigint),
		c("min", tVarchar, colRef(2, tVarchar)),
		c("max", tBigint, colRef(1, tBigint)),
		c("avg", types.New(types.Double), colRef(1, tBigint)),
	}
}

// cmpNullable orders nullable ints with NULLs first or last and the values ascending or not.
func cmpNullable(x, y *int64, desc, nullsFirst bool) int {
	switch {
	case x == nil && y == nil:
		return 0
	case x == nil || y == nil:
		if (x == nil) == nullsFirst {
			return -1
		}
		return 1
	}
	c := cmp.Compare(*x, *y)
	if desc {
		c = -c
	}
	return c
}

func eqPtr(x, y *int64) bool { return (x == nil && y == nil) || (x != nil && y != nil && *x == *y) }

// refWindow computes the reference output of windowCalls over sorted rows.
func refWindow(rows []row, partitioned, ordered, desc bool, f *planpb.WindowFrame) []string {
	var out []string
	for ps := 0; ps < len(rows); {
		pe := ps + 1
		for pe < len(rows) && (!partitioned || eqPtr(rows[pe].g, rows[ps].g)) {
			pe++
		}
		part := rows[ps:pe]
		m := len(part)
		peer := func(i, j int) bool { return !ordered || eqPtr(part[i].a, part[j].a) }
		norm := func(x int64) int64 {
			if desc {
				return -x
			}
			return x
		}
		nnFirst, nnLast := m, -1
		for j := range part {
			if part[j].a != nil {
				nnFirst, nnLast = min(nnFirst, j), max(nnLast, j)
			}
		}
		frameOf := func(i int) (int, int) {
			if f == nil {
				if ordered {
					f = &planpb.WindowFrame{Unit: rangeU, Start: bound(unbPre, 0), End: bound(curRow, 0)}
				} else {
					f = &planpb.WindowFrame{Unit: rowsU, Start: bound(unbPre, 0), End: bound(unbFol, 0)}
				}
			}
			ps, pe := i, i+1
			for ps > 0 && peer(ps-1, i) {
				ps--
			}
			for pe < m && peer(pe, i) {
				pe++
			}
			b := func(fb *planpb.FrameBound, end bool) int {
				add := 0
				if end {
					add = 1
				}
				switch fb.Kind {
				case unbPre:
					return 0
				case unbFol:
					return m
				case curRow:
					if f.Unit == rowsU {
						return i + add
					}
					if end {
						return pe
					}
					return ps
				}
				off := int(fb.Offset)
				if fb.Kind == pre {
					off = -off
				}
				if f.Unit == rowsU {
					return i + off + add
				}
				if part[i].a == nil {
					if end {
						return pe
					}
					return ps
				}
				target := norm(*part[i].a) + int64(off)
				if !end {
					for j := range m {
						if part[j].a != nil && norm(*part[j].a) >= target {
							return j
						}
					}
					return nnLast + 1
				}
				last := -1
				for j := range m {
					if part[j].a != nil && norm(*part[j].a) <= target {
						last = j
					}
				}
				if last < 0 {
					return nnFirst
				}
				return last + 1
			}
			s, e := min(max(b(f.Start, false), 0), m), min(max(b(f.End, true), 0), m)
			return s, max(s, e)
		}
		for i := range m {
			res := []string{fmtRow(part[i])}
			rank, dense := 1, 1 // rank: 1 + rows before the peer group; dense: peer groups so far
			for j := 0; j < i; j++ {
				if !peer(j, i) {
					rank = j + 2
				}
				if !peer(j+1, j) {
					dense++
				}
			}
			// ntile(3)
			q, rem := m/3, m%3
			bucket, start := 0, 0
			for b := 1; b <= 3; b++ {
				size := q
				if b <= rem {
					size++
				}
				if i >= start && i < start+size {
					bucket = b
				}
				start += size
			}
			lag := "-1"
			if i >= 2 {
				lag = fmtInt(part[i-2].a)
			}
			lead := "NULL"
			if i+1 < m {
				lead = fmtStr(part[i+1].s)
			}
			s, e := frameOf(i)
			first, last := "NULL", "NULL"
			if s < e {
				first, last = fmtDec(part[s].d, 2), fmtStr(part[e-1].s)
			}
			var sumD, sumA, cntA, cntD int64
			var minS *string
			var maxA *int64
			for _, rw := range part[s:e] {
				if rw.d != nil {
					sumD += *rw.d
					cntD++
				}
				if rw.a != nil {
					sumA += *rw.a
					cntA++
					if maxA == nil || *rw.a > *maxA {
						maxA = rw.a
					}
				}
				if rw.s != nil && (minS == nil || *rw.s < *minS) {
					minS = rw.s
				}
			}
			sd, ad, sa, aa := "NULL", "NULL", "NULL", "NULL"
			if cntD > 0 {
				sd = fmtDec(&sumD, 2)
				// avg at scale 4, rounded half away from zero
				num := new(big.Int).Abs(big.NewInt(sumD * 100))
				den := big.NewInt(cntD)
				quo, mod := new(big.Int).QuoRem(num, den, new(big.Int))
				if new(big.Int).Mul(mod, big.NewInt(2)).Cmp(den) >= 0 {
					quo.Add(quo, big.NewInt(1))
				}
				if sumD < 0 {
					quo.Neg(quo)
				}
				v := quo.Int64()
				ad = fmtDec(&v, 4)
			}
			if cntA > 0 {
				sa = fmt.Sprint(sumA)
				aa = vector.FormatFloat(float64(sumA)/float64(cntA), false)
			}
			res = append(res, fmt.Sprint(i+1), fmt.Sprint(rank), fmt.Sprint(dense), fmt.Sprint(bucket), lag, lead,
				first, last, sd, ad, sa, fmt.Sprint(cntA), fmt.Sprint(e-s), fmtStr(minS), fmtInt(maxA), aa)
			out = append(out, strings.Join(res, "|"))
		}
		ps = pe
	}
	return out
}

func TestWindow(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 21))
	for iter := range 150 {
		rows := joinRows(r, r.IntN(250))
		partitioned, ordered := r.IntN(4) != 0, r.IntN(5) != 0
		desc, nullsFirst := r.IntN(2) == 0, r.IntN(2) == 0
		slices.SortStableFunc(rows, func(x, y row) int {
			if partitioned {
				if c := cmpNullable(x.g, y.g, false, true); c != 0 {
					return c
				}
			}
			if ordered {
				return cmpNullable(x.a, y.a, desc, nullsFirst)
			}
			return 0
		})
		frame := randomFrame(r, ordered)
		n := &planpb.WindowNode{Calls: windowCalls(), Frame: frame}
		if partitioned {
			n.PartitionBy = []*planpb.Expr{colRef(0, tInt)}
		}
		if ordered {
			n.OrderBy = []*planpb.SortKey{{Expr: colRef(1, tBigint), Descending: desc, NullsFirst: nullsFirst}}
		}
		op, err := exec.BuildOn(&planpb.PlanNode{Node: &planpb.PlanNode_Window{Window: n}}, []exec.Operator{newSource(r, rows)}, randomEnv(r))
		if err != nil {
			t.Fatal(err)
		}
		got := drain(t, op)
		want := refWindow(rows, partitioned, ordered, desc, frame)
		if !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("iter %d (partitioned %v ordered %v desc %v frame %v) row %d:\ngot  %s\nwant %s", iter, partitioned, ordered, desc, frame, i, got[i], want[i])
				}
			}
			t.Fatalf("iter %d: got %d rows, want %d", iter, len(got), len(want))
		}
	}
}

func TestWindowErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(22, 22))
	bad := []*planpb.WindowNode{
		{Calls: []*planpb.WindowCall{{Name: "median", Args: []*planpb.Expr{colRef(1, tBigint)}}}},
		{Calls: []*planpb.WindowCall{{Name: "ntile", Args: []*planpb.Expr{intLit(0, tBigint)}}}},
		{Calls: []*planpb.WindowCall{{Name: "lag", Args: []*planpb.Expr{colRef(1, tBigint), colRef(1, tBigint)}}}},
		{Calls: []*planpb.WindowCall{{Name: "row_number"}}, Frame: &planpb.WindowFrame{Unit: rangeU, Start: bound(pre, 1), End: bound(curRow, 0)}},
		{Calls: []*planpb.WindowCall{{Name: "row_number"}}, Frame: &planpb.WindowFrame{Unit: rowsU, Start: bound(unbFol, 0), End: bound(curRow, 0)}},
		{Calls: []*planpb.WindowCall{{Name: "sum", Args: []*planpb.Expr{colRef(2, tVarchar)}}}},
	}
	for i, n := range bad {
		if _, err := exec.BuildOn(&planpb.PlanNode{Node: &planpb.PlanNode_Window{Window: n}}, []exec.Operator{newSource(r, nil)}, exec.Env{}); !errors.Is(err, expr.ErrBadPlan) {
			t.Errorf("bad window %d: %v, want ErrBadPlan", i, err)
		}
	}
	// A running sum that overflows BIGINT is an error with its class.
	rows := []row{{a: ptr(int64(1) << 62)}, {a: ptr(int64(1) << 62)}}
	n := &planpb.WindowNode{Calls: []*planpb.WindowCall{{Name: "sum", Args: []*planpb.Expr{colRef(1, tBigint)}, Type: tBigint.Proto()}}}
	op, err := exec.BuildOn(&planpb.PlanNode{Node: &planpb.PlanNode_Window{Window: n}}, []exec.Operator{newSource(r, rows)}, exec.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Drain(t.Context(), op); !errors.Is(err, expr.ErrOutOfRange) {
		t.Fatalf("err = %v, want ErrOutOfRange", err)
	}
}
