package rowset

import (
	"context"
	"errors"
	"fmt"
	"github.com/doricdb/doric/metaservice/kv/local/localtest"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/metaerr"
)

const inst = "i1"

var (
	ctx = context.Background()
	t0  = time.UnixMilli(1_700_000_000_000)
)

func TestTmpLifecycle(t *testing.T) {
	db := localtest.Open(t)
	rs := &metapb.RowsetMeta{RowsetId: "r1", TabletId: 7, TxnId: 3}
	localtest.Update(t, db, func(tx kv.Txn) error { return MarkForRecycle(tx, inst, rs, t0, t0.Add(time.Hour)) })
	localtest.Update(t, db, func(tx kv.Txn) error {
		m, err := Marked(tx, inst, 7, "r1")
		if err != nil {
			return err
		}
		if m == nil || m.GetExpirationMs() != t0.Add(time.Hour).UnixMilli() || m.GetRowset().GetRowsetId() != "r1" {
			t.Errorf("marker %v", m)
		}
		if err := PutTmp(tx, inst, rs); err != nil {
			return err
		}
		if m, _ := Marked(tx, inst, 7, "r1"); m != nil {
			t.Errorf("PutTmp left the recycle entry")
		}
		if err := PutTmp(tx, inst, rs); err != nil {
			t.Errorf("same rowset again: %v", err)
		}
		other := &metapb.RowsetMeta{RowsetId: "r2", TabletId: 7, TxnId: 3}
		if err := PutTmp(tx, inst, other); !errors.Is(err, metaerr.ErrAlreadyExists) {
			t.Errorf("second rowset for txn and tablet: %v", err)
		}
		if err := PutTmp(tx, inst, &metapb.RowsetMeta{RowsetId: "r3", TabletId: 8, TxnId: 3}); err != nil {
			return err
		}
		if err := PutTmp(tx, inst, &metapb.RowsetMeta{RowsetId: "r4", TabletId: 7, TxnId: 4}); err != nil {
			return err
		}
		tmps, err := Tmp(tx, inst, 3)
		if err != nil {
			return err
		}
		if len(tmps) != 2 || tmps[0].GetRowsetId() != "r1" || tmps[1].GetRowsetId() != "r3" {
			t.Errorf("Tmp(3) = %v", tmps)
		}
		if err := ClearTmp(tx, inst, 3); err != nil {
			return err
		}
		if tmps, _ := Tmp(tx, inst, 3); len(tmps) != 0 {
			t.Errorf("after ClearTmp: %v", tmps)
		}
		if tmps, _ := Tmp(tx, inst, 4); len(tmps) != 1 {
			t.Errorf("ClearTmp(3) touched txn 4: %v", tmps)
		}
		return nil
	})
}

func TestVisibleRanges(t *testing.T) {
	db := localtest.Open(t)
	n := 5 + rand.IntN(40)
	// Versions written in random order; reads return them in version order.
	order := rand.Perm(n)
	localtest.Update(t, db, func(tx kv.Txn) error {
		for _, i := range order {
			v := int64(i + 2)
			for _, tablet := range []int64{6, 7, 8} {
				rs := &metapb.RowsetMeta{RowsetId: fmt.Sprint(tablet, "-", v), TabletId: tablet, StartVersion: v, EndVersion: v}
				if err := PutVisible(tx, inst, rs); err != nil {
					return err
				}
			}
		}
		return nil
	})
	versions := func(start, end int64) string {
		var rs []*metapb.RowsetMeta
		if err := db.View(ctx, func(tx kv.ReadTxn) error {
			var err error
			rs, err = Visible(tx, inst, 7, start, end)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, r := range rs {
			if r.GetTabletId() != 7 {
				t.Fatalf("rowset of tablet %d in tablet 7's range", r.GetTabletId())
			}
			parts = append(parts, fmt.Sprint(r.GetEndVersion()))
		}
		return strings.Join(parts, ",")
	}
	expect := func(lo, hi int64) string {
		var parts []string
		for v := max(lo, 2); v <= min(hi, int64(n+1)); v++ {
			parts = append(parts, fmt.Sprint(v))
		}
		return strings.Join(parts, ",")
	}
	for range 20 {
		lo, hi := int64(rand.IntN(n+4)), int64(rand.IntN(n+4))
		if got, want := versions(lo, hi), expect(lo, hi); got != want {
			t.Fatalf("Visible(%d, %d) = %s, want %s", lo, hi, got, want)
		}
	}
	if got, want := versions(0, 1<<62), expect(0, 1<<62); got != want {
		t.Fatalf("all: %s, want %s", got, want)
	}
	err := db.Update(ctx, func(tx kv.Txn) error {
		return PutVisible(tx, inst, &metapb.RowsetMeta{RowsetId: "dup", TabletId: 7, EndVersion: 2})
	})
	if err == nil || !strings.HasPrefix(err.Error(), "BUG:") {
		t.Fatalf("second rowset at one version: %v, want a BUG error", err)
	}
}
