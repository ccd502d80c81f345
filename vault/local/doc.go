// Package local is a vault.Storage over a directory of the local filesystem: the built-in vault
// of standalone mode and of tests.
//
// Object "a/b/c" is the file {root}/a/b/c. Put writes a temporary file in the target directory
// (named vault.ReservedPrefix + the target's name + "." + random), fsyncs it, renames it over the
// target and fsyncs the directory, so a crash leaves either the old state or the complete object,
// never a partial one. Directories created on the way are fsynced into their parents. Temporary
// files a crash leaves behind are invisible to List and never collide with objects; DeletePrefix
// removes those whose target is under the prefix (so the recycler, deleting a rowset's prefix,
// also removes the debris of a Put killed mid-way; a Put still running there then fails).
// Emptied directories are removed by Delete and DeletePrefix; a Put racing with that removal
// retries its directory creation.
//
// Limitation of a filesystem (not of S3): a path cannot be both an object and a prefix of
// another object ("a" and "a/b"); such a Put fails.
//
// Safe for concurrent use by any number of goroutines (and processes sharing the directory, since
// every mutation is a rename or an unlink).
package local
