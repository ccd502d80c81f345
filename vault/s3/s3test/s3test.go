package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/doricdb/doric/vault/s3"
)

// EnvBinary names the environment variable that points at the versitygw binary.
const EnvBinary = "DORIC_VERSITYGW"

// Server is a running versitygw.
type Server struct {
	Endpoint  string // "http://127.0.0.1:PORT"
	Addr      string // "127.0.0.1:PORT"
	AccessKey string
	SecretKey string
	Region    string
	Dir       string // the posix root: one directory per bucket

	client  *awss3.Client
	buckets atomic.Int64
}

// Binary returns the path of the versitygw binary, and whether it was asked for explicitly
// (through EnvBinary).
func Binary() (path string, explicit bool, err error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return p, true, fmt.Errorf("%s=%s: %w", EnvBinary, p, err)
		}
		return p, true, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", false, err
	}
	p := filepath.Join(root, ".tools", "bin", "versitygw")
	if _, err := os.Stat(p); err != nil {
		return p, false, err
	}
	return p, false, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Start starts a server that lives until t ends. It skips t when versitygw is not installed
// (and fails it when $DORIC_VERSITYGW names a missing file).
func Start(t testing.TB) *Server {
	t.Helper()
	bin, explicit, err := Binary()
	if err != nil {
		if explicit {
			t.Fatalf("s3test: %v", err)
		}
		t.Skipf("s3test: versitygw not found (%v): run `make tools` or set %s to run the S3 tests", err, EnvBinary)
	}
	s := &Server{AccessKey: "doric-test-key", SecretKey: "doric-test-secret-0123456789", Region: "us-east-1", Dir: t.TempDir()}
	var lastErr error
	for range 5 { // a free port can be taken between our probe and the server's bind: try again
		if lastErr = s.start(t, bin); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("s3test: starting versitygw: %v", lastErr)
	}
	s.client = awss3.New(awss3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
	return s
}

// logBuffer collects a process's output for error messages.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() < 1<<20 {
		l.buf.Write(p)
	}
	return len(p), nil
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (s *Server) start(t testing.TB, bin string) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	l.Close()

	cmd := exec.Command(bin, "--port", addr, "--access", s.AccessKey, "--secret", s.SecretKey,
		"--region", s.Region, "--quiet", "posix", s.Dir)
	for _, kv := range os.Environ() { // the gateway's own variables must not leak in
		if !strings.HasPrefix(kv, "VGW_") && !strings.HasPrefix(kv, "ROOT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	dieWithParent(cmd)
	out := &logBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("versitygw on %s exited: %v\n%s", addr, err, out.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			return fmt.Errorf("versitygw on %s did not accept connections in 15s\n%s", addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Addr, s.Endpoint = addr, "http://"+addr
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			if log := out.String(); log != "" {
				t.Logf("versitygw output:\n%s", log)
			}
		}
	})
	return nil
}

// Client returns an SDK client of the server (path-style, the server's root keys).
func (s *Server) Client() *awss3.Client { return s.client }

// NewBucket creates a fresh, empty bucket.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("doric-test-%d", s.buckets.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v", name, err)
	}
	return name
}

// Config returns the configuration of an S3 vault on a fresh bucket of the server.
func (s *Server) Config(t testing.TB) s3.Config {
	return s3.Config{
		Endpoint:     s.Endpoint,
		Region:       s.Region,
		Bucket:       s.NewBucket(t),
		UsePathStyle: true,
		AccessKey:    s.AccessKey,
		SecretKey:    s.SecretKey,
	}
}

// Storage returns an S3 vault on a fresh bucket of the server.
func (s *Server) Storage(t testing.TB) *s3.Storage {
	t.Helper()
	st, err := s3.New(context.Background(), s.Config(t))
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return st
}
