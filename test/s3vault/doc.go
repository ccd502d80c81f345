// Package s3vault is the S3 storage vault acceptance test (issue 4): a standalone cluster creates
// an S3 vault on a VersityGW server through SQL, loads a table stored there and queries it
// through go-sql-driver, and the test checks where the objects land in the bucket, how many GETs
// a cold and a warm query issue, and that the compute node's file cache survives a restart. It
// skips (with a message) when versitygw is not installed. It has tests only.
package s3vault
