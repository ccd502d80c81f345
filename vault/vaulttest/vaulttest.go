package vaulttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/doricdb/doric/vault"
)

// Run runs the conformance suite. newStorage returns a fresh, empty storage for each subtest.
func Run(t *testing.T, newStorage func(t *testing.T) vault.Storage) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s vault.Storage)
	}{
		{"PutRead", testPutRead},
		{"EmptyObject", testEmptyObject},
		{"Overwrite", testOverwrite},
		{"NotFound", testNotFound},
		{"RangedReads", testRangedReads},
		{"LargeStreamingPut", testLargeStreamingPut},
		{"FailedPutLeavesNothing", testFailedPut},
		{"CancelledPutLeavesNothing", testCancelledPut},
		{"List", testList},
		{"Delete", testDelete},
		{"DeletePrefix", testDeletePrefix},
		{"InvalidPaths", testInvalidPaths},
		{"ConcurrentPuts", testConcurrentPuts},
		{"ConcurrentReads", testConcurrentReads},
		{"ManyObjects", testManyObjects},
		{"Check", testCheck},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStorage(t)) })
	}
}

func put(t *testing.T, s vault.Storage, path string, data []byte) {
	t.Helper()
	n, err := s.Put(context.Background(), path, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("put %q: %v", path, err)
	}
	if n != int64(len(data)) {
		t.Fatalf("put %q: stored %d bytes, want %d", path, n, len(data))
	}
}

func readAll(t *testing.T, s vault.Storage, path string) []byte {
	t.Helper()
	ctx := context.Background()
	info, err := s.Stat(ctx, path)
	if err != nil {
		t.Fatalf("stat %q: %v", path, err)
	}
	got, err := vault.ReadRange(ctx, s, path, 0, info.Size)
	if err != nil {
		t.Fatalf("read %q: %v", path, err)
	}
	return got
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

func testPutRead(t *testing.T, s vault.Storage) {
	r := rand.New(rand.NewPCG(1, 2))
	data := randBytes(r, 1000+r.IntN(5000))
	put(t, s, vault.SegmentPath(42, "abc", 0), data)
	if got := readAll(t, s, "data/42/abc_0.dat"); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes differ from the %d written", len(got), len(data))
	}
	info, err := s.Stat(context.Background(), "data/42/abc_0.dat")
	if err != nil || info.Size != int64(len(data)) || info.Path != "data/42/abc_0.dat" {
		t.Fatalf("stat = %+v, %v; want size %d", info, err, len(data))
	}
}

func testEmptyObject(t *testing.T, s vault.Storage) {
	put(t, s, "e/empty", nil)
	if got := readAll(t, s, "e/empty"); len(got) != 0 {
		t.Fatalf("empty object read %d bytes", len(got))
	}
	if err := s.ReadAt(context.Background(), "e/empty", make([]byte, 1), 0); !errors.Is(err, vault.ErrOutOfRange) {
		t.Fatalf("reading a byte of an empty object: %v, want ErrOutOfRange", err)
	}
}

func testOverwrite(t *testing.T, s vault.Storage) {
	put(t, s, "o/x", []byte("first version, long"))
	put(t, s, "o/x", []byte("second"))
	if got := readAll(t, s, "o/x"); string(got) != "second" {
		t.Fatalf("after overwrite read %q", got)
	}
}

func testNotFound(t *testing.T, s vault.Storage) {
	ctx := context.Background()
	put(t, s, "nf/present", []byte("x"))
	for _, p := range []string{"nf/absent", "nf", "nf/present/below", "other/absent"} {
		if _, err := s.Stat(ctx, p); !errors.Is(err, vault.ErrNotFound) {
			t.Errorf("stat %q: %v, want ErrNotFound", p, err)
		}
		if err := s.ReadAt(ctx, p, make([]byte, 1), 0); !errors.Is(err, vault.ErrNotFound) {
			t.Errorf("read %q: %v, want ErrNotFound", p, err)
		}
	}
}

