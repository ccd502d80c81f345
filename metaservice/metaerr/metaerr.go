package metaerr

import "errors"

var (
	// ErrNotFound: the named object (instance, vault, group, node, tablet, txn) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: an object with that identity exists and differs from the one asked for.
	ErrAlreadyExists = errors.New("already exists")
	// ErrFailedPrecondition: the object is in the wrong state (e.g. committing an aborted txn).
	ErrFailedPrecondition = errors.New("failed precondition")
	// ErrInvalidArgument: the request is malformed (missing id, bad range, oversized label).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrBusy: another owner holds a live lease or lock (a compaction job, a delete-bitmap lock);
	// the caller may retry after it expires or is released.
	ErrBusy = errors.New("busy")
	// ErrVersionMerged: the version asked for can no longer be read, a compaction merged it
	// into a rowset that ends above it (Doris's -230); read a newer version.
	ErrVersionMerged = errors.New("version already merged")
)
