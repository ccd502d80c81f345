package ddl

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
)

// VaultChecker probes a storage vault description from a compute node of a group (the
// coordinator does, over computepb CheckVault): the check runs where the data will be read and
// written, with the credentials the statement carries.
type VaultChecker interface {
	CheckVault(ctx context.Context, group string, v *metapb.StorageVault) (*computepb.CheckVaultResponse, error)
}

// VaultErrorKind classifies VaultError.
type VaultErrorKind uint8

const (
	// VaultExists: a vault of that name exists (CREATE without IF NOT EXISTS, or a rename).
	VaultExists VaultErrorKind = iota + 1
	// UnknownVault: no vault has that name.
	UnknownVault
	// VaultUnusable: the vault failed its check (vault.Check from a compute node).
	VaultUnusable
)

// VaultError is a storage vault statement's failure that the user can act on.
type VaultError struct {
	Kind VaultErrorKind
	Name string
	// Step and Detail say what failed, for VaultUnusable: "open", "write", "read", "list" or
	// "delete", and the compute node's message.
	Step, Detail string
}

func (e *VaultError) Error() string {
	switch e.Kind {
	case VaultExists:
		return fmt.Sprintf("Storage vault '%s' already exists", e.Name)
	case UnknownVault:
		return fmt.Sprintf("Storage vault '%s' does not exist. Use SHOW STORAGE VAULTS to list the vaults, or CREATE STORAGE VAULT to create one", e.Name)
	case VaultUnusable:
		return fmt.Sprintf("Storage vault '%s' failed its check (%s): %s", e.Name, e.Step, e.Detail)
	}
	return fmt.Sprintf("BUG: storage vault error of kind %d on '%s'", e.Kind, e.Name)
}

// CreateStorageVault creates the vault v (built by the binder) after a compute node of group has
// checked it: a vault that cannot be written, read back, listed and cleaned up is refused with a
// VaultError naming the step. With ifNotExists an existing vault of that name is left as it is
// (and not checked); without, it is a VaultError of kind VaultExists.
func (e *Executor) CreateStorageVault(ctx context.Context, group string, v *metapb.StorageVault, setDefault, ifNotExists bool) error {
	_, err := e.Meta.GetStorageVault(ctx, &metapb.GetStorageVaultRequest{InstanceId: e.InstanceID, Name: v.GetName(), MaskSecrets: true})
	switch {
	case err == nil && ifNotExists:
		return nil
	case err == nil:
		return &VaultError{Kind: VaultExists, Name: v.GetName()}
	case status.Code(err) != codes.NotFound:
		return fmt.Errorf("look up storage vault %q: %w", v.GetName(), err)
	}
	if err := e.check(ctx, group, v); err != nil {
		return err
	}
	resp, err := e.Meta.CreateStorageVault(ctx, &metapb.CreateStorageVaultRequest{InstanceId: e.InstanceID, Vault: v, SetAsDefault: setDefault})
	switch {
	case status.Code(err) == codes.AlreadyExists && ifNotExists:
		return nil // created concurrently by another statement
	case status.Code(err) == codes.AlreadyExists:
		return &VaultError{Kind: VaultExists, Name: v.GetName()}
	case err != nil:
		return fmt.Errorf("create storage vault %q: %w", v.GetName(), err)
	case resp.GetAlreadyExisted() && !ifNotExists:
		// An identical vault appeared between the look-up and now: another session's CREATE.
		return &VaultError{Kind: VaultExists, Name: v.GetName()}
	}
	return nil
}

func (e *Executor) check(ctx context.Context, group string, v *metapb.StorageVault) error {
	if e.Checker == nil {
		return fmt.Errorf("BUG: no vault checker to check storage vault %q", v.GetName())
	}
	resp, err := e.Checker.CheckVault(ctx, group, v)
	if err != nil {
		return fmt.Errorf("cannot check storage vault %q from a compute node: %w", v.GetName(), err)
	}
	if !resp.GetOk() {
		return &VaultError{Kind: VaultUnusable, Name: v.GetName(), Step: resp.GetStep(), Detail: resp.GetMessage()}
	}
	return nil
}

