package hdfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	pathpkg "path"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/colinmarc/hdfs/v2"
	krbclient "github.com/jcmturner/gokrb5/v8/client"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/doricdb/doric/vault"
)

// Config configures an HDFS vault.
type Config struct {
	// Addresses are the namenodes ("host:port"; several for HA). See ParseDefaultFS.
	Addresses []string
	// User is the HDFS user of simple authentication (Doris's "hadoop.username"); ignored with
	// Kerberos.
	User string
	// Prefix is the vault's root directory (Doris's "path_prefix"); default "/".
	Prefix string
	// Kerberos, when set, authenticates with a keytab instead of User.
	Kerberos *Kerberos
	// UseDatanodeHostname connects to datanodes by hostname instead of IP address.
	UseDatanodeHostname bool
	// Retry is the retry policy of idempotent operations (see vault.Retry).
	Retry vault.Backoff
}

// Kerberos configures Kerberos authentication.
type Kerberos struct {
	Principal string // "user@REALM" or "user/host@REALM"
	Keytab    string // path of the keytab file
	// Krb5Conf is the path of krb5.conf; default /etc/krb5.conf.
	Krb5Conf string
	// ServicePrincipal is the namenode's principal (dfs.namenode.kerberos.principal); default
	// "nn/_HOST".
	ServicePrincipal string
}

// ParseDefaultFS turns Hadoop's fs.defaultFS ("hdfs://nn1:8020", or a comma-separated list of
// namenodes "hdfs://nn1:8020,nn2:8020") into namenode addresses. A missing port is 8020.
func ParseDefaultFS(s string) ([]string, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "hdfs://")
	if !ok {
		return nil, fmt.Errorf("fs.defaultFS %q: want hdfs://host:port", s)
	}
	rest, _, _ = strings.Cut(rest, "/")
	var out []string
	for _, a := range strings.Split(rest, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			a = net.JoinHostPort(a, "8020")
		}
		if _, err := url.Parse("hdfs://" + a); err != nil {
			return nil, fmt.Errorf("fs.defaultFS %q: %w", s, err)
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("fs.defaultFS %q names no namenode", s)
	}
	return out, nil
}

// Storage is an HDFS vault.
type Storage struct {
	cfg    Config
	root   string // absolute, no trailing slash except "/"
	client *hdfs.Client
}

var _ vault.Storage = (*Storage)(nil)

// New connects to the namenode(s).
func New(cfg Config) (*Storage, error) {
	if len(cfg.Addresses) == 0 {
		return nil, errors.New("hdfs vault: no namenode address")
	}
	root := pathpkg.Clean("/" + cfg.Prefix)
	opts := hdfs.ClientOptions{Addresses: cfg.Addresses, User: cfg.User, UseDatanodeHostname: cfg.UseDatanodeHostname}
	if k := cfg.Kerberos; k != nil {
		kc, err := kerberosClient(k)
		if err != nil {
			return nil, fmt.Errorf("hdfs vault: kerberos: %w", err)
		}
		opts.KerberosClient = kc
		opts.KerberosServicePrincipleName = k.ServicePrincipal
		if opts.KerberosServicePrincipleName == "" {
			opts.KerberosServicePrincipleName = "nn/_HOST"
		}
	} else if opts.User == "" {
		return nil, errors.New("hdfs vault: a user (or Kerberos) is required")
	}
	c, err := hdfs.NewClient(opts)
	if err != nil {
		// The client flattens its connection errors into text; tell "nothing reachable" (worth
		// retrying later) from a refused handshake by dialling ourselves.
		if derr := dialAny(cfg.Addresses); derr != nil {
			err = fmt.Errorf("%w: %w", vault.ErrUnavailable, derr)
		}
		return nil, fmt.Errorf("hdfs vault: connect to %v: %w", cfg.Addresses, classify(err))
	}
	return &Storage{cfg: cfg, root: root, client: c}, nil
}

