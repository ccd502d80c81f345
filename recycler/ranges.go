package recycler

import (
	"context"
	"math"

	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
)

// Instance-wide ranges the recycler and the checker scan. Package keys offers ranges per tablet,
// txn or db; these span every id of a family and are made from its constructors only (the
// smallest key of the family is the one with every id at math.MinInt64, and the end of the range
// of the largest first id bounds the rest), so no byte is built here.

// allRowsets is [begin, end) over every visible rowset key of the instance.
func allRowsets(inst string) (begin, end []byte) {
	_, end = keys.RowsetRange(inst, math.MaxInt64, 0, math.MaxInt64)
	return keys.Rowset(inst, math.MinInt64, math.MinInt64), end
}

// allTmpRowsets is [begin, end) over every tmp rowset key of the instance.
func allTmpRowsets(inst string) (begin, end []byte) {
	_, end = keys.RowsetTmpRange(inst, math.MaxInt64)
	return keys.RowsetTmp(inst, math.MinInt64, math.MinInt64), end
}

// allRunningTxns is [begin, end) over every txn_running key of the instance.
func allRunningTxns(inst string) (begin, end []byte) {
	_, end = keys.TxnRunningRange(inst, math.MaxInt64)
	return keys.TxnRunning(inst, math.MinInt64, math.MinInt64), end
}

// allTablets is [begin, end) over every tablet key of the instance.
func allTablets(inst string) (begin, end []byte) {
	_, end = keys.TabletTableRange(inst, math.MaxInt64)
	return keys.Tablet(inst, math.MinInt64, math.MinInt64, math.MinInt64, math.MinInt64), end
}

// scanPage is the most keys one read transaction of a scan returns.
const scanPage = 1000

// scan visits every key-value in [begin, end) in key order, scanPage keys per read transaction
// (so a scan of any size stays within the store's transaction limits; keys written or removed
// meanwhile may or may not be seen). visit returning an error stops the scan.
func scan(ctx context.Context, db kv.DB, begin, end []byte, visit func(kv.KeyValue) error) error {
	for {
		var page []kv.KeyValue
		if err := db.View(ctx, func(tx kv.ReadTxn) error {
			var err error
			page, err = tx.GetRange(begin, end, scanPage, false)
			return err
		}); err != nil {
			return err
		}
		for _, e := range page {
			if err := visit(e); err != nil {
				return err
			}
		}
		if len(page) < scanPage {
			return nil
		}
		begin = append(append([]byte{}, page[len(page)-1].Key...), 0x00) // the next key after the last
	}
}
