package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Error classes. Backends wrap them (fmt.Errorf("...: %w", ErrNotFound)); callers test with errors.Is.
var (
	// ErrNotFound: the object does not exist.
	ErrNotFound = errors.New("object not found")
	// ErrInvalidPath: the path is not a legal object name (see ValidatePath).
	ErrInvalidPath = errors.New("invalid object path")
	// ErrOutOfRange: a ranged read asked for bytes outside the object.
	ErrOutOfRange = errors.New("read out of range")
	// ErrPermission: the backend refused the credentials or the operation (S3 403, HDFS
	// AccessControlException). Retrying does not help; the vault's configuration must change.
	ErrPermission = errors.New("permission denied")
	// ErrThrottled: the backend asked the client to slow down (S3 503 SlowDown, 429). Retryable
	// after a backoff; see Retry.
	ErrThrottled = errors.New("throttled by the storage backend")
	// ErrUnavailable: a transient failure (network error, connection reset, 5xx, a read cut
	// short). Retryable; see Retry.
	ErrUnavailable = errors.New("storage backend unavailable")
)

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Path string
	Size int64
}

// Storage is a durable store of immutable objects named by paths. See the package doc for the
// contract every implementation keeps.
type Storage interface {
	// Put stores everything r yields under path, atomically. It returns the number of bytes stored.
	Put(ctx context.Context, path string, r io.Reader) (int64, error)
	// ReadAt reads exactly len(p) bytes starting at off. Asking for bytes beyond the end of the
	// object is ErrOutOfRange (and nothing useful is in p).
	ReadAt(ctx context.Context, path string, p []byte, off int64) error
	// Stat returns the object's size.
	Stat(ctx context.Context, path string) (ObjectInfo, error)
	// List returns the objects whose path starts with prefix, sorted by path.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Delete removes the objects; missing ones are ignored.
	Delete(ctx context.Context, paths ...string) error
	// DeletePrefix removes every object whose path starts with prefix. An empty prefix is
	// ErrInvalidPath (it would delete everything).
	DeletePrefix(ctx context.Context, prefix string) error
}

// ReadRange is a convenience over ReadAt that allocates the buffer.
func ReadRange(ctx context.Context, s Storage, path string, off, n int64) ([]byte, error) {
	if n < 0 || off < 0 {
		return nil, fmt.Errorf("vault: read %q [%d,+%d): %w", path, off, n, ErrOutOfRange)
	}
	p := make([]byte, n)
	if err := s.ReadAt(ctx, path, p, off); err != nil {
		return nil, err
	}
	return p, nil
}

// SegmentPath is the path of segment segmentID of a rowset of a tablet:
// "data/{tablet_id}/{rowset_id}_{segment_id}.dat".
func SegmentPath(tabletID int64, rowsetID string, segmentID int) string {
	return fmt.Sprintf("data/%d/%s_%d.dat", tabletID, rowsetID, segmentID)
}

// TabletPrefix is the prefix of every file of a tablet: "data/{tablet_id}/".
func TabletPrefix(tabletID int64) string { return fmt.Sprintf("data/%d/", tabletID) }

// RowsetPrefix is the prefix of every file of a rowset: "data/{tablet_id}/{rowset_id}_".
func RowsetPrefix(tabletID int64, rowsetID string) string {
	return fmt.Sprintf("data/%d/%s_", tabletID, rowsetID)
}

// ValidatePath checks that path is a legal object name: non-empty, at most 1024 bytes, relative,
// '/'-separated, no empty, "." or ".." components, no backslash or NUL, and no component starting
// with ReservedPrefix (backends use it for in-flight temporary files).
func ValidatePath(path string) error {
	if err := validateName(path, false); err != nil {
		return fmt.Errorf("%w %q: %s", ErrInvalidPath, path, err.Error())
	}
	return nil
}

// ValidatePrefix checks a List/DeletePrefix prefix: like ValidatePath except that it may end with
// '/' and (for List only) be empty.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := validateName(prefix, true); err != nil {
		return fmt.Errorf("%w: prefix %q: %s", ErrInvalidPath, prefix, err.Error())
	}
	return nil
}

// ReservedPrefix starts the names of backends' temporary files; no object path component may
// start with it.
const ReservedPrefix = ".tmp-put-"

type pathError string

func (e pathError) Error() string { return string(e) }

func validateName(path string, prefix bool) error {
	switch {
	case path == "":
		return pathError("empty")
	case len(path) > 1024:
		return pathError("longer than 1024 bytes")
	case strings.HasPrefix(path, "/"):
		return pathError("absolute")
	case strings.ContainsAny(path, "\\\x00"):
		return pathError("contains a backslash or NUL")
	}
	parts := strings.Split(path, "/")
	if prefix && strings.HasSuffix(path, "/") {
		parts = parts[:len(parts)-1]
	}
	for _, c := range parts {
		switch {
		case c == "":
			return pathError("empty component")
		case c == "." || c == "..":
			return pathError("dot component")
		case strings.HasPrefix(c, ReservedPrefix):
			return pathError("reserved component prefix " + ReservedPrefix)
		}
	}
	return nil
}

// Resolver finds the storage of a vault by its id (the Meta Service's StorageVault.id; empty
// means the instance's default vault).
type Resolver func(ctx context.Context, vaultID string) (Storage, error)
