package tpch

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/doricdb/doric/frontend/testcluster"
)

// acceptance is where the shared acceptance material lives (beside the clone in CI).
const acceptance = "../../../shared/acceptance/tpch"

// pending lists the queries the engine cannot answer yet (issue 6 brings joins, subqueries and the
// rest). Each must still fail: when one starts to pass, the test says so, and it leaves the list.
var pending = map[int]bool{}

// schema is the standard TPC-H schema as a Doris user writes it.
var schema = []string{
	`CREATE TABLE region (r_regionkey INT NOT NULL, r_name CHAR(25) NOT NULL, r_comment VARCHAR(152))
	 DUPLICATE KEY(r_regionkey) DISTRIBUTED BY HASH(r_regionkey) BUCKETS 1`,
	`CREATE TABLE nation (n_nationkey INT NOT NULL, n_name CHAR(25) NOT NULL, n_regionkey INT NOT NULL, n_comment VARCHAR(152))
	 DUPLICATE KEY(n_nationkey) DISTRIBUTED BY HASH(n_nationkey) BUCKETS 1`,
	`CREATE TABLE supplier (s_suppkey INT NOT NULL, s_name CHAR(25) NOT NULL, s_address VARCHAR(40) NOT NULL,
	 s_nationkey INT NOT NULL, s_phone CHAR(15) NOT NULL, s_acctbal DECIMAL(15,2) NOT NULL, s_comment VARCHAR(101) NOT NULL)
	 DUPLICATE KEY(s_suppkey) DISTRIBUTED BY HASH(s_suppkey) BUCKETS 2`,
	`CREATE TABLE customer (c_custkey INT NOT NULL, c_name VARCHAR(25) NOT NULL, c_address VARCHAR(40) NOT NULL,
	 c_nationkey INT NOT NULL, c_phone CHAR(15) NOT NULL, c_acctbal DECIMAL(15,2) NOT NULL, c_mktsegment CHAR(10) NOT NULL,
	 c_comment VARCHAR(117) NOT NULL)
	 DUPLICATE KEY(c_custkey) DISTRIBUTED BY HASH(c_custkey) BUCKETS 4`,
	`CREATE TABLE part (p_partkey INT NOT NULL, p_name VARCHAR(55) NOT NULL, p_mfgr CHAR(25) NOT NULL, p_brand CHAR(10) NOT NULL,
	 p_type VARCHAR(25) NOT NULL, p_size INT NOT NULL, p_container CHAR(10) NOT NULL, p_retailprice DECIMAL(15,2) NOT NULL,
	 p_comment VARCHAR(23) NOT NULL)
	 DUPLICATE KEY(p_partkey) DISTRIBUTED BY HASH(p_partkey) BUCKETS 4`,
	`CREATE TABLE partsupp (ps_partkey INT NOT NULL, ps_suppkey INT NOT NULL, ps_availqty INT NOT NULL,
	 ps_supplycost DECIMAL(15,2) NOT NULL, ps_comment VARCHAR(199) NOT NULL)
	 DUPLICATE KEY(ps_partkey, ps_suppkey) DISTRIBUTED BY HASH(ps_partkey) BUCKETS 4`,
	`CREATE TABLE orders (o_orderkey BIGINT NOT NULL, o_custkey INT NOT NULL, o_orderstatus CHAR(1) NOT NULL,
	 o_totalprice DECIMAL(15,2) NOT NULL, o_orderdate DATE NOT NULL, o_orderpriority CHAR(15) NOT NULL,
	 o_clerk CHAR(15) NOT NULL, o_shippriority INT NOT NULL, o_comment VARCHAR(79) NOT NULL)
	 DUPLICATE KEY(o_orderkey) DISTRIBUTED BY HASH(o_orderkey) BUCKETS 8`,
	`CREATE TABLE lineitem (l_orderkey BIGINT NOT NULL, l_partkey INT NOT NULL, l_suppkey INT NOT NULL, l_linenumber INT NOT NULL,
	 l_quantity DECIMAL(15,2) NOT NULL, l_extendedprice DECIMAL(15,2) NOT NULL, l_discount DECIMAL(15,2) NOT NULL,
	 l_tax DECIMAL(15,2) NOT NULL, l_returnflag CHAR(1) NOT NULL, l_linestatus CHAR(1) NOT NULL, l_shipdate DATE NOT NULL,
	 l_commitdate DATE NOT NULL, l_receiptdate DATE NOT NULL, l_shipinstruct CHAR(25) NOT NULL, l_shipmode CHAR(10) NOT NULL,
	 l_comment VARCHAR(44) NOT NULL)
	 DUPLICATE KEY(l_orderkey, l_partkey, l_suppkey, l_linenumber) DISTRIBUTED BY HASH(l_orderkey) BUCKETS 8`,
}

var tables = []string{"region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"}

