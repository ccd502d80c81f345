package stats

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
)

// Delta is a change of a tablet's split counters.
type Delta struct {
	NumRows, DataSize, NumRowsets, NumSegments int64
}

// Of is the contribution of one visible rowset.
func Of(rs *metapb.RowsetMeta) Delta {
	return Delta{NumRows: rs.GetNumRows(), DataSize: rs.GetTotalSize(), NumRowsets: 1, NumSegments: int64(rs.GetNumSegments())}
}

// Plus returns d + o.
func (d Delta) Plus(o Delta) Delta {
	return Delta{d.NumRows + o.NumRows, d.DataSize + o.DataSize, d.NumRowsets + o.NumRowsets, d.NumSegments + o.NumSegments}
}

// Minus returns d - o.
func (d Delta) Minus(o Delta) Delta {
	return Delta{d.NumRows - o.NumRows, d.DataSize - o.DataSize, d.NumRowsets - o.NumRowsets, d.NumSegments - o.NumSegments}
}

func (d Delta) counters() []struct {
	name string
	v    int64
} {
	return []struct {
		name string
		v    int64
	}{
		{keys.StatsNumRows, d.NumRows}, {keys.StatsDataSize, d.DataSize},
		{keys.StatsNumRowsets, d.NumRowsets}, {keys.StatsNumSegs, d.NumSegments},
	}
}

// TabletIDs are the fields of a TabletMeta (or TabletStats) that name a tablet's keys.
type TabletIDs interface {
	GetTableId() int64
	GetIndexId() int64
	GetPartitionId() int64
	GetTabletId() int64
}

func statsKey(inst string, t TabletIDs) []byte {
	return keys.TabletStats(inst, t.GetTableId(), t.GetIndexId(), t.GetPartitionId(), t.GetTabletId())
}

// Init stores the zero stats of a new tablet t (a TabletMeta with its ids). A tablet that has
// stats keeps them.
func Init(tx kv.Txn, inst string, t *metapb.TabletMeta) error {
	key := statsKey(inst, t)
	v, err := tx.Get(key)
	if err != nil || v != nil {
		return err
	}
	return kv.SetProto(tx, key, &metapb.TabletStats{
		TabletId: t.GetTabletId(), DbId: t.GetDbId(), TableId: t.GetTableId(), IndexId: t.GetIndexId(), PartitionId: t.GetPartitionId(),
	})
}

// Add applies d to the tablet's split counters with atomic adds (zero parts are skipped).
func Add(tx kv.Txn, inst string, t TabletIDs, d Delta) error {
	for _, c := range d.counters() {
		if c.v == 0 {
			continue
		}
		if err := tx.AtomicAdd(keys.TabletStatsCounter(inst, t.GetTableId(), t.GetIndexId(), t.GetPartitionId(), t.GetTabletId(), c.name), c.v); err != nil {
			return err
		}
	}
	return nil
}

// AddCost is the most bytes Add writes to the kv transaction for one tablet (its budget share).
func AddCost(inst string, t TabletIDs) int {
	n := 0
	for _, c := range (Delta{}).counters() {
		n += len(keys.TabletStatsCounter(inst, t.GetTableId(), t.GetIndexId(), t.GetPartitionId(), t.GetTabletId(), c.name)) + 8
	}
	return n
}

// Base returns the stored stats message of a tablet without its counters (zero stats with the
// tablet's ids when none are stored: tablets created before stats existed).
func Base(tx kv.ReadTxn, inst string, t *metapb.TabletMeta) (*metapb.TabletStats, error) {
	st := &metapb.TabletStats{}
	ok, err := kv.GetProto(tx, statsKey(inst, t), st)
	if err != nil {
		return nil, err
	}
	if !ok {
		st = &metapb.TabletStats{TabletId: t.GetTabletId(), DbId: t.GetDbId(), TableId: t.GetTableId(), IndexId: t.GetIndexId(), PartitionId: t.GetPartitionId()}
	}
	return st, nil
}

// PutBase stores the stats message (the caller changes only compaction fields; the size fields
// are base values that the counters add to).
func PutBase(tx kv.Txn, inst string, st *metapb.TabletStats) error {
	return kv.SetProto(tx, statsKey(inst, st), st)
}

// Get returns a tablet's stats: the message with the counters added.
func Get(tx kv.ReadTxn, inst string, t *metapb.TabletMeta) (*metapb.TabletStats, error) {
	begin, end := keys.TabletStatsRange(inst, t.GetTableId(), t.GetIndexId(), t.GetPartitionId(), t.GetTabletId())
	kvs, err := tx.GetRange(begin, end, 0, false)
	if err != nil {
		return nil, err
	}
	st := &metapb.TabletStats{TabletId: t.GetTabletId(), DbId: t.GetDbId(), TableId: t.GetTableId(), IndexId: t.GetIndexId(), PartitionId: t.GetPartitionId()}
	for _, e := range kvs {
		if _, err := keys.ParseTabletStats(e.Key); err == nil {
			base := &metapb.TabletStats{}
			if err := proto.Unmarshal(e.Value, base); err != nil {
				return nil, fmt.Errorf("tablet stats at %s: %w", keys.Pretty(e.Key), err)
			}
			proto.Merge(st, base)
			continue
		}
		ck, err := keys.ParseTabletStatsCounter(e.Key)
		if err != nil {
			return nil, fmt.Errorf("BUG: key %s in the stats range of tablet %d: %w", keys.Pretty(e.Key), t.GetTabletId(), err)
		}
		v := kv.CounterValue(e.Value)
		switch ck.Counter {
		case keys.StatsNumRows:
			st.NumRows += v
		case keys.StatsDataSize:
			st.DataSize += v
		case keys.StatsNumRowsets:
			st.NumRowsets += v
		case keys.StatsNumSegs:
			st.NumSegments += v
		default:
			return nil, fmt.Errorf("BUG: unknown stats counter %q of tablet %d", ck.Counter, t.GetTabletId())
		}
	}
	return st, nil
}
