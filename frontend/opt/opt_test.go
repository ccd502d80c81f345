package opt_test

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/opt"
	"github.com/doricdb/doric/frontend/parser"
)

// fixture is a catalog (database "d": the TPC-H tables plus a partitioned table) whose
// statistics are fixed row counts (TPC-H's at scale factor 1) and, when analyzed is set (the
// `stats` argument of a test), the column statistics of colStats (TPC-H's at scale factor 1).
type fixture struct {
	db       *catalog.Database
	rows     map[string]float64
	analyzed bool
}

// colStats are column statistics of TPC-H at scale factor 1 (as ANALYZE TABLE takes them).
var colStats = map[string]opt.ColumnStats{
	"region.r_regionkey":    {Rows: 5, NDV: 5, Min: "0", Max: "4", HasMinMax: true},
	"region.r_name":         {Rows: 5, NDV: 5, Min: "AFRICA", Max: "MIDDLE EAST", HasMinMax: true},
	"nation.n_nationkey":    {Rows: 25, NDV: 25, Min: "0", Max: "24", HasMinMax: true},
	"nation.n_name":         {Rows: 25, NDV: 25, Min: "ALGERIA", Max: "VIETNAM", HasMinMax: true},
	"nation.n_regionkey":    {Rows: 25, NDV: 5, Min: "0", Max: "4", HasMinMax: true},
	"supplier.s_suppkey":    {Rows: 10000, NDV: 10000, Min: "1", Max: "10000", HasMinMax: true},
	"supplier.s_nationkey":  {Rows: 10000, NDV: 25, Min: "0", Max: "24", HasMinMax: true},
	"customer.c_custkey":    {Rows: 150000, NDV: 150000, Min: "1", Max: "150000", HasMinMax: true},
	"customer.c_nationkey":  {Rows: 150000, NDV: 25, Min: "0", Max: "24", HasMinMax: true},
	"customer.c_mktsegment": {Rows: 150000, NDV: 5, Min: "AUTOMOBILE", Max: "MACHINERY", HasMinMax: true},
	"orders.o_orderkey":     {Rows: 1500000, NDV: 1500000, Min: "1", Max: "6000000", HasMinMax: true},
	"orders.o_custkey":      {Rows: 1500000, NDV: 99996, Min: "1", Max: "149999", HasMinMax: true},
	"orders.o_orderdate":    {Rows: 1500000, NDV: 2406, Min: "1992-01-01", Max: "1998-08-02", HasMinMax: true},
	"lineitem.l_orderkey":   {Rows: 6000000, NDV: 1500000, Min: "1", Max: "6000000", HasMinMax: true},
	"lineitem.l_partkey":    {Rows: 6000000, NDV: 200000, Min: "1", Max: "200000", HasMinMax: true},
	"lineitem.l_suppkey":    {Rows: 6000000, NDV: 10000, Min: "1", Max: "10000", HasMinMax: true},
	"lineitem.l_quantity":   {Rows: 6000000, NDV: 50, Min: "1.00", Max: "50.00", HasMinMax: true},
	"lineitem.l_shipdate":   {Rows: 6000000, NDV: 2526, Min: "1992-01-02", Max: "1998-12-01", HasMinMax: true},
	"part.p_partkey":        {Rows: 200000, NDV: 200000, Min: "1", Max: "200000", HasMinMax: true},
	"part.p_name":           {Rows: 200000, NDV: 199997, Min: "almond antique", Max: "yellow white", HasMinMax: true},
	"partsupp.ps_partkey":   {Rows: 800000, NDV: 200000, Min: "1", Max: "200000", HasMinMax: true},
	"partsupp.ps_suppkey":   {Rows: 800000, NDV: 10000, Min: "1", Max: "10000", HasMinMax: true},
	"partsupp.ps_availqty":  {Rows: 800000, NDV: 9999, Min: "1", Max: "9999", HasMinMax: true},
	"sales.v":               {Rows: 3000, NDV: 100, Nulls: 300, Min: "0", Max: "99", HasMinMax: true},
}

func (f *fixture) ColumnStats(t *catalog.Table, column string) (opt.ColumnStats, bool) {
	if !f.analyzed {
		return opt.ColumnStats{}, false
	}
	st, ok := colStats[t.Name+"."+column]
	return st, ok
}

func (f *fixture) Database(name string) (*catalog.Database, bool) {
	if name == f.db.Name {
		return f.db, true
	}
	return nil, false
}

func (f *fixture) TableRows(t *catalog.Table, partitions []int64) (float64, bool) {
	r, ok := f.rows[t.Name]
	if !ok {
		return 0, false
	}
	return r * float64(len(partitions)) / float64(len(t.Partitions)), true
}