// TestTPCH loads each small scale factor through the product (CREATE TABLE over MySQL, Stream
// Load over HTTP exactly as a user would) and checks every query against the published answers
// by the rules of the acceptance README.
func TestTPCH(t *testing.T) {
	if _, err := os.Stat(acceptance); err != nil {
		t.Skipf("TPC-H acceptance material not found at %s (CI has ../shared beside the clone): %v", acceptance, err)
	}
	for _, sf := range []string{"sf0.01", "sf0.1", "sf1"} {
		t.Run(sf, func(t *testing.T) {
			if sf == "sf0.1" && testing.Short() {
				t.Skip("-short")
			}
			if sf == "sf1" && os.Getenv(sf1Env) == "" {
				t.Skipf("SF 1 runs in make test-long (%s names the generated data)", sf1Env)
			}
			tc := testcluster.Start(t, testcluster.Options{ComputeNodes: 2})
			db := tc.DB()
			mustExec(t, db, "CREATE DATABASE tpch")
			mustExec(t, db, "USE tpch")
			for _, ddl := range schema {
				mustExec(t, db, ddl)
			}
			for _, table := range tables {
				rows := streamLoad(t, tc.HTTPAddr(), table, dataFile(t, sf, table))
				t.Logf("%s: %d rows", table, rows)
			}
			// Column statistics for the optimizer, as a user runs them after loading.
			start := time.Now()
			for _, table := range tables {
				mustExec(t, db, "ANALYZE TABLE tpch."+table+" WITH SYNC")
			}
			t.Logf("analyze: %v", time.Since(start).Round(time.Millisecond))
			if sf == "sf0.01" {
				checkExplain(t, db)
			}
			for q := 1; q <= 22; q++ {
				start := time.Now()
				err := runQuery(db, sf, q)
				t.Logf("q%02d: %v", q, time.Since(start).Round(time.Millisecond))
				switch {
				case err == nil && pending[q]:
					t.Errorf("q%02d now returns the published answer: remove it from pending", q)
				case err != nil && !pending[q]:
					t.Errorf("q%02d: %v", q, err)
				case err != nil:
					t.Logf("q%02d pending: %s", q, firstLine(err.Error()))
				}
			}
		})
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// sf1Env names the directory of the SF 1 tables go-tpc's dbgen generated (make test-long sets
// it: test/duckbench's tpchgen -dir).
const sf1Env = "DORIC_TPCH_SF1_DATA"

// dataFile returns the .tbl file of a table, decompressing a .tbl.zst into the test's temp dir.
func dataFile(t *testing.T, sf, table string) string {
	t.Helper()
	if sf == "sf1" {
		return filepath.Join(os.Getenv(sf1Env), table+".tbl")
	}
	plain := filepath.Join(acceptance, "data", sf, table+".tbl")
	if _, err := os.Stat(plain); err == nil {
		return plain
	}
	in, err := os.Open(plain + ".zst")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	dec, err := zstd.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	out := filepath.Join(t.TempDir(), table+".tbl")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, dec); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// streamLoad loads a .tbl file into tpch.table as a user does: PUT to the frontend, follow its 307
// to a compute node with the same credentials.
func streamLoad(t *testing.T, feHTTP, table, path string) int64 {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	url := fmt.Sprintf("http://%s/api/tpch/%s/_stream_load", feHTTP, table)
	for hop := 0; ; hop++ {
		req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("root", "")
		req.Header.Set("Expect", "100-continue")
		req.Header.Set("label", fmt.Sprintf("tpch_%s_%d", table, time.Now().UnixNano()))
		req.Header.Set("column_separator", "|")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTemporaryRedirect && hop == 0 {
			url = resp.Header.Get("Location")
			continue
		}
		var res struct {
			Status           string
			Message          string
			NumberLoadedRows int64
			NumberTotalRows  int64
		}
		if err := json.Unmarshal(out, &res); err != nil || res.Status != "Success" || res.NumberLoadedRows != res.NumberTotalRows {
			t.Fatalf("stream load of %s: HTTP %d %s (%v)", table, resp.StatusCode, out, err)
		}
		return res.NumberLoadedRows
	}
}

var orderBy = regexp.MustCompile(`(?is)\border\s+by\b[^()]*$`)

// runQuery runs query q and compares its result with the published answer.
func runQuery(db *sql.DB, sf string, q int) error {
	text, err := os.ReadFile(filepath.Join(acceptance, "queries", fmt.Sprintf("q%02d.sql", q)))
	if err != nil {
		return err
	}
	want, err := readAnswer(filepath.Join(acceptance, "answers", sf, fmt.Sprintf("q%02d.csv", q)))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rows, err := db.QueryContext(ctx, string(text))
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	var got [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		got = append(got, row)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	ordered := orderBy.Match(bytes.TrimRight(bytes.TrimSpace(text), ";"))
	if sf == "sf1" {
		if q == 13 {
			return customersCounted(got)
		}
		for _, c := range goTPCText[q] {
			for _, rows := range [][][]string{got, want} {
				for _, r := range rows {
					if c-1 < len(r) {
						r[c-1] = "<dbgen random text>"
					}
				}
			}
		}
	}
	return compare(got, want, ordered)
}

// goTPCText lists, per query, the result columns (1-based) that print dbgen's random text
// (addresses, comments). On go-tpc v1.0.12's SF 1 data those strings differ from the ones in the
// published answers (same lengths, other characters: observed, cause not found), so at SF 1 those
// columns cannot match; every other column, and the row order, still must — every key, number,
// date and name does.
var goTPCText = map[int][]int{2: {6, 8}, 10: {6, 8}, 15: {3}, 20: {2}}

// customersCounted checks q13 on go-tpc's data, whose order comments (which q13 filters with NOT
// LIKE) differ from the reference's: its result must still count every customer exactly once.
func customersCounted(got [][]string) error {
	total := 0
	for _, r := range got {
		if len(r) != 2 {
			return fmt.Errorf("q13: row %v: want 2 columns", r)
		}
		n, err := strconv.Atoi(r[1])
		if err != nil {
			return fmt.Errorf("q13: custdist %q: %v", r[1], err)
		}
		total += n
	}
	if total != 150000 {
		return fmt.Errorf("q13: the custdist column sums to %d, want the 150000 customers of SF 1", total)
	}
	return nil
}

// readAnswer reads a published answer: '|'-separated, one header row.
func readAnswer(path string) ([][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// Only the final newline goes: an empty last line is a row holding one NULL (printed empty).
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	var out [][]string
	for _, l := range lines[1:] {
		out = append(out, strings.Split(l, "|"))
	}
	return out, nil
}

// compare applies the acceptance README's rules: row order only when the query orders its output;
// strings exactly (trailing spaces trimmed); numbers by value, and where one side prints fewer
// decimals (at least 4) the other rounded to that many must equal it.
func compare(got, want [][]string, ordered bool) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d rows, want %d\n got %v\nwant %v", len(got), len(want), head(got), head(want))
	}
	if !ordered {
		key := func(r []string) string { return strings.Join(r, "|") }
		got, want = slices.Clone(got), slices.Clone(want)
		slices.SortFunc(got, func(a, b []string) int { return strings.Compare(key(a), key(b)) })
		slices.SortFunc(want, func(a, b []string) int { return strings.Compare(key(a), key(b)) })
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			return fmt.Errorf("row %d: %d columns, want %d", i+1, len(got[i]), len(want[i]))
		}
		for j := range want[i] {
			if !sameValue(got[i][j], want[i][j]) {
				return fmt.Errorf("row %d column %d: %q, want %q\n got %v\nwant %v", i+1, j+1, got[i][j], want[i][j], got[i], want[i])
			}
		}
	}
	return nil
}

func head(rows [][]string) [][]string { return rows[:min(len(rows), 5)] }

func sameValue(got, want string) bool {
	if strings.TrimRight(got, " ") == strings.TrimRight(want, " ") || got == "NULL" && want == "" {
		return true
	}
	g, gok := new(big.Rat).SetString(got)
	w, wok := new(big.Rat).SetString(want)
	if !gok || !wok {
		return false
	}
	if g.Cmp(w) == 0 {
		return true
	}
	d := min(decimals(got), decimals(want))
	if d < 4 {
		return false
	}
	return round(g, d) == round(w, d)
}

func decimals(s string) int {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// round formats r rounded half away from zero to d decimals.
func round(r *big.Rat, d int) string {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d)), nil)
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(scale))
	num, den := x.Num(), x.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return new(big.Rat).SetFrac(q, scale).FloatString(d)
}

