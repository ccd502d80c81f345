package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/loadpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/catalog"
)

// Catalog is what the handler reads of the catalog (*catalog.Catalog implements it).
type Catalog interface {
	Table(db, name string) (*catalog.Table, error)
	Database(name string) (*catalog.Database, bool)
}

// Config wires a Handler.
type Config struct {
	Catalog    Catalog
	Meta       metapb.MetaServiceClient
	InstanceID string
	Group      string // the compute group stream loads are redirected to
	// Credentials returns a user's password; ok=false for an unknown user.
	Credentials func(user string) (password string, ok bool)
	// Partitions creates the partitions Stream Loads into AUTO PARTITION tables need (the DDL
	// executor); nil: POST /api/_auto_partitions fails, and so do loads that need a partition.
	Partitions PartitionCreator
	Logger     *slog.Logger
	Now        func() time.Time // default time.Now
}

// Handler serves the frontend's stream load endpoints. See the package doc.
type Handler struct {
	cfg  Config
	next atomic.Uint64
}

// Group commit defaults, as Doris's table properties.
const (
	DefaultGroupCommitIntervalMs = 10000
	DefaultGroupCommitDataBytes  = 64 << 20
)

// New returns a handler.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Group == "" {
		cfg.Group = "default"
	}
	return &Handler{cfg: cfg}
}

// Register adds the endpoints to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("PUT /api/{db}/{table}/_stream_load", h.streamLoad)
	mux.HandleFunc("PUT /api/{db}/_stream_load_2pc", h.twoPhase)
	mux.HandleFunc("POST /api/_load_plan", h.plan)
	mux.HandleFunc("POST /api/_auto_partitions", h.autoPartitions)
}

// errAuth is a request without valid credentials.
var errAuth = errors.New("authentication failed")

func (h *Handler) authenticate(r *http.Request) (string, error) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return "", fmt.Errorf("%w: no valid Basic authorization", errAuth)
	}
	// Doris accepts "user@host" and "cluster:user" forms; the host and cluster are not checked.
	name := user
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	want, known := h.cfg.Credentials(name)
	if !known || want != pass {
		return "", fmt.Errorf("%w: Access denied for user '%s'", errAuth, user)
	}
	return name, nil
}

// failResult is the stream load result (Doris's keys, in Doris's order) of a load that failed
// before it reached a compute node.
type failResult struct {
	TxnID                  int64  `json:"TxnId"`
	Label                  string `json:"Label"`
	Comment                string `json:"Comment"`
	TwoPhaseCommit         string `json:"TwoPhaseCommit"`
	Status                 string `json:"Status"`
	Message                string `json:"Message"`
	NumberTotalRows        int64  `json:"NumberTotalRows"`
	NumberLoadedRows       int64  `json:"NumberLoadedRows"`
	NumberFilteredRows     int64  `json:"NumberFilteredRows"`
	NumberUnselectedRows   int64  `json:"NumberUnselectedRows"`
	LoadBytes              int64  `json:"LoadBytes"`
	LoadTimeMs             int64  `json:"LoadTimeMs"`
	BeginTxnTimeMs         int64  `json:"BeginTxnTimeMs"`
	StreamLoadPutTimeMs    int64  `json:"StreamLoadPutTimeMs"`
	ReadDataTimeMs         int64  `json:"ReadDataTimeMs"`
	WriteDataTimeMs        int64  `json:"WriteDataTimeMs"`
	CommitAndPublishTimeMs int64  `json:"CommitAndPublishTimeMs"`
}

func fail(r *http.Request, msg string) failResult {
	tpc := "false"
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("two_phase_commit")), "true") {
		tpc = "true"
	}
	return failResult{TxnID: -1, Label: r.Header.Get("label"), Comment: r.Header.Get("comment"), TwoPhaseCommit: tpc, Status: "Fail", Message: msg}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	_ = enc.Encode(v) // plain structs and maps always encode
	_, _ = w.Write(b.Bytes())
}

// streamLoad redirects a stream load to a compute node.
func (h *Handler) streamLoad(w http.ResponseWriter, r *http.Request) {
	if _, err := h.authenticate(r); err != nil {
		writeJSON(w, http.StatusUnauthorized, fail(r, err.Error()))
		return
	}
	db, table := r.PathValue("db"), r.PathValue("table")
	if _, err := h.cfg.Catalog.Table(db, table); err != nil {
		writeJSON(w, http.StatusOK, fail(r, err.Error()))
		return
	}
	node, err := h.pickNode(r.Context())
	if err != nil {
		writeJSON(w, http.StatusOK, fail(r, err.Error()))
		return
	}
	http.Redirect(w, r, "http://"+node+r.URL.RequestURI(), http.StatusTemporaryRedirect)
}

