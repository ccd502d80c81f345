package recycler_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/client"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	kvfaulty "github.com/doricdb/doric/metaservice/kv/faulty"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/metaservice/server"
	"github.com/doricdb/doric/recycler"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/faulty"
	vlocal "github.com/doricdb/doric/vault/local"
)

// fastDir is a directory for a test's KV store on tmpfs when the machine has one (the store's
// fsyncs then cost nothing), else the test's temp dir.
func fastDir(t *testing.T) string {
	t.Helper()
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "doric-recycler-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

// world is a real Meta Service (gRPC on loopback) over kv/local wrapped in kv/faulty (conflicts
// and unknown commit results), a local vault, a recycler whose view of the store can fail or die,
// and a model of what must be visible.
type world struct {
	t   *testing.T
	rng *rand.Rand
	clk *clock

	dbPath string
	inner  *local.DB
	fdb    *kvfaulty.DB
	gs     *grpc.Server
	c      *client.Client
	st     vault.Storage
	root   string

	mortal  *mortalDB
	rec     *recycler.Recycler
	owners  int
	vfaults faulty.Config
	vf      *faulty.Storage
	hook    func() error // called before every vault deletion of the recycler

	nextID     int
	nextPart   int64
	parts      map[int64]bool            // committed partitions the model loads into
	tablets    map[int64][]int64         // partition -> tablets (live indexes)
	live       map[int64]map[string]bool // tablet -> rowset ids that must be visible
	versions   map[int64]int64           // partition -> version
	droppedTbl []int64                   // tablets of dropped partitions and indexes
	indexLive  map[int64]bool            // index -> not dropped
	stats      map[string]int
	kinds      [recycler.NumKinds]int // reclaimed per kind
	faults     atomic.Int64
	kvFaults   kvfaulty.Counts // of the stores closed so far
}

const buckets = 2

func newWorld(t *testing.T, seed uint64) *world {
	dir := fastDir(t)
	w := &world{t: t, rng: rand.New(rand.NewPCG(seed, seed^0x5bd1e995)), clk: newClock(),
		dbPath: filepath.Join(dir, "meta.db"), root: filepath.Join(dir, "vault"),
		parts: map[int64]bool{}, tablets: map[int64][]int64{}, live: map[int64]map[string]bool{},
		versions: map[int64]int64{}, indexLive: map[int64]bool{1: true, 2: true}, stats: map[string]int{}}
	st, err := vlocal.New(w.root)
	if err != nil {
		t.Fatal(err)
	}
	w.st = st
	w.open()
	t.Cleanup(w.close)
	if _, err := w.c.CreateInstance(ctx, &metapb.CreateInstanceRequest{InstanceId: inst, Name: inst,
		DefaultVault: &metapb.StorageVault{Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: w.root}}}}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		w.addPartition(true)
	}
	return w
}

