package exec_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/exec"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Three-valued logic of the reference implementations.
type tv uint8

const (
	tvFalse tv = iota
	tvNull
	tvTrue
)

func and3(a, b tv) tv { return min(a, b) }

func bool3(b bool) tv {
	if b {
		return tvTrue
	}
	return tvFalse
}

// cell returns column c of rw as a comparable value, nil for NULL.
func cell(rw row, c int) any {
	switch c {
	case 0:
		if rw.g != nil {
			return *rw.g
		}
	case 1:
		if rw.a != nil {
			return *rw.a
		}
	case 2:
		if rw.s != nil {
			return *rw.s
		}
	case 3:
		if rw.d != nil {
			return *rw.d
		}
	}
	return nil
}

func fmtRow(rw row) string {
	return strings.Join([]string{fmtInt(rw.g), fmtInt(rw.a), fmtStr(rw.s), fmtDec(rw.d, 2)}, "|")
}

const nullRow = "NULL|NULL|NULL|NULL"

// joinRows draws rows with small domains so that keys collide and conditions vary.
func joinRows(r *rand.Rand, n int) []row {
	rows := randomRows(r, n)
	for i := range rows {
		if rows[i].a != nil {
			rows[i].a = ptr(r.Int64N(11) - 5)
		}
		if rows[i].d != nil {
			rows[i].d = ptr(100 * r.Int64N(5))
		}
	}
	return rows
}

type joinKey struct {
	col      int // left column = right column
	nullSafe bool
	widen    bool // probe key cast to LARGEINT (build key stays INT)
}

// joinCond is an optional other condition: its plan over left ++ right and its reference.
type joinCond struct {
	plan *planpb.Expr
	eval func(l, r row) tv
}

var joinConds = []joinCond{
	{}, // none
	{ // l.a + r.a > 0
		plan: call("gt", tBool, call("add", tBigint, colRef(1, tBigint), colRef(5, tBigint)), intLit(0, tBigint)),
		eval: func(l, r row) tv {
			if l.a == nil || r.a == nil {
				return tvNull
			}
			return bool3(*l.a+*r.a > 0)
		},
	},
	{ // l.s <> r.s
		plan: call("ne", tBool, colRef(2, tVarchar), colRef(6, tVarchar)),
		eval: func(l, r row) tv {
			if l.s == nil || r.s == nil {
				return tvNull
			}
			return bool3(*l.s != *r.s)
		},
	},
}

var colTypes = []types.T{tInt, tBigint, tVarchar, tDecimal}

func keyEq3(keys []joinKey, l, r row) tv {
	res := tvTrue
	for _, k := range keys {
		x, y := cell(l, k.col), cell(r, k.col)
		switch {
		case x == nil || y == nil:
			if k.nullSafe {
				res = and3(res, bool3(x == nil && y == nil))
			} else {
				res = and3(res, tvNull)
			}
		default:
			res = and3(res, bool3(x == y))
		}
	}
	return res
}

// refJoin is the reference: nested loops over row structs. match and maybe classify a pair.
func refJoin(typ planpb.JoinType, left, right []row, match, maybe func(l, r row) bool, nullAwareMark bool) []string {
	var out []string
	rightMatched := make([]bool, len(right))
	for _, l := range left {
		matched, possible := false, false
		for ri, r := range right {
			if match(l, r) {
				matched = true
				rightMatched[ri] = true
				switch typ {
				case planpb.JoinType_INNER, planpb.JoinType_CROSS, planpb.JoinType_LEFT_OUTER, planpb.JoinType_RIGHT_OUTER, planpb.JoinType_FULL_OUTER:
					out = append(out, fmtRow(l)+"|"+fmtRow(r))
				}
			} else if maybe(l, r) {
				possible = true
			}
		}
		switch typ {
		case planpb.JoinType_LEFT_OUTER, planpb.JoinType_FULL_OUTER:
			if !matched {
				out = append(out, fmtRow(l)+"|"+nullRow)
			}
		case planpb.JoinType_LEFT_SEMI:
			if matched {
				out = append(out, fmtRow(l))
			}
		case planpb.JoinType_LEFT_ANTI:
			if !matched {
				out = append(out, fmtRow(l))
			}
		case planpb.JoinType_NULL_AWARE_LEFT_ANTI:
			if !matched && !possible {
				out = append(out, fmtRow(l))
			}
		case planpb.JoinType_LEFT_MARK:
			mark := "0"
			if matched {
				mark = "1"
			} else if possible && nullAwareMark {
				mark = "NULL"
			}
			out = append(out, fmtRow(l)+"|"+mark)
		}
	}
	for ri, r := range right {
		switch typ {
		case planpb.JoinType_RIGHT_OUTER, planpb.JoinType_FULL_OUTER:
			if !rightMatched[ri] {
				out = append(out, nullRow+"|"+fmtRow(r))
			}
		case planpb.JoinType_RIGHT_SEMI:
			if rightMatched[ri] {
				out = append(out, fmtRow(r))
			}
		case planpb.JoinType_RIGHT_ANTI:
			if !rightMatched[ri] {
				out = append(out, fmtRow(r))
			}
		}
	}
	slices.Sort(out)
	return out
}

