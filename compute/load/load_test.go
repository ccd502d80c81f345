package load_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/computetest"
	"github.com/doricdb/doric/compute/load"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/mem"
)

const instance = "inst"

func schema() *commonpb.TabletSchema {
	col := func(id int32, name string, t types.T, nullable, key bool) *commonpb.Column {
		return &commonpb.Column{UniqueId: id, Name: name, Type: t.Proto(), Nullable: nullable, IsKey: key}
	}
	return &commonpb.TabletSchema{
		KeysType:      commonpb.KeysType_DUP_KEYS,
		NumKeyColumns: 2,
		Columns: []*commonpb.Column{
			col(10, "k1", types.New(types.Int), false, true),
			col(11, "k2", types.VarcharOf(8), true, true),
			col(12, "v", types.DecimalOf(20, 3), true, false),
			col(13, "d", types.New(types.Date), true, false),
		},
	}
}

func randomRows(r *rand.Rand, n int) *vector.Batch {
	s := schema()
	cols := make([]*vector.Vector, len(s.Columns))
	for k, c := range s.Columns {
		cols[k] = vector.New(types.FromProto(c.Type), n)
	}
	for i := range n {
		cols[0].Int64[i] = r.Int64N(20)
		if r.IntN(6) == 0 {
			cols[1].SetNull(i)
		} else {
			cols[1].Bytes[i] = []byte(fmt.Sprint("s", r.IntN(5)))
		}
		if r.IntN(6) == 0 {
			cols[2].SetNull(i)
		} else {
			cols[2].Int128[i] = types.I128(r.Int64N(1e9) - 5e8)
		}
		cols[3].Int64[i] = 18000 + r.Int64N(1000)
	}
	return vector.NewBatch(cols, n)
}

// recordingVault notes, for each Put, whether its rowset had been prepared already.
type recordingVault struct {
	vault.Storage
	meta *computetest.FakeMeta
	fail func(path string) error

	mu         sync.Mutex
	unprepared []string
}

func (v *recordingVault) Put(ctx context.Context, path string, r io.Reader) (int64, error) {
	prepared := false
	for _, m := range v.meta.Prepared() {
		if strings.Contains(path, m.GetRowsetId()) {
			prepared = true
		}
	}
	if !prepared {
		v.mu.Lock()
		v.unprepared = append(v.unprepared, path)
		v.mu.Unlock()
	}
	if v.fail != nil {
		if err := v.fail(path); err != nil {
			io.Copy(io.Discard, io.LimitReader(r, 10))
			return 0, err
		}
	}
	return v.Storage.Put(ctx, path, r)
}

type env struct {
	meta   *computetest.FakeMeta
	vault  *recordingVault
	loader *load.Loader
	reader *tablet.Reader
}

func newEnv(r *rand.Rand) *env {
	meta := computetest.NewFakeMeta(instance)
	rv := &recordingVault{Storage: mem.New(), meta: meta}
	resolve := func(ctx context.Context, id string) (vault.Storage, error) {
		if id != "v1" {
			return nil, fmt.Errorf("no vault %q", id)
		}
		return rv, nil
	}
	return &env{
		meta:  meta,
		vault: rv,
		loader: &load.Loader{Meta: meta, InstanceID: instance, Vaults: resolve, Parallel: 1 + r.IntN(4),
			Segment: segment.Options{PageSize: 256 + r.IntN(8192)},
			// Tiny memtables half the time, so that loads flush several segments and merge them.
			FlushBytes: []int64{0, int64(128 + r.IntN(4096))}[r.IntN(2)], MaxSegments: 1 + r.IntN(4)},
		reader: &tablet.Reader{Meta: meta, InstanceID: instance, Vaults: resolve},
	}
}

