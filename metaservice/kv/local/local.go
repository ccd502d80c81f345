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

var bucketName = []byte("kv")

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
		_, err := tx.CreateBucketIfNotExists(bucketName)
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
		err := db.bolt.Update(func(btx *bolt.Tx) error {
			t := &txn{b: btx.Bucket(bucketName), m: kv.NewMeter(ctx, db.opts.Limits)}
			if err := fn(t); err != nil {
				return err
			}
			return t.m.Alive() // a transaction past its age does not commit
		})
		return mapErr(err)
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
	b *bolt.Bucket
	m *kv.Meter
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
	return nil
}
