package stream_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/pierrec/lz4/v4"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/loadpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/load/stream"
	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// fakeMeta keeps transactions in memory: what the stream service needs of the Meta Service.
type fakeMeta struct {
	metapb.MetaServiceClient
	mu     sync.Mutex
	next   int64
	txns   map[int64]*metapb.TxnInfo
	labels map[string]int64
	log    []string
}

func newFakeMeta() *fakeMeta {
	return &fakeMeta{next: 100, txns: map[int64]*metapb.TxnInfo{}, labels: map[string]int64{}}
}

func (m *fakeMeta) BeginTxn(_ context.Context, in *metapb.BeginTxnRequest, _ ...grpc.CallOption) (*metapb.BeginTxnResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id, ok := m.labels[in.Label]; ok && m.txns[id].Status != metapb.TxnStatus_TXN_ABORTED {
		return &metapb.BeginTxnResponse{LabelExists: true, Existing: m.txns[id]}, nil
	}
	m.next++
	m.txns[m.next] = &metapb.TxnInfo{TxnId: m.next, Label: in.Label, Status: metapb.TxnStatus_TXN_PREPARED}
	m.labels[in.Label] = m.next
	m.log = append(m.log, fmt.Sprintf("begin %s", label(in.Label)))
	return &metapb.BeginTxnResponse{TxnId: m.next}, nil
}

// label hides the random part of generated labels.
func label(l string) string {
	if strings.HasPrefix(l, "group_commit_") {
		return "group_commit_*"
	}
	if len(l) == 36 && strings.Count(l, "-") == 4 {
		return "<uuid>"
	}
	return l
}

func (m *fakeMeta) set(id int64, s metapb.TxnStatus, what string) (*metapb.TxnInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.txns[id]
	if !ok {
		return nil, fmt.Errorf("no txn %d", id)
	}
	t.Status = s
	m.log = append(m.log, fmt.Sprintf("%s %s", what, label(t.Label)))
	return t, nil
}

func (m *fakeMeta) CommitTxn(_ context.Context, in *metapb.CommitTxnRequest, _ ...grpc.CallOption) (*metapb.CommitTxnResponse, error) {
	t, err := m.set(in.TxnId, metapb.TxnStatus_TXN_VISIBLE, "commit")
	return &metapb.CommitTxnResponse{Txn: t}, err
}

func (m *fakeMeta) PrecommitTxn(_ context.Context, in *metapb.PrecommitTxnRequest, _ ...grpc.CallOption) (*metapb.PrecommitTxnResponse, error) {
	t, err := m.set(in.TxnId, metapb.TxnStatus_TXN_PRECOMMITTED, "precommit")
	return &metapb.PrecommitTxnResponse{Txn: t}, err
}

func (m *fakeMeta) AbortTxn(_ context.Context, in *metapb.AbortTxnRequest, _ ...grpc.CallOption) (*metapb.AbortTxnResponse, error) {
	t, err := m.set(in.TxnId, metapb.TxnStatus_TXN_ABORTED, "abort")
	return &metapb.AbortTxnResponse{Txn: t}, err
}

// fakeWriter records the rows written, by txn, and the partition of each.
type fakeWriter struct {
	mu    sync.Mutex
	rows  map[int64][]string
	parts map[int64][]int64
	n     int
}

func (w *fakeWriter) Open(_ context.Context, loadID string, txnID int64, sink *computepb.TabletSink) (stream.PartitionWriter, error) {
	if n := len(sink.GetPartitions()); n != 1 {
		return nil, fmt.Errorf("a writer for %d partitions", n)
	}
	return &fakeSession{w: w, txn: txnID, partition: sink.GetPartitions()[0].GetPartitionId()}, nil
}

// fakeSession buffers a partition's rows and records them at Close, as one write.
type fakeSession struct {
	w         *fakeWriter
	txn       int64
	partition int64
	rows      []string
}

