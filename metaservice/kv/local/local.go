package local

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/doricdb/doric/metaservice/kv"
)

// LockTimeout is how long Open waits for the file lock held by another DB.
const LockTimeout = time.Second

var (
	bucketName = []byte("kv")  // the key space of kv.DB
	sysBucket  = []byte("sys") // the store's own bookkeeping, outside the key space
	versionKey = []byte("commit_version")
)

// DB is a kv.DB over a bbolt file.
type DB struct {
	bolt *bolt.DB
	opts kv.Options
}

var _ kv.DB = (*DB)(nil)

// Open opens (creating if needed) the store at path with kv.DefaultOptions.
func Open(path string) (*DB, error) {
	return OpenWith(path, kv.DefaultOptions())
}

// OpenWith opens (creating if needed) the store at path with the given limits and retry policy
// (zero fields take their defaults).
func OpenWith(path string, o kv.Options) (*DB, error) {
	o = o.WithDefaults()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: LockTimeout})
	if err != nil {
		return nil, fmt.Errorf("kv/local: open %s: %w", path, err)
	}
	if err := b.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketName); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(sysBucket)
		return err
	}); err != nil {
		b.Close()
		return nil, fmt.Errorf("kv/local: open %s: create bucket: %w", path, err)
	}
	return &DB{bolt: b, opts: o}, nil
}

// Path is the file the store lives in.
func (db *DB) Path() string { return db.bolt.Path() }

// Close closes the file. Transactions after Close fail with kv.ErrClosed.
func (db *DB) Close() error {
	return db.bolt.Close()
}

// Update implements kv.DB.
func (db *DB) Update(ctx context.Context, fn func(kv.Txn) error) error {
	return kv.Retry(ctx, db.opts.Retry, func() error {
		t := &txn{fut: kv.NewVersionstampFuture()}
		err := db.bolt.Update(func(btx *bolt.Tx) error {
			// The duration limit starts once this attempt holds the writer lock.
			t.m = kv.NewMeter(ctx, db.opts.Limits)
			t.b, t.sys = btx.Bucket(bucketName), btx.Bucket(sysBucket)
			if err := fn(t); err != nil {
				return err
			}
			if err := t.m.Alive(); err != nil { // a transaction past its age does not commit
				return err
			}
			if !t.wrote {
				return nil
			}
			v, err := t.commitVersion()
			if err != nil {
				return err
			}
			return t.sys.Put(versionKey, binary.BigEndian.AppendUint64(nil, v))
		})
		err = mapErr(err)
		switch {
		case err != nil:
			t.fut.Resolve(kv.Versionstamp{}, fmt.Errorf("%w: the attempt failed: %w", kv.ErrNoCommitVersion, err))
		case !t.wrote:
			t.fut.Resolve(kv.Versionstamp{}, fmt.Errorf("%w: the transaction wrote nothing", kv.ErrNoCommitVersion))
		default:
			t.fut.Resolve(kv.NewVersionstamp(t.version, 0), nil)
		}
		return err
	})
}

// View implements kv.DB.
func (db *DB) View(ctx context.Context, fn func(kv.ReadTxn) error) error {
	return kv.Retry(ctx, db.opts.Retry, func() error {
		err := db.bolt.View(func(btx *bolt.Tx) error {
			return fn(readTxn{&txn{b: btx.Bucket(bucketName), m: kv.NewMeter(ctx, db.opts.Limits)}})
		})
		return mapErr(err)
	})
}

func mapErr(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("%w: %w", kv.ErrClosed, err)
	}
	return err
}

// readTxn hides the write methods of txn from View functions.
type readTxn struct{ t *txn }

func (r readTxn) Get(key []byte) ([]byte, error) { return r.t.Get(key) }
func (r readTxn) GetRange(begin, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	return r.t.GetRange(begin, end, limit, reverse)
}

