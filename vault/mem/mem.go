package mem

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/doricdb/doric/vault"
)

// Storage is an in-memory vault. The zero value is not usable; call New.
type Storage struct {
	mu      sync.RWMutex
	objects map[string][]byte
}

// New returns an empty in-memory vault.
func New() *Storage { return &Storage{objects: map[string][]byte{}} }

var _ vault.Storage = (*Storage)(nil)

func (s *Storage) Put(ctx context.Context, path string, r io.Reader) (int64, error) {
	if err := vault.ValidatePath(path); err != nil {
		return 0, fmt.Errorf("mem vault: put: %w", err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, ctxReader{ctx, r}); err != nil {
		return 0, fmt.Errorf("mem vault: put %q: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("mem vault: put %q: %w", path, err)
	}
	data := buf.Bytes()
	s.mu.Lock()
	s.objects[path] = data
	s.mu.Unlock()
	return int64(len(data)), nil
}

func (s *Storage) get(path string) ([]byte, error) {
	if err := vault.ValidatePath(path); err != nil {
		return nil, err
	}
	s.mu.RLock()
	data, ok := s.objects[path]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%q: %w", path, vault.ErrNotFound)
	}
	return data, nil
}

func (s *Storage) ReadAt(ctx context.Context, path string, p []byte, off int64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mem vault: read: %w", err)
	}
	data, err := s.get(path)
	if err != nil {
		return fmt.Errorf("mem vault: read: %w", err)
	}
	if off < 0 || off > int64(len(data)) || int64(len(p)) > int64(len(data))-off {
		return fmt.Errorf("mem vault: read %q [%d,+%d) of %d bytes: %w", path, off, len(p), len(data), vault.ErrOutOfRange)
	}
	copy(p, data[off:])
	return nil
}

func (s *Storage) Stat(ctx context.Context, path string) (vault.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return vault.ObjectInfo{}, fmt.Errorf("mem vault: stat: %w", err)
	}
	data, err := s.get(path)
	if err != nil {
		return vault.ObjectInfo{}, fmt.Errorf("mem vault: stat: %w", err)
	}
	return vault.ObjectInfo{Path: path, Size: int64(len(data))}, nil
}

func (s *Storage) List(ctx context.Context, prefix string) ([]vault.ObjectInfo, error) {
	if err := vault.ValidatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("mem vault: list: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("mem vault: list: %w", err)
	}
	s.mu.RLock()
	var out []vault.ObjectInfo
	for p, d := range s.objects {
		if strings.HasPrefix(p, prefix) {
			out = append(out, vault.ObjectInfo{Path: p, Size: int64(len(d))})
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func (s *Storage) Delete(ctx context.Context, paths ...string) error {
	for _, p := range paths {
		if err := vault.ValidatePath(p); err != nil {
			return fmt.Errorf("mem vault: delete: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mem vault: delete: %w", err)
	}
	s.mu.Lock()
	for _, p := range paths {
		delete(s.objects, p)
	}
	s.mu.Unlock()
	return nil
}

func (s *Storage) DeletePrefix(ctx context.Context, prefix string) error {
	if prefix == "" {
		return fmt.Errorf("mem vault: delete prefix: empty prefix: %w", vault.ErrInvalidPath)
	}
	if err := vault.ValidatePrefix(prefix); err != nil {
		return fmt.Errorf("mem vault: delete prefix: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mem vault: delete prefix: %w", err)
	}
	s.mu.Lock()
	for p := range s.objects {
		if strings.HasPrefix(p, prefix) {
			delete(s.objects, p)
		}
	}
	s.mu.Unlock()
	return nil
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
