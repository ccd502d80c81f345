package server

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/tablet"
	"google.golang.org/grpc"
)

// rowsetsMeta answers GetRowsets with one rowset per tablet (and an error for tablet 13),
// slowly, counting calls and how many ran at once.
type rowsetsMeta struct {
	metapb.MetaServiceClient
	mu           sync.Mutex
	calls        map[int64]int
	running, max int
}

func (m *rowsetsMeta) GetRowsets(_ context.Context, in *metapb.GetRowsetsRequest, _ ...grpc.CallOption) (*metapb.GetRowsetsResponse, error) {
	m.mu.Lock()
	m.calls[in.GetTabletId()]++
	m.running++
	m.max = max(m.max, m.running)
	m.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	m.mu.Lock()
	m.running--
	m.mu.Unlock()
	if in.GetTabletId() == 13 {
		return nil, errors.New("unavailable")
	}
	return &metapb.GetRowsetsResponse{Rowsets: []*metapb.RowsetMeta{{TabletId: in.GetTabletId(), StartVersion: 0, EndVersion: in.GetEndVersion()}}}, nil
}

// TestPrefetchCaptures: a fragment's snapshots are fetched concurrently, once per tablet and
// version; a failed fetch is left for the scan to repeat (and report).
func TestPrefetchCaptures(t *testing.T) {
	meta := &rowsetsMeta{calls: map[int64]int{}}
	r := &tablet.Reader{Meta: meta, InstanceID: "i"}
	var ranges []*planpb.ScanRange
	for id := int64(1); id <= 20; id++ {
		ranges = append(ranges, &planpb.ScanRange{NodeId: 1, TabletId: id, Version: 7})
	}
	ranges = append(ranges, &planpb.ScanRange{NodeId: 2, TabletId: 5, Version: 7}) // the same tablet again
	snaps := prefetchCaptures(context.Background(), r, ranges)
	if len(snaps) != 19 {
		t.Fatalf("%d snapshots, want 19 (20 tablets, one failing)", len(snaps))
	}
	if _, ok := snaps[snapKey{13, 7}]; ok {
		t.Fatal("the failed tablet has a snapshot")
	}
	for id := int64(1); id <= 20; id++ {
		if meta.calls[id] != 1 {
			t.Fatalf("tablet %d fetched %d times", id, meta.calls[id])
		}
		if s := snaps[snapKey{id, 7}]; id != 13 && (s == nil || s.TabletID != id || s.Version != 7) {
			t.Fatalf("tablet %d: snapshot %+v", id, s)
		}
	}
	if meta.max < 2 || meta.max > captureAhead {
		t.Fatalf("%d fetches ran at once, want 2..%d", meta.max, captureAhead)
	}
	src := tabletSource{r: r, snaps: snaps}
	if _, err := src.ScanTablet(context.Background(), &planpb.ScanRange{TabletId: 13, Version: 7}, nil, nil, nil, 10); err == nil {
		t.Fatal("the scan of the failed tablet did not report its error")
	}
	if meta.calls[13] != 2 {
		t.Fatalf("the failed tablet was fetched %d times, want again by its scan", meta.calls[13])
	}
}
