package cluster

import (
	"context"
	"errors"
	"github.com/doricdb/doric/metaservice/kv/local/localtest"
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

func TestCreateGroupIdempotentByName(t *testing.T) {
	db := localtest.Open(t)
	var first, second, other *metapb.ComputeGroup
	localtest.Update(t, db, func(tx kv.Txn) error {
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
	db := localtest.Open(t)
	localtest.Update(t, db, func(tx kv.Txn) error {
		_, _, err := CreateGroup(tx, inst, &metapb.ComputeGroup{Name: "g"}, t0)
		return err
	})
	localtest.Update(t, db, func(tx kv.Txn) error {
		_, err := AddNode(tx, inst, "g", &metapb.NodeInfo{NodeId: "n", GrpcAddress: "a:1", HttpAddress: "a:2"}, t0)
		return err
	})
	t1 := t0.Add(3 * time.Second)
	localtest.Update(t, db, func(tx kv.Txn) error { _, err := Heartbeat(tx, inst, "g", "n", t1); return err })
	var g *metapb.ComputeGroup
	localtest.Update(t, db, func(tx kv.Txn) error {
		var err error
		g, err = AddNode(tx, inst, "g", &metapb.NodeInfo{NodeId: "n", GrpcAddress: "b:1", HttpAddress: "b:2"}, t0.Add(time.Hour))
		return err
	})
	n := g.GetNodes()
	if len(n) != 1 || n[0].GetGrpcAddress() != "b:1" || n[0].GetHttpAddress() != "b:2" ||
		n[0].GetLastHeartbeatMs() != t1.UnixMilli() || n[0].GetStatus() != metapb.NodeStatus_NODE_RUNNING {
		t.Fatalf("after upsert: %v", n)
	}
	localtest.Update(t, db, func(tx kv.Txn) error {
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
		if _, err := Heartbeat(tx, inst, "g", "ghost", t0); !errors.Is(err, metaerr.ErrNotFound) {
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

func TestDropSuspendRemove(t *testing.T) {
	db := localtest.Open(t)
	localtest.Update(t, db, func(tx kv.Txn) error {
		_, _, err := CreateGroup(tx, inst, &metapb.ComputeGroup{Name: "g", Nodes: []*metapb.NodeInfo{{NodeId: "a"}, {NodeId: "b"}}}, t0)
		if err != nil {
			return err
		}
		_, _, err = CreateGroup(tx, inst, &metapb.ComputeGroup{Name: "g2", Nodes: []*metapb.NodeInfo{{NodeId: "a"}}}, t0)
		return err
	})
	localtest.Update(t, db, func(tx kv.Txn) error {
		g, err := SetStatus(tx, inst, "g", metapb.ComputeGroupStatus_GROUP_SUSPENDED)
		if err != nil || g.GetStatus() != metapb.ComputeGroupStatus_GROUP_SUSPENDED || len(g.GetNodes()) != 2 {
			t.Errorf("suspend: %v %v", g, err)
		}
		if st, err := Heartbeat(tx, inst, "g", "a", t0); err != nil || st != metapb.ComputeGroupStatus_GROUP_SUSPENDED {
			t.Errorf("heartbeat of a suspended group's node: %v %v", st, err)
		}
		if g, err = SetStatus(tx, inst, "g", metapb.ComputeGroupStatus_GROUP_NORMAL); err != nil || g.GetStatus() != metapb.ComputeGroupStatus_GROUP_NORMAL {
			t.Errorf("resume: %v %v", g, err)
		}
		if _, err := SetStatus(tx, inst, "nope", metapb.ComputeGroupStatus_GROUP_NORMAL); !errors.Is(err, metaerr.ErrNotFound) {
			t.Errorf("suspend of no group: %v", err)
		}
		g, existed, err := RemoveNode(tx, inst, "g", "a")
		if err != nil || !existed || len(g.GetNodes()) != 1 || g.GetNodes()[0].GetNodeId() != "b" {
			t.Errorf("remove node: %v %v %v", g, existed, err)
		}
		if _, existed, err := RemoveNode(tx, inst, "g", "a"); err != nil || existed {
			t.Errorf("remove node again: %v %v", existed, err)
		}
		if _, _, err := RemoveNode(tx, inst, "nope", "a"); !errors.Is(err, metaerr.ErrNotFound) {
			t.Errorf("remove node of no group: %v", err)
		}
		existed, err = DropGroup(tx, inst, "g")
		if err != nil || !existed {
			t.Errorf("drop: %v %v", existed, err)
		}
		if existed, err := DropGroup(tx, inst, "g"); err != nil || existed {
			t.Errorf("drop again: %v %v", existed, err)
		}
		if _, err := Nodes(tx, inst, "g"); !errors.Is(err, metaerr.ErrNotFound) {
			t.Errorf("nodes of a dropped group: %v", err)
		}
		if _, err := Heartbeat(tx, inst, "g", "b", t0); !errors.Is(err, metaerr.ErrNotFound) {
			t.Errorf("the dropped group's nodes remain: %v", err)
		}
		// The other group (with a node of the same id) is untouched.
		ns, err := Nodes(tx, inst, "g2")
		if err != nil || len(ns) != 1 {
			t.Errorf("g2 nodes: %v %v", ns, err)
		}
		gs, err := Groups(tx, inst)
		if err != nil || len(gs) != 1 || gs[0].GetName() != "g2" {
			t.Errorf("groups after drop: %v %v", gs, err)
		}
		return nil
	})
}