// TestCompareRules pins the acceptance README's comparison rules.
func TestCompareRules(t *testing.T) {
	for _, c := range []struct {
		got, want string
		same      bool
	}{
		{"380456", "380456.00", true},
		{"25.5752", "25.575154611454693", true},  // an average printed with 4 decimals
		{"25.5751", "25.575154611454693", false}, // ... must round to the same
		{"0.0501", "0.05008133906964238", true},  // rounds up
		{"532348211.6", "532348211.65", false},   // money: exact
		{"532348211.650", "532348211.65", true},  // same value
		{"-1.00005", "-1.0001", true},            // half away from zero, 4 decimals
		{"Supplier#1", "Supplier#1 ", true},      // CHAR trailing spaces
		{"1995-03-15", "1995-03-15", true},       // dates exactly
		{"1995-03-15", "1995-03-16", false},
		{"A", "B", false},
	} {
		if got := sameValue(c.got, c.want); got != c.same {
			t.Errorf("sameValue(%q, %q) = %v, want %v", c.got, c.want, got, c.same)
		}
	}
	if compare([][]string{{"1"}, {"2"}}, [][]string{{"2"}, {"1"}}, true) == nil {
		t.Error("ordered comparison ignored the order")
	}
	if err := compare([][]string{{"1"}, {"2"}}, [][]string{{"2"}, {"1"}}, false); err != nil {
		t.Errorf("unordered comparison: %v", err)
	}
}
