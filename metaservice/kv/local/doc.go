// Package local is the embedded kv.DB backend: one bbolt file, one bucket, one process.
//
// Update runs in a bbolt read-write transaction and View in a read-only one. bbolt admits one
// writer at a time and readers see the snapshot of the last commit, so transactions are
// serializable without conflicts (Update never retries unless the function asks for it by
// returning kv.ErrConflict). Every commit is fsynced before Update returns, so a committed
// transaction survives a crash (SIGKILL, power loss with honest disks). The limits of
// kv.Options are enforced on every operation.
//
// The file is locked: a second Open of the same path, in this or another process, waits up to
// LockTimeout and then fails. A DB is safe for concurrent use; a long Update blocks other
// Updates (not Views) for its duration, which the 5 s transaction limit bounds.
package local
