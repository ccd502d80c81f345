package compaction_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/compaction"
	"github.com/doricdb/doric/compute/load"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/server"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/metaservice/client"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/metaservice/rowset"
	metaserver "github.com/doricdb/doric/metaservice/server"
	"github.com/doricdb/doric/vault"
	"google.golang.org/grpc"
)

const inst = "compaction-test"

// env is a real Meta Service (embedded KV store, gRPC on loopback), a local vault, and one
// table of one partition with a few tablets.
type env struct {
	t       *testing.T
	r       *rand.Rand
	db      kv.DB
	meta    *client.Client
	vaults  vault.Resolver
	vaultID string
	schema  *commonpb.TabletSchema
	loader  *load.Loader
	tablets []int64
	labels  atomic.Int64
}

const (
	dbID      = int64(10)
	tableID   = int64(20)
	indexID   = int64(30)
	partition = int64(40)
)

func newEnv(t *testing.T, r *rand.Rand, schema *commonpb.TabletSchema, buckets int, opts ...metaserver.Option) *env {
	t.Helper()
	ctx := context.Background()
	db, err := local.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	metaserver.New(db, opts...).Register(gs)
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	meta, err := client.Dial(dctx, lis.Addr().String(), inst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { meta.Close() })
	if _, err := meta.CreateInstance(ctx, &metapb.CreateInstanceRequest{InstanceId: inst, Name: inst,
		DefaultVault: &metapb.StorageVault{Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: t.TempDir()}}}}); err != nil {
		t.Fatal(err)
	}
	info, err := meta.GetInstance(ctx, &metapb.GetInstanceRequest{InstanceId: inst})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, r: r, db: db, meta: meta, vaults: server.MetaVaults(meta, inst), vaultID: info.GetInstance().GetDefaultVaultId(), schema: schema}
	req := &metapb.CreateTabletsRequest{InstanceId: inst}
	for b := range buckets {
		id := int64(1000 + b)
		e.tablets = append(e.tablets, id)
		req.Tablets = append(req.Tablets, &metapb.TabletMeta{TabletId: id, DbId: dbID, TableId: tableID, IndexId: indexID,
			PartitionId: partition, VaultId: e.vaultID, Schema: schema})
	}
	if _, err := meta.CreateTablets(ctx, req); err != nil {
		t.Fatal(err)
	}
	e.loader = &load.Loader{Meta: meta, InstanceID: inst, Vaults: e.vaults, MaxTabletVersionNum: -1,
		Segment: segment.Options{PageSize: 256 + r.IntN(8192)}}
	return e
}

func (e *env) compactor(cfg compaction.Config) *compaction.Compactor {
	e.t.Helper()
	cfg.Meta, cfg.InstanceID, cfg.Vaults = e.meta, inst, e.vaults
	if cfg.NodeID == "" {
		cfg.NodeID = "node-1"
	}
	if cfg.SegmentRows == 0 {
		cfg.SegmentRows = 1 + e.r.IntN(64)
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 1 + e.r.IntN(100)
	}
	cfg.Segment = segment.Options{PageSize: 256 + e.r.IntN(8192)}
	c, err := compaction.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(c.Stop)
	return c
}

func (e *env) sink() *computepb.TabletSink {
	return &computepb.TabletSink{DbId: dbID, TableId: tableID, IndexId: indexID, Schema: e.schema, VaultId: e.vaultID,
		DistributionColumns: []int32{0}, Partitions: []*computepb.PartitionSink{{PartitionId: partition, TabletIds: e.tablets}}}
}

// load writes rows in one transaction and commits it; the Write error is returned.
func (e *env) load(ctx context.Context, rows *vector.Batch) error {
	label := fmt.Sprint("l", e.labels.Add(1))
	b, err := e.meta.BeginTxn(ctx, &metapb.BeginTxnRequest{InstanceId: inst, DbId: dbID, Label: label, TableIds: []int64{tableID}, TimeoutMs: 60_000})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.loader.Write(ctx, &computepb.WriteRequest{LoadId: label, TxnId: b.GetTxnId(), Sink: e.sink(), Rows: vector.ToProto(rows)}); err != nil {
		e.meta.AbortTxn(ctx, &metapb.AbortTxnRequest{InstanceId: inst, DbId: dbID, TxnId: b.GetTxnId(), Reason: err.Error()})
		return err
	}
	if _, err := e.meta.CommitTxn(ctx, &metapb.CommitTxnRequest{InstanceId: inst, DbId: dbID, TxnId: b.GetTxnId()}); err != nil {
		e.t.Fatal(err)
	}
	return nil
}

