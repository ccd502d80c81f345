package catalog

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/doricdb/doric/compute/types"
)

func open(t *testing.T, dir string, threshold uint64) *Catalog {
	t.Helper()
	c, err := Open(context.Background(), Config{Dir: dir, NodeID: "fe1", SnapshotThreshold: threshold})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testTable(name string, id int64) *Table {
	def := "7"
	return &Table{ID: id, IndexID: id + 1, Name: name,
		Columns: []Column{
			{UniqueID: 0, Name: "k", Type: types.New(types.Int), IsKey: true},
			{UniqueID: 1, Name: "v", Type: types.DecimalOf(15, 2), Nullable: true, Default: &def},
		},
		Distribution: Distribution{Columns: []string{"k"}, Buckets: 2},
		Properties:   map[string]string{"replication_num": "1"},
		Partitions:   []Partition{{ID: id + 2, Name: name, Tablets: []int64{id + 3, id + 4}}},
	}
}

func TestJournalSurvivesRestartAndImage(t *testing.T) {
	dir := t.TempDir()
	c := open(t, dir, 0)
	if _, err := c.CreateDatabase("db1", false); err != nil {
		t.Fatal(err)
	}
	first, err := c.AllocIDs(5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTable("db1", testTable("t1", first), false); err != nil {
		t.Fatal(err)
	}
	if err := c.Snapshot(); err != nil { // image, then more entries after it
		t.Fatal(err)
	}
	if _, err := c.CreateTable("db1", testTable("t2", first+10), false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDatabase("db2", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DropDatabase("db2", false); err != nil {
		t.Fatal(err)
	}
	want, _ := c.Database("db1")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	c = open(t, dir, 0)
	defer c.Close()
	got, ok := c.Database("db1")
	if !ok {
		t.Fatal("db1 lost across restart")
	}
	if !reflect.DeepEqual(tablesOf(got), tablesOf(want)) {
		t.Fatalf("tables differ after restart:\n got %+v\nwant %+v", tablesOf(got), tablesOf(want))
	}
	if _, ok := c.Database("db2"); ok {
		t.Fatal("dropped db2 came back")
	}
	next, err := c.AllocIDs(1)
	if err != nil {
		t.Fatal(err)
	}
	if next < first+5 {
		t.Fatalf("id %d handed out again after restart (first batch %d..%d)", next, first, first+4)
	}
}

func tablesOf(d *Database) []Table {
	var out []Table
	for _, t := range d.Tables {
		out = append(out, *t)
	}
	return out
}

func TestFailedMutationsChangeNothing(t *testing.T) {
	c := open(t, t.TempDir(), 0)
	defer c.Close()
	var ce *Error
	if _, err := c.CreateTable("nodb", testTable("t", 100), false); !errors.As(err, &ce) || ce.Kind != UnknownDatabase {
		t.Fatalf("create table in missing db: %v", err)
	}
	if _, err := c.CreateDatabase("d", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDatabase("d", false); !errors.As(err, &ce) || ce.Kind != DatabaseExists {
		t.Fatalf("duplicate db: %v", err)
	}
	if _, err := c.CreateDatabase("d", true); err != nil {
		t.Fatalf("IF NOT EXISTS: %v", err)
	}
	if _, err := c.CreateTable("d", testTable("t", 100), false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTable("d", testTable("t", 200), false); !errors.As(err, &ce) || ce.Kind != TableExists {
		t.Fatalf("duplicate table: %v", err)
	}
	tb, err := c.Table("d", "t")
	if err != nil || tb.ID != 100 {
		t.Fatalf("table after failed duplicate create: %+v %v", tb, err)
	}
	if _, err := c.DropTable("d", "missing", false); !errors.As(err, &ce) || ce.Kind != UnknownTable {
		t.Fatalf("drop missing: %v", err)
	}
	// Returned tables are copies: mutating one does not reach the catalog.
	tb.Columns[0].Name = "changed"
	again, _ := c.Table("d", "t")
	if again.Columns[0].Name != "k" {
		t.Fatal("Table returned shared memory")
	}
}

func TestManyEntriesWithAutomaticImages(t *testing.T) {
	dir := t.TempDir()
	c := open(t, dir, 5) // an image every few entries
	for i := 0; i < 40; i++ {
		if _, err := c.CreateDatabase(fmt.Sprintf("db%02d", i), false); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	c = open(t, dir, 5)
	defer c.Close()
	if n := len(c.Databases()); n != 40 {
		t.Fatalf("%d databases after restart, want 40", n)
	}
}
