package ddl

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"

	"google.golang.org/grpc"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/parser"
)

// partMeta records the partition lifecycle calls the executor makes; other methods panic.
type partMeta struct {
	metapb.MetaServiceClient
	mu               sync.Mutex
	prepared         map[int64]bool // partition → prepared and not committed
	live, dropped    map[int64]bool
	tablets          map[int64]int64 // tablet → partition
	tabletCalls      int
	failCreateTablet bool
	statsDropped     map[int64]bool // tables whose column statistics were dropped
}

func (m *partMeta) DropTableStats(_ context.Context, r *metapb.DropTableStatsRequest, _ ...grpc.CallOption) (*metapb.DropTableStatsResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(r.GetColumns()) == 0 {
		m.statsDropped[r.GetTableId()] = true
	}
	return &metapb.DropTableStatsResponse{}, nil
}

func newPartMeta() *partMeta {
	return &partMeta{prepared: map[int64]bool{}, live: map[int64]bool{}, dropped: map[int64]bool{}, tablets: map[int64]int64{}, statsDropped: map[int64]bool{}}
}

func (m *partMeta) GetStorageVault(context.Context, *metapb.GetStorageVaultRequest, ...grpc.CallOption) (*metapb.GetStorageVaultResponse, error) {
	return &metapb.GetStorageVaultResponse{Vault: &metapb.StorageVault{Id: "1", Name: "built_in"}}, nil
}

func (m *partMeta) check(r *metapb.PartitionRequest) error {
	if r.GetDbId() <= 0 || r.GetTableId() <= 0 || len(r.GetIndexIds()) != 1 || len(r.GetPartitionIds()) == 0 || len(r.GetPartitionIds()) > partitionsPerRequest {
		return fmt.Errorf("bad partition request %v", r)
	}
	return nil
}

func (m *partMeta) PreparePartition(_ context.Context, r *metapb.PartitionRequest, _ ...grpc.CallOption) (*metapb.PartitionResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(r); err != nil {
		return nil, err
	}
	for _, id := range r.GetPartitionIds() {
		m.prepared[id] = true
	}
	return &metapb.PartitionResponse{}, nil
}

func (m *partMeta) CommitPartition(_ context.Context, r *metapb.PartitionRequest, _ ...grpc.CallOption) (*metapb.PartitionResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(r); err != nil {
		return nil, err
	}
	for _, id := range r.GetPartitionIds() {
		if !m.prepared[id] {
			return nil, fmt.Errorf("commit of partition %d, which was not prepared", id)
		}
		delete(m.prepared, id)
		m.live[id] = true
	}
	return &metapb.PartitionResponse{}, nil
}

func (m *partMeta) DropPartition(_ context.Context, r *metapb.PartitionRequest, _ ...grpc.CallOption) (*metapb.PartitionResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(r); err != nil {
		return nil, err
	}
	if !r.GetUpdateTableVersion() {
		return nil, errors.New("drop without a table version bump")
	}
	for _, id := range r.GetPartitionIds() {
		delete(m.prepared, id)
		delete(m.live, id)
		m.dropped[id] = true
	}
	return &metapb.PartitionResponse{}, nil
}

func (m *partMeta) CreateTablets(_ context.Context, r *metapb.CreateTabletsRequest, _ ...grpc.CallOption) (*metapb.CreateTabletsResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tabletCalls++
	if m.failCreateTablet {
		return nil, errors.New("meta service unavailable")
	}
	if len(r.GetTablets()) > tabletsPerRequest {
		return nil, fmt.Errorf("%d tablets in one request", len(r.GetTablets()))
	}
	for _, t := range r.GetTablets() {
		if !m.prepared[t.GetPartitionId()] {
			return nil, fmt.Errorf("tablet %d of partition %d, which is not prepared", t.GetTabletId(), t.GetPartitionId())
		}
		m.tablets[t.GetTabletId()] = t.GetPartitionId()
	}
	return &metapb.CreateTabletsResponse{}, nil
}

