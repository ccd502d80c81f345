package load

import (
	"context"
	"fmt"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
)

// deleteOps are the operators of a delete condition and how many values each takes (-1: one
// or more).
var deleteOps = map[string]int{"=": 1, "!=": 1, "<": 1, "<=": 1, ">": 1, ">=": 1, "IN": -1, "NOT IN": -1, "IS NULL": 0, "IS NOT NULL": 0}

// writeDelete handles a WriteRequest carrying a delete predicate (DELETE FROM on a DUPLICATE or
// AGGREGATE KEY table): every tablet of every partition of the sink gets a rowset without
// segments (num_segments 0, no files) that carries the predicate, prepared and committed to the
// txn as every rowset is (PrepareRowset, CommitRowset). The request must have no rows. As for
// rows, a failure may leave some tmp rowsets committed: the caller aborts the txn.
func (l *Loader) writeDelete(ctx context.Context, req *computepb.WriteRequest) (*computepb.WriteResponse, error) {
	sink := req.GetSink()
	schema := sink.GetSchema()
	pred := req.GetDeletePredicate()
	switch {
	case req.GetTxnId() == 0:
		return nil, invalid("no txn id")
	case sink == nil || schema == nil || len(schema.GetColumns()) == 0:
		return nil, invalid("no tablet sink schema")
	case req.GetRows().GetNumRows() != 0:
		return nil, invalid("a delete request carries %d rows", req.GetRows().GetNumRows())
	case len(sink.GetPartitions()) == 0:
		return nil, invalid("no partitions")
	case len(pred.GetConditions()) == 0:
		return nil, invalid("a delete predicate without conditions")
	}
	ids := map[int32]bool{}
	for _, c := range schema.GetColumns() {
		ids[c.GetUniqueId()] = true
	}
	for _, c := range pred.GetConditions() {
		n, ok := deleteOps[c.GetOp()]
		switch {
		case !ids[c.GetColumnUniqueId()]:
			return nil, invalid("delete condition on column %q: unique id %d is not in the schema", c.GetColumnName(), c.GetColumnUniqueId())
		case !ok:
			return nil, invalid("delete condition on column %q: operator %q", c.GetColumnName(), c.GetOp())
		case n >= 0 && len(c.GetValues()) != n, n < 0 && len(c.GetValues()) == 0:
			return nil, invalid("delete condition %q on column %q has %d values", c.GetOp(), c.GetColumnName(), len(c.GetValues()))
		}
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	// A delete rowset is a version like any other: the -235 limit holds for it too.
	var work []*tabletRows
	for _, p := range sink.GetPartitions() {
		for _, tablet := range p.GetTabletIds() {
			work = append(work, &tabletRows{tabletID: tablet, partition: p.GetPartitionId()})
		}
	}
	if err := l.checkVersions(ctx, work); err != nil {
		return nil, err
	}
	resp := &computepb.WriteResponse{}
	for _, p := range sink.GetPartitions() {
		if len(p.GetTabletIds()) == 0 {
			return nil, invalid("partition %d has no tablets", p.GetPartitionId())
		}
		for _, tablet := range p.GetTabletIds() {
			rs := &metapb.RowsetMeta{
				RowsetId:         newRowsetID(),
				TabletId:         tablet,
				PartitionId:      p.GetPartitionId(),
				IndexId:          sink.GetIndexId(),
				TxnId:            req.GetTxnId(),
				VaultId:          sink.GetVaultId(),
				CreationTimeMs:   now().UnixMilli(),
				DeletePredicates: []*commonpb.DeletePredicate{pred},
			}
			// Nothing is uploaded, but the rowset follows the protocol every rowset does: its
			// recycle marker first (a rowset the txn never commits is reclaimed like any other).
			if _, err := l.Meta.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{InstanceId: l.InstanceID, Rowset: rs}); err != nil {
				return nil, fmt.Errorf("load %s: prepare delete rowset of tablet %d: %w", req.GetLoadId(), tablet, err)
			}
			if _, err := l.Meta.CommitRowset(ctx, &metapb.CommitRowsetRequest{InstanceId: l.InstanceID, Rowset: rs}); err != nil {
				return nil, fmt.Errorf("load %s: commit delete rowset %s of tablet %d: %w", req.GetLoadId(), rs.GetRowsetId(), tablet, err)
			}
			resp.Tablets = append(resp.Tablets, &computepb.TabletCommitInfo{TabletId: tablet, RowsetId: rs.GetRowsetId()})
		}
	}
	return resp, nil
}