func request(txn int64, tablets []int64, dist []int32, rows *vector.Batch) *computepb.WriteRequest {
	return &computepb.WriteRequest{
		LoadId: "load-1",
		TxnId:  txn,
		Sink: &computepb.TabletSink{
			DbId: 1, TableId: 2, IndexId: 3, Schema: schema(), DistributionColumns: dist, VaultId: "v1",
			Partitions: []*computepb.PartitionSink{{PartitionId: 7, TabletIds: tablets}},
		},
		Rows: vector.ToProto(rows),
	}
}

func rowText(b *vector.Batch, i int) string {
	var parts []string
	for _, c := range b.Cols {
		parts = append(parts, c.Format(i))
	}
	return strings.Join(parts, "|")
}

// readTablet returns the rows of a tablet at version in storage order.
func (e *env) readTablet(t *testing.T, tabletID, version int64) *vector.Batch {
	t.Helper()
	ctx := context.Background()
	snap, err := e.reader.Capture(ctx, tabletID, version)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := e.reader.Scan(snap, schema(), []int32{10, 11, 12, 13}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var acc []*vector.Vector
	for _, ty := range sc.Types() {
		acc = append(acc, vector.NewWithCap(ty, 0))
	}
	n := 0
	for {
		b, err := sc.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			return vector.NewBatch(acc, n)
		}
		for k := range acc {
			acc[k].AppendRows(b.Cols[k], b.Rows(nil))
		}
		n += b.Len()
	}
}

func TestWriteRoutesSortsAndCommits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	e := newEnv(r)
	ctx := context.Background()
	tablets := []int64{101, 102, 103}
	rows := randomRows(r, 3000)
	resp, err := e.loader.Write(ctx, request(55, tablets, []int32{0, 1}, rows))
	if err != nil {
		t.Fatal(err)
	}
	if resp.NumRows != 3000 {
		t.Fatalf("num rows %d", resp.NumRows)
	}
	if len(e.vault.unprepared) > 0 {
		t.Fatalf("uploads before PrepareRowset: %v", e.vault.unprepared)
	}
	// Every commit comes after every prepare, and each rowset is prepared then committed once.
	calls := e.meta.Calls()
	lastPrepare, firstCommit := -1, len(calls)
	for i, c := range calls {
		if strings.HasPrefix(c, "prepare ") {
			lastPrepare = i
		} else if i < firstCommit {
			firstCommit = i
		}
	}
	if lastPrepare > firstCommit || len(calls) != 2*len(resp.Tablets) {
		t.Fatalf("rowset calls out of order: %v", calls)
	}
	tmp := e.meta.TmpRowsets(55)
	if len(tmp) != len(resp.Tablets) {
		t.Fatalf("%d tmp rowsets, %d tablets in the response", len(tmp), len(resp.Tablets))
	}
	ids := map[string]bool{}
	for _, m := range tmp {
		if ids[m.RowsetId] || len(m.RowsetId) != 32 {
			t.Fatalf("rowset id %q duplicated or not 128-bit hex", m.RowsetId)
		}
		ids[m.RowsetId] = true
		info, err := e.vault.Stat(ctx, vault.SegmentPath(m.TabletId, m.RowsetId, 0))
		if err != nil {
			t.Fatal(err)
		}
		if m.TotalSize != info.Size || m.NumSegments != 1 || len(m.SegmentSizes) != 1 || m.SegmentSizes[0] != info.Size ||
			m.PartitionId != 7 || m.IndexId != 3 || m.TxnId != 55 || m.VaultId != "v1" || m.CreationTimeMs == 0 {
			t.Fatalf("incomplete rowset meta %v (file %d bytes)", m, info.Size)
		}
	}
	if _, err := e.meta.CommitTxn(ctx, &metapb.CommitTxnRequest{InstanceId: instance, TxnId: 55}); err != nil {
		t.Fatal(err)
	}
	// Read back: every row is in the tablet of its hash bucket, tablets are sorted by key, and
	// together they hold exactly the rows written.
	var want, got []string
	for i := range rows.N {
		want = append(want, rowText(rows, i))
	}
	hashes := make([]uint32, rows.N)
	load.DistributionHash([]*vector.Vector{rows.Cols[0], rows.Cols[1]}, vector.Identity(nil, rows.N), hashes)
	bucketOf := map[string]int64{}
	for i, h := range hashes {
		bucketOf[rowText(rows, i)] = tablets[h%3]
	}
	total := int64(0)
	for _, tc := range resp.Tablets {
		b := e.readTablet(t, tc.TabletId, 2)
		if int64(b.N) != tc.NumRows {
			t.Fatalf("tablet %d holds %d rows, response says %d", tc.TabletId, b.N, tc.NumRows)
		}
		total += tc.NumRows
		for i := range b.N {
			row := rowText(b, i)
			got = append(got, row)
			if bucketOf[row] != tc.TabletId {
				t.Fatalf("row %s in tablet %d, its bucket is tablet %d", row, tc.TabletId, bucketOf[row])
			}
			if i > 0 && keyLess(b, i, i-1) {
				t.Fatalf("tablet %d not sorted at row %d: %s after %s", tc.TabletId, i, row, rowText(b, i-1))
			}
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if total != 3000 || !slices.Equal(want, got) {
		t.Fatalf("read back %d rows, differ from the %d written", len(got), len(want))
	}
}

// keyLess reports whether row i's key sorts before row j's (NULL first).
func keyLess(b *vector.Batch, i, j int) bool {
	for k := range 2 {
		v := b.Cols[k]
		in, jn := v.IsNull(i), v.IsNull(j)
		switch {
		case in && jn:
			continue
		case in != jn:
			return in
		}
		if c := vector.Comparator(v)(i, j); c != 0 {
			return c < 0
		}
	}
	return false
}

func TestRandomDistributionIsRoundRobin(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	e := newEnv(r)
	resp, err := e.loader.Write(context.Background(), request(9, []int64{1, 2, 3, 4}, nil, randomRows(r, 1001)))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Tablets) != 4 {
		t.Fatalf("%d tablets got rows", len(resp.Tablets))
	}
	for _, tc := range resp.Tablets {
		if tc.NumRows != 250 && tc.NumRows != 251 {
			t.Fatalf("tablet %d got %d of 1001 rows", tc.TabletId, tc.NumRows)
		}
	}
}

func TestInvalidInputCommitsNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	cases := map[string]func(b *vector.Batch, req *computepb.WriteRequest){
		"null in NOT NULL column": func(b *vector.Batch, _ *computepb.WriteRequest) { b.Cols[0].SetNull(5) },
		"int out of range":        func(b *vector.Batch, _ *computepb.WriteRequest) { b.Cols[0].Int64[3] = 1 << 40 },
		"varchar too long": func(b *vector.Batch, _ *computepb.WriteRequest) {
			b.Cols[1].Nulls = nil
			b.Cols[1].Bytes[2] = []byte("123456789")
		},
		"decimal out of range": func(b *vector.Batch, _ *computepb.WriteRequest) {
			b.Cols[2].Nulls = nil
			b.Cols[2].Int128[1] = types.MaxUnscaled(20).Add(types.I128(1))
		},
		"date out of range":    func(b *vector.Batch, _ *computepb.WriteRequest) { b.Cols[3].Int64[0] = 1 << 40 },
		"missing column":       func(b *vector.Batch, _ *computepb.WriteRequest) { b.Cols = b.Cols[:3] },
		"wrong column type":    func(b *vector.Batch, _ *computepb.WriteRequest) { b.Cols[0] = vector.New(types.New(types.Double), b.N) },
		"bad distribution":     func(_ *vector.Batch, req *computepb.WriteRequest) { req.Sink.DistributionColumns = []int32{9} },
		"no txn":               func(_ *vector.Batch, req *computepb.WriteRequest) { req.TxnId = 0 },
		"no tablets":           func(_ *vector.Batch, req *computepb.WriteRequest) { req.Sink.Partitions[0].TabletIds = nil },
		"bad key column count": func(_ *vector.Batch, req *computepb.WriteRequest) { req.Sink.Schema.NumKeyColumns = 9 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(r)
			rows := randomRows(r, 20)
			req := request(9, []int64{1, 2}, []int32{0}, rows)
			mutate(rows, req)
			req.Rows = vector.ToProto(rows)
			_, err := e.loader.Write(context.Background(), req)
			if !errors.Is(err, load.ErrInvalidInput) {
				t.Fatalf("err = %v, want ErrInvalidInput", err)
			}
			if calls := e.meta.Calls(); len(calls) > 0 {
				t.Fatalf("meta calls after invalid input: %v", calls)
			}
		})
	}
}

