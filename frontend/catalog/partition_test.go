package catalog

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

var rewriteFixtures = flag.Bool("rewrite", false, "rewrite testdata fixtures")

func dateKey(s string) partition.Key { return partition.Key{{Text: s}} }

// rangeTable is a table RANGE-partitioned on a DATE column, with partitions [2024-01-01,
// 2024-02-01) and [2024-02-01, 2024-03-01).
func rangeTable(name string, id int64) *Table {
	t := testTable(name, id)
	t.Columns = append(t.Columns, Column{UniqueID: 2, Name: "d", Type: types.New(types.Date), IsKey: true})
	t.Partitioning = &Partitioning{Kind: partition.Range, Columns: []string{"d"}}
	t.Partitions = []Partition{
		{ID: id + 2, Name: "p1", Tablets: []int64{id + 3}, Bounds: &partition.Bounds{Lower: dateKey("2024-01-01"), Upper: dateKey("2024-02-01")}},
		{ID: id + 5, Name: "p2", Tablets: []int64{id + 6}, Bounds: &partition.Bounds{Lower: dateKey("2024-02-01"), Upper: dateKey("2024-03-01")}},
	}
	return t
}

// TestOldJournalEntriesStillApply replays a create_table entry as the first format-1 binary
// wrote it (no partitioning fields): it reads as an unpartitioned table.
func TestOldJournalEntriesStillApply(t *testing.T) {
	b, err := os.ReadFile("testdata/v1_create_table_unpartitioned.json")
	if err != nil {
		t.Fatal(err)
	}
	var e entry
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	st := newState()
	st.Databases["demo"] = &Database{ID: 10000, Name: "demo"}
	if r := st.apply(&e); r.Err != nil {
		t.Fatal(r.Err)
	}
	tb := st.Databases["demo"].Table("orders")
	if tb.Partitioning != nil || len(tb.Partitions) != 1 || tb.Partitions[0].Bounds != nil || len(tb.Partitions[0].Tablets) != 2 {
		t.Fatalf("old entry read as %+v", tb)
	}
	r, err := tb.Router()
	if err != nil {
		t.Fatal(err)
	}
	if p, err := r.PartitionFor(nil); err != nil || p.ID != 10003 {
		t.Fatalf("implicit partition: %+v %v", p, err)
	}
}

// TestPartitionedEntryFormat pins the journal encoding of a partitioned table (FORMAT.md);
// -rewrite regenerates the fixture after a deliberate change.
func TestPartitionedEntryFormat(t *testing.T) {
	tb := rangeTable("events", 20000)
	tb.Partitioning = &Partitioning{Kind: partition.List, Columns: []string{"k", "d"}}
	tb.Partitions = []Partition{{ID: 20002, Name: "p_null", Tablets: []int64{20003}, Bounds: &partition.Bounds{
		In: []partition.Key{{{Null: true}, {Text: "2024-01-01"}}, {{Text: "7"}, {Text: "2024-01-02"}}}}}}
	auto := rangeTable("auto", 30000)
	auto.Partitioning.Auto, auto.Partitioning.AutoUnit = true, "day"
	auto.Partitions = auto.Partitions[:1]
	auto.Partitions[0].Bounds.Upper = partition.Key{{Max: true}}
	var lines []string
	for _, e := range []*entry{
		{Version: formatVersion, Op: opCreateTable, DB: "demo", Table: tb},
		{Version: formatVersion, Op: opCreateTable, DB: "demo", Table: auto},
		{Version: formatVersion, Op: opAddPartitions, DB: "demo", Name: "auto", TableID: 30000, IfNotExists: true, Partitions: auto.Partitions},
		{Version: formatVersion, Op: opDropPartition, DB: "demo", Name: "auto", Partition: "p1", IfExists: true},
	} {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
		var back entry
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(&back, e) {
			t.Fatalf("entry does not round-trip:\n%s\n%+v", b, back)
		}
	}
	got := strings.Join(lines, "\n") + "\n"
	const path = "testdata/v1_partition_entries.json"
	if *rewriteFixtures {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("journal encoding changed:\n got %s\nwant %s", got, want)
	}
}

