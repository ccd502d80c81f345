package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// CheckPrefix is where Check writes its probe objects.
const CheckPrefix = ".doric-check/"

// Steps of Check, in order; CheckError.Step is one of them.
const (
	CheckWrite  = "write"
	CheckRead   = "read"
	CheckList   = "list"
	CheckDelete = "delete"
)

// CheckError says which step of Check failed and why.
type CheckError struct {
	Step string // CheckWrite, CheckRead, CheckList or CheckDelete
	Path string // the probe object
	Err  error
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("vault check failed to %s the probe object %q: %v", e.Step, e.Path, e.Err)
}

func (e *CheckError) Unwrap() error { return e.Err }

// Check probes a storage the way a new vault is checked before it is accepted: it writes a small
// probe object under CheckPrefix, reads it back (whole and a range), lists it, deletes it and
// checks that it is gone. The first failing step is returned as a *CheckError (which wraps the
// backend's classified error, so errors.Is(err, ErrPermission) works); later steps are skipped,
// but the probe is always deleted on a best-effort basis.
func Check(ctx context.Context, s Storage) error {
	path := fmt.Sprintf("%sprobe-%d-%016x", CheckPrefix, time.Now().UnixNano(), rand.Uint64())
	data := []byte(fmt.Sprintf("doric vault probe %s\n", path))
	fail := func(step string, err error) error { return &CheckError{Step: step, Path: path, Err: err} }

	n, err := s.Put(ctx, path, bytes.NewReader(data))
	if err != nil {
		return fail(CheckWrite, err)
	}
	written := true
	defer func() {
		if written { // best effort: a failure below must not leave the probe behind
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			_ = s.Delete(cctx, path)
			cancel()
		}
	}()
	if n != int64(len(data)) {
		return fail(CheckWrite, fmt.Errorf("stored %d bytes, want %d", n, len(data)))
	}
	got, err := ReadRange(ctx, s, path, 0, int64(len(data)))
	if err != nil {
		return fail(CheckRead, err)
	}
	if !bytes.Equal(got, data) {
		return fail(CheckRead, fmt.Errorf("read back %q, wrote %q", got, data))
	}
	if got, err = ReadRange(ctx, s, path, 6, 5); err != nil {
		return fail(CheckRead, fmt.Errorf("ranged read: %w", err))
	} else if !bytes.Equal(got, data[6:11]) {
		return fail(CheckRead, fmt.Errorf("ranged read [6,+5) returned %q, want %q", got, data[6:11]))
	}
	objs, err := s.List(ctx, CheckPrefix)
	if err != nil {
		return fail(CheckList, err)
	}
	found := false
	for _, o := range objs {
		if o.Path == path {
			found = o.Size == int64(len(data))
			break
		}
	}
	if !found {
		return fail(CheckList, fmt.Errorf("the probe (%d bytes) is missing from the %d objects listed under %q", len(data), len(objs), CheckPrefix))
	}
	if err := s.Delete(ctx, path); err != nil {
		return fail(CheckDelete, err)
	}
	written = false
	if _, err := s.Stat(ctx, path); !errors.Is(err, ErrNotFound) {
		if err == nil {
			err = errors.New("the probe still exists after its deletion")
		}
		return fail(CheckDelete, err)
	}
	return nil
}