// open opens the store and starts the Meta Service and a recycler over it.
func (w *world) open() {
	t := w.t
	var err error
	w.inner, err = local.OpenWith(w.dbPath, kv.Options{Retry: kv.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	w.fdb, err = kvfaulty.New(w.inner, kvfaulty.Config{Seed: w.rng.Uint64(),
		Rates: kvfaulty.Rates{Conflict: 0.03, UnknownNotApplied: 0.02, UnknownApplied: 0.02},
		Retry: kv.RetryPolicy{MaxAttempts: 40, MinBackoff: 50 * time.Microsecond, MaxBackoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w.gs = grpc.NewServer()
	server.New(w.fdb, server.WithClock(w.clk.Now)).Register(w.gs)
	go w.gs.Serve(lis)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if w.c, err = client.Dial(cctx, lis.Addr().String(), inst); err != nil {
		t.Fatal(err)
	}
	w.newRecycler()
}

func (w *world) close() {
	if w.c == nil {
		return
	}
	w.c.Close()
	w.gs.Stop()
	w.inner.Close()
	w.c = nil
	c := w.fdb.Counts()
	w.kvFaults.Conflicts += c.Conflicts
	w.kvFaults.UnknownNotApplied += c.UnknownNotApplied
	w.kvFaults.UnknownApplied += c.UnknownApplied
	w.kvFaults.Attempts += c.Attempts
}

// newRecycler starts a recycler with a new owner id (a restarted process) and random tuning.
func (w *world) newRecycler() {
	w.owners++
	w.mortal = &mortalDB{DB: w.fdb, rng: w.rng.Float64}
	w.vf = nil
	r, err := recycler.New(recycler.Config{DB: w.mortal, InstanceIDs: []string{inst}, Now: w.clk.Now,
		Owner: fmt.Sprintf("recycler-%d", w.owners), BatchSize: 1 + w.rng.IntN(20), Parallelism: 1 + w.rng.IntN(6),
		OpenVault: func(ctx context.Context, v *metapb.StorageVault) (vault.Storage, error) {
			st, err := recycler.OpenLocalVault(ctx, v)
			if err != nil {
				return nil, err
			}
			if w.vf == nil {
				w.vf = faulty.New(st, w.vfaults)
			}
			return &hookVault{w.vf, func(string) error {
				if w.hook != nil {
					return w.hook()
				}
				return nil
			}}, nil
		}})
	if err != nil {
		w.t.Fatal(err)
	}
	w.rec = r
}

func (w *world) must(err error, what string) {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("%s: %v", what, err)
	}
}

func (w *world) id() string {
	w.nextID++
	return fmt.Sprintf("%016x", w.nextID)
}

func (w *world) pick(xs []int64) int64 { return xs[w.rng.IntN(len(xs))] }

func sortedKeys[V any](m map[int64]V) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (w *world) upload(rs *metapb.RowsetMeta, segments int) {
	for i := range segments {
		data := bytes.Repeat([]byte{byte(i)}, int(rs.GetSegmentSizes()[i]))
		_, err := w.st.Put(ctx, vault.SegmentPath(rs.GetTabletId(), rs.GetRowsetId(), i), bytes.NewReader(data))
		w.must(err, "upload")
	}
}

func (w *world) newRowset(tablet, txnID int64) *metapb.RowsetMeta {
	n := 1 + w.rng.IntN(3)
	rs := &metapb.RowsetMeta{RowsetId: w.id(), TabletId: tablet, TxnId: txnID, NumRows: int64(n * 10), NumSegments: int32(n)}
	for range n {
		sz := int64(1 + w.rng.IntN(64))
		rs.SegmentSizes = append(rs.SegmentSizes, sz)
		rs.TotalSize += sz
	}
	return rs
}

// addPartition prepares a partition, creates its tablets and (when commit) commits it; an
// uncommitted one is never loaded and is reclaimed once its prepare entry expires.
func (w *world) addPartition(commit bool) {
	w.nextPart++
	p := w.nextPart
	var idx []int64
	for _, i := range sortedKeys(w.indexLive) {
		if w.indexLive[i] {
			idx = append(idx, i)
		}
	}
	req := &metapb.PartitionRequest{DbId: dbID, TableId: table, IndexIds: idx, PartitionIds: []int64{p}}
	_, err := w.c.PreparePartition(ctx, req)
	w.must(err, "prepare partition")
	var metas []*metapb.TabletMeta
	var ids []int64
	for _, i := range idx {
		for b := range buckets {
			id := tabletOf(i, p, b)
			ids = append(ids, id)
			metas = append(metas, &metapb.TabletMeta{TabletId: id, DbId: dbID, TableId: table, IndexId: i, PartitionId: p, Schema: schema})
		}
	}
	_, err = w.c.CreateTablets(ctx, &metapb.CreateTabletsRequest{Tablets: metas})
	w.must(err, "create tablets")
	if !commit {
		w.stats["partition never committed"]++
		w.droppedTbl = append(w.droppedTbl, ids...)
		return
	}
	_, err = w.c.CommitPartition(ctx, req)
	w.must(err, "commit partition")
	w.parts[p], w.tablets[p], w.versions[p] = true, ids, 1
	for _, id := range ids {
		w.live[id] = map[string]bool{}
	}
}

func (w *world) load() {
	p := w.pick(sortedKeys(w.parts))
	tablets := slices.Clone(w.tablets[p])
	w.rng.Shuffle(len(tablets), func(i, j int) { tablets[i], tablets[j] = tablets[j], tablets[i] })
	tablets = tablets[:1+w.rng.IntN(len(tablets))]
	label := "load-" + w.id()
	b, err := w.c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: label, TableIds: []int64{table}, RequestId: label})
	w.must(err, "begin")
	mode := w.rng.IntN(100)
	var rss []*metapb.RowsetMeta
	for i, tb := range tablets {
		rs := w.newRowset(tb, b.GetTxnId())
		_, err := w.c.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{Rowset: rs})
		w.must(err, "prepare rowset")
		if mode < 8 && i == len(tablets)-1 { // the loader dies mid-upload
			w.upload(rs, w.rng.IntN(int(rs.GetNumSegments())))
			w.stats["load died mid-upload"]++
			return
		}
		w.upload(rs, int(rs.GetNumSegments()))
		_, err = w.c.CommitRowset(ctx, &metapb.CommitRowsetRequest{Rowset: rs})
		w.must(err, "commit rowset")
		rss = append(rss, rs)
	}
	switch {
	case mode < 16:
		_, err := w.c.AbortTxn(ctx, &metapb.AbortTxnRequest{DbId: dbID, TxnId: b.GetTxnId(), Reason: "test"})
		w.must(err, "abort")
		w.stats["load aborted"]++
		return
	case mode < 22:
		w.stats["load left to expire"]++
		return
	}
	resp, err := w.c.CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: b.GetTxnId()})
	w.must(err, "commit txn")
	w.versions[p]++
	if len(resp.GetVersions()) != 1 || resp.GetVersions()[0].GetVersion() != w.versions[p] {
		w.t.Fatalf("load %s into partition %d got versions %v, want %d", label, p, resp.GetVersions(), w.versions[p])
	}
	for _, rs := range rss {
		w.live[rs.GetTabletId()][rs.GetRowsetId()] = true
	}
	w.stats["load committed"]++
	if w.rng.IntN(5) == 0 { // a retry of the label returns the original txn
		again, err := w.c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: label, TableIds: []int64{table}, RequestId: label + "-retry"})
		w.must(err, "begin again")
		if !again.GetLabelExists() || again.GetExisting().GetTxnId() != b.GetTxnId() || again.GetExisting().GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
			w.t.Fatalf("label retry of %s: %v, want txn %d VISIBLE", label, again, b.GetTxnId())
		}
	}
}

