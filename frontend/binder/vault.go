package binder

import (
	"regexp"
	"sort"
	"strings"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/frontend/ast"
)

// Storage vault property names (Doris's). Keys are matched case-insensitively.
const (
	VaultPropType         = "type"
	VaultPropSetAsDefault = "set_as_default"
	VaultPropName         = "vault_name" // ALTER: the new name (Doris writes "VAULT_NAME")

	S3PropEndpoint   = "s3.endpoint"
	S3PropRegion     = "s3.region"
	S3PropRootPath   = "s3.root.path"
	S3PropBucket     = "s3.bucket"
	S3PropAccessKey  = "s3.access_key"
	S3PropSecretKey  = "s3.secret_key"
	S3PropRoleARN    = "s3.role_arn"
	S3PropExternalID = "s3.external_id"
	S3PropProvider   = "provider"
	S3PropPathStyle  = "use_path_style"

	HDFSPropDefaultFS = "fs.defaultfs"
	HDFSPropPrefix    = "path_prefix"
	HDFSPropUser      = "hadoop.username"
	HDFSPropAuth      = "hadoop.security.authentication"
	HDFSPropPrincipal = "hadoop.kerberos.principal"
	HDFSPropKeytab    = "hadoop.kerberos.keytab"

	// TablePropStorageVault names the vault of a table (CREATE TABLE ... PROPERTIES).
	TablePropStorageVault = "storage_vault_name"
)

// s3Providers are the accepted values of "provider" (S3-compatible APIs; Doris also accepts AZURE,
// whose Blob API Doric does not speak).
var s3Providers = map[string]bool{"S3": true, "OSS": true, "COS": true, "OBS": true, "BOS": true, "GCP": true, "MINIO": true}

var vaultNameRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]{0,63}$`)

func checkVaultName(id ast.Ident) error {
	if !vaultNameRe.MatchString(id.Name) {
		return errorf(ErrInvalidDDL, id.Pos, "Incorrect storage vault name '%s': it must start with a letter and hold only letters, digits, '_' and '-' (at most 64 characters)", id.Name)
	}
	return nil
}

// vaultProps indexes properties by lower-cased key, rejecting duplicates.
type vaultProps struct {
	byKey map[string]ast.Property
	used  map[string]bool
}

func newVaultProps(props []ast.Property) (*vaultProps, error) {
	p := &vaultProps{byKey: map[string]ast.Property{}, used: map[string]bool{}}
	for _, pr := range props {
		k := strings.ToLower(pr.Key)
		if _, dup := p.byKey[k]; dup {
			return nil, errorf(ErrInvalidDDL, pr.Pos, "duplicate property '%s'", pr.Key)
		}
		p.byKey[k] = pr
	}
	return p, nil
}

// get returns the value of key (trimmed) and marks it used.
func (p *vaultProps) get(key string) (string, ast.Property, bool) {
	pr, ok := p.byKey[key]
	if ok {
		p.used[key] = true
	}
	return strings.TrimSpace(pr.Value), pr, ok
}

// required returns a non-empty value of key or an error naming it.
func (p *vaultProps) required(key string, pos ast.Pos, what string) (string, error) {
	v, pr, ok := p.get(key)
	if !ok {
		if key == HDFSPropDefaultFS {
			key = "fs.defaultFS" // as Doris spells it
		}
		return "", errorf(ErrInvalidDDL, pos, "Missing property '%s' (%s)", key, what)
	}
	if v == "" {
		return "", errorf(ErrInvalidDDL, pr.Pos, "Property '%s' cannot be empty", pr.Key)
	}
	return v, nil
}

func (p *vaultProps) boolean(key string) (bool, error) {
	v, pr, ok := p.get(key)
	if !ok {
		return false, nil
	}
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errorf(ErrInvalidDDL, pr.Pos, "Property '%s' must be true or false, not '%s'", pr.Key, pr.Value)
}

// unused returns an error for the first property (in statement order) nothing consumed.
func (p *vaultProps) unused(kind string, allowed []string) error {
	var left []ast.Property
	for k, pr := range p.byKey {
		if !p.used[k] {
			left = append(left, pr)
		}
	}
	if len(left) == 0 {
		return nil
	}
	sort.Slice(left, func(i, j int) bool { return left[i].Pos.Offset < left[j].Pos.Offset })
	return errorf(ErrInvalidDDL, left[0].Pos, "Unknown property '%s' for %s storage vault; the properties are: %s",
		left[0].Key, kind, strings.Join(allowed, ", "))
}

// vaultType reads "type": "s3" or "hdfs" (lower-cased), required.
func vaultType(p *vaultProps, pos ast.Pos) (string, error) {
	t, err := p.required(VaultPropType, pos, "S3 or hdfs")
	if err != nil {
		return "", err
	}
	switch t = strings.ToLower(t); t {
	case "s3", "hdfs":
		return t, nil
	}
	_, pr, _ := p.get(VaultPropType)
	return "", errorf(ErrInvalidDDL, pr.Pos, "Unknown storage vault type '%s': want S3 or hdfs", pr.Value)
}

var (
	s3CreateProps   = []string{VaultPropType, S3PropEndpoint, S3PropRegion, S3PropRootPath, S3PropBucket, S3PropAccessKey, S3PropSecretKey, S3PropProvider, S3PropPathStyle, S3PropRoleARN, S3PropExternalID, VaultPropSetAsDefault}
	hdfsCreateProps = []string{VaultPropType, "fs.defaultFS", HDFSPropPrefix, HDFSPropUser, HDFSPropAuth, HDFSPropPrincipal, HDFSPropKeytab, VaultPropSetAsDefault}
	s3AlterProps    = []string{VaultPropType, "VAULT_NAME", S3PropAccessKey, S3PropSecretKey, S3PropRoleARN, S3PropExternalID}
	hdfsAlterProps  = []string{VaultPropType, "VAULT_NAME", HDFSPropUser}
)

// BuildStorageVault validates CREATE STORAGE VAULT and returns the vault it describes (id and
// times unset) and whether it is to become the default ("set_as_default" = "true").
//
// S3 needs s3.endpoint, s3.region, s3.root.path, s3.bucket, provider and either s3.access_key
// with s3.secret_key or s3.role_arn (optionally s3.external_id); use_path_style defaults to
// false. HDFS needs fs.defaultFS (hdfs://...); path_prefix, hadoop.username and Kerberos
// (hadoop.security.authentication = kerberos with hadoop.kerberos.principal and
// hadoop.kerberos.keytab) are optional. Unknown properties are errors.
func BuildStorageVault(st *ast.CreateStorageVault) (*metapb.StorageVault, bool, error) {
	if err := checkVaultName(st.Name); err != nil {
		return nil, false, err
	}
	p, err := newVaultProps(st.Properties)
	if err != nil {
		return nil, false, err
	}
	typ, err := vaultType(p, st.Pos)
	if err != nil {
		return nil, false, err
	}
	setDefault, err := p.boolean(VaultPropSetAsDefault)
	if err != nil {
		return nil, false, err
	}
	v := &metapb.StorageVault{Name: st.Name.Name}
	if typ == "s3" {
		s3, err := buildS3Vault(p, st.Pos)
		if err != nil {
			return nil, false, err
		}
		v.Backend = &metapb.StorageVault_S3{S3: s3}
		return v, setDefault, p.unused("an S3", s3CreateProps)
	}
	h, err := buildHDFSVault(p, st.Pos)
	if err != nil {
		return nil, false, err
	}
	v.Backend = &metapb.StorageVault_Hdfs{Hdfs: h}
	return v, setDefault, p.unused("an HDFS", hdfsCreateProps)
}

func buildS3Vault(p *vaultProps, pos ast.Pos) (*metapb.S3Vault, error) {
	s := &metapb.S3Vault{}
	var err error
	for _, f := range []struct {
		key, what string
		dst       *string
	}{
		{S3PropEndpoint, "the object store's endpoint, e.g. s3.us-east-1.amazonaws.com", &s.Endpoint},
		{S3PropRegion, "the bucket's region", &s.Region},
		{S3PropRootPath, "the path of the vault in the bucket", &s.Prefix},
		{S3PropBucket, "the bucket", &s.Bucket},
		{S3PropProvider, "S3, OSS, COS, OBS, BOS, GCP or MINIO", &s.Provider},
	} {
		if *f.dst, err = p.required(f.key, pos, f.what); err != nil {
			return nil, err
		}
	}
	s.Prefix = strings.Trim(s.Prefix, "/")
	if s.Prefix == "" {
		_, pr, _ := p.get(S3PropRootPath)
		return nil, errorf(ErrInvalidDDL, pr.Pos, "Property '%s' must name a path, not '%s'", pr.Key, pr.Value)
	}
	_, prov, _ := p.get(S3PropProvider)
	s.Provider = strings.ToUpper(s.Provider)
	switch {
	case s.Provider == "AZURE":
		return nil, errorf(ErrNotSupported, prov.Pos, "provider AZURE is not supported yet: Azure Blob Storage does not speak the S3 API")
	case !s3Providers[s.Provider]:
		return nil, errorf(ErrInvalidDDL, prov.Pos, "Unknown provider '%s': want S3, OSS, COS, OBS, BOS, GCP or MINIO", prov.Value)
	}
	if s.UsePathStyle, err = p.boolean(S3PropPathStyle); err != nil {
		return nil, err
	}
	s.AccessKey, _, _ = p.get(S3PropAccessKey)
	s.SecretKey, _, _ = p.get(S3PropSecretKey)
	s.RoleArn, _, _ = p.get(S3PropRoleARN)
	s.ExternalId, _, _ = p.get(S3PropExternalID)
	switch {
	case (s.AccessKey == "") != (s.SecretKey == ""):
		return nil, errorf(ErrInvalidDDL, pos, "'%s' and '%s' go together", S3PropAccessKey, S3PropSecretKey)
	case s.RoleArn == "" && s.AccessKey == "":
		return nil, errorf(ErrInvalidDDL, pos, "An S3 vault needs '%s' and '%s' (or '%s')", S3PropAccessKey, S3PropSecretKey, S3PropRoleARN)
	case s.ExternalId != "" && s.RoleArn == "":
		return nil, errorf(ErrInvalidDDL, pos, "'%s' needs '%s'", S3PropExternalID, S3PropRoleARN)
	}
	return s, nil
}

func buildHDFSVault(p *vaultProps, pos ast.Pos) (*metapb.HdfsVault, error) {
	h := &metapb.HdfsVault{}
	var err error
	if h.FsDefaultFs, err = p.required(HDFSPropDefaultFS, pos, "the namenode, hdfs://host:port"); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(h.FsDefaultFs, "hdfs://") || len(h.FsDefaultFs) == len("hdfs://") {
		_, pr, _ := p.get(HDFSPropDefaultFS)
		return nil, errorf(ErrInvalidDDL, pr.Pos, "Property '%s' must be hdfs://host[:port], not '%s'", pr.Key, pr.Value)
	}
	h.PathPrefix, _, _ = p.get(HDFSPropPrefix)
	h.HadoopUsername, _, _ = p.get(HDFSPropUser)
	auth, authProp, _ := p.get(HDFSPropAuth)
	h.HadoopKerberosPrincipal, _, _ = p.get(HDFSPropPrincipal)
	h.HadoopKerberosKeytab, _, _ = p.get(HDFSPropKeytab)
	switch strings.ToLower(auth) {
	case "", "simple":
		if h.HadoopKerberosPrincipal != "" || h.HadoopKerberosKeytab != "" {
			return nil, errorf(ErrInvalidDDL, pos, "Kerberos properties need '%s' = 'kerberos'", HDFSPropAuth)
		}
	case "kerberos":
		if h.HadoopKerberosPrincipal == "" || h.HadoopKerberosKeytab == "" {
			return nil, errorf(ErrInvalidDDL, authProp.Pos, "Kerberos authentication needs '%s' and '%s'", HDFSPropPrincipal, HDFSPropKeytab)
		}
	default:
		return nil, errorf(ErrInvalidDDL, authProp.Pos, "Property '%s' must be simple or kerberos, not '%s'", authProp.Key, authProp.Value)
	}
	h.HadoopSecurityAuthentication = strings.ToLower(auth)
	return h, nil
}

// BuildVaultAlter validates ALTER STORAGE VAULT and returns the Meta Service request (instance
// unset). "type" is required and must be the vault's (the caller checks it against the stored
// vault: see AlterMatches). S3 vaults may change s3.access_key, s3.secret_key, s3.role_arn,
// s3.external_id; HDFS vaults hadoop.username; both VAULT_NAME (a rename). Everything else is
// fixed, since the data already written lives there.
func BuildVaultAlter(st *ast.AlterStorageVault) (*metapb.AlterStorageVaultRequest, error) {
	p, err := newVaultProps(st.Properties)
	if err != nil {
		return nil, err
	}
	typ, err := vaultType(p, st.Pos)
	if err != nil {
		return nil, err
	}
	req := &metapb.AlterStorageVaultRequest{Name: st.Name.Name}
	if n, pr, ok := p.get(VaultPropName); ok {
		if err := checkVaultName(ast.Ident{Pos: pr.Pos, Name: n}); err != nil {
			return nil, err
		}
		req.NewName = n
	}
	fixed := func(keys ...string) error {
		for _, k := range keys {
			if _, pr, ok := p.get(k); ok {
				return errorf(ErrInvalidDDL, pr.Pos, "Property '%s' of a storage vault cannot be changed: the data already written lives there", pr.Key)
			}
		}
		return nil
	}
	if typ == "s3" {
		if err := fixed(S3PropEndpoint, S3PropRegion, S3PropRootPath, S3PropBucket, S3PropProvider, S3PropPathStyle); err != nil {
			return nil, err
		}
		s := &metapb.S3Vault{}
		s.AccessKey, _, _ = p.get(S3PropAccessKey)
		s.SecretKey, _, _ = p.get(S3PropSecretKey)
		s.RoleArn, _, _ = p.get(S3PropRoleARN)
		s.ExternalId, _, _ = p.get(S3PropExternalID)
		if err := p.unused("an S3", s3AlterProps); err != nil {
			return nil, err
		}
		if s.AccessKey != "" || s.SecretKey != "" || s.RoleArn != "" || s.ExternalId != "" {
			req.S3 = s
		}
	} else {
		if err := fixed(HDFSPropDefaultFS, HDFSPropPrefix); err != nil {
			return nil, err
		}
		for _, k := range []string{HDFSPropAuth, HDFSPropPrincipal, HDFSPropKeytab} {
			if _, pr, ok := p.get(k); ok {
				return nil, errorf(ErrNotSupported, pr.Pos, "changing '%s' of a storage vault is not supported yet", pr.Key)
			}
		}
		h := &metapb.HdfsVault{}
		h.HadoopUsername, _, _ = p.get(HDFSPropUser)
		if err := p.unused("an HDFS", hdfsAlterProps); err != nil {
			return nil, err
		}
		if h.HadoopUsername != "" {
			req.Hdfs = h
		}
	}
	if req.NewName == "" && req.S3 == nil && req.Hdfs == nil {
		return nil, errorf(ErrInvalidDDL, st.Pos, "ALTER STORAGE VAULT %s changes nothing: give new credentials or VAULT_NAME", st.Name.Name)
	}
	return req, nil
}

// CheckAlterType checks that the "type" of an ALTER STORAGE VAULT (validated by BuildVaultAlter)
// is the stored vault's, and that the vault can be altered at all (the built-in local vault
// cannot).
func CheckAlterType(st *ast.AlterStorageVault, stored *metapb.StorageVault) error {
	var want string
	switch stored.GetBackend().(type) {
	case *metapb.StorageVault_S3:
		want = "s3"
	case *metapb.StorageVault_Hdfs:
		want = "hdfs"
	default:
		return errorf(ErrInvalidDDL, st.Pos, "Storage vault '%s' is a local vault; it cannot be altered", st.Name.Name)
	}
	for _, pr := range st.Properties {
		if strings.EqualFold(pr.Key, VaultPropType) && !strings.EqualFold(strings.TrimSpace(pr.Value), want) {
			return errorf(ErrInvalidDDL, pr.Pos, "Storage vault '%s' is of type %s, not %s", st.Name.Name, map[string]string{"s3": "S3", "hdfs": "hdfs"}[want], pr.Value)
		}
	}
	return nil
}
