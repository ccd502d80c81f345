package tablet_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/computetest"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/tablet"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/local"
)

// BenchmarkSelectiveScan scans a DUPLICATE tablet of 1M rows in 4 segments on a local-directory
// vault: a conjunct p = 50 on one column keeps 1% of the rows, 8 other columns (BIGINT, DECIMAL,
// DATE, VARCHAR) are projected, and the consumer, as the scan operator does, filters by the
// conjunct and then reads the rows left. The zone maps cannot prune (every page of p holds values
// below and above 50). dist=clustered: the rows kept lie in runs of 5000; dist=uniform: they are
// spread evenly (every batch has some). late=off scans then filters; late=on lets the tablet
// filter first (Scanner.Filter). cache=off reads and decodes every page in every iteration (cold);
// cache=on serves them from a warm segment page cache.
func BenchmarkSelectiveScan(b *testing.B) {
	ctx := context.Background()
	for _, dist := range []string{"clustered", "uniform"} {
		f, sch, ids := selectiveTablet(b, dist)
		snap, err := f.reader.Capture(ctx, 7, 2)
		if err != nil {
			b.Fatal(err)
		}
		i64, boolean := types.New(types.BigInt), types.New(types.Boolean)
		conj := []*planpb.Expr{call("eq", boolean, colRef(0, i64), lit(i64, 50))}
		for _, cache := range []bool{false, true} {
			for _, late := range []bool{false, true} {
				name := fmt.Sprintf("dist=%s/cache=%s/late=%s", dist, onOff(cache), onOff(late))
				b.Run(name, func(b *testing.B) {
					f.reader.Segments = nil
					if cache {
						f.reader.Segments = segment.NewCache(1 << 30)
					}
					scan := func() int64 {
						sc, err := f.reader.Scan(snap, sch, ids, 4096)
						if err != nil {
							b.Fatal(err)
						}
						sc.Reuse()
						sc.Prune(tablet.Pushdown(conj, ids, sch))
						if late {
							sc.Filter(conj)
						}
						pred, err := expr.CompileEnv(conj[0], sc.Types(), expr.Env{Scratch: true})
						if err != nil {
							b.Fatal(err)
						}
						var sel []int32
						var sum int64
						for {
							bt, err := sc.Next(ctx)
							if err != nil {
								b.Fatal(err)
							}
							if bt == nil {
								return sum
							}
							if sel, err = pred.Select(bt, sel[:0]); err != nil {
								b.Fatal(err)
							}
							for _, i := range sel {
								for _, c := range bt.Cols[1:] {
									sum += touch(c, int(i))
								}
							}
						}
					}
					want := scan() // warms the cache, when there is one
					b.ReportAllocs()
					for b.Loop() {
						if got := scan(); got != want {
							b.Fatalf("sum %d, want %d", got, want)
						}
					}
				})
			}
		}
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func touch(v *vector.Vector, i int) int64 {
	if v.IsNull(i) {
		return 1
	}
	switch v.Type.Physical() {
	case types.PhysInt64:
		return v.Int64[i] & 0xff
	case types.PhysBytes:
		return int64(len(v.Bytes[i]))
	}
	return 2
}

func selectiveTablet(b *testing.B, dist string) (*fixture, *commonpb.TabletSchema, []int32) {
	b.Helper()
	ctx := context.Background()
	st, err := local.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{meta: computetest.NewFakeMeta(inst), txn: 1}
	f.reader = &tablet.Reader{Meta: f.meta, InstanceID: inst, Vaults: func(context.Context, string) (vault.Storage, error) { return st, nil }}
	i64, dec, date, str := types.New(types.BigInt), types.DecimalOf(15, 2), types.New(types.Date), types.VarcharOf(40)
	colTypes := []types.T{i64, i64, i64, dec, dec, date, date, str, str, i64} // k, p, 8 others
	sch := &commonpb.TabletSchema{KeysType: commonpb.KeysType_DUP_KEYS, NumKeyColumns: 1}
	for k, t := range colTypes {
		sch.Columns = append(sch.Columns, &commonpb.Column{UniqueId: int32(k + 1), Name: fmt.Sprint("c", k), Type: t.Proto()})
	}
	specs := specsOf(sch)
	r := rand.New(rand.NewPCG(1, 2))
	const segRows, segs = 1 << 18, 4
	f.txn++
	rs := &metapb.RowsetMeta{RowsetId: "rs", TabletId: 7, PartitionId: 7, TxnId: f.txn, VaultId: "v", NumSegments: segs}
	if _, err := f.meta.PrepareRowset(ctx, &metapb.PrepareRowsetRequest{InstanceId: inst, Rowset: rs}); err != nil {
		b.Fatal(err)
	}
	for s := range segs {
		cols := make([]*vector.Vector, len(specs))
		for k, sp := range specs {
			cols[k] = vector.New(sp.Type, segRows)
		}
		for i := range segRows {
			row := s*segRows + i
			keep := r.IntN(100) == 0
			if dist == "clustered" {
				keep = (row/5000)%100 == 37
			}
			p := int64(r.IntN(99))
			if p >= 50 {
				p++
			}
			if keep {
				p = 50
			}
			cols[0].Int64[i] = int64(row)
			cols[1].Int64[i] = p
			cols[2].Int64[i] = r.Int64()
			cols[3].Int64[i] = r.Int64N(1e9)
			cols[4].Int64[i] = r.Int64N(1e7)
			cols[5].Int64[i] = types.DaysFromCivil(1992, 1, 1) + r.Int64N(2500)
			cols[6].Int64[i] = types.DaysFromCivil(1992, 1, 1) + int64(row/400)
			cols[7].Bytes[i] = fmt.Appendf(nil, "Customer#%09d", r.IntN(150000))
			cols[8].Bytes[i] = fmt.Appendf(nil, "comment %x quickly", r.Uint32())
			cols[9].Int64[i] = int64(r.IntN(50))
		}
		info, err := segment.WriteToVault(ctx, st, vault.SegmentPath(7, rs.RowsetId, s), specs, segment.Options{NumSortKeyColumns: 1}, func(w *segment.Writer) error {
			return w.Append(vector.NewBatch(cols, segRows))
		})
		if err != nil {
			b.Fatal(err)
		}
		rs.NumRows += info.NumRows
		rs.SegmentSizes = append(rs.SegmentSizes, info.Size)
	}
	if _, err := f.meta.CommitRowset(ctx, &metapb.CommitRowsetRequest{InstanceId: inst, Rowset: rs}); err != nil {
		b.Fatal(err)
	}
	if _, err := f.meta.CommitTxn(ctx, &metapb.CommitTxnRequest{InstanceId: inst, TxnId: f.txn}); err != nil {
		b.Fatal(err)
	}
	return f, sch, []int32{2, 3, 4, 5, 6, 7, 8, 9, 10}
}
