package stream

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/loadpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/load/format"
	"github.com/doricdb/doric/compute/vector"
)

// Writer opens the writer of one partition of a load transaction (the node's *load.Loader,
// whose sessions flush memtables while rows keep coming).
type Writer interface {
	Open(ctx context.Context, loadID string, txnID int64, sink *computepb.TabletSink) (PartitionWriter, error)
}

// PartitionWriter takes a partition's rows in any number of batches; Close registers them with
// the txn (rowsets of its tablets), Abort gives up (the txn is aborted by the caller).
type PartitionWriter interface {
	Append(ctx context.Context, b *vector.Batch) error
	Close(ctx context.Context) (*computepb.WriteResponse, error)
	Abort()
}

// Config wires a Service.
type Config struct {
	Meta       metapb.MetaServiceClient
	InstanceID string
	Writer     Writer
	// Frontend is the frontend's HTTP address (host:port): load plans come from there and
	// _stream_load_2pc requests are redirected there.
	Frontend   string
	HTTPClient *http.Client // default: one with a 60 s timeout
	ErrorLogs  *ErrorLogs   // default: a fresh store
	Logger     *slog.Logger
	Now        func() time.Time
	// Coordinator is written into every txn this service begins: this node and the start of this
	// process, so that the node's next incarnation can abort what this one leaves PREPARED.
	Coordinator *metapb.TxnCoordinator
	// Committer commits a load's transaction (the node's *publish.Publisher, which computes
	// merge-on-write delete bitmaps first). Nil: the Meta Service's CommitTxn, which is right
	// only for tables that are not merge-on-write (tests of this package).
	Committer Committer
}

// Committer commits a load transaction (*publish.Publisher).
type Committer interface {
	Commit(ctx context.Context, dbID, txnID int64) (*metapb.CommitTxnResponse, error)
}

// metaCommitter commits through the Meta Service alone.
type metaCommitter struct {
	meta       metapb.MetaServiceClient
	instanceID string
}

func (m metaCommitter) Commit(ctx context.Context, dbID, txnID int64) (*metapb.CommitTxnResponse, error) {
	return m.meta.CommitTxn(ctx, &metapb.CommitTxnRequest{InstanceId: m.instanceID, DbId: dbID, TxnId: txnID})
}

// Service runs stream loads on a compute node. See the package doc.
type Service struct {
	cfg    Config
	groups *groupCommitter
}

