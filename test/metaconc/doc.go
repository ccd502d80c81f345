// Package metaconc is the Meta Service's concurrency acceptance test (issue 3): many clients load
// through gRPC into a few partitions while the store injects conflicts and unknown commit
// results, and the versions, rowsets and label retries must come out exactly right. It has tests
// only.
package metaconc
