package vector_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"google.golang.org/protobuf/proto"
)

var testTypes = []types.T{
	types.New(types.Boolean), types.New(types.Int), types.New(types.BigInt), types.New(types.LargeInt),
	types.New(types.Double), types.DecimalOf(10, 2), types.DecimalOf(30, 5), types.New(types.Date),
	types.DateTimeOf(3), types.VarcharOf(20), types.New(types.String),
}

// randomVector returns n random values of t, about a third of them NULL (when nulls).
func randomVector(r *rand.Rand, t types.T, n int, nulls bool) *vector.Vector {
	v := vector.New(t, n)
	for i := range n {
		if nulls && r.IntN(3) == 0 {
			v.SetNull(i)
			continue
		}
		switch t.Physical() {
		case types.PhysInt64:
			v.Int64[i] = r.Int64N(1000) - 500
		case types.PhysInt128:
			v.Int128[i] = types.Int128{Hi: r.Int64N(7) - 3, Lo: r.Uint64()}
		case types.PhysFloat64:
			v.Float64[i] = r.NormFloat64()
		default:
			v.Bytes[i] = []byte(fmt.Sprint(r.IntN(100000)))
		}
	}
	return v
}

func rowsText(b *vector.Batch) []string {
	var out []string
	for _, i := range b.Rows(nil) {
		row := ""
		for _, c := range b.Cols {
			row += c.Format(int(i)) + "|"
		}
		out = append(out, row)
	}
	return out
}

func TestProtoRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for iter := range 50 {
		n := r.IntN(200)
		cols := make([]*vector.Vector, len(testTypes))
		for i, ty := range testTypes {
			cols[i] = randomVector(r, ty, n, iter%2 == 0)
		}
		b := vector.NewBatch(cols, n)
		if iter%3 == 0 { // with a selection
			for i := range n {
				if r.IntN(2) == 0 {
					b.Sel = append(b.Sel, int32(i))
				}
			}
			if b.Sel == nil {
				b.Sel = []int32{}
			}
		}
		if err := b.Validate(); err != nil {
			t.Fatal(err)
		}
		pb := vector.ToProto(b)
		wire, err := proto.Marshal(pb)
		if err != nil {
			t.Fatal(err)
		}
		var pb2 = pb.ProtoReflect().New().Interface()
		if err := proto.Unmarshal(wire, pb2); err != nil {
			t.Fatal(err)
		}
		back, err := vector.FromProto(pb)
		if err != nil {
			t.Fatal(err)
		}
		if err := back.Validate(); err != nil {
			t.Fatal(err)
		}
		want, got := rowsText(b), rowsText(back)
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Fatalf("round trip differs:\n%v\n%v", want, got)
		}
	}
}

func TestFromProtoRejectsBadShapes(t *testing.T) {
	good := vector.ToProto(vector.NewBatch([]*vector.Vector{randomVector(rand.New(rand.NewPCG(2, 2)), types.New(types.BigInt), 10, true)}, 10))
	good.Columns[0].Nulls = []byte{1, 0}
	if _, err := vector.FromProto(good); err != nil {
		t.Fatal(err)
	}
	bad := []func(){
		func() { good.NumRows = 11 },
		func() { good.NumRows = -1 },
		func() { good.Columns[0].Nulls = []byte{1} },
		func() { good.Columns[0].Type.Kind = 99 },
		func() { good.Columns[0].Type.Kind = types.Invalid },
		func() { good.Columns[0].Type.Kind = types.LargeInt },
	}
	for i, mutate := range bad {
		saved := proto.Clone(good)
		mutate()
		if _, err := vector.FromProto(good); err == nil {
			t.Errorf("case %d: bad batch accepted", i)
		}
		proto.Reset(good)
		proto.Merge(good, saved)
	}
}

func TestSliceGatherAppend(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, ty := range testTypes {
		n := 100 + r.IntN(200)
		v := randomVector(r, ty, n, true)
		lo := r.IntN(n)
		hi := lo + r.IntN(n-lo+1)
		s := v.Slice(lo, hi)
		for i := lo; i < hi; i++ {
			if s.Format(i-lo) != v.Format(i) {
				t.Fatalf("%s slice [%d,%d) row %d: %s != %s", ty, lo, hi, i, s.Format(i-lo), v.Format(i))
			}
		}
		var sel []int32
		for i := n - 1; i >= 0; i -= 1 + r.IntN(3) {
			sel = append(sel, int32(i))
		}
		g := v.Gather(sel)
		acc := vector.NewWithCap(ty, 0)
		acc.AppendRange(v, 0, 3)
		acc.AppendNull()
		acc.AppendRows(v, sel)
		for k, i := range sel {
			if g.Format(k) != v.Format(int(i)) || acc.Format(k+4) != v.Format(int(i)) {
				t.Fatalf("%s gather row %d", ty, i)
			}
		}
		if !acc.IsNull(3) || acc.Len() != len(sel)+4 {
			t.Fatalf("%s append: len %d", ty, acc.Len())
		}
	}
}

func TestBitmap(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	n := 300
	b := vector.NewBitmap(n)
	want := map[int]bool{}
	for range 100 {
		i := r.IntN(n)
		b.Set(i)
		want[i] = true
	}
	if b.Count(n) != len(want) {
		t.Fatalf("count %d want %d", b.Count(n), len(want))
	}
	for _, lo := range []int{0, 64, 7, 130} {
		s := b.SliceBits(lo, n)
		for i := lo; i < n; i++ {
			if s.Get(i-lo) != want[i] {
				t.Fatalf("slice from %d bit %d", lo, i)
			}
		}
	}
}

func TestFormatFloat(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{{0.1, "0.1"}, {1e15, "1000000000000000"}, {1e16, "1e+16"}, {123.456, "123.456"}, {-2.5e-7, "-2.5e-07"}, {0.00001, "0.00001"}} {
		if got := vector.FormatFloat(c.f, false); got != c.want {
			t.Errorf("FormatFloat(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}
