// Command tpchbench is the TPC-H benchmark of issue 6: the same TPC-H data loaded into a real
// `doric standalone` (CREATE TABLE over MySQL, Stream Load over HTTP with the frontend's 307
// followed, as a user loads, then ANALYZE TABLE ... WITH SYNC of each table, timed) and into an in-memory DuckDB (COPY), then each of the 22 queries run
// `-runs` times in each system; it prints per query the best time of each, the ratio Doric/DuckDB
// and whether the row counts agree, and the geometric mean of the ratios over the queries both
// answered.
//
//	tpchbench -doric bin/doric -data .tools/tpch/sf1/tables -queries ../shared/acceptance/tpch/queries [-runs 3]
//
// For profiling: -keep DIR keeps Doric's data in DIR and reuses it on the next run (no reload),
// -only 8,17 runs some queries, -duckdb=false skips DuckDB; Doric's HTTP port serves /debug/pprof/.
//
// Times are wall-clock times of the whole query through the client (go-sql-driver/mysql for
// Doric, database/sql for DuckDB), rows fetched. Correctness against the published answers is
// test/tpch's job (make test, make test-long); here a row-count difference only flags a query.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	_ "github.com/go-sql-driver/mysql"

	"github.com/doricdb/doric/test/duckbench"
)

func main() {
	bin := flag.String("doric", "bin/doric", "the doric binary")
	data := flag.String("data", "", "directory of the eight <table>.tbl files")
	queries := flag.String("queries", "../shared/acceptance/tpch/queries", "directory of q01.sql ... q22.sql")
	runs := flag.Int("runs", 3, "runs of each query in each system")
	timeout := flag.Duration("timeout", 10*time.Minute, "limit of one query run")
	keep := flag.String("keep", "", "Doric's data directory, kept after the run and reused (loaded only when empty)")
	only := flag.String("only", "", "comma-separated query numbers to run (default all 22), e.g. 8,17")
	duck := flag.Bool("duckdb", true, "also run DuckDB (without it, no ratios)")
	flag.Parse()
	if *data == "" || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	picked, err := pick(*only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tpchbench:", err)
		os.Exit(2)
	}
	o := options{bin: *bin, data: *data, queries: *queries, runs: *runs, timeout: *timeout, keep: *keep, picked: picked, duckdb: *duck}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "tpchbench:", err)
		os.Exit(1)
	}
}

type timing struct {
	best time.Duration
	rows int
	err  error
}

type options struct {
	bin, data, queries string
	runs               int
	timeout            time.Duration
	keep               string // Doric's data directory to reuse, or ""
	picked             []int  // query numbers, 1-based
	duckdb             bool
}

