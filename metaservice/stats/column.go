package stats

import (
	"fmt"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
)

// PutColumns stores the statistics of columns of table tableID, each under its
// keys.ColumnStats key (replacing what the column had). A column without a name is
// metaerr.ErrInvalidArgument.
func PutColumns(tx kv.Txn, inst string, tableID int64, cols []*metapb.ColumnStats) error {
	for _, c := range cols {
		if c.GetColumn() == "" {
			return fmt.Errorf("%w: column statistics without a column name", metaerr.ErrInvalidArgument)
		}
		if err := kv.SetProto(tx, keys.ColumnStats(inst, tableID, c.GetColumn()), c); err != nil {
			return err
		}
	}
	return nil
}

// GetColumns returns the statistics of the named columns of table tableID (every column's when
// names is empty), in column-name order; columns without statistics are absent.
func GetColumns(tx kv.ReadTxn, inst string, tableID int64, names []string) ([]*metapb.ColumnStats, error) {
	var kvs []kv.KeyValue
	if len(names) == 0 {
		begin, end := keys.ColumnStatsRange(inst, tableID)
		var err error
		if kvs, err = tx.GetRange(begin, end, 0, false); err != nil {
			return nil, err
		}
	} else {
		seen := map[string]bool{}
		sorted := append([]string(nil), names...)
		sort.Strings(sorted)
		for _, n := range sorted {
			if seen[n] {
				continue
			}
			seen[n] = true
			k := keys.ColumnStats(inst, tableID, n)
			v, err := tx.Get(k)
			if err != nil {
				return nil, err
			}
			if v != nil {
				kvs = append(kvs, kv.KeyValue{Key: k, Value: v})
			}
		}
	}
	out := make([]*metapb.ColumnStats, 0, len(kvs))
	for _, e := range kvs {
		c := &metapb.ColumnStats{}
		if err := proto.Unmarshal(e.Value, c); err != nil {
			return nil, fmt.Errorf("column stats at %s: %w", keys.Pretty(e.Key), err)
		}
		out = append(out, c)
	}
	return out, nil
}

// DropColumns removes the statistics of the named columns of table tableID (every column's when
// names is empty: one range clear).
func DropColumns(tx kv.Txn, inst string, tableID int64, names []string) error {
	if len(names) == 0 {
		begin, end := keys.ColumnStatsRange(inst, tableID)
		return tx.ClearRange(begin, end)
	}
	for _, n := range names {
		if err := tx.Clear(keys.ColumnStats(inst, tableID, n)); err != nil {
			return err
		}
	}
	return nil
}
