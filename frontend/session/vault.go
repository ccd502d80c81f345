package session

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/mysql"
)

func (s *Session) createStorageVault(ctx context.Context, st *ast.CreateStorageVault) (*mysql.Result, error) {
	v, setDefault, err := binder.BuildStorageVault(st)
	if err != nil {
		return nil, err
	}
	return ok(0, s.shared.DDL.CreateStorageVault(ctx, s.group(), v, setDefault, st.IfNotExists))
}

func (s *Session) alterStorageVault(ctx context.Context, st *ast.AlterStorageVault) (*mysql.Result, error) {
	req, err := binder.BuildVaultAlter(st)
	if err != nil {
		return nil, err
	}
	stored, err := s.shared.DDL.StorageVault(ctx, st.Name.Name)
	if err != nil {
		return nil, err
	}
	if err := binder.CheckAlterType(st, stored); err != nil {
		return nil, err
	}
	return ok(0, s.shared.DDL.AlterStorageVault(ctx, s.group(), req, stored))
}

// showStorageVaults answers SHOW STORAGE VAULTS with Doris's columns: Name, Id, Propeties (sic,
// as Doris spells it) and IsDefault. Properties are rendered as Doris renders its vault protobufs
// (short text format), secrets shown as "xxxxxxx": the frontend only ever reads masked vaults.
func (s *Session) showStorageVaults(ctx context.Context) (*mysql.Result, error) {
	vaults, def, err := s.shared.DDL.StorageVaults(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(vaults, func(i, j int) bool { return vaultIDLess(vaults[i].GetId(), vaults[j].GetId()) })
	res := &mysql.Result{Columns: textColumns("Name", "Id", "Propeties", "IsDefault")}
	for _, v := range vaults {
		res.AddStrings(v.GetName(), v.GetId(), VaultProperties(v), strconv.FormatBool(v.GetId() == def))
	}
	return res, nil
}

// vaultIDLess orders ids numerically when they are numbers (the Meta Service's are), so vaults
// come in creation order.
func vaultIDLess(a, b string) bool {
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	if errA == nil && errB == nil {
		return x < y
	}
	return a < b
}

// VaultProperties renders a (masked) vault description the way Doris's SHOW STORAGE VAULTS shows
// its protobufs: `name: "value"` pairs, unset fields omitted, secrets as "xxxxxxx".
func VaultProperties(v *metapb.StorageVault) string {
	var parts []string
	str := func(name, val string) {
		if val != "" {
			parts = append(parts, fmt.Sprintf("%s: %s", name, strconv.Quote(val)))
		}
	}
	switch b := v.GetBackend().(type) {
	case *metapb.StorageVault_S3:
		d := b.S3
		str("ak", d.GetAccessKey())
		if d.GetSecretKey() != "" {
			str("sk", "xxxxxxx")
		}
		str("bucket", d.GetBucket())
		str("prefix", d.GetPrefix())
		str("endpoint", d.GetEndpoint())
		str("region", d.GetRegion())
		if d.GetProvider() != "" {
			parts = append(parts, "provider: "+d.GetProvider())
		}
		parts = append(parts, "use_path_style: "+strconv.FormatBool(d.GetUsePathStyle()))
		str("role_arn", d.GetRoleArn())
		str("external_id", d.GetExternalId())
	case *metapb.StorageVault_Hdfs:
		d := b.Hdfs
		var conf []string
		for _, kv := range [][2]string{{"fs_name", d.GetFsDefaultFs()}, {"user", d.GetHadoopUsername()},
			{"hdfs_kerberos_principal", d.GetHadoopKerberosPrincipal()}, {"hdfs_kerberos_keytab", d.GetHadoopKerberosKeytab()}} {
			if kv[1] != "" {
				conf = append(conf, fmt.Sprintf("%s: %s", kv[0], strconv.Quote(kv[1])))
			}
		}
		parts = append(parts, "build_conf { "+strings.Join(conf, " ")+" }")
		str("prefix", d.GetPathPrefix())
	case *metapb.StorageVault_Local:
		str("root", b.Local.GetRoot())
	}
	return strings.Join(parts, " ")
}
