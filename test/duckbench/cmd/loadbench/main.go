// Command loadbench is the load benchmark of issue 5: a Stream Load of TPC-H lineitem.tbl into a
// DUPLICATE KEY table of a real `doric standalone`, beside DuckDB's COPY of the same file, on
// the same machine in the same run.
//
//	loadbench -doric bin/doric -file .tools/tpch/sf1/lineitem.tbl [-runs 2] [-buckets 8]
//
// Doric: the binary is started on free ports with a fresh data directory; lineitem is created
// through MySQL; the load is `curl --location-trusted -u root: -H label:.. -H column_separator:|
// -H "columns: l_orderkey, ..., l_comment, temp" -T lineitem.tbl -XPUT
// http://fe/api/bench/lineitem_N/_stream_load` — exactly what a user runs, the frontend's 307
// to the compute node followed. The `temp` column takes the empty field after the trailing '|'
// of every .tbl line, as Doris's own TPC-H tools do. The load must report NumberLoadedRows =
// the file's line count, and SELECT COUNT(*) must agree. The time is curl's wall time.
//
// DuckDB: an in-memory database (all cores), CREATE TABLE with the same schema,
// COPY lineitem FROM 'file' (DELIMITER '|', HEADER false), timed; its count checked too.
//
// MB are 10^6 bytes of the file; "per core" divides by the cores this process may use
// (GOMAXPROCS, which is nproc unless set), the cores both systems ran on.
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
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	_ "github.com/go-sql-driver/mysql"

	"github.com/doricdb/doric/test/duckbench"
)