func (w *world) visible(tablet int64) []*metapb.RowsetMeta {
	resp, err := w.c.GetRowsets(ctx, &metapb.GetRowsetsRequest{TabletId: tablet, StartVersion: 0, EndVersion: 1 << 40})
	w.must(err, "get rowsets")
	return resp.GetRowsets()
}

func (w *world) compact() {
	var cands []int64
	for _, p := range sortedKeys(w.parts) {
		for _, tb := range w.tablets[p] {
			if len(w.live[tb]) >= 2 {
				cands = append(cands, tb)
			}
		}
	}
	if len(cands) == 0 {
		return
	}
	tb := w.pick(cands)
	vis := w.visible(tb)
	i := w.rng.IntN(len(vis) - 1)
	j := i + 1 + w.rng.IntN(len(vis)-1-i)
	in := vis[i : j+1]
	var ids []string
	for _, rs := range in {
		ids = append(ids, rs.GetRowsetId())
	}
	job := "job-" + w.id()
	start, end := in[0].GetStartVersion(), in[len(in)-1].GetEndVersion()
	_, err := w.c.StartTabletJob(ctx, &metapb.StartTabletJobRequest{TabletId: tb, Compaction: &metapb.CompactionJob{
		Id: job, Initiator: "test", Type: metapb.CompactionType_COMPACTION_CUMULATIVE, StartVersion: start, EndVersion: end, InputRowsetIds: ids}})
	if status.Code(err) == codes.Aborted { // an abandoned compaction's lease is still live
		w.stats["compaction refused (lease held)"]++
		return
	}
	w.must(err, "start compaction")
	out := w.newRowset(tb, 0)
	out.StartVersion, out.EndVersion = start, end
	_, err = w.c.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{Rowset: out, JobId: job})
	w.must(err, "prepare compaction output")
	w.upload(out, int(out.GetNumSegments()))
	switch mode := w.rng.IntN(100); {
	case mode < 10:
		_, err := w.c.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{TabletId: tb, JobId: job, Action: metapb.TabletJobAction_JOB_ABORT, OutputRowset: out})
		w.must(err, "abort compaction")
		w.stats["compaction aborted"]++
		return
	case mode < 15:
		w.stats["compaction left (compactor died)"]++
		return
	}
	_, err = w.c.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{TabletId: tb, JobId: job, Action: metapb.TabletJobAction_JOB_COMMIT, OutputRowset: out})
	w.must(err, "commit compaction")
	for _, id := range ids {
		delete(w.live[tb], id)
	}
	w.live[tb][out.GetRowsetId()] = true
	w.stats["compaction committed"]++
}

