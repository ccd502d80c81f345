// Package ddl carries out DDL statements whose effects span the catalog and the Meta Service.
//
// CREATE TABLE allocates ids from the catalog's journalled counter, creates the tablets in the
// Meta Service (idempotent), and only then journals the table: a crash in between leaves tablet
// metadata no table names, which the recycler's checker reclaims, never a table without tablets.
// A table's storage vault is fixed at creation: the one its "storage_vault_name" property names
// (an unknown name is a VaultError), else the instance's default vault at that moment.
//
// Storage vault statements: CREATE STORAGE VAULT looks the name up, has a compute node check the
// vault (VaultChecker: write, read, list and delete a probe object) and only then creates it at the
// Meta Service, which alone stores credentials; the frontend reads vaults with their secrets
// masked. ALTER STORAGE VAULT checks new credentials the same way when it can (see
// AlterStorageVault).
//
// DROP TABLE and DROP DATABASE remove the catalog entry; reclaiming their data is the recycler's
// (issue 3). Functions here are safe for concurrent use; the catalog serialises the journal.
package ddl

import (
	"context"
	"fmt"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/catalog"
)

// Executor runs DDL against a catalog and a Meta Service.
type Executor struct {
	Catalog    *catalog.Catalog
	Meta       metapb.MetaServiceClient
	InstanceID string
	// Checker probes new storage vaults from a compute node (CREATE / ALTER STORAGE VAULT).
	Checker VaultChecker
}

// CreateTable creates t (built by the binder, ids unset) in database db. With ifNotExists an
// existing table is left as it is.
func (e *Executor) CreateTable(ctx context.Context, db string, t *catalog.Table, ifNotExists bool) error {
	d, ok := e.Catalog.Database(db)
	if !ok {
		return &catalog.Error{Kind: catalog.UnknownDatabase, Name: db}
	}
	if d.Table(t.Name) != nil {
		if ifNotExists {
			return nil
		}
		return &catalog.Error{Kind: catalog.TableExists, Name: t.Name}
	}
	if t.KeysType != commonpb.KeysType_DUP_KEYS {
		// The engine reads and writes DUPLICATE KEY tables only so far; a table nobody could load
		// is worse than a clear refusal. AGGREGATE and UNIQUE KEY arrive with the write path (issue 5).
		model := map[commonpb.KeysType]string{commonpb.KeysType_AGG_KEYS: "AGGREGATE", commonpb.KeysType_UNIQUE_KEYS: "UNIQUE"}[t.KeysType]
		return &NotSupportedError{What: model + " KEY tables"}
	}
	buckets := t.Distribution.Buckets
	if buckets <= 0 {
		return fmt.Errorf("BUG: table %s has %d buckets", t.Name, buckets)
	}
	// The table's vault is fixed here: the one it names, else the current default.
	var vault *metapb.StorageVault
	if name, ok := t.Properties[binder.TablePropStorageVault]; ok {
		var err error
		if vault, err = e.StorageVault(ctx, name); err != nil {
			return err
		}
	} else {
		resp, err := e.Meta.GetStorageVault(ctx, &metapb.GetStorageVaultRequest{InstanceId: e.InstanceID, MaskSecrets: true})
		if err != nil {
			return fmt.Errorf("resolve the default storage vault: %w", err)
		}
		vault = resp.GetVault()
	}
	// ids: table, base index, partition, then one per bucket.
	first, err := e.Catalog.AllocIDs(int64(3 + buckets))
	if err != nil {
		return err
	}
	t.ID, t.DBID, t.IndexID = first, d.ID, first+1
	t.VaultID = vault.GetId()
	t.CreateTimeMs = time.Now().UnixMilli()
	p := catalog.Partition{ID: first + 2, Name: t.Name}
	for b := 0; b < buckets; b++ {
		p.Tablets = append(p.Tablets, first+3+int64(b))
	}
	t.Partitions = []catalog.Partition{p}
	req := &metapb.CreateTabletsRequest{InstanceId: e.InstanceID}
	schema := t.Schema()
	for _, id := range p.Tablets {
		req.Tablets = append(req.Tablets, &metapb.TabletMeta{TabletId: id, DbId: d.ID, TableId: t.ID, IndexId: t.IndexID,
			PartitionId: p.ID, VaultId: t.VaultID, Schema: schema, CreationTimeMs: t.CreateTimeMs})
	}
	if _, err := e.Meta.CreateTablets(ctx, req); err != nil {
		return fmt.Errorf("create tablets of %s: %w", t.Name, err)
	}
	_, err = e.Catalog.CreateTable(db, t, ifNotExists)
	return err
}

// NotSupportedError names a feature this version does not have yet.
type NotSupportedError struct{ What string }

func (e *NotSupportedError) Error() string { return e.What + " are not supported yet" }
