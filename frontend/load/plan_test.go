package load_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/doricdb/doric/api/loadpb"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/load"
	"github.com/doricdb/doric/frontend/parser"
)

// oneTable is a catalog of one database "d" holding the tables the test creates.
type oneTable struct{ tables map[string]*catalog.Table }

func (c *oneTable) Table(db, name string) (*catalog.Table, error) {
	if db != "d" {
		return nil, &catalog.Error{Kind: catalog.UnknownDatabase, Name: db}
	}
	t, ok := c.tables[name]
	if !ok {
		return nil, &catalog.Error{Kind: catalog.UnknownTable, Name: name}
	}
	return t, nil
}

func (c *oneTable) Database(name string) (*catalog.Database, bool) {
	if name != "d" {
		return nil, false
	}
	return &catalog.Database{ID: 1, Name: "d"}, true
}

// TestPlan binds the columns, where and partitions headers (testdata/plan): `create` adds a
// table, `plan` prints the plan or the error.
func TestPlan(t *testing.T) {
	cat := &oneTable{tables: map[string]*catalog.Table{}}
	h := load.New(load.Config{Catalog: cat, Now: func() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC) }})
	datadriven.RunTest(t, "testdata/plan", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "create":
			st, err := parser.ParseOne(d.Input)
			if err != nil {
				t.Fatal(err)
			}
			tbl, err := binder.BuildTable("d", st.(*ast.CreateTable))
			if err != nil {
				t.Fatal(err)
			}
			tbl.ID, tbl.DBID, tbl.IndexID = 10, 1, 11
			tbl.Partitions = []catalog.Partition{{ID: 12, Name: tbl.Name, Tablets: []int64{13, 14}}}
			cat.tables[tbl.Name] = tbl
			return ""
		case "plan":
			req := &loadpb.PlanRequest{Db: "d"}
			for _, line := range strings.Split(d.Input, "\n") {
				k, v, _ := strings.Cut(line, ":")
				switch strings.TrimSpace(k) {
				case "table":
					req.Table = strings.TrimSpace(v)
				case "columns":
					req.Columns = v
				case "where":
					req.Where = v
				case "partitions":
					req.Partitions = v
				}
			}
			p, err := h.Plan(req)
			if err != nil {
				return fmt.Sprintf("error: %v\n", err)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "sources: %s\n", strings.Join(p.SourceColumns, ", "))
			for i, c := range p.Sink.Schema.Columns {
				fmt.Fprintf(&b, "%s = %s\n", c.Name, binder.FormatExpr(p.Targets[i], true))
			}
			if p.Where != nil {
				fmt.Fprintf(&b, "where: %s\n", binder.FormatExpr(p.Where, true))
			}
			fmt.Fprintf(&b, "partitions: %v tablets: %v distribution: %v group commit: %d ms %d bytes\n",
				p.PartitionNames, p.Sink.Partitions[0].TabletIds, p.Sink.DistributionColumns, p.GroupCommitIntervalMs, p.GroupCommitDataBytes)
			return b.String()
		}
		t.Fatalf("unknown command %s", d.Cmd)
		return ""
	})
}

func TestParseColumns(t *testing.T) {
	items, err := load.ParseColumns(" k1, `my col`, tmp , v = concat(tmp, ',', 'x(') , w=1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		s := it.Name
		if it.Expr != nil {
			s += "=" + ast.Format(it.Expr)
		}
		got = append(got, s)
	}
	if want := "k1|my col|tmp|v=concat(tmp, ',', 'x(')|w=1"; strings.Join(got, "|") != want {
		t.Fatalf("got %s\nwant %s", strings.Join(got, "|"), want)
	}
	for _, bad := range []string{"k1,,k2", "k1 k2", "= 1", "v = ", "v == 1", "`k", "v = (1"} {
		if _, err := load.ParseColumns(bad); err == nil {
			t.Errorf("ParseColumns(%q) accepted", bad)
		} else if !strings.Contains(err.Error(), "columns header") {
			t.Errorf("ParseColumns(%q): %v", bad, err)
		}
	}
	if ps, err := load.ParsePartitions(" p1 , `p2`"); err != nil || strings.Join(ps, "|") != "p1|p2" {
		t.Fatalf("partitions: %v %v", ps, err)
	}
	if _, err := load.ParsePartitions("p1,,p2"); err == nil {
		t.Fatal("empty partition name accepted")
	}
}
