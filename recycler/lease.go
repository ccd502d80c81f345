package recycler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
)

// ErrLeaseLost is wrapped by the error of a round whose lease expired and was taken by another
// recycler (or released) while the round ran: the round stops at its next bookkeeping step.
var ErrLeaseLost = errors.New("recycler lease lost")

// errLeaseHeld is returned by acquire when another owner holds a live lease.
var errLeaseHeld = errors.New("recycler lease held by another owner")

// Lease is the recycler lease of one instance, the value of keys.JobRecycle (byte layout in
// FORMAT.md: protobuf wire format with Doris's JobRecyclePB field numbers). At most one owner
// holds a live lease: Busy and ExpirationMs not passed.
type Lease struct {
	InstanceID    string
	Owner         string // the holder's id (Config.Owner)
	StartMs       int64  // when the holder's current (or last) round began
	ExpirationMs  int64  // the lease ends here unless renewed
	LastFinishMs  int64  // when the last round ended
	Busy          bool   // a round holds the lease
	LastSuccessMs int64  // when the last round that reclaimed everything it found due ended
}

// Field numbers of the lease value (Doris's JobRecyclePB).
const (
	leaseInstanceID    protowire.Number = 1
	leaseOwner         protowire.Number = 2 // Doris: ip_port
	leaseStartMs       protowire.Number = 3 // Doris: last_ctime_ms
	leaseExpirationMs  protowire.Number = 4 // Doris: expiration_time_ms
	leaseLastFinishMs  protowire.Number = 5 // Doris: last_finish_time_ms
	leaseStatus        protowire.Number = 6 // Doris: status, IDLE = 0, BUSY = 1
	leaseLastSuccessMs protowire.Number = 7 // Doris: last_success_time_ms
)

// Marshal encodes the lease: fields in number order, zero values omitted (proto3 style).
func (l *Lease) Marshal() []byte {
	var b []byte
	str := func(n protowire.Number, s string) {
		if s != "" {
			b = protowire.AppendTag(b, n, protowire.BytesType)
			b = protowire.AppendString(b, s)
		}
	}
	num := func(n protowire.Number, v uint64) {
		if v != 0 {
			b = protowire.AppendTag(b, n, protowire.VarintType)
			b = protowire.AppendVarint(b, v)
		}
	}
	str(leaseInstanceID, l.InstanceID)
	str(leaseOwner, l.Owner)
	num(leaseStartMs, uint64(l.StartMs))
	num(leaseExpirationMs, uint64(l.ExpirationMs))
	num(leaseLastFinishMs, uint64(l.LastFinishMs))
	num(leaseStatus, protowire.EncodeBool(l.Busy))
	num(leaseLastSuccessMs, uint64(l.LastSuccessMs))
	return b
}

// UnmarshalLease decodes a lease value. Unknown fields are skipped (a later version may add
// some); a malformed value is an error.
func UnmarshalLease(b []byte) (*Lease, error) {
	l := &Lease{}
	for len(b) > 0 {
		n, typ, tn := protowire.ConsumeTag(b)
		if tn < 0 {
			return nil, fmt.Errorf("recycler lease: bad tag: %w", protowire.ParseError(tn))
		}
		b = b[tn:]
		var vn int
		switch {
		case (n == leaseInstanceID || n == leaseOwner) && typ == protowire.BytesType:
			var s string
			s, vn = protowire.ConsumeString(b)
			if n == leaseInstanceID {
				l.InstanceID = s
			} else {
				l.Owner = s
			}
		case n >= leaseStartMs && n <= leaseLastSuccessMs && typ == protowire.VarintType:
			var v uint64
			v, vn = protowire.ConsumeVarint(b)
			switch n {
			case leaseStartMs:
				l.StartMs = int64(v)
			case leaseExpirationMs:
				l.ExpirationMs = int64(v)
			case leaseLastFinishMs:
				l.LastFinishMs = int64(v)
			case leaseStatus:
				l.Busy = v != 0
			case leaseLastSuccessMs:
				l.LastSuccessMs = int64(v)
			}
		default:
			vn = protowire.ConsumeFieldValue(n, typ, b)
		}
		if vn < 0 {
			return nil, fmt.Errorf("recycler lease: field %d: %w", n, protowire.ParseError(vn))
		}
		b = b[vn:]
	}
	return l, nil
}