func ids(m map[int64]bool) []int64 {
	var out []int64
	for id := range m {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func newExecutor(t *testing.T) (*Executor, *partMeta) {
	t.Helper()
	c, err := catalog.Open(context.Background(), catalog.Config{Dir: t.TempDir(), NodeID: "fe"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.CreateDatabase("db", false); err != nil {
		t.Fatal(err)
	}
	m := newPartMeta()
	return &Executor{Catalog: c, Meta: m, InstanceID: "i"}, m
}

func create(t *testing.T, e *Executor, sql string) *catalog.Table {
	t.Helper()
	st, err := parser.ParseOne(sql)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := binder.BuildTable("db", st.(*ast.CreateTable))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.CreateTable(context.Background(), "db", tb, false); err != nil {
		t.Fatal(err)
	}
	got, err := e.Catalog.Table("db", tb.Name)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func alter(t *testing.T, sql string) ast.AlterTableOp {
	t.Helper()
	st, err := parser.ParseOne(sql)
	if err != nil {
		t.Fatal(err)
	}
	return st.(*ast.AlterTable).Op
}

// partitionIDsOf lists a table's partition ids, sorted.
func partitionIDsOf(tb *catalog.Table) []int64 {
	out := partitionIDs(tb.Partitions)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func TestPartitionLifecycle(t *testing.T) {
	ctx := context.Background()
	e, m := newExecutor(t)
	// 61 daily partitions × 10 buckets: more tablets than one CreateTablets request takes.
	tb := create(t, e, `CREATE TABLE t (d DATE NOT NULL, k INT) DUPLICATE KEY(d)
		PARTITION BY RANGE(d) (FROM ("2024-01-01") TO ("2024-03-02") INTERVAL 1 DAY) DISTRIBUTED BY HASH(k) BUCKETS 10`)
	if len(tb.Partitions) != 61 || m.tabletCalls < 2 || len(m.tablets) != 610 {
		t.Fatalf("%d partitions, %d tablets in %d calls", len(tb.Partitions), len(m.tablets), m.tabletCalls)
	}
	if got := ids(m.live); !reflect.DeepEqual(got, partitionIDsOf(tb)) || len(m.prepared) != 0 {
		t.Fatalf("live partitions %v, prepared %v; the table has %v", got, ids(m.prepared), partitionIDsOf(tb))
	}
	seen := map[int64]bool{}
	for _, p := range tb.Partitions {
		if len(p.Tablets) != 10 {
			t.Fatalf("partition %s has %d tablets", p.Name, len(p.Tablets))
		}
		for _, id := range p.Tablets {
			if seen[id] || m.tablets[id] != p.ID {
				t.Fatalf("tablet %d: seen %v, created for partition %d, catalog says %d", id, seen[id], m.tablets[id], p.ID)
			}
			seen[id] = true
		}
	}

	// ADD PARTITION with its own buckets.
	if err := e.AddPartition(ctx, "db", "t", alter(t, `ALTER TABLE t ADD PARTITION p_later VALUES [("2024-06-01"), ("2024-07-01")) DISTRIBUTED BY HASH(k) BUCKETS 3`).(*ast.AddPartition)); err != nil {
		t.Fatal(err)
	}
	tb, _ = e.Catalog.Table("db", "t")
	later := tb.PartitionByName("p_later")
	if later == nil || len(later.Tablets) != 3 || !m.live[later.ID] {
		t.Fatalf("added partition %+v, live %v", later, m.live[later.ID])
	}
	calls := m.tabletCalls
	var ce *catalog.Error
	if err := e.AddPartition(ctx, "db", "t", alter(t, `ALTER TABLE t ADD PARTITION P_LATER VALUES LESS THAN MAXVALUE`).(*ast.AddPartition)); !errors.As(err, &ce) || ce.Kind != catalog.PartitionExists {
		t.Fatalf("duplicate name: %v", err)
	}
	if err := e.AddPartition(ctx, "db", "t", alter(t, `ALTER TABLE t ADD PARTITION IF NOT EXISTS p_later VALUES LESS THAN MAXVALUE`).(*ast.AddPartition)); err != nil || m.tabletCalls != calls {
		t.Fatalf("IF NOT EXISTS: %v, %d tablet calls", err, m.tabletCalls-calls)
	}

	// A failure before the journal leaves no live partition: the prepared one is dropped.
	m.failCreateTablet = true
	err := e.AddPartition(ctx, "db", "t", alter(t, `ALTER TABLE t ADD PARTITION p_fail VALUES LESS THAN MAXVALUE`).(*ast.AddPartition))
	m.failCreateTablet = false
	if err == nil || len(m.prepared) != 0 {
		t.Fatalf("failed add: %v, prepared %v", err, ids(m.prepared))
	}
	if tb2, _ := e.Catalog.Table("db", "t"); tb2.PartitionByName("p_fail") != nil || len(tb2.Partitions) != 62 {
		t.Fatal("a failed ADD PARTITION changed the table")
	}

	// AUTO PARTITION racing another load: the partition exists by the time this one journals.
	stale := *tb
	if err := e.AddPartition(ctx, "db", "t", alter(t, `ALTER TABLE t ADD PARTITION p_aug VALUES [("2024-08-01"), ("2024-09-01"))`).(*ast.AddPartition)); err != nil {
		t.Fatal(err)
	}
	now, err := e.CreateAutoPartitions(ctx, &stale, []catalog.Partition{{Name: "p_aug", Bounds: tb.PartitionByName("p_later").Bounds}})
	if err != nil {
		t.Fatal(err)
	}
	if aug := now.PartitionByName("p_aug"); aug == nil || !m.live[aug.ID] || len(m.prepared) != 0 {
		t.Fatalf("after the race: %+v, prepared %v", aug, ids(m.prepared))
	}

	// DROP PARTITION hands exactly that partition to the recycler.
	before := len(m.dropped)
	if err := e.DropPartition(ctx, "db", "t", alter(t, `ALTER TABLE t DROP PARTITION p_later`).(*ast.DropPartition)); err != nil {
		t.Fatal(err)
	}
	if !m.dropped[later.ID] || m.live[later.ID] || len(m.dropped) != before+1 {
		t.Fatalf("dropped %v, want %d", ids(m.dropped), later.ID)
	}

	// DROP TABLE and DROP DATABASE hand every partition to the recycler.
	tb, _ = e.Catalog.Table("db", "t")
	if err := e.DropTable(ctx, "db", "t", false); err != nil {
		t.Fatal(err)
	}
	for _, id := range partitionIDsOf(tb) {
		if !m.dropped[id] {
			t.Fatalf("partition %d of a dropped table is not dropped", id)
		}
	}
	if !m.statsDropped[tb.ID] {
		t.Fatalf("the column statistics of dropped table %d are not dropped", tb.ID)
	}
	u := create(t, e, `CREATE TABLE u (k INT NOT NULL) DISTRIBUTED BY HASH(k) BUCKETS 2`)
	if len(u.Partitions) != 1 || u.Partitions[0].Name != "u" || !m.live[u.Partitions[0].ID] {
		t.Fatalf("implicit partition %+v", u.Partitions)
	}
	if err := e.DropDatabase(ctx, "db", false); err != nil {
		t.Fatal(err)
	}
	if len(m.live) != 0 || len(m.prepared) != 0 || !m.statsDropped[u.ID] {
		t.Fatalf("after DROP DATABASE: live %v, prepared %v, statistics dropped %v", ids(m.live), ids(m.prepared), ids(m.statsDropped))
	}
}