// pick parses -only.
func pick(only string) ([]int, error) {
	if only == "" {
		out := make([]int, 22)
		for i := range out {
			out[i] = i + 1
		}
		return out, nil
	}
	var out []int
	for _, f := range strings.Split(only, ",") {
		n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(f), "q"))
		if err != nil || n < 1 || n > 22 {
			return nil, fmt.Errorf("-only: %q is not a query number 1..22", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(o options) error {
	work, err := os.MkdirTemp("", "tpchbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	texts := make([]string, len(o.picked))
	for i, q := range o.picked {
		b, err := os.ReadFile(filepath.Join(o.queries, fmt.Sprintf("q%02d.sql", q)))
		if err != nil {
			return err
		}
		texts[i] = string(b)
	}
	fmt.Printf("data %s, %d runs per query, %d cores\n", o.data, o.runs, runtime.GOMAXPROCS(0))

	// Doric.
	dataDir := filepath.Join(work, "doric-data")
	if o.keep != "" {
		dataDir = o.keep
	}
	d, err := duckbench.StartDoric(o.bin, dataDir)
	if err != nil {
		return err
	}
	if o.keep != "" {
		fmt.Printf("doric: mysql %s, http %s (pprof at /debug/pprof/)\n", d.MySQL, d.HTTP)
	}
	defer d.Stop()
	db, err := sql.Open("mysql", "root@tcp("+d.MySQL+")/")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("USE tpch"); err != nil {
		for _, s := range []string{"CREATE DATABASE tpch", "USE tpch"} {
			if _, err := db.Exec(s); err != nil {
				return err
			}
		}
		began := time.Now()
		for _, t := range duckbench.Tables {
			if _, err := db.Exec(fmt.Sprintf("CREATE TABLE %s (%s) %s", t, duckbench.TPCHColumns[t], duckbench.TPCHDoris[t])); err != nil {
				return err
			}
			if err := streamLoad(d.HTTP, t, filepath.Join(o.data, t+".tbl")); err != nil {
				return err
			}
		}
		fmt.Printf("doric: loaded in %.1f s%s\n", time.Since(began).Seconds(), d.Usage())
		// Column statistics for the optimizer, as a user runs them after loading (a kept data
		// directory keeps them too).
		began = time.Now()
		for _, t := range duckbench.Tables {
			if _, err := db.Exec("ANALYZE TABLE " + t + " WITH SYNC"); err != nil {
				return fmt.Errorf("analyze %s: %w", t, err)
			}
		}
		fmt.Printf("doric: analyzed in %.1f s\n", time.Since(began).Seconds())
	}
	doric := measure(db, o.picked, texts, o.runs, o.timeout, "doric")
	d.Stop()
	if !o.duckdb {
		report(os.Stdout, o.picked, doric, nil)
		return nil
	}

	// DuckDB.
	ddb, err := sql.Open("duckdb", "?autoinstall_known_extensions=false")
	if err != nil {
		return err
	}
	defer ddb.Close()
	ddb.SetMaxOpenConns(1)
	began := time.Now()
	for _, t := range duckbench.Tables {
		if _, err := ddb.Exec(fmt.Sprintf("CREATE TABLE %s (%s)", t, duckbench.TPCHColumns[t])); err != nil {
			return err
		}
		if _, err := ddb.Exec(fmt.Sprintf("COPY %s FROM '%s' (DELIMITER '|', HEADER false)", t, filepath.Join(o.data, t+".tbl"))); err != nil {
			return err
		}
	}
	fmt.Printf("duckdb: loaded in %.1f s\n", time.Since(began).Seconds())
	duck := measure(ddb, o.picked, texts, o.runs, o.timeout, "duckdb")

	report(os.Stdout, o.picked, doric, duck)
	return nil
}

// measure runs each query runs times and keeps the best time; a failed run ends the query's runs.
func measure(db *sql.DB, picked []int, texts []string, runs int, timeout time.Duration, system string) []timing {
	out := make([]timing, len(texts))
	for q, text := range texts {
		for r := 0; r < runs; r++ {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			start := time.Now()
			n, err := count(ctx, db, text)
			elapsed := time.Since(start)
			cancel()
			if err != nil {
				out[q].err = err
				break
			}
			if r == 0 || elapsed < out[q].best {
				out[q].best = elapsed
			}
			out[q].rows = n
		}
		status := fmt.Sprintf("%.3f s", out[q].best.Seconds())
		if out[q].err != nil {
			status = "error: " + firstLine(out[q].err.Error())
		}
		fmt.Printf("%s q%02d: %s\n", system, picked[q], status)
	}
	return out
}

// count runs a query and fetches every row.
func count(ctx context.Context, db *sql.DB, text string) (int, error) {
	rows, err := db.QueryContext(ctx, text)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

func firstLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		return s[:i]
	}
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// report prints the table; duck is nil when DuckDB did not run.
func report(w io.Writer, picked []int, doric, duck []timing) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\tdoric s\tduckdb s\tdoric/duckdb\trows\t")
	logSum, n, failed := 0.0, 0, 0
	for q := range doric {
		dt, kt := doric[q], timing{err: errors.New("not run")}
		if duck != nil {
			kt = duck[q]
		}
		ds, ks, ratio, rows := "error", "error", "-", ""
		if dt.err == nil {
			ds = fmt.Sprintf("%.3f", dt.best.Seconds())
		} else {
			failed++
		}
		if kt.err == nil {
			ks = fmt.Sprintf("%.3f", kt.best.Seconds())
		}
		if dt.err == nil && kt.err == nil {
			r := dt.best.Seconds() / kt.best.Seconds()
			ratio = fmt.Sprintf("%.2f", r)
			logSum += math.Log(r)
			n++
			rows = fmt.Sprint(dt.rows)
			if dt.rows != kt.rows {
				rows = fmt.Sprintf("%d (duckdb %d)", dt.rows, kt.rows)
			}
		}
		if kt.err != nil && dt.err == nil {
			rows = fmt.Sprint(dt.rows)
		}
		fmt.Fprintf(tw, "q%02d\t%s\t%s\t%s\t%s\t\n", picked[q], ds, ks, ratio, rows)
	}
	tw.Flush()
	if n > 0 {
		fmt.Fprintf(w, "geometric mean doric/duckdb over %d queries: %.2f", n, math.Exp(logSum/float64(n)))
	} else {
		fmt.Fprint(w, "no ratios")
	}
	fmt.Fprintf(w, "; doric failed %d of %d queries\n", failed, len(doric))
}

// streamLoad loads a .tbl file into tpch.table as a user does: PUT to the frontend with Basic
// auth, its 307 followed to a compute node with the same credentials.
func streamLoad(feHTTP, table, path string) error {
	client := &http.Client{Timeout: time.Hour,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	url := fmt.Sprintf("http://%s/api/tpch/%s/_stream_load", feHTTP, table)
	label := fmt.Sprintf("tpch_%s_%d", table, time.Now().UnixNano())
	for hop := 0; hop < 2; hop++ {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		req, err := http.NewRequest(http.MethodPut, url, f)
		if err != nil {
			f.Close()
			return err
		}
		req.ContentLength = st.Size()
		req.SetBasicAuth("root", "")
		req.Header.Set("Expect", "100-continue")
		req.Header.Set("label", label)
		req.Header.Set("column_separator", "|")
		resp, err := client.Do(req)
		f.Close()
		if err != nil {
			return fmt.Errorf("stream load of %s: %w", table, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTemporaryRedirect {
			url = resp.Header.Get("Location")
			continue
		}
		var res struct {
			Status           string
			Message          string
			NumberLoadedRows int64
			NumberTotalRows  int64
		}
		if err := json.Unmarshal(body, &res); err != nil || res.Status != "Success" || res.NumberLoadedRows != res.NumberTotalRows {
			return fmt.Errorf("stream load of %s: HTTP %d %s", table, resp.StatusCode, body)
		}
		return nil
	}
	return fmt.Errorf("stream load of %s: redirected twice", table)
}