// dialAny returns nil when one of the addresses accepts a TCP connection, else the last error.
func dialAny(addrs []string) error {
	var err error
	for _, a := range addrs {
		var c net.Conn
		if c, err = net.DialTimeout("tcp", a, 5*time.Second); err == nil {
			c.Close()
			return nil
		}
	}
	return err
}

func kerberosClient(k *Kerberos) (*krbclient.Client, error) {
	user, realm, ok := strings.Cut(k.Principal, "@")
	if !ok || user == "" || realm == "" {
		return nil, fmt.Errorf("principal %q: want user@REALM", k.Principal)
	}
	confPath := k.Krb5Conf
	if confPath == "" {
		confPath = "/etc/krb5.conf"
	}
	conf, err := krbconfig.Load(confPath)
	if err != nil {
		return nil, fmt.Errorf("krb5.conf %s: %w", confPath, err)
	}
	kt, err := keytab.Load(k.Keytab)
	if err != nil {
		return nil, fmt.Errorf("keytab %s: %w", k.Keytab, err)
	}
	c := krbclient.NewWithKeytab(user, realm, kt, conf, krbclient.DisablePAFXFAST(true))
	if err := c.Login(); err != nil {
		return nil, fmt.Errorf("login as %s: %w", k.Principal, err)
	}
	return c, nil
}

// Close closes the connection to the namenode.
func (s *Storage) Close() error { return s.client.Close() }

// full is the HDFS path of a vault path.
func (s *Storage) full(path string) string { return pathpkg.Join(s.root, path) }

// classify wraps an HDFS client error with its vault class.
func classify(err error) error {
	var class error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, vault.ErrUnavailable) || errors.Is(err, vault.ErrNotFound):
		return err // already classified
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		class = vault.ErrNotFound
	case errors.Is(err, fs.ErrPermission):
		class = vault.ErrPermission
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) || isNetError(err):
		class = vault.ErrUnavailable
	default:
		return err
	}
	return fmt.Errorf("%w: %w", class, err)
}

func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

func (s *Storage) retry(ctx context.Context, op func(context.Context) error) error {
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
		return 0, fmt.Errorf("hdfs vault: put: %w", err)
	}
	n, err := s.put(ctx, s.full(path), r)
	if err != nil {
		return 0, fmt.Errorf("hdfs vault: put %q: %w", path, err)
	}
	return n, nil
}