func testRangedReads(t *testing.T, s vault.Storage) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	data := randBytes(r, 4096+r.IntN(4096))
	put(t, s, "r/obj", data)
	size := int64(len(data))
	for range 200 {
		off := r.Int64N(size + 1)
		n := r.Int64N(size - off + 1)
		got, err := vault.ReadRange(ctx, s, "r/obj", off, n)
		if err != nil {
			t.Fatalf("read [%d,+%d) of %d: %v", off, n, size, err)
		}
		if !bytes.Equal(got, data[off:off+n]) {
			t.Fatalf("read [%d,+%d): wrong bytes", off, n)
		}
	}
	for _, c := range []struct{ off, n int64 }{{size, 1}, {size - 1, 2}, {size + 1, 0}, {-1, 1}, {0, size + 1}} {
		if _, err := vault.ReadRange(ctx, s, "r/obj", c.off, c.n); !errors.Is(err, vault.ErrOutOfRange) {
			t.Errorf("read [%d,+%d) of %d: %v, want ErrOutOfRange", c.off, c.n, size, err)
		}
	}
}

// chunkReader yields its data in small pieces, as a network stream would.
type chunkReader struct {
	r    *rand.Rand
	data []byte
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), 1+c.r.IntN(70000), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func testLargeStreamingPut(t *testing.T, s vault.Storage) {
	r := rand.New(rand.NewPCG(5, 6))
	data := randBytes(r, 3<<20+r.IntN(1<<20))
	n, err := s.Put(context.Background(), "big/obj", &chunkReader{r: r, data: data})
	if err != nil || n != int64(len(data)) {
		t.Fatalf("put: %d, %v", n, err)
	}
	if got := readAll(t, s, "big/obj"); !bytes.Equal(got, data) {
		t.Fatal("large object read back differs")
	}
}

// failingReader yields some bytes and then an error.
type failingReader struct{ left int }

var errInjected = errors.New("injected read failure")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.left == 0 {
		return 0, errInjected
	}
	n := min(len(p), f.left)
	for i := range p[:n] {
		p[i] = 'x'
	}
	f.left -= n
	return n, nil
}

func testFailedPut(t *testing.T, s vault.Storage) {
	ctx := context.Background()
	if _, err := s.Put(ctx, "f/new", &failingReader{left: 100000}); !errors.Is(err, errInjected) {
		t.Fatalf("put with failing reader: %v, want the reader's error", err)
	}
	if _, err := s.Stat(ctx, "f/new"); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("failed put left an object: %v", err)
	}
	put(t, s, "f/old", []byte("keep me"))
	if _, err := s.Put(ctx, "f/old", &failingReader{left: 10}); err == nil {
		t.Fatal("put with failing reader succeeded")
	}
	if got := readAll(t, s, "f/old"); string(got) != "keep me" {
		t.Fatalf("failed overwrite changed the object to %q", got)
	}
	objs, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Path != "f/old" {
		t.Fatalf("after failed puts List = %+v, want only f/old", objs)
	}
}

// blockingReader yields bytes until its context is cancelled.
type blockingReader struct {
	cancel func()
	n      int
}

func (b *blockingReader) Read(p []byte) (int, error) {
	b.n++
	if b.n == 3 {
		b.cancel()
	}
	return len(p), nil
}

func testCancelledPut(t *testing.T, s vault.Storage) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := s.Put(ctx, "c/obj", &blockingReader{cancel: cancel}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled put: %v, want context.Canceled", err)
	}
	if _, err := s.Stat(context.Background(), "c/obj"); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("cancelled put left an object: %v", err)
	}
}

func paths(objs []vault.ObjectInfo) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Path
	}
	return out
}