var allJoinTypes = []planpb.JoinType{
	planpb.JoinType_INNER, planpb.JoinType_LEFT_OUTER, planpb.JoinType_RIGHT_OUTER, planpb.JoinType_FULL_OUTER,
	planpb.JoinType_LEFT_SEMI, planpb.JoinType_LEFT_ANTI, planpb.JoinType_NULL_AWARE_LEFT_ANTI, planpb.JoinType_LEFT_MARK,
	planpb.JoinType_RIGHT_SEMI, planpb.JoinType_RIGHT_ANTI,
}

func randomKeys(r *rand.Rand) []joinKey {
	switch r.IntN(5) {
	case 0:
		return []joinKey{{col: 0, nullSafe: r.IntN(3) == 0}}
	case 1:
		return []joinKey{{col: 2, nullSafe: r.IntN(3) == 0}}
	case 2:
		return []joinKey{{col: 3}}
	case 3:
		return []joinKey{{col: 0, widen: true}}
	}
	return []joinKey{{col: 0, nullSafe: r.IntN(2) == 0}, {col: 2}} // multi-column
}

func sides(r *rand.Rand) (left, right []row) {
	nl, nr := r.IntN(120), r.IntN(60)
	switch r.IntN(8) {
	case 0:
		nl = 0
	case 1:
		nr = 0
	}
	return joinRows(r, nl), joinRows(r, nr)
}

func randomEnv(r *rand.Rand) exec.Env {
	return exec.Env{BatchSize: 1 + r.IntN(200)}
}

func TestHashJoin(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	for iter := range 400 {
		typ := allJoinTypes[iter%len(allJoinTypes)]
		left, right := sides(r)
		keys := randomKeys(r)
		cond := joinConds[r.IntN(len(joinConds))]
		nullAware := r.IntN(2) == 0
		n := &planpb.HashJoinNode{Type: typ, OtherCondition: cond.plan, NullAwareMark: nullAware}
		for _, k := range keys {
			pk := colRef(k.col, colTypes[k.col])
			if k.widen {
				pk = call("cast", types.New(types.LargeInt), pk)
			}
			n.ProbeKeys = append(n.ProbeKeys, pk)
			n.BuildKeys = append(n.BuildKeys, colRef(k.col, colTypes[k.col]))
			n.NullSafe = append(n.NullSafe, k.nullSafe)
		}
		op, err := exec.BuildOn(&planpb.PlanNode{Node: &planpb.PlanNode_HashJoin{HashJoin: n}},
			[]exec.Operator{newSource(r, left), newSource(r, right)}, randomEnv(r))
		if err != nil {
			t.Fatal(err)
		}
		got := drain(t, op)
		slices.Sort(got)
		condOK := func(l, rr row) bool { return cond.eval == nil || cond.eval(l, rr) == tvTrue }
		match := func(l, rr row) bool { return keyEq3(keys, l, rr) == tvTrue && condOK(l, rr) }
		maybe := func(l, rr row) bool { return keyEq3(keys, l, rr) == tvNull && condOK(l, rr) }
		want := refJoin(typ, left, right, match, maybe, nullAware)
		if !slices.Equal(got, want) {
			t.Fatalf("iter %d: %s keys %+v cond %v null-aware %v, %d x %d rows:\ngot  %d %v\nwant %d %v",
				iter, typ, keys, cond.plan != nil, nullAware, len(left), len(right), len(got), got, len(want), want)
		}
	}
}

