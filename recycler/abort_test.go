package recycler_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/txn"
	"github.com/doricdb/doric/recycler"
)

// dump returns every key and value of the store but the recycler's lease and the storage vaults
// (whose roots are per test directory).
func dump(t *testing.T, db kv.DB) []kv.KeyValue {
	t.Helper()
	var out []kv.KeyValue
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		kvs, err := tx.GetRange([]byte{keys.SpaceUser}, []byte{keys.SpaceUser + 1}, 0, false)
		for _, e := range kvs {
			if _, err := keys.ParseJobRecycle(e.Key); err == nil {
				continue
			}
			if _, err := keys.ParseStorageVault(e.Key); err == nil {
				continue
			}
			out = append(out, e)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAbortMatchesTheMetaService: the recycler aborts an expired txn (it does not import the
// Meta Service's domain packages) to exactly the same bytes as the Meta Service's
// txn.AbortExpired with the same retentions.
func TestAbortMatchesTheMetaService(t *testing.T) {
	for _, ret := range []time.Duration{72 * time.Hour, 90 * time.Minute} {
		build := func() *env {
			e := newEnv(t)
			tablets := e.tablets(1, 3, 1)
			e.load("done", tablets...)
			x := e.begin("x")
			e.stage(x, tablets[0], true)
			e.stage(x, tablets[2], true)
			e.stage(x, tablets[1], false)
			y := e.begin("y")
			e.stage(y, tablets[1], true)
			if _, err := e.srv.PrecommitTxn(ctx, precommit(y)); err != nil {
				t.Fatal(err)
			}
			e.clk.Advance(2 * time.Hour) // both past their deadlines; nothing else due
			return e
		}
		service, rec := build(), build()
		if err := service.db.Update(ctx, func(tx kv.Txn) error {
			for _, id := range []int64{1, 2, 3} {
				if _, err := txn.AbortExpired(tx, inst, dbID, id, service.clk.Now(), txn.Options{RowsetRetention: ret, LabelRetention: ret}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		r := rec.recycler(func(c *recycler.Config) { c.Retention = recycler.Retention{General: ret, Label: ret} })
		wantKinds(t, "abort", rec.round(r), map[string]int{"expired_txn": 2})
		a, b := dump(t, service.db), dump(t, rec.db)
		if len(a) != len(b) {
			t.Fatalf("retention %v: the Meta Service's abort leaves %d keys, the recycler's %d", ret, len(a), len(b))
		}
		for i := range a {
			if !bytes.Equal(a[i].Key, b[i].Key) || !bytes.Equal(a[i].Value, b[i].Value) {
				t.Fatalf("retention %v: key %d differs:\n service  %s = %x\n recycler %s = %x", ret, i,
					keys.Pretty(a[i].Key), a[i].Value, keys.Pretty(b[i].Key), b[i].Value)
			}
		}
		if n := len(a); n < 20 {
			t.Fatalf("only %d keys compared", n)
		}
	}
}

func precommit(txnID int64) *metapb.PrecommitTxnRequest {
	return &metapb.PrecommitTxnRequest{InstanceId: inst, DbId: dbID, TxnId: txnID, PrecommitTimeoutMs: (30 * time.Minute).Milliseconds()}
}
