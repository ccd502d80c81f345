package publish_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/load"
	"github.com/doricdb/doric/compute/publish"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/metaservice"
	"github.com/doricdb/doric/metaservice/client"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/mem"
)

const (
	inst  = "pub"
	db    = int64(1)
	table = int64(10)
)

// partitions and their tablets.
var parts = map[int64][]int64{100: {1000, 1001}, 101: {1010, 1011}}

// env is a real Meta Service over gRPC, a memory vault, a loader, a reader and publishers.
type env struct {
	t      *testing.T
	meta   metapb.MetaServiceClient
	st     vault.Storage
	loader *load.Loader
	reader *tablet.Reader
	schema *commonpb.TabletSchema
	r      *rand.Rand
}

func newEnv(t *testing.T, withSeq bool) *env {
	t.Helper()
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	svc, err := metaservice.New(metaservice.Config{GRPCAddr: "127.0.0.1:0", KVPath: filepath.Join(t.TempDir(), "meta.db"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { svc.Run(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })
	if err := metaservice.Bootstrap(ctx, svc.Addr(), inst, t.TempDir(), ""); err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(ctx, svc.Addr(), inst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	e := &env{t: t, meta: c, st: mem.New(), r: rand.New(rand.NewPCG(seed, 1))}
	sign := int32(3)
	e.schema = &commonpb.TabletSchema{KeysType: commonpb.KeysType_UNIQUE_KEYS, EnableUniqueKeyMergeOnWrite: true, NumKeyColumns: 1,
		Columns: []*commonpb.Column{
			{UniqueId: 1, Name: "k", Type: types.New(types.Int).Proto(), Nullable: true, IsKey: true},
			{UniqueId: 2, Name: "v", Type: types.New(types.BigInt).Proto(), Nullable: true},
			{UniqueId: 3, Name: "s", Type: types.New(types.BigInt).Proto(), Nullable: true},
			{UniqueId: 4, Name: "__DORIS_DELETE_SIGN__", Type: types.New(types.TinyInt).Proto(), Hidden: true, Aggregation: "REPLACE"},
		},
		DeleteSignIdx: &sign,
	}
	if withSeq {
		seq := int32(2)
		e.schema.SequenceColIdx = &seq
	}
	req := &metapb.CreateTabletsRequest{}
	for p, tablets := range parts {
		for _, id := range tablets {
			req.Tablets = append(req.Tablets, &metapb.TabletMeta{TabletId: id, DbId: db, TableId: table, IndexId: 11, PartitionId: p, VaultId: "v", Schema: e.schema})
		}
	}
	if _, err := c.CreateTablets(ctx, req); err != nil {
		t.Fatal(err)
	}
	resolve := func(context.Context, string) (vault.Storage, error) { return e.st, nil }
	e.loader = &load.Loader{Meta: c, InstanceID: inst, Vaults: resolve, Segment: segment.Options{PageSize: 64 + e.r.IntN(4096)}}
	e.reader = &tablet.Reader{Meta: c, InstanceID: inst, Vaults: resolve, Keys: tablet.NewKeyCache(int64(1 + e.r.IntN(1<<16)))}
	return e
}

func (e *env) publisher(meta metapb.MetaServiceClient, lockTimeout time.Duration) *publish.Publisher {
	e.t.Helper()
	if meta == nil {
		meta = e.meta
	}
	p, err := publish.New(publish.Config{Meta: meta, InstanceID: inst, Reader: e.reader, LockTimeout: lockTimeout})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// row is k, v, s, sign; -1 is NULL (never for sign).
type row [4]int64

func partitionOf(k int64) int64 {
	if k >= 0 && k%2 == 1 {
		return 101
	}
	return 100
}

// write begins a txn and writes rows into it (each partition's rows to its tablets, or all to
// the one tablet `only` when not 0); it returns the txn id.
func (e *env) write(rows []row, only int64) int64 {
	e.t.Helper()
	ctx := context.Background()
	b, err := e.meta.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: db, Label: fmt.Sprint("l", e.r.Uint64()), TableIds: []int64{table}, TimeoutMs: 60_000})
	if err != nil {
		e.t.Fatal(err)
	}
	byPart := map[int64][]row{}
	for _, r := range rows {
		byPart[partitionOf(r[0])] = append(byPart[partitionOf(r[0])], r)
	}
	for p, rs := range byPart {
		cols := make([]*vector.Vector, 4)
		for k, c := range e.schema.Columns {
			cols[k] = vector.New(types.FromProto(c.Type), len(rs))
			for i, r := range rs {
				if r[k] < 0 {
					cols[k].SetNull(i)
				} else {
					cols[k].Int64[i] = r[k]
				}
			}
		}
		tablets := parts[p]
		if only != 0 {
			tablets = []int64{only}
		}
		_, err := e.loader.Write(ctx, &computepb.WriteRequest{LoadId: "l", TxnId: b.TxnId, Rows: vector.ToProto(vector.NewBatch(cols, len(rs))),
			Sink: &computepb.TabletSink{DbId: db, TableId: table, IndexId: 11, Schema: e.schema, VaultId: "v", DistributionColumns: []int32{0},
				Partitions: []*computepb.PartitionSink{{PartitionId: p, TabletIds: tablets}}}})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return b.TxnId
}

// ref is the serial reference: the live row of each key (sign 1 rows are kept: they are what
// later rows compete with) in load order.
type ref map[int64]row

func (m ref) apply(rows []row, withSeq bool) {
	for _, r := range rows {
		if have, ok := m[r[0]]; ok && withSeq && have[2] > r[2] {
			continue
		}
		m[r[0]] = r
	}
}

// visible renders the reference's rows of a partition (tombstones dropped), sorted.
func (m ref) visible(p int64) []string {
	var out []string
	for _, r := range m {
		if r[3] == 0 && (p == 0 || partitionOf(r[0]) == p) {
			out = append(out, render(r[0], r[1], r[2]))
		}
	}
	sort.Strings(out)
	return out
}

func render(k, v, s int64) string {
	f := func(x int64) string {
		if x < 0 {
			return "NULL"
		}
		return fmt.Sprint(x)
	}
	return f(k) + "," + f(v) + "," + f(s)
}

// read scans every tablet of partition p at version v (the merge-on-write read path).
func (e *env) read(p, v int64) []string {
	e.t.Helper()
	ctx := context.Background()
	var out []string
	for _, id := range parts[p] {
		snap, err := e.reader.Capture(ctx, id, v)
		if err != nil {
			e.t.Fatal(err)
		}
		sc, err := e.reader.Scan(snap, e.schema, []int32{1, 2, 3}, 1+e.r.IntN(8))
		if err != nil {
			e.t.Fatal(err)
		}
		for {
			b, err := sc.Next(ctx)
			if err != nil {
				e.t.Fatal(err)
			}
			if b == nil {
				break
			}
			for i := range b.N {
				out = append(out, strings.Join([]string{b.Cols[0].Format(i), b.Cols[1].Format(i), b.Cols[2].Format(i)}, ","))
			}
		}
	}
	sort.Strings(out)
	return out
}

func (e *env) version(p int64) int64 {
	e.t.Helper()
	vs, err := e.meta.GetVersion(context.Background(), &metapb.GetVersionRequest{Partitions: []*metapb.PartitionVersion{{DbId: db, TableId: table, PartitionId: p}}})
	if err != nil {
		e.t.Fatal(err)
	}
	return vs.GetVersions()[0].GetVersion()
}

func (e *env) randomRows(n, keys int, gen int64) []row {
	out := make([]row, n)
	for i := range out {
		k := e.r.Int64N(int64(keys))
		if e.r.IntN(12) == 0 {
			k = -1
		}
		s := e.r.Int64N(4)
		if e.r.IntN(6) == 0 {
			s = -1
		}
		sign := int64(0)
		if e.r.IntN(8) == 0 {
			sign = 1
		}
		out[i] = row{k, gen*1000 + int64(i), s, sign}
	}
	return out
}

// Sequential loads through the publish: every version of every partition reads as the serial
// reference at that version (NULL keys, collisions inside and across loads, tombstones, with
// and without a sequence column).
func TestPublishMatchesSerialReference(t *testing.T) {
	for _, withSeq := range []bool{false, true} {
		t.Run(fmt.Sprint("seq=", withSeq), func(t *testing.T) {
			e := newEnv(t, withSeq)
			p := e.publisher(nil, 0)
			m := ref{}
			history := map[int64]map[int64][]string{100: {1: nil}, 101: {1: nil}}
			for gen := range int64(12) {
				rows := e.randomRows(1+e.r.IntN(25), 12, gen+1)
				txn := e.write(rows, 0)
				resp, err := p.Commit(context.Background(), db, txn)
				if err != nil {
					t.Fatal(err)
				}
				if resp.GetTxn().GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
					t.Fatalf("txn %d is %v", txn, resp.GetTxn().GetStatus())
				}
				m.apply(rows, withSeq)
				for _, pv := range resp.GetVersions() {
					history[pv.GetPartitionId()][pv.GetVersion()] = m.visible(pv.GetPartitionId())
				}
			}
			for part, versions := range history {
				last := e.version(part)
				var want []string
				for v := int64(1); v <= last; v++ {
					if w, ok := versions[v]; ok {
						want = w
					}
					if got := e.read(part, v); !slices.Equal(got, want) {
						t.Fatalf("partition %d version %d:\n got %v\nwant %v", part, v, got, want)
					}
				}
			}
		})
	}
}

// Concurrent publishes of the same partitions from two "nodes" serialize on the delete-bitmap
// lock: the final table is the serial reference in commit (version) order. A lock held by a
// compaction makes a publish wait; past its lock timeout the publish fails cleanly and a retry
// commits.
func TestPublishLockContention(t *testing.T) {
	e := newEnv(t, false)
	nodes := []*publish.Publisher{e.publisher(nil, 0), e.publisher(nil, 0)}
	type done struct {
		rows    []row
		version int64
	}
	var mu sync.Mutex
	var commits []done
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		rows := make([]row, 10)
		for i := range rows {
			rows[i] = row{int64(2 * ((w + i) % 7)), int64(w*100 + i), 0, 0} // partition 100, overlapping keys
		}
		txn := e.write(rows, 0)
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := nodes[w%2].Commit(context.Background(), db, txn)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			commits = append(commits, done{rows, resp.GetVersions()[0].GetVersion()})
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sort.Slice(commits, func(i, j int) bool { return commits[i].version < commits[j].version })
	m := ref{}
	for i, c := range commits {
		if c.version != int64(i+2) {
			t.Fatalf("commit %d at version %d", i, c.version)
		}
		m.apply(c.rows, false)
	}
	if got, want := e.read(100, e.version(100)), m.visible(100); !slices.Equal(got, want) {
		t.Fatalf("after concurrent publishes:\n got %v\nwant %v", got, want)
	}

	// A compaction holds the lock of partition 100.
	ctx := context.Background()
	lock := &metapb.GetDeleteBitmapUpdateLockRequest{TableId: table, PartitionIds: []int64{100}, LockId: -7, Initiator: 1, ExpirationMs: 60_000}
	if _, err := e.meta.GetDeleteBitmapUpdateLock(ctx, lock); err != nil {
		t.Fatal(err)
	}
	rows := []row{{0, 7777, 0, 0}}
	txn := e.write(rows, 0)
	if _, err := e.publisher(nil, 50*time.Millisecond).Commit(ctx, db, txn); !errors.Is(err, publish.ErrLockTimeout) {
		t.Fatalf("publish under a held lock: %v, want ErrLockTimeout", err)
	}
	got, err := e.meta.GetTxn(ctx, &metapb.GetTxnRequest{DbId: db, TxnId: txn})
	if err != nil || got.GetTxn().GetStatus() != metapb.TxnStatus_TXN_PREPARED {
		t.Fatalf("txn after the timed-out publish: %v, %v", got.GetTxn().GetStatus(), err)
	}
	release := time.AfterFunc(150*time.Millisecond, func() {
		e.meta.RemoveDeleteBitmapUpdateLock(ctx, &metapb.RemoveDeleteBitmapUpdateLockRequest{TableId: table, PartitionIds: []int64{100}, LockId: -7, Initiator: 1})
	})
	defer release.Stop()
	start := time.Now()
	if _, err := nodes[0].Commit(ctx, db, txn); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 100*time.Millisecond {
		t.Fatalf("publish did not wait for the lock (%v)", time.Since(start))
	}
	m.apply(rows, false)
	if got, want := e.read(100, e.version(100)), m.visible(100); !slices.Equal(got, want) {
		t.Fatalf("after the waiting publish:\n got %v\nwant %v", got, want)
	}
}

// faultyMeta lets a test intercept CommitTxn.
type faultyMeta struct {
	metapb.MetaServiceClient
	commit func(ctx context.Context, in *metapb.CommitTxnRequest) (*metapb.CommitTxnResponse, error)
}

func (f *faultyMeta) CommitTxn(ctx context.Context, in *metapb.CommitTxnRequest, _ ...grpc.CallOption) (*metapb.CommitTxnResponse, error) {
	return f.commit(ctx, in)
}

func (e *env) bitmaps(tabletID int64) int {
	e.t.Helper()
	ctx := context.Background()
	snap, err := e.reader.Capture(ctx, tabletID, e.version(100))
	if err != nil {
		e.t.Fatal(err)
	}
	req := &metapb.GetDeleteBitmapRequest{TabletId: tabletID}
	for _, rs := range snap.Rowsets {
		req.Ranges = append(req.Ranges, &metapb.DeleteBitmapRange{RowsetId: rs.RowsetId, StartVersion: 0, EndVersion: 1 << 40})
	}
	resp, err := e.meta.GetDeleteBitmap(ctx, req)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(resp.GetBitmaps())
}

// Replays: a publish repeated after its commit returns the committed txn and writes nothing; a
// commit whose answer was lost is reported committed; a publish that failed after writing its
// bitmaps leaves nothing a reader applies, even when another load takes the version it expected,
// and its retry commits at the next one.
func TestPublishReplays(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	p := e.publisher(nil, 0)
	m := ref{}
	load := func(rows []row, only int64, pub *publish.Publisher) (*metapb.CommitTxnResponse, int64, error) {
		txn := e.write(rows, only)
		resp, err := pub.Commit(ctx, db, txn)
		return resp, txn, err
	}
	base := []row{{0, 1, 0, 0}, {2, 1, 0, 0}, {4, 1, 0, 0}}
	if _, _, err := load(base, 1000, p); err != nil {
		t.Fatal(err)
	}
	m.apply(base, false)
	upd := []row{{0, 2, 0, 0}, {2, 2, 0, 0}}
	first, txn, err := load(upd, 1000, p)
	if err != nil {
		t.Fatal(err)
	}
	m.apply(upd, false)
	before := e.bitmaps(1000)
	again, err := e.publisher(nil, 0).Commit(ctx, db, txn) // another node, after the commit
	if err != nil {
		t.Fatal(err)
	}
	if again.GetTxn().GetStatus() != metapb.TxnStatus_TXN_VISIBLE || !reflect.DeepEqual(again.GetVersions()[0].GetVersion(), first.GetVersions()[0].GetVersion()) {
		t.Fatalf("replayed publish: %v, first %v", again, first)
	}
	if after := e.bitmaps(1000); after != before {
		t.Fatalf("replayed publish wrote bitmaps: %d entries, %d before", after, before)
	}

	// The commit happens, its answer is lost.
	lost := &faultyMeta{MetaServiceClient: e.meta}
	lost.commit = func(ctx context.Context, in *metapb.CommitTxnRequest) (*metapb.CommitTxnResponse, error) {
		if _, err := e.meta.CommitTxn(ctx, in); err != nil {
			return nil, err
		}
		return nil, status.Error(codes.Unavailable, "connection reset (injected)")
	}
	upd = []row{{4, 3, 0, 0}}
	resp, _, err := load(upd, 1000, e.publisher(lost, 0))
	if err != nil || resp.GetTxn().GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
		t.Fatalf("publish whose commit answer was lost: %v, %v", resp, err)
	}
	m.apply(upd, false)
	if got, want := e.read(100, e.version(100)), m.visible(100); !slices.Equal(got, want) {
		t.Fatalf("after a lost answer:\n got %v\nwant %v", got, want)
	}

	// The publish fails after writing its bitmaps (its CommitTxn never reaches the service).
	failing := &faultyMeta{MetaServiceClient: e.meta}
	failing.commit = func(context.Context, *metapb.CommitTxnRequest) (*metapb.CommitTxnResponse, error) {
		return nil, status.Error(codes.Unavailable, "injected")
	}
	v := e.version(100)
	stale := []row{{0, 9, 0, 0}}
	_, staleTxn, err := load(stale, 1000, e.publisher(failing, 0))
	if err == nil {
		t.Fatal("publish with a failing commit succeeded")
	}
	// Its lock is released: another load (into the other tablet) publishes at once and takes
	// version v+1.
	other := []row{{6, 1, 0, 0}}
	if _, _, err := load(other, 1001, e.publisher(nil, 50*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	m.apply(other, false)
	if e.version(100) != v+1 {
		t.Fatalf("version %d, want %d", e.version(100), v+1)
	}
	if got, want := e.read(100, v+1), m.visible(100); !slices.Equal(got, want) {
		t.Fatalf("version %d after a failed publish (its bitmaps must not apply):\n got %v\nwant %v", v+1, got, want)
	}
	// The retry commits at v+2.
	resp, err = p.Commit(ctx, db, staleTxn)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetVersions()[0].GetVersion(); got != v+2 {
		t.Fatalf("retried publish at version %d, want %d", got, v+2)
	}
	m.apply(stale, false)
	if got, want := e.read(100, v+2), m.visible(100); !slices.Equal(got, want) {
		t.Fatalf("after the retried publish:\n got %v\nwant %v", got, want)
	}
	// An aborted txn is refused.
	txn = e.write([]row{{8, 1, 0, 0}}, 0)
	if _, err := e.meta.AbortTxn(ctx, &metapb.AbortTxnRequest{DbId: db, TxnId: txn, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Commit(ctx, db, txn); !errors.Is(err, publish.ErrAborted) {
		t.Fatalf("publish of an aborted txn: %v", err)
	}
}
