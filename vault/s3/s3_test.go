package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/s3"
	"github.com/doricdb/doric/vault/s3/s3test"
	"github.com/doricdb/doric/vault/vaulttest"
)

func seed(t *testing.T) *rand.Rand {
	s := uint64(time.Now().UnixNano())
	t.Logf("seed %d", s)
	return rand.New(rand.NewPCG(s, 0x53))
}

// TestConformance runs the vault suite on VersityGW with small, random page and batch sizes so
// that paging and batching are exercised, and with and without a root prefix.
func TestConformance(t *testing.T) {
	srv := s3test.Start(t)
	r := seed(t)
	vaulttest.Run(t, func(t *testing.T) vault.Storage {
		cfg := srv.Config(t)
		cfg.ListPageSize = 1 + r.IntN(7)
		cfg.DeleteBatchSize = 1 + r.IntN(7)
		if r.IntN(2) == 0 {
			cfg.Prefix = fmt.Sprintf("root%d/sub/", r.IntN(100))
		}
		st, err := s3.New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

// op names the S3 operation of a request, for counting.
func op(req *http.Request) string {
	q := req.URL.Query()
	switch {
	case req.Method == http.MethodPut && q.Has("partNumber"):
		return "UploadPart"
	case req.Method == http.MethodPut:
		return "PutObject"
	case req.Method == http.MethodPost && q.Has("uploads"):
		return "CreateMultipartUpload"
	case req.Method == http.MethodPost && q.Has("uploadId"):
		return "CompleteMultipartUpload"
	case req.Method == http.MethodDelete && q.Has("uploadId"):
		return "AbortMultipartUpload"
	case req.Method == http.MethodPost && q.Has("delete"):
		return "DeleteObjects"
	case req.Method == http.MethodGet && q.Has("list-type"):
		return "ListObjectsV2"
	case req.Method == http.MethodGet:
		return "GetObject"
	case req.Method == http.MethodHead:
		return "HeadObject"
	}
	return req.Method
}

// action is what a faultTransport does to one request.
type action struct {
	status  int    // synthesize an error response with this status and code
	code    string //
	netErr  bool   // fail the round trip with a connection reset
	cutBody int    // >0: cut the response body after this many bytes
}

// faultTransport counts requests by operation and injects faults chosen by plan.
type faultTransport struct {
	base http.RoundTripper
	plan func(op string, n int) action // n: how many earlier requests of op

	mu     sync.Mutex
	counts map[string]int
}

func newTransport(plan func(op string, n int) action) *faultTransport {
	if plan == nil {
		plan = func(string, int) action { return action{} }
	}
	return &faultTransport{base: http.DefaultTransport.(*http.Transport).Clone(), plan: plan, counts: map[string]int{}}
}

func (f *faultTransport) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[op]
}

func (f *faultTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	o := op(req)
	f.mu.Lock()
	n := f.counts[o]
	f.counts[o]++
	f.mu.Unlock()
	a := f.plan(o, n)
	switch {
	case a.netErr:
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	case a.status != 0:
		if req.Body != nil {
			req.Body.Close()
		}
		body := ""
		if req.Method != http.MethodHead {
			body = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message><RequestId>x</RequestId></Error>`, a.code)
		}
		return &http.Response{
			StatusCode: a.status, Status: fmt.Sprintf("%d %s", a.status, http.StatusText(a.status)),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:        http.Header{"Content-Type": {"application/xml"}},
			Body:          io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)), Request: req,
		}, nil
	}
	resp, err := f.base.RoundTrip(req)
	if err == nil && a.cutBody > 0 {
		resp.Body = &cutBody{rc: resp.Body, left: a.cutBody}
	}
	return resp, err
}

// cutBody ends a body early with a connection reset, as a dropped connection would.
type cutBody struct {
	rc   io.ReadCloser
	left int
}

func (c *cutBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	n, err := c.rc.Read(p[:min(len(p), c.left)])
	c.left -= n
	return n, err
}

func (c *cutBody) Close() error { return c.rc.Close() }

func newStorage(t *testing.T, cfg s3.Config, tr *faultTransport) *s3.Storage {
	t.Helper()
	if tr != nil {
		cfg.HTTPClient = &http.Client{Transport: tr}
	}
	st, err := s3.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func TestMultipartUpload(t *testing.T) {
	srv := s3test.Start(t)
	r := seed(t)
	tr := newTransport(nil)
	cfg := srv.Config(t)
	cfg.PartSize = s3.MinPartSize + r.Int64N(1<<20)
	cfg.UploadParallel = 1 + r.IntN(3)
	st := newStorage(t, cfg, tr)
	ctx := context.Background()

	parts := 2 + r.IntN(2)
	data := randBytes(r, int(cfg.PartSize)*(parts-1)+1+r.IntN(int(cfg.PartSize)))
	// A reader of unknown length that yields odd-sized pieces.
	n, err := st.Put(ctx, "big/obj", io.MultiReader(bytes.NewReader(data[:12345]), bytes.NewReader(data[12345:])))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("put: %d, %v", n, err)
	}
	if got := tr.count("UploadPart"); got != parts {
		t.Fatalf("%d bytes in parts of %d: %d UploadPart requests, want %d", len(data), cfg.PartSize, got, parts)
	}
	if tr.count("CreateMultipartUpload") != 1 || tr.count("CompleteMultipartUpload") != 1 || tr.count("PutObject") != 0 {
		t.Fatalf("requests: %v", tr.counts)
	}
	// Ranged reads across the part boundaries.
	for range 20 {
		off := r.Int64N(int64(len(data)))
		m := min(int64(len(data))-off, r.Int64N(3<<20))
		got, err := vault.ReadRange(ctx, st, "big/obj", off, m)
		if err != nil || !bytes.Equal(got, data[off:off+m]) {
			t.Fatalf("read [%d,+%d): %v", off, m, err)
		}
	}
	// An object one byte below the part size is a plain PutObject.
	before := tr.count("PutObject")
	if _, err := st.Put(ctx, "small", bytes.NewReader(data[:cfg.PartSize-1])); err != nil {
		t.Fatal(err)
	}
	if tr.count("PutObject") != before+1 {
		t.Fatal("an object below the part size did not use PutObject")
	}
}

func TestFailedMultipartIsAborted(t *testing.T) {
	srv := s3test.Start(t)
	cfg := srv.Config(t)
	cfg.PartSize = s3.MinPartSize
	tr := newTransport(nil)
	st := newStorage(t, cfg, tr)
	ctx := context.Background()
	injected := errors.New("reader broke")
	r := io.MultiReader(bytes.NewReader(make([]byte, 2*s3.MinPartSize+100)), iotestErr{injected})
	if _, err := st.Put(ctx, "broken", r); !errors.Is(err, injected) {
		t.Fatalf("put from a failing reader: %v", err)
	}
	if tr.count("AbortMultipartUpload") != 1 {
		t.Fatalf("requests: %v", tr.counts)
	}
	if _, err := st.Stat(ctx, "broken"); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("failed multipart left an object: %v", err)
	}
	ups, err := srv.Client().ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: aws.String(cfg.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Fatalf("%d multipart uploads left open", len(ups.Uploads))
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

func TestPrefixAndBatches(t *testing.T) {
	srv := s3test.Start(t)
	r := seed(t)
	cfg := srv.Config(t)
	cfg.Prefix = "/tenant-a/vault1/"
	cfg.DeleteBatchSize = 2 + r.IntN(5)
	cfg.ListPageSize = 2 + r.IntN(5)
	tr := newTransport(nil)
	st := newStorage(t, cfg, tr)
	ctx := context.Background()
	n := 10 + r.IntN(20)
	var paths []string
	for i := range n {
		p := vault.SegmentPath(int64(i%3), fmt.Sprintf("r%d", i), 0)
		paths = append(paths, p)
		if _, err := st.Put(ctx, p, strings.NewReader(p)); err != nil {
			t.Fatal(err)
		}
	}
	out, err := srv.Client().ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(cfg.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out.Contents {
		if !strings.HasPrefix(*o.Key, "tenant-a/vault1/data/") {
			t.Fatalf("key %q is outside the vault's prefix", *o.Key)
		}
	}
	if len(out.Contents) != n {
		t.Fatalf("bucket holds %d keys, want %d", len(out.Contents), n)
	}
	if _, err := st.List(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if got, want := tr.count("ListObjectsV2"), (n+cfg.ListPageSize-1)/cfg.ListPageSize; got < want {
		t.Fatalf("listing %d keys in pages of %d took %d requests", n, cfg.ListPageSize, got)
	}
	if err := st.Delete(ctx, paths...); err != nil {
		t.Fatal(err)
	}
	if got, want := tr.count("DeleteObjects"), (n+cfg.DeleteBatchSize-1)/cfg.DeleteBatchSize; got != want {
		t.Fatalf("deleting %d keys in batches of %d took %d requests, want %d", n, cfg.DeleteBatchSize, got, want)
	}
}

// TestRetries injects throttling, server errors, connection resets and cut bodies into the
// transport of a real server and checks that every operation still succeeds, and that the
// faults are classified when the retries run out.
func TestRetries(t *testing.T) {
	srv := s3test.Start(t)
	r := seed(t)
	cfg := srv.Config(t)
	cfg.Retry = vault.Backoff{Attempts: 6, Base: time.Millisecond, Max: 5 * time.Millisecond}
	faults := []action{
		{status: 503, code: "SlowDown"},
		{status: 500, code: "InternalError"},
		{netErr: true},
		{status: 429, code: "TooManyRequests"},
	}
	// Every operation's first k requests fail (k < Attempts); GETs are cut mid-body once more.
	k := 1 + r.IntN(3)
	tr := newTransport(func(op string, n int) action {
		if n < k {
			return faults[(n+len(op))%len(faults)]
		}
		if op == "GetObject" && n == k {
			return action{cutBody: 1 + n}
		}
		return action{}
	})
	st := newStorage(t, cfg, tr)
	ctx := context.Background()
	data := randBytes(r, 1000)
	if _, err := st.Put(ctx, "x/obj", bytes.NewReader(data)); err != nil {
		t.Fatalf("put: %v", err)
	}
	got, err := vault.ReadRange(ctx, st, "x/obj", 10, 900)
	if err != nil || !bytes.Equal(got, data[10:910]) {
		t.Fatalf("read: %v", err)
	}
	if tr.count("GetObject") != k+2 {
		t.Fatalf("%d GETs for %d faults and one cut body", tr.count("GetObject"), k)
	}
	if info, err := st.Stat(ctx, "x/obj"); err != nil || info.Size != 1000 {
		t.Fatalf("stat: %+v, %v", info, err)
	}
	if objs, err := st.List(ctx, "x/"); err != nil || len(objs) != 1 {
		t.Fatalf("list: %v, %v", objs, err)
	}
	if err := st.Delete(ctx, "x/obj"); err != nil {
		t.Fatalf("delete: %v", err)
	}

	// When the retries run out, the error says what class of failure it was.
	for _, c := range []struct {
		a    action
		want error
	}{
		{action{status: 503, code: "SlowDown"}, vault.ErrThrottled},
		{action{status: 500, code: "InternalError"}, vault.ErrUnavailable},
		{action{netErr: true}, vault.ErrUnavailable},
		{action{cutBody: 5}, vault.ErrUnavailable},
	} {
		tr := newTransport(func(op string, n int) action {
			if op == "GetObject" {
				return c.a
			}
			return action{}
		})
		cfg := cfg
		cfg.Retry.Attempts = 2
		st := newStorage(t, cfg, tr)
		if _, err := st.Put(ctx, "y", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		err := st.ReadAt(ctx, "y", make([]byte, 10), 0)
		if !errors.Is(err, c.want) || tr.count("GetObject") != 2 {
			t.Errorf("%+v: %v after %d GETs, want %v after 2", c.a, err, tr.count("GetObject"), c.want)
		}
	}
}

// TestClassification needs no server: every response is synthesized by the transport.
func TestClassification(t *testing.T) {
	for _, c := range []struct {
		status int
		code   string
		want   error
	}{
		{404, "NoSuchKey", vault.ErrNotFound},
		{416, "InvalidRange", vault.ErrOutOfRange},
		{403, "AccessDenied", vault.ErrPermission},
		{403, "SignatureDoesNotMatch", vault.ErrPermission},
		{403, "InvalidAccessKeyId", vault.ErrPermission},
		{503, "SlowDown", vault.ErrThrottled},
		{429, "TooManyRequests", vault.ErrThrottled},
		{500, "InternalError", vault.ErrUnavailable},
		{502, "BadGateway", vault.ErrUnavailable},
		{400, "InvalidArgument", nil},
		{404, "NoSuchBucket", nil},
	} {
		tr := newTransport(func(string, int) action { return action{status: c.status, code: c.code} })
		st := newStorage(t, s3.Config{Endpoint: "http://127.0.0.1:1", Bucket: "b", AccessKey: "k", SecretKey: "s",
			UsePathStyle: true, Retry: vault.Backoff{Attempts: 1}}, tr)
		err := st.ReadAt(context.Background(), "a/b", make([]byte, 4), 0)
		if err == nil {
			t.Fatalf("%d %s: no error", c.status, c.code)
		}
		for _, class := range []error{vault.ErrNotFound, vault.ErrOutOfRange, vault.ErrPermission, vault.ErrThrottled, vault.ErrUnavailable} {
			if errors.Is(err, class) != (class == c.want) {
				t.Errorf("%d %s: %v; errors.Is(%v) = %v", c.status, c.code, err, class, errors.Is(err, class))
			}
		}
		if !strings.Contains(err.Error(), `"a/b"`) {
			t.Errorf("error does not name the object: %v", err)
		}
	}
	// HEAD responses have no body: the status alone classifies them.
	tr := newTransport(func(string, int) action { return action{status: 404} })
	st := newStorage(t, s3.Config{Endpoint: "http://127.0.0.1:1", Bucket: "b", AccessKey: "k", SecretKey: "s", Retry: vault.Backoff{Attempts: 1}}, tr)
	if _, err := st.Stat(context.Background(), "a"); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("HEAD 404: %v", err)
	}
}

func TestCheck(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	cfg := srv.Config(t)
	if err := vault.Check(ctx, newStorage(t, cfg, nil)); err != nil {
		t.Fatalf("check of a good vault: %v", err)
	}
	bad := cfg
	bad.SecretKey = "wrong"
	err := vault.Check(ctx, newStorage(t, bad, nil))
	var ce *vault.CheckError
	if !errors.As(err, &ce) || ce.Step != vault.CheckWrite || !errors.Is(err, vault.ErrPermission) {
		t.Fatalf("check with a wrong secret key: %v", err)
	}
	missing := cfg
	missing.Bucket = "no-such-bucket"
	if err := vault.Check(ctx, newStorage(t, missing, nil)); !errors.As(err, &ce) || ce.Step != vault.CheckWrite {
		t.Fatalf("check of a missing bucket: %v", err)
	} else {
		t.Logf("missing bucket: %v", err)
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []s3.Config{
		{},                               // no bucket
		{Bucket: "b", AccessKey: "k"},    // key without secret
		{Bucket: "b", PartSize: 1 << 20}, // part below S3's minimum
		{Bucket: "b", Prefix: "a/../b"},  // illegal prefix
	} {
		if _, err := s3.New(context.Background(), c); err == nil {
			t.Errorf("New(%+v) succeeded", c)
		}
	}
	st, err := s3.New(context.Background(), s3.Config{Bucket: "b", Endpoint: "minio.local:9000", Prefix: "/p/q/", AccessKey: "k", SecretKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	got := st.Config()
	if got.Endpoint != "https://minio.local:9000" || got.Prefix != "p/q" || got.Region != s3.DefaultRegion ||
		got.PartSize != s3.DefaultPartSize || got.DeleteBatchSize != s3.MaxDeleteBatch {
		t.Fatalf("effective config %+v", got)
	}
	if red := got.Redacted(); red.SecretKey == "secret" || red.AccessKey != "k" {
		t.Fatalf("redacted %+v", red)
	}
}