// New returns a service.
func New(cfg Config) *Service {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.ErrorLogs == nil {
		cfg.ErrorLogs = &ErrorLogs{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Committer == nil {
		cfg.Committer = metaCommitter{meta: cfg.Meta, instanceID: cfg.InstanceID}
	}
	s := &Service{cfg: cfg}
	s.groups = newGroupCommitter(s)
	return s
}

// Close stops the group committer, committing what it holds.
func (s *Service) Close() { s.groups.close() }

// Register adds the endpoints to mux.
func (s *Service) Register(mux *http.ServeMux) {
	mux.HandleFunc("PUT /api/{db}/{table}/_stream_load", s.serveLoad)
	mux.HandleFunc("PUT /api/{db}/_stream_load_2pc", s.redirectToFrontend)
	mux.Handle("GET /api/_load_error_log", s.cfg.ErrorLogs)
}

func (s *Service) serveLoad(w http.ResponseWriter, r *http.Request) {
	res := s.Load(r.Context(), &Request{DB: r.PathValue("db"), Table: r.PathValue("table"),
		Authorization: r.Header.Get("Authorization"), Header: r.Header, Body: r.Body, Host: r.Host})
	out, _ := res.MarshalJSON()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(append(out, '\n'))
}

func (s *Service) redirectToFrontend(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Frontend == "" {
		http.Error(w, `{"status": "Fail", "msg": "this compute node does not know the frontend"}`, http.StatusServiceUnavailable)
		return
	}
	http.Redirect(w, r, "http://"+s.cfg.Frontend+r.URL.RequestURI(), http.StatusTemporaryRedirect)
}

// Request is one stream load.
type Request struct {
	DB, Table     string
	Authorization string // forwarded to the frontend with the plan request
	Header        http.Header
	Body          io.Reader
	Host          string // the host:port the client reached this node at (for ErrorURL)
}

// Load runs a stream load to the end and returns its result (never nil).
func (s *Service) Load(ctx context.Context, req *Request) (res *Result) {
	start := s.cfg.Now()
	res = &Result{TxnID: -1, Status: StatusFail}
	var dbID int64
	defer func() {
		if r := recover(); r != nil {
			// A bug, not the user's input: fail this load (and its transaction), keep the node.
			res.Status, res.Message = StatusFail, fmt.Sprintf("BUG: stream load panicked: %v", r)
			s.cfg.Logger.Error("stream load panicked", "label", res.Label, "panic", r)
			if res.TxnID > 0 {
				_, _ = s.cfg.Meta.AbortTxn(context.WithoutCancel(ctx), &metapb.AbortTxnRequest{InstanceId: s.cfg.InstanceID,
					DbId: dbID, TxnId: res.TxnID, Reason: res.Message})
			}
		}
		res.LoadTimeMs = s.cfg.Now().Sub(start).Milliseconds()
	}()
	opts, err := ParseOptions(req.Header)
	if err != nil {
		res.Message = err.Error()
		return res
	}
	res.Label, res.Comment, res.TwoPhaseCommit = opts.Label, opts.Comment, opts.TwoPhaseCommit
	if res.Label == "" {
		res.Label = newUUID()
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	t := s.cfg.Now()
	plan, err := s.fetchPlan(ctx, req, opts)
	res.StreamLoadPutTimeMs = s.cfg.Now().Sub(t).Milliseconds()
	if err != nil {
		res.Message = err.Error()
		return res
	}
	dbID = plan.GetDbId()
	if opts.GroupCommit != "" {
		s.groupLoad(ctx, req, opts, plan, res)
		return res
	}

	t = s.cfg.Now()
	begin, err := s.cfg.Meta.BeginTxn(ctx, &metapb.BeginTxnRequest{InstanceId: s.cfg.InstanceID, DbId: plan.GetDbId(),
		Label: res.Label, TableIds: []int64{plan.GetSink().GetTableId()}, TimeoutMs: opts.Timeout.Milliseconds(), Coordinator: s.cfg.Coordinator})
	res.BeginTxnTimeMs = s.cfg.Now().Sub(t).Milliseconds()
	if err != nil {
		res.Message = fmt.Sprintf("begin transaction: %v", err)
		return res
	}
	if begin.GetLabelExists() {
		labelExists(res, begin.GetExisting())
		return res
	}
	res.TxnID = begin.GetTxnId()
	abort := func(reason string) {
		res.Status, res.Message = StatusFail, reason
		_, aerr := s.cfg.Meta.AbortTxn(context.WithoutCancel(ctx), &metapb.AbortTxnRequest{InstanceId: s.cfg.InstanceID,
			DbId: plan.GetDbId(), TxnId: res.TxnID, Reason: reason})
		if aerr != nil {
			s.cfg.Logger.Warn("abort stream load txn", "txn", res.TxnID, "label", res.Label, "err", aerr)
		}
	}

	w := s.newWriters(plan, res.TxnID, res.Label)
	_, errs, err := s.read(ctx, req, opts, plan, res, w)
	if url := s.errorURL(req, errs); url != "" {
		res.ErrorURL = url
	}
	if err != nil {
		w.abort()
		abort(err.Error())
		return res
	}

	t = s.cfg.Now()
	err = w.close(ctx)
	res.WriteDataTimeMs = s.cfg.Now().Sub(t).Milliseconds()
	if err != nil {
		abort(err.Error())
		return res
	}

	t = s.cfg.Now()
	defer func() { res.CommitAndPublishTimeMs = s.cfg.Now().Sub(t).Milliseconds() }()
	if opts.TwoPhaseCommit {
		if _, err := s.cfg.Meta.PrecommitTxn(ctx, &metapb.PrecommitTxnRequest{InstanceId: s.cfg.InstanceID, DbId: plan.GetDbId(), TxnId: res.TxnID}); err != nil {
			abort(fmt.Sprintf("precommit transaction %d: %v", res.TxnID, err))
			return res
		}
		res.Status, res.Message = StatusSuccess, "OK"
		return res
	}
	commit, err := s.cfg.Committer.Commit(ctx, plan.GetDbId(), res.TxnID)
	if err != nil {
		// The commit may have happened even though its answer was lost: ask before aborting.
		got, gerr := s.cfg.Meta.GetTxn(context.WithoutCancel(ctx), &metapb.GetTxnRequest{InstanceId: s.cfg.InstanceID, DbId: plan.GetDbId(), TxnId: res.TxnID})
		if gerr != nil || got.GetTxn().GetStatus() != metapb.TxnStatus_TXN_VISIBLE && got.GetTxn().GetStatus() != metapb.TxnStatus_TXN_COMMITTED {
			abort(fmt.Sprintf("commit transaction %d: %v", res.TxnID, err))
			return res
		}
		commit = &metapb.CommitTxnResponse{Txn: got.GetTxn()}
	}
	if commit.GetTxn().GetStatus() == metapb.TxnStatus_TXN_COMMITTED {
		res.Status, res.Message = StatusPublishTimeout, "transaction commit successfully, BUT data will be visible later"
		return res
	}
	res.Status, res.Message = StatusSuccess, "OK"
	return res
}

// labelExists fills the result of a load whose label an earlier load holds.
func labelExists(res *Result, existing *metapb.TxnInfo) {
	res.Status = StatusLabelExists
	res.ExistingJobStatus = "RUNNING"
	switch existing.GetStatus() {
	case metapb.TxnStatus_TXN_COMMITTED, metapb.TxnStatus_TXN_VISIBLE:
		res.ExistingJobStatus = "FINISHED"
	}
	res.Message = fmt.Sprintf("[LABEL_ALREADY_EXISTS]Label [%s] has already been used, relate to txn [%d], status [%s]",
		res.Label, existing.GetTxnId(), strings.TrimPrefix(existing.GetStatus().String(), "TXN_"))
}

// read reads and converts the whole body. An error fails the load: the body could not be read
// or parsed, or too many rows were filtered.
//
// With w, the rows of each chunk go to their partitions' writers as soon as it is converted (the
// converter then holds no rows); without (group commit), they stay in the converter.
func (s *Service) read(ctx context.Context, req *Request, opts *Options, plan *loadpb.PlanResponse, res *Result, w *writers) (*converter, []format.RowError, error) {
	t := s.cfg.Now()
	defer func() { res.ReadDataTimeMs = s.cfg.Now().Sub(t).Milliseconds() }()
	body := &countingReader{r: req.Body, ctx: ctx}
	defer func() { res.LoadBytes = body.n }()
	create := func(keys []*loadpb.Key) (*loadpb.AutoPartitionResponse, error) {
		return s.fetchAutoPartitions(ctx, req, plan, keys)
	}
	conv, err := newConverter(plan, opts.StrictMode, create)
	if err != nil {
		return nil, nil, err
	}
	rd, err := s.reader(body, opts, plan)
	if err != nil {
		return nil, nil, err
	}
	var errs []format.RowError
	chunks := readAhead(rd)
	defer chunks.stop()
	for {
		ch, err := chunks.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.count(conv, res)
			var se *format.SyntaxError
			if errors.As(err, &se) {
				return nil, errs, fmt.Errorf("[DATA_QUALITY_ERROR]%v", se)
			}
			return nil, errs, fmt.Errorf("read the load body: %w", err)
		}
		rejected, err := conv.convert(ch)
		errs = append(errs, rejected...)
		if err != nil {
			s.count(conv, res)
			return nil, errs, err
		}
		if w != nil {
			for _, a := range conv.parts {
				if err := w.push(ctx, a); err != nil {
					s.count(conv, res)
					return nil, errs, err
				}
			}
		}
	}
	s.count(conv, res)
	if sel := res.NumberTotalRows - res.NumberUnselectedRows; sel > 0 && float64(res.NumberFilteredRows)/float64(sel) > opts.MaxFilterRatio {
		return nil, errs, errors.New("[DATA_QUALITY_ERROR]too many filtered rows")
	}
	return conv, errs, nil
}

func (s *Service) count(conv *converter, res *Result) {
	res.NumberLoadedRows, res.NumberFilteredRows, res.NumberUnselectedRows = conv.loaded, conv.filtered, conv.unsel
	res.NumberTotalRows = conv.loaded + conv.filtered + conv.unsel
}

// reader opens the body in its format.
func (s *Service) reader(body io.Reader, opts *Options, plan *loadpb.PlanResponse) (format.Reader, error) {
	var err error
	switch opts.Compress {
	case "gz":
		if body, err = gzip.NewReader(body); err != nil {
			return nil, fmt.Errorf("[DATA_QUALITY_ERROR]compress_type gz: %v", err)
		}
	case "bz2":
		body = bzip2.NewReader(body)
	case "deflate":
		if body, err = zlib.NewReader(body); err != nil {
			return nil, fmt.Errorf("[DATA_QUALITY_ERROR]compress_type deflate: %v", err)
		}
	case "lz4":
		body = lz4.NewReader(body)
	case "zstd":
		d, err := zstd.NewReader(body)
		if err != nil {
			return nil, fmt.Errorf("[DATA_QUALITY_ERROR]compress_type zstd: %v", err)
		}
		body = d.IOReadCloser()
	}
	sources := plan.GetSourceColumns()
	switch opts.Format {
	case FormatJSON:
		if len(opts.JSONPaths) > 0 && len(opts.JSONPaths) != len(sources) {
			return nil, fmt.Errorf("jsonpaths has %d paths but the load has %d columns (%s)", len(opts.JSONPaths), len(sources), strings.Join(sources, ", "))
		}
		return format.NewJSON(body, format.JSONOptions{Columns: sources, JSONPaths: opts.JSONPaths, JSONRoot: opts.JSONRoot,
			StripOuterArray: opts.StripOuterArray, ReadJSONByLine: opts.ReadJSONByLine, LineDelimiter: opts.LineDelimiter})
	case FormatParquet:
		return format.NewParquet(body, format.ParquetOptions{Columns: sources})
	}
	skip := opts.SkipLines
	switch opts.Format {
	case FormatCSVWithNames:
		skip = 1
	case FormatCSVWithNamesAndTypes:
		skip = 2
	}
	return format.NewCSV(body, format.CSVOptions{Columns: len(sources), ColumnSeparator: opts.ColumnSeparator,
		LineDelimiter: opts.LineDelimiter, Enclose: opts.Enclose, Escape: opts.Escape,
		TrimDoubleQuotes: opts.TrimDoubleQuotes, SkipLines: skip})
}

// writers streams the converted rows of a load's partitions into their PartitionWriters as the
// chunks come (opened on a partition's first rows), so that memtables flush while the body is
// still being read and the load is never held whole in memory.
type writers struct {
	s     *Service
	plan  *loadpb.PlanResponse
	txnID int64
	label string
	open  map[*accum]PartitionWriter
	order []*accum
}

func (s *Service) newWriters(plan *loadpb.PlanResponse, txnID int64, label string) *writers {
	return &writers{s: s, plan: plan, txnID: txnID, label: label, open: map[*accum]PartitionWriter{}}
}

// push hands the rows a holds to its partition's writer and drops them from a.
func (w *writers) push(ctx context.Context, a *accum) error {
	if len(a.pieces) == 0 {
		return nil
	}
	pw := w.open[a]
	if pw == nil {
		sink := w.plan.GetSink()
		one := &computepb.TabletSink{DbId: sink.GetDbId(), TableId: sink.GetTableId(), IndexId: sink.GetIndexId(), Schema: sink.GetSchema(),
			DistributionColumns: sink.GetDistributionColumns(), VaultId: sink.GetVaultId(), Partitions: []*computepb.PartitionSink{a.sink}}
		var err error
		if pw, err = w.s.cfg.Writer.Open(ctx, w.label, w.txnID, one); err != nil {
			return fmt.Errorf("write partition %s: %w", a.name, err)
		}
		w.open[a] = pw
		w.order = append(w.order, a)
	}
	for k, p := range a.pieces {
		if err := pw.Append(ctx, vector.NewBatch(p, a.sizes[k])); err != nil {
			return fmt.Errorf("write partition %s: %w", a.name, err)
		}
	}
	a.pieces, a.sizes = nil, nil
	return nil
}

// close closes every writer, in the order they were opened.
func (w *writers) close(ctx context.Context) error {
	for i, a := range w.order {
		if _, err := w.open[a].Close(ctx); err != nil {
			for _, rest := range w.order[i+1:] {
				w.open[rest].Abort()
			}
			return fmt.Errorf("write partition %s: %w", a.name, err)
		}
	}
	return nil
}

// abort gives up every writer.
func (w *writers) abort() {
	for _, a := range w.order {
		w.open[a].Abort()
	}
}

// write loads the rows of one partition (group commit: the rows of many loads).
func (s *Service) write(ctx context.Context, plan *loadpb.PlanResponse, a *accum, txnID int64, label string) error {
	w := s.newWriters(plan, txnID, label)
	if err := w.push(ctx, a); err != nil {
		w.abort()
		return err
	}
	return w.close(ctx)
}

func partitionName(plan *loadpb.PlanResponse, p int) string {
	if names := plan.GetPartitionNames(); p < len(names) {
		return names[p]
	}
	return fmt.Sprint(plan.GetSink().GetPartitions()[p].GetPartitionId())
}

// errorURL stores the report of the rejected rows and returns where it is served ("" when no row
// was rejected).
func (s *Service) errorURL(req *Request, errs []format.RowError) string {
	if len(errs) == 0 {
		return ""
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	var b bytes.Buffer
	oneLine := strings.NewReplacer("\n", `\n`, "\r", `\r`) // one line per rejected row
	for k, e := range errs {
		if k == MaxErrorRows {
			fmt.Fprintf(&b, "... and %d more rejected rows\n", len(errs)-k)
			break
		}
		b.WriteString(oneLine.Replace(fmt.Sprintf("Reason: %v. src line [%s];", e, e.Raw)))
		b.WriteByte('\n')
	}
	id := s.cfg.ErrorLogs.Put(b.Bytes())
	return "http://" + req.Host + "/api/_load_error_log?file=" + url.QueryEscape(id)
}

// fetchPlan asks the frontend for the load's plan.
func (s *Service) fetchPlan(ctx context.Context, req *Request, opts *Options) (*loadpb.PlanResponse, error) {
	plan := &loadpb.PlanResponse{}
	err := s.callFrontend(ctx, req, "/api/_load_plan", "load plan",
		&loadpb.PlanRequest{Db: req.DB, Table: req.Table, Columns: opts.Columns, Where: opts.Where, Partitions: opts.Partitions}, plan)
	if err != nil {
		return nil, err
	}
	return plan, nil
}

// fetchAutoPartitions asks the frontend for the partitions of an AUTO PARTITION table that hold
// keys, creating those that do not exist.
func (s *Service) fetchAutoPartitions(ctx context.Context, req *Request, plan *loadpb.PlanResponse, keys []*loadpb.Key) (*loadpb.AutoPartitionResponse, error) {
	out := &loadpb.AutoPartitionResponse{}
	err := s.callFrontend(ctx, req, "/api/_auto_partitions", "auto partitions",
		&loadpb.AutoPartitionRequest{Db: req.DB, Table: req.Table, TableId: plan.GetSink().GetTableId(), Keys: keys}, out)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// callFrontend POSTs in to the frontend's path as protobuf JSON, with the user's Authorization
// header, and reads the answer into out. A failure the frontend explains ({"msg": ...}) is that
// message; what names the call in other errors.
func (s *Service) callFrontend(ctx context.Context, req *Request, path, what string, in, out proto.Message) error {
	if req.Authorization == "" {
		return errors.New("no valid Basic authorization")
	}
	if s.cfg.Frontend == "" {
		return errors.New("this compute node does not know the frontend (start it with --frontend)")
	}
	body, err := protojson.Marshal(in)
	if err != nil {
		return err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.cfg.Frontend+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hreq.Header.Set("Authorization", req.Authorization)
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := s.cfg.HTTPClient.Do(hreq)
	if err != nil {
		return fmt.Errorf("%s from the frontend: %w", what, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s from the frontend: %w", what, err)
	}
	if resp.StatusCode != http.StatusOK {
		var fail struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal(raw, &fail) == nil && fail.Msg != "" {
			return errors.New(fail.Msg)
		}
		return fmt.Errorf("%s from the frontend: HTTP %s", what, resp.Status)
	}
	if err := protojson.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s from the frontend: %w", what, err)
	}
	return nil
}

// countingReader counts the bytes of the body and stops at the load's deadline.
type countingReader struct {
	r   io.Reader
	ctx context.Context
	n   int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, fmt.Errorf("load timed out or was cancelled: %w", err)
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