func (w *world) dropPartition() {
	ps := sortedKeys(w.parts)
	if len(ps) < 2 {
		return
	}
	p := w.pick(ps)
	_, err := w.c.DropPartition(ctx, &metapb.PartitionRequest{DbId: dbID, TableId: table, IndexIds: []int64{1, 2}, PartitionIds: []int64{p}})
	w.must(err, "drop partition")
	for _, tb := range w.tablets[p] {
		delete(w.live, tb)
	}
	w.droppedTbl = append(w.droppedTbl, w.tablets[p]...)
	delete(w.parts, p)
	delete(w.tablets, p)
	w.stats["partition dropped"]++
}

func (w *world) dropIndex(idx int64) {
	_, err := w.c.DropIndex(ctx, &metapb.IndexRequest{DbId: dbID, TableId: table, IndexIds: []int64{idx}})
	w.must(err, "drop index")
	w.indexLive[idx] = false
	for p, tbs := range w.tablets {
		keep := tbs[:0]
		for _, tb := range tbs {
			if tb/10000 == idx {
				delete(w.live, tb)
				w.droppedTbl = append(w.droppedTbl, tb)
			} else {
				keep = append(keep, tb)
			}
		}
		w.tablets[p] = keep
	}
	w.stats["index dropped"]++
}

// recycle runs a round, sometimes with faults: failing vault deletions, failing bookkeeping
// transactions, or the recycler's process dying after a few deletions.
func (w *world) recycle() {
	mode := w.rng.IntN(100)
	faulted := true
	switch {
	case mode < 20:
		w.vfaults = faulty.Config{Seed: w.rng.Uint64(), ErrorRate: 0.3, Ops: []faulty.Op{faulty.OpDeletePrefix}}
		w.stats["round with vault faults"]++
	case mode < 40:
		w.mortal.clearRate = 0.3
		w.stats["round with bookkeeping faults"]++
	case mode < 55:
		var left atomic.Int64
		left.Store(int64(1 + w.rng.IntN(6)))
		w.hook = func() error {
			if left.Add(-1) < 0 {
				w.mortal.kill(true)
				return errDead
			}
			return nil
		}
		w.stats["round with a crash"]++
	default:
		faulted = false
		w.vfaults = faulty.Config{}
		w.stats["clean round"]++
	}
	if w.vf != nil {
		w.vf.SetConfig(w.vfaults)
	}
	rep, err := w.rec.Round(ctx, inst)
	for k, kr := range rep.Kinds {
		w.kinds[k] += kr.Recycled
	}
	if err != nil && !faulted {
		w.t.Fatalf("clean round: %v\n%s", err, rep.String())
	}
	if err != nil {
		w.faults.Add(1)
	}
	dead, _ := w.mortal.state()
	w.hook, w.mortal.clearRate, w.vfaults = nil, 0, faulty.Config{}
	if w.vf != nil {
		w.vf.SetConfig(w.vfaults)
	}
	if dead {
		w.newRecycler() // the recycler's process restarts with a new owner id
	}
}

// crash closes the store and restarts the Meta Service (and the recycler) over the reopened
// store.
func (w *world) crash() {
	w.close()
	w.open()
	w.stats["meta service restart"]++
}

func (w *world) advance() {
	steps := []time.Duration{time.Second, time.Minute, 10 * time.Minute, 31 * time.Minute, 2 * time.Hour, 4 * time.Hour, 24 * time.Hour}
	w.clk.Advance(steps[w.rng.IntN(len(steps))])
	w.stats["clock advanced"]++
}

// verify: the checker finds no leak either way, and every live tablet shows exactly the
// model's rowsets, every live partition the model's version.
func (w *world) verify(step string) {
	w.t.Helper()
	c, err := w.rec.Check(ctx, inst)
	if err != nil {
		w.t.Fatalf("%s: check: %v", step, err)
	}
	if !c.OK() {
		w.t.Fatalf("%s: checker: %s", step, c)
	}
	for _, p := range sortedKeys(w.parts) {
		for _, tb := range w.tablets[p] {
			var got []string
			for _, rs := range w.visible(tb) {
				got = append(got, rs.GetRowsetId())
			}
			var want []string
			for id := range w.live[tb] {
				want = append(want, id)
			}
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				w.t.Fatalf("%s: tablet %d shows rowsets %v, want %v", step, tb, got, want)
			}
		}
		resp, err := w.c.GetVersion(ctx, &metapb.GetVersionRequest{Partitions: []*metapb.PartitionVersion{{DbId: dbID, TableId: table, PartitionId: p}}})
		w.must(err, "get version")
		if v := resp.GetVersions()[0].GetVersion(); v != w.versions[p] {
			w.t.Fatalf("%s: partition %d at version %d, want %d", step, p, v, w.versions[p])
		}
	}
}

