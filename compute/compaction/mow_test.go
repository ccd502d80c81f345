package compaction_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/compaction"
	"github.com/doricdb/doric/compute/publish"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
)

// seqIdx is the sequence column of the merge-on-write schemas with one (max_v, an INT).
const seqIdx = 3

// mowSchema is schemaOf(UNIQUE) as merge-on-write, with max_v as the sequence column when seq.
func mowSchema(seq bool) *commonpb.TabletSchema {
	s := schemaOf(commonpb.KeysType_UNIQUE_KEYS)
	s.EnableUniqueKeyMergeOnWrite = true
	if seq {
		i := int32(seqIdx)
		s.SequenceColIdx = &i
	}
	return s
}

// mow is an env for merge-on-write tables: loads commit through a publisher (which computes the
// delete bitmaps), and a serial reference of the table at every version.
type mow struct {
	*env
	pub  *publish.Publisher
	seq  bool
	live map[string]refRow    // the reference now: the live row of each key (tombstones too)
	refs map[int64][]string   // the visible rows at each version, sorted
	cur  int64                // the partition's version
	mu   sync.Mutex           // guards the above (loads from hooks)
	ends map[int64][][2]int64 // per tablet: the version ranges compactions merged
}

type refRow struct {
	text string
	seq  int64
	del  bool
}

func newMoW(t *testing.T, r *rand.Rand, seq bool, buckets int) *mow {
	e := newEnv(t, r, mowSchema(seq), buckets)
	reader := &tablet.Reader{Meta: e.meta, InstanceID: inst, Vaults: e.vaults, Keys: tablet.NewKeyCache(int64(1 + r.IntN(1<<16)))}
	pub, err := publish.New(publish.Config{Meta: e.meta, InstanceID: inst, Reader: reader})
	if err != nil {
		t.Fatal(err)
	}
	return &mow{env: e, pub: pub, seq: seq, live: map[string]refRow{}, refs: map[int64][]string{1: nil}, cur: 1, ends: map[int64][][2]int64{}}
}

// rows draws n random rows (tombstones with probability del); with a sequence column its values
// are small and never NULL, so that ties and both orders happen.
func (m *mow) rows(n int, del float64) *vector.Batch {
	b := m.randomRows(n, del)
	if m.seq {
		v := b.Cols[seqIdx]
		v.Nulls = nil
		for i := range n {
			v.Int64[i] = m.r.Int64N(20)
		}
	}
	return b
}