func TestAddAndDropPartitions(t *testing.T) {
	dir := t.TempDir()
	c := open(t, dir, 0)
	if _, err := c.CreateDatabase("db", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTable("db", rangeTable("t", 100), false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTable("db", testTable("plain", 200), false); err != nil {
		t.Fatal(err)
	}
	p3 := Partition{ID: 110, Name: "p3", Tablets: []int64{111, 112}, Bounds: &partition.Bounds{Lower: dateKey("2024-03-01"), Upper: dateKey("2024-04-01")}}
	overlapping := Partition{ID: 120, Name: "p4", Tablets: []int64{121}, Bounds: &partition.Bounds{Lower: dateKey("2024-03-15"), Upper: dateKey("2024-05-01")}}
	var ce *Error
	var pe *partition.Error
	// All or nothing: p3 is fine but p4 overlaps it.
	if _, err := c.AddPartitions("db", "t", 100, []Partition{p3, overlapping}, false); !errors.As(err, &pe) || !strings.Contains(err.Error(), "is intersected with range") {
		t.Fatalf("overlap: %v", err)
	}
	if tb, _ := c.Table("db", "t"); len(tb.Partitions) != 2 {
		t.Fatalf("failed add left %d partitions", len(tb.Partitions))
	}
	if _, err := c.AddPartitions("db", "t", 999, []Partition{p3}, false); !errors.As(err, &ce) || ce.Kind != UnknownTable {
		t.Fatalf("stale table id: %v", err)
	}
	if _, err := c.AddPartitions("db", "plain", 200, []Partition{p3}, false); !errors.As(err, &ce) || ce.Kind != NotPartitioned {
		t.Fatalf("unpartitioned: %v", err)
	}
	added, err := c.AddPartitions("db", "t", 100, []Partition{p3}, false)
	if err != nil || !reflect.DeepEqual(added, []int64{110}) {
		t.Fatalf("add p3: %v %v", added, err)
	}
	dup := p3
	dup.ID, dup.Name = 130, "P3"
	if _, err := c.AddPartitions("db", "t", 100, []Partition{dup}, false); !errors.As(err, &ce) || ce.Kind != PartitionExists || err.Error() != "Duplicate partition name P3" {
		t.Fatalf("duplicate name: %v", err)
	}
	if added, err := c.AddPartitions("db", "t", 100, []Partition{dup}, true); err != nil || len(added) != 0 {
		t.Fatalf("IF NOT EXISTS: %v %v", added, err)
	}
	dropped, err := c.DropPartition("db", "t", "P1", false)
	if err != nil || dropped.ID != 102 || len(dropped.Tablets) != 1 {
		t.Fatalf("drop p1: %+v %v", dropped, err)
	}
	if _, err := c.DropPartition("db", "t", "p1", false); !errors.As(err, &ce) || ce.Kind != UnknownPartition {
		t.Fatalf("drop again: %v", err)
	}
	if p, err := c.DropPartition("db", "t", "p1", true); err != nil || p != nil {
		t.Fatalf("drop IF EXISTS: %v %v", p, err)
	}
	if err := c.Snapshot(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddPartitions("db", "t", 100, []Partition{{ID: 140, Name: "p0", Tablets: []int64{141},
		Bounds: &partition.Bounds{Lower: dateKey("2023-12-01"), Upper: dateKey("2024-02-01")}}}, false); err != nil {
		t.Fatalf("p0 into the gap p1 left: %v", err)
	}
	want, _ := c.Table("db", "t")
	c.Close()

	c = open(t, dir, 0)
	defer c.Close()
	got, err := c.Table("db", "t")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("after restart:\n got %+v\nwant %+v", got, want)
	}
	var names []string
	for _, p := range got.Partitions {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "p2,p3,p0" {
		t.Fatalf("partitions %v", names)
	}
	// Routing over the restored table.
	r, err := got.Router()
	if err != nil {
		t.Fatal(err)
	}
	b := vector.NewBatch([]*vector.Vector{vector.New(types.New(types.Int), 4), vector.New(types.DecimalOf(15, 2), 4), vector.New(types.New(types.Date), 4)}, 4)
	for i, d := range []string{"2024-02-10", "2023-12-31", "2024-03-31", "2024-04-01"} {
		b.Cols[2].Int64[i], _ = types.ParseDate(d)
	}
	if got := r.Route(b); !reflect.DeepEqual(got, []int32{0, 2, 1, -1}) {
		t.Fatalf("routes %v", got)
	}
	if e := r.NoPartition(b, 3, nil); e.Error() != "no partition for value '2024-04-01' of column 'd' at row 4" {
		t.Fatalf("error %q", e)
	}
}

func TestAutoPartitionsForRows(t *testing.T) {
	tb := rangeTable("t", 100)
	tb.Partitioning.Auto, tb.Partitioning.AutoUnit = true, "month"
	b := vector.NewBatch([]*vector.Vector{vector.New(types.New(types.Int), 3), vector.New(types.DecimalOf(15, 2), 3), vector.New(types.New(types.Date), 3)}, 3)
	for i, d := range []string{"2024-05-10", "2024-05-31", "2025-01-01"} {
		b.Cols[2].Int64[i], _ = types.ParseDate(d)
	}
	parts, err := tb.AutoPartitions(b, []int32{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range parts {
		got = append(got, p.Name+"["+p.Bounds.Lower[0].Text+","+p.Bounds.Upper[0].Text+")")
	}
	if strings.Join(got, " ") != "p20240501000000[2024-05-01,2024-06-01) p20250101000000[2025-01-01,2025-02-01)" {
		t.Fatalf("auto partitions %v", got)
	}
}
