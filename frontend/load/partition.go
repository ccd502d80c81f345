package load

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/loadpb"
	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/frontend/catalog"
)

// PartitionCreator creates the partitions loads into AUTO PARTITION tables need (the DDL
// executor, *ddl.Executor).
type PartitionCreator interface {
	// CreateAutoPartitions adds parts (named and bounded by (*catalog.Table).AutoPartitionsFor)
	// to t, keeping any that exist by then, and returns the table as it is afterwards.
	CreateAutoPartitions(ctx context.Context, t *catalog.Table, parts []catalog.Partition) (*catalog.Table, error)
}

// MaxAutoPartitionKeys bounds the keys of one AutoPartitionRequest (a compute node sends each
// distinct key of a chunk of rows once).
const MaxAutoPartitionKeys = 1 << 16

// planPartitioning fills the partitioning of t and the bounds of parts (the partitions the load
// may write) into a plan.
func planPartitioning(resp *loadpb.PlanResponse, t *catalog.Table, parts []catalog.Partition) error {
	if t.Partitioning != nil {
		_, cols, err := t.PartitionSpec()
		if err != nil {
			return err
		}
		pt := &loadpb.Partitioning{Kind: string(t.Partitioning.Kind), Auto: t.Partitioning.Auto, AutoUnit: t.Partitioning.AutoUnit}
		for _, c := range cols {
			pt.Columns = append(pt.Columns, int32(c))
		}
		resp.Partitioning = pt
	}
	for _, p := range parts {
		resp.Partitions = append(resp.Partitions, pbPartition(p))
	}
	return nil
}

func pbPartition(p catalog.Partition) *loadpb.Partition {
	return &loadpb.Partition{Id: p.ID, Name: p.Name, Bounds: pbBounds(p.Bounds)}
}

// pbBounds converts bounds to their loadpb form (nil stays nil).
func pbBounds(b *partition.Bounds) *loadpb.Bounds {
	if b == nil {
		return nil
	}
	out := &loadpb.Bounds{Lower: pbValues(b.Lower), Upper: pbValues(b.Upper)}
	for _, k := range b.In {
		out.In = append(out.In, &loadpb.Key{Values: pbValues(k)})
	}
	return out
}

func pbValues(k partition.Key) []*loadpb.Value {
	out := make([]*loadpb.Value, len(k))
	for i, v := range k {
		out[i] = &loadpb.Value{Text: v.Text, Null: v.Null, Max: v.Max}
	}
	return out
}

// autoPartitionError is an AutoPartitionRequest that cannot be answered because of what it
// asks (400), as opposed to a failure to create the partitions (500).
type autoPartitionError struct{ msg string }

func (e *autoPartitionError) Error() string { return e.msg }

// autoPartitions answers a compute node's POST /api/_auto_partitions.
func (h *Handler) autoPartitions(w http.ResponseWriter, r *http.Request) {
	req := &loadpb.AutoPartitionRequest{}
	h.serveRPC(w, r, "auto partition", 64<<20, req, func() (proto.Message, error) { return h.AutoPartitions(r.Context(), req) }, func(err error) int {
		var ce *catalog.Error
		var ae *autoPartitionError
		var pe *partition.Error
		switch {
		case errors.As(err, &ce):
			return http.StatusNotFound
		case errors.As(err, &ae), errors.As(err, &pe):
			return http.StatusBadRequest
		}
		return http.StatusInternalServerError
	})
}

// AutoPartitions creates the partitions of an AUTO PARTITION table that the request's keys need
// and no partition holds (Config.Partitions), and returns the partitions holding the keys, each
// once. A key no partition holds even then (a partition of the same name but other bounds was
// added by hand) is left out: the compute node filters its rows.
func (h *Handler) AutoPartitions(ctx context.Context, req *loadpb.AutoPartitionRequest) (*loadpb.AutoPartitionResponse, error) {
	t, err := h.cfg.Catalog.Table(req.GetDb(), req.GetTable())
	if err != nil {
		return nil, err
	}
	bad := func(format string, a ...any) error { return &autoPartitionError{msg: fmt.Sprintf(format, a...)} }
	switch {
	case t.ID != req.GetTableId():
		return nil, bad("table %s was replaced during the load (id %d, the load's %d)", t.Name, t.ID, req.GetTableId())
	case t.Partitioning == nil || !t.Partitioning.Auto:
		return nil, bad("table %s has no AUTO PARTITION", t.Name)
	case len(req.GetKeys()) > MaxAutoPartitionKeys:
		return nil, bad("%d keys in one auto partition request (at most %d)", len(req.GetKeys()), MaxAutoPartitionKeys)
	case h.cfg.Partitions == nil:
		return nil, errors.New("this frontend cannot create partitions")
	}
	keys := make([][]partition.Value, len(req.GetKeys()))
	for i, k := range req.GetKeys() {
		if n := len(k.GetValues()); n != len(t.Partitioning.Columns) {
			return nil, bad("a key of %d values for the %d partition columns of table %s", n, len(t.Partitioning.Columns), t.Name)
		}
		for _, v := range k.GetValues() {
			if v.GetMax() {
				return nil, bad("MAXVALUE in the key of a row")
			}
			keys[i] = append(keys[i], partition.Value{Text: v.GetText(), Null: v.GetNull()})
		}
	}
	router, err := t.Router()
	if err != nil {
		return nil, err
	}
	var missing [][]partition.Value
	for _, k := range keys {
		p, err := router.PartitionFor(k)
		if err != nil {
			return nil, err
		}
		if p == nil {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		parts, err := t.AutoPartitionsFor(missing)
		if err != nil {
			return nil, &autoPartitionError{msg: err.Error()}
		}
		if t, err = h.cfg.Partitions.CreateAutoPartitions(ctx, t, parts); err != nil {
			return nil, err
		}
		if router, err = t.Router(); err != nil {
			return nil, err
		}
	}
	resp := &loadpb.AutoPartitionResponse{}
	seen := map[int64]bool{}
	for _, k := range keys {
		p, err := router.PartitionFor(k)
		if err != nil {
			return nil, err
		}
		if p == nil || seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		resp.Partitions = append(resp.Partitions, pbPartition(*p))
		resp.Sinks = append(resp.Sinks, &computepb.PartitionSink{PartitionId: p.ID, TabletIds: p.Tablets})
	}
	return resp, nil
}
