package streamload

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/doricdb/doric/frontend/testcluster"
)

// response is a stream load answer: its keys in order and its values.
type response struct {
	keys []string
	vals map[string]any
	raw  string
}

func parse(t *testing.T, out []byte) response {
	t.Helper()
	r := response{vals: map[string]any{}, raw: string(out)}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", out)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatalf("%v in %s", err, out)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%v in %s", err, out)
		}
		r.keys = append(r.keys, k.(string))
		r.vals[k.(string)] = v
	}
	return r
}

func (r response) int(k string) int64 {
	n, ok := r.vals[k].(json.Number)
	if !ok {
		return -999
	}
	i, _ := n.Int64()
	return i
}

func (r response) str(k string) string { s, _ := r.vals[k].(string); return s }

// Doris's keys, in Doris's order (stream_load_context.cpp to_json).
var (
	successKeys = []string{"TxnId", "Label", "Comment", "TwoPhaseCommit", "Status", "Message", "NumberTotalRows",
		"NumberLoadedRows", "NumberFilteredRows", "NumberUnselectedRows", "LoadBytes", "LoadTimeMs", "BeginTxnTimeMs",
		"StreamLoadPutTimeMs", "ReadDataTimeMs", "WriteDataTimeMs", "CommitAndPublishTimeMs"}
	labelExistsKeys = []string{"TxnId", "Label", "Comment", "TwoPhaseCommit", "Status", "ExistingJobStatus", "Message",
		"NumberTotalRows", "NumberLoadedRows", "NumberFilteredRows", "NumberUnselectedRows", "LoadBytes", "LoadTimeMs",
		"BeginTxnTimeMs", "StreamLoadPutTimeMs", "ReadDataTimeMs", "WriteDataTimeMs", "CommitAndPublishTimeMs"}
	groupKeys = []string{"TxnId", "Label", "Comment", "GroupCommit", "Status", "Message", "NumberTotalRows",
		"NumberLoadedRows", "NumberFilteredRows", "NumberUnselectedRows", "LoadBytes", "LoadTimeMs",
		"StreamLoadPutTimeMs", "ReadDataTimeMs", "WriteDataTimeMs"}
	timings = []string{"LoadTimeMs", "BeginTxnTimeMs", "StreamLoadPutTimeMs", "ReadDataTimeMs", "WriteDataTimeMs", "CommitAndPublishTimeMs"}
)

// want is what a test expects of a response: exact values, "-" for "any non-negative number".
type want map[string]any

func check(t *testing.T, what string, r response, keys []string, errorURL bool, w want) {
	t.Helper()
	if errorURL {
		keys = append(append([]string(nil), keys...), "ErrorURL")
	}
	if strings.Join(r.keys, ",") != strings.Join(keys, ",") {
		t.Errorf("%s: keys\n%v\nwant\n%v\n%s", what, r.keys, keys, r.raw)
	}
	for _, k := range timings {
		if _, present := r.vals[k]; present && r.int(k) < 0 {
			t.Errorf("%s: %s = %v", what, k, r.vals[k])
		}
	}
	for k, v := range w {
		switch v := v.(type) {
		case int:
			if r.int(k) != int64(v) {
				t.Errorf("%s: %s = %v, want %d\n%s", what, k, r.vals[k], v, r.raw)
			}
		case string:
			if r.str(k) != v {
				t.Errorf("%s: %s = %q, want %q\n%s", what, k, r.vals[k], v, r.raw)
			}
		case bool:
			if r.vals[k] != v {
				t.Errorf("%s: %s = %v, want %v\n%s", what, k, r.vals[k], v, r.raw)
			}
		case func(any) bool:
			if !v(r.vals[k]) {
				t.Errorf("%s: %s = %v\n%s", what, k, r.vals[k], r.raw)
			}
		}
	}
}

func positive(v any) bool {
	n, ok := v.(json.Number)
	i, _ := n.Int64()
	return ok && i > 0
}

func contains(s string) func(any) bool {
	return func(v any) bool { x, ok := v.(string); return ok && strings.Contains(x, s) }
}

