package kv

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
)

// Typed errors. Classify with errors.Is.
var (
	// ErrConflict: the transaction did not commit because it conflicted with another one (or a
	// transient condition of the store made it fail before committing); Update retries it.
	ErrConflict = errors.New("kv: transaction conflict")
	// ErrCommitUnknown: the commit may or may not have applied (FoundationDB's 1021
	// commit_unknown_result, e.g. the connection failed while the commit was in flight). Update
	// retries it, so transaction functions must be idempotent; see the package documentation.
	ErrCommitUnknown = errors.New("kv: commit result unknown")
	// ErrNoCommitVersion: a versionstamp was asked of a transaction that did not commit writes
	// (it failed, was retried, or wrote nothing), as FoundationDB's 2021 no_commit_version.
	ErrNoCommitVersion = errors.New("kv: no commit version")
	// ErrUnreadable: a read touched a key that the same transaction wrote with a versionstamp,
	// whose bytes are only known at commit (FoundationDB's 1036 accessed_unreadable).
	ErrUnreadable = errors.New("kv: read of a versionstamped write")
	// ErrTooLarge: the transaction wrote more than Limits.TxnBytes.
	ErrTooLarge = errors.New("kv: transaction too large")
	// ErrKeyTooLarge: a key longer than Limits.KeyBytes.
	ErrKeyTooLarge = errors.New("kv: key too large")
	// ErrValueTooLarge: a value longer than Limits.ValueBytes.
	ErrValueTooLarge = errors.New("kv: value too large")
	// ErrTxnTooOld: the transaction ran longer than Limits.Duration.
	ErrTxnTooOld = errors.New("kv: transaction too old")
	// ErrInvalidKey: an empty key, or a key in the system key space (first byte 0xFF).
	ErrInvalidKey = errors.New("kv: invalid key")
	// ErrClosed: the DB was closed.
	ErrClosed = errors.New("kv: database closed")
)

// KeyValue is one entry of a range read.
type KeyValue struct {
	Key   []byte
	Value []byte
}

// ReadTxn reads a consistent snapshot.
type ReadTxn interface {
	// Get returns the value of key, or nil when the key is absent. A present key always returns a
	// non-nil slice, empty for an empty value.
	Get(key []byte) ([]byte, error)
	// GetRange returns the entries with begin <= key < end in key order (descending when reverse),
	// at most limit of them when limit > 0. With reverse and a limit, the last entries of the range
	// are returned. begin >= end gives no entries.
	GetRange(begin, end []byte, limit int, reverse bool) ([]KeyValue, error)
}

// Txn is a read-write transaction. Reads see the transaction's own writes.
type Txn interface {
	ReadTxn
	// Set writes value under key.
	Set(key, value []byte) error
	// Clear removes key; clearing an absent key is not an error.
	Clear(key []byte) error
	// ClearRange removes every key with begin <= key < end.
	ClearRange(begin, end []byte) error
	// AtomicAdd adds delta to the value of key read as a little-endian int64 (an absent value is 0,
	// a shorter one is zero-extended, a longer one truncated to 8 bytes) and stores the 8-byte
	// little-endian result, as FoundationDB's ADD mutation.
	AtomicAdd(key []byte, delta int64) error
	// SetVersionstampedKey writes value under prefix + the transaction's 10-byte Versionstamp
	// (FoundationDB's SET_VERSIONSTAMPED_KEY with the stamp at the end of the key). The prefix
	// must be a valid key and prefix + 10 bytes within the key limit. Until the transaction
	// ends, reads of any key prefix + 10 bytes fail with ErrUnreadable.
	SetVersionstampedKey(prefix, value []byte) error
	// SetVersionstampedValue writes prefix + the transaction's 10-byte Versionstamp under key
	// (SET_VERSIONSTAMPED_VALUE with the stamp at the end of the value). Until the transaction
	// ends, reads of key fail with ErrUnreadable.
	SetVersionstampedValue(key, prefix []byte) error
	// Versionstamp returns the future of this attempt's versionstamp, resolved when the attempt
	// ends: with the stamp when it committed writes, with an error otherwise. Calling it several
	// times in one attempt returns the same future.
	Versionstamp() *VersionstampFuture
}

