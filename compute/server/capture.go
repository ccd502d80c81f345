package server

import (
	"context"
	"sync"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/tablet"
)

// captureAhead is how many tablet snapshots a fragment fetches from the Meta Service at once
// before it runs.
const captureAhead = 8

type snapKey struct{ tablet, version int64 }

// prefetchCaptures fetches the snapshots of every scan range concurrently (a fragment's scans
// would otherwise fetch them one at a time, a Meta Service round trip per tablet, as they reach
// each range). A range whose fetch fails is left out: its scan fetches it again and reports the
// error where it always did.
func prefetchCaptures(ctx context.Context, r *tablet.Reader, ranges []*planpb.ScanRange) map[snapKey]*tablet.Snapshot {
	if len(ranges) < 2 {
		return nil
	}
	var mu sync.Mutex
	snaps := map[snapKey]*tablet.Snapshot{}
	seen := map[snapKey]bool{}
	sem := make(chan struct{}, captureAhead)
	var wg sync.WaitGroup
	for _, rg := range ranges {
		k := snapKey{rg.GetTabletId(), rg.GetVersion()}
		if seen[k] {
			continue
		}
		seen[k] = true
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if s, err := r.Capture(ctx, k.tablet, k.version); err == nil {
				mu.Lock()
				snaps[k] = s
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return snaps
}
