package model_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/model"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

func ints(t types.T, vals ...any) *vector.Vector {
	v := vector.New(t, len(vals))
	for i, x := range vals {
		switch x := x.(type) {
		case nil:
			v.SetNull(i)
		case int:
			switch t.Physical() {
			case types.PhysInt128:
				v.Int128[i] = types.I128(int64(x))
			case types.PhysFloat64:
				v.Float64[i] = float64(x)
			default:
				v.Int64[i] = int64(x)
			}
		case float64:
			v.Float64[i] = x
		case string:
			v.Bytes[i] = []byte(x)
		}
	}
	return v
}

func text(b *vector.Batch) []string {
	var out []string
	for i := range b.N {
		var parts []string
		for _, c := range b.Cols {
			parts = append(parts, c.Format(i))
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

func apply(t *testing.T, m *model.Model, cols ...*vector.Vector) []string {
	t.Helper()
	b, err := m.Apply(vector.NewBatch(cols, cols[0].Len()))
	if err != nil {
		t.Fatal(err)
	}
	return text(b)
}

func TestAggregateFunctions(t *testing.T) {
	m, err := model.New(commonpb.KeysType_AGG_KEYS, 1, []string{"", "SUM", "SUM", "SUM", "MAX", "MIN", "REPLACE", "REPLACE_IF_NOT_NULL"}, -1)
	if err != nil {
		t.Fatal(err)
	}
	got := apply(t, m,
		ints(types.New(types.Int), 2, nil, 2, 1, nil, 2),
		ints(types.New(types.TinyInt), 100, 1, 100, 5, 2, nil),
		ints(types.New(types.LargeInt), 1, nil, 2, nil, nil, 3),
		ints(types.New(types.Double), 0.5, nil, 0.25, nil, 1.0, nil),
		ints(types.VarcharOf(4), "b", "x", nil, "z", "y", "a"),
		ints(types.New(types.BigInt), nil, 3, 7, 9, 1, 4),
		ints(types.VarcharOf(4), "r1", "n1", "r2", "o", "n2", nil),
		ints(types.VarcharOf(4), "q1", "m", nil, nil, nil, nil),
	)
	want := []string{
		"NULL 3 NULL 1 y 1 n2 m", // NULL keys are equal to each other
		"1 5 NULL NULL z 9 o NULL",
		"2 -56 6 0.75 b 4 NULL q1", // TINYINT 100+100 wraps at 8 bits
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestUniqueKeepsNewestOrLargestSequence(t *testing.T) {
	last, err := model.New(commonpb.KeysType_UNIQUE_KEYS, 1, []string{"", "", ""}, -1)
	if err != nil {
		t.Fatal(err)
	}
	k := func() *vector.Vector { return ints(types.New(types.Int), 1, 2, 1, 1, 2) }
	v := func() *vector.Vector { return ints(types.VarcharOf(4), "a", "b", "c", "d", "e") }
	s := func() *vector.Vector { return ints(types.New(types.BigInt), 5, nil, 5, 4, nil) }
	if got, want := apply(t, last, k(), v(), s()), []string{"1 d 4", "2 e NULL"}; !slices.Equal(got, want) {
		t.Fatalf("last wins: got %q want %q", got, want)
	}
	seq, err := model.New(commonpb.KeysType_UNIQUE_KEYS, 1, []string{"", "", ""}, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Key 1: sequences 5, 5, 4 — the later of the tied 5s wins. Key 2: NULLs tie, later wins.
	if got, want := apply(t, seq, k(), v(), s()), []string{"1 c 5", "2 e NULL"}; !slices.Equal(got, want) {
		t.Fatalf("sequence: got %q want %q", got, want)
	}
}

// DUPLICATE keeps every row, sorted stably by key; a random batch checks the sort.
func TestDuplicateSortsStably(t *testing.T) {
	r := rand.New(rand.NewPCG(rand.Uint64(), 1))
	m, err := model.New(commonpb.KeysType_DUP_KEYS, 1, []string{"", ""}, -1)
	if err != nil {
		t.Fatal(err)
	}
	n := 1 + r.IntN(200)
	k, seq := vector.New(types.New(types.Int), n), vector.New(types.New(types.Int), n)
	for i := range n {
		if r.IntN(8) == 0 {
			k.SetNull(i)
		} else {
			k.Int64[i] = r.Int64N(10)
		}
		seq.Int64[i] = int64(i)
	}
	b, err := m.Apply(vector.NewBatch([]*vector.Vector{k, seq}, n))
	if err != nil {
		t.Fatal(err)
	}
	if b.N != n {
		t.Fatalf("%d rows of %d", b.N, n)
	}
	for i := 1; i < n; i++ {
		pk, ck := b.Cols[0], b.Cols[0]
		switch {
		case pk.IsNull(i-1) && ck.IsNull(i), !pk.IsNull(i-1) && !ck.IsNull(i) && pk.Int64[i-1] == ck.Int64[i]:
			if b.Cols[1].Int64[i-1] > b.Cols[1].Int64[i] {
				t.Fatalf("row %d: equal keys out of input order", i)
			}
		case ck.IsNull(i), !pk.IsNull(i-1) && pk.Int64[i-1] > ck.Int64[i]:
			t.Fatalf("row %d: keys out of order", i)
		}
	}
}

func TestNewRejects(t *testing.T) {
	for name, f := range map[string]func() error{
		"unknown aggregation": func() error {
			_, err := model.New(commonpb.KeysType_AGG_KEYS, 1, []string{"", "BITMAP_UNION"}, -1)
			return err
		},
		"sequence outside unique": func() error {
			_, err := model.New(commonpb.KeysType_AGG_KEYS, 1, []string{"", "SUM"}, 1)
			return err
		},
		"too many keys": func() error { _, err := model.New(commonpb.KeysType_DUP_KEYS, 3, []string{"", ""}, -1); return err },
	} {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
