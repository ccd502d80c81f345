package stream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/loadpb"
	"github.com/doricdb/doric/api/metapb"
)

// groupCommitter folds the rows of group commit loads of one table into one transaction per
// interval or size (see the package doc).
type groupCommitter struct {
	s      *Service
	mu     sync.Mutex
	open   map[string]*groupBatch // by table (and plan shape): the batch taking rows
	closed bool
	wg     sync.WaitGroup
}

// groupBatch is one group commit transaction being filled.
type groupBatch struct {
	key   string
	plan  *loadpb.PlanResponse
	label string
	txnID int64
	parts []*accum // by partition, in the order loads first wrote them
	bytes int64
	timer *time.Timer
	done  chan struct{}
	// set when done is closed
	result error
	status metapb.TxnStatus
}

func newGroupCommitter(s *Service) *groupCommitter {
	return &groupCommitter{s: s, open: map[string]*groupBatch{}}
}

// groupKey identifies the table and the shape of its plan: loads are folded only when they
// write the same schema (index, vault, distribution) of the same table. The partitions are not
// part of it: a batch keeps each load's rows by partition (groupBatch.part), so loads that saw
// different partitions (AUTO PARTITION created some in between, or a `partitions` header
// restricted one) still fold.
func groupKey(plan *loadpb.PlanResponse) string {
	sink := proto.Clone(plan.GetSink()).(*computepb.TabletSink)
	sink.Partitions = nil
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(sink)
	return fmt.Sprintf("%d/%x", plan.GetSink().GetTableId(), b)
}

// add appends a converted load to the table's open batch (opening one, and beginning its
// transaction, when there is none) and returns the batch; the caller waits on done.
func (g *groupCommitter) add(plan *loadpb.PlanResponse, conv *converter, bytes int64) (*groupBatch, error) {
	key := groupKey(plan)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, fmt.Errorf("the compute node is shutting down")
	}
	b := g.open[key]
	if b == nil {
		var err error
		if b, err = g.begin(key, plan); err != nil {
			return nil, err
		}
		g.open[key] = b
		interval := time.Duration(plan.GetGroupCommitIntervalMs()) * time.Millisecond
		g.wg.Add(1)
		b.timer = time.AfterFunc(interval, func() { defer g.wg.Done(); g.flush(b) })
	}
	for _, a := range conv.parts {
		if a.n == 0 {
			continue
		}
		b.part(a).addAll(a)
	}
	b.bytes += bytes
	if b.bytes >= plan.GetGroupCommitDataBytes() {
		delete(g.open, key)
		if b.timer.Stop() {
			go func() { defer g.wg.Done(); g.commit(b) }()
		}
	}
	return b, nil
}

// part is the batch's accumulator of the partition a load's accumulator a holds rows of (added
// when the batch has none yet: the load's rows may have needed a partition AUTO PARTITION
// created after the plan). Called with g.mu held.
func (b *groupBatch) part(a *accum) *accum {
	for _, p := range b.parts {
		if p.sink.GetPartitionId() == a.sink.GetPartitionId() {
			return p
		}
	}
	p := newAccum(a.sink, a.name, a.bounds, b.plan.GetSink().GetSchema().GetColumns())
	b.parts = append(b.parts, p)
	return p
}

// begin opens a batch: a transaction labelled group_commit_<id>.
func (g *groupCommitter) begin(key string, plan *loadpb.PlanResponse) (*groupBatch, error) {
	var id [16]byte
	_, _ = rand.Read(id[:])
	b := &groupBatch{key: key, plan: plan, label: "group_commit_" + hex.EncodeToString(id[:8]) + "-" + hex.EncodeToString(id[8:]), done: make(chan struct{})}
	s := g.s
	interval := time.Duration(plan.GetGroupCommitIntervalMs()) * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := s.cfg.Meta.BeginTxn(ctx, &metapb.BeginTxnRequest{InstanceId: s.cfg.InstanceID, DbId: plan.GetDbId(), Label: b.label,
		TableIds: []int64{plan.GetSink().GetTableId()}, TimeoutMs: (interval + DefaultTimeout).Milliseconds(), Coordinator: s.cfg.Coordinator})
	if err != nil {
		return nil, fmt.Errorf("begin group commit transaction: %w", err)
	}
	if resp.GetLabelExists() {
		return nil, fmt.Errorf("BUG: group commit label %s exists", b.label)
	}
	b.txnID = resp.GetTxnId()
	return b, nil
}

// flush commits a batch whose interval ended.
func (g *groupCommitter) flush(b *groupBatch) {
	g.mu.Lock()
	if g.open[b.key] == b {
		delete(g.open, b.key)
	}
	g.mu.Unlock()
	g.commit(b)
}

// commit writes and commits a batch no load can join any more, then wakes its loads.
func (g *groupCommitter) commit(b *groupBatch) {
	s := g.s
	defer close(b.done)
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	fail := func(err error) {
		b.result = err
		if _, aerr := s.cfg.Meta.AbortTxn(context.WithoutCancel(ctx), &metapb.AbortTxnRequest{InstanceId: s.cfg.InstanceID,
			DbId: b.plan.GetDbId(), TxnId: b.txnID, Reason: err.Error()}); aerr != nil {
			s.cfg.Logger.Warn("abort group commit txn", "txn", b.txnID, "err", aerr)
		}
	}
	for _, a := range b.parts {
		if a.n == 0 {
			continue
		}
		if err := s.write(ctx, b.plan, a, b.txnID, b.label); err != nil {
			fail(err)
			return
		}
	}
	resp, err := s.cfg.Committer.Commit(ctx, b.plan.GetDbId(), b.txnID)
	if err != nil {
		fail(fmt.Errorf("commit group commit transaction %d: %w", b.txnID, err))
		return
	}
	b.status = resp.GetTxn().GetStatus()
}

// close commits the open batches and waits for every commit.
func (g *groupCommitter) close() {
	g.mu.Lock()
	g.closed = true
	var flush []*groupBatch
	for k, b := range g.open {
		delete(g.open, k)
		if b.timer.Stop() {
			flush = append(flush, b)
		}
	}
	g.mu.Unlock()
	for _, b := range flush {
		g.commit(b)
		g.wg.Done()
	}
	g.wg.Wait()
}

// groupLoad runs a group commit load: it converts the body alone (its own filter ratio), then
// joins the table's batch and waits for the batch's commit. async_mode waits too: without a
// write-ahead log an answer before the commit could lose acknowledged rows.
func (s *Service) groupLoad(ctx context.Context, req *Request, opts *Options, plan *loadpb.PlanResponse, res *Result) {
	res.GroupCommit = true
	conv, errs, err := s.read(ctx, req, opts, plan, res, nil)
	if url := s.errorURL(req, errs); url != "" {
		res.ErrorURL = url
	}
	if err != nil {
		res.Message = err.Error()
		return
	}
	t := s.cfg.Now()
	defer func() { res.WriteDataTimeMs = s.cfg.Now().Sub(t).Milliseconds() }()
	b, err := s.groups.add(plan, conv, res.LoadBytes)
	if err != nil {
		res.Message = err.Error()
		return
	}
	res.TxnID, res.Label = b.txnID, b.label
	<-b.done
	switch {
	case b.result != nil:
		res.Message = b.result.Error()
	case b.status == metapb.TxnStatus_TXN_COMMITTED:
		res.Status, res.Message = StatusPublishTimeout, "transaction commit successfully, BUT data will be visible later"
	default:
		res.Status, res.Message = StatusSuccess, "OK"
	}
}
