package kvtest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/doricdb/doric/metaservice/kv"
)

// TestPhantomChecksCatchSnapshotIsolation shows that the phantom checks can fail: on a store
// with snapshot isolation (write-write conflicts only, so a range read does not conflict with
// an insert into the range) both report the anomaly. The suite runs in a child process, whose
// failure is the expected outcome.
func TestPhantomChecksCatchSnapshotIsolation(t *testing.T) {
	if os.Getenv("DORIC_KVTEST_SI_CHILD") != "" {
		Run(t, func(t *testing.T, o kv.Options) kv.DB { return newSIStore() })
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPhantomChecksCatchSnapshotIsolation$/^Phantom", "-test.v")
	cmd.Env = append(os.Environ(), "DORIC_KVTEST_SI_CHILD=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child: %v (it must fail)\n%s", err, out)
	}
	for _, want := range []string{
		"--- FAIL: TestPhantomChecksCatchSnapshotIsolation/PhantomWriteSkew",
		"a range read did not conflict with a concurrent insert",
		"--- FAIL: TestPhantomChecksCatchSnapshotIsolation/PhantomSequence",
		"two transactions appended after the same last entry",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}

// siStore is an in-memory store with snapshot isolation: a transaction reads the snapshot of its
// start and commits unless another transaction committed a write to one of the keys it writes
// since (first committer wins). Only what the phantom checks use is implemented.
type siStore struct {
	mu        sync.Mutex
	version   uint64
	data      map[string][]byte
	lastWrite map[string]uint64
}

func newSIStore() *siStore {
	return &siStore{data: map[string][]byte{}, lastWrite: map[string]uint64{}}
}

func (s *siStore) Close() error { return nil }

func (s *siStore) begin() *siTxn {
	s.mu.Lock()
	defer s.mu.Unlock()
	view := make(map[string][]byte, len(s.data))
	for k, v := range s.data {
		view[k] = v
	}
	return &siTxn{start: s.version, view: view, writes: map[string][]byte{}}
}

func (s *siStore) Update(ctx context.Context, fn func(kv.Txn) error) error {
	return kv.Retry(ctx, kv.DefaultRetryPolicy(), func() error {
		tx := s.begin()
		if err := fn(tx); err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for k := range tx.writes {
			if s.lastWrite[k] > tx.start {
				return kv.ErrConflict
			}
		}
		s.version++
		for k, v := range tx.writes {
			if v == nil {
				delete(s.data, k)
			} else {
				s.data[k] = v
			}
			s.lastWrite[k] = s.version
		}
		return nil
	})
}

func (s *siStore) View(ctx context.Context, fn func(kv.ReadTxn) error) error {
	return fn(s.begin())
}

type siTxn struct {
	start  uint64
	view   map[string][]byte // snapshot plus own writes
	writes map[string][]byte // nil: deleted
}

func (t *siTxn) Get(key []byte) ([]byte, error) { return bytes.Clone(t.view[string(key)]), nil }

func (t *siTxn) GetRange(begin, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	var keys []string
	for k := range t.view {
		if k >= string(begin) && k < string(end) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if reverse {
		slices.Reverse(keys)
	}
	if limit > 0 && len(keys) > limit {
		keys = keys[:limit]
	}
	var out []kv.KeyValue
	for _, k := range keys {
		out = append(out, kv.KeyValue{Key: []byte(k), Value: bytes.Clone(t.view[k])})
	}
	return out, nil
}

func (t *siTxn) Set(key, value []byte) error {
	v := append([]byte{}, value...)
	t.view[string(key)], t.writes[string(key)] = v, v
	return nil
}

func (t *siTxn) Clear(key []byte) error {
	delete(t.view, string(key))
	t.writes[string(key)] = nil
	return nil
}

var errUnsupported = errors.New("siStore: unsupported")

func (t *siTxn) ClearRange(begin, end []byte) error              { return errUnsupported }
func (t *siTxn) AtomicAdd(key []byte, delta int64) error         { return errUnsupported }
func (t *siTxn) SetVersionstampedKey(prefix, value []byte) error { return errUnsupported }
func (t *siTxn) SetVersionstampedValue(key, prefix []byte) error { return errUnsupported }
func (t *siTxn) Versionstamp() *kv.VersionstampFuture            { return kv.NewVersionstampFuture() }
