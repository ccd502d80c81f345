package load

import (
	"context"
	"errors"
	"fmt"

	"github.com/doricdb/doric/api/metapb"
)

// DefaultMaxTabletVersionNum is Doris's max_tablet_version_num.
const DefaultMaxTabletVersionNum = 2000

// ErrTooManyVersions classifies a load refused because a tablet has too many visible rowsets
// (Doris's TOO_MANY_VERSION, -235); errors.As gives the *TooManyVersionsError.
var ErrTooManyVersions = errors.New("too many versions")

// TooManyVersionsError is Doris's -235: a load into a tablet whose visible rowset count reached
// the limit. Its text is Doris's (BE rowset_builder), so that what users search for is found.
type TooManyVersionsError struct {
	TabletID int64
	Count    int64 // visible rowsets of the tablet
	Limit    int64 // max_tablet_version_num
}

func (e *TooManyVersionsError) Error() string {
	return fmt.Sprintf("[E-235]failed to init rowset builder. version count: %d, exceed limit: %d, tablet: %d. "+
		"Please reduce the frequency of loading data or adjust the max_tablet_version_num or "+
		"time_series_max_tablet_version_num in be.conf to a larger value.", e.Count, e.Limit, e.TabletID)
}

// Is makes errors.Is(err, ErrTooManyVersions) hold.
func (e *TooManyVersionsError) Is(target error) bool { return target == ErrTooManyVersions }

// checkVersions refuses the load when a tablet it writes has MaxTabletVersionNum visible
// rowsets or more (one GetTabletStats for all of them), so that no tablet ever exceeds the limit.
func (l *Loader) checkVersions(ctx context.Context, work []*tabletRows) error {
	limit := int64(l.MaxTabletVersionNum)
	if limit < 0 || len(work) == 0 {
		return nil
	}
	if limit == 0 {
		limit = DefaultMaxTabletVersionNum
	}
	ids := make([]int64, len(work))
	for i, w := range work {
		ids[i] = w.tabletID
	}
	resp, err := l.Meta.GetTabletStats(ctx, &metapb.GetTabletStatsRequest{InstanceId: l.InstanceID, TabletIds: ids})
	if err != nil {
		return fmt.Errorf("tablet statistics: %w", err)
	}
	for _, st := range resp.GetStats() {
		if st.GetNumRowsets() >= limit {
			return &TooManyVersionsError{TabletID: st.GetTabletId(), Count: st.GetNumRowsets(), Limit: limit}
		}
	}
	return nil
}
