// Package local is the embedded kv.DB backend: one bbolt file, one process.
//
// Update runs in a bbolt read-write transaction and View in a read-only one. bbolt admits one
// writer at a time and readers see the snapshot of the last commit, so transactions are
// serializable without conflicts — range reads included: no insert can slip into a range an
// Update read, because no other Update runs meanwhile. Update never retries unless the function
// asks for it by returning kv.ErrConflict or kv.ErrCommitUnknown; local never produces either.
// Every commit is fsynced before Update returns, so a committed transaction survives a crash
// (SIGKILL, power loss with honest disks). The limits of kv.Options are enforced on every
// operation.
//
// # Layout and versionstamps
//
// The layout is in FORMAT.md. The key space is the bucket "kv"; the bucket "sys" holds the
// store's bookkeeping, outside the key space: "commit_version", the 8-byte big-endian version
// of the last transaction that committed writes. Every such transaction takes the next version
// (writers are serialised, so the attempt knows its version as soon as it first needs it) and
// stores it in the same bbolt commit as its writes: versions are strictly increasing, survive
// restarts, and a rolled-back attempt gives its number back. A versionstamp is that version and
// batch order 0. Versionstamped keys and values are written in place, in order with the other
// writes; reads of them inside their transaction fail with kv.ErrUnreadable as they do on
// FoundationDB (for a versionstamped key, every key prefix + 10 bytes is unreadable).
//
// The file is locked: a second Open of the same path, in this or another process, waits up to
// LockTimeout and then fails. A DB is safe for concurrent use; a long Update blocks other
// Updates (not Views) for its duration, which the 5 s transaction limit bounds.
package local
