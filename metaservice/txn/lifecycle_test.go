package txn

import (
	"errors"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/bitmap"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
	"github.com/doricdb/doric/metaservice/partition"
	"github.com/doricdb/doric/metaservice/rowset"
	"github.com/doricdb/doric/metaservice/version"
)

func (e *env) beginSpec(spec *metapb.TxnInfo, now time.Time) (*metapb.TxnInfo, bool) {
	e.t.Helper()
	var info *metapb.TxnInfo
	var existed bool
	e.do(func(tx kv.Txn) error {
		var err error
		info, existed, err = Begin(tx, inst, spec, now, e.opts)
		return err
	})
	return info, existed
}

func (e *env) commitAt(txnID int64, now time.Time, mow ...int64) (*metapb.TxnInfo, error) {
	var info *metapb.TxnInfo
	err := e.try(func(tx kv.Txn) error {
		var err error
		info, err = Commit(tx, inst, CommitSpec{DBID: db1, TxnID: txnID, MowTableIDs: mow}, now, e.opts)
		return err
	})
	return info, err
}

func (e *env) recycleTxn(txnID int64) *metapb.RecycleTxn {
	e.t.Helper()
	rt := &metapb.RecycleTxn{}
	var ok bool
	e.do(func(tx kv.Txn) error {
		var err error
		ok, err = kv.GetProto(tx, keys.RecycleTxn(inst, db1, txnID), rt)
		return err
	})
	if !ok {
		return nil
	}
	return rt
}

func TestExpiry(t *testing.T) {
	e := newEnv(t, 1, 2)
	info, _ := e.beginSpec(&metapb.TxnInfo{DbId: db1, Label: "slow", TimeoutMs: 1000}, t0)
	id := info.GetTxnId()
	if info.GetDeadlineMs() != t0.Add(time.Second).UnixMilli() {
		t.Fatalf("deadline %d", info.GetDeadlineMs())
	}
	if err := e.load(id, tabletOf(0, 0), "r0"); err != nil {
		t.Fatal(err)
	}
	late := t0.Add(1001 * time.Millisecond)
	// Rowsets can no longer be added, and the commit fails without changing anything.
	rs := &metapb.RowsetMeta{RowsetId: "r1", TabletId: tabletOf(0, 1), TxnId: id}
	if err := e.try(func(tx kv.Txn) error { return CommitRowset(tx, inst, rs, late) }); !errors.Is(err, ErrExpired) {
		t.Fatalf("commit_rowset to an expired txn: %v", err)
	}
	_, err := e.commitAt(id, late)
	if !errors.Is(err, ErrExpired) || !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("commit of an expired txn: %v", err)
	}
	if e.version(0) != version.Initial {
		t.Fatalf("an expired commit moved the version")
	}
	// At the deadline itself it was still alive.
	if _, err := e.commitAt(id, t0.Add(time.Second)); err != nil {
		t.Fatalf("commit at the deadline: %v", err)
	}

	// Expired and aborted: recycle entries for its rowsets and the txn.
	info, _ = e.beginSpec(&metapb.TxnInfo{DbId: db1, Label: "slow-2", TimeoutMs: 1000}, t0)
	id = info.GetTxnId()
	if err := e.load(id, tabletOf(0, 1), "r2"); err != nil {
		t.Fatal(err)
	}
	var got *metapb.TxnInfo
	e.do(func(tx kv.Txn) error {
		var err error
		got, err = AbortExpired(tx, inst, db1, id, t0.Add(500*time.Millisecond), e.opts)
		return err
	})
	if got.GetStatus() != metapb.TxnStatus_TXN_PREPARED {
		t.Fatalf("AbortExpired before the deadline: %v", got)
	}
	e.do(func(tx kv.Txn) error {
		var err error
		got, err = AbortExpired(tx, inst, db1, id, late, e.opts)
		return err
	})
	if got.GetStatus() != metapb.TxnStatus_TXN_ABORTED || got.GetReason() != ErrExpired.Error() {
		t.Fatalf("AbortExpired: %v", got)
	}
	if rt := e.recycleTxn(id); rt == nil || rt.GetExpirationMs() != late.Add(labelRetention).UnixMilli() || rt.GetLabel() != "slow-2" {
		t.Fatalf("recycle txn entry %v", rt)
	}
	e.do(func(tx kv.Txn) error {
		m, err := rowset.Marked(tx, inst, tabletOf(0, 1), "r2")
		if m == nil {
			t.Errorf("no recycle entry for the expired txn's rowset")
		}
		return err
	})

	// A label held by an expired txn is taken over by a new begin.
	old, _ := e.beginSpec(&metapb.TxnInfo{DbId: db1, Label: "held", TimeoutMs: 1000}, t0)
	if again, existed := e.beginSpec(&metapb.TxnInfo{DbId: db1, Label: "held"}, t0.Add(time.Second)); !existed || again.GetTxnId() != old.GetTxnId() {
		t.Fatalf("live label: %v existed=%v", again, existed)
	}
	fresh, existed := e.beginSpec(&metapb.TxnInfo{DbId: db1, Label: "held"}, late)
	if existed || fresh.GetTxnId() == old.GetTxnId() {
		t.Fatalf("expired label not taken over: %v existed=%v", fresh, existed)
	}
	e.do(func(tx kv.Txn) error {
		o, err := Get(tx, inst, db1, old.GetTxnId())
		if err == nil && o.GetStatus() != metapb.TxnStatus_TXN_ABORTED {
			t.Errorf("the expired holder is %v", o.GetStatus())
		}
		return err
	})
}

