// Package ddl carries out DDL statements whose effects span the catalog and the Meta Service.
//
// Creating partitions (CREATE TABLE, ALTER TABLE ADD PARTITION, the partitions AUTO PARTITION
// makes for a load) allocates ids from the catalog's journalled counter, marks the partitions
// PREPARED in the Meta Service (prepare_partition: a recycle entry that expires), creates their
// tablets there (idempotent), journals them, and then commits them (commit_partition removes the
// recycle entry). A crash or failure before the journal leaves prepared partitions that no table
// names, which the recycler reclaims when their entry expires; never a partition without tablets.
// Partitions the journal did not take (a concurrent AUTO PARTITION created the same one first)
// are dropped at once.
//
// Dropping (DROP TABLE, DROP DATABASE, ALTER TABLE DROP PARTITION) journals the removal first and
// then drops the partitions in the Meta Service (drop_partition), whose recycler deletes their
// tablets, rowsets, versions and files after the retention; a commit into a dropped partition
// fails there, so no load becomes visible in it. DROP TABLE and DROP DATABASE also remove the
// dropped tables' column statistics (drop_table_stats).
// A table's storage vault is fixed at creation: the one its "storage_vault_name" property names
// (an unknown name is a VaultError), else the instance's default vault at that moment.
//
// Storage vault statements: CREATE STORAGE VAULT looks the name up, has a compute node check the
// vault (VaultChecker: write, read, list and delete a probe object) and only then creates it at the
// Meta Service, which alone stores credentials; the frontend reads vaults with their secrets
// masked. ALTER STORAGE VAULT checks new credentials the same way when it can (see
// AlterStorageVault).
//
// Functions here are safe for concurrent use; the catalog serialises the journal.
package ddl

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/types"
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
	if err := checkModel(t); err != nil {
		return err
	}
	if t.Distribution.Buckets <= 0 {
		return fmt.Errorf("BUG: table %s has %d buckets", t.Name, t.Distribution.Buckets)
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
	// ids: table and base index; then the partitions (the implicit one of an unpartitioned
	// table), each with its tablets.
	first, err := e.Catalog.AllocIDs(2)
	if err != nil {
		return err
	}
	t.ID, t.DBID, t.IndexID = first, d.ID, first+1
	t.VaultID = vault.GetId()
	t.CreateTimeMs = time.Now().UnixMilli()
	parts := t.Partitions
	if t.Partitioning == nil {
		parts = []catalog.Partition{{Name: t.Name}}
	}
	buckets := make([]int, len(parts))
	for i := range buckets {
		buckets[i] = t.Distribution.Buckets
	}
	if err := e.createPartitions(ctx, t, parts, buckets); err != nil {
		return err
	}
	t.Partitions = parts
	id, err := e.Catalog.CreateTable(db, t, ifNotExists)
	if err != nil || id != t.ID { // id differs: IF NOT EXISTS met a table created meanwhile
		e.abandon(ctx, t, parts)
		return err
	}
	return e.commitPartitions(ctx, t, partitionIDs(parts), false)
}

// checkModel validates the UNIQUE KEY properties: merge-on-write (the default for UNIQUE KEY,
// "enable_unique_key_merge_on_write" = "true") or merge-on-read ("false"), and the sequence
// column.
func checkModel(t *catalog.Table) error {
	if err := checkBloomFilterColumns(t); err != nil {
		return err
	}
	seq, hasSeq := t.Properties[catalog.PropSequenceCol]
	if mow, ok := t.Properties[catalog.PropMergeOnWrite]; ok && !strings.EqualFold(mow, "true") && !strings.EqualFold(mow, "false") {
		return &InvalidPropertyError{Msg: fmt.Sprintf("Invalid value of property %s: '%s', must be 'true' or 'false'", catalog.PropMergeOnWrite, mow)}
	}
	if t.KeysType != commonpb.KeysType_UNIQUE_KEYS {
		if hasSeq {
			return &InvalidPropertyError{Msg: "Sequence column only support UNIQUE_KEYS"}
		}
		return nil
	}
	if hasSeq {
		i := t.ColumnIndex(seq)
		if i < 0 {
			return &InvalidPropertyError{Msg: fmt.Sprintf("The specified sequence column[%s] not exists", seq)}
		}
		c := t.Columns[i]
		if c.IsKey {
			return &InvalidPropertyError{Msg: fmt.Sprintf("Sequence column[%s] can not be a key column", seq)}
		}
		switch c.Type.Kind {
		case types.TinyInt, types.SmallInt, types.Int, types.BigInt, types.LargeInt, types.Date, types.DateTime:
		default:
			return &InvalidPropertyError{Msg: fmt.Sprintf("Sequence type only support integer types and date types, column[%s] is %s", seq, c.Type)}
		}
	}
	return nil
}

// checkBloomFilterColumns validates "bloom_filter_columns" as Doris does: known, distinct columns
// of a type a bloom filter serves.
func checkBloomFilterColumns(t *catalog.Table) error {
	seen := map[string]bool{}
	for _, name := range t.BloomFilterColumns() {
		i := t.ColumnIndex(name)
		if i < 0 {
			return &InvalidPropertyError{Msg: fmt.Sprintf("Bloom filter column does not exist in table. invalid column: %s", name)}
		}
		if seen[strings.ToLower(name)] {
			return &InvalidPropertyError{Msg: fmt.Sprintf("Reduplicated bloom filter column: %s", name)}
		}
		seen[strings.ToLower(name)] = true
		switch c := t.Columns[i]; c.Type.Kind {
		case types.TinyInt, types.Float, types.Double, types.Boolean:
			return &InvalidPropertyError{Msg: fmt.Sprintf("%s is not supported in bloom filter index. invalid column: %s", strings.ToUpper(c.Type.String()), name)}
		default:
			if t.KeysType == commonpb.KeysType_AGG_KEYS && !c.IsKey && c.Aggregation != "REPLACE" && c.Aggregation != "REPLACE_IF_NOT_NULL" {
				return &InvalidPropertyError{Msg: fmt.Sprintf("Bloom filter index should only be used in columns of UNIQUE_KEYS/DUP_KEYS table or key columns of AGG_KEYS table. invalid column: %s", name)}
			}
		}
	}
	return nil
}

// InvalidPropertyError is a table property with a value the table cannot take.
type InvalidPropertyError struct{ Msg string }

func (e *InvalidPropertyError) Error() string { return e.Msg }

// NotSupportedError names a feature this version does not have yet.
type NotSupportedError struct{ What string }

func (e *NotSupportedError) Error() string { return e.What + " are not supported yet" }
