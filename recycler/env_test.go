package recycler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/metaservice/server"
	"github.com/doricdb/doric/recycler"
	"github.com/doricdb/doric/vault"
	vlocal "github.com/doricdb/doric/vault/local"
)

const (
	inst  = "rtest"
	dbID  = int64(100)
	table = int64(200)
)

var ctx = context.Background()

// clock is a settable clock shared by the Meta Service and the recycler of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_800_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a Meta Service (called in process) over a bbolt store, an instance with a local vault,
// and a clock.
type env struct {
	t       *testing.T
	dir     string
	db      kv.DB
	clk     *clock
	srv     *server.Server
	st      vault.Storage
	vaultID string
	nextID  int
}

func newEnv(t *testing.T, opts ...server.Option) *env {
	t.Helper()
	dir := t.TempDir()
	db, err := local.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newEnvOver(t, dir, db, opts...)
}

func newEnvOver(t *testing.T, dir string, db kv.DB, opts ...server.Option) *env {
	t.Helper()
	st, err := vlocal.New(filepath.Join(dir, "vault"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, db: db, clk: newClock(), st: st}
	e.srv = server.New(db, append([]server.Option{server.WithClock(e.clk.Now)}, opts...)...)
	resp, err := e.srv.CreateInstance(ctx, &metapb.CreateInstanceRequest{InstanceId: inst, Name: inst,
		DefaultVault: &metapb.StorageVault{Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: st.Root()}}}})
	if err != nil {
		t.Fatal(err)
	}
	e.vaultID = resp.GetInstance().GetDefaultVaultId()
	return e
}

