package load_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/loadpb"
	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/load"
)

// creator is a PartitionCreator that adds the partitions to the test catalog, with fresh ids.
type creator struct {
	cat    *oneTable
	nextID int64
	calls  []string
}

func (c *creator) CreateAutoPartitions(_ context.Context, t *catalog.Table, parts []catalog.Partition) (*catalog.Table, error) {
	cur := *c.cat.tables[t.Name]
	cur.Partitions = append([]catalog.Partition(nil), cur.Partitions...)
	var names []string
	for _, p := range parts {
		names = append(names, p.Name)
		if cur.PartitionByName(p.Name) != nil {
			continue
		}
		c.nextID++
		p.ID, p.Tablets = c.nextID, []int64{c.nextID * 100, c.nextID*100 + 1}
		cur.Partitions = append(cur.Partitions, p)
	}
	c.calls = append(c.calls, strings.Join(names, ","))
	c.cat.tables[t.Name] = &cur
	return &cur, nil
}

func key(k partition.Key) string {
	var vs []string
	for _, v := range k {
		switch {
		case v.Max:
			vs = append(vs, "MAX")
		case v.Null:
			vs = append(vs, "NULL")
		default:
			vs = append(vs, v.Text)
		}
	}
	return strings.Join(vs, "/")
}

func pbKey(vs []*loadpb.Value) string {
	var k partition.Key
	for _, v := range vs {
		k = append(k, partition.Value{Text: v.GetText(), Null: v.GetNull(), Max: v.GetMax()})
	}
	return key(k)
}

// partitioned is a table of (k INT, d DATE) partitioned by RANGE(d) into months of 2024, named
// p1, p2, ...; with auto, AUTO PARTITION BY RANGE (date_trunc(d, 'month')).
func partitioned(months int, auto bool) *catalog.Table {
	t := &catalog.Table{ID: 20, DBID: 1, IndexID: 21, Name: "r",
		Columns: []catalog.Column{
			{UniqueID: 0, Name: "k", Type: types.New(types.Int), IsKey: true},
			{UniqueID: 1, Name: "d", Type: types.New(types.Date), Nullable: true},
		},
		KeysType: commonpb.KeysType_DUP_KEYS, Distribution: catalog.Distribution{Columns: []string{"k"}, Buckets: 2},
		Partitioning: &catalog.Partitioning{Kind: partition.Range, Columns: []string{"d"}, Auto: auto}}
	if auto {
		t.Partitioning.AutoUnit = "month"
	}
	for m := 1; m <= months; m++ {
		t.Partitions = append(t.Partitions, catalog.Partition{ID: int64(30 + m), Name: fmt.Sprintf("p%d", m), Tablets: []int64{int64(300 + m)},
			Bounds: &partition.Bounds{Lower: partition.Key{{Text: fmt.Sprintf("2024-%02d-01", m)}}, Upper: partition.Key{{Text: fmt.Sprintf("2024-%02d-01", m+1)}}}})
	}
	return t
}

