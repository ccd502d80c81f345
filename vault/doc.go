// Package vault is the storage seam: the Storage interface every backend implements (local
// directory, memory, S3, HDFS; faulty wraps any of them for tests; filecache puts a disk cache
// in front), the classification of its errors, the one retry policy of the backends (Retry), the
// probe run when a vault is created (Check), and the arithmetic that names files (DESIGN §3: a
// segment's path is computed from its ids, never looked up).
//
// Contract of every Storage:
//
//   - Paths are relative, '/'-separated object names (see ValidatePath). There are no directories:
//     List and DeletePrefix work on plain string prefixes, as on S3.
//   - Put is atomic: a reader sees either no object (or the previous one) or the complete new
//     object, never a partial one, even across a crash. A Put whose reader fails, or whose context
//     is cancelled, leaves no object behind.
//   - Objects are immutable once written; overwriting a path replaces the object atomically.
//   - Errors are classified with sentinels tested with errors.Is — ErrNotFound, ErrInvalidPath,
//     ErrOutOfRange, ErrPermission (credentials or policy), ErrThrottled and ErrUnavailable (both
//     retryable); backends wrap them with the operation and path, and keep the client's own
//     error in the chain.
//   - A backend retries idempotent requests itself, through Retry with its configured Backoff
//     and nowhere else; an error a caller sees has already been retried.
//   - Delete and DeletePrefix are idempotent: deleting what does not exist is not an error.
//
// Every method of a Storage may be called concurrently from any number of goroutines. The
// conformance suite in vault/vaulttest states these rules as tests; every backend runs it.
package vault
