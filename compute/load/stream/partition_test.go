package stream_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/loadpb"
	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/compute/types"
)

// partition partitions the table: `partition kind=range|list cols=a,b [auto=unit|auto]`, one
// partition per input line. A RANGE partition is `name lower upper`, a LIST partition
// `name key...`; a key is its values joined by '/', MIN is the minimum key, MAX is MAXVALUE and
// NULL is NULL. Partition ids are 10, 11, ... in order.
func (e *env) partition(t *testing.T, d *datadriven.TestData) {
	var kind, cols, auto string
	isAuto := false
	d.ScanArgs(t, "kind", &kind)
	d.ScanArgs(t, "cols", &cols)
	if d.HasArg("auto") {
		isAuto = true
		for _, a := range d.CmdArgs {
			if a.Key == "auto" && len(a.Vals) > 0 {
				auto = a.Vals[0]
			}
		}
	}
	e.pt = &loadpb.Partitioning{Kind: strings.ToUpper(kind), Auto: isAuto, AutoUnit: auto}
	e.spec = partition.Spec{Kind: partition.Kind(e.pt.Kind)}
	for _, name := range strings.Split(cols, ",") {
		found := false
		for i, c := range e.cols {
			if c.Name == name {
				e.pt.Columns = append(e.pt.Columns, int32(i))
				e.spec.Types = append(e.spec.Types, types.FromProto(c.Type))
				found = true
			}
		}
		if !found {
			t.Fatalf("no column %s", name)
		}
	}
	key := func(text string) partition.Key {
		switch text {
		case "MIN":
			return e.spec.MinKey()
		case "MAX":
			return e.spec.MaxKey()
		}
		var vals []*string
		for _, v := range strings.Split(text, "/") {
			if v == "NULL" {
				vals = append(vals, nil)
			} else {
				vals = append(vals, &v)
			}
		}
		var k partition.Key
		var err error
		if e.spec.Kind == partition.Range {
			k, err = e.spec.BoundKey(vals)
		} else {
			k, err = e.spec.ListKey(vals)
		}
		if err != nil {
			t.Fatalf("key %s: %v", text, err)
		}
		return k
	}
	e.parts = nil
	for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		b := &partition.Bounds{}
		if e.spec.Kind == partition.Range {
			b.Lower, b.Upper = key(f[1]), key(f[2])
		} else {
			for _, k := range f[1:] {
				b.In = append(b.In, key(k))
			}
		}
		e.parts = append(e.parts, fakePartition{id: int64(10 + len(e.parts)), name: f[0], bounds: b})
	}
}

func (e *env) partitionName(id int64) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range e.parts {
		if p.id == id {
			return p.name
		}
	}
	return fmt.Sprintf("<unknown partition %d>", id)
}

func pbBounds(b *partition.Bounds) *loadpb.Bounds {
	vals := func(k partition.Key) []*loadpb.Value {
		var out []*loadpb.Value
		for _, v := range k {
			out = append(out, &loadpb.Value{Text: v.Text, Null: v.Null, Max: v.Max})
		}
		return out
	}
	out := &loadpb.Bounds{Lower: vals(b.Lower), Upper: vals(b.Upper)}
	for _, k := range b.In {
		out.In = append(out.In, &loadpb.Key{Values: vals(k)})
	}
	return out
}

func (p fakePartition) sink() *computepb.PartitionSink {
	return &computepb.PartitionSink{PartitionId: p.id, TabletIds: []int64{p.id * 10}}
}

// planPartitions puts the table's partitions (those the `partitions` header names, if it is
// set) into a plan, as the frontend does.
func (e *env) planPartitions(resp *loadpb.PlanResponse, header string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	parts := e.parts
	if strings.TrimSpace(header) != "" {
		parts = nil
		for _, n := range strings.Split(header, ",") {
			found := false
			for _, p := range e.parts {
				if strings.EqualFold(p.name, strings.TrimSpace(n)) {
					parts = append(parts, p)
					found = true
				}
			}
			if !found {
				return fmt.Errorf("partitions header: Unknown partition '%s' in table 't'", strings.TrimSpace(n))
			}
		}
		resp.PartitionsRestricted = true
	}
	resp.Partitioning = e.pt
	resp.PartitionNames = nil
	resp.Sink.Partitions = nil
	for _, p := range parts {
		resp.PartitionNames = append(resp.PartitionNames, p.name)
		resp.Sink.Partitions = append(resp.Sink.Partitions, p.sink())
		resp.Partitions = append(resp.Partitions, &loadpb.Partition{Id: p.id, Name: p.name, Bounds: pbBounds(p.bounds)})
	}
	return nil
}

// autoPartitions answers POST /api/_auto_partitions as the frontend does: it creates the
// partitions the keys need (Doris's names and bounds, from package partition) and answers the
// partitions holding the keys.
func (e *env) autoPartitions(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, msg string) {
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"status": "FAILED", "msg": %q}`, msg)
	}
	if u, _, ok := r.BasicAuth(); !ok || u != "root" {
		fail(http.StatusUnauthorized, "Access denied")
		return
	}
	body, _ := io.ReadAll(r.Body)
	req := &loadpb.AutoPartitionRequest{}
	if err := protojson.Unmarshal(body, req); err != nil || req.Table != "t" || req.TableId != 2 {
		fail(http.StatusBadRequest, fmt.Sprintf("bad request %s", body))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var keys []string
	for _, k := range req.Keys {
		var vs []string
		for _, v := range k.Values {
			if v.Null {
				vs = append(vs, "NULL")
			} else {
				vs = append(vs, v.Text)
			}
		}
		keys = append(keys, strings.Join(vs, "/"))
	}
	log := "keys " + strings.Join(keys, " ")
	if e.autoFail != "" {
		e.autoLog = append(e.autoLog, log+": failed")
		fail(http.StatusInternalServerError, e.autoFail)
		return
	}
	find := func(k partition.Key) int {
		var bounds []*partition.Bounds
		for _, p := range e.parts {
			bounds = append(bounds, p.bounds)
		}
		rt, err := partition.NewRouter(e.spec, bounds)
		if err != nil {
			panic(err)
		}
		i, err := rt.Locate(k)
		if err != nil {
			panic(err)
		}
		return i
	}
	resp := &loadpb.AutoPartitionResponse{}
	seen := map[int64]bool{}
	for _, k := range req.Keys {
		var key partition.Key
		for _, v := range k.Values {
			key = append(key, partition.Value{Text: v.Text, Null: v.Null})
		}
		i := find(key)
		if i < 0 {
			var name string
			var b *partition.Bounds
			var err error
			if e.spec.Kind == partition.Range {
				name, b, err = partition.AutoRange(e.spec.Types[0], e.pt.AutoUnit, key[0])
				if err != nil {
					fail(http.StatusBadRequest, err.Error())
					return
				}
			} else {
				name, b = e.spec.AutoList(key)
			}
			e.parts = append(e.parts, fakePartition{id: int64(10 + len(e.parts)), name: name, bounds: b})
			log += ", created " + name
			i = len(e.parts) - 1
		}
		p := e.parts[i]
		if !seen[p.id] {
			seen[p.id] = true
			resp.Partitions = append(resp.Partitions, &loadpb.Partition{Id: p.id, Name: p.name, Bounds: pbBounds(p.bounds)})
			resp.Sinks = append(resp.Sinks, p.sink())
		}
	}
	e.autoLog = append(e.autoLog, log)
	out, _ := protojson.Marshal(resp)
	_, _ = w.Write(out)
}
