package stream_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/compute/load/stream"
	"github.com/doricdb/doric/compute/vector"
)

type discard struct{}

func (discard) Open(context.Context, string, int64, *computepb.TabletSink) (stream.PartitionWriter, error) {
	return discard{}, nil
}
func (discard) Append(context.Context, *vector.Batch) error { return nil }
func (discard) Close(context.Context) (*computepb.WriteResponse, error) {
	return &computepb.WriteResponse{}, nil
}
func (discard) Abort() {}

// BenchmarkCSV measures reading and converting a lineitem-like CSV body (bytes/s is the body).
func BenchmarkCSV(b *testing.B) {
	e := newEnv(b)
	e.cols = []*commonpb.Column{column("l_orderkey", "bigint", false), column("l_partkey", "bigint", true),
		column("l_suppkey", "bigint", true), column("l_linenumber", "int", true), column("l_quantity", "decimal(15,2)", true),
		column("l_extendedprice", "decimal(15,2)", true), column("l_discount", "decimal(15,2)", true), column("l_tax", "decimal(15,2)", true),
		column("l_returnflag", "varchar(1)", true), column("l_linestatus", "varchar(1)", true), column("l_shipdate", "date", true),
		column("l_commitdate", "date", true), column("l_receiptdate", "date", true), column("l_shipinstruct", "varchar(25)", true),
		column("l_shipmode", "varchar(10)", true), column("l_comment", "varchar(44)", true)}
	svc := stream.New(stream.Config{Meta: e.meta, InstanceID: "i", Writer: discard{}, Frontend: strings.TrimPrefix(e.fe.URL, "http://")})
	var body strings.Builder
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 50000 {
		fmt.Fprintf(&body, "%d|%d|%d|%d|%d.00|%d.%02d|0.0%d|0.0%d|N|O|1996-03-13|1996-02-12|1996-03-22|DELIVER IN PERSON|TRUCK|egular courts above the\n",
			i/4, r.IntN(200000), r.IntN(10000), i%7, r.IntN(50), r.IntN(100000), r.IntN(100), r.IntN(10), r.IntN(9))
	}
	data := body.String()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := range b.N {
		h := http.Header{"Column_separator": {"|"}, "Label": {fmt.Sprint("b", i)}}
		res := svc.Load(context.Background(), &stream.Request{DB: "d", Table: "t", Authorization: "Basic cm9vdDo=", Header: h, Body: strings.NewReader(data)})
		if res.Status != stream.StatusSuccess || res.NumberLoadedRows != 50000 {
			b.Fatalf("%+v", res)
		}
	}
}