// live reports whether the lease is held at now (ms).
func (l *Lease) live(now int64) bool { return l.Busy && l.ExpirationMs >= now }

// ReadLease returns the lease of an instance, or nil when no recycler ever took it.
func ReadLease(ctx context.Context, db kv.DB, instanceID string) (*Lease, error) {
	var l *Lease
	err := db.View(ctx, func(tx kv.ReadTxn) error {
		var err error
		l, err = getLease(tx, instanceID)
		return err
	})
	return l, err
}

func getLease(tx kv.ReadTxn, instanceID string) (*Lease, error) {
	v, err := tx.Get(keys.JobRecycle(instanceID))
	if err != nil || v == nil {
		return nil, err
	}
	l, err := UnmarshalLease(v)
	if err != nil {
		return nil, fmt.Errorf("instance %s: %w", instanceID, err)
	}
	return l, nil
}

// acquire takes the lease of the instance for owner until now+d: when nobody holds it, when the
// holder's lease expired, or when owner holds it already. Otherwise it returns the holder's
// lease and errLeaseHeld.
func acquire(tx kv.Txn, instanceID, owner string, now time.Time, d time.Duration) (*Lease, error) {
	cur, err := getLease(tx, instanceID)
	if err != nil {
		return nil, err
	}
	ms := now.UnixMilli()
	if cur != nil && cur.live(ms) && cur.Owner != owner {
		return cur, errLeaseHeld
	}
	next := &Lease{InstanceID: instanceID, Owner: owner, StartMs: ms, ExpirationMs: now.Add(d).UnixMilli(), Busy: true}
	if cur != nil {
		next.LastFinishMs, next.LastSuccessMs = cur.LastFinishMs, cur.LastSuccessMs
	}
	return next, tx.Set(keys.JobRecycle(instanceID), next.Marshal())
}

// check fails with ErrLeaseLost unless owner holds a live lease at now. Every bookkeeping
// transaction of a round calls it, so it conflicts with a take-over and never commits after one.
func check(tx kv.ReadTxn, instanceID, owner string, now time.Time) (*Lease, error) {
	cur, err := getLease(tx, instanceID)
	if err != nil {
		return nil, err
	}
	if cur == nil || cur.Owner != owner || !cur.live(now.UnixMilli()) {
		holder, exp := "", int64(0)
		if cur != nil {
			holder, exp = cur.Owner, cur.ExpirationMs
		}
		return nil, fmt.Errorf("instance %s: %w (holder %q, expiration %d, now %d)", instanceID, ErrLeaseLost, holder, exp, now.UnixMilli())
	}
	return cur, nil
}

// renew extends owner's live lease to now+d.
func renew(tx kv.Txn, instanceID, owner string, now time.Time, d time.Duration) error {
	cur, err := check(tx, instanceID, owner, now)
	if err != nil {
		return err
	}
	cur.ExpirationMs = now.Add(d).UnixMilli()
	return tx.Set(keys.JobRecycle(instanceID), cur.Marshal())
}

// release ends owner's round: the lease is free at once and records when the round ended (and,
// when ok, that it succeeded). It fails with ErrLeaseLost when another owner took the lease; a
// lease of owner that is idle already (a replayed release) is left alone, and one that expired
// without being taken is released.
func release(tx kv.Txn, instanceID, owner string, now time.Time, ok bool) error {
	cur, err := getLease(tx, instanceID)
	if err != nil {
		return err
	}
	if cur == nil || cur.Owner != owner {
		holder := ""
		if cur != nil {
			holder = cur.Owner
		}
		return fmt.Errorf("instance %s: %w (holder %q)", instanceID, ErrLeaseLost, holder)
	}
	if !cur.Busy {
		return nil
	}
	ms := now.UnixMilli()
	cur.Busy, cur.ExpirationMs, cur.LastFinishMs = false, ms, ms
	if ok {
		cur.LastSuccessMs = ms
	}
	return tx.Set(keys.JobRecycle(instanceID), cur.Marshal())
}
