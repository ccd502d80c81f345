package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/doricdb/doric/vault"
)

// Limits and defaults of Config.
const (
	DefaultRegion          = "us-east-1"
	DefaultPartSize        = 16 << 20
	MinPartSize            = 5 << 20 // S3's minimum for every part but the last
	MaxParts               = 10000   // S3's maximum number of parts
	DefaultUploadParallel  = 4
	DefaultListPageSize    = 1000
	MaxDeleteBatch         = 1000 // S3's maximum keys per DeleteObjects
	defaultIdleConnPerHost = 128
)

// Config configures an S3 vault. Zero values mean the defaults.
type Config struct {
	// Endpoint is the service URL, e.g. "http://127.0.0.1:9000" or "s3.us-east-1.amazonaws.com"
	// ("https://" is assumed without a scheme). Empty: AWS S3 of Region.
	Endpoint string
	// Region signs the requests; default DefaultRegion.
	Region string
	// Bucket holds the vault's objects. Required.
	Bucket string
	// Prefix is the root path of the vault in the bucket ("" or e.g. "doric/prod"; slashes at
	// either end are ignored).
	Prefix string
	// UsePathStyle addresses the bucket as {endpoint}/{bucket} instead of {bucket}.{endpoint}.
	UsePathStyle bool

	// AccessKey, SecretKey and SessionToken are static credentials. When AccessKey is empty the
	// SDK's default credential chain is used (environment, shared config, web identity, ECS or
	// EC2 instance role).
	AccessKey, SecretKey, SessionToken string
	// RoleARN, when set, is assumed through STS with the credentials above (or the chain's).
	RoleARN string
	// ExternalID is passed with AssumeRole when set.
	ExternalID string

	// PartSize is the size of multipart upload parts and the threshold above which Put uses a
	// multipart upload; default DefaultPartSize, at least MinPartSize.
	PartSize int64
	// UploadParallel is the number of parts of one Put uploaded at once; default
	// DefaultUploadParallel. A Put buffers up to UploadParallel+1 parts in memory.
	UploadParallel int
	// ListPageSize is the MaxKeys of a ListObjectsV2 page; default 1000.
	ListPageSize int
	// DeleteBatchSize is the number of keys per DeleteObjects request; default and maximum 1000.
	DeleteBatchSize int
	// Retry is the retry policy of every request (see vault.Retry).
	Retry vault.Backoff
	// HTTPClient overrides the HTTP client (tests, proxies); nil means the SDK's client with
	// enough idle connections per host for parallel reads.
	HTTPClient *http.Client
}

// Redacted returns c with its secrets masked, for display.
func (c Config) Redacted() Config {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "******"
	}
	c.SecretKey, c.SessionToken = mask(c.SecretKey), mask(c.SessionToken)
	return c
}

func (c Config) withDefaults() (Config, error) {
	if c.Bucket == "" {
		return c, errors.New("bucket is required")
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	c.Prefix = strings.Trim(c.Prefix, "/")
	if c.Prefix != "" {
		if err := vault.ValidatePath(c.Prefix); err != nil {
			return c, fmt.Errorf("prefix: %w", err)
		}
	}
	if c.Endpoint != "" && !strings.Contains(c.Endpoint, "://") {
		c.Endpoint = "https://" + c.Endpoint
	}
	if c.AccessKey != "" && c.SecretKey == "" {
		return c, errors.New("an access key needs its secret key")
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.PartSize < MinPartSize {
		return c, fmt.Errorf("part size %d is below S3's minimum %d", c.PartSize, MinPartSize)
	}
	if c.UploadParallel <= 0 {
		c.UploadParallel = DefaultUploadParallel
	}
	if c.ListPageSize <= 0 || c.ListPageSize > DefaultListPageSize {
		c.ListPageSize = DefaultListPageSize
	}
	if c.DeleteBatchSize <= 0 || c.DeleteBatchSize > MaxDeleteBatch {
		c.DeleteBatchSize = MaxDeleteBatch
	}
	return c, nil
}

// Storage is an S3 vault.
type Storage struct {
	cfg    Config
	client *s3.Client
}

var _ vault.Storage = (*Storage)(nil)

// New returns an S3 vault. It does not contact the service (vault.Check does).
func New(ctx context.Context, cfg Config) (*Storage, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("s3 vault: %w", err)
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(cfg.Region)}
	if cfg.AccessKey != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3 vault: load AWS configuration: %w", err)
	}
	switch c := awsCfg.HTTPClient.(type) {
	case *awshttp.BuildableClient: // the SDK's, with any AWS_CA_BUNDLE applied
		if cfg.HTTPClient == nil {
			awsCfg.HTTPClient = c.WithTransportOptions(func(tr *http.Transport) {
				tr.MaxIdleConns = 4 * defaultIdleConnPerHost
				tr.MaxIdleConnsPerHost = defaultIdleConnPerHost
			})
		}
	}
	if cfg.HTTPClient != nil {
		awsCfg.HTTPClient = cfg.HTTPClient
	}
	if cfg.RoleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(awsCfg), cfg.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			if cfg.ExternalID != "" {
				o.ExternalID = aws.String(cfg.ExternalID)
			}
			o.RoleSessionName = fmt.Sprintf("doric-%d", time.Now().UnixNano())
		})
		awsCfg.Credentials = aws.NewCredentialsCache(provider)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.UsePathStyle
		o.Retryer = aws.NopRetryer{} // retries live in vault.Retry
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return &Storage{cfg: cfg, client: client}, nil
}

