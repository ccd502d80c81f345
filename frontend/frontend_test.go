package frontend_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/doricdb/doric/frontend/testcluster"
)

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// TestMetricsCountStatements checks that the frontend's /metrics reflects what clients did.
func TestMetricsCountStatements(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	db := c.DB()
	for _, q := range []string{"CREATE DATABASE m", "SELECT 1", "SELECT 2", "SELECT nope"} {
		_, _ = db.Exec(q)
	}
	body := get(t, "http://"+c.HTTPAddr()+"/metrics")
	for _, want := range []string{
		`doric_fe_statements_total{kind="ddl",outcome="ok"} 1`,
		`doric_fe_statements_total{kind="select",outcome="ok"} 2`,
		`doric_fe_statements_total{kind="select",outcome="error"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !regexp.MustCompile(`doric_fe_statement_seconds_count\{kind="select"\} 3`).MatchString(body) {
		t.Errorf("/metrics lacks the select latency histogram")
	}
	if h := get(t, "http://"+c.HTTPAddr()+"/api/health"); !strings.Contains(h, `"OK"`) {
		t.Errorf("/api/health: %s", h)
	}
}
