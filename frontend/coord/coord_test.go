package coord

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"google.golang.org/grpc"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/parser"
)

// versionMeta answers GetVersion with version 1 + partition id % 7 and records what it was asked.
type versionMeta struct {
	metapb.MetaServiceClient
	asked []int64
}

func (m *versionMeta) GetVersion(_ context.Context, r *metapb.GetVersionRequest, _ ...grpc.CallOption) (*metapb.GetVersionResponse, error) {
	resp := &metapb.GetVersionResponse{}
	for _, p := range r.GetPartitions() {
		m.asked = append(m.asked, p.GetPartitionId())
		resp.Versions = append(resp.Versions, &metapb.PartitionVersion{PartitionId: p.GetPartitionId(), Version: 1 + p.GetPartitionId()%7})
	}
	return resp, nil
}

type oneDB struct{ d *catalog.Database }

func (o oneDB) Database(name string) (*catalog.Database, bool) { return o.d, name == o.d.Name }

// TestScanRangesFollowPruning checks that a query reads (and pins the versions of) only the
// partitions the binder kept: one scan range per tablet of those.
func TestScanRangesFollowPruning(t *testing.T) {
	st, err := parser.ParseOne(`CREATE TABLE s (dt DATE NOT NULL, k INT NOT NULL) DUPLICATE KEY(dt)
		PARTITION BY RANGE(dt) (FROM ("2024-01-01") TO ("2024-07-01") INTERVAL 1 MONTH) DISTRIBUTED BY HASH(k) BUCKETS 3`)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := binder.BuildTable("d", st.(*ast.CreateTable))
	if err != nil {
		t.Fatal(err)
	}
	tb.ID, tb.DBID = 10, 1
	next := int64(100)
	for i := range tb.Partitions {
		tb.Partitions[i].ID = next
		for b := int64(1); b <= 3; b++ {
			tb.Partitions[i].Tablets = append(tb.Partitions[i].Tablets, next+b)
		}
		next += 10
	}
	cat := oneDB{&catalog.Database{ID: 1, Name: "d", Tables: []*catalog.Table{tb}}}
	lookup := func(id int64) (*catalog.Table, error) { return tb, nil }
	for _, c := range []struct {
		where string
		parts []string
	}{
		{"", []string{"p_202401", "p_202402", "p_202403", "p_202404", "p_202405", "p_202406"}},
		{"WHERE dt = '2024-03-15'", []string{"p_202403"}},
		{"WHERE dt >= '2024-05-01' OR dt < '2024-01-10'", []string{"p_202401", "p_202405", "p_202406"}},
		{"WHERE dt > '2025-01-01'", nil},
	} {
		st, err := parser.ParseOne("SELECT count(*) FROM s " + c.where)
		if err != nil {
			t.Fatal(err)
		}
		q, err := binder.BindSelect(cat, "d", st.(*ast.Select))
		if err != nil {
			t.Fatal(err)
		}
		m := &versionMeta{}
		co := New(Config{Meta: m, InstanceID: "i"})
		ranges, err := co.ScanRanges(context.Background(), q.Fragment, q.ScanPartitions(), lookup)
		if err != nil {
			t.Fatal(err)
		}
		var want, got []string
		for _, name := range c.parts {
			p := tb.PartitionByName(name)
			for _, tab := range p.Tablets {
				want = append(want, fmt.Sprintf("%d/%d@%d", p.ID, tab, 1+p.ID%7))
			}
		}
		for _, r := range ranges {
			got = append(got, fmt.Sprintf("%d/%d@%d", r.PartitionId, r.TabletId, r.Version))
		}
		sort.Strings(want)
		sort.Strings(got)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%q: scan ranges %v, want %v", c.where, got, want)
		}
		if len(m.asked) != len(c.parts) {
			t.Errorf("%q: pinned the versions of %d partitions, want %d", c.where, len(m.asked), len(c.parts))
		}
	}
}