func (f *fakeSession) Append(_ context.Context, b *vector.Batch) error {
	for i := range b.N {
		var fs []string
		for _, c := range b.Cols {
			fs = append(fs, c.Format(i))
		}
		f.rows = append(f.rows, strings.Join(fs, ","))
	}
	return nil
}

func (f *fakeSession) Close(context.Context) (*computepb.WriteResponse, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	f.w.n++
	for _, r := range f.rows {
		f.w.parts[f.txn] = append(f.w.parts[f.txn], f.partition)
		f.w.rows[f.txn] = append(f.w.rows[f.txn], r)
	}
	return &computepb.WriteResponse{NumRows: int64(len(f.rows))}, nil
}

func (f *fakeSession) Abort() {}

// env is a stream service with a fake frontend (plans for one table), Meta Service and writer.
type env struct {
	meta   *fakeMeta
	writer *fakeWriter
	svc    *stream.Service
	fe     *httptest.Server
	node   *httptest.Server
	cols   []*commonpb.Column
	props  map[string]int64
	// A partitioned table (nil pt: unpartitioned): its partitions, and the auto partition
	// requests the fake frontend answered.
	mu       sync.Mutex
	pt       *loadpb.Partitioning
	spec     partition.Spec
	parts    []fakePartition
	autoLog  []string
	autoFail string // when set, /api/_auto_partitions fails with this message
}

type fakePartition struct {
	id     int64
	name   string
	bounds *partition.Bounds
}

func newEnv(t testing.TB) *env {
	e := &env{meta: newFakeMeta(), writer: &fakeWriter{rows: map[int64][]string{}, parts: map[int64][]int64{}}, props: map[string]int64{}}
	fe := http.NewServeMux()
	fe.HandleFunc("POST /api/_load_plan", e.plan)
	fe.HandleFunc("POST /api/_auto_partitions", e.autoPartitions)
	e.fe = httptest.NewServer(fe)
	t.Cleanup(e.fe.Close)
	e.svc = stream.New(stream.Config{Meta: e.meta, InstanceID: "i", Writer: e.writer, Frontend: strings.TrimPrefix(e.fe.URL, "http://")})
	mux := http.NewServeMux()
	e.svc.Register(mux)
	e.node = httptest.NewServer(mux)
	t.Cleanup(e.node.Close)
	t.Cleanup(e.svc.Close)
	return e
}