func TestNestedLoopJoin(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	types := append([]planpb.JoinType{planpb.JoinType_CROSS}, allJoinTypes...)
	for iter := range 300 {
		typ := types[iter%len(types)]
		left, right := sides(r)
		left, right = left[:min(len(left), 50)], right[:min(len(right), 40)]
		var plan *planpb.Expr
		var eval func(l, r row) tv
		if typ != planpb.JoinType_CROSS {
			// a non-equi condition: l.g < r.g, optionally AND the other condition
			plan = call("lt", tBool, colRef(0, tInt), colRef(4, tInt))
			eval = func(l, rr row) tv {
				if l.g == nil || rr.g == nil {
					return tvNull
				}
				return bool3(*l.g < *rr.g)
			}
			if c := joinConds[r.IntN(len(joinConds))]; c.plan != nil {
				plan = call("and", tBool, plan, c.plan)
				e0 := eval
				eval = func(l, rr row) tv { return and3(e0(l, rr), c.eval(l, rr)) }
			}
		}
		nullAware := r.IntN(2) == 0
		n := &planpb.NestedLoopJoinNode{Type: typ, Condition: plan, NullAwareMark: nullAware}
		op, err := exec.BuildOn(&planpb.PlanNode{Node: &planpb.PlanNode_NestedLoopJoin{NestedLoopJoin: n}},
			[]exec.Operator{newSource(r, left), newSource(r, right)}, randomEnv(r))
		if err != nil {
			t.Fatal(err)
		}
		got := drain(t, op)
		slices.Sort(got)
		match := func(l, rr row) bool { return eval == nil || eval(l, rr) == tvTrue }
		maybe := func(l, rr row) bool { return eval != nil && eval(l, rr) == tvNull }
		want := refJoin(typ, left, right, match, maybe, nullAware)
		if !slices.Equal(got, want) {
			t.Fatalf("iter %d: %s null-aware %v, %d x %d rows:\ngot  %d %v\nwant %d %v",
				iter, typ, nullAware, len(left), len(right), len(got), got, len(want), want)
		}
	}
}

// TestJoinExplodes: one probe row matching many build rows comes out in batches of at most the
// batch size.
func TestJoinExplodes(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	right := make([]row, 3000)
	for i := range right {
		right[i] = row{g: ptr(int64(1)), a: ptr(int64(i))}
	}
	left := []row{{g: ptr(int64(1))}, {g: ptr(int64(2))}, {g: ptr(int64(1))}}
	n := &planpb.HashJoinNode{ProbeKeys: []*planpb.Expr{colRef(0, tInt)}, BuildKeys: []*planpb.Expr{colRef(0, tInt)}}
	op, err := exec.BuildOn(&planpb.PlanNode{Node: &planpb.PlanNode_HashJoin{HashJoin: n}},
		[]exec.Operator{newSource(r, left), newSource(r, right)}, exec.Env{BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := exec.Drain(context.Background(), op)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, b := range bs {
		if b.Len() > 100 {
			t.Fatalf("batch of %d rows, batch size 100", b.Len())
		}
		total += b.Len()
	}
	if total != 6000 {
		t.Fatalf("%d rows, want 6000", total)
	}
}

type memLimit struct{ used, limit int64 }

var errMemLimit = errors.New("memory limit exceeded")

func (m *memLimit) Reserve(n int64) error {
	if m.used+n > m.limit {
		return errMemLimit
	}
	m.used += n
	return nil
}
func (m *memLimit) Release(n int64) { m.used -= n }

func TestJoinMemory(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 14))
	right := joinRows(r, 5000)
	n := &planpb.PlanNode{Node: &planpb.PlanNode_HashJoin{HashJoin: &planpb.HashJoinNode{
		ProbeKeys: []*planpb.Expr{colRef(0, tInt)}, BuildKeys: []*planpb.Expr{colRef(0, tInt)}}}}
	small := &memLimit{limit: 10 << 10}
	op, err := exec.BuildOn(n, []exec.Operator{newSource(r, joinRows(r, 10)), newSource(r, right)}, exec.Env{Memory: small})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Drain(context.Background(), op); !errors.Is(err, errMemLimit) {
		t.Fatalf("err = %v, want the memory limit", err)
	}
	big := &memLimit{limit: 64 << 20}
	op, err = exec.BuildOn(n, []exec.Operator{newSource(r, joinRows(r, 10)), newSource(r, right)}, exec.Env{Memory: big})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Drain(context.Background(), op); err != nil {
		t.Fatal(err)
	}
	if big.used != 0 {
		t.Fatalf("%d bytes still reserved after Close", big.used)
	}
}