// DB is a transactional store.
type DB interface {
	// Update runs fn in a read-write transaction and commits it when fn returns nil; see the
	// package documentation for retries.
	Update(ctx context.Context, fn func(Txn) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(ReadTxn) error) error
	// Close releases the store. Transactions after Close fail with ErrClosed.
	Close() error
}

// VersionstampLen is the length of a Versionstamp.
const VersionstampLen = 10

// Versionstamp identifies a committed transaction, as FoundationDB's: the 8-byte big-endian
// commit version followed by the 2-byte big-endian batch order. Byte-wise order of
// versionstamps is commit order: a transaction that commits after another one has a greater
// versionstamp, on every backend and across restarts. All writes of one transaction share it.
type Versionstamp [VersionstampLen]byte

// NewVersionstamp builds a Versionstamp from its parts.
func NewVersionstamp(commitVersion uint64, batchOrder uint16) Versionstamp {
	var v Versionstamp
	binary.BigEndian.PutUint64(v[:8], commitVersion)
	binary.BigEndian.PutUint16(v[8:], batchOrder)
	return v
}

// CommitVersion is the commit version part of v.
func (v Versionstamp) CommitVersion() uint64 { return binary.BigEndian.Uint64(v[:8]) }

// BatchOrder is the batch order part of v.
func (v Versionstamp) BatchOrder() uint16 { return binary.BigEndian.Uint16(v[8:]) }

// String renders v as commit version and batch order.
func (v Versionstamp) String() string {
	return fmt.Sprintf("%d.%d", v.CommitVersion(), v.BatchOrder())
}

// VersionstampFuture is the versionstamp of one transaction attempt, known when the attempt
// ends. Backends create it with NewVersionstampFuture and Resolve it once the attempt committed
// or failed; callers read it with Get after Update returned. Safe for concurrent use.
type VersionstampFuture struct {
	mu       sync.Mutex
	resolved bool
	vs       Versionstamp
	err      error
}

// NewVersionstampFuture returns an unresolved future.
func NewVersionstampFuture() *VersionstampFuture { return &VersionstampFuture{} }

// Resolve sets the outcome: the stamp (err nil) or the reason there is none. Only the first call
// has an effect.
func (f *VersionstampFuture) Resolve(vs Versionstamp, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.resolved {
		return
	}
	f.resolved, f.vs, f.err = true, vs, err
}

// Get returns the versionstamp of the attempt. It does not block: before the attempt ended (as
// inside the transaction function) it fails with ErrNoCommitVersion, as it does for an attempt
// that wrote nothing; for an attempt that failed it returns that attempt's error.
func (f *VersionstampFuture) Get() (Versionstamp, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.resolved {
		return Versionstamp{}, fmt.Errorf("%w: the transaction has not committed yet", ErrNoCommitVersion)
	}
	return f.vs, f.err
}

// UpdateStamped runs db.Update and returns the versionstamp of the attempt that committed. When
// that attempt wrote nothing (for instance an idempotent function that found its effect already
// applied by an attempt whose result was unknown) the error wraps ErrNoCommitVersion; the
// transaction itself succeeded.
func UpdateStamped(ctx context.Context, db DB, fn func(Txn) error) (Versionstamp, error) {
	var fut *VersionstampFuture
	err := db.Update(ctx, func(tx Txn) error {
		fut = tx.Versionstamp()
		return fn(tx)
	})
	if err != nil {
		return Versionstamp{}, err
	}
	return fut.Get()
}

// Limits are the per-transaction limits a backend enforces.
type Limits struct {
	KeyBytes   int
	ValueBytes int
	TxnBytes   int
	Duration   time.Duration
}

// DefaultLimits returns FoundationDB's limits.
func DefaultLimits() Limits {
	return Limits{KeyBytes: 10_000, ValueBytes: 100_000, TxnBytes: 10_000_000, Duration: 5 * time.Second}
}

// Meter enforces Limits for one transaction attempt. Backends create one per attempt with
// NewMeter and call its checks before every operation; it is not safe for concurrent use.
type Meter struct {
	ctx     context.Context
	limits  Limits
	start   time.Time
	written int
}

// NewMeter starts measuring a transaction attempt now.
func NewMeter(ctx context.Context, l Limits) *Meter {
	return &Meter{ctx: ctx, limits: l, start: time.Now()}
}

