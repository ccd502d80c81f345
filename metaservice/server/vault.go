package server

import (
	"context"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/instance"
	"github.com/doricdb/doric/metaservice/kv"
)

func maskIf(mask bool, v *metapb.StorageVault) *metapb.StorageVault {
	if mask {
		return instance.Mask(v)
	}
	return v
}

func (s *Server) GetStorageVault(ctx context.Context, req *metapb.GetStorageVaultRequest) (*metapb.GetStorageVaultResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.GetStorageVaultResponse, error) {
		var v *metapb.StorageVault
		var err error
		if req.GetVaultId() == "" && req.GetName() != "" {
			v, err = instance.VaultByName(tx, req.GetInstanceId(), req.GetName())
		} else {
			v, err = instance.Vault(tx, req.GetInstanceId(), req.GetVaultId())
		}
		return &metapb.GetStorageVaultResponse{Vault: maskIf(req.GetMaskSecrets(), v)}, err
	})
}

func (s *Server) ListStorageVaults(ctx context.Context, req *metapb.ListStorageVaultsRequest) (*metapb.ListStorageVaultsResponse, error) {
	return view(ctx, s, req.GetInstanceId(), func(tx kv.ReadTxn, _ *metapb.InstanceInfo) (*metapb.ListStorageVaultsResponse, error) {
		vs, def, err := instance.Vaults(tx, req.GetInstanceId())
		for i, v := range vs {
			vs[i] = maskIf(req.GetMaskSecrets(), v)
		}
		return &metapb.ListStorageVaultsResponse{Vaults: vs, DefaultVaultId: def}, err
	})
}

func (s *Server) CreateStorageVault(ctx context.Context, req *metapb.CreateStorageVaultRequest) (*metapb.CreateStorageVaultResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.CreateStorageVaultResponse, error) {
		v, existed, err := instance.CreateVault(tx, req.GetInstanceId(), req.GetVault(), req.GetSetAsDefault(), now)
		return &metapb.CreateStorageVaultResponse{Vault: instance.Mask(v), AlreadyExisted: existed}, err
	})
}

func (s *Server) AlterStorageVault(ctx context.Context, req *metapb.AlterStorageVaultRequest) (*metapb.AlterStorageVaultResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, now time.Time) (*metapb.AlterStorageVaultResponse, error) {
		v, err := instance.AlterVault(tx, req.GetInstanceId(), req, now)
		return &metapb.AlterStorageVaultResponse{Vault: instance.Mask(v)}, err
	})
}

func (s *Server) SetDefaultStorageVault(ctx context.Context, req *metapb.SetDefaultStorageVaultRequest) (*metapb.SetDefaultStorageVaultResponse, error) {
	return update(ctx, s, req.GetInstanceId(), func(tx kv.Txn, _ *metapb.InstanceInfo, _ time.Time) (*metapb.SetDefaultStorageVaultResponse, error) {
		info, err := instance.SetDefaultVault(tx, req.GetInstanceId(), req.GetVaultId(), req.GetName())
		return &metapb.SetDefaultStorageVaultResponse{Instance: info}, err
	})
}