type txn struct {
	b   *bolt.Bucket
	sys *bolt.Bucket // nil in a View
	m   *kv.Meter
	fut *kv.VersionstampFuture

	wrote      bool   // a write operation succeeded: the commit gets a version
	version    uint64 // the commit version, once assigned (0: not yet)
	unreadable []span // keys written with the stamp in their key or value
}

// span is a key range [begin, end).
type span struct{ begin, end []byte }

// commitVersion is the version this attempt commits at: one more than the last committed
// version. bbolt admits one writer at a time, so no other commit can take it; when the attempt
// rolls back, so does its use of the number.
func (t *txn) commitVersion() (uint64, error) {
	if t.version == 0 {
		var last uint64
		switch v := t.sys.Get(versionKey); len(v) {
		case 0:
		case 8:
			last = binary.BigEndian.Uint64(v)
		default:
			return 0, fmt.Errorf("kv/local: corrupt commit version %x", v)
		}
		t.version = last + 1
	}
	return t.version, nil
}

func (t *txn) stamp() (kv.Versionstamp, error) {
	v, err := t.commitVersion()
	return kv.NewVersionstamp(v, 0), err
}

// markUnreadable records [begin, end) as unreadable until the transaction ends.
func (t *txn) markUnreadable(begin, end []byte) {
	t.unreadable = append(t.unreadable, span{begin, end})
}

// readable fails with kv.ErrUnreadable when [begin, end) overlaps an unreadable span.
func (t *txn) readable(begin, end []byte) error {
	for _, u := range t.unreadable {
		if bytes.Compare(begin, u.end) < 0 && bytes.Compare(u.begin, end) < 0 {
			return fmt.Errorf("%w: [%x, %x) overlaps a versionstamped write [%x, %x)", kv.ErrUnreadable, begin, end, u.begin, u.end)
		}
	}
	return nil
}

// clone copies b into a non-nil slice (bbolt's slices live only as long as the transaction, and
// an empty value must read back as non-nil).
func clone(b []byte) []byte { return append([]byte{}, b...) }

func (t *txn) Get(key []byte) ([]byte, error) {
	if err := t.m.Alive(); err != nil {
		return nil, err
	}
	if err := t.m.Key(key); err != nil {
		return nil, err
	}
	for _, u := range t.unreadable {
		if bytes.Compare(u.begin, key) <= 0 && bytes.Compare(key, u.end) < 0 {
			return nil, fmt.Errorf("%w: %x is a versionstamped write", kv.ErrUnreadable, key)
		}
	}
	k, v := t.b.Cursor().Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		return nil, nil
	}
	return clone(v), nil
}

func (t *txn) GetRange(begin, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	if err := t.m.Alive(); err != nil {
		return nil, err
	}
	if err := t.m.RangeBound(begin); err != nil {
		return nil, err
	}
	if err := t.m.RangeBound(end); err != nil {
		return nil, err
	}
	if bytes.Compare(begin, end) >= 0 {
		return nil, nil
	}
	if err := t.readable(begin, end); err != nil {
		return nil, err
	}
	var out []kv.KeyValue
	full := func() bool { return limit > 0 && len(out) >= limit }
	c := t.b.Cursor()
	if !reverse {
		for k, v := c.Seek(begin); k != nil && bytes.Compare(k, end) < 0 && !full(); k, v = c.Next() {
			out = append(out, kv.KeyValue{Key: clone(k), Value: clone(v)})
		}
		return out, nil
	}
	k, _ := c.Seek(end) // first key >= end, or nil past the last key
	var v []byte
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.Compare(k, begin) >= 0 && !full(); k, v = c.Prev() {
		out = append(out, kv.KeyValue{Key: clone(k), Value: clone(v)})
	}
	return out, nil
}

func (t *txn) Set(key, value []byte) error {
	if err := t.m.Alive(); err != nil {
		return err
	}
	if err := t.m.Key(key); err != nil {
		return err
	}
	if err := t.m.Value(value); err != nil {
		return err
	}
	if err := t.m.Write(len(key) + len(value)); err != nil {
		return err
	}
	if err := t.b.Put(clone(key), clone(value)); err != nil {
		return fmt.Errorf("kv/local: put: %w", err)
	}
	t.wrote = true
	return nil
}

