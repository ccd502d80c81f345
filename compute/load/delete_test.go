package load_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/compute/load"
)

func deleteRequest(txn int64, pred *commonpb.DeletePredicate, parts ...*computepb.PartitionSink) *computepb.WriteRequest {
	return &computepb.WriteRequest{LoadId: "del-1", TxnId: txn, DeletePredicate: pred, Rows: &commonpb.Batch{},
		Sink: &computepb.TabletSink{DbId: 1, TableId: 2, IndexId: 3, Schema: schema(), VaultId: "v1", Partitions: parts}}
}

// TestWriteDeletePredicate: every tablet of every partition gets one rowset without segments
// that carries the predicate, prepared and committed; nothing is uploaded.
func TestWriteDeletePredicate(t *testing.T) {
	e := newEnv(rand.New(rand.NewPCG(1, 2)))
	txn := int64(41)
	pred := &commonpb.DeletePredicate{Conditions: []*commonpb.DeleteCondition{
		{ColumnUniqueId: 10, ColumnName: "k1", Op: "IN", Values: []string{"1", "2"}},
		{ColumnUniqueId: 11, ColumnName: "k2", Op: "IS NULL"},
	}}
	resp, err := e.loader.Write(context.Background(), deleteRequest(txn, pred,
		&computepb.PartitionSink{PartitionId: 7, TabletIds: []int64{70, 71}}, &computepb.PartitionSink{PartitionId: 8, TabletIds: []int64{80}}))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetNumRows() != 0 || len(resp.GetTablets()) != 3 {
		t.Fatalf("response %v", resp)
	}
	rs := e.meta.TmpRowsets(txn)
	sort.Slice(rs, func(i, j int) bool { return rs[i].GetTabletId() < rs[j].GetTabletId() })
	wantPart := map[int64]int64{70: 7, 71: 7, 80: 8}
	if len(rs) != 3 {
		t.Fatalf("%d tmp rowsets, want 3", len(rs))
	}
	for _, r := range rs {
		if r.GetNumSegments() != 0 || r.GetNumRows() != 0 || r.GetPartitionId() != wantPart[r.GetTabletId()] || r.GetIndexId() != 3 ||
			len(r.GetDeletePredicates()) != 1 || len(r.GetDeletePredicates()[0].GetConditions()) != 2 {
			t.Fatalf("delete rowset %v", r)
		}
	}
	if n := len(e.meta.Prepared()); n != 0 {
		t.Fatalf("%d rowsets prepared and not committed", n)
	}
}

func TestWriteDeletePredicateRefusesBadRequests(t *testing.T) {
	e := newEnv(rand.New(rand.NewPCG(3, 4)))
	txn := int64(41)
	good := func() *commonpb.DeletePredicate {
		return &commonpb.DeletePredicate{Conditions: []*commonpb.DeleteCondition{{ColumnUniqueId: 10, ColumnName: "k1", Op: "=", Values: []string{"1"}}}}
	}
	part := &computepb.PartitionSink{PartitionId: 7, TabletIds: []int64{70}}
	for name, req := range map[string]*computepb.WriteRequest{
		"no conditions":  deleteRequest(txn, &commonpb.DeletePredicate{}, part),
		"unknown column": deleteRequest(txn, &commonpb.DeletePredicate{Conditions: []*commonpb.DeleteCondition{{ColumnUniqueId: 99, Op: "=", Values: []string{"1"}}}}, part),
		"bad operator":   deleteRequest(txn, &commonpb.DeletePredicate{Conditions: []*commonpb.DeleteCondition{{ColumnUniqueId: 10, Op: "LIKE", Values: []string{"1"}}}}, part),
		"two values":     deleteRequest(txn, &commonpb.DeletePredicate{Conditions: []*commonpb.DeleteCondition{{ColumnUniqueId: 10, Op: "=", Values: []string{"1", "2"}}}}, part),
		"empty IN":       deleteRequest(txn, &commonpb.DeletePredicate{Conditions: []*commonpb.DeleteCondition{{ColumnUniqueId: 10, Op: "IN"}}}, part),
		"no partitions":  deleteRequest(txn, good()),
		"no tablets":     deleteRequest(txn, good(), &computepb.PartitionSink{PartitionId: 7}),
		"no txn":         deleteRequest(0, good(), part),
		"rows": func() *computepb.WriteRequest {
			r := deleteRequest(txn, good(), part)
			r.Rows = &commonpb.Batch{NumRows: 1}
			return r
		}(),
	} {
		if _, err := e.loader.Write(context.Background(), req); !errors.Is(err, load.ErrInvalidInput) {
			t.Errorf("%s: got %v, want ErrInvalidInput", name, err)
		}
	}
	if rs := e.meta.TmpRowsets(txn); len(rs) != 0 {
		t.Fatalf("refused requests committed %d rowsets", len(rs))
	}
}