// plan answers like the frontend for table "t": `columns` may list names (no expressions); a
// table column not listed is NULL.
func (e *env) plan(w http.ResponseWriter, r *http.Request) {
	if u, _, ok := r.BasicAuth(); !ok || u != "root" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"status": "FAILED", "msg": "Access denied"}`)
		return
	}
	body, _ := io.ReadAll(r.Body)
	req := &loadpb.PlanRequest{}
	if err := protojson.Unmarshal(body, req); err != nil || req.Table != "t" {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"status": "FAILED", "msg": "Unknown table '%s'"}`, req.Table)
		return
	}
	var sources []string
	if req.Columns != "" {
		for _, c := range strings.Split(req.Columns, ",") {
			sources = append(sources, strings.TrimSpace(c))
		}
	} else {
		for _, c := range e.cols {
			sources = append(sources, c.Name)
		}
	}
	resp := &loadpb.PlanResponse{DbId: 1, SourceColumns: sources, PartitionNames: []string{"t"},
		GroupCommitIntervalMs: 10000, GroupCommitDataBytes: 64 << 20,
		Sink: &computepb.TabletSink{DbId: 1, TableId: 2, IndexId: 3, Schema: &commonpb.TabletSchema{Columns: e.cols},
			Partitions: []*computepb.PartitionSink{{PartitionId: 4, TabletIds: []int64{5}}}}}
	if e.pt != nil {
		if err := e.planPartitions(resp, req.Partitions); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"status": "FAILED", "msg": %q}`, err.Error())
			return
		}
	}
	if v, ok := e.props["group_commit_interval_ms"]; ok {
		resp.GroupCommitIntervalMs = v
	}
	if v, ok := e.props["group_commit_data_bytes"]; ok {
		resp.GroupCommitDataBytes = v
	}
	for _, c := range e.cols {
		k := -1
		for i, s := range sources {
			if strings.EqualFold(s, c.Name) {
				k = i
			}
		}
		if k < 0 {
			resp.Targets = append(resp.Targets, &planpb.Expr{Type: c.Type, Nullable: true, Kind: &planpb.Expr_Literal{Literal: &planpb.Literal{IsNull: true}}})
			continue
		}
		resp.Targets = append(resp.Targets, &planpb.Expr{Type: types.New(types.String).Proto(), Nullable: true,
			Kind: &planpb.Expr_Column{Column: &planpb.ColumnRef{Index: int32(k)}}})
	}
	out, _ := protojson.Marshal(resp)
	_, _ = w.Write(out)
}

// put sends a stream load to the node.
func (e *env) put(t *testing.T, table string, headers http.Header, body string) (*stream.Result, string) {
	req, _ := http.NewRequest(http.MethodPut, e.node.URL+"/api/d/"+table+"/_stream_load", strings.NewReader(body))
	req.SetBasicAuth("root", "")
	for k, vs := range headers {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	res := parseResult(t, out)
	return res, string(out)
}

func parseResult(t *testing.T, out []byte) *stream.Result {
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("result is not JSON: %v\n%s", err, out)
	}
	num := func(k string) int64 { f, _ := m[k].(float64); return int64(f) }
	s := func(k string) string { v, _ := m[k].(string); return v }
	return &stream.Result{TxnID: num("TxnId"), Label: s("Label"), Status: s("Status"), ExistingJobStatus: s("ExistingJobStatus"),
		Message: s("Message"), NumberTotalRows: num("NumberTotalRows"), NumberLoadedRows: num("NumberLoadedRows"),
		NumberFilteredRows: num("NumberFilteredRows"), NumberUnselectedRows: num("NumberUnselectedRows"),
		LoadBytes: num("LoadBytes"), ErrorURL: s("ErrorURL"), TwoPhaseCommit: s("TwoPhaseCommit") == "true", GroupCommit: m["GroupCommit"] == true}
}

func (e *env) errorLog(t *testing.T, url string) string {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func column(name, typ string, nullable bool) *commonpb.Column {
	var t types.T
	switch {
	case typ == "int":
		t = types.New(types.Int)
	case typ == "bigint":
		t = types.New(types.BigInt)
	case typ == "date":
		t = types.New(types.Date)
	case typ == "datetime":
		t = types.DateTimeOf(0)
	case typ == "double":
		t = types.New(types.Double)
	case strings.HasPrefix(typ, "decimal"):
		var p, s int32
		fmt.Sscanf(typ, "decimal(%d,%d)", &p, &s)
		t = types.DecimalOf(p, s)
	case strings.HasPrefix(typ, "varchar"):
		var n int32
		fmt.Sscanf(typ, "varchar(%d)", &n)
		t = types.VarcharOf(n)
	default:
		t = types.New(types.String)
	}
	return &commonpb.Column{Name: name, Type: t.Proto(), Nullable: nullable}
}

// TestLoads runs the loads of testdata/loads: `table` defines the table (name:type[:notnull]),
// `partition` partitions it (see env.partition), `load` sends a body with headers and prints the
// result, the rows each txn wrote (with their partitions), the error log, the auto partition
// requests and the transactions' history.
func TestLoads(t *testing.T) {
	datadriven.Walk(t, "testdata/loads", func(t *testing.T, path string) {
		e := newEnv(t)
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "table":
				e.cols, e.pt, e.parts, e.autoFail, e.autoLog = nil, nil, nil, "", nil
				for _, f := range strings.Fields(d.Input) {
					parts := strings.Split(f, ":")
					e.cols = append(e.cols, column(parts[0], parts[1], len(parts) < 3))
				}
				for _, a := range d.CmdArgs {
					n, _ := strconv.ParseInt(a.Vals[0], 10, 64)
					e.props[a.Key] = n
				}
				return ""
			case "partition":
				e.partition(t, d)
				return ""
			case "auto-fail":
				// The frontend's auto partition requests fail with the input as message.
				e.mu.Lock()
				e.autoFail = strings.TrimSpace(d.Input)
				e.mu.Unlock()
				return ""
			case "load":
				h := http.Header{}
				table := "t"
				for _, a := range d.CmdArgs {
					if a.Key == "table" {
						table = a.Vals[0]
						continue
					}
					h.Set(a.Key, strings.Join(a.Vals, ","))
				}
				body := strings.ReplaceAll(d.Input, `<TAB>`, "\t")
				e.meta.mu.Lock()
				e.meta.log = nil
				e.meta.mu.Unlock()
				res, raw := e.put(t, table, h, body)
				return e.report(t, res, raw)
			case "group":
				// n concurrent loads of the input's lines, one line each.
				lines := strings.Split(strings.TrimSpace(d.Input), "\n")
				h := http.Header{}
				for _, a := range d.CmdArgs {
					h.Set(a.Key, strings.Join(a.Vals, ","))
				}
				e.meta.mu.Lock()
				e.meta.log = nil
				e.meta.mu.Unlock()
				before := e.writer.n
				results := make([]*stream.Result, len(lines))
				var wg sync.WaitGroup
				for i, l := range lines {
					wg.Add(1)
					go func() {
						defer wg.Done()
						results[i], _ = e.put(t, "t", h, l+"\n")
					}()
				}
				wg.Wait()
				var b strings.Builder
				txns := map[int64]bool{}
				for _, r := range results {
					if r.Status == stream.StatusSuccess {
						txns[r.TxnID] = true
					}
					fmt.Fprintf(&b, "%s group=%t loaded=%d filtered=%d label=%s\n", r.Status, r.GroupCommit, r.NumberLoadedRows, r.NumberFilteredRows, label(r.Label))
				}
				fmt.Fprintf(&b, "transactions: %d, writes: %d\n", len(txns), e.writer.n-before)
				var rows []string
				for id := range txns {
					rows = append(rows, e.writer.rows[id]...)
				}
				sort.Strings(rows)
				fmt.Fprintf(&b, "rows: %s\n", strings.Join(rows, " "))
				return b.String()
			}
			t.Fatalf("unknown command %s", d.Cmd)
			return ""
		})
	})
}

func (e *env) report(t *testing.T, r *stream.Result, raw string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status: %s\n", r.Status)
	if r.ExistingJobStatus != "" {
		fmt.Fprintf(&b, "existing: %s\n", r.ExistingJobStatus)
	}
	fmt.Fprintf(&b, "message: %s\n", r.Message)
	fmt.Fprintf(&b, "rows: total %d, loaded %d, filtered %d, unselected %d\n", r.NumberTotalRows, r.NumberLoadedRows, r.NumberFilteredRows, r.NumberUnselectedRows)
	if r.TwoPhaseCommit {
		b.WriteString("two-phase commit\n")
	}
	if r.NumberTotalRows != r.NumberLoadedRows+r.NumberFilteredRows+r.NumberUnselectedRows {
		t.Errorf("counts do not add up: %s", raw)
	}
	if r.TxnID > 0 {
		for i, row := range e.writer.rows[r.TxnID] {
			if e.pt != nil {
				fmt.Fprintf(&b, "wrote %s: %s\n", e.partitionName(e.writer.parts[r.TxnID][i]), row)
			} else {
				fmt.Fprintf(&b, "wrote: %s\n", row)
			}
		}
	}
	e.mu.Lock()
	for _, l := range e.autoLog {
		fmt.Fprintf(&b, "auto partitions: %s\n", l)
	}
	e.autoLog = nil
	e.mu.Unlock()
	if r.ErrorURL != "" {
		for _, l := range strings.Split(strings.TrimSpace(e.errorLog(t, r.ErrorURL)), "\n") {
			fmt.Fprintf(&b, "error log: %s\n", l)
		}
	} else if r.NumberFilteredRows > 0 {
		t.Errorf("filtered rows without an ErrorURL: %s", raw)
	}
	e.meta.mu.Lock()
	for _, l := range e.meta.log {
		fmt.Fprintf(&b, "meta: %s\n", l)
	}
	e.meta.mu.Unlock()
	return b.String()
}

func TestResultJSON(t *testing.T) {
	r := &stream.Result{TxnID: 7, Label: "l<1>", Status: stream.StatusSuccess, Message: "OK", NumberTotalRows: 3, NumberLoadedRows: 2,
		NumberFilteredRows: 1, LoadBytes: 10, LoadTimeMs: 5, BeginTxnTimeMs: 1, ErrorURL: "http://h/api/_load_error_log?file=x&y"}
	got, _ := r.MarshalJSON()
	want := `{
    "TxnId": 7,
    "Label": "l<1>",
    "Comment": "",
    "TwoPhaseCommit": "false",
    "Status": "Success",
    "Message": "OK",
    "NumberTotalRows": 3,
    "NumberLoadedRows": 2,
    "NumberFilteredRows": 1,
    "NumberUnselectedRows": 0,
    "LoadBytes": 10,
    "LoadTimeMs": 5,
    "BeginTxnTimeMs": 1,
    "StreamLoadPutTimeMs": 0,
    "ReadDataTimeMs": 0,
    "WriteDataTimeMs": 0,
    "CommitAndPublishTimeMs": 0,
    "ErrorURL": "http://h/api/_load_error_log?file=x&y"
}`
	if string(got) != want {
		t.Errorf("success:\n%s\nwant\n%s", got, want)
	}
	r = &stream.Result{TxnID: -1, Label: "l", Status: stream.StatusLabelExists, ExistingJobStatus: "RUNNING", Message: "m"}
	got, _ = r.MarshalJSON()
	if !strings.Contains(string(got), `"Status": "Label Already Exists",
    "ExistingJobStatus": "RUNNING",
    "Message": "m",`) || strings.Contains(string(got), "ErrorURL") {
		t.Errorf("label exists:\n%s", got)
	}
	r = &stream.Result{GroupCommit: true, Status: stream.StatusSuccess}
	got, _ = r.MarshalJSON()
	if s := string(got); !strings.Contains(s, `"GroupCommit": true,`) || strings.Contains(s, "TwoPhaseCommit") ||
		strings.Contains(s, "BeginTxnTimeMs") || strings.Contains(s, "CommitAndPublishTimeMs") || strings.Contains(s, "ExistingJobStatus") {
		t.Errorf("group commit:\n%s", got)
	}
}

func TestParseOptions(t *testing.T) {
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	o, err := stream.ParseOptions(h())
	if err != nil || o.Format != "csv" || string(o.ColumnSeparator) != "\t" || string(o.LineDelimiter) != "\n" ||
		o.Timeout != stream.DefaultTimeout || o.MaxFilterRatio != 0 || o.Escape != '\\' {
		t.Fatalf("defaults: %+v %v", o, err)
	}
	o, err = stream.ParseOptions(h("column_separator", `\x01\x02`, "line_delimiter", `\r\n`, "format", "JSON",
		"max_filter_ratio", "0.25", "timeout", "30", "strict_mode", "TRUE", "two_phase_commit", "true",
		"jsonpaths", `["$.a", "$.b"]`, "exec_mem_limit", "100", "enclose", `"`, "compress_type", "GZ"))
	if err != nil || string(o.ColumnSeparator) != "\x01\x02" || string(o.LineDelimiter) != "\r\n" || o.Format != "json" ||
		o.MaxFilterRatio != 0.25 || o.Timeout != 30*time.Second || !o.StrictMode || !o.TwoPhaseCommit || len(o.JSONPaths) != 2 ||
		o.Enclose != '"' || o.Compress != "gz" {
		t.Fatalf("parsed: %+v %v", o, err)
	}
	for _, bad := range []http.Header{
		h("max_filter_ratio", "1.5"), h("max_filter_ratio", "x"), h("format", "orcx"), h("timeout", "0"),
		h("strict_mode", "yes"), h("label", "a b"), h("label", strings.Repeat("x", 129)), h("column_separator", `\xZZ`),
		h("group_commit", "async_mode", "label", "l"), h("group_commit", "sync_mode", "two_phase_commit", "true"),
		h("group_commit", "fast"), h("jsonpaths", "$.a"), h("enclose", "ab"), h("compress_type", "rar"), h("skip_lines", "-1"),
	} {
		if _, err := stream.ParseOptions(bad); err == nil {
			t.Errorf("accepted %v", bad)
		} else if _, ok := err.(*stream.OptionError); !ok {
			t.Errorf("%v: error %T %v", bad, err, err)
		}
	}
}