// Alive fails when the context is done or the transaction is older than Limits.Duration.
func (m *Meter) Alive() error {
	if err := m.ctx.Err(); err != nil {
		return err
	}
	if age := time.Since(m.start); age > m.limits.Duration {
		return fmt.Errorf("%w: %v > %v", ErrTxnTooOld, age.Round(time.Millisecond), m.limits.Duration)
	}
	return nil
}

// Key checks a key that is read or written.
func (m *Meter) Key(key []byte) error {
	if len(key) == 0 {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	if key[0] == 0xFF {
		return fmt.Errorf("%w: system key %x", ErrInvalidKey, key[:min(len(key), 16)])
	}
	if len(key) > m.limits.KeyBytes {
		return fmt.Errorf("%w: %d bytes > %d", ErrKeyTooLarge, len(key), m.limits.KeyBytes)
	}
	return nil
}

// VersionstampedKey checks the prefix of SetVersionstampedKey: a valid key whose length plus
// the 10-byte stamp is within the key limit.
func (m *Meter) VersionstampedKey(prefix []byte) error {
	if err := m.Key(prefix); err != nil {
		return err
	}
	if n := len(prefix) + VersionstampLen; n > m.limits.KeyBytes {
		return fmt.Errorf("%w: versionstamped key of %d bytes > %d", ErrKeyTooLarge, n, m.limits.KeyBytes)
	}
	return nil
}

// VersionstampedValue checks the prefix of SetVersionstampedValue: its length plus the 10-byte
// stamp is within the value limit.
func (m *Meter) VersionstampedValue(prefix []byte) error {
	if n := len(prefix) + VersionstampLen; n > m.limits.ValueBytes {
		return fmt.Errorf("%w: versionstamped value of %d bytes > %d", ErrValueTooLarge, n, m.limits.ValueBytes)
	}
	return nil
}

// RangeBound checks a range bound. Bounds are not keys: they may be empty, in the system key
// space (0xFF, "to the end"), or one byte longer than a key (a prefix end of a maximal key).
func (m *Meter) RangeBound(b []byte) error {
	if len(b) > m.limits.KeyBytes+1 {
		return fmt.Errorf("%w: range bound of %d bytes > %d", ErrKeyTooLarge, len(b), m.limits.KeyBytes)
	}
	return nil
}

// Value checks a value that is written.
func (m *Meter) Value(v []byte) error {
	if len(v) > m.limits.ValueBytes {
		return fmt.Errorf("%w: %d bytes > %d", ErrValueTooLarge, len(v), m.limits.ValueBytes)
	}
	return nil
}

// Write accounts n more written bytes, failing (without accounting) past Limits.TxnBytes.
func (m *Meter) Write(n int) error {
	if m.written+n > m.limits.TxnBytes {
		return fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, m.written+n, m.limits.TxnBytes)
	}
	m.written += n
	return nil
}

// RetryPolicy bounds Update's retries (on ErrConflict and ErrCommitUnknown).
type RetryPolicy struct {
	MaxAttempts int           // attempts in total, at least 1
	MinBackoff  time.Duration // sleep before the second attempt; doubles per attempt
	MaxBackoff  time.Duration // cap of the sleep
}

// Options are the tuning every backend accepts.
type Options struct {
	Limits Limits
	Retry  RetryPolicy
}

// DefaultOptions returns FoundationDB's limits and the default retry policy.
func DefaultOptions() Options {
	return Options{Limits: DefaultLimits(), Retry: DefaultRetryPolicy()}
}

// WithDefaults returns o with every zero field replaced by its default, so that a partly filled
// Options never means "no key may be written".
func (o Options) WithDefaults() Options {
	d := DefaultOptions()
	fill := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&o.Limits.KeyBytes, d.Limits.KeyBytes)
	fill(&o.Limits.ValueBytes, d.Limits.ValueBytes)
	fill(&o.Limits.TxnBytes, d.Limits.TxnBytes)
	fill(&o.Retry.MaxAttempts, d.Retry.MaxAttempts)
	if o.Limits.Duration <= 0 {
		o.Limits.Duration = d.Limits.Duration
	}
	if o.Retry.MinBackoff <= 0 && o.Retry.MaxBackoff <= 0 {
		o.Retry.MinBackoff, o.Retry.MaxBackoff = d.Retry.MinBackoff, d.Retry.MaxBackoff
	}
	return o
}

