package server_test

import (
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
)

func TestTableStatsRPCs(t *testing.T) {
	cl := start(t, filepath.Join(t.TempDir(), "meta.db"))
	cl.bootstrap(1)
	c := cl.c
	names := func(cols []*metapb.ColumnStats) []string {
		var out []string
		for _, x := range cols {
			out = append(out, x.GetColumn())
		}
		return out
	}
	get := func(tableID int64, cols ...string) []*metapb.ColumnStats {
		t.Helper()
		r, err := c.GetTableStats(ctx, &metapb.GetTableStatsRequest{TableId: tableID, Columns: cols})
		cl.must(err, "get table stats")
		return r.GetColumns()
	}
	if got := get(table); len(got) != 0 {
		t.Fatalf("stats before any put: %v", got)
	}
	b := &metapb.ColumnStats{Column: "b", RowCount: 10, Ndv: 3, NullCount: 1, HasMinMax: true, Min: "1", Max: "9", AvgSize: 4, DataSize: 36, UpdateTimeMs: 5, Version: 2}
	a := &metapb.ColumnStats{Column: "a", RowCount: 10, Ndv: 10, HasMinMax: true, Min: "x", Max: "z", AvgSize: 1.5}
	other := &metapb.ColumnStats{Column: "a", RowCount: 99}
	_, err := c.PutTableStats(ctx, &metapb.PutTableStatsRequest{TableId: table, Columns: []*metapb.ColumnStats{b, a}})
	cl.must(err, "put")
	_, err = c.PutTableStats(ctx, &metapb.PutTableStatsRequest{TableId: table + 1, Columns: []*metapb.ColumnStats{other}})
	cl.must(err, "put other table")
	all := get(table)
	if len(all) != 2 || !proto.Equal(all[0], a) || !proto.Equal(all[1], b) {
		t.Fatalf("all columns: %v", all)
	}
	if got := names(get(table, "b", "zz", "b")); len(got) != 1 || got[0] != "b" {
		t.Fatalf("named columns: %v", got)
	}
	// A put replaces the column's statistics and leaves the others.
	b2 := &metapb.ColumnStats{Column: "b", RowCount: 20, Ndv: 4}
	_, err = c.PutTableStats(ctx, &metapb.PutTableStatsRequest{TableId: table, Columns: []*metapb.ColumnStats{b2}})
	cl.must(err, "put again")
	if got := get(table, "a", "b"); len(got) != 2 || !proto.Equal(got[0], a) || !proto.Equal(got[1], b2) {
		t.Fatalf("after replace: %v", got)
	}
	_, err = c.DropTableStats(ctx, &metapb.DropTableStatsRequest{TableId: table, Columns: []string{"a"}})
	cl.must(err, "drop a")
	if got := names(get(table)); len(got) != 1 || got[0] != "b" {
		t.Fatalf("after dropping a: %v", got)
	}
	_, err = c.DropTableStats(ctx, &metapb.DropTableStatsRequest{TableId: table})
	cl.must(err, "drop all")
	if got := get(table); len(got) != 0 {
		t.Fatalf("after dropping all: %v", got)
	}
	if got := get(table + 1); len(got) != 1 || !proto.Equal(got[0], other) {
		t.Fatalf("the other table's stats: %v", got)
	}
	if _, err := c.PutTableStats(ctx, &metapb.PutTableStatsRequest{TableId: table, Columns: []*metapb.ColumnStats{{RowCount: 1}}}); code(err) != codes.InvalidArgument {
		t.Fatalf("put without a column name: %v", err)
	}
	if _, err := c.DropTableStats(ctx, &metapb.DropTableStatsRequest{}); code(err) != codes.InvalidArgument {
		t.Fatalf("drop without a table: %v", err)
	}
}
