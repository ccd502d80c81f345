package stream_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/load/stream"
)

var reasonLine = regexp.MustCompile(`^Reason: line [1-9][0-9]*, column [1-9][0-9]*( \([^)]*\))?: .+\. src line \[`)

// FuzzLoad sends arbitrary bodies through a whole load (reader, conversion, filter ratio,
// transaction): no input panics, the counts add up, a load either commits every row it counts as
// loaded or aborts, and every rejected row is reported with its line and column.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("1,abcd,1.5,2024-01-01,2024-01-01 10:00:00,1e3,7\n"), byte(0))
	f.Add([]byte("x,toolong,999999,2024-02-30,nope,NaN,\\N\n,,,,,,\n"), byte(1))
	f.Add([]byte(`[{"k": 1, "s": "a", "d": 1.25}, {"k": null}, 5]`), byte(2))
	f.Add([]byte(`{"k": 1, "dt": "2024-01-01T00:00:00"}`+"\n"+`{"k": "9999999999"}`), byte(3))
	e := newEnv(f)
	e.cols = []*commonpb.Column{column("k", "int", false), column("s", "varchar(4)", true), column("d", "decimal(5,2)", true),
		column("day", "date", true), column("dt", "datetime", true), column("f", "double", true), column("b", "bigint", true)}
	logs := &stream.ErrorLogs{}
	svc := stream.New(stream.Config{Meta: e.meta, InstanceID: "i", Writer: e.writer, Frontend: strings.TrimPrefix(e.fe.URL, "http://"), ErrorLogs: logs})
	n := 0
	f.Fuzz(func(t *testing.T, body []byte, mode byte) {
		n++
		h := http.Header{"Label": {fmt.Sprint("f", n)}, "Column_separator": {","}, "Max_filter_ratio": {fmt.Sprint(float64(mode>>4) / 15)}}
		switch mode % 4 {
		case 2:
			h.Set("Format", "json")
			h.Set("Strip_outer_array", "true")
		case 3:
			h.Set("Format", "json")
			h.Set("Read_json_by_line", "true")
		}
		if mode&4 != 0 {
			h.Set("Strict_mode", "true")
		}
		if mode&8 != 0 {
			h.Set("Enclose", `"`)
		}
		res := svc.Load(context.Background(), &stream.Request{DB: "d", Table: "t", Authorization: "Basic cm9vdDo=", Header: h,
			Body: strings.NewReader(string(body)), Host: "node"})
		if strings.Contains(res.Message, "BUG") {
			t.Fatalf("%+v", res)
		}
		if res.NumberTotalRows != res.NumberLoadedRows+res.NumberFilteredRows+res.NumberUnselectedRows {
			t.Fatalf("counts: %+v", res)
		}
		e.meta.mu.Lock()
		txn := e.meta.txns[res.TxnID]
		e.meta.mu.Unlock()
		switch res.Status {
		case stream.StatusSuccess:
			if txn == nil || txn.Status != metapb.TxnStatus_TXN_VISIBLE || int64(len(e.writer.rows[res.TxnID])) != res.NumberLoadedRows {
				t.Fatalf("success without its rows: %+v, txn %v, %d rows", res, txn, len(e.writer.rows[res.TxnID]))
			}
		case stream.StatusFail:
			if txn != nil && txn.Status != metapb.TxnStatus_TXN_ABORTED {
				t.Fatalf("failed load left txn %v", txn)
			}
		default:
			t.Fatalf("status %q", res.Status)
		}
		if res.NumberFilteredRows > 0 {
			u, err := url.Parse(res.ErrorURL)
			if err != nil || res.ErrorURL == "" {
				t.Fatalf("filtered rows without an error URL: %+v", res)
			}
			text, ok := logs.Get(u.Query().Get("file"))
			if !ok {
				t.Fatalf("no error log behind %s", res.ErrorURL)
			}
			lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
			if int64(len(lines)) != min(res.NumberFilteredRows, stream.MaxErrorRows) {
				t.Fatalf("%d filtered rows, %d reported:\n%s", res.NumberFilteredRows, len(lines), text)
			}
			for _, l := range lines {
				if !reasonLine.MatchString(l) {
					t.Fatalf("a rejected row without line and column: %q", l)
				}
			}
		}
	})
}