// deleteWhere commits a delete rowset (no segments, a predicate) into every tablet, as DELETE FROM
// on a DUPLICATE or AGGREGATE table does.
func (e *env) deleteWhere(ctx context.Context, p *commonpb.DeletePredicate) {
	label := fmt.Sprint("d", e.labels.Add(1))
	b, err := e.meta.BeginTxn(ctx, &metapb.BeginTxnRequest{InstanceId: inst, DbId: dbID, Label: label, TableIds: []int64{tableID}, TimeoutMs: 60_000})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, id := range e.tablets {
		rs := &metapb.RowsetMeta{RowsetId: fmt.Sprintf("%s-%d", label, id), TabletId: id, PartitionId: partition, IndexId: indexID,
			TxnId: b.GetTxnId(), VaultId: e.vaultID, DeletePredicates: []*commonpb.DeletePredicate{p}}
		if _, err := e.meta.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{InstanceId: inst, Rowset: rs}); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.meta.CommitRowset(ctx, &metapb.CommitRowsetRequest{InstanceId: inst, Rowset: rs}); err != nil {
			e.t.Fatal(err)
		}
	}
	if _, err := e.meta.CommitTxn(ctx, &metapb.CommitTxnRequest{InstanceId: inst, DbId: dbID, TxnId: b.GetTxnId()}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) rowsets(ctx context.Context, id int64) []*metapb.RowsetMeta {
	e.t.Helper()
	resp, err := e.meta.GetRowsets(ctx, &metapb.GetRowsetsRequest{InstanceId: inst, TabletId: id, StartVersion: 0, EndVersion: math.MaxInt64})
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.GetRowsets()
}

func (e *env) rowsetCount(ctx context.Context) int {
	n := 0
	for _, id := range e.tablets {
		n += len(e.rowsets(ctx, id))
	}
	return n
}

// contents reads every tablet through the tablet reader with the table's schema (the model,
// deletes and tombstones applied) and returns its rows as text, per tablet, in key order.
func (e *env) contents(ctx context.Context) [][]string {
	e.t.Helper()
	r := &tablet.Reader{Meta: e.meta, InstanceID: inst, Vaults: e.vaults}
	var visible []int32
	for _, c := range e.schema.GetColumns() {
		if !c.GetHidden() {
			visible = append(visible, c.GetUniqueId())
		}
	}
	var out [][]string
	for _, id := range e.tablets {
		snap, err := r.Capture(ctx, id, math.MaxInt64)
		if err != nil {
			e.t.Fatal(err)
		}
		sc, err := r.Scan(snap, e.schema, visible, 1+e.r.IntN(50))
		if err != nil {
			e.t.Fatal(err)
		}
		var rows []string
		for {
			b, err := sc.Next(ctx)
			if err != nil {
				e.t.Fatal(err)
			}
			if b == nil {
				break
			}
			b = b.Compact()
			for i := range b.N {
				var parts []string
				for _, c := range b.Cols {
					parts = append(parts, c.Format(i))
				}
				rows = append(rows, strings.Join(parts, "|"))
			}
		}
		if e.schema.GetKeysType() == commonpb.KeysType_DUP_KEYS {
			slices.Sort(rows) // a DUPLICATE scan is not merged across rowsets
		}
		out = append(out, rows)
	}
	return out
}