func TestJoinBadPlans(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 15))
	bad := []*planpb.PlanNode{
		{Node: &planpb.PlanNode_HashJoin{HashJoin: &planpb.HashJoinNode{}}}, // no keys
		{Node: &planpb.PlanNode_HashJoin{HashJoin: &planpb.HashJoinNode{Type: planpb.JoinType_CROSS,
			ProbeKeys: []*planpb.Expr{colRef(0, tInt)}, BuildKeys: []*planpb.Expr{colRef(0, tInt)}}}},
		{Node: &planpb.PlanNode_HashJoin{HashJoin: &planpb.HashJoinNode{ // INT = VARCHAR
			ProbeKeys: []*planpb.Expr{colRef(0, tInt)}, BuildKeys: []*planpb.Expr{colRef(2, tVarchar)}}}},
		{Node: &planpb.PlanNode_HashJoin{HashJoin: &planpb.HashJoinNode{ // DECIMAL scale 2 = INT
			ProbeKeys: []*planpb.Expr{colRef(3, tDecimal)}, BuildKeys: []*planpb.Expr{colRef(0, tInt)}}}},
		{Node: &planpb.PlanNode_NestedLoopJoin{NestedLoopJoin: &planpb.NestedLoopJoinNode{Type: planpb.JoinType_CROSS,
			Condition: intLit(1, tBool)}}},
		{Node: &planpb.PlanNode_NestedLoopJoin{NestedLoopJoin: &planpb.NestedLoopJoinNode{Condition: colRef(2, tVarchar)}}},
	}
	for i, n := range bad {
		if _, err := exec.BuildOn(n, []exec.Operator{newSource(r, nil), newSource(r, nil)}, exec.Env{}); !errors.Is(err, expr.ErrBadPlan) {
			t.Errorf("bad plan %d: %v, want ErrBadPlan", i, err)
		}
	}
	one := &planpb.PlanNode{Node: &planpb.PlanNode_NestedLoopJoin{NestedLoopJoin: &planpb.NestedLoopJoinNode{}}}
	if _, err := exec.BuildOn(one, []exec.Operator{newSource(r, nil)}, exec.Env{}); !errors.Is(err, expr.ErrBadPlan) {
		t.Errorf("join over one child: %v", err)
	}
}

// countingTablets serves one probe table through a scan and counts the rows it hands out.
type countingTablets struct {
	r      *rand.Rand
	rows   []row
	served int
}

type countingIter struct {
	src *source
	c   *countingTablets
}

func (it countingIter) Next(ctx context.Context) (*vector.Batch, error) {
	b, err := it.src.Next(ctx)
	if b != nil {
		it.c.served += b.Len()
	}
	return b, err
}

func (c *countingTablets) ScanTablet(context.Context, *planpb.ScanRange, *commonpb.TabletSchema, []int32, []*planpb.Expr, int) (exec.BatchIterator, error) {
	s := newSource(c.r, c.rows)
	s.opened = true
	return countingIter{s, c}, nil
}

// sparse returns build keys of which every other one lies in the probe side's range and the rest
// far beyond it, with about n distinct values in all.
func sparse(n int) func(i int) int64 {
	return func(i int) int64 {
		if i%2 == 0 {
			return int64((i/2)%(n/2))*13 - 900
		}
		return int64((i/2)%(n/2))*1_000_000_007 + 5_000_000
	}
}

