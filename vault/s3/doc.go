// Package s3 is a vault.Storage on an S3-compatible object store (AWS S3, MinIO, VersityGW, Ceph
// RGW, OSS/COS/OBS S3 endpoints), built on aws-sdk-go-v2.
//
// Object "a/b" of a vault is the key "{Prefix}/a/b" in Config.Bucket. Config chooses the endpoint
// (empty: AWS for the region), path-style or virtual-hosted addressing, and the credentials:
// static keys, or the SDK's default chain (environment, shared config, web identity, ECS/EC2
// instance role), optionally assuming Config.RoleARN through STS on top of either.
//
// Behaviour:
//   - Put streams: it buffers up to PartSize; a smaller object is one PutObject, a larger one a
//     multipart upload whose parts (PartSize each) are uploaded UploadConcurrency at a time while
//     the reader is still being consumed. The object appears only when CompleteMultipartUpload
//     succeeds; a failed or cancelled Put aborts the upload, so nothing is left behind.
//   - ReadAt is one ranged GetObject; a range beyond the end is vault.ErrOutOfRange.
//   - List pages through ListObjectsV2 (ListPageSize keys a page); keys that are not legal vault
//     paths (directory markers "x/", foreign names) are skipped.
//   - Delete and DeletePrefix use DeleteObjects in batches of DeleteBatchSize (at most 1,000, S3's
//     limit); missing keys are not errors.
//   - Errors are classified into vault's sentinels: 404/NoSuchKey → ErrNotFound, 416 →
//     ErrOutOfRange, 403/AccessDenied/bad keys → ErrPermission, 503/429/SlowDown and the other
//     throttling codes → ErrThrottled, network errors, 5xx and cut-short bodies → ErrUnavailable.
//   - Retries: the SDK's retryer is switched off; every request (each page, each part, each
//     ranged read including the reading of its body) runs through vault.Retry with Config.Retry,
//     the one retry policy of the vaults.
//   - Request checksums are computed only where S3 requires them (DeleteObjects), which keeps
//     third-party S3 implementations that do not know the newer checksum headers working.
//
// A Storage is safe for concurrent use by any number of goroutines.
package s3