// pickNode chooses the HTTP address of a running compute node of the group, round-robin.
func (h *Handler) pickNode(ctx context.Context) (string, error) {
	resp, err := h.cfg.Meta.GetComputeGroup(ctx, &metapb.GetComputeGroupRequest{InstanceId: h.cfg.InstanceID, Name: h.cfg.Group})
	if err != nil {
		return "", fmt.Errorf("compute group %q: %w", h.cfg.Group, err)
	}
	var addrs []string
	for _, n := range resp.GetGroup().GetNodes() {
		if n.GetStatus() == metapb.NodeStatus_NODE_RUNNING && n.GetHttpAddress() != "" {
			addrs = append(addrs, n.GetHttpAddress())
		}
	}
	if len(addrs) == 0 {
		return "", fmt.Errorf("compute group %q has no running compute node with an HTTP address", h.cfg.Group)
	}
	sort.Strings(addrs)
	return addrs[int(h.next.Add(1)%uint64(len(addrs)))], nil
}

// plan answers a compute node's POST /api/_load_plan.
func (h *Handler) plan(w http.ResponseWriter, r *http.Request) {
	req := &loadpb.PlanRequest{}
	h.serveRPC(w, r, "load plan", 1<<20, req, func() (proto.Message, error) { return h.Plan(req) }, func(err error) int {
		var ce *catalog.Error
		if errors.As(err, &ce) {
			return http.StatusNotFound
		}
		return http.StatusBadRequest
	})
}

// serveRPC answers an internal POST from a compute node: it authenticates, decodes req
// (protobuf JSON, at most limit bytes), calls handle and writes its response as protobuf JSON, or
// {"status":"FAILED","msg":...} with the status code status gives handle's error.
func (h *Handler) serveRPC(w http.ResponseWriter, r *http.Request, what string, limit int64, req proto.Message,
	handle func() (proto.Message, error), status func(error) int) {
	fail := func(code int, err error) {
		writeJSON(w, code, struct {
			Status string `json:"status"`
			Msg    string `json:"msg"`
		}{"FAILED", err.Error()})
	}
	if _, err := h.authenticate(r); err != nil {
		fail(http.StatusUnauthorized, err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit))
	if err != nil {
		fail(http.StatusBadRequest, err)
		return
	}
	if err := protojson.Unmarshal(body, req); err != nil {
		fail(http.StatusBadRequest, fmt.Errorf("%s request: %w", what, err))
		return
	}
	resp, err := handle()
	if err != nil {
		fail(status(err), err)
		return
	}
	out, err := protojson.Marshal(resp)
	if err != nil {
		fail(http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

// Plan plans a stream load (see loadpb.PlanResponse).
func (h *Handler) Plan(req *loadpb.PlanRequest) (*loadpb.PlanResponse, error) {
	t, err := h.cfg.Catalog.Table(req.GetDb(), req.GetTable())
	if err != nil {
		return nil, err
	}
	items, err := ParseColumns(req.GetColumns())
	if err != nil {
		return nil, err
	}
	where, err := ParseWhere(req.GetWhere())
	if err != nil {
		return nil, err
	}
	names, err := ParsePartitions(req.GetPartitions())
	if err != nil {
		return nil, err
	}
	m, err := binder.BindLoad(t, items, where, h.cfg.Now())
	if err != nil {
		return nil, err
	}
	parts, err := pickPartitions(t, names)
	if err != nil {
		return nil, err
	}
	sink := &computepb.TabletSink{DbId: t.DBID, TableId: t.ID, IndexId: t.IndexID, Schema: t.Schema(), VaultId: t.VaultID}
	for _, name := range t.Distribution.Columns {
		i := t.ColumnIndex(name)
		if i < 0 {
			return nil, fmt.Errorf("BUG: distribution column %q of table %s is not a column", name, t.Name)
		}
		sink.DistributionColumns = append(sink.DistributionColumns, int32(i))
	}
	resp := &loadpb.PlanResponse{DbId: t.DBID, Sink: sink, SourceColumns: m.Sources, Targets: m.Targets, Where: m.Where,
		GroupCommitIntervalMs: DefaultGroupCommitIntervalMs, GroupCommitDataBytes: DefaultGroupCommitDataBytes}
	for _, p := range parts {
		sink.Partitions = append(sink.Partitions, &computepb.PartitionSink{PartitionId: p.ID, TabletIds: p.Tablets})
		resp.PartitionNames = append(resp.PartitionNames, p.Name)
	}
	if err := planPartitioning(resp, t, parts); err != nil {
		return nil, err
	}
	resp.PartitionsRestricted = len(names) > 0
	for key, dst := range map[string]*int64{"group_commit_interval_ms": &resp.GroupCommitIntervalMs, "group_commit_data_bytes": &resp.GroupCommitDataBytes} {
		if v, ok := t.Properties[key]; ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("table %s: property %s = %q is not a positive integer", t.Name, key, v)
			}
			*dst = n
		}
	}
	return resp, nil
}

// pickPartitions returns the partitions named by the `partitions` header (all without one).
func pickPartitions(t *catalog.Table, names []string) ([]catalog.Partition, error) {
	if len(names) == 0 {
		return t.Partitions, nil
	}
	var out []catalog.Partition
	seen := map[int64]bool{}
	for _, n := range names {
		p := t.PartitionByName(n)
		if p == nil {
			return nil, &HeaderError{Header: "partitions", Msg: fmt.Sprintf("Unknown partition '%s' in table '%s'", n, t.Name)}
		}
		if !seen[p.ID] { // a partition named twice is written once
			seen[p.ID] = true
			out = append(out, *p)
		}
	}
	return out, nil
}
