// Package s3test starts a real S3 server for tests: VersityGW (Apache-2.0) over a temporary
// directory, on 127.0.0.1 and a free port, stopped when the test ends.
//
// The versitygw binary is found at $DORIC_VERSITYGW, else at .tools/bin/versitygw under the
// module root (`make tools` builds it there). When DORIC_VERSITYGW is set, a missing binary fails
// the test; otherwise the test is skipped with a message saying how to get the binary.
//
// Each test that calls Start gets its own server (it starts in well under a second); NewBucket
// and Config hand out fresh buckets on it, so subtests never see each other's objects.
package s3test