func (t *txn) Clear(key []byte) error {
	if err := t.m.Alive(); err != nil {
		return err
	}
	if err := t.m.Key(key); err != nil {
		return err
	}
	if err := t.m.Write(len(key)); err != nil {
		return err
	}
	if err := t.b.Delete(key); err != nil {
		return fmt.Errorf("kv/local: delete: %w", err)
	}
	t.wrote = true
	return nil
}

func (t *txn) ClearRange(begin, end []byte) error {
	if err := t.m.Alive(); err != nil {
		return err
	}
	if err := t.m.RangeBound(begin); err != nil {
		return err
	}
	if err := t.m.RangeBound(end); err != nil {
		return err
	}
	if err := t.m.Write(len(begin) + len(end)); err != nil {
		return err
	}
	var doomed [][]byte
	c := t.b.Cursor()
	for k, _ := c.Seek(begin); k != nil && bytes.Compare(k, end) < 0; k, _ = c.Next() {
		doomed = append(doomed, clone(k))
	}
	for _, k := range doomed {
		if err := t.b.Delete(k); err != nil {
			return fmt.Errorf("kv/local: delete range: %w", err)
		}
	}
	t.wrote = true
	return nil
}

func (t *txn) AtomicAdd(key []byte, delta int64) error {
	if err := t.m.Alive(); err != nil {
		return err
	}
	if err := t.m.Key(key); err != nil {
		return err
	}
	if err := t.m.Write(len(key) + 8); err != nil {
		return err
	}
	old := t.b.Get(key)
	sum := kv.CounterValue(old) + delta
	if err := t.b.Put(clone(key), binary.LittleEndian.AppendUint64(nil, uint64(sum))); err != nil {
		return fmt.Errorf("kv/local: atomic add: %w", err)
	}
	t.wrote = true
	return nil
}

// SetVersionstampedKey implements kv.Txn. The commit version is known up front (one writer at a
// time), so the key is written in place, in order with the other writes; reads of the keys it
// could be are refused as FoundationDB refuses them.
func (t *txn) SetVersionstampedKey(prefix, value []byte) error {
	if err := t.m.Alive(); err != nil {
		return err
	}
	if err := t.m.VersionstampedKey(prefix); err != nil {
		return err
	}
	if err := t.m.Value(value); err != nil {
		return err
	}
	if err := t.m.Write(len(prefix) + kv.VersionstampLen + len(value)); err != nil {
		return err
	}
	vs, err := t.stamp()
	if err != nil {
		return err
	}
	key := append(clone(prefix), vs[:]...)
	if err := t.b.Put(key, clone(value)); err != nil {
		return fmt.Errorf("kv/local: put versionstamped key: %w", err)
	}
	t.wrote = true
	lo := append(clone(prefix), make([]byte, kv.VersionstampLen)...)
	hi := append(append(clone(prefix), bytes.Repeat([]byte{0xFF}, kv.VersionstampLen)...), 0)
	t.markUnreadable(lo, hi)
	return nil
}

// SetVersionstampedValue implements kv.Txn.
func (t *txn) SetVersionstampedValue(key, prefix []byte) error {
	if err := t.m.Alive(); err != nil {
		return err
	}
	if err := t.m.Key(key); err != nil {
		return err
	}
	if err := t.m.VersionstampedValue(prefix); err != nil {
		return err
	}
	if err := t.m.Write(len(key) + len(prefix) + kv.VersionstampLen); err != nil {
		return err
	}
	vs, err := t.stamp()
	if err != nil {
		return err
	}
	if err := t.b.Put(clone(key), append(clone(prefix), vs[:]...)); err != nil {
		return fmt.Errorf("kv/local: put versionstamped value: %w", err)
	}
	t.wrote = true
	t.markUnreadable(clone(key), append(clone(key), 0))
	return nil
}

// Versionstamp implements kv.Txn.
func (t *txn) Versionstamp() *kv.VersionstampFuture { return t.fut }
