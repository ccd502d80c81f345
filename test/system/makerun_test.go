package system

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMakeRun is the README's first command: `make run` serves MySQL on 127.0.0.1:9030. It is
// skipped when something else already listens on 9030 or 8030.
func TestMakeRun(t *testing.T) {
	needMySQLCLI(t)
	if testing.Short() {
		t.Skip("short mode")
	}
	for _, p := range []string{"9030", "8030"} {
		l, err := net.Listen("tcp", "127.0.0.1:"+p)
		if err != nil {
			t.Skipf("port %s is in use: %v", p, err)
		}
		l.Close()
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "-s", "-C", "../..", "run", "DATA_DIR="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // make's child must get the signal too
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = os.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "doric standalone ready") {
				ready <- sc.Text()
			}
		}
	}()
	select {
	case line := <-ready:
		if !strings.Contains(line, "mysql=127.0.0.1:9030") || !strings.Contains(line, "http=127.0.0.1:8030") {
			t.Fatalf("make run is not on the documented ports: %s", line)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("make run did not become ready")
	}
	out, err := exec.Command("mysql", "-h127.0.0.1", "-P9030", "-uroot", "--batch", "-e", "SELECT 40 + 2").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "(40 + 2)\n42" {
		t.Fatalf("mysql against make run: %v %q", err, out)
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("make run did not stop on SIGTERM")
	}
}