// recycled reports whether the rowset has a recycle entry.
func (e *env) recycled(ctx context.Context, rs *metapb.RowsetMeta) bool {
	var m *metapb.RecycleRowset
	if err := e.db.View(ctx, func(tx kv.ReadTxn) (err error) {
		m, err = rowset.Marked(tx, inst, rs.GetTabletId(), rs.GetRowsetId())
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return m != nil
}

func col(id int32, name string, t types.T, nullable, key bool, agg string) *commonpb.Column {
	return &commonpb.Column{UniqueId: id, Name: name, Type: t.Proto(), Nullable: nullable, IsKey: key, Aggregation: agg}
}

// schemaOf is k1 INT, k2 VARCHAR(8) NULL (keys) and five value columns, in the given model;
// UNIQUE tables get the hidden delete sign.
func schemaOf(kind commonpb.KeysType) *commonpb.TabletSchema {
	aggs := []string{"", "", "", "", ""}
	if kind == commonpb.KeysType_AGG_KEYS {
		aggs = []string{"SUM", "MAX", "MIN", "REPLACE", "REPLACE_IF_NOT_NULL"}
	}
	s := &commonpb.TabletSchema{KeysType: kind, NumKeyColumns: 2, Columns: []*commonpb.Column{
		col(1, "k1", types.New(types.Int), false, true, ""), col(2, "k2", types.VarcharOf(8), true, true, ""),
		col(3, "sum_v", types.New(types.BigInt), true, false, aggs[0]), col(4, "max_v", types.New(types.Int), true, false, aggs[1]),
		col(5, "min_v", types.DecimalOf(12, 2), true, false, aggs[2]), col(6, "rep_v", types.VarcharOf(16), true, false, aggs[3]),
		col(7, "rinn_v", types.New(types.Date), true, false, aggs[4]),
	}}
	if kind == commonpb.KeysType_UNIQUE_KEYS {
		s.Columns = append(s.Columns, &commonpb.Column{UniqueId: 8, Name: "__DORIS_DELETE_SIGN__", Type: types.New(types.TinyInt).Proto(),
			HasDefault: true, DefaultValue: "0", Hidden: true, Aggregation: "REPLACE"})
		idx := int32(len(s.Columns) - 1)
		s.DeleteSignIdx = &idx
	}
	return s
}

// randomRows makes n rows with colliding keys and NULLs; tombstones (UNIQUE) with probability
// del.
func (e *env) randomRows(n int, del float64) *vector.Batch {
	cols := make([]*vector.Vector, len(e.schema.GetColumns()))
	for k, c := range e.schema.GetColumns() {
		cols[k] = vector.New(types.FromProto(c.GetType()), n)
	}
	r := e.r
	for i := range n {
		cols[0].Int64[i] = r.Int64N(30)
		if r.IntN(8) == 0 {
			cols[1].SetNull(i)
		} else {
			cols[1].Bytes[i] = []byte(fmt.Sprint("s", r.IntN(3)))
		}
		for k := 2; k <= 6; k++ {
			if r.IntN(6) == 0 {
				cols[k].SetNull(i)
				continue
			}
			switch k {
			case 2:
				cols[k].Int64[i] = r.Int64N(1e6) - 5e5
			case 3:
				cols[k].Int64[i] = r.Int64N(1000)
			case 4:
				cols[k].Int64[i] = r.Int64N(1e6)
			case 5:
				cols[k].Bytes[i] = []byte(fmt.Sprint("v", r.IntN(1000)))
			case 6:
				cols[k].Int64[i] = 19000 + r.Int64N(500)
			}
		}
		if len(cols) > 7 && r.Float64() < del {
			cols[7].Int64[i] = 1
		}
	}
	return vector.NewBatch(cols, n)
}

// markedNotVisible lists the rowsets of the tablet with a recycle entry that are not visible.
func (e *env) markedNotVisible(ctx context.Context, tabletID int64, visible []*metapb.RowsetMeta) []string {
	e.t.Helper()
	vis := map[string]bool{}
	for _, m := range visible {
		vis[m.GetRowsetId()] = true
	}
	var out []string
	begin, end := keys.RecycleRowsetRange(inst)
	if err := e.db.View(ctx, func(tx kv.ReadTxn) error {
		kvs, err := tx.GetRange(begin, end, 0, false)
		if err != nil {
			return err
		}
		out = out[:0]
		for _, p := range kvs {
			k, err := keys.ParseRecycleRowset(p.Key)
			if err != nil {
				return err
			}
			if k.TabletID == tabletID && !vis[k.RowsetID] {
				out = append(out, k.RowsetID)
			}
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}