// TestRandomOperations runs 1,000 random operations — loads (some dying mid-upload, aborted or
// left to expire), compactions (some aborted or abandoned), partitions added (some never
// committed) and dropped, an index dropped, recycler rounds (some with vault faults, failing
// bookkeeping transactions or a crash of the recycler), Meta Service restarts over a reopened
// store, clock jumps — against a real Meta Service over gRPC whose store injects conflicts and
// unknown commit results. Every 25 operations the checker must find no leak either way (no live
// file deleted, no file unaccounted for) and the visible rowsets and versions must match the
// model; at the end, once every retention has passed, rounds must reclaim everything: no
// recycle entry, no file of a dropped tablet and no leaked file is left, and the live data is
// intact.
func TestRandomOperations(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("DORIC_TEST_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (DORIC_TEST_SEED reproduces it)", seed)
	w := newWorld(t, seed)
	const ops = 1000
	for i := range ops {
		switch p := w.rng.IntN(100); {
		case p < 36:
			w.load()
		case p < 50:
			w.compact()
		case p < 52:
			w.dropPartition()
		case p < 55:
			w.addPartition(w.rng.IntN(5) != 0)
		case p < 71:
			w.recycle()
		case p < 74:
			w.crash()
		default:
			w.advance()
		}
		if i == ops/2 {
			w.dropIndex(2)
		}
		if i%25 == 24 {
			w.verify(fmt.Sprintf("after operation %d", i+1))
		}
	}

	// Every retention passes: rounds reclaim everything (aborting the txns left to expire
	// first, whose rowsets then wait their own retention).
	for round := 0; ; round++ {
		if round == 8 {
			t.Fatal("rounds still reclaiming after 8 rounds")
		}
		w.clk.Advance(4 * 24 * time.Hour)
		rep, err := w.rec.Round(ctx, inst)
		if err != nil || rep.Busy {
			t.Fatalf("final round: %v\n%s", err, rep.String())
		}
		for k, kr := range rep.Kinds {
			w.kinds[k] += kr.Recycled
		}
		if rep.Recycled() == 0 {
			break
		}
	}
	w.verify("at the end")
	ranges := []func(string) ([]byte, []byte){keys.RecycleIndexRange, keys.RecyclePartitionRange, keys.RecycleRowsetRange, keys.RecycleTxnRange}
	n := 0
	for _, rg := range ranges {
		b, e := rg(inst)
		w.must(w.inner.View(ctx, func(tx kv.ReadTxn) error {
			kvs, err := tx.GetRange(b, e, 0, false)
			n += len(kvs)
			return err
		}), "count entries")
	}
	if n != 0 {
		t.Fatalf("%d recycle entries left at the end", n)
	}
	for _, tb := range w.droppedTbl {
		objs, err := w.st.List(ctx, vault.TabletPrefix(tb))
		w.must(err, "list")
		if len(objs) != 0 {
			t.Fatalf("dropped tablet %d still has %d files", tb, len(objs))
		}
		if _, err := w.c.GetTablet(ctx, &metapb.GetTabletRequest{TabletId: tb}); err == nil {
			t.Fatalf("dropped tablet %d still exists", tb)
		}
	}
	files, err := w.st.List(ctx, "data/")
	w.must(err, "list")
	liveRowsets := 0
	for _, m := range w.live {
		liveRowsets += len(m)
	}
	if liveRowsets == 0 || len(files) == 0 {
		t.Fatalf("nothing live at the end (%d rowsets, %d files): the test tested nothing", liveRowsets, len(files))
	}
	var reclaimed []string
	for k, n := range w.kinds {
		reclaimed = append(reclaimed, fmt.Sprintf("%s=%d", recycler.Kind(k), n))
	}
	t.Logf("operations: %v", w.stats)
	c := w.fdb.Counts()
	f := w.kvFaults
	t.Logf("reclaimed: %v; faulted rounds %d; kv: %d commits, %d conflicts, %d unknown results (%d applied) injected", reclaimed,
		w.faults.Load(), f.Attempts+c.Attempts, f.Conflicts+c.Conflicts, f.UnknownNotApplied+c.UnknownNotApplied+f.UnknownApplied+c.UnknownApplied,
		f.UnknownApplied+c.UnknownApplied)
	t.Logf("at the end: %d live rowsets in %d files, %d dropped tablets gone", liveRowsets, len(files), len(w.droppedTbl))
}
