package main

import (
	"flag"
	"os"
	"strings"
	"testing"
)

func TestParseTakesEnvironmentThenFlags(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	port := fs.Int("mysql-port", 9030, "")
	dir := fs.String("data-dir", "./d", "")
	t.Setenv("DORIC_MYSQL_PORT", "0")
	t.Setenv("DORIC_DATA_DIR", "/from/env")
	if err := parse(fs, []string{"--data-dir", "/from/flag"}); err != nil {
		t.Fatal(err)
	}
	if *port != 0 || *dir != "/from/flag" {
		t.Fatalf("port=%d dir=%q; want the environment's port and the flag's dir", *port, *dir)
	}
}

func TestParseRejectsBadEnvironment(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Int("http-port", 8030, "")
	t.Setenv("DORIC_HTTP_PORT", "eighty")
	err := parse(fs, nil)
	if err == nil || !strings.Contains(err.Error(), "DORIC_HTTP_PORT") {
		t.Fatalf("error %v, want one naming DORIC_HTTP_PORT", err)
	}
}

func TestPhysicalMemory(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc/meminfo")
	}
	if got := physicalMemory(); got < 64<<20 {
		t.Fatalf("physical memory %d bytes: /proc/meminfo not parsed", got)
	}
}
