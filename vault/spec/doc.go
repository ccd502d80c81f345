// Package spec turns a storage vault's description (metapb.StorageVault, as the Meta Service
// stores it) into a vault.Storage: the one place that knows how each backend's fields map onto
// its client's configuration. Compute nodes open their vaults through it, and the CheckVault RPC
// probes a vault about to be created through it.
//
// Mapping (Doris's property names in parentheses, as CREATE STORAGE VAULT takes them):
//
//   - local: root directory.
//   - s3: endpoint ("s3.endpoint"; without a scheme it is http://, as Doris), region
//     ("s3.region"), bucket ("s3.bucket"), prefix ("s3.root.path"), static keys
//     ("s3.access_key", "s3.secret_key") or a role to assume (role_arn, external_id), path-style
//     addressing ("use_path_style"). The provider (S3, OSS, COS, OBS, BOS, GCP, MINIO) only
//     matters for AZURE, whose Blob API is not S3's: it is ErrUnsupported.
//   - hdfs: namenodes ("fs.defaultFS", hdfs://host:port[,host:port]), root directory
//     ("path_prefix"), user ("hadoop.username"; default $HADOOP_USER_NAME, else the OS user, as
//     Hadoop's client), Kerberos ("hadoop.security.authentication" = "kerberos" with
//     "hadoop.kerberos.principal" and "hadoop.kerberos.keytab"; krb5.conf from $KRB5_CONFIG,
//     else /etc/krb5.conf).
//
// Open does not probe the backend beyond what its client does when it is created (HDFS connects
// to a namenode; S3 contacts nothing): vault.Check does. Remote says whether a vault's bytes live
// away from the node (s3, hdfs), which is what decides whether a file cache is put in front.
//
// The functions are pure apart from the clients they create and are safe for concurrent use.
package spec