// Config returns the effective configuration (defaults applied).
func (s *Storage) Config() Config { return s.cfg }

func (s *Storage) key(path string) string {
	if s.cfg.Prefix == "" {
		return path
	}
	return s.cfg.Prefix + "/" + path
}

func (s *Storage) retry(ctx context.Context, op func(ctx context.Context) error) error {
	return vault.Retry(ctx, s.cfg.Retry, op)
}

// ctxReader stops a copy when the context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (s *Storage) Put(ctx context.Context, path string, r io.Reader) (int64, error) {
	if err := vault.ValidatePath(path); err != nil {
		return 0, fmt.Errorf("s3 vault: put: %w", err)
	}
	n, err := s.put(ctx, s.key(path), ctxReader{ctx, r})
	if err != nil {
		return 0, fmt.Errorf("s3 vault: put %q: %w", path, err)
	}
	return n, nil
}

// readPart reads up to size bytes of r: into a buffer of that size when full is set (a part
// of a multipart upload), else into a growing one (the first part, maybe a small object). It
// returns io.EOF only with an empty part.
func readPart(r io.Reader, size int64, full bool) ([]byte, error) {
	if full {
		buf := make([]byte, size)
		n, err := io.ReadFull(r, buf)
		switch err {
		case nil, io.ErrUnexpectedEOF:
			return buf[:n], nil
		default:
			return nil, err
		}
	}
	var b bytes.Buffer
	n, err := b.ReadFrom(io.LimitReader(r, size))
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, io.EOF
	}
	return b.Bytes(), nil
}

func (s *Storage) put(ctx context.Context, key string, r io.Reader) (int64, error) {
	first, err := readPart(r, s.cfg.PartSize, false)
	if err != nil && err != io.EOF {
		return 0, err
	}
	if int64(len(first)) < s.cfg.PartSize {
		if err := s.putObject(ctx, key, first); err != nil {
			return 0, err
		}
		return int64(len(first)), nil
	}
	return s.putMultipart(ctx, key, first, r)
}

func (s *Storage) putObject(ctx context.Context, key string, data []byte) error {
	return s.retry(ctx, func(ctx context.Context) error {
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket:        aws.String(s.cfg.Bucket),
			Key:           aws.String(key),
			Body:          bytes.NewReader(data),
			ContentLength: aws.Int64(int64(len(data))),
		})
		return classify(err)
	})
}

