package publish

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/api/metapb"
)

// Lock is one owner's hold of the delete-bitmap lock of a table's partitions: a load's publish
// (LockID = its txn id) or a merge-on-write compaction (a negative LockID, unique per job).
type Lock struct {
	Meta       metapb.MetaServiceClient
	InstanceID string
	TableID    int64
	Partitions []int64
	LockID     int64
	Initiator  int64
	// Lease is the expiration asked for (DefaultLease when 0); Take again to renew it.
	Lease time.Duration
	// Timeout bounds the wait while another owner holds the lock (DefaultLockTimeout when 0).
	Timeout time.Duration
}

// Take takes (or renews) the lock, retrying with jittered backoff while another owner holds it,
// until Timeout (then ErrLockTimeout).
func (l *Lock) Take(ctx context.Context) error {
	lease, timeout := l.Lease, l.Timeout
	if lease <= 0 {
		lease = DefaultLease
	}
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	deadline := time.Now().Add(timeout)
	wait := 2 * time.Millisecond
	for {
		_, err := l.Meta.GetDeleteBitmapUpdateLock(ctx, &metapb.GetDeleteBitmapUpdateLockRequest{InstanceId: l.InstanceID,
			TableId: l.TableID, PartitionIds: l.Partitions, LockId: l.LockID, Initiator: l.Initiator, ExpirationMs: lease.Milliseconds()})
		if err == nil {
			return nil
		}
		if status.Code(err) != codes.Aborted {
			return fmt.Errorf("delete bitmap lock of table %d partitions %v: %w", l.TableID, l.Partitions, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("delete bitmap lock of table %d partitions %v after %v: %w (%v)", l.TableID, l.Partitions, timeout, ErrLockTimeout, err)
		}
		d := wait/2 + time.Duration(mrand.Int64N(int64(wait)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// Release releases this initiator's hold (a no-op when the owner does not hold the lock).
func (l *Lock) Release(ctx context.Context) error {
	if _, err := l.Meta.RemoveDeleteBitmapUpdateLock(ctx, &metapb.RemoveDeleteBitmapUpdateLockRequest{InstanceId: l.InstanceID,
		TableId: l.TableID, PartitionIds: l.Partitions, LockId: l.LockID, Initiator: l.Initiator}); err != nil {
		return fmt.Errorf("release delete bitmap lock %d of table %d partitions %v: %w", l.LockID, l.TableID, l.Partitions, err)
	}
	return nil
}