type harness struct {
	t    *testing.T
	curl string
	dir  string
	fe   string // http://host:port of the frontend
	be   string // http://host:port of a compute node
	db   *sql.DB
}

// run runs curl with args and returns what it printed.
func (h *harness) run(args ...string) []byte {
	h.t.Helper()
	cmd := exec.Command(h.curl, append([]string{"-sS"}, args...)...)
	cmd.Dir = h.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		h.t.Fatalf("curl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// file writes a data file and returns its name (relative to the curl working directory).
func (h *harness) file(name, content string) string {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, name), []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return name
}

// load is Doris's documented command: curl --location-trusted -u user:passwd [-H ...] -T file
// -XPUT http://host:port/api/{db}/{table}/_stream_load.
func (h *harness) load(base, file string, headers ...string) response {
	h.t.Helper()
	return h.loadInto(base, "orders", file, headers...)
}

// loadInto is load into another table of database demo.
func (h *harness) loadInto(base, table, file string, headers ...string) response {
	h.t.Helper()
	args := []string{"--location-trusted", "-u", "root:"}
	for _, hd := range headers {
		args = append(args, "-H", hd)
	}
	args = append(args, "-T", file, "-XPUT", base+"/api/demo/"+table+"/_stream_load")
	return parse(h.t, h.run(args...))
}

func (h *harness) query(q string) string {
	h.t.Helper()
	rows, err := h.db.Query(q)
	if err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			h.t.Fatal(err)
		}
		var fs []string
		for _, v := range vals {
			if v.Valid {
				fs = append(fs, v.String)
			} else {
				fs = append(fs, "NULL")
			}
		}
		out = append(out, strings.Join(fs, ","))
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

func TestStreamLoadWithCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed (make test-deps installs it)")
	}
	c := testcluster.Start(t, testcluster.Options{ComputeNodes: 2})
	h := &harness{t: t, curl: curl, dir: t.TempDir(), fe: "http://" + c.HTTPAddr(), be: "http://" + c.ComputeHTTPAddrs()[1], db: c.DB()}
	for _, q := range []string{
		"CREATE DATABASE demo",
		`CREATE TABLE demo.orders (
  id INT NOT NULL,
  customer VARCHAR(12),
  amount DECIMAL(10,2),
  day DATE
) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4
PROPERTIES ("group_commit_interval_ms" = "2000")`,
	} {
		if _, err := h.db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	table := func() string {
		return h.query("SELECT id, customer, amount, day FROM demo.orders ORDER BY id, customer")
	}

	// CSV with a label, through the frontend's 307 to a compute node.
	const csvData = "1,alice,10.50,2024-01-01\n2,bob,20.00,2024-01-02\n3,carol,5.25,2024-01-03\n"
	csv := h.file("orders.csv", csvData)
	r := h.load(h.fe, csv, "label:csv_1", "column_separator:,")
	check(t, "csv", r, successKeys, false, want{"TxnId": positive, "Label": "csv_1", "Comment": "", "TwoPhaseCommit": "false",
		"Status": "Success", "Message": "OK", "NumberTotalRows": 3, "NumberLoadedRows": 3, "NumberFilteredRows": 0,
		"NumberUnselectedRows": 0, "LoadBytes": len(csvData)})
	if got, want := table(), "1,alice,10.50,2024-01-01\n2,bob,20.00,2024-01-02\n3,carol,5.25,2024-01-03"; got != want {
		t.Fatalf("after the csv load:\n%s\nwant\n%s", got, want)
	}

	// The same label again loads nothing.
	r = h.load(h.fe, csv, "label:csv_1", "column_separator:,")
	check(t, "repeated label", r, labelExistsKeys, false, want{"TxnId": -1, "Label": "csv_1", "Status": "Label Already Exists",
		"ExistingJobStatus": "FINISHED", "Message": contains("Label [csv_1] has already been used"), "NumberTotalRows": 0, "NumberLoadedRows": 0})
	if got := h.query("SELECT COUNT(*) FROM demo.orders"); got != "3" {
		t.Fatalf("a repeated label loaded rows: %s", got)
	}

	// JSON: an array of objects, and one object per line picked by jsonpaths.
	js := h.file("orders.json", `[{"id": 4, "customer": "dave", "amount": "7.5", "day": "2024-01-04"},
 {"id": 5, "customer": "erin", "amount": 1, "day": "2024-01-05", "extra": true}]`)
	r = h.load(h.fe, js, "label:json_1", "format:json", "strip_outer_array:true")
	check(t, "json", r, successKeys, false, want{"Label": "json_1", "Status": "Success", "NumberTotalRows": 2, "NumberLoadedRows": 2, "LoadBytes": len(`[{"id": 4, "customer": "dave", "amount": "7.5", "day": "2024-01-04"},
 {"id": 5, "customer": "erin", "amount": 1, "day": "2024-01-05", "extra": true}]`)})
	lines := h.file("lines.json", `{"k": 6, "who": {"name": "frank"}}`+"\n"+`{"k": 7, "who": {"name": "grace"}}`+"\n")
	r = h.load(h.fe, lines, "label:json_2", "format:json", "read_json_by_line:true", `jsonpaths:["$.k", "$.who.name"]`, "columns:id,customer")
	check(t, "json by line", r, successKeys, false, want{"Status": "Success", "NumberTotalRows": 2, "NumberLoadedRows": 2})

	// columns with expressions, and where: unselected rows are not filtered rows.
	cents := h.file("cents.csv", "8,heidi,1250\n9,ivan,300\n10,judy,99\n")
	r = h.load(h.fe, cents, "label:expr_1", "column_separator:,", "columns: id, customer, cents, amount = cents / 100, day = '2024-02-01'", "where: amount >= 1")
	check(t, "columns and where", r, successKeys, false, want{"Status": "Success", "NumberTotalRows": 3, "NumberLoadedRows": 2,
		"NumberFilteredRows": 0, "NumberUnselectedRows": 1})

	// Bad rows under max_filter_ratio: loaded without them, each reported with line, column and value.
	bad := h.file("bad.csv", "11,kim,1.00,2024-01-11\nx,leo,1.00,2024-01-12\n12,a_name_too_long_here,1,2024-01-12\n13,mia,2.00,2024-01-13\n14,ned,3.00,2024-01-14\n")
	r = h.load(h.fe, bad, "label:bad_1", "column_separator:,", "max_filter_ratio:0.4")
	check(t, "bad rows under the ratio", r, successKeys, true, want{"Status": "Success", "NumberTotalRows": 5, "NumberLoadedRows": 3,
		"NumberFilteredRows": 2, "ErrorURL": contains("/api/_load_error_log?file=")})
	errs := string(h.run(r.str("ErrorURL")))
	for _, w := range []string{"line 2, column 1 (id)", "value 'x'", "src line [x,leo,1.00,2024-01-12]",
		"line 3, column 2 (customer)", "value 'a_name_too_long_here'"} {
		if !strings.Contains(errs, w) {
			t.Errorf("the error log does not say %q:\n%s", w, errs)
		}
	}
	if n := strings.Count(errs, "Reason: "); n != 2 {
		t.Errorf("the error log has %d rows, want 2:\n%s", n, errs)
	}

	// Over max_filter_ratio: the load fails whole, and its label can be used again.
	before := table()
	r = h.load(h.fe, bad, "label:bad_2", "column_separator:,", "max_filter_ratio:0.1")
	check(t, "bad rows over the ratio", r, successKeys, true, want{"TxnId": positive, "Status": "Fail",
		"Message": "[DATA_QUALITY_ERROR]too many filtered rows", "NumberTotalRows": 5, "NumberLoadedRows": 3, "NumberFilteredRows": 2})
	if got := table(); got != before {
		t.Fatalf("a failed load changed the table:\n%s\nwas\n%s", got, before)
	}
	good := h.file("good.csv", "15,olga,4.00,2024-01-15\n")
	r = h.load(h.fe, good, "label:bad_2", "column_separator:,")
	check(t, "reused label of a failed load", r, successKeys, false, want{"Label": "bad_2", "Status": "Success", "NumberLoadedRows": 1})

	// Two-phase commit: the data stays invisible until _stream_load_2pc commits it (by txn id),
	// and an abort (by label, through a compute node) throws it away.
	tpc := h.file("tpc.csv", "20,pat,5.00,2024-03-01\n")
	r = h.load(h.fe, tpc, "label:tpc_1", "column_separator:,", "two_phase_commit:true")
	check(t, "two-phase load", r, successKeys, false, want{"Label": "tpc_1", "TwoPhaseCommit": "true", "Status": "Success", "NumberLoadedRows": 1})
	txn := r.int("TxnId")
	if got := h.query("SELECT COUNT(*) FROM demo.orders WHERE id = 20"); got != "0" {
		t.Fatalf("a precommitted load is visible: %s", got)
	}
	twoPC := func(base string, headers ...string) map[string]string {
		args := []string{"-X", "PUT", "--location-trusted", "-u", "root:"}
		for _, hd := range headers {
			args = append(args, "-H", hd)
		}
		var out map[string]string
		raw := h.run(append(args, base+"/api/demo/_stream_load_2pc")...)
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("_stream_load_2pc answered %s", raw)
		}
		return out
	}
	if out := twoPC(h.fe, fmt.Sprintf("txn_id:%d", txn), "txn_operation:commit"); out["status"] != "Success" ||
		out["msg"] != fmt.Sprintf("transaction [%d] commit successfully.", txn) {
		t.Fatalf("2pc commit: %v", out)
	}
	if got := h.query("SELECT id, customer FROM demo.orders WHERE id = 20"); got != "20,pat" {
		t.Fatalf("a committed two-phase load is not visible: %q", got)
	}
	r = h.load(h.fe, h.file("tpc2.csv", "21,quinn,6.00,2024-03-02\n"), "label:tpc_2", "column_separator:,", "two_phase_commit:true")
	check(t, "second two-phase load", r, successKeys, false, want{"TwoPhaseCommit": "true", "Status": "Success"})
	txn2 := r.int("TxnId")
	if out := twoPC(h.be, "label:tpc_2", "txn_operation:abort"); out["status"] != "Success" ||
		out["msg"] != fmt.Sprintf("transaction [%d] abort successfully.", txn2) {
		t.Fatalf("2pc abort: %v", out)
	}
	if out := twoPC(h.fe, fmt.Sprintf("txn_id:%d", txn2), "txn_operation:commit"); out["status"] != "Fail" || !strings.Contains(out["msg"], "already aborted") {
		t.Fatalf("2pc commit after abort: %v", out)
	}
	if got := h.query("SELECT COUNT(*) FROM demo.orders WHERE id = 21"); got != "0" {
		t.Fatalf("an aborted two-phase load is visible: %s", got)
	}

	// A compute node takes a load directly.
	r = h.load(h.be, h.file("be.csv", "22\tray\t1.00\t2024-04-01\n"), "label:be_1")
	check(t, "load on a compute node", r, successKeys, false, want{"Label": "be_1", "Status": "Success", "NumberLoadedRows": 1})

	// Group commit: concurrent small loads fold into fewer transactions.
	const loads = 6
	results := make([]response, loads)
	var wg sync.WaitGroup
	for i := range loads {
		f := h.file(fmt.Sprintf("g%d.csv", i), fmt.Sprintf("%d,g%d,1.00,2024-05-01\n", 30+i, i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(h.curl, "-sS", "--location-trusted", "-u", "root:", "-H", "group_commit:sync_mode",
				"-H", "column_separator:,", "-T", f, "-XPUT", h.fe+"/api/demo/orders/_stream_load")
			cmd.Dir = h.dir
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("curl: %v", err)
				return
			}
			results[i] = parse(t, out)
		}()
	}
	wg.Wait()
	txns := map[int64]bool{}
	for i, r := range results {
		check(t, fmt.Sprintf("group commit load %d", i), r, groupKeys, false, want{"GroupCommit": true, "Status": "Success",
			"Label": contains("group_commit_"), "NumberLoadedRows": 1, "TxnId": positive})
		txns[r.int("TxnId")] = true
	}
	if len(txns) >= loads {
		t.Errorf("%d group commit loads took %d transactions", loads, len(txns))
	}
	// Each compute node folds the loads it runs (the frontend spreads loads over both).
	t.Logf("%d group commit loads took %d transactions", loads, len(txns))

	want := strings.Join([]string{
		"1,alice,10.50,2024-01-01", "2,bob,20.00,2024-01-02", "3,carol,5.25,2024-01-03",
		"4,dave,7.50,2024-01-04", "5,erin,1.00,2024-01-05", "6,frank,NULL,NULL", "7,grace,NULL,NULL",
		"8,heidi,12.50,2024-02-01", "9,ivan,3.00,2024-02-01",
		"11,kim,1.00,2024-01-11", "13,mia,2.00,2024-01-13", "14,ned,3.00,2024-01-14", "15,olga,4.00,2024-01-15",
		"20,pat,5.00,2024-03-01", "22,ray,1.00,2024-04-01",
		"30,g0,1.00,2024-05-01", "31,g1,1.00,2024-05-01", "32,g2,1.00,2024-05-01", "33,g3,1.00,2024-05-01",
		"34,g4,1.00,2024-05-01", "35,g5,1.00,2024-05-01",
	}, "\n")
	if got := table(); got != want {
		t.Fatalf("final table:\n%s\nwant\n%s", got, want)
	}
	h.partitioned(t)
}

