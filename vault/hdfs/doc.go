// Package hdfs is a vault.Storage on HDFS, through the pure-Go client github.com/colinmarc/hdfs/v2
// (no JVM, no libhdfs).
//
// Object "a/b" is the file {Prefix}/a/b. Put writes a temporary file (vault.ReservedPrefix +
// random) in the target directory and renames it over the target when the namenode has
// completed it, so readers see the old object or the complete new one; a failed Put removes its
// temporary file. Directories are created as needed and not removed when emptied (HDFS
// directories are cheap; List never reports them). As on a local file system, a path cannot be
// both an object and a prefix of another object.
//
// Authentication is simple (Config.User) or Kerberos (a principal and its keytab, like Doris's
// "hadoop.kerberos.principal" / "hadoop.kerberos.keytab"). Errors are classified into vault's
// sentinels (FileNotFoundException → ErrNotFound, AccessControlException → ErrPermission,
// network errors → ErrUnavailable); reads, stats, listings and deletes run through vault.Retry.
// The client has no context support: a context's deadline becomes the reader's or writer's
// deadline, and cancellation is checked between chunks of a Put.
//
// The conformance suite runs only against a real namenode named by DORIC_TEST_HDFS
// ("host:port"); none can run on the project's build machines.
//
// A Storage is safe for concurrent use.
package hdfs