func testList(t *testing.T, s vault.Storage) {
	ctx := context.Background()
	all := []string{"data/1/a_0.dat", "data/1/a_1.dat", "data/10/b_0.dat", "data/1.x", "data/2/c_0.dat", "meta/x"}
	r := rand.New(rand.NewPCG(7, 8))
	for _, i := range r.Perm(len(all)) {
		put(t, s, all[i], []byte(all[i]))
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"data/1.x", "data/1/a_0.dat", "data/1/a_1.dat", "data/10/b_0.dat", "data/2/c_0.dat", "meta/x"}},
		{"data/1/", []string{"data/1/a_0.dat", "data/1/a_1.dat"}},
		{"data/1", []string{"data/1.x", "data/1/a_0.dat", "data/1/a_1.dat", "data/10/b_0.dat"}},
		{"data/1/a_1", []string{"data/1/a_1.dat"}},
		{"data/3/", nil},
		{"nothing", nil},
		{"meta/x", []string{"meta/x"}},
	}
	for _, c := range cases {
		objs, err := s.List(ctx, c.prefix)
		if err != nil {
			t.Fatalf("list %q: %v", c.prefix, err)
		}
		if got := paths(objs); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("list %q = %v, want %v", c.prefix, got, c.want)
		}
		for _, o := range objs {
			if o.Size != int64(len(o.Path)) {
				t.Errorf("list %q: %s has size %d, want %d", c.prefix, o.Path, o.Size, len(o.Path))
			}
		}
	}
}