// partitioned loads a partitioned table: each row lands in its partition, all in one
// transaction; a row no partition holds is filtered with its line, column and value.
func (h *harness) partitioned(t *testing.T) {
	if _, err := h.db.Exec(`CREATE TABLE demo.events (id INT NOT NULL, day DATE NOT NULL, what VARCHAR(8))
DUPLICATE KEY(id) PARTITION BY RANGE(day) (
  PARTITION p202401 VALUES [("2024-01-01"), ("2024-02-01")),
  PARTITION p202402 VALUES [("2024-02-01"), ("2024-03-01")))
DISTRIBUTED BY HASH(id) BUCKETS 2`); err != nil {
		t.Fatal(err)
	}
	ev := h.file("events.csv", "1,2024-01-10,a\n2,2024-02-10,b\n3,2024-01-31,c\n4,2024-03-01,d\n5,2024-02-01,e\n")
	r := h.loadInto(h.fe, "events", ev, "label:events_1", "column_separator:,", "max_filter_ratio:0.2")
	check(t, "partitioned load", r, successKeys, true, want{"TxnId": positive, "Label": "events_1", "Status": "Success",
		"NumberTotalRows": 5, "NumberLoadedRows": 4, "NumberFilteredRows": 1, "NumberUnselectedRows": 0})
	if errs := string(h.run(r.str("ErrorURL"))); errs != "Reason: line 4, column 2 (day): no partition for value '2024-03-01' of column 'day'. src line [4,2024-03-01,d];\n" {
		t.Errorf("partitioned load's error log:\n%s", errs)
	}
	for p, want := range map[string]string{"p202401": "1,a\n3,c", "p202402": "2,b\n5,e"} {
		if got := h.query("SELECT id, what FROM demo.events PARTITION (" + p + ") ORDER BY id"); got != want {
			t.Errorf("partition %s holds\n%s\nwant\n%s", p, got, want)
		}
	}
	// SHOW PARTITIONS: each partition got one new version and its rows.
	rows, err := h.db.Query("SHOW PARTITIONS FROM demo.events")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var parts []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for i, c := range cols {
			m[c] = vals[i].String
		}
		parts = append(parts, fmt.Sprintf("%s version %s rows %s", m["PartitionName"], m["VisibleVersion"], m["RowCount"]))
	}
	if got, want := strings.Join(parts, "; "), "p202401 version 2 rows 2; p202402 version 2 rows 2"; got != want {
		t.Errorf("SHOW PARTITIONS FROM demo.events: %s, want %s", got, want)
	}
}