func TestPlanCarriesPartitions(t *testing.T) {
	cat := &oneTable{tables: map[string]*catalog.Table{"r": partitioned(3, false)}}
	h := load.New(load.Config{Catalog: cat})
	p, err := h.Plan(&loadpb.PlanRequest{Db: "d", Table: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if pt := p.Partitioning; pt.GetKind() != "RANGE" || len(pt.GetColumns()) != 1 || pt.GetColumns()[0] != 1 || pt.GetAuto() || p.PartitionsRestricted {
		t.Fatalf("partitioning %v restricted %v", pt, p.PartitionsRestricted)
	}
	if len(p.Partitions) != 3 || len(p.Sink.Partitions) != 3 {
		t.Fatalf("%d partitions, %d sinks", len(p.Partitions), len(p.Sink.Partitions))
	}
	for i, want := range cat.tables["r"].Partitions {
		got := p.Partitions[i]
		if got.Id != want.ID || got.Name != want.Name || p.Sink.Partitions[i].PartitionId != want.ID || p.PartitionNames[i] != want.Name ||
			pbKey(got.Bounds.Lower) != key(want.Bounds.Lower) || pbKey(got.Bounds.Upper) != key(want.Bounds.Upper) || len(got.Bounds.In) != 0 {
			t.Errorf("partition %d: %v, want %+v", i, got, want)
		}
	}

	// The partitions header restricts (a name twice, any case, is one partition).
	p, err = h.Plan(&loadpb.PlanRequest{Db: "d", Table: "r", Partitions: "p3, P1,p1"})
	if err != nil {
		t.Fatal(err)
	}
	if !p.PartitionsRestricted || strings.Join(p.PartitionNames, ",") != "p3,p1" || len(p.Partitions) != 2 ||
		p.Partitions[0].Id != 33 || p.Partitions[1].Id != 31 || p.Sink.Partitions[0].PartitionId != 33 {
		t.Fatalf("restricted plan: %v %v %v", p.PartitionNames, p.Partitions, p.Sink.Partitions)
	}

	// A LIST table's keys, NULL among them; an unpartitioned table has no partitioning.
	lt := partitioned(0, false)
	lt.Name, lt.Partitioning.Kind = "l", partition.List
	lt.Partitions = []catalog.Partition{{ID: 40, Name: "pl", Tablets: []int64{400},
		Bounds: &partition.Bounds{In: []partition.Key{{{Text: "2024-01-01"}}, {{Null: true}}}}}}
	cat.tables["l"] = lt
	p, err = h.Plan(&loadpb.PlanRequest{Db: "d", Table: "l"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Partitioning.GetKind() != "LIST" || len(p.Partitions) != 1 || len(p.Partitions[0].Bounds.In) != 2 ||
		pbKey(p.Partitions[0].Bounds.In[0].Values) != "2024-01-01" || pbKey(p.Partitions[0].Bounds.In[1].Values) != "NULL" {
		t.Fatalf("list plan: %v %v", p.Partitioning, p.Partitions)
	}
	u := partitioned(0, false)
	u.Name, u.Partitioning = "u", nil
	u.Partitions = []catalog.Partition{{ID: 50, Name: "u", Tablets: []int64{500}}}
	cat.tables["u"] = u
	if p, err = h.Plan(&loadpb.PlanRequest{Db: "d", Table: "u"}); err != nil || p.Partitioning != nil || p.Partitions[0].Bounds != nil {
		t.Fatalf("unpartitioned plan: %v %v", p, err)
	}
}

// autoCall POSTs an auto partition request to the handler and returns the HTTP status and the
// answer.
func autoCall(t *testing.T, srv *httptest.Server, user string, req *loadpb.AutoPartitionRequest) (int, *loadpb.AutoPartitionResponse, string) {
	t.Helper()
	body, _ := protojson.Marshal(req)
	hreq, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/_auto_partitions", bytes.NewReader(body))
	hreq.SetBasicAuth(user, "")
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := &loadpb.AutoPartitionResponse{}
	if resp.StatusCode == http.StatusOK {
		if err := protojson.Unmarshal(raw, out); err != nil {
			t.Fatalf("answer %s: %v", raw, err)
		}
	}
	return resp.StatusCode, out, string(raw)
}

func dates(ds ...string) []*loadpb.Key {
	var out []*loadpb.Key
	for _, d := range ds {
		if d == "NULL" {
			out = append(out, &loadpb.Key{Values: []*loadpb.Value{{Null: true}}})
		} else {
			out = append(out, &loadpb.Key{Values: []*loadpb.Value{{Text: d}}})
		}
	}
	return out
}

func TestAutoPartitionsEndpoint(t *testing.T) {
	cat := &oneTable{tables: map[string]*catalog.Table{"r": partitioned(1, true), "fixed": partitioned(1, false)}}
	cat.tables["fixed"].Name = "fixed"
	cr := &creator{cat: cat, nextID: 1000}
	h := load.New(load.Config{Catalog: cat, Partitions: cr, Credentials: func(u string) (string, bool) { return "", u == "root" }})
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// Keys of an existing partition and of two new months, repeated and in random order: the
	// missing partitions are created in one call, and every partition holding a key is answered
	// once.
	ds := []string{"2024-01-05", "2024-03-09", "2024-03-10", "2024-01-31", "2024-07-01", "2024-03-09"}
	rand.Shuffle(len(ds), func(i, j int) { ds[i], ds[j] = ds[j], ds[i] })
	code, resp, raw := autoCall(t, srv, "root", &loadpb.AutoPartitionRequest{Db: "d", Table: "r", TableId: 20, Keys: dates(ds...)})
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, raw)
	}
	if len(cr.calls) != 1 {
		t.Fatalf("creator calls %v", cr.calls)
	}
	got := map[string]string{}
	for i, p := range resp.Partitions {
		if resp.Sinks[i].PartitionId != p.Id || len(resp.Sinks[i].TabletIds) == 0 {
			t.Errorf("partition %v has sink %v", p, resp.Sinks[i])
		}
		got[p.Name] = pbKey(p.Bounds.Lower) + ".." + pbKey(p.Bounds.Upper)
	}
	want := map[string]string{"p1": "2024-01-01..2024-02-01", "p20240301000000": "2024-03-01..2024-04-01", "p20240701000000": "2024-07-01..2024-08-01"}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(resp.Partitions) != 3 {
		t.Fatalf("answered %v, want %v", got, want)
	}
	if n := len(cat.tables["r"].Partitions); n != 3 {
		t.Fatalf("the table has %d partitions", n)
	}

	// Keys the table holds by now create nothing.
	if code, resp, raw = autoCall(t, srv, "root", &loadpb.AutoPartitionRequest{Db: "d", Table: "r", TableId: 20, Keys: dates("2024-07-04")}); code != http.StatusOK ||
		len(resp.Partitions) != 1 || resp.Partitions[0].Name != "p20240701000000" || len(cr.calls) != 1 {
		t.Fatalf("existing key: %d %s, calls %v", code, raw, cr.calls)
	}

	for _, c := range []struct {
		name string
		user string
		req  *loadpb.AutoPartitionRequest
		code int
		msg  string
	}{
		{"unknown user", "bob", &loadpb.AutoPartitionRequest{Db: "d", Table: "r", TableId: 20}, http.StatusUnauthorized, "Access denied"},
		{"unknown table", "root", &loadpb.AutoPartitionRequest{Db: "d", Table: "nope", TableId: 20}, http.StatusNotFound, "Unknown table 'nope'"},
		{"replaced table", "root", &loadpb.AutoPartitionRequest{Db: "d", Table: "r", TableId: 19, Keys: dates("2024-09-01")}, http.StatusBadRequest, "was replaced"},
		{"not auto", "root", &loadpb.AutoPartitionRequest{Db: "d", Table: "fixed", TableId: 20, Keys: dates("2024-09-01")}, http.StatusBadRequest, "has no AUTO PARTITION"},
		{"NULL range", "root", &loadpb.AutoPartitionRequest{Db: "d", Table: "r", TableId: 20, Keys: dates("NULL")}, http.StatusBadRequest, "Can't create partition for NULL Range"},
		{"not a date", "root", &loadpb.AutoPartitionRequest{Db: "d", Table: "r", TableId: 20, Keys: dates("x")}, http.StatusBadRequest, ""},
		{"two values", "root", &loadpb.AutoPartitionRequest{Db: "d", Table: "r", TableId: 20,
			Keys: []*loadpb.Key{{Values: []*loadpb.Value{{Text: "2024-09-01"}, {Text: "1"}}}}}, http.StatusBadRequest, ""},
	} {
		code, _, raw := autoCall(t, srv, c.user, c.req)
		if code != c.code || !strings.Contains(raw, c.msg) || !strings.Contains(raw, `"status": "FAILED"`) {
			t.Errorf("%s: %d %s", c.name, code, raw)
		}
	}
	if len(cr.calls) != 1 || len(cat.tables["r"].Partitions) != 3 {
		t.Fatalf("a refused request created partitions: %v", cr.calls)
	}
}
