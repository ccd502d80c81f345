//go:build fdb

package fdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	fdbgo "github.com/apple/foundationdb/bindings/go/src/fdb"

	"github.com/doricdb/doric/metaservice/kv"
)

// APIVersion is the FoundationDB API version the backend selects.
const APIVersion = 730

// DB is a kv.DB over a FoundationDB cluster.
type DB struct {
	db     fdbgo.Database
	opts   kv.Options
	closed atomic.Bool
}

var _ kv.DB = (*DB)(nil)

// Open connects to the cluster of clusterFile ("" for the default cluster file) with
// kv.DefaultOptions.
func Open(clusterFile string) (*DB, error) {
	return OpenWith(clusterFile, kv.DefaultOptions())
}

// OpenWith connects with the given limits and retry policy (zero fields take their defaults).
func OpenWith(clusterFile string, o kv.Options) (*DB, error) {
	o = o.WithDefaults()
	if err := fdbgo.APIVersion(APIVersion); err != nil {
		return nil, fmt.Errorf("kv/fdb: select API version %d: %w", APIVersion, err)
	}
	db, err := fdbgo.OpenDatabase(clusterFile)
	if err != nil {
		return nil, fmt.Errorf("kv/fdb: open %q: %w", clusterFile, err)
	}
	return &DB{db: db, opts: o}, nil
}

// Close releases the database handle. Transactions after Close fail with kv.ErrClosed. Calling
// it again does nothing.
func (d *DB) Close() error {
	if d.closed.CompareAndSwap(false, true) {
		d.db.Close()
	}
	return nil
}

// Update implements kv.DB.
func (d *DB) Update(ctx context.Context, fn func(kv.Txn) error) error {
	return kv.Retry(ctx, d.opts.Retry, func() error { return d.update(ctx, fn) })
}

// View implements kv.DB.
func (d *DB) View(ctx context.Context, fn func(kv.ReadTxn) error) error {
	return kv.Retry(ctx, d.opts.Retry, func() error {
		t, stop, err := d.begin(ctx)
		if err != nil {
			return err
		}
		defer stop()
		defer t.tr.Cancel() // a read-only transaction is not committed
		return t.classify(ctx, fn(readTxn{t}))
	})
}

// begin creates the transaction of one attempt, with the duration limit as its timeout and a
// cancellation tied to ctx; stop unties it.
func (d *DB) begin(ctx context.Context) (*txn, func() bool, error) {
	if d.closed.Load() {
		return nil, nil, kv.ErrClosed
	}
	tr, err := d.db.CreateTransaction()
	if err != nil {
		return nil, nil, fmt.Errorf("kv/fdb: create transaction: %w", mapErr(err))
	}
	if err := tr.Options().SetTimeout(d.opts.Limits.Duration.Milliseconds()); err != nil {
		return nil, nil, fmt.Errorf("kv/fdb: set timeout: %w", mapErr(err))
	}
	stop := context.AfterFunc(ctx, tr.Cancel)
	return &txn{tr: tr, m: kv.NewMeter(ctx, d.opts.Limits), fut: kv.NewVersionstampFuture()}, stop, nil
}

// update is one attempt of Update.
func (d *DB) update(ctx context.Context, fn func(kv.Txn) error) (err error) {
	t, stop, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			t.fut.Resolve(kv.Versionstamp{}, fmt.Errorf("%w: the attempt failed: %w", kv.ErrNoCommitVersion, err))
		}
	}()
	if err := fn(t); err != nil {
		stop()
		err = t.classify(ctx, err) // before Cancel: on_error refuses a cancelled transaction
		t.tr.Cancel()
		return err
	}
	if err := t.m.Alive(); err != nil { // a transaction past its age does not commit
		stop()
		t.tr.Cancel()
		return err
	}
	// From here the context no longer cancels: cancelling a commit in flight leaves its result
	// unknown. The transaction timeout bounds the commit.
	if !stop() {
		t.tr.Cancel()
		return t.classify(ctx, ctx.Err())
	}
	if err := t.tr.Commit().Get(); err != nil {
		return t.classify(ctx, err)
	}
	if t.stamp != nil {
		k, err := t.stamp.Get()
		switch {
		case err != nil:
			t.fut.Resolve(kv.Versionstamp{}, mapErr(err))
		case len(k) != kv.VersionstampLen:
			t.fut.Resolve(kv.Versionstamp{}, fmt.Errorf("BUG: kv/fdb: versionstamp of %d bytes: %x", len(k), []byte(k)))
		default:
			t.fut.Resolve(kv.Versionstamp(k), nil)
		}
	}
	return nil
}

// classify maps an attempt's error: known FoundationDB codes to kv's errors, cancellation by a
// done context to the context's error, and other errors FoundationDB deems retryable to
// kv.ErrConflict.
func (t *txn) classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var fe fdbgo.Error
	if !errors.As(err, &fe) {
		return err
	}
	if fe.Code == codeCancelled && ctx.Err() != nil {
		return fmt.Errorf("kv/fdb: %w: %w", ctx.Err(), err)
	}
	if sentinel, ok := codes[fe.Code]; ok {
		if errors.Is(err, sentinel) {
			return err // mapped by the operation that failed
		}
		return mapErr(err)
	}
	// FoundationDB's on_error decides what is retryable; the maybe-committed codes are mapped
	// above, so what it accepts did not commit.
	if t.tr.OnError(fe).Get() == nil {
		return fmt.Errorf("kv/fdb: retryable: %w: %w", kv.ErrConflict, err)
	}
	return err
}

