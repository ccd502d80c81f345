package exec_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/exec"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// bigSource emits rows in batches of up to max rows (with decoy rows and a selection half of the
// time), so that probe batches span several of the hash probe's chunks.
type bigSource struct {
	r    *rand.Rand
	rows []row
	max  int
	pos  int
}

func (s *bigSource) Types() []types.T           { return tableTy }
func (s *bigSource) Open(context.Context) error { return nil }
func (s *bigSource) Close() error               { return nil }
func (s *bigSource) Next(context.Context) (*vector.Batch, error) {
	if s.pos >= len(s.rows) {
		return nil, nil
	}
	k := min(len(s.rows)-s.pos, 1+s.r.IntN(s.max))
	real := s.rows[s.pos : s.pos+k]
	s.pos += k
	if s.r.IntN(2) == 0 {
		return vector.NewBatch(toVectors(real), k), nil
	}
	var phys []row
	var sel []int32
	for _, rw := range real {
		if s.r.IntN(4) == 0 {
			phys = append(phys, decoy)
		}
		sel = append(sel, int32(len(phys)))
		phys = append(phys, rw)
	}
	b := vector.NewBatch(toVectors(phys), len(phys))
	b.Sel = sel
	return b, nil
}

// keyedRows: with unique set, the right side's a values are distinct and the left side's fall in
// the right side's range with probability match (else outside it); otherwise joinRows' small
// domains (many duplicates). NULLs stay where randomRows put them.
func keyedRows(r *rand.Rand, nl, nr int, unique bool, match float64) (left, right []row) {
	left, right = joinRows(r, nl), joinRows(r, nr)
	if !unique {
		return left, right
	}
	perm := r.Perm(nr)
	for i := range right {
		if right[i].a != nil {
			right[i].a = ptr(int64(perm[i]))
		}
	}
	for i := range left {
		if left[i].a == nil {
			continue
		}
		if r.Float64() < match && nr > 0 {
			left[i].a = ptr(r.Int64N(int64(nr)))
		} else {
			left[i].a = ptr(int64(nr) + r.Int64N(int64(nr)+1))
		}
	}
	return left, right
}

// TestHashJoinKeyShapes runs the hash join's specialized probe paths (one int64 key, several
// int64 keys, one string key) and the generic one (null-safe keys) against the reference join,
// with big probe batches, unique and duplicate keys, NULL keys and empty sides.
func TestHashJoinKeyShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 31))
	shapes := [][]joinKey{
		{{col: 1}},                           // one BIGINT key: the entry holds the key
		{{col: 0}},                           // INT
		{{col: 1}, {col: 0}},                 // two int64 keys, compared inline
		{{col: 1}, {col: 3}},                 // BIGINT and DECIMAL: int64 values
		{{col: 1, nullSafe: true}},           // null-safe: generic
		{{col: 1}, {col: 0, nullSafe: true}}, // generic
		{{col: 2}},                           // one string key
		{{col: 1, widen: true}},              // 128-bit
	}
	for iter := range 240 {
		typ := allJoinTypes[iter%len(allJoinTypes)]
		keys := shapes[(iter/len(allJoinTypes))%len(shapes)]
		nl, nr := r.IntN(1500), r.IntN(400)
		switch r.IntN(10) {
		case 0:
			nl = 0
		case 1:
			nr = 0
		}
		unique := r.IntN(3) != 0
		match := []float64{0.01, 0.5, 1}[r.IntN(3)]
		left, right := keyedRows(r, nl, nr, unique, match)
		var cond joinCond
		if r.IntN(3) == 0 {
			cond = joinConds[r.IntN(len(joinConds))]
		}
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
		env := exec.Env{BatchSize: 1 + r.IntN(3000)}
		op, err := exec.BuildOn(&planpb.PlanNode{Node: &planpb.PlanNode_HashJoin{HashJoin: n}},
			[]exec.Operator{&bigSource{r: r, rows: left, max: 1200}, &bigSource{r: r, rows: right, max: 300}}, env)
		if err != nil {
			t.Fatal(err)
		}
		got := drain(t, op)
		slices.Sort(got)
		condOK := func(l, rr row) bool { return cond.eval == nil || cond.eval(l, rr) == tvTrue }
		match3 := func(l, rr row) bool { return keyEq3(keys, l, rr) == tvTrue && condOK(l, rr) }
		maybe := func(l, rr row) bool { return keyEq3(keys, l, rr) == tvNull && condOK(l, rr) }
		want := refJoin(typ, left, right, match3, maybe, nullAware)
		if !slices.Equal(got, want) {
			t.Fatalf("iter %d: %s keys %+v unique %v cond %v null-aware %v batch %d, %d x %d rows: got %d rows, want %d",
				iter, typ, keys, unique, cond.plan != nil, nullAware, env.BatchSize, len(left), len(right), len(got), len(want))
		}
	}
}
