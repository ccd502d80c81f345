package cluster

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/metaservice/metaerr"
)

const inst = "i1"

var (
	ctx = context.Background()
	t0  = time.UnixMilli(1_700_000_000_000)
)

func openDB(t *testing.T) kv.DB {
	t.Helper()
	db, err := local.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func do(t *testing.T, db kv.DB, fn func(tx kv.Txn) error) {
	t.Helper()
	if err := db.Update(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

func TestCreateGroupIdempotentByName(t *testing.T) {
	db := openDB(t)
	var first, second, other *metapb.ComputeGroup
	do(t, db, func(tx kv.Txn) error {
		var existed bool
		var err error
		first, existed, err = CreateGroup(tx, inst, &metapb.ComputeGroup{Name: "g", Nodes: []*metapb.NodeInfo{{NodeId: "b"}, {NodeId: "a"}}}, t0)
		if err != nil || existed {
			t.Fatalf("create: existed=%v err=%v", existed, err)
		}
		second, existed, err = CreateGroup(tx, inst, &metapb.ComputeGroup{Name: "g", Id: "other"}, t0)
		if err != nil || !existed {
			t.Fatalf("create again: existed=%v err=%v", existed, err)
		}
		other, _, err = CreateGroup(tx, inst, &metapb.ComputeGroup{Name: "h"}, t0)
		return err
	})
	if first.GetId() == "" || second.GetId() != first.GetId() || other.GetId() == first.GetId() {
		t.Fatalf("ids: first %q, again %q, other %q", first.GetId(), second.GetId(), other.GetId())
	}
	if n := first.GetNodes(); len(n) != 2 || n[0].GetNodeId() != "a" || n[1].GetNodeId() != "b" ||
		n[0].GetStatus() != metapb.NodeStatus_NODE_RUNNING {
		t.Fatalf("nodes %v, want a, b running", n)
	}
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		gs, err := Groups(tx, inst)
		if err != nil {
			return err
		}
		if len(gs) != 2 || gs[0].GetName() != "g" || gs[1].GetName() != "h" || len(gs[0].GetNodes()) != 2 || len(gs[1].GetNodes()) != 0 {
			t.Errorf("Groups = %v", gs)
		}
		if gs, _ := Groups(tx, "other-instance"); len(gs) != 0 {
			t.Errorf("another instance sees %v", gs)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestAddNodeUpsertsAndHeartbeat(t *testing.T) {
	db := openDB(t)
	do(t, db, func(tx kv.Txn) error {
		_, _, err := CreateGroup(tx, inst, &metapb.ComputeGroup{Name: "g"}, t0)
		return err
	})
	do(t, db, func(tx kv.Txn) error {
		_, err := AddNode(tx, inst, "g", &metapb.NodeInfo{NodeId: "n", GrpcAddress: "a:1", HttpAddress: "a:2"}, t0)
		return err
	})
	t1 := t0.Add(3 * time.Second)
	do(t, db, func(tx kv.Txn) error { return Heartbeat(tx, inst, "g", "n", t1) })
	var g *metapb.ComputeGroup
	do(t, db, func(tx kv.Txn) error {
		var err error
		g, err = AddNode(tx, inst, "g", &metapb.NodeInfo{NodeId: "n", GrpcAddress: "b:1", HttpAddress: "b:2"}, t0.Add(time.Hour))
		return err
	})
	n := g.GetNodes()
	if len(n) != 1 || n[0].GetGrpcAddress() != "b:1" || n[0].GetHttpAddress() != "b:2" ||
		n[0].GetLastHeartbeatMs() != t1.UnixMilli() || n[0].GetStatus() != metapb.NodeStatus_NODE_RUNNING {
		t.Fatalf("after upsert: %v", n)
	}
	do(t, db, func(tx kv.Txn) error {
		g, err := AddNode(tx, inst, "g", &metapb.NodeInfo{NodeId: "n", Status: metapb.NodeStatus_NODE_DECOMMISSIONED}, t0)
		if err == nil && g.GetNodes()[0].GetStatus() != metapb.NodeStatus_NODE_DECOMMISSIONED {
			t.Errorf("status not updated: %v", g.GetNodes()[0])
		}
		return err
	})
	err := db.Update(ctx, func(tx kv.Txn) error {
		if _, err := AddNode(tx, inst, "nope", &metapb.NodeInfo{NodeId: "n"}, t0); !errors.Is(err, metaerr.ErrNotFound) {
			t.Errorf("AddNode to unknown group: %v", err)
		}
		if _, err := AddNode(tx, inst, "g", &metapb.NodeInfo{}, t0); !errors.Is(err, metaerr.ErrInvalidArgument) {
			t.Errorf("AddNode without id: %v", err)
		}
		if err := Heartbeat(tx, inst, "g", "ghost", t0); !errors.Is(err, metaerr.ErrNotFound) {
			t.Errorf("Heartbeat of unknown node: %v", err)
		}
		if _, _, err := CreateGroup(tx, inst, &metapb.ComputeGroup{}, t0); !errors.Is(err, metaerr.ErrInvalidArgument) {
			t.Errorf("CreateGroup without name: %v", err)
		}
		if _, err := Group(tx, inst, "nope"); !errors.Is(err, metaerr.ErrNotFound) {
			t.Errorf("Group unknown: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
