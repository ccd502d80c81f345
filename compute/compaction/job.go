package compaction

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/model"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

func newID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
}

// metaErr classifies a Meta Service error of the lease protocol.
func metaErr(what string, err error) error {
	switch status.Code(err) {
	case codes.Aborted:
		return fmt.Errorf("%s: %w (%w)", what, ErrBusy, err)
	case codes.FailedPrecondition:
		return fmt.Errorf("%s: %w (%w)", what, ErrStale, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// run executes one compaction of t (see the package doc): lease, prepare, merge, upload, commit;
// on any failure after the lease, abort (which hands the output to the recycler).
func (c *Compactor) run(ctx context.Context, t Tablet, p Pick) (res Result, err error) {
	kind := kindName(p.Kind)
	defer func() { c.metrics.jobs.WithLabelValues(kind, outcome(err)).Inc() }()
	mow := mergeOnWrite(t.Schema)
	if mow && (t.TableID == 0 || t.PartitionID == 0) {
		// The delete-bitmap lock is the partition's: the ids come from the Meta Service.
		resp, err := c.cfg.Meta.GetTablet(ctx, &metapb.GetTabletRequest{InstanceId: c.cfg.InstanceID, TabletId: t.ID})
		if err != nil {
			return Result{}, fmt.Errorf("tablet %d: %w", t.ID, err)
		}
		t.TableID, t.PartitionID = resp.GetTablet().GetTableId(), resp.GetTablet().GetPartitionId()
	}
	ids := make([]string, len(p.Inputs))
	for i, rs := range p.Inputs {
		ids[i] = rs.GetRowsetId()
	}
	job := &metapb.CompactionJob{Id: newID(), Initiator: c.cfg.NodeID, Type: p.Kind, StartVersion: p.Start(), EndVersion: p.End(),
		InputRowsetIds: ids, LeaseMs: c.cfg.Lease.Milliseconds()}
	what := fmt.Sprintf("%s compaction %s of tablet %d [%d-%d]", kind, job.Id, t.ID, p.Start(), p.End())
	if _, err := c.cfg.Meta.StartTabletJob(ctx, &metapb.StartTabletJobRequest{InstanceId: c.cfg.InstanceID, TabletId: t.ID, Compaction: job}); err != nil {
		if ctx.Err() != nil {
			// Cancelled (the node stops) while the start was in flight: the lease may have been
			// granted all the same. Give it back — an abort by a non-holder changes nothing.
			actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			_, _ = c.cfg.Meta.FinishTabletJob(actx, &metapb.FinishTabletJobRequest{InstanceId: c.cfg.InstanceID, TabletId: t.ID,
				JobId: job.Id, Action: metapb.TabletJobAction_JOB_ABORT})
			acancel()
		}
		return Result{}, metaErr(what+": start", err)
	}
	jctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewDone := make(chan struct{})
	go func() {
		defer close(renewDone)
		c.renew(jctx, cancel, t.ID, job.Id)
	}()
	var out *metapb.RowsetMeta
	defer func() {
		cancel(nil)
		<-renewDone
		if err == nil {
			return
		}
		// Abort: drop the lease and hand the output (if any) to the recycler. The job's own
		// context may be cancelled: abort with a fresh one.
		actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer acancel()
		if _, aerr := c.cfg.Meta.FinishTabletJob(actx, &metapb.FinishTabletJobRequest{InstanceId: c.cfg.InstanceID, TabletId: t.ID,
			JobId: job.Id, Action: metapb.TabletJobAction_JOB_ABORT, OutputRowset: out}); aerr != nil {
			err = fmt.Errorf("%w (abort: %v)", err, aerr)
		}
	}()

	vaultID := t.VaultID
	if v := p.Inputs[len(p.Inputs)-1].GetVaultId(); v != "" {
		vaultID = v
	}
	partition, index := t.PartitionID, t.IndexID
	if partition == 0 {
		partition = p.Inputs[0].GetPartitionId()
	}
	if index == 0 {
		index = p.Inputs[0].GetIndexId()
	}
	out = &metapb.RowsetMeta{RowsetId: newID(), TabletId: t.ID, PartitionId: partition, IndexId: index,
		StartVersion: p.Start(), EndVersion: p.End(), VaultId: vaultID, CreationTimeMs: time.Now().UnixMilli()}
	if !p.FromFirst {
		// Rowsets below the range may still hold rows the deletes in it remove.
		for _, rs := range p.Inputs {
			for _, d := range rs.GetDeletePredicates() {
				out.DeletePredicates = append(out.DeletePredicates, proto.Clone(d).(*commonpb.DeletePredicate))
			}
		}
	}
	if _, err := c.cfg.Meta.PrepareRowset(jctx, &metapb.PrepareRowsetRequest{InstanceId: c.cfg.InstanceID, Rowset: out, JobId: job.Id}); err != nil {
		return Result{}, metaErr(what+": prepare output", err)
	}
	var rows *vector.Batch
	var inRows int64
	var rm *rowMap
	if mow {
		rows, rm, inRows, err = c.mergeMoW(jctx, t, p)
	} else {
		rows, inRows, err = c.merge(jctx, t, p)
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", what, cause(jctx, err))
	}
	if err := c.write(jctx, t, out, rows); err != nil {
		return Result{}, fmt.Errorf("%s: %w", what, cause(jctx, err))
	}
	point := p.CumulativePoint
	if p.PromoteAt > 0 && out.GetTotalSize() >= p.PromoteAt {
		point = max(point, p.End()+1)
	}
	var fin *metapb.FinishTabletJobResponse
	if mow {
		fin, err = c.commitMoW(jctx, t, p, job.Id, out, point, rm)
	} else {
		fin, err = c.cfg.Meta.FinishTabletJob(jctx, &metapb.FinishTabletJobRequest{InstanceId: c.cfg.InstanceID, TabletId: t.ID, JobId: job.Id,
			Action: metapb.TabletJobAction_JOB_COMMIT, OutputRowset: out, OutputCumulativePoint: point})
	}
	if err != nil {
		return Result{}, metaErr(what+": commit", cause(jctx, err))
	}
	c.metrics.inputs.WithLabelValues(kind).Add(float64(len(p.Inputs)))
	return Result{Kind: p.Kind, Compacted: true, Inputs: len(p.Inputs), InputRows: inRows, Output: out, Stats: fin.GetStats()}, nil
}

// cause prefers the reason the job's context was cancelled (a lost lease) over the symptom.
func cause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
		return c
	}
	return err
}

// renew renews the lease every Lease/3 until ctx ends; a lost lease cancels the job.
func (c *Compactor) renew(ctx context.Context, cancel context.CancelCauseFunc, tabletID int64, jobID string) {
	tick := time.NewTicker(c.cfg.Lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		_, err := c.cfg.Meta.FinishTabletJob(ctx, &metapb.FinishTabletJobRequest{InstanceId: c.cfg.InstanceID, TabletId: tabletID, JobId: jobID,
			Action: metapb.TabletJobAction_JOB_LEASE, LeaseMs: c.cfg.Lease.Milliseconds()})
		if status.Code(err) == codes.FailedPrecondition {
			cancel(metaErr("renew lease", err))
			return
		}
	}
}

// merge reads the inputs through the tablet reader, which applies the table model (AGGREGATE
// folds, UNIQUE keeps the newest) and the delete predicates and tombstones inside the snapshot,
// and returns every column of the schema, sorted by key. It is the one place that sees input
// rows become output rows: a row-id map (input rowset, segment, row → output row), which
// merge-on-write compaction will need for its delete bitmaps, belongs here.
func (c *Compactor) merge(ctx context.Context, t Tablet, p Pick) (*vector.Batch, int64, error) {
	schema := t.Schema
	sign := -1
	if schema.DeleteSignIdx != nil {
		sign = int(schema.GetDeleteSignIdx())
		if sign < 0 || sign >= len(schema.GetColumns()) {
			return nil, 0, fmt.Errorf("BUG: tablet %d: delete sign column %d of %d", t.ID, sign, len(schema.GetColumns()))
		}
		if !p.FromFirst {
			// Rows below the range may carry keys these tombstones delete: keep them, as plain
			// (REPLACE) values, newest wins.
			schema = proto.Clone(schema).(*commonpb.TabletSchema)
			schema.DeleteSignIdx = nil
		}
	}
	var inRows int64
	for _, rs := range p.Inputs {
		inRows += rs.GetNumRows()
	}
	r := &tablet.Reader{Meta: c.cfg.Meta, InstanceID: c.cfg.InstanceID, Vaults: c.cfg.Vaults}
	snap := &tablet.Snapshot{TabletID: t.ID, Version: p.End(), Rowsets: p.Inputs}
	uids := make([]int32, len(schema.GetColumns()))
	all := make([]*vector.Vector, len(uids))
	for i, col := range schema.GetColumns() {
		uids[i] = col.GetUniqueId()
		all[i] = vector.NewWithCap(types.FromProto(col.GetType()), 0)
	}
	sc, err := r.Scan(snap, schema, uids, c.cfg.BatchSize)
	if err != nil {
		return nil, 0, err
	}
	n := 0
	for {
		b, err := sc.Next(ctx)
		if err != nil {
			return nil, 0, err
		}
		if b == nil {
			break
		}
		b = b.Compact()
		for k, v := range b.Cols {
			all[k].AppendRange(v, 0, b.N)
		}
		n += b.N
	}
	out := vector.NewBatch(all, n)
	if schema.GetKeysType() == commonpb.KeysType_DUP_KEYS {
		// The reader streams a DUPLICATE tablet rowset by rowset; the output is one sorted run.
		m, err := model.ForSchema(schema)
		if err != nil {
			return nil, 0, fmt.Errorf("tablet %d: %w", t.ID, err)
		}
		if out, err = m.Apply(out); err != nil {
			return nil, 0, fmt.Errorf("tablet %d: %w", t.ID, err)
		}
	}
	if sign >= 0 && p.FromFirst {
		// Nothing is below: the tombstones have shadowed all they can.
		v := out.Cols[sign]
		keep := make([]int32, 0, out.N)
		for i := range out.N {
			if v.IsNull(i) || v.Int64[i] == 0 {
				keep = append(keep, int32(i))
			}
		}
		if len(keep) < out.N {
			cols := make([]*vector.Vector, len(out.Cols))
			for k, col := range out.Cols {
				cols[k] = col.Gather(keep)
			}
			out = vector.NewBatch(cols, len(keep))
		}
	}
	return out, inRows, nil
}

// write uploads rows as the output's segments (SegmentRows each at most) and fills in its
// sizes.
func (c *Compactor) write(ctx context.Context, t Tablet, out *metapb.RowsetMeta, rows *vector.Batch) error {
	schema := t.Schema
	storage, err := c.cfg.Vaults(ctx, out.GetVaultId())
	if err != nil {
		return fmt.Errorf("vault %q: %w", out.GetVaultId(), err)
	}
	specs := make([]segment.ColumnSpec, len(schema.GetColumns()))
	for i, col := range schema.GetColumns() {
		specs[i] = segment.ColumnSpec{UniqueID: col.GetUniqueId(), Type: types.FromProto(col.GetType()), Nullable: col.GetNullable()}
	}
	opts := c.cfg.Segment
	opts.NumSortKeyColumns = int(schema.GetNumKeyColumns())
	opts.BloomFilterColumns = schema.GetBloomFilterColumns()
	if opts.Compression, err = segment.ParseCompression(schema.GetCompression()); err != nil {
		return fmt.Errorf("table property compression: %w", err)
	}
	for lo := 0; lo < rows.N; lo += c.cfg.SegmentRows {
		hi := min(lo+c.cfg.SegmentRows, rows.N)
		cols := make([]*vector.Vector, len(rows.Cols))
		for k, v := range rows.Cols {
			cols[k] = v.Slice(lo, hi)
		}
		path := vault.SegmentPath(t.ID, out.GetRowsetId(), int(out.NumSegments))
		info, err := segment.WriteToVault(ctx, storage, path, specs, opts, func(w *segment.Writer) error {
			return w.Append(vector.NewBatch(cols, hi-lo))
		})
		if err != nil {
			return err
		}
		out.NumSegments++
		out.NumRows += info.NumRows
		out.TotalSize += info.Size
		out.SegmentSizes = append(out.SegmentSizes, info.Size)
	}
	return nil
}