func TestUnsupported(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	e := newEnv(r)
	req := request(9, []int64{1}, nil, randomRows(r, 3))
	req.Sink.Partitions = append(req.Sink.Partitions, &computepb.PartitionSink{PartitionId: 8, TabletIds: []int64{2}})
	if _, err := e.loader.Write(context.Background(), req); !errors.Is(err, load.ErrUnsupported) {
		t.Fatalf("two partitions: %v", err)
	}
}

// A failed upload or commit leaves no rowset committed for a failed upload, and the error
// surfaces.
func TestFailuresCommitNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	injected := errors.New("injected")
	e := newEnv(r)
	var puts int
	var mu sync.Mutex
	e.vault.fail = func(string) error {
		mu.Lock()
		defer mu.Unlock()
		puts++
		if puts == 2 {
			return injected
		}
		return nil
	}
	_, err := e.loader.Write(context.Background(), request(9, []int64{1, 2, 3}, []int32{0}, randomRows(r, 500)))
	if !errors.Is(err, injected) {
		t.Fatalf("err = %v, want the injected upload failure", err)
	}
	for _, c := range e.meta.Calls() {
		if strings.HasPrefix(c, "commit") {
			t.Fatalf("a rowset was committed after a failed upload: %v", e.meta.Calls())
		}
	}
	if len(e.meta.TmpRowsets(9)) != 0 {
		t.Fatal("tmp rowsets after a failed upload")
	}

	e = newEnv(r)
	e.meta.FailCommitRowset = func(*metapb.RowsetMeta) error { return injected }
	if _, err := e.loader.Write(context.Background(), request(9, []int64{1, 2}, []int32{0}, randomRows(r, 50))); !errors.Is(err, injected) {
		t.Fatalf("err = %v, want the injected commit failure", err)
	}
}

func TestEmptyWrite(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	e := newEnv(r)
	resp, err := e.loader.Write(context.Background(), request(9, []int64{1}, []int32{0}, randomRows(r, 0)))
	if err != nil || resp.NumRows != 0 || len(resp.Tablets) != 0 || len(e.meta.Calls()) != 0 {
		t.Fatalf("empty write: %v %v %v", resp, err, e.meta.Calls())
	}
}

// TestBloomFilterColumnsReachTheSegments: the schema's bloom_filter_columns (unique ids) give those
// columns, and only those, a bloom filter in every segment a load writes.
func TestBloomFilterColumnsReachTheSegments(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	e := newEnv(r)
	ctx := context.Background()
	req := request(56, []int64{201, 202}, []int32{0}, randomRows(r, 500))
	bloomed := req.Sink.Schema.Columns[1].UniqueId
	req.Sink.Schema.BloomFilterColumns = []int32{bloomed}
	if _, err := e.loader.Write(ctx, req); err != nil {
		t.Fatal(err)
	}
	for _, m := range e.meta.TmpRowsets(56) {
		path := vault.SegmentPath(m.TabletId, m.RowsetId, 0)
		seg, err := segment.Open(ctx, e.vault, path, m.SegmentSizes[0])
		if err != nil {
			t.Fatal(err)
		}
		for c, col := range req.Sink.Schema.Columns {
			blooms, err := seg.BloomFilters(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if has := len(blooms) > 0; has != (col.UniqueId == bloomed) {
				t.Errorf("%s column %s: bloom filters %v, want %v", path, col.Name, has, col.UniqueId == bloomed)
			}
		}
	}
}
