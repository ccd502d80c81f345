package opt_test

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/parser"
)

// fixture is a catalog (database "d": the TPC-H tables plus a partitioned table) whose
// statistics are fixed row counts (TPC-H's at scale factor 1).
type fixture struct {
	db   *catalog.Database
	rows map[string]float64
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
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{db: &catalog.Database{ID: 1, Name: "d"}, rows: map[string]float64{
		"region": 5, "nation": 25, "supplier": 10000, "customer": 150000, "orders": 1500000, "lineitem": 6000000, "sales": 3000,
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
