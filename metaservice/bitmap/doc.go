// Package bitmap stores the delete bitmaps of merge-on-write tables and the lock that serializes
// their updates (Doris's get_delete_bitmap_update_lock, update_delete_bitmap, get_delete_bitmap,
// remove_delete_bitmap_update_lock, remove_delete_bitmap).
//
// A bitmap marks the rows of one segment of one rowset that are deleted as of one version; it is
// stored under keys.DeleteBitmap(tablet, rowset, version, segment) as a DeleteBitmapEntry with
// only its bitmap bytes set (the key holds the ids), so a tablet's bitmaps, and one rowset's,
// are one range in (version, segment) order.
//
// The lock (keys.DeleteBitmapLock, per table and partition) has an owner, lock_id — a load's txn
// id, or a negative id for compaction — and a set of initiators (the compute nodes of that owner).
// Lock grants it when the partition is free, its holder's lock expired, or the owner is the same
// (re-entrant: the initiator joins and the expiration moves); otherwise it fails with
// metaerr.ErrBusy. Unlock removes an initiator and frees the lock with its last one; unlocking a
// lock the owner does not hold is a no-op, so both are idempotent. Update writes bitmaps of one
// tablet only for the live holder of its partition's lock (metaerr.ErrFailedPrecondition
// otherwise). Bitmaps a load writes (lock_id > 0) are recorded in the tablet's pending entry
// (keys.DeleteBitmapPending) until its commit forgets them (Forget, called by commit_txn); when
// another owner later updates the tablet, the pending bitmaps of a load that did not commit are
// deleted first, so a failed load never leaves bitmaps that a later version would apply.
//
// Limits: a bitmap is one value, so it must fit the KV store's value limit (100 KB); a pending
// entry lists at most a few thousand segments for the same reason.
//
// Functions run inside the caller's kv transaction and may be called concurrently from
// different transactions; the clock is the caller's.
package bitmap
