package system

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary returns the doric binary: $DORIC_BIN, or one built into the test's temp dir.
func binary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("DORIC_BIN"); b != "" {
		if _, err := os.Stat(b); err == nil {
			return b
		}
	}
	out := filepath.Join(t.TempDir(), "doric")
	cmd := exec.Command("go", "build", "-o", out, "github.com/doricdb/doric/cmd/doric")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build doric: %v\n%s", err, b)
	}
	return out
}

// server is a running doric process.
type server struct {
	t     *testing.T
	cmd   *exec.Cmd
	port  string // the first group of the ready pattern: the MySQL port for standalone
	mu    sync.Mutex
	log   strings.Builder
	done  chan error
	ready chan string
}

var readyRe = regexp.MustCompile(`msg="doric standalone ready" mysql=127\.0\.0\.1:(\d+)`)

// start runs `doric standalone` on free ports and waits until it logs its MySQL address.
func start(t *testing.T, bin, dataDir string) *server {
	t.Helper()
	return launch(t, bin, readyRe, "standalone", "--data-dir", dataDir, "--mysql-port", "0", "--http-port", "0")
}

// launch runs the binary with args and waits for a log line matching ready, whose first group
// becomes s.port.
func launch(t *testing.T, bin string, ready *regexp.Regexp, args ...string) *server {
	t.Helper()
	s := &server{t: t, done: make(chan error, 1), ready: make(chan string, 1)}
	s.cmd = exec.Command(bin, args...)
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sent := false
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			s.mu.Unlock()
			if m := ready.FindStringSubmatch(line); m != nil && !sent {
				sent = true
				s.ready <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		s.done <- s.cmd.Wait()
	}()
	select {
	case s.port = <-s.ready:
	case err := <-s.done:
		t.Fatalf("doric %s exited before it was ready: %v\n%s", args[0], err, s.logs())
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		t.Fatalf("doric %s not ready after 60s\n%s", args[0], s.logs())
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

func (s *server) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// stop sends sig and waits for the process to exit; SIGTERM must exit 0.
func (s *server) stop(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if sig == syscall.SIGTERM && err != nil {
			s.t.Fatalf("doric standalone exited with %v on SIGTERM\n%s", err, s.logs())
		}
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		s.t.Fatalf("doric standalone did not exit within 30s of %v\n%s", sig, s.logs())
	}
}

// needMySQLCLI skips the test when the mysql CLI is missing.
func needMySQLCLI(t *testing.T) {
	if _, err := exec.LookPath("mysql"); err != nil {
		t.Skip("the mysql CLI is not installed (make test-deps installs mariadb-client)")
	}
}

// mysql runs statements through the mysql CLI in batch mode with extra args; it returns stdout.
func (s *server) mysql(t *testing.T, sql string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	all := append([]string{"-h127.0.0.1", "-P" + s.port, "-uroot", "--batch"}, args...)
	cmd := exec.CommandContext(ctx, "mysql", all...)
	cmd.Stdin = strings.NewReader(sql)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%v: %s", err, errb.String())
	}
	return out.String(), nil
}

func (s *server) mustMySQL(t *testing.T, sql string, args ...string) string {
	t.Helper()
	out, err := s.mysql(t, sql, args...)
	if err != nil {
		t.Fatalf("mysql: %v\nSQL: %s\nserver log:\n%s", err, sql, s.logs())
	}
	return out
}