func TestErrorLogsBounded(t *testing.T) {
	s := &stream.ErrorLogs{MaxBytes: 100}
	r := rand.New(rand.NewPCG(rand.Uint64(), 1))
	var ids []string
	for range 20 {
		ids = append(ids, s.Put([]byte(strings.Repeat("x", 10+r.IntN(30)))))
	}
	if _, ok := s.Get(ids[len(ids)-1]); !ok {
		t.Fatal("the newest report is gone")
	}
	if _, ok := s.Get(ids[0]); ok {
		t.Fatal("the store kept more than its bytes")
	}
}

type pqRow struct {
	K    int32   `parquet:"k"`
	Name *string `parquet:"name,optional"`
}

// TestFormatsAndCompression loads the same rows as parquet and as compressed CSV.
func TestFormatsAndCompression(t *testing.T) {
	e := newEnv(t)
	e.cols = []*commonpb.Column{column("k", "int", false), column("name", "varchar(3)", true)}
	a, long := "abc", "abcd"
	var pq bytes.Buffer
	if err := parquet.Write(&pq, []pqRow{{K: 1, Name: &a}, {K: 2}, {K: 3, Name: &long}}); err != nil {
		t.Fatal(err)
	}
	res, raw := e.put(t, "t", http.Header{"Format": {"parquet"}, "Max_filter_ratio": {"0.5"}}, pq.String())
	if res.Status != stream.StatusSuccess || res.NumberLoadedRows != 2 || res.NumberFilteredRows != 1 || res.LoadBytes != int64(pq.Len()) {
		t.Fatalf("parquet: %s", raw)
	}
	if got := strings.Join(e.writer.rows[res.TxnID], " "); got != "1,abc 2,NULL" {
		t.Fatalf("parquet rows: %s", got)
	}
	if log := e.errorLog(t, res.ErrorURL); !strings.Contains(log, "line 3, column 2 (name)") || !strings.Contains(log, "'abcd'") {
		t.Fatalf("parquet error log: %s", log)
	}

	csv := "4,d\n5,e\n"
	for _, c := range []struct {
		name string
		w    func(io.Writer) io.WriteCloser
	}{
		{"gz", func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }},
		{"deflate", func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) }},
		{"lz4", func(w io.Writer) io.WriteCloser { return lz4.NewWriter(w) }},
		{"zstd", func(w io.Writer) io.WriteCloser { z, _ := zstd.NewWriter(w); return z }},
	} {
		var b bytes.Buffer
		w := c.w(&b)
		_, _ = w.Write([]byte(csv))
		w.Close()
		res, raw := e.put(t, "t", http.Header{"Compress_type": {c.name}, "Column_separator": {","}}, b.String())
		if res.Status != stream.StatusSuccess || res.NumberLoadedRows != 2 || res.LoadBytes != int64(b.Len()) {
			t.Fatalf("%s: %s", c.name, raw)
		}
		if got := strings.Join(e.writer.rows[res.TxnID], " "); got != "4,d 5,e" {
			t.Fatalf("%s rows: %s", c.name, got)
		}
	}
	res, raw = e.put(t, "t", http.Header{"Compress_type": {"gz"}}, csv)
	if res.Status != stream.StatusFail || !strings.Contains(res.Message, "gz") {
		t.Fatalf("a body that is not gzip: %s", raw)
	}
}