// FoundationDB error codes (https://apple.github.io/foundationdb/api-error-codes.html).
const (
	codeTxnTooOld       = 1007
	codeNotCommitted    = 1020
	codeCommitUnknown   = 1021
	codeCancelled       = 1025
	codeTimedOut        = 1031
	codeUnreadable      = 1036
	codeClusterVersion  = 1039
	codeKeyOutsideLegal = 2004
	codeNoCommitVersion = 2021
	codeTxnTooLarge     = 2101
	codeKeyTooLarge     = 2102
	codeValueTooLarge   = 2103
)

var codes = map[int]error{
	codeNotCommitted:    kv.ErrConflict,
	codeCommitUnknown:   kv.ErrCommitUnknown,
	codeClusterVersion:  kv.ErrCommitUnknown,
	codeTxnTooOld:       kv.ErrTxnTooOld,
	codeTimedOut:        kv.ErrTxnTooOld,
	codeTxnTooLarge:     kv.ErrTooLarge,
	codeKeyTooLarge:     kv.ErrKeyTooLarge,
	codeValueTooLarge:   kv.ErrValueTooLarge,
	codeKeyOutsideLegal: kv.ErrInvalidKey,
	codeUnreadable:      kv.ErrUnreadable,
	codeNoCommitVersion: kv.ErrNoCommitVersion,
}

// mapErr wraps a FoundationDB error of a known code with its kv error; other errors are
// returned as they are.
func mapErr(err error) error {
	var fe fdbgo.Error
	if errors.As(err, &fe) {
		if sentinel, ok := codes[fe.Code]; ok {
			return fmt.Errorf("kv/fdb: %w: %w", sentinel, err)
		}
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
	tr    fdbgo.Transaction
	m     *kv.Meter
	fut   *kv.VersionstampFuture
	stamp fdbgo.FutureKey // asked for by Versionstamp, read after the commit
}

// maxBound is the end of the user key space: FoundationDB refuses ranges past it.
var maxBound = []byte{0xFF}

func clampBound(b []byte) []byte {
	if bytes.Compare(b, maxBound) > 0 {
		return maxBound
	}
	return b
}

func (t *txn) Get(key []byte) ([]byte, error) {
	if err := t.m.Alive(); err != nil {
		return nil, err
	}
	if err := t.m.Key(key); err != nil {
		return nil, err
	}
	v, err := t.tr.Get(fdbgo.Key(key)).Get()
	if err != nil {
		return nil, mapErr(err)
	}
	if v != nil && len(v) == 0 {
		v = []byte{}
	}
	return v, nil
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
	begin, end = clampBound(begin), clampBound(end)
	if bytes.Compare(begin, end) >= 0 {
		return nil, nil
	}
	r := fdbgo.KeyRange{Begin: fdbgo.Key(begin), End: fdbgo.Key(end)}
	kvs, err := t.tr.GetRange(r, fdbgo.RangeOptions{Limit: max(limit, 0), Reverse: reverse}).GetSliceWithError()
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]kv.KeyValue, len(kvs))
	for i, e := range kvs {
		out[i] = kv.KeyValue{Key: e.Key, Value: append([]byte{}, e.Value...)}
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
	t.tr.Set(fdbgo.Key(key), value) // the C client copies the bytes
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
	t.tr.Clear(fdbgo.Key(key))
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
	begin, end = clampBound(begin), clampBound(end)
	if bytes.Compare(begin, end) >= 0 {
		return nil
	}
	t.tr.ClearRange(fdbgo.KeyRange{Begin: fdbgo.Key(begin), End: fdbgo.Key(end)})
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
	t.tr.Add(fdbgo.Key(key), binary.LittleEndian.AppendUint64(nil, uint64(delta)))
	return nil
}

// withStampAt returns b + 10 placeholder bytes + the little-endian 32-bit offset of the
// placeholder, the operand of FoundationDB's versionstamp mutations (API version >= 520).
func withStampAt(b []byte) []byte {
	out := make([]byte, 0, len(b)+kv.VersionstampLen+4)
	out = append(out, b...)
	out = append(out, make([]byte, kv.VersionstampLen)...)
	return binary.LittleEndian.AppendUint32(out, uint32(len(b)))
}

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
	t.tr.SetVersionstampedKey(fdbgo.Key(withStampAt(prefix)), value)
	return nil
}

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
	t.tr.SetVersionstampedValue(fdbgo.Key(key), withStampAt(prefix))
	return nil
}

// Versionstamp implements kv.Txn. FoundationDB hands out the stamp through a future that must
// be asked for before the commit; it is read after the commit succeeds.
func (t *txn) Versionstamp() *kv.VersionstampFuture {
	if t.stamp == nil {
		t.stamp = t.tr.GetVersionstamp()
	}
	return t.fut
}