func TestPrecommit(t *testing.T) {
	e := newEnv(t, 1, 2)
	info, _ := e.beginSpec(&metapb.TxnInfo{DbId: db1, Label: "2pc", TimeoutMs: 1000}, t0)
	id := info.GetTxnId()
	if err := e.load(id, tabletOf(0, 0), "r0"); err != nil {
		t.Fatal(err)
	}
	precommit := func(now time.Time, timeout time.Duration) (*metapb.TxnInfo, error) {
		var out *metapb.TxnInfo
		err := e.try(func(tx kv.Txn) error {
			var err error
			out, err = Precommit(tx, inst, db1, id, timeout, now)
			return err
		})
		return out, err
	}
	p, err := precommit(t0.Add(500*time.Millisecond), 10*time.Second)
	if err != nil || p.GetStatus() != metapb.TxnStatus_TXN_PRECOMMITTED || p.GetDeadlineMs() != t0.Add(10500*time.Millisecond).UnixMilli() {
		t.Fatalf("precommit: %v %v", p, err)
	}
	if again, err := precommit(t0.Add(time.Second), time.Hour); err != nil || again.GetDeadlineMs() != p.GetDeadlineMs() {
		t.Fatalf("precommit again: %v %v", again, err)
	}
	// All data is in: no more rowsets.
	if err := e.load(id, tabletOf(0, 1), "r1"); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("rowset after precommit: %v", err)
	}
	// The precommit deadline, not the begin timeout, decides.
	c, err := e.commitAt(id, t0.Add(5*time.Second))
	if err != nil || c.GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
		t.Fatalf("commit of a precommitted txn: %v %v", c, err)
	}
	if _, err := precommit(t0.Add(6*time.Second), 0); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("precommit of a visible txn: %v", err)
	}
	// An expired precommitted txn cannot commit; it can be aborted.
	info, _ = e.beginSpec(&metapb.TxnInfo{DbId: db1, Label: "2pc-b"}, t0)
	id = info.GetTxnId()
	if _, err := precommit(t0, time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := e.commitAt(id, t0.Add(2*time.Second)); !errors.Is(err, ErrExpired) {
		t.Fatalf("commit after the precommit deadline: %v", err)
	}
	if a, err := e.abort(id, ""); err != nil || a.GetStatus() != metapb.TxnStatus_TXN_ABORTED {
		t.Fatalf("abort of a precommitted txn: %v %v", a, err)
	}
}

func TestBeginRequestID(t *testing.T) {
	e := newEnv(t, 1, 1)
	a, existed := e.beginSpec(&metapb.TxnInfo{DbId: db1, Label: "l", RequestId: "req-1"}, t0)
	if existed {
		t.Fatal("fresh label exists")
	}
	b, existed := e.beginSpec(&metapb.TxnInfo{DbId: db1, Label: "l", RequestId: "req-1"}, t0)
	if existed || b.GetTxnId() != a.GetTxnId() {
		t.Fatalf("replayed begin: %v existed=%v", b, existed)
	}
	c, existed := e.beginSpec(&metapb.TxnInfo{DbId: db1, Label: "l", RequestId: "req-2"}, t0)
	if !existed || c.GetTxnId() != a.GetTxnId() {
		t.Fatalf("another request with the label: %v existed=%v", c, existed)
	}
	d, existed := e.beginSpec(&metapb.TxnInfo{DbId: db1, Label: "l"}, t0)
	if !existed || d.GetTxnId() != a.GetTxnId() {
		t.Fatalf("a request without id: %v existed=%v", d, existed)
	}
}