func (e *env) recycler(mod func(*recycler.Config)) *recycler.Recycler {
	e.t.Helper()
	cfg := recycler.Config{DB: e.db, InstanceIDs: []string{inst}, Now: e.clk.Now, BatchSize: 1 + e.nextID%5}
	if mod != nil {
		mod(&cfg)
	}
	r, err := recycler.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func tabletOf(index, partition int64, bucket int) int64 {
	return index*10000 + partition*10 + int64(bucket)
}

var schema = &commonpb.TabletSchema{NumKeyColumns: 1, Columns: []*commonpb.Column{{Name: "k", Type: &commonpb.Type{Kind: commonpb.TypeKind_TYPE_BIGINT}, IsKey: true}}}

// tablets creates the tablets of a partition in each index and returns them.
func (e *env) tablets(partition int64, buckets int, indexes ...int64) []int64 {
	e.t.Helper()
	var metas []*metapb.TabletMeta
	var ids []int64
	for _, idx := range indexes {
		for b := range buckets {
			id := tabletOf(idx, partition, b)
			ids = append(ids, id)
			metas = append(metas, &metapb.TabletMeta{TabletId: id, DbId: dbID, TableId: table, IndexId: idx, PartitionId: partition, Schema: schema})
		}
	}
	if _, err := e.srv.CreateTablets(ctx, &metapb.CreateTabletsRequest{InstanceId: inst, Tablets: metas}); err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func (e *env) rowsetID() string {
	e.nextID++
	return fmt.Sprintf("%016x", e.nextID)
}

// upload writes the segment files of rs (and an inverted index file beside the first).
func (e *env) upload(rs *metapb.RowsetMeta) {
	e.t.Helper()
	for i := range int(rs.GetNumSegments()) {
		if _, err := e.st.Put(ctx, vault.SegmentPath(rs.GetTabletId(), rs.GetRowsetId(), i), bytes.NewReader([]byte("segment"))); err != nil {
			e.t.Fatal(err)
		}
	}
	if _, err := e.st.Put(ctx, fmt.Sprintf("data/%d/%s_0.idx", rs.GetTabletId(), rs.GetRowsetId()), bytes.NewReader([]byte("idx"))); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) begin(label string) int64 {
	e.t.Helper()
	b, err := e.srv.BeginTxn(ctx, &metapb.BeginTxnRequest{InstanceId: inst, DbId: dbID, Label: label, TableIds: []int64{table}, RequestId: "req-" + label})
	if err != nil {
		e.t.Fatal(err)
	}
	return b.GetTxnId()
}

// stage prepares, uploads and (when commit) commits a rowset of txn on a tablet.
func (e *env) stage(txnID, tablet int64, commit bool) *metapb.RowsetMeta {
	e.t.Helper()
	rs := &metapb.RowsetMeta{RowsetId: e.rowsetID(), TabletId: tablet, TxnId: txnID, NumRows: 10, NumSegments: 2, TotalSize: 14, SegmentSizes: []int64{7, 7}}
	if _, err := e.srv.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{InstanceId: inst, Rowset: rs}); err != nil {
		e.t.Fatal(err)
	}
	e.upload(rs)
	if commit {
		if _, err := e.srv.CommitRowset(ctx, &metapb.CommitRowsetRequest{InstanceId: inst, Rowset: rs}); err != nil {
			e.t.Fatal(err)
		}
	}
	return rs
}

// load runs a whole load into the tablets and returns its rowsets.
func (e *env) load(label string, tablets ...int64) []*metapb.RowsetMeta {
	e.t.Helper()
	id := e.begin(label)
	var out []*metapb.RowsetMeta
	for _, tb := range tablets {
		out = append(out, e.stage(id, tb, true))
	}
	if _, err := e.srv.CommitTxn(ctx, &metapb.CommitTxnRequest{InstanceId: inst, DbId: dbID, TxnId: id}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// compact compacts every visible rowset of a tablet into one and returns the inputs.
func (e *env) compact(tablet int64) []*metapb.RowsetMeta {
	e.t.Helper()
	vis := e.visible(tablet)
	if len(vis) < 2 {
		e.t.Fatalf("tablet %d has %d rowsets", tablet, len(vis))
	}
	start, end := vis[0].GetStartVersion(), vis[len(vis)-1].GetEndVersion()
	jobID := e.rowsetID()
	if _, err := e.srv.StartTabletJob(ctx, &metapb.StartTabletJobRequest{InstanceId: inst, TabletId: tablet,
		Compaction: &metapb.CompactionJob{Id: jobID, Initiator: "test", Type: metapb.CompactionType_COMPACTION_BASE, StartVersion: start, EndVersion: end}}); err != nil {
		e.t.Fatal(err)
	}
	out := &metapb.RowsetMeta{RowsetId: e.rowsetID(), TabletId: tablet, StartVersion: start, EndVersion: end, NumRows: 20, NumSegments: 1, TotalSize: 7}
	if _, err := e.srv.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{InstanceId: inst, Rowset: out, JobId: jobID}); err != nil {
		e.t.Fatal(err)
	}
	e.upload(out)
	if _, err := e.srv.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{InstanceId: inst, TabletId: tablet, JobId: jobID,
		Action: metapb.TabletJobAction_JOB_COMMIT, OutputRowset: out}); err != nil {
		e.t.Fatal(err)
	}
	return vis
}

func (e *env) visible(tablet int64) []*metapb.RowsetMeta {
	e.t.Helper()
	resp, err := e.srv.GetRowsets(ctx, &metapb.GetRowsetsRequest{InstanceId: inst, TabletId: tablet, StartVersion: 0, EndVersion: 1 << 40})
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.GetRowsets()
}

// filesOf reports how many of a rowset's files (segments and index) are in the vault.
func (e *env) filesOf(rs *metapb.RowsetMeta) int {
	e.t.Helper()
	objs, err := e.st.List(ctx, vault.RowsetPrefix(rs.GetTabletId(), rs.GetRowsetId()))
	if err != nil {
		e.t.Fatal(err)
	}
	return len(objs)
}

func (e *env) has(key []byte) bool {
	e.t.Helper()
	var v []byte
	if err := e.db.View(ctx, func(tx kv.ReadTxn) error {
		var err error
		v, err = tx.Get(key)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return v != nil
}

// round runs a round and fails the test on an error.
func (e *env) round(r *recycler.Recycler) recycler.Report {
	e.t.Helper()
	rep, err := r.Round(ctx, inst)
	if err != nil {
		e.t.Fatalf("round: %v\n%s", err, rep.String())
	}
	return rep
}

// check runs the checker and fails the test on any finding.
func (e *env) check(r *recycler.Recycler) *recycler.CheckReport {
	e.t.Helper()
	c, err := r.Check(ctx, inst)
	if err != nil {
		e.t.Fatal(err)
	}
	if !c.OK() {
		e.t.Fatalf("checker: %s", c)
	}
	return c
}

// failingDB fails, once armed, the kv transactions that clear a key for which match is true
// (the transaction function gets the injected, non-retryable error).
type failingDB struct {
	kv.DB
	mu    sync.Mutex
	match func(key []byte) bool
	fails int
}

var errInjected = errors.New("injected fault")

func (d *failingDB) arm(match func([]byte) bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.match = match
}

func (d *failingDB) hit(key []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.match != nil && d.match(key) {
		d.fails++
		return fmt.Errorf("clear %x: %w", key, errInjected)
	}
	return nil
}

func (d *failingDB) Update(ctx context.Context, fn func(kv.Txn) error) error {
	return d.DB.Update(ctx, func(tx kv.Txn) error { return fn(&failingTxn{tx, d}) })
}

type failingTxn struct {
	kv.Txn
	d *failingDB
}

func (t *failingTxn) Clear(key []byte) error {
	if err := t.d.hit(key); err != nil {
		return err
	}
	return t.Txn.Clear(key)
}

func (t *failingTxn) ClearRange(begin, end []byte) error {
	if err := t.d.hit(begin); err != nil {
		return err
	}
	return t.Txn.ClearRange(begin, end)
}

// mortalDB is a recycler's view of the store that can die: once dead (a simulated crash of the
// recycler's process) every transaction fails; clearRate makes a share of the transactions that
// clear keys fail (a fault between a vault deletion and the bookkeeping).
type mortalDB struct {
	kv.DB
	mu        sync.Mutex
	dead      bool
	clearRate float64
	rng       func() float64
}

var errDead = errors.New("simulated crash")

func (d *mortalDB) kill(dead bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dead = dead
}

func (d *mortalDB) state() (bool, float64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dead, d.clearRate
}

func (d *mortalDB) Update(ctx context.Context, fn func(kv.Txn) error) error {
	if dead, _ := d.state(); dead {
		return errDead
	}
	return d.DB.Update(ctx, func(tx kv.Txn) error { return fn(&mortalTxn{tx, d}) })
}

func (d *mortalDB) View(ctx context.Context, fn func(kv.ReadTxn) error) error {
	if dead, _ := d.state(); dead {
		return errDead
	}
	return d.DB.View(ctx, fn)
}

type mortalTxn struct {
	kv.Txn
	d *mortalDB
}

func (t *mortalTxn) fault() error {
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	if t.d.dead {
		return errDead
	}
	if t.d.clearRate > 0 && t.d.rng() < t.d.clearRate {
		return errInjected
	}
	return nil
}

func (t *mortalTxn) Clear(key []byte) error {
	if err := t.fault(); err != nil {
		return err
	}
	return t.Txn.Clear(key)
}

func (t *mortalTxn) ClearRange(begin, end []byte) error {
	if err := t.fault(); err != nil {
		return err
	}
	return t.Txn.ClearRange(begin, end)
}