// TestRuntimeFilters: a hash join over a scan (probe) and values (build) publishes its filters
// before the scan is pulled; the scan drops rows, and the results are the reference's.
func TestRuntimeFilters(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 16))
	schema := &commonpb.TabletSchema{Columns: []*commonpb.Column{
		{UniqueId: 1, Type: tInt.Proto()}, {UniqueId: 2, Type: tBigint.Proto()},
		{UniqueId: 3, Type: tVarchar.Proto()}, {UniqueId: 4, Type: tDecimal.Proto()},
	}}
	cases := []struct {
		name   string
		rfType planpb.RuntimeFilterType
		build  func(i int) int64 // the build side's a values
		nbuild int
		typ    planpb.JoinType
		drops  bool
		exact  bool // the filter passes exactly the rows that can match
	}{
		{"minmax", planpb.RuntimeFilterType_RF_MIN_MAX, func(i int) int64 { return 100 + int64(i%100) }, 300, planpb.JoinType_INNER, true, false},
		// Dense int64 keys: an exact bitmap, whatever the filter type.
		{"in-bitmap", planpb.RuntimeFilterType_RF_IN_OR_BLOOM, func(i int) int64 { return int64(i%50) * 7 }, 200, planpb.JoinType_LEFT_SEMI, true, true},
		{"in-bitmap-many", planpb.RuntimeFilterType_RF_IN_OR_BLOOM, func(i int) int64 { return int64(i)*2 - 1000 }, 1100, planpb.JoinType_INNER, true, true},
		{"bloom-bitmap", planpb.RuntimeFilterType_RF_BLOOM, func(i int) int64 { return int64(i)*3 - 500 }, 100, planpb.JoinType_RIGHT_SEMI, true, true},
		// Sparse keys: few distinct ones are an IN set, many a bloom filter.
		{"in-set", planpb.RuntimeFilterType_RF_IN_OR_BLOOM, sparse(50), 300, planpb.JoinType_INNER, true, true},
		{"in-to-bloom", planpb.RuntimeFilterType_RF_IN_OR_BLOOM, sparse(1500), 3000, planpb.JoinType_INNER, true, false},
		{"bloom", planpb.RuntimeFilterType_RF_BLOOM, sparse(100), 200, planpb.JoinType_RIGHT_SEMI, true, false},
		// RIGHT_ANTI outputs build rows no probe row matched: probe rows that match no key do nothing.
		{"right-anti", planpb.RuntimeFilterType_RF_IN_OR_BLOOM, sparse(50), 300, planpb.JoinType_RIGHT_ANTI, true, true},
		{"ignored-for-outer", planpb.RuntimeFilterType_RF_MIN_MAX, func(i int) int64 { return int64(i) }, 10, planpb.JoinType_LEFT_OUTER, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			probe := randomRows(r, 3000)
			build := make([]row, tc.nbuild)
			for i := range build {
				build[i] = row{a: ptr(tc.build(i)), s: ptr("b")}
			}
			tabs := &countingTablets{r: r, rows: probe}
			scan := &planpb.PlanNode{Id: 2, Node: &planpb.PlanNode_OlapScan{OlapScan: &planpb.OlapScanNode{
				TableId: 1, Schema: schema, ColumnUniqueIds: []int32{1, 2, 3, 4}}}}
			values := &planpb.PlanNode{Id: 3, Node: &planpb.PlanNode_Values{Values: &planpb.ValuesNode{
				Rows: vector.ToProto(vector.NewBatch(toVectors(build), len(build)))}}}
			join := &planpb.PlanNode{Id: 1, Children: []*planpb.PlanNode{scan, values}, Node: &planpb.PlanNode_HashJoin{HashJoin: &planpb.HashJoinNode{
				Type: tc.typ, ProbeKeys: []*planpb.Expr{colRef(1, tBigint)}, BuildKeys: []*planpb.Expr{colRef(1, tBigint)},
				RuntimeFilters: []*planpb.RuntimeFilter{{Id: 1, BuildKey: 0, TargetNodeId: 2, TargetColumn: 1, Type: tc.rfType}},
			}}}
			reg := exec.NewRuntimeFilters()
			op, err := exec.Build(join, exec.Env{Tablets: tabs, Ranges: []*planpb.ScanRange{{NodeId: 2, TabletId: 1}}, BatchSize: 1 + r.IntN(500), RuntimeFilters: reg})
			if err != nil {
				t.Fatal(err)
			}
			got := drain(t, op)
			slices.Sort(got)
			keys := []joinKey{{col: 1}}
			match := func(l, rr row) bool { return keyEq3(keys, l, rr) == tvTrue }
			want := refJoin(tc.typ, probe, build, match, func(row, row) bool { return false }, false)
			if !slices.Equal(got, want) {
				t.Fatalf("got %d rows, want %d", len(got), len(want))
			}
			st := reg.Stats(2)
			if tc.drops && st.Rows != int64(tabs.served) {
				t.Fatalf("filters saw %d rows, the tablet served %d", st.Rows, tabs.served)
			}
			if tc.drops && (st.Dropped == 0 || st.Applied != 1) {
				t.Fatalf("stats %+v: the filter dropped nothing", st)
			}
			if !tc.drops && (st.Dropped != 0 || reg.Published(2) != 0) {
				t.Fatalf("stats %+v, %d published: a filter for %s", st, reg.Published(2), tc.typ)
			}
			// Rows the filter let through but the join rejected are only the filter's false
			// positives; for the exact filters (IN, bitmap) there are none.
			if tc.exact {
				in := map[int64]bool{}
				for i := range tc.nbuild {
					in[tc.build(i)] = true
				}
				passed, matching := st.Rows-st.Dropped, 0
				for _, p := range probe {
					if p.a != nil && in[*p.a] {
						matching++
					}
				}
				if passed != int64(matching) {
					t.Fatalf("exact filter passed %d rows, %d can match", passed, matching)
				}
			}
		})
	}
}