// StorageVault returns the vault of that name with its secrets masked, or a VaultError of kind
// UnknownVault.
func (e *Executor) StorageVault(ctx context.Context, name string) (*metapb.StorageVault, error) {
	resp, err := e.Meta.GetStorageVault(ctx, &metapb.GetStorageVaultRequest{InstanceId: e.InstanceID, Name: name, MaskSecrets: true})
	if status.Code(err) == codes.NotFound {
		return nil, &VaultError{Kind: UnknownVault, Name: name}
	}
	if err != nil {
		return nil, fmt.Errorf("look up storage vault %q: %w", name, err)
	}
	return resp.GetVault(), nil
}

// StorageVaults lists the vaults (secrets masked) and the default vault's id.
func (e *Executor) StorageVaults(ctx context.Context) ([]*metapb.StorageVault, string, error) {
	resp, err := e.Meta.ListStorageVaults(ctx, &metapb.ListStorageVaultsRequest{InstanceId: e.InstanceID, MaskSecrets: true})
	if err != nil {
		return nil, "", fmt.Errorf("list storage vaults: %w", err)
	}
	return resp.GetVaults(), resp.GetDefaultVaultId(), nil
}

// AlterStorageVault applies req (built by the binder; its Name names the vault) to stored, the
// vault as StorageVault returned it. New credentials are checked from a compute node of group
// first when the altered description is complete — new S3 keys with their secret, a new role, or
// a new HDFS user; a new access key alone (the stored secret is masked here) cannot be checked
// and is stored as given.
func (e *Executor) AlterStorageVault(ctx context.Context, group string, req *metapb.AlterStorageVaultRequest, stored *metapb.StorageVault) error {
	req = proto.Clone(req).(*metapb.AlterStorageVaultRequest)
	req.InstanceId, req.VaultId = e.InstanceID, stored.GetId()
	if altered, ok := applyCredentials(stored, req); ok {
		if err := e.check(ctx, group, altered); err != nil {
			return err
		}
	}
	_, err := e.Meta.AlterStorageVault(ctx, req)
	switch status.Code(err) {
	case codes.OK:
		return nil
	case codes.NotFound:
		return &VaultError{Kind: UnknownVault, Name: req.GetName()}
	case codes.AlreadyExists:
		return &VaultError{Kind: VaultExists, Name: req.GetNewName()}
	}
	return fmt.Errorf("alter storage vault %q: %w", req.GetName(), err)
}

// applyCredentials returns stored with req's credentials, and whether that description is
// complete enough to check (it holds no masked secret and req changes the backend at all).
func applyCredentials(stored *metapb.StorageVault, req *metapb.AlterStorageVaultRequest) (*metapb.StorageVault, bool) {
	v := proto.Clone(stored).(*metapb.StorageVault)
	if n := req.GetNewName(); n != "" {
		v.Name = n
	}
	switch {
	case req.GetS3() != nil && v.GetS3() != nil:
		s, in := v.GetS3(), req.GetS3()
		if in.GetAccessKey() != "" || in.GetSecretKey() != "" {
			if in.GetSecretKey() == "" {
				return nil, false // the stored secret is masked
			}
			if in.GetAccessKey() != "" {
				s.AccessKey = in.GetAccessKey()
			}
			s.SecretKey = in.GetSecretKey()
		} else if s.GetSecretKey() != "" {
			return nil, false
		}
		if in.GetRoleArn() != "" {
			s.RoleArn = in.GetRoleArn()
		}
		if in.GetExternalId() != "" {
			s.ExternalId = in.GetExternalId()
		}
		return v, true
	case req.GetHdfs() != nil && v.GetHdfs() != nil:
		v.GetHdfs().HadoopUsername = req.GetHdfs().GetHadoopUsername()
		return v, true
	}
	return nil, false
}

// SetDefaultStorageVault makes the vault of that name the default of tables created without
// "storage_vault_name".
func (e *Executor) SetDefaultStorageVault(ctx context.Context, name string) error {
	_, err := e.Meta.SetDefaultStorageVault(ctx, &metapb.SetDefaultStorageVaultRequest{InstanceId: e.InstanceID, Name: name})
	if status.Code(err) == codes.NotFound {
		return &VaultError{Kind: UnknownVault, Name: name}
	}
	if err != nil {
		return fmt.Errorf("set the default storage vault to %q: %w", name, err)
	}
	return nil
}
