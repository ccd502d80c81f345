package server_test

import (
	"fmt"
	"github.com/doricdb/doric/metaservice/kv/local/localtest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
)

// BenchmarkCommitTxn measures commit_txn on the embedded store through gRPC: b.N loads, each
// one rowset on one of 32 tablets (4 partitions × 8 buckets), are begun and their rowsets
// committed untimed; then `loaders` goroutines commit them concurrently. It reports commit_txn
// throughput (txn/s) and the p50/p99 latency of one CommitTxn call.
//
//	go test -run '^$' -bench CommitTxn -benchtime 2000x ./metaservice/server
func BenchmarkCommitTxn(b *testing.B) {
	for _, loaders := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("loaders=%d", loaders), func(b *testing.B) {
			db := localtest.Open(b)
			cl := &cluster{c: serve(b, db)}
			bootstrapBench(b, cl)
			c := cl.c
			txns := make([]int64, b.N)
			for i := range b.N {
				tb := tabletID(int64(1+i%4), (i/4)%8)
				bt, err := c.BeginTxn(ctx, &metapb.BeginTxnRequest{DbId: dbID, Label: fmt.Sprint("bench-", i), TableIds: []int64{table}})
				if err != nil {
					b.Fatal(err)
				}
				rs := &metapb.RowsetMeta{RowsetId: fmt.Sprint("bench-", i), TabletId: tb, TxnId: bt.GetTxnId(), NumRows: 1000, TotalSize: 1 << 20, NumSegments: 1, SegmentSizes: []int64{1 << 20}}
				if _, err := c.CommitRowset(ctx, &metapb.CommitRowsetRequest{Rowset: rs}); err != nil {
					b.Fatal(err)
				}
				txns[i] = bt.GetTxnId()
			}
			lat := make([]time.Duration, b.N)
			work := make(chan int, b.N)
			for i := range b.N {
				work <- i
			}
			close(work)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range loaders {
				wg.Go(func() {
					for i := range work {
						t := time.Now()
						if _, err := c.CommitTxn(ctx, &metapb.CommitTxnRequest{DbId: dbID, TxnId: txns[i]}); err != nil {
							b.Error(err)
							return
						}
						lat[i] = time.Since(t)
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "txn/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
		})
	}
}

// bootstrapBench is bootstrap for a benchmark: instance, group, 4 partitions × 8 buckets.
func bootstrapBench(b *testing.B, cl *cluster) {
	c := cl.c
	if _, err := c.CreateInstance(ctx, &metapb.CreateInstanceRequest{
		DefaultVault: &metapb.StorageVault{Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: b.TempDir()}}},
	}); err != nil {
		b.Fatal(err)
	}
	var tablets []*metapb.TabletMeta
	for p := int64(1); p <= 4; p++ {
		for bk := range 8 {
			tablets = append(tablets, &metapb.TabletMeta{TabletId: tabletID(p, bk), DbId: dbID, TableId: table, IndexId: index, PartitionId: p})
		}
	}
	if _, err := c.CreateTablets(ctx, &metapb.CreateTabletsRequest{Tablets: tablets}); err != nil {
		b.Fatal(err)
	}
}