// TestUnion: the children's rows, in order.
func TestUnion(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 17))
	for range 20 {
		var kids []exec.Operator
		var want []string
		for range 1 + r.IntN(4) {
			rows := randomRows(r, r.IntN(150))
			kids = append(kids, newSource(r, rows))
			for _, rw := range rows {
				want = append(want, fmtRow(rw))
			}
		}
		op, err := exec.BuildOn(&planpb.PlanNode{Node: &planpb.PlanNode_Union{Union: &planpb.UnionNode{}}}, kids, randomEnv(r))
		if err != nil {
			t.Fatal(err)
		}
		if got := drain(t, op); !slices.Equal(got, want) {
			t.Fatalf("got %d rows, want %d", len(got), len(want))
		}
	}
}

// TestRepeat: each row once per grouping set, slot columns outside the set NULL, and the
// grouping id with the first slot as the most significant bit.
func TestRepeat(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 18))
	slots := []int32{0, 2, 3}
	sets := [][]int32{{0, 1, 2}, {0, 1}, {0}, {}, {2}}
	n := &planpb.RepeatNode{Slots: slots}
	for _, s := range sets {
		n.Sets = append(n.Sets, &planpb.GroupingSet{Slots: s})
	}
	for range 10 {
		rows := randomRows(r, r.IntN(300))
		op, err := exec.BuildOn(&planpb.PlanNode{Node: &planpb.PlanNode_Repeat{Repeat: n}}, []exec.Operator{newSource(r, rows)}, randomEnv(r))
		if err != nil {
			t.Fatal(err)
		}
		got := drain(t, op)
		slices.Sort(got)
		var want []string
		for _, rw := range rows {
			for _, set := range sets {
				out := rw
				in := map[int32]bool{}
				for _, x := range set {
					in[x] = true
				}
				id := 0
				for i := range slots {
					if !in[int32(i)] {
						id |= 1 << (len(slots) - 1 - i)
					}
				}
				if !in[0] {
					out.g = nil
				}
				if !in[1] {
					out.s = nil
				}
				if !in[2] {
					out.d = nil
				}
				want = append(want, fmt.Sprintf("%s|%d", fmtRow(out), id))
			}
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("got %d rows, want %d\n%v\n%v", len(got), len(want), got[:min(10, len(got))], want[:min(10, len(want))])
		}
	}
}