func TestCommitWritesRecycleTxnAndTableVersion(t *testing.T) {
	e := newEnv(t, 2, 1)
	for i, label := range []string{"a", "b", "c"} {
		info, _ := e.begin(label)
		if err := e.load(info.GetTxnId(), tabletOf(i%2, 0), label); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.commit(info.GetTxnId()); err != nil {
			t.Fatal(err)
		}
		rt := e.recycleTxn(info.GetTxnId())
		if rt == nil || rt.GetStatus() != metapb.TxnStatus_TXN_VISIBLE || rt.GetLabel() != label ||
			rt.GetExpirationMs() != t0.Add(time.Second+labelRetention).UnixMilli() {
			t.Fatalf("recycle txn entry %v", rt)
		}
	}
	e.do(func(tx kv.Txn) error {
		v, err := version.Table(tx, inst, db1, table)
		if err == nil && v != 3 {
			t.Errorf("table version %d after 3 commits", v)
		}
		return err
	})
	aborted, _ := e.begin("d")
	if _, err := e.abort(aborted.GetTxnId(), ""); err != nil {
		t.Fatal(err)
	}
	if rt := e.recycleTxn(aborted.GetTxnId()); rt == nil || rt.GetStatus() != metapb.TxnStatus_TXN_ABORTED {
		t.Fatalf("recycle entry of an aborted txn: %v", rt)
	}
	if rt := e.recycleTxn(9999); rt != nil {
		t.Fatalf("recycle entry of no txn: %v", rt)
	}
}

func TestCommitIntoDroppedPartition(t *testing.T) {
	e := newEnv(t, 2, 1)
	info, _ := e.begin("x")
	if err := e.load(info.GetTxnId(), tabletOf(1, 0), "x"); err != nil {
		t.Fatal(err)
	}
	e.do(func(tx kv.Txn) error {
		_, err := partition.Partitions(tx, inst, partition.Drop, &metapb.PartitionRequest{
			DbId: db1, TableId: table, IndexIds: []int64{index}, PartitionIds: []int64{partitionOf(1)},
		}, t0, partition.Retention{Dropped: time.Hour})
		return err
	})
	if _, err := e.commitAt(info.GetTxnId(), t0); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("commit into a dropped partition: %v", err)
	}
	// Index drops count too.
	info, _ = e.begin("y")
	if err := e.load(info.GetTxnId(), tabletOf(0, 0), "y"); err != nil {
		t.Fatal(err)
	}
	e.do(func(tx kv.Txn) error {
		_, err := partition.Indexes(tx, inst, partition.Drop, &metapb.IndexRequest{DbId: db1, TableId: table, IndexIds: []int64{index}}, t0, partition.Retention{})
		return err
	})
	if _, err := e.commitAt(info.GetTxnId(), t0); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("commit into a dropped index: %v", err)
	}
}

func TestMergeOnWriteCommitNeedsLock(t *testing.T) {
	e := newEnv(t, 2, 1)
	info, _ := e.begin("mow")
	id := info.GetTxnId()
	for p := range 2 {
		if err := e.load(id, tabletOf(p, 0), "mow"); err != nil {
			t.Fatal(err)
		}
	}
	lock := func(lockID int64, parts ...int64) error {
		return e.try(func(tx kv.Txn) error {
			return bitmap.Lock(tx, inst, table, parts, lockID, 1, t0, time.Minute)
		})
	}
	if _, err := e.commitAt(id, t0, table); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("commit without the lock: %v", err)
	}
	if err := lock(id, partitionOf(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.commitAt(id, t0, table); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("commit holding one of two locks: %v", err)
	}
	if err := lock(id, partitionOf(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.commitAt(id, t0.Add(2*time.Minute), table); !errors.Is(err, metaerr.ErrFailedPrecondition) {
		t.Fatalf("commit with expired locks: %v", err)
	}
	// Not a merge-on-write table for this commit: no lock needed (the caller opts in).
	other, _ := e.begin("plain")
	if err := e.load(other.GetTxnId(), tabletOf(0, 0), "plain"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.commitAt(other.GetTxnId(), t0); err != nil {
		t.Fatalf("plain commit: %v", err)
	}
	if c, err := e.commitAt(id, t0.Add(time.Second), table); err != nil || c.GetStatus() != metapb.TxnStatus_TXN_VISIBLE {
		t.Fatalf("commit holding the locks: %v %v", c, err)
	}
	// The commit released them: another owner may lock at once.
	if err := lock(id+1000, partitionOf(0), partitionOf(1)); err != nil {
		t.Fatalf("locks not released by the commit: %v", err)
	}
}
