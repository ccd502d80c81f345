package segment

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault/mem"
)

// TestCacheHoldsStringsWithoutHeaders: after a scan, the cache holds every page of a string
// column as a strPage and none as a vector, and once no reader holds the vectors the scan got,
// a GC reclaims them: the cache keeps no slice header per value alive. The next read makes the
// vector anew, with the same values.
func TestCacheHoldsStringsWithoutHeaders(t *testing.T) {
	ctx := context.Background()
	const n = 50_000
	specs := []ColumnSpec{{UniqueID: 1, Type: types.New(types.BigInt)}, {UniqueID: 2, Type: types.New(types.String), Nullable: true}}
	k, s := vector.New(specs[0].Type, n), vector.New(specs[1].Type, n)
	for i := range n {
		k.Int64[i] = int64(i)
		switch i % 7 {
		case 0:
			s.SetNull(i)
		case 1:
			s.Bytes[i] = []byte{}
		default:
			s.Bytes[i] = []byte(strings.Repeat("x", i%23))
		}
	}
	st := mem.New()
	info, err := WriteToVault(ctx, st, "data/1/r_0.dat", specs, Options{NumSortKeyColumns: 1, PageSize: 4 << 10}, func(w *Writer) error {
		return w.Append(vector.NewBatch([]*vector.Vector{k, s}, n))
	})
	if err != nil {
		t.Fatal(err)
	}
	c := NewCache(1 << 30)
	scan := func() {
		seg, err := c.Open(ctx, st, "data/1/r_0.dat", info.Size)
		if err != nil {
			t.Fatal(err)
		}
		it := seg.NewIterator([]int{0, 1}, IteratorOptions{})
		for {
			b, err := it.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if b == nil {
				return
			}
			for i := range b.N {
				row := int(it.Ordinal()) + i
				got, want := b.Cols[1].Bytes[i], s.Bytes[row]
				if b.Cols[1].IsNull(i) != s.IsNull(row) || string(got) != string(want) || (got == nil) != (want == nil) {
					t.Fatalf("row %d: got %q, want %q", row, got, want)
				}
			}
		}
	}
	scan()
	var pages []*strPage
	for i := range c.shards {
		sh := &c.shards[i]
		for key, e := range sh.byKey {
			switch {
			case key.col == 1 && (e.sp == nil || e.v != nil):
				t.Fatalf("page %d of the string column is cached as %v, %v", key.page, e.v, e.sp)
			case key.col == 1:
				pages = append(pages, e.sp)
			}
		}
	}
	if len(pages) < 2 {
		t.Fatalf("%d string pages cached", len(pages))
	}
	for round := range 2 { // the vectors the first scan decoded, then those the second made
		runtime.GC()
		runtime.GC()
		for _, p := range pages {
			if p.view.Value() != nil {
				t.Fatalf("round %d: a page's vector outlived its readers and a GC: the cache holds it", round)
			}
		}
		scan()
	}
}

// TestStrPageRejectsForeignValues: a value that does not lie in the decoded body is a BUG
// error, not a wrong offset.
func TestStrPageRejectsForeignValues(t *testing.T) {
	body := []byte("abcdefgh")
	for _, vals := range [][][]byte{
		{body[1:3], []byte("zz")},
		{body[6:8], make([]byte, 3)},
	} {
		v := &vector.Vector{Type: types.New(types.String), Bytes: vals}
		if _, err := newStrPage(body, v); err == nil || !strings.HasPrefix(err.Error(), "BUG:") {
			t.Fatalf("values %q: got error %v", vals, err)
		}
	}
	v := &vector.Vector{Type: types.New(types.String), Bytes: [][]byte{body[2:5], {}, nil, body[8:]}}
	p, err := newStrPage(body, v)
	if err != nil {
		t.Fatal(err)
	}
	if want := []strSpan{{2, 5}, {0, 0}, {0, 0}, {0, 0}}; len(p.spans) != len(want) || p.spans[0] != want[0] || p.spans[1] != want[1] || p.spans[3] != want[3] {
		t.Fatalf("spans %v, want %v", p.spans, want)
	}
}