// upsert loads rows and commits them through the publisher; the reference follows.
func (m *mow) upsert(ctx context.Context, rows *vector.Batch) {
	m.t.Helper()
	label := fmt.Sprint("m", m.labels.Add(1))
	b, err := m.meta.BeginTxn(ctx, &metapb.BeginTxnRequest{InstanceId: inst, DbId: dbID, Label: label, TableIds: []int64{tableID}, TimeoutMs: 60_000})
	if err != nil {
		m.t.Fatal(err)
	}
	if _, err := m.loader.Write(ctx, &computepb.WriteRequest{LoadId: label, TxnId: b.GetTxnId(), Sink: m.sink(), Rows: vector.ToProto(rows)}); err != nil {
		m.t.Fatal(err)
	}
	resp, err := m.pub.Commit(ctx, dbID, b.GetTxnId())
	if err != nil {
		m.t.Fatalf("publish %s: %v", label, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v := resp.GetVersions()[0].GetVersion()
	if v != m.cur+1 {
		m.t.Fatalf("load %s committed at version %d after %d", label, v, m.cur)
	}
	m.cur = v
	schema := m.schema
	nk := int(schema.GetNumKeyColumns())
	for i := range rows.N {
		key := string(tablet.AppendKey(nil, rows.Cols[:nk], i))
		var parts []string
		for k, c := range schema.GetColumns() {
			if !c.GetHidden() {
				parts = append(parts, rows.Cols[k].Format(i))
			}
		}
		row := refRow{text: strings.Join(parts, "|"), del: rows.Cols[schema.GetDeleteSignIdx()].Int64[i] == 1}
		if m.seq {
			row.seq = rows.Cols[seqIdx].Int64[i]
			if have, ok := m.live[key]; ok && have.seq > row.seq {
				continue
			}
		}
		m.live[key] = row
	}
	var vis []string
	for _, row := range m.live {
		if !row.del {
			vis = append(vis, row.text)
		}
	}
	slices.Sort(vis)
	m.refs[v] = vis
}

// liveKeys are some keys of live rows now (to upsert them again).
func (m *mow) liveRows(n int) *vector.Batch {
	b := m.rows(n, 0.2)
	// Rewrite the keys to ones the table holds: the loads' keys are dense (k1 < 30, k2 in
	// NULL, s0..s2), so a fresh draw mostly collides already; force k2 non-NULL s0 for half.
	for i := range n {
		if i%2 == 0 {
			b.Cols[1].Bytes[i] = []byte("s0")
			if b.Cols[1].Nulls != nil {
				b.Cols[1].Nulls.Clear(i)
			}
		}
	}
	return b
}

// at reads the whole table at version v (rows sorted); the error of a tablet whose rowsets
// cannot be read at v.
func (m *mow) at(ctx context.Context, v int64) ([]string, error) {
	r := &tablet.Reader{Meta: m.meta, InstanceID: inst, Vaults: m.vaults}
	var visible []int32
	for _, c := range m.schema.GetColumns() {
		if !c.GetHidden() {
			visible = append(visible, c.GetUniqueId())
		}
	}
	var rows []string
	for _, id := range m.tablets {
		snap, err := r.Capture(ctx, id, v)
		if err != nil {
			return nil, err
		}
		sc, err := r.Scan(snap, m.schema, visible, 1+m.r.IntN(50))
		if err != nil {
			return nil, err
		}
		for {
			b, err := sc.Next(ctx)
			if err != nil {
				return nil, err
			}
			if b == nil {
				break
			}
			b = b.Compact()
			for i := range b.N {
				var parts []string
				for _, c := range b.Cols {
					parts = append(parts, c.Format(i))
				}
				rows = append(rows, strings.Join(parts, "|"))
			}
		}
	}
	slices.Sort(rows)
	return rows, nil
}

// merged records a committed compaction.
func (m *mow) merged(res compaction.Result) {
	if res.Compacted {
		o := res.Output
		m.ends[o.GetTabletId()] = append(m.ends[o.GetTabletId()], [2]int64{o.GetStartVersion(), o.GetEndVersion()})
	}
}

// check reads the table at every version: each readable one equals the reference; a version
// is unreadable (-230) only inside a merged range below its end; every version at or after the
// last merged range's end is readable.
func (m *mow) check(ctx context.Context, what string) {
	m.t.Helper()
	m.mu.Lock()
	cur := m.cur
	m.mu.Unlock()
	inside := func(v int64) bool {
		for _, rs := range m.ends {
			for _, r := range rs {
				if r[0] <= v && v < r[1] {
					return true
				}
			}
		}
		return false
	}
	lastEnd := int64(0)
	for _, rs := range m.ends {
		for _, r := range rs {
			lastEnd = max(lastEnd, r[1])
		}
	}
	read := 0
	for v := int64(1); v <= cur; v++ {
		got, err := m.at(ctx, v)
		if status.Code(err) == codes.OutOfRange && inside(v) && v < lastEnd {
			continue
		}
		if err != nil {
			m.t.Fatalf("%s: read at version %d: %v", what, v, err)
		}
		read++
		if want := m.refs[v]; !reflect.DeepEqual(got, want) {
			m.t.Fatalf("%s: the table at version %d reads\n%v\nwant\n%v", what, v, got, want)
		}
	}
	if read == 0 {
		m.t.Fatalf("%s: no version readable", what)
	}
}

// TestMergeOnWriteCompaction: merge-on-write tables (with and without a sequence column) take
// random upserts and tombstones, compactions of every kind run between the loads — also
// cumulative ones over ranges in the middle, whose inputs later loads have marked rows of —
// and after each the table reads, at every version it can still be read at (at least every one
// from the compaction's end), as the serial reference.
func TestMergeOnWriteCompaction(t *testing.T) {
	for _, seq := range []bool{false, true} {
		t.Run(fmt.Sprint("seq=", seq), func(t *testing.T) {
			ctx := context.Background()
			r := seeded(t)
			m := newMoW(t, r, seq, 1+r.IntN(2))
			c := m.compactor(compaction.Config{Disabled: true})
			compacted := 0
			for step := range 24 {
				m.upsert(ctx, m.rows(1+r.IntN(30), 0.15))
				if step < 3 || r.IntN(3) != 0 {
					continue
				}
				what := ""
				switch k := r.IntN(4); k {
				case 0, 1, 2:
					kind := []metapb.CompactionType{cumulative, base, full}[k]
					what = fmt.Sprintf("step %d: %v compaction", step, kind)
					for _, res := range compactAll(t, ctx, m.env, c, kind) {
						m.merged(res)
						if res.Compacted {
							compacted++
						}
					}
				case 3: // a cumulative compaction of a random run of rowsets
					id := m.tablets[r.IntN(len(m.tablets))]
					rs := m.rowsets(ctx, id)
					slices.SortFunc(rs, func(a, b *metapb.RowsetMeta) int { return int(a.GetStartVersion() - b.GetStartVersion()) })
					if len(rs) < 2 {
						continue
					}
					i := r.IntN(len(rs) - 1)
					j := i + 2 + r.IntN(len(rs)-i-1)
					j = min(j, len(rs)-r.IntN(2)) // often not the newest
					if j-i < 2 {
						continue
					}
					p := compaction.Pick{Kind: cumulative, Inputs: rs[i:j], FromFirst: i == 0}
					what = fmt.Sprintf("step %d: compaction of tablet %d [%d-%d] of %d rowsets", step, id, p.Start(), p.End(), len(rs))
					res, err := c.CompactPick(ctx, id, p)
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					m.merged(res)
					compacted++
				}
				m.check(ctx, what)
			}
			res := compactAll(t, ctx, m.env, c, full)
			for _, r := range res {
				m.merged(r)
			}
			m.check(ctx, "final full compaction")
			for _, id := range m.tablets {
				if n := len(m.rowsets(ctx, id)); n != 1 {
					t.Fatalf("tablet %d has %d rowsets after a full compaction", id, n)
				}
			}
			m.upsert(ctx, m.rows(20, 0.2))
			m.check(ctx, "a load after the full compaction")
			if compacted == 0 {
				t.Fatal("nothing was compacted")
			}
			t.Logf("%d compactions, %d versions", compacted, m.cur)
		})
	}
}

// hookMeta runs hook once, before the first delete-bitmap lock request of a compaction (a
// negative lock id), or before its first commit when onCommit.
type hookMeta struct {
	metapb.MetaServiceClient
	onCommit bool
	once     sync.Once
	hook     func()
}

func (h *hookMeta) GetDeleteBitmapUpdateLock(ctx context.Context, req *metapb.GetDeleteBitmapUpdateLockRequest, opts ...grpc.CallOption) (*metapb.GetDeleteBitmapUpdateLockResponse, error) {
	if req.GetLockId() < 0 && !h.onCommit {
		h.once.Do(h.hook)
	}
	return h.MetaServiceClient.GetDeleteBitmapUpdateLock(ctx, req, opts...)
}

func (h *hookMeta) FinishTabletJob(ctx context.Context, req *metapb.FinishTabletJobRequest, opts ...grpc.CallOption) (*metapb.FinishTabletJobResponse, error) {
	if req.GetAction() == metapb.TabletJobAction_JOB_COMMIT && h.onCommit {
		h.once.Do(h.hook)
	}
	return h.MetaServiceClient.FinishTabletJob(ctx, req, opts...)
}

// TestMergeOnWritePublishDuringCompaction: loads publish after a compaction read its inputs and
// before it takes the delete-bitmap lock; their bitmaps mark rows of the inputs at versions past
// the compaction's range, and the commit carries them over to the output (the table would
// otherwise show both the old and the new row of those keys).
func TestMergeOnWritePublishDuringCompaction(t *testing.T) {
	for _, seq := range []bool{false, true} {
		t.Run(fmt.Sprint("seq=", seq), func(t *testing.T) {
			ctx := context.Background()
			r := seeded(t)
			m := newMoW(t, r, seq, 1)
			for range 6 {
				m.upsert(ctx, m.rows(20+r.IntN(20), 0.1))
			}
			loads := 1 + r.IntN(3)
			h := &hookMeta{MetaServiceClient: m.meta, hook: func() {
				for range loads {
					m.upsert(ctx, m.liveRows(15+r.IntN(15)))
				}
			}}
			cfg := compaction.Config{Meta: h, InstanceID: inst, Vaults: m.vaults, NodeID: "n", Disabled: true, SegmentRows: 1 + r.IntN(40), BatchSize: 1 + r.IntN(50)}
			c, err := compaction.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Stop()
			end := m.cur
			res, err := c.Compact(ctx, m.tablets[0], full)
			if err != nil || !res.Compacted || res.Output.GetEndVersion() != end {
				t.Fatalf("compaction: %+v %v", res, err)
			}
			if m.cur != end+int64(loads) {
				t.Fatalf("the hook's loads did not commit: version %d", m.cur)
			}
			m.merged(res)
			// The output carries bitmaps at the loads' versions.
			got, err := m.meta.GetDeleteBitmap(ctx, &metapb.GetDeleteBitmapRequest{InstanceId: inst, TabletId: m.tablets[0],
				Ranges: []*metapb.DeleteBitmapRange{{RowsetId: res.Output.GetRowsetId(), StartVersion: 0, EndVersion: math.MaxInt64}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.GetBitmaps()) == 0 {
				t.Fatal("no delete bitmaps were carried over to the output")
			}
			for _, b := range got.GetBitmaps() {
				if b.GetVersion() <= end || b.GetVersion() > m.cur {
					t.Fatalf("output bitmap at version %d (compacted up to %d, now %d)", b.GetVersion(), end, m.cur)
				}
			}
			m.check(ctx, "after the compaction")
			m.upsert(ctx, m.liveRows(10))
			m.check(ctx, "after one more load")
			res, err = c.Compact(ctx, m.tablets[0], full)
			if err != nil || !res.Compacted {
				t.Fatalf("second compaction: %+v %v", res, err)
			}
			m.merged(res)
			m.check(ctx, "after the second compaction")
		})
	}
}

// TestMergeOnWriteLockContention: a compaction waits while a load holds the delete-bitmap lock
// and commits once it is free; one that cannot get the lock in time fails with ErrLockTimeout,
// aborts (the tablet is unchanged and free for the next compactor); and a load's publish waits
// while a compaction holds the lock, then computes its bitmaps against the output.
func TestMergeOnWriteLockContention(t *testing.T) {
	ctx := context.Background()
	r := seeded(t)
	m := newMoW(t, r, r.IntN(2) == 0, 1)
	for range 5 {
		m.upsert(ctx, m.rows(25, 0.1))
	}
	id := m.tablets[0]
	hold := func(lockID int64) {
		t.Helper()
		if _, err := m.meta.GetDeleteBitmapUpdateLock(ctx, &metapb.GetDeleteBitmapUpdateLockRequest{InstanceId: inst, TableId: tableID,
			PartitionIds: []int64{partition}, LockId: lockID, Initiator: 99, ExpirationMs: 60_000}); err != nil {
			t.Fatal(err)
		}
	}
	release := func(lockID int64) {
		t.Helper()
		if _, err := m.meta.RemoveDeleteBitmapUpdateLock(ctx, &metapb.RemoveDeleteBitmapUpdateLockRequest{InstanceId: inst, TableId: tableID,
			PartitionIds: []int64{partition}, LockId: lockID, Initiator: 99}); err != nil {
			t.Fatal(err)
		}
	}

	// Times out: aborted, unchanged, lease free.
	hold(4242)
	before := ids(m.rowsets(ctx, id))
	short := m.compactor(compaction.Config{Disabled: true, LockTimeout: time.Duration(100+r.IntN(200)) * time.Millisecond})
	if _, err := short.Compact(ctx, id, full); !errors.Is(err, compaction.ErrLockTimeout) {
		t.Fatalf("compaction while a load holds the lock: %v", err)
	}
	if after := ids(m.rowsets(ctx, id)); !reflect.DeepEqual(after, before) {
		t.Fatalf("a failed compaction changed the rowsets: %v -> %v", before, after)
	}
	if marked := m.markedNotVisible(ctx, id, m.rowsets(ctx, id)); len(marked) != 1 {
		t.Fatalf("the aborted output's recycle entries: %v", marked)
	}

	// Waits for the lock, commits once it is free.
	c := m.compactor(compaction.Config{Disabled: true, NodeID: "patient"})
	type outcome struct {
		res compaction.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := c.Compact(ctx, id, full)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		t.Fatalf("the compaction finished while a load held the lock: %+v %v", o.res, o.err)
	case <-time.After(time.Duration(200+r.IntN(200)) * time.Millisecond):
	}
	if after := ids(m.rowsets(ctx, id)); !reflect.DeepEqual(after, before) {
		t.Fatalf("rowsets changed while the lock was held: %v -> %v", before, after)
	}
	release(4242)
	o := <-done
	if o.err != nil || !o.res.Compacted {
		t.Fatalf("compaction after the lock was released: %+v %v", o.res, o.err)
	}
	m.merged(o.res)
	m.check(ctx, "after the waiting compaction")

	// A publish waits for a compaction's lock.
	for range 3 {
		m.upsert(ctx, m.rows(25, 0.1))
	}
	var published atomic.Bool
	var wg sync.WaitGroup
	h := &hookMeta{MetaServiceClient: m.meta, onCommit: true, hook: func() {
		rows := m.liveRows(20)
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.upsert(ctx, rows)
			published.Store(true)
		}()
		time.Sleep(time.Duration(150+r.IntN(150)) * time.Millisecond)
		if published.Load() {
			t.Error("a load published while the compaction held the lock")
		}
	}}
	hc, err := compaction.New(compaction.Config{Meta: h, InstanceID: inst, Vaults: m.vaults, NodeID: "holder", Disabled: true, SegmentRows: 1 + r.IntN(40)})
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Stop()
	res, err := hc.Compact(ctx, id, full)
	if err != nil || !res.Compacted {
		t.Fatalf("compaction: %+v %v", res, err)
	}
	m.merged(res)
	wg.Wait()
	if !published.Load() {
		t.Fatal("the load never published")
	}
	m.check(ctx, "after a publish waited for the compaction")
}

// TestMergeOnWriteBackground: the producer compacts merge-on-write tablets like the others while
// loads go on; the table stays equal to the reference.
func TestMergeOnWriteBackground(t *testing.T) {
	ctx := context.Background()
	r := seeded(t)
	m := newMoW(t, r, r.IntN(2) == 0, 2)
	c := m.compactor(compaction.Config{Interval: 20 * time.Millisecond, MinInterval: 5 * time.Millisecond,
		Policy: compaction.Policy{MinCumulativeScore: 2 + r.IntN(3)}})
	c.Start()
	sink := m.sink()
	peak := 0
	for range 30 {
		m.upsert(ctx, m.rows(1+r.IntN(15), 0.1))
		c.Loaded(sink, m.tablets)
		peak = max(peak, m.rowsetCount(ctx))
	}
	deadline := time.Now().Add(10 * time.Second)
	for m.rowsetCount(ctx) > 2*len(m.tablets)+4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	c.Stop()
	n := m.rowsetCount(ctx)
	if n >= 30*len(m.tablets) {
		t.Fatalf("no background compaction: %d rowsets (peak %d)", n, peak)
	}
	// Versions below the newest merged range are not all readable: check the latest.
	got, err := m.at(ctx, m.cur)
	if err != nil {
		t.Fatal(err)
	}
	if want := m.refs[m.cur]; !reflect.DeepEqual(got, want) {
		t.Fatalf("the table reads\n%v\nwant\n%v", got, want)
	}
	t.Logf("rowsets: peak %d, now %d", peak, n)
}

// TestMergeOnWriteGarbageBitmaps: bitmaps a failed publish left at a version no rowset of the
// tablet holds are never applied (tablet.Covered); a compaction whose range covers that version
// neither carries them over nor lets them apply: those on rowsets below its range are removed.
func TestMergeOnWriteGarbageBitmaps(t *testing.T) {
	ctx := context.Background()
	r := seeded(t)
	m := newMoW(t, r, false, 2)
	a := m.tablets[0]
	m.upsert(ctx, m.rows(60, 0))
	// A version that went to the other tablet only (a gap of tablet a) after a's second rowset.
	gap := int64(0)
	for range 200 {
		if gap != 0 && len(m.rowsets(ctx, a)) >= 4 {
			break
		}
		n := len(m.rowsets(ctx, a))
		m.upsert(ctx, m.rows(1, 0))
		if len(m.rowsets(ctx, a)) == n && gap == 0 && n >= 2 {
			gap = m.cur
		}
	}
	if gap == 0 {
		t.Skip("no version went to the other tablet only")
	}
	// And a version of tablet a after the gap (rows may all go to the other tablet again).
	for range 200 {
		m.upsert(ctx, m.rows(3, 0))
		if rs := m.rowsets(ctx, a); slices.ContainsFunc(rs, func(x *metapb.RowsetMeta) bool { return x.GetStartVersion() > gap }) {
			break
		}
	}
	rs := m.rowsets(ctx, a)
	slices.SortFunc(rs, func(x, y *metapb.RowsetMeta) int { return int(x.GetStartVersion() - y.GetStartVersion()) })
	first := rs[0]
	if first.GetEndVersion() >= gap || rs[1].GetStartVersion() >= gap || rs[len(rs)-1].GetEndVersion() <= gap {
		t.Fatalf("rowsets %v, gap %d", ids(rs), gap)
	}
	// A failed publish's bitmaps at the gap: every row of the first rowset, and of the second.
	garbage := func(rs *metapb.RowsetMeta) []byte {
		all := roaring.New()
		all.AddRange(0, uint64(rs.GetNumRows()))
		bs, err := tablet.EncodeBitmap(all)
		if err != nil {
			t.Fatal(err)
		}
		k := keys.DeleteBitmap(inst, a, rs.GetRowsetId(), gap, 0)
		if err := m.db.Update(ctx, func(tx kv.Txn) error { return kv.SetProto(tx, k, &metapb.DeleteBitmapEntry{Bitmap: bs}) }); err != nil {
			t.Fatal(err)
		}
		return k
	}
	below := garbage(first)
	garbage(rs[1]) // an input of the compaction: the merge must not apply its bitmap at the gap
	m.check(ctx, "garbage bitmaps written")
	c := m.compactor(compaction.Config{Disabled: true})
	res, err := c.CompactPick(ctx, a, compaction.Pick{Kind: cumulative, Inputs: rs[1:]})
	if err != nil || !res.Compacted || res.Output.GetStartVersion() > gap || res.Output.GetEndVersion() < gap {
		t.Fatalf("compaction over the gap %d: %+v %v", gap, res, err)
	}
	m.merged(res)
	m.check(ctx, "after the compaction over the gap")
	if err := m.db.View(ctx, func(tx kv.ReadTxn) error {
		v, err := tx.Get(below)
		if v != nil {
			return fmt.Errorf("the garbage bitmap below the range survived")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