func (s *Storage) putMultipart(ctx context.Context, key string, first []byte, r io.Reader) (n int64, err error) {
	var uploadID *string
	err = s.retry(ctx, func(ctx context.Context) error {
		out, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key),
		})
		if err == nil {
			uploadID = out.UploadId
		}
		return classify(err)
	})
	if err != nil {
		return 0, fmt.Errorf("create multipart upload: %w", err)
	}
	defer func() {
		if err != nil { // never leave a half-uploaded object (or its parts) behind
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			_ = s.retry(actx, func(actx context.Context) error {
				_, aerr := s.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{
					Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: uploadID,
				})
				return classify(aerr)
			})
		}
	}()

	uctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		parts    []types.CompletedPart
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, s.cfg.UploadParallel)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
		mu.Unlock()
	}
	part := first
	for num := int32(1); ; num++ {
		if num > MaxParts {
			fail(fmt.Errorf("object exceeds %d parts of %d bytes", MaxParts, s.cfg.PartSize))
			break
		}
		n += int64(len(part))
		select {
		case sem <- struct{}{}:
		case <-uctx.Done():
		}
		if uctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(num int32, data []byte) {
			defer func() { <-sem; wg.Done() }()
			var etag *string
			err := s.retry(uctx, func(ctx context.Context) error {
				out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
					Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: uploadID,
					PartNumber: aws.Int32(num), Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
				})
				if err == nil {
					etag = out.ETag
				}
				return classify(err)
			})
			if err != nil {
				fail(fmt.Errorf("upload part %d: %w", num, err))
				return
			}
			mu.Lock()
			parts = append(parts, types.CompletedPart{ETag: etag, PartNumber: aws.Int32(num)})
			mu.Unlock()
		}(num, part)
		var rerr error
		part, rerr = readPart(r, s.cfg.PartSize, true)
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			fail(rerr)
			break
		}
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	sort.Slice(parts, func(i, j int) bool { return *parts[i].PartNumber < *parts[j].PartNumber })
	err = s.retry(ctx, func(ctx context.Context) error {
		_, err := s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: uploadID,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
		return classify(err)
	})
	if err != nil {
		return 0, fmt.Errorf("complete multipart upload of %d parts: %w", len(parts), err)
	}
	return n, nil
}

func (s *Storage) ReadAt(ctx context.Context, path string, p []byte, off int64) error {
	if err := vault.ValidatePath(path); err != nil {
		return fmt.Errorf("s3 vault: read: %w", err)
	}
	if off < 0 {
		return fmt.Errorf("s3 vault: read %q [%d,+%d): %w", path, off, len(p), vault.ErrOutOfRange)
	}
	if len(p) == 0 { // a ranged GET cannot ask for nothing: check existence and bounds
		info, err := s.Stat(ctx, path)
		if err != nil {
			return err
		}
		if off > info.Size {
			return fmt.Errorf("s3 vault: read %q [%d,+0) of %d bytes: %w", path, off, info.Size, vault.ErrOutOfRange)
		}
		return nil
	}
	end := off + int64(len(p)) - 1
	err := s.retry(ctx, func(ctx context.Context) error {
		out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
			Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.key(path)),
			Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
		})
		if err != nil {
			return classify(err)
		}
		defer out.Body.Close()
		if got := aws.ToInt64(out.ContentLength); got != int64(len(p)) {
			if total, ok := rangeTotal(aws.ToString(out.ContentRange)); ok && off+int64(len(p)) > total {
				return fmt.Errorf("[%d,+%d) of %d bytes: %w", off, len(p), total, vault.ErrOutOfRange)
			}
			return fmt.Errorf("asked for %d bytes at %d, the response has %d (range %q)", len(p), off, got, aws.ToString(out.ContentRange))
		}
		if _, err := io.ReadFull(out.Body, p); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("reading the body: %w", errors.Join(vault.ErrUnavailable, err))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("s3 vault: read %q: %w", path, err)
	}
	return nil
}

// rangeTotal parses the object size out of a Content-Range "bytes a-b/total".
func rangeTotal(cr string) (int64, bool) {
	i := strings.LastIndexByte(cr, '/')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(cr[i+1:], 10, 64)
	return n, err == nil
}

func (s *Storage) Stat(ctx context.Context, path string) (vault.ObjectInfo, error) {
	if err := vault.ValidatePath(path); err != nil {
		return vault.ObjectInfo{}, fmt.Errorf("s3 vault: stat: %w", err)
	}
	var size int64
	err := s.retry(ctx, func(ctx context.Context) error {
		out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.key(path))})
		if err != nil {
			return classify(err)
		}
		size = aws.ToInt64(out.ContentLength)
		return nil
	})
	if err != nil {
		return vault.ObjectInfo{}, fmt.Errorf("s3 vault: stat %q: %w", path, err)
	}
	return vault.ObjectInfo{Path: path, Size: size}, nil
}