func testDelete(t *testing.T, s vault.Storage) {
	ctx := context.Background()
	for _, p := range []string{"d/1/a", "d/1/b", "d/2/c"} {
		put(t, s, p, []byte(p))
	}
	if err := s.Delete(ctx, "d/1/a", "d/2/c", "d/absent"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := s.Delete(ctx); err != nil {
		t.Fatalf("delete nothing: %v", err)
	}
	objs, err := s.List(ctx, "d/")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(paths(objs)); got != "[d/1/b]" {
		t.Fatalf("after delete list = %s", got)
	}
	// The deleted object's prefix can be written again.
	put(t, s, "d/2/c", []byte("again"))
	if got := readAll(t, s, "d/2/c"); string(got) != "again" {
		t.Fatalf("re-put after delete read %q", got)
	}
}

func testDeletePrefix(t *testing.T, s vault.Storage) {
	ctx := context.Background()
	for _, p := range []string{"data/1/a_0.dat", "data/1/a_1.dat", "data/1/b_0.dat", "data/10/a_0.dat", "data/2/a_0.dat"} {
		put(t, s, p, []byte(p))
	}
	if err := s.DeletePrefix(ctx, vault.RowsetPrefix(1, "a")); err != nil {
		t.Fatal(err)
	}
	objs, _ := s.List(ctx, "")
	if got := fmt.Sprint(paths(objs)); got != "[data/1/b_0.dat data/10/a_0.dat data/2/a_0.dat]" {
		t.Fatalf("after deleting rowset prefix: %s", got)
	}
	if err := s.DeletePrefix(ctx, vault.TabletPrefix(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePrefix(ctx, vault.TabletPrefix(99)); err != nil {
		t.Fatalf("delete of an absent prefix: %v", err)
	}
	objs, _ = s.List(ctx, "")
	if got := fmt.Sprint(paths(objs)); got != "[data/10/a_0.dat data/2/a_0.dat]" {
		t.Fatalf("after deleting tablet prefix: %s", got)
	}
	if err := s.DeletePrefix(ctx, ""); !errors.Is(err, vault.ErrInvalidPath) {
		t.Fatalf("delete of the empty prefix: %v, want ErrInvalidPath", err)
	}
}

func testInvalidPaths(t *testing.T, s vault.Storage) {
	ctx := context.Background()
	for _, p := range []string{"", "/abs", "a//b", "a/../b", "./a", "a/", "a\\b", "a\x00b", "a/" + vault.ReservedPrefix + "x"} {
		if _, err := s.Put(ctx, p, bytes.NewReader(nil)); !errors.Is(err, vault.ErrInvalidPath) {
			t.Errorf("put %q: %v, want ErrInvalidPath", p, err)
		}
		if _, err := s.Stat(ctx, p); !errors.Is(err, vault.ErrInvalidPath) {
			t.Errorf("stat %q: %v, want ErrInvalidPath", p, err)
		}
		if err := s.ReadAt(ctx, p, nil, 0); !errors.Is(err, vault.ErrInvalidPath) {
			t.Errorf("read %q: %v, want ErrInvalidPath", p, err)
		}
		if err := s.Delete(ctx, p); !errors.Is(err, vault.ErrInvalidPath) {
			t.Errorf("delete %q: %v, want ErrInvalidPath", p, err)
		}
	}
	if _, err := s.List(ctx, "../"); !errors.Is(err, vault.ErrInvalidPath) {
		t.Errorf("list ../: %v, want ErrInvalidPath", err)
	}
}

func testConcurrentPuts(t *testing.T, s vault.Storage) {
	ctx := context.Background()
	const writers = 8
	versions := make([][]byte, writers)
	for i := range versions {
		versions[i] = bytes.Repeat([]byte{byte('a' + i)}, 50000+i*1000)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for i := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := s.Put(ctx, "cc/same", bytes.NewReader(versions[i])); err != nil {
				errs <- err
			}
		}()
		go func() { // distinct objects, with deletes of siblings racing with directory creation
			defer wg.Done()
			p := fmt.Sprintf("cc/dir%d/obj", i%2)
			if _, err := s.Put(ctx, p, bytes.NewReader(versions[i])); err != nil {
				errs <- err
			}
			if err := s.Delete(ctx, p); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent put: %v", err)
	}
	got := readAll(t, s, "cc/same")
	for _, v := range versions {
		if bytes.Equal(got, v) {
			return
		}
	}
	t.Fatalf("after concurrent puts the object (%d bytes) is none of the versions written", len(got))
}

func testConcurrentReads(t *testing.T, s vault.Storage) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(9, 10))
	data := randBytes(r, 200000+r.IntN(100000))
	put(t, s, "cr/obj", data)
	const readers = 16
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for i := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rr := rand.New(rand.NewPCG(uint64(i), 11))
			for range 20 {
				off := rr.Int64N(int64(len(data)))
				n := rr.Int64N(int64(len(data)) - off + 1)
				got, err := vault.ReadRange(ctx, s, "cr/obj", off, n)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(got, data[off:off+n]) {
					errs <- fmt.Errorf("concurrent read [%d,+%d): wrong bytes", off, n)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// testManyObjects lists and deletes more objects than a small page or batch holds (backends
// with a configurable page size run the suite with a small one).
func testManyObjects(t *testing.T, s vault.Storage) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(12, 13))
	n := 20 + r.IntN(30)
	var want []string
	for i := range n {
		p := fmt.Sprintf("many/%03d/obj", i)
		want = append(want, p)
		put(t, s, p, []byte{byte(i)})
	}
	put(t, s, "manyx", []byte("outside the prefix"))
	objs, err := s.List(ctx, "many/")
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(objs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("list of %d objects = %v", n, got)
	}
	var del []string
	for _, i := range r.Perm(n)[:n/2] {
		del = append(del, want[i])
	}
	if err := s.Delete(ctx, del...); err != nil {
		t.Fatal(err)
	}
	objs, err = s.List(ctx, "many/")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != n-len(del) {
		t.Fatalf("after deleting %d of %d objects, %d remain", len(del), n, len(objs))
	}
	if err := s.DeletePrefix(ctx, "many/"); err != nil {
		t.Fatal(err)
	}
	objs, err = s.List(ctx, "many")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(paths(objs)); got != "[manyx]" {
		t.Fatalf("after delete prefix list = %s", got)
	}
}

func testCheck(t *testing.T, s vault.Storage) {
	ctx := context.Background()
	if err := vault.Check(ctx, s); err != nil {
		t.Fatalf("check of a working storage: %v", err)
	}
	objs, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 0 {
		t.Fatalf("check left objects behind: %v", paths(objs))
	}
}
