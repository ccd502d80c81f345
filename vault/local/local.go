package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/doricdb/doric/vault"
)

// Storage is a local-directory vault.
type Storage struct {
	root string
}

var _ vault.Storage = (*Storage)(nil)

// New opens (creating if needed) a local vault rooted at dir.
func New(dir string) (*Storage, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local vault %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("local vault %q: %w", dir, err)
	}
	return &Storage{root: abs}, nil
}

// Root is the directory the vault lives in.
func (s *Storage) Root() string { return s.root }

func (s *Storage) full(path string) string { return filepath.Join(s.root, filepath.FromSlash(path)) }

func (s *Storage) Put(ctx context.Context, path string, r io.Reader) (int64, error) {
	if err := vault.ValidatePath(path); err != nil {
		return 0, fmt.Errorf("local vault: put: %w", err)
	}
	n, err := s.put(ctx, path, r)
	if err != nil {
		return 0, fmt.Errorf("local vault: put %q: %w", path, err)
	}
	return n, nil
}

func (s *Storage) put(ctx context.Context, path string, r io.Reader) (int64, error) {
	full := s.full(path)
	dir := filepath.Dir(full)
	var f *os.File
	for attempt := 0; ; attempt++ {
		err := s.mkdirAll(dir)
		if err == nil {
			// Named for its target, so DeletePrefix finds the debris of a crashed Put.
			f, err = os.CreateTemp(dir, vault.ReservedPrefix+filepath.Base(full)+".*")
			if err == nil {
				break
			}
		}
		// A concurrent Delete may have removed an (empty) directory on the way: create it again.
		if !errors.Is(err, fs.ErrNotExist) || attempt >= 10 {
			return 0, err
		}
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, full); err != nil {
		return 0, err
	}
	ok = true
	// The directory cannot vanish while it holds the object; if it is gone, a concurrent Delete of
	// this very path came after the rename (and took the emptied directory): the Put happened.
	if err := syncDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	return n, nil
}

// mkdirAll creates dir and its missing parents below the root, fsyncing each new entry into its
// parent directory.
func (s *Storage) mkdirAll(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is an object, not a prefix", dir)
		}
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir && strings.HasPrefix(parent, s.root) {
		if err := s.mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		return err
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *Storage) ReadAt(ctx context.Context, path string, p []byte, off int64) error {
	if err := vault.ValidatePath(path); err != nil {
		return fmt.Errorf("local vault: read: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local vault: read %q: %w", path, err)
	}
	f, err := os.Open(s.full(path))
	if err != nil {
		return fmt.Errorf("local vault: read %q: %w", path, classify(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("local vault: read %q: %w", path, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("local vault: read %q: %w", path, vault.ErrNotFound)
	}
	size := fi.Size()
	if off < 0 || off > size || int64(len(p)) > size-off {
		return fmt.Errorf("local vault: read %q [%d,+%d) of %d bytes: %w", path, off, len(p), size, vault.ErrOutOfRange)
	}
	if _, err := f.ReadAt(p, off); err != nil {
		return fmt.Errorf("local vault: read %q: %w", path, err)
	}
	return nil
}

func (s *Storage) Stat(ctx context.Context, path string) (vault.ObjectInfo, error) {
	if err := vault.ValidatePath(path); err != nil {
		return vault.ObjectInfo{}, fmt.Errorf("local vault: stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return vault.ObjectInfo{}, fmt.Errorf("local vault: stat %q: %w", path, err)
	}
	fi, err := os.Stat(s.full(path))
	if err != nil {
		return vault.ObjectInfo{}, fmt.Errorf("local vault: stat %q: %w", path, classify(err))
	}
	if fi.IsDir() {
		return vault.ObjectInfo{}, fmt.Errorf("local vault: stat %q: %w", path, vault.ErrNotFound)
	}
	return vault.ObjectInfo{Path: path, Size: fi.Size()}, nil
}

func (s *Storage) List(ctx context.Context, prefix string) ([]vault.ObjectInfo, error) {
	if err := vault.ValidatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("local vault: list: %w", err)
	}
	out, err := s.list(ctx, prefix, false)
	if err != nil {
		return nil, fmt.Errorf("local vault: list %q: %w", prefix, err)
	}
	return out, nil
}

// list returns the objects under prefix; with temps, instead, the temporary files of Puts (done
// or crashed) whose target is under prefix, as paths of the files themselves.
func (s *Storage) list(ctx context.Context, prefix string, temps bool) ([]vault.ObjectInfo, error) {
	// Only the directory named by the prefix up to its last '/' can hold matches.
	start := s.root
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = s.full(prefix[:i])
	}
	var out []vault.ObjectInfo
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // vanished (or never existed): nothing to list there
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		temp := strings.HasPrefix(d.Name(), vault.ReservedPrefix)
		if d.IsDir() || temp != temps {
			return nil
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		target := rel
		if temp { // dir/.tmp-put-NAME.RANDOM stands for dir/NAME
			name := strings.TrimPrefix(d.Name(), vault.ReservedPrefix)
			if i := strings.LastIndexByte(name, '.'); i >= 0 {
				name = name[:i]
			}
			target = path.Join(path.Dir(rel), name)
		}
		if !strings.HasPrefix(target, prefix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
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
			return fmt.Errorf("local vault: delete: %w", err)
		}
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("local vault: delete: %w", err)
		}
		if err := s.remove(p); err != nil {
			return fmt.Errorf("local vault: delete %q: %w", p, err)
		}
	}
	return nil
}

func (s *Storage) remove(path string) error {
	full := s.full(path)
	fi, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return nil // a prefix, not an object
	}
	if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// Remove directories that became empty, up to (not including) the root. Failure means the
	// directory is not empty (or is being used): fine.
	for dir := filepath.Dir(full); dir != s.root && strings.HasPrefix(dir, s.root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break
		}
	}
	return nil
}

func (s *Storage) DeletePrefix(ctx context.Context, prefix string) error {
	if prefix == "" {
		return fmt.Errorf("local vault: delete prefix: empty prefix: %w", vault.ErrInvalidPath)
	}
	if err := vault.ValidatePrefix(prefix); err != nil {
		return fmt.Errorf("local vault: delete prefix: %w", err)
	}
	objs, err := s.list(ctx, prefix, false)
	if err != nil {
		return fmt.Errorf("local vault: delete prefix %q: %w", prefix, err)
	}
	temps, err := s.list(ctx, prefix, true)
	if err != nil {
		return fmt.Errorf("local vault: delete prefix %q: %w", prefix, err)
	}
	for _, o := range append(objs, temps...) {
		if err := s.remove(o.Path); err != nil {
			return fmt.Errorf("local vault: delete prefix %q: %w", prefix, err)
		}
	}
	return nil
}

func classify(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: %v", vault.ErrNotFound, err)
	}
	return err
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