func (s *Storage) List(ctx context.Context, prefix string) ([]vault.ObjectInfo, error) {
	if err := vault.ValidatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("s3 vault: list: %w", err)
	}
	out, err := s.list(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("s3 vault: list %q: %w", prefix, err)
	}
	return out, nil
}

func (s *Storage) list(ctx context.Context, prefix string) ([]vault.ObjectInfo, error) {
	root := ""
	if s.cfg.Prefix != "" {
		root = s.cfg.Prefix + "/"
	}
	var out []vault.ObjectInfo
	var token *string
	for {
		var page *s3.ListObjectsV2Output
		err := s.retry(ctx, func(ctx context.Context) error {
			var err error
			page, err = s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
				Bucket: aws.String(s.cfg.Bucket), Prefix: aws.String(root + prefix),
				ContinuationToken: token, MaxKeys: aws.Int32(int32(s.cfg.ListPageSize)),
			})
			return classify(err)
		})
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			path, ok := strings.CutPrefix(aws.ToString(o.Key), root)
			if !ok || vault.ValidatePath(path) != nil {
				continue // a directory marker or a name no vault writes
			}
			out = append(out, vault.ObjectInfo{Path: path, Size: aws.ToInt64(o.Size)})
		}
		if !aws.ToBool(page.IsTruncated) || aws.ToString(page.NextContinuationToken) == "" {
			break
		}
		token = page.NextContinuationToken
	}
	// S3 lists in byte order already; S3-compatible servers over file systems may not.
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func (s *Storage) Delete(ctx context.Context, paths ...string) error {
	for _, p := range paths {
		if err := vault.ValidatePath(p); err != nil {
			return fmt.Errorf("s3 vault: delete: %w", err)
		}
	}
	if err := s.deleteKeys(ctx, paths); err != nil {
		return fmt.Errorf("s3 vault: delete: %w", err)
	}
	return nil
}

// deleteKeys deletes vault paths in batches of DeleteBatchSize.
func (s *Storage) deleteKeys(ctx context.Context, paths []string) error {
	for len(paths) > 0 {
		batch := paths[:min(len(paths), s.cfg.DeleteBatchSize)]
		paths = paths[len(batch):]
		objs := make([]types.ObjectIdentifier, len(batch))
		for i, p := range batch {
			objs[i] = types.ObjectIdentifier{Key: aws.String(s.key(p))}
		}
		err := s.retry(ctx, func(ctx context.Context) error {
			out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
				Bucket: aws.String(s.cfg.Bucket),
				Delete: &types.Delete{Objects: objs, Quiet: aws.Bool(true)},
			})
			if err != nil {
				return classify(err)
			}
			var errs []error
			for _, e := range out.Errors {
				code := aws.ToString(e.Code)
				if code == "NoSuchKey" {
					continue
				}
				errs = append(errs, classifyCode(code, 0,
					fmt.Errorf("%s: %s: %s", aws.ToString(e.Key), code, aws.ToString(e.Message))))
			}
			if len(errs) > 0 {
				return fmt.Errorf("%d of %d keys not deleted: %w", len(errs), len(objs), errors.Join(errs...))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Storage) DeletePrefix(ctx context.Context, prefix string) error {
	if prefix == "" {
		return fmt.Errorf("s3 vault: delete prefix: empty prefix: %w", vault.ErrInvalidPath)
	}
	if err := vault.ValidatePrefix(prefix); err != nil {
		return fmt.Errorf("s3 vault: delete prefix: %w", err)
	}
	objs, err := s.list(ctx, prefix)
	if err != nil {
		return fmt.Errorf("s3 vault: delete prefix %q: %w", prefix, err)
	}
	paths := make([]string, len(objs))
	for i, o := range objs {
		paths[i] = o.Path
	}
	if err := s.deleteKeys(ctx, paths); err != nil {
		return fmt.Errorf("s3 vault: delete prefix %q: %w", prefix, err)
	}
	return nil
}