var fixtureDDL = []string{
	`CREATE TABLE region (r_regionkey INT NOT NULL, r_name CHAR(25) NOT NULL, r_comment VARCHAR(152)) DUPLICATE KEY(r_regionkey) DISTRIBUTED BY HASH(r_regionkey) BUCKETS 1`,
	`CREATE TABLE nation (n_nationkey INT NOT NULL, n_name CHAR(25) NOT NULL, n_regionkey INT NOT NULL, n_comment VARCHAR(152)) DUPLICATE KEY(n_nationkey) DISTRIBUTED BY HASH(n_nationkey) BUCKETS 1`,
	`CREATE TABLE supplier (s_suppkey INT NOT NULL, s_name CHAR(25) NOT NULL, s_nationkey INT NOT NULL, s_acctbal DECIMAL(15,2) NOT NULL) DUPLICATE KEY(s_suppkey) DISTRIBUTED BY HASH(s_suppkey) BUCKETS 2`,
	`CREATE TABLE customer (c_custkey INT NOT NULL, c_name VARCHAR(25) NOT NULL, c_nationkey INT NOT NULL, c_mktsegment CHAR(10) NOT NULL) DUPLICATE KEY(c_custkey) DISTRIBUTED BY HASH(c_custkey) BUCKETS 4`,
	`CREATE TABLE orders (o_orderkey BIGINT NOT NULL, o_custkey INT NOT NULL, o_orderdate DATE NOT NULL, o_comment VARCHAR(79) NOT NULL) DUPLICATE KEY(o_orderkey) DISTRIBUTED BY HASH(o_orderkey) BUCKETS 8`,
	`CREATE TABLE lineitem (l_orderkey BIGINT NOT NULL, l_partkey INT NOT NULL, l_suppkey INT NOT NULL, l_quantity DECIMAL(15,2) NOT NULL, l_shipdate DATE NOT NULL) DUPLICATE KEY(l_orderkey, l_partkey) DISTRIBUTED BY HASH(l_orderkey) BUCKETS 8`,
	`CREATE TABLE sales (dt DATE NOT NULL, k INT NOT NULL, v BIGINT) DUPLICATE KEY(dt, k)
	 PARTITION BY RANGE(dt) (PARTITION p1 VALUES LESS THAN ("2024-02-01"), PARTITION p2 VALUES LESS THAN ("2024-03-01"), PARTITION p3 VALUES LESS THAN MAXVALUE)
	 DISTRIBUTED BY HASH(k) BUCKETS 2`,
	`CREATE TABLE part (p_partkey INT NOT NULL, p_name VARCHAR(55) NOT NULL) DUPLICATE KEY(p_partkey) DISTRIBUTED BY HASH(p_partkey) BUCKETS 2`,
	`CREATE TABLE partsupp (ps_partkey INT NOT NULL, ps_suppkey INT NOT NULL, ps_availqty INT NOT NULL) DUPLICATE KEY(ps_partkey, ps_suppkey) DISTRIBUTED BY HASH(ps_partkey) BUCKETS 2`,
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{db: &catalog.Database{ID: 1, Name: "d"}, rows: map[string]float64{
		"region": 5, "nation": 25, "supplier": 10000, "customer": 150000, "orders": 1500000, "lineitem": 6000000, "sales": 3000,
		"part": 200000, "partsupp": 800000,
	}}
	next := int64(1000)
	for i, sql := range fixtureDDL {
		st, err := parser.ParseOne(sql)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := binder.BuildTable("d", st.(*ast.CreateTable))
		if err != nil {
			t.Fatal(err)
		}
		tbl.ID, tbl.DBID = int64(100+i), 1
		if tbl.Partitioning == nil {
			tbl.Partitions = []catalog.Partition{{Name: tbl.Name}}
		}
		for p := range tbl.Partitions {
			tbl.Partitions[p].ID = next
			next++
			for range tbl.Distribution.Buckets {
				tbl.Partitions[p].Tablets = append(tbl.Partitions[p].Tablets, next)
				next++
			}
		}
		f.db.Tables = append(f.db.Tables, tbl)
	}
	return f
}

// TestPlans: `plan` binds, optimises and plans the query and prints EXPLAIN VERBOSE (or the
// error).
func TestPlans(t *testing.T) {
	f := newFixture(t)
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			st, err := parser.ParseOne(d.Input)
			if err != nil {
				return fmt.Sprintf("parse error: %v\n", err)
			}
			q, ok := st.(ast.QueryExpr)
			if !ok {
				t.Fatalf("%s: not a query", d.Pos)
			}
			f.analyzed = d.HasArg("stats")
			res, err := binder.BindQuery(f, "d", q)
			if err != nil {
				return fmt.Sprintf("error: %v\n", err)
			}
			switch d.Cmd {
			case "plan":
				return binder.ExplainVerbose(res)
			}
			t.Fatalf("%s: unknown command %s", d.Pos, d.Cmd)
			return ""
		})
	})
}