func (s *Storage) put(ctx context.Context, full string, r io.Reader) (int64, error) {
	dir := pathpkg.Dir(full)
	if err := s.client.MkdirAll(dir, 0o755); err != nil {
		return 0, classify(err)
	}
	tmp := pathpkg.Join(dir, fmt.Sprintf("%s%016x", vault.ReservedPrefix, rand.Uint64()))
	w, err := s.client.Create(tmp)
	if err != nil {
		return 0, classify(err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = w.Close()
			_ = s.client.Remove(tmp)
		}
	}()
	if d, has := ctx.Deadline(); has {
		_ = w.SetDeadline(d)
	}
	n, err := io.Copy(w, ctxReader{ctx, r})
	if err != nil {
		return 0, classify(err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// The namenode may need a moment to see the last block replicated: Close again, as the
	// Java client does.
	for attempt := 1; ; attempt++ {
		err = w.Close()
		if err == nil || !hdfs.IsErrReplicating(err) || attempt == 8 {
			break
		}
		time.Sleep(time.Duration(attempt*attempt) * 20 * time.Millisecond)
	}
	if err != nil {
		return 0, classify(err)
	}
	if err := s.client.Rename(tmp, full); err != nil {
		return 0, classify(err)
	}
	ok = true
	return n, nil
}

func (s *Storage) ReadAt(ctx context.Context, path string, p []byte, off int64) error {
	if err := vault.ValidatePath(path); err != nil {
		return fmt.Errorf("hdfs vault: read: %w", err)
	}
	err := s.retry(ctx, func(ctx context.Context) error {
		f, err := s.client.Open(s.full(path))
		if err != nil {
			return classify(err)
		}
		defer f.Close()
		fi := f.Stat()
		if fi.IsDir() {
			return vault.ErrNotFound
		}
		size := fi.Size()
		if off < 0 || off > size || int64(len(p)) > size-off {
			return fmt.Errorf("[%d,+%d) of %d bytes: %w", off, len(p), size, vault.ErrOutOfRange)
		}
		if len(p) == 0 {
			return nil
		}
		if d, has := ctx.Deadline(); has {
			_ = f.SetDeadline(d)
		}
		n, err := f.ReadAt(p, off)
		if n == len(p) {
			return nil
		}
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("hdfs vault: read %q: %w", path, err)
	}
	return nil
}

func (s *Storage) Stat(ctx context.Context, path string) (vault.ObjectInfo, error) {
	if err := vault.ValidatePath(path); err != nil {
		return vault.ObjectInfo{}, fmt.Errorf("hdfs vault: stat: %w", err)
	}
	var size int64
	err := s.retry(ctx, func(ctx context.Context) error {
		fi, err := s.client.Stat(s.full(path))
		if err != nil {
			return classify(err)
		}
		if fi.IsDir() {
			return vault.ErrNotFound
		}
		size = fi.Size()
		return nil
	})
	if err != nil {
		return vault.ObjectInfo{}, fmt.Errorf("hdfs vault: stat %q: %w", path, err)
	}
	return vault.ObjectInfo{Path: path, Size: size}, nil
}

func (s *Storage) List(ctx context.Context, prefix string) ([]vault.ObjectInfo, error) {
	if err := vault.ValidatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("hdfs vault: list: %w", err)
	}
	var out []vault.ObjectInfo
	err := s.retry(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.list(ctx, prefix)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("hdfs vault: list %q: %w", prefix, err)
	}
	return out, nil
}

func (s *Storage) list(ctx context.Context, prefix string) ([]vault.ObjectInfo, error) {
	// Only the directory named by the prefix up to its last '/' can hold matches.
	start := s.root
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = s.full(prefix[:i])
	}
	rootSlash := strings.TrimSuffix(s.root, "/") + "/"
	var out []vault.ObjectInfo
	err := s.client.Walk(start, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return classify(err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if fi.IsDir() || strings.HasPrefix(fi.Name(), vault.ReservedPrefix) {
			return nil
		}
		rel, ok := strings.CutPrefix(p, rootSlash)
		if !ok || !strings.HasPrefix(rel, prefix) {
			return nil
		}
		out = append(out, vault.ObjectInfo{Path: rel, Size: fi.Size()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func (s *Storage) Delete(ctx context.Context, paths ...string) error {
	for _, p := range paths {
		if err := vault.ValidatePath(p); err != nil {
			return fmt.Errorf("hdfs vault: delete: %w", err)
		}
	}
	for _, p := range paths {
		if err := s.retry(ctx, func(ctx context.Context) error { return s.remove(ctx, p) }); err != nil {
			return fmt.Errorf("hdfs vault: delete %q: %w", p, err)
		}
	}
	return nil
}

func (s *Storage) remove(ctx context.Context, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	full := s.full(path)
	fi, err := s.client.Stat(full)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return classify(err)
	}
	if fi.IsDir() {
		return nil // a directory is not an object
	}
	if err := s.client.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return classify(err)
	}
	return nil
}

func (s *Storage) DeletePrefix(ctx context.Context, prefix string) error {
	if prefix == "" {
		return fmt.Errorf("hdfs vault: delete prefix: empty prefix: %w", vault.ErrInvalidPath)
	}
	if err := vault.ValidatePrefix(prefix); err != nil {
		return fmt.Errorf("hdfs vault: delete prefix: %w", err)
	}
	objs, err := s.List(ctx, prefix)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := s.retry(ctx, func(ctx context.Context) error { return s.remove(ctx, o.Path) }); err != nil {
			return fmt.Errorf("hdfs vault: delete prefix %q: %q: %w", prefix, o.Path, err)
		}
	}
	return nil
}
