package load_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/doricdb/doric/frontend/testcluster"
)

// loadResult is the part of a stream load result the tests read.
type loadResult struct {
	TxnId                int64
	Label                string
	Status               string
	ExistingJobStatus    string
	Message              string
	TwoPhaseCommit       string
	GroupCommit          bool
	NumberTotalRows      int64
	NumberLoadedRows     int64
	NumberFilteredRows   int64
	NumberUnselectedRows int64
	LoadBytes            int64
	ErrorURL             string
}

// streamLoad PUTs body to url with Go's HTTP client (which follows the 307 with the body and,
// host unchanged, the credentials).
func streamLoad(t *testing.T, url string, headers map[string]string, body string) (loadResult, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("root", "")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var r loadResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("stream load answered %s: %s", resp.Status, out)
	}
	return r, string(out)
}

func query(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
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
			t.Fatal(err)
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
		t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

func TestStreamLoadThroughCluster(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{ComputeNodes: 2})
	db := c.DB()
	for _, s := range []string{
		"CREATE DATABASE d",
		`CREATE TABLE d.t (k INT NOT NULL, name VARCHAR(8), v BIGINT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 3`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	fe := "http://" + c.HTTPAddr() + "/api/d/t/_stream_load"

	r, raw := streamLoad(t, fe, map[string]string{"label": "l1", "column_separator": ",",
		"columns": "k, name, tmp, v = tmp * 10", "where": "k > 1", "max_filter_ratio": "0.5"}, "1,a,1\n2,b,2\n3,c,3\nx,d,4\n")
	if r.Status != "Success" || r.Label != "l1" || r.TxnId <= 0 || r.NumberTotalRows != 4 || r.NumberLoadedRows != 2 ||
		r.NumberUnselectedRows != 1 || r.NumberFilteredRows != 1 || r.ErrorURL == "" || r.LoadBytes != 24 {
		t.Fatalf("load through the frontend: %s", raw)
	}
	if got := query(t, db, "SELECT k, name, v FROM d.t ORDER BY k"); got != "2,b,20\n3,c,30" {
		t.Fatalf("table after the load:\n%s", got)
	}
	resp, err := http.Get(r.ErrorURL)
	if err != nil {
		t.Fatal(err)
	}
	log, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "Reason: line 4, column 1 (k): invalid value for int: value 'x'. src line [x,d,4];\n"; string(log) != want {
		t.Fatalf("error log:\n%q\nwant\n%q", log, want)
	}

	// The same label again: nothing loads twice.
	r, raw = streamLoad(t, fe, map[string]string{"label": "l1", "column_separator": ","}, "9,z,9\n")
	if r.Status != "Label Already Exists" || r.ExistingJobStatus != "FINISHED" {
		t.Fatalf("repeated label: %s", raw)
	}

	// A compute node takes loads directly too, and JSON.
	cn := "http://" + c.ComputeHTTPAddrs()[1] + "/api/d/t/_stream_load"
	r, raw = streamLoad(t, cn, map[string]string{"format": "json", "strip_outer_array": "true"},
		`[{"k": 5, "name": "e", "v": 50}, {"k": 6, "name": "toolongname"}]`)
	if r.Status != "Fail" || !strings.Contains(r.Message, "too many filtered rows") || r.NumberFilteredRows != 1 || r.NumberLoadedRows != 1 {
		t.Fatalf("json load with a bad row: %s", raw)
	}
	if got := query(t, db, "SELECT COUNT(*) FROM d.t"); got != "2" {
		t.Fatalf("a failed load left rows: %s", got)
	}

	// The frontend refuses bad credentials and unknown tables itself, in the result's shape.
	req, _ := http.NewRequest(http.MethodPut, fe, strings.NewReader("1\tx\t1\n"))
	req.SetBasicAuth("root", "wrong")
	req.Header.Set("label", "l9")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(out), `"Status": "Fail"`) ||
		!strings.Contains(string(out), "Access denied for user 'root'") || !strings.Contains(string(out), `"Label": "l9"`) {
		t.Fatalf("wrong password: %s %s", resp.Status, out)
	}
	r, raw = streamLoad(t, "http://"+c.HTTPAddr()+"/api/d/nope/_stream_load", nil, "1\n")
	if r.Status != "Fail" || r.TxnId != -1 || !strings.Contains(r.Message, "Unknown table 'nope'") {
		t.Fatalf("unknown table: %s", raw)
	}
	// So does a compute node (it asks the frontend for the plan with the user's credentials).
	req, _ = http.NewRequest(http.MethodPut, cn, strings.NewReader("1\tx\t1\n"))
	req.SetBasicAuth("root", "wrong")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(out), "Access denied for user 'root'") || !strings.Contains(string(out), `"TxnId": -1`) {
		t.Fatalf("wrong password on a compute node: %s", out)
	}
}