// DefaultRetryPolicy returns the policy backends use unless told otherwise.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 20, MinBackoff: time.Millisecond, MaxBackoff: 200 * time.Millisecond}
}

// Retryable reports whether Update retries after err: ErrConflict and ErrCommitUnknown.
func Retryable(err error) bool {
	return errors.Is(err, ErrConflict) || errors.Is(err, ErrCommitUnknown)
}

// Retry runs attempt until it returns nil or an error that is not Retryable, or the attempts or
// the context run out. Backends implement Update with it. When it fails after an attempt that
// ended with ErrCommitUnknown, its error wraps ErrCommitUnknown (that attempt may have applied).
func Retry(ctx context.Context, p RetryPolicy, attempt func() error) error {
	backoff := p.MinBackoff
	var err error
	unknown := false // some attempt's commit may have applied
	fail := func(e error) error {
		if unknown && !errors.Is(e, ErrCommitUnknown) {
			return fmt.Errorf("%w (and an earlier attempt's commit result is unknown: %w)", e, ErrCommitUnknown)
		}
		return e
	}
	for i := 0; i < max(p.MaxAttempts, 1); i++ {
		if i > 0 {
			// Jitter: sleep a random time in [backoff/2, backoff).
			d := backoff/2 + rand.N(max(backoff/2, 1))
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return fail(fmt.Errorf("%w (last attempt: %w)", ctx.Err(), err))
			case <-t.C:
			}
			backoff = min(backoff*2, p.MaxBackoff)
		}
		if cerr := ctx.Err(); cerr != nil {
			return fail(cerr)
		}
		err = attempt()
		if err == nil {
			return nil
		}
		if !Retryable(err) {
			return fail(err)
		}
		if errors.Is(err, ErrCommitUnknown) {
			unknown = true
		}
	}
	return fail(fmt.Errorf("kv: gave up after %d attempts: %w", max(p.MaxAttempts, 1), err))
}

// CounterValue decodes a value written by AtomicAdd (little-endian, zero-extended or truncated
// to 8 bytes); nil is 0.
func CounterValue(v []byte) int64 {
	var buf [8]byte
	copy(buf[:], v)
	return int64(binary.LittleEndian.Uint64(buf[:]))
}

// Increment adds 1 to the counter at key and returns the new value. It reads the counter back,
// so concurrent increments conflict (and are retried) instead of returning the same value; ids
// allocated this way are unique and increase with commit order.
func Increment(tx Txn, key []byte) (int64, error) {
	if err := tx.AtomicAdd(key, 1); err != nil {
		return 0, err
	}
	v, err := tx.Get(key)
	if err != nil {
		return 0, err
	}
	return CounterValue(v), nil
}

// GetProto reads the protobuf message stored under key into m. It reports false (and leaves m
// untouched) when the key is absent.
func GetProto(tx ReadTxn, key []byte, m proto.Message) (bool, error) {
	v, err := tx.Get(key)
	if err != nil || v == nil {
		return false, err
	}
	if err := proto.Unmarshal(v, m); err != nil {
		return false, fmt.Errorf("kv: decode %T at %x: %w", m, key, err)
	}
	return true, nil
}

// SetProto stores the protobuf message m under key. Marshalling is deterministic so that equal
// messages store equal bytes.
func SetProto(tx Txn, key []byte, m proto.Message) error {
	v, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return fmt.Errorf("kv: encode %T: %w", m, err)
	}
	return tx.Set(key, v)
}

// ScanProto reads [begin, end) (limit 0: no limit) and unmarshals every value into a new M.
func ScanProto[M any, PM interface {
	*M
	proto.Message
}](tx ReadTxn, begin, end []byte, limit int, reverse bool) ([]PM, error) {
	kvs, err := tx.GetRange(begin, end, limit, reverse)
	if err != nil {
		return nil, err
	}
	out := make([]PM, 0, len(kvs))
	for _, e := range kvs {
		m := PM(new(M))
		if err := proto.Unmarshal(e.Value, m); err != nil {
			return nil, fmt.Errorf("value of key %x: %w", e.Key, err)
		}
		out = append(out, m)
	}
	return out, nil
}