func main() {
	bin := flag.String("doric", "bin/doric", "the doric binary")
	file := flag.String("file", "", "lineitem.tbl to load")
	runs := flag.Int("runs", 1, "loads into each system (each Doric load into a fresh table)")
	buckets := flag.Int("buckets", 8, "BUCKETS of the Doric table")
	work := flag.String("work", "", "directory for Doric's data (default: a temporary one, removed after)")
	inProcess := flag.Bool("in-process", false, "run Doric inside this process (internal/standalone) instead of the binary: for profiling")
	cpuProfile := flag.String("cpuprofile", "", "with -in-process: write a CPU profile of the Doric loads here")
	flag.Parse()
	if *file == "" || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	start := startDoric
	if *inProcess {
		start = func(_, dataDir string) (server, error) { return startInProcess(dataDir, *cpuProfile) }
	}
	if err := run(start, *bin, *file, *runs, *buckets, *work); err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

type result struct {
	system  string
	bytes   int64
	rows    int64
	seconds float64
	note    string
}

// server is a running Doric.
type server interface {
	mysqlAddr() string
	httpAddr() string
	// loaded is called after each load (the binary notes its CPU time and peak RSS).
	loaded() string
	stop()
}

func run(startDoric func(bin, dataDir string) (server, error), bin, file string, runs, buckets int, work string) error {
	file, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	lines, err := countLines(file)
	if err != nil {
		return err
	}
	fmt.Printf("file %s: %d bytes, %d lines; %d cores (GOMAXPROCS), nproc %d\n", file, st.Size(), lines, runtime.GOMAXPROCS(0), runtime.NumCPU())

	if work == "" {
		if work, err = os.MkdirTemp("", "loadbench-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	srv, err := startDoric(bin, filepath.Join(work, "doric-data"))
	if err != nil {
		return err
	}
	defer srv.stop()
	db, err := sql.Open("mysql", "root@tcp("+srv.mysqlAddr()+")/")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE bench"); err != nil {
		return err
	}

	var results []result
	for r := 1; r <= runs; r++ {
		res, err := loadDoric(db, srv, file, st.Size(), lines, buckets, r)
		if err != nil {
			return fmt.Errorf("doric run %d: %w", r, err)
		}
		results = append(results, res)
		fmt.Printf("doric run %d: %.2f s (%s)\n", r, res.seconds, res.note)
	}
	srv.stop() // before DuckDB runs: its memory back, its profile ended
	for r := 1; r <= runs; r++ {
		res, err := loadDuckDB(file, st.Size(), lines)
		if err != nil {
			return fmt.Errorf("duckdb run %d: %w", r, err)
		}
		results = append(results, res)
		fmt.Printf("duckdb run %d: %.2f s (%s)\n", r, res.seconds, res.note)
	}
	report(os.Stdout, results)
	return nil
}

// report prints the table: one row per load, and the ratio of each Doric load's rate to the
// best DuckDB rate of the run.
func report(w io.Writer, results []result) {
	best := 0.0
	for _, r := range results {
		if r.system == "duckdb" {
			best = max(best, float64(r.bytes)/r.seconds)
		}
	}
	cores := float64(runtime.GOMAXPROCS(0))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "system\tbytes\trows\tseconds\tMB/s\trows/s\tMB/s per core\tDoric/DuckDB\t")
	for _, r := range results {
		mbs := float64(r.bytes) / 1e6 / r.seconds
		ratio := "-"
		if r.system != "duckdb" && best > 0 {
			ratio = fmt.Sprintf("%.2f", float64(r.bytes)/r.seconds/best)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.1f\t%.0f\t%.1f\t%s\t\n", r.system, r.bytes, r.rows, r.seconds, mbs,
			float64(r.rows)/r.seconds, mbs/cores, ratio)
	}
	tw.Flush()
	for _, r := range results {
		if r.note != "" {
			fmt.Fprintf(w, "%s: %s\n", r.system, r.note)
		}
	}
}

func countLines(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	buf := make([]byte, 1<<20)
	for {
		k, err := f.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// doric adapts a duckbench.Doric to server.
type doric struct{ *duckbench.Doric }

func startDoric(bin, dataDir string) (server, error) {
	d, err := duckbench.StartDoric(bin, dataDir)
	if err != nil {
		return nil, err
	}
	return doric{d}, nil
}

func (d doric) mysqlAddr() string { return d.MySQL }
func (d doric) httpAddr() string  { return d.HTTP }
func (d doric) loaded() string    { return d.Usage() }
func (d doric) stop()             { d.Stop() }

// loadResponse is the part of Doris's stream load answer the benchmark checks.
type loadResponse struct {
	Status           string
	Message          string
	NumberLoadedRows int64
	NumberTotalRows  int64
	LoadBytes        int64
	LoadTimeMs       int64
	ReadDataTimeMs   int64
	WriteDataTimeMs  int64
	ErrorURL         string
}

func loadDoric(db *sql.DB, srv server, file string, size, lines int64, buckets, run int) (result, error) {
	table := fmt.Sprintf("lineitem_%d", run)
	ddl := fmt.Sprintf("CREATE TABLE bench.%s (%s) DUPLICATE KEY(l_orderkey) DISTRIBUTED BY HASH(l_orderkey) BUCKETS %d",
		table, duckbench.LineitemDDL(), buckets)
	if _, err := db.Exec(ddl); err != nil {
		return result{}, err
	}
	columns := strings.Join(duckbench.LineitemColumns, ", ") + ", temp"
	url := fmt.Sprintf("http://%s/api/bench/%s/_stream_load", srv.httpAddr(), table)
	cmd := exec.Command("curl", "--silent", "--show-error", "--location-trusted", "-u", "root:",
		"-H", fmt.Sprintf("label:loadbench_%d_%d", run, time.Now().UnixNano()), "-H", "column_separator:|",
		"-H", "columns: "+columns, "-H", "timeout:3600", "-T", file, "-XPUT", url)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	_ = srv.loaded() // the CPU time from here on is the load's
	start := time.Now()
	err := cmd.Run()
	secs := time.Since(start).Seconds()
	if err != nil {
		return result{}, fmt.Errorf("curl: %v: %s", err, errOut.String())
	}
	var resp loadResponse
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		return result{}, fmt.Errorf("stream load answer %q: %w", out.String(), err)
	}
	if resp.Status != "Success" || resp.NumberLoadedRows != lines {
		return result{}, fmt.Errorf("stream load: status %s, %d of %d rows loaded: %s (errors: %s)", resp.Status,
			resp.NumberLoadedRows, lines, resp.Message, resp.ErrorURL)
	}
	var count int64
	if err := db.QueryRow("SELECT COUNT(*) FROM bench." + table).Scan(&count); err != nil {
		return result{}, err
	}
	if count != lines {
		return result{}, fmt.Errorf("SELECT COUNT(*) = %d after loading %d lines", count, lines)
	}
	note := fmt.Sprintf("LoadTimeMs %d (read+convert %d, write %d)%s", resp.LoadTimeMs, resp.ReadDataTimeMs,
		resp.WriteDataTimeMs, srv.loaded())
	return result{system: "doric", bytes: size, rows: lines, seconds: secs, note: note}, nil
}

func loadDuckDB(file string, size, lines int64) (result, error) {
	db, err := sql.Open("duckdb", "?autoinstall_known_extensions=false")
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return result{}, err
	}
	defer conn.Close()
	var threads int64
	if err := conn.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&threads); err != nil {
		return result{}, err
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE lineitem ("+duckbench.LineitemDDL()+")"); err != nil {
		return result{}, err
	}
	start := time.Now()
	_, err = conn.ExecContext(ctx, "COPY lineitem FROM '"+strings.ReplaceAll(file, "'", "''")+"' (DELIMITER '|', HEADER false)")
	secs := time.Since(start).Seconds()
	if err != nil {
		return result{}, err
	}
	var count int64
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM lineitem").Scan(&count); err != nil {
		return result{}, err
	}
	if count != lines {
		return result{}, errors.New(fmt.Sprint("DuckDB COPY loaded ", count, " of ", lines, " lines"))
	}
	return result{system: "duckdb", bytes: size, rows: lines, seconds: secs, note: fmt.Sprintf("threads %d", threads)}, nil
}
