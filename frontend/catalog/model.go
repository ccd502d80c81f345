package catalog

import (
	"fmt"
	"strings"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/compute/types"
	"google.golang.org/protobuf/proto"
)

// Database is a namespace of tables. Names are case-sensitive, as Doris with
// lower_case_table_names=0.
type Database struct {
	ID     int64
	Name   string
	Tables []*Table // in creation order
}

// Table finds a table by exact name; nil when absent.
func (d *Database) Table(name string) *Table {
	for _, t := range d.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Column is a column of a table. Column names are case-insensitive for lookup and keep the case
// they were created with.
type Column struct {
	UniqueID    int32
	Name        string
	Type        types.T
	Nullable    bool
	IsKey       bool
	Default     *string // DEFAULT literal text; nil = no default (NULL for nullable columns)
	Comment     string
	Aggregation string // AGGREGATE KEY value columns: SUM, MAX, MIN, REPLACE, ...
	// Hidden columns are the system's (DeleteSignColumn): not in SELECT *, DESC, SHOW CREATE
	// TABLE, INSERT without a column list or a stream load without a columns header; loads fill
	// them with their default.
	Hidden bool `json:",omitempty"`
}

// Distribution is DISTRIBUTED BY HASH(Columns) BUCKETS Buckets, or RANDOM when Columns is empty.
type Distribution struct {
	Columns []string
	Buckets int
}

// Partition is one partition of a table: its tablets, bucket i being Tablets[i] (a partition
// added with its own BUCKETS has its own count), and what it holds.
type Partition struct {
	ID      int64
	Name    string
	Tablets []int64
	// Bounds are the keys the partition holds: [Lower, Upper) of a RANGE-partitioned table, In of
	// a LIST-partitioned one; nil for the implicit partition of an unpartitioned table.
	Bounds *partition.Bounds `json:",omitempty"`
}

// Partitioning is how a table's rows are divided into partitions (nil Table.Partitioning: one
// implicit partition named like the table takes every row).
type Partitioning struct {
	Kind    partition.Kind
	Columns []string // the partition columns, in order
	// Auto is AUTO PARTITION BY: a load creates the partitions its rows need. AutoUnit is the
	// date_trunc unit of AUTO PARTITION BY RANGE (date_trunc(col, 'unit')).
	Auto     bool   `json:",omitempty"`
	AutoUnit string `json:",omitempty"`
}

// Table is a table's structural metadata: what the frontend's journal owns. What data exists in it
// (versions, rowsets) is the Meta Service's.
type Table struct {
	ID           int64
	DBID         int64
	IndexID      int64 // the base index
	Name         string
	Columns      []Column // key columns first, in key order
	KeysType     commonpb.KeysType
	Distribution Distribution
	Properties   map[string]string
	Partitioning *Partitioning `json:",omitempty"` // nil: unpartitioned
	Partitions   []Partition   // one implicit partition (named like the table) when unpartitioned
	VaultID      string
	Comment      string
	CreateTimeMs int64
	NextColumnID int32
}

// Column finds a column by case-insensitive name; -1 when absent.
func (t *Table) ColumnIndex(name string) int {
	for i, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return i
		}
	}
	return -1
}

// NumKeyColumns counts the key columns (they come first).
func (t *Table) NumKeyColumns() int {
	n := 0
	for _, c := range t.Columns {
		if c.IsKey {
			n++
		}
	}
	return n
}

// Schema is the tablet schema of the table's base index.
func (t *Table) Schema() *commonpb.TabletSchema {
	s := &commonpb.TabletSchema{KeysType: t.KeysType, NumKeyColumns: int32(t.NumKeyColumns()), Compression: t.Properties["compression"]}
	for _, c := range t.Columns {
		pc := &commonpb.Column{UniqueId: c.UniqueID, Name: c.Name, Type: c.Type.Proto(), Nullable: c.Nullable, IsKey: c.IsKey, Comment: c.Comment, Aggregation: c.Aggregation, Hidden: c.Hidden}
		if c.Default != nil {
			pc.HasDefault, pc.DefaultValue = true, *c.Default
		}
		s.Columns = append(s.Columns, pc)
	}
	for _, name := range t.BloomFilterColumns() {
		if i := t.ColumnIndex(name); i >= 0 {
			s.BloomFilterColumns = append(s.BloomFilterColumns, t.Columns[i].UniqueID)
		}
	}
	if t.KeysType == commonpb.KeysType_UNIQUE_KEYS {
		s.EnableUniqueKeyMergeOnWrite = !strings.EqualFold(t.Properties[PropMergeOnWrite], "false")
		if i := t.DeleteSignIndex(); i >= 0 {
			s.DeleteSignIdx = proto.Int32(int32(i))
		}
		if name, ok := t.Properties[PropSequenceCol]; ok {
			if i := t.ColumnIndex(name); i >= 0 {
				s.SequenceColIdx = proto.Int32(int32(i))
			}
		}
	}
	return s
}

// BloomFilterColumns lists the column names of the "bloom_filter_columns" property.
func (t *Table) BloomFilterColumns() []string {
	var out []string
	for _, name := range strings.Split(t.Properties[PropBloomFilterColumns], ",") {
		if name = strings.TrimSpace(name); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// PropBloomFilterColumns names the columns whose segment pages carry bloom filters.
const PropBloomFilterColumns = "bloom_filter_columns"

// Table properties that shape the tablet schema of UNIQUE KEY tables.
const (
	PropMergeOnWrite = "enable_unique_key_merge_on_write" // "false" selects merge-on-read
	PropSequenceCol  = "function_column.sequence_col"     // the sequence column's name
)

// PartitionByName finds a partition by name (case-insensitive, as Doris); nil when absent.
func (t *Table) PartitionByName(name string) *Partition {
	for i := range t.Partitions {
		if strings.EqualFold(t.Partitions[i].Name, name) {
			return &t.Partitions[i]
		}
	}
	return nil
}

// PartitionByID finds a partition by id; nil when absent.
func (t *Table) PartitionByID(id int64) *Partition {
	for i := range t.Partitions {
		if t.Partitions[i].ID == id {
			return &t.Partitions[i]
		}
	}
	return nil
}

// PartitionSpec is the partitioning of the table as package partition sees it, and the index in
// Columns of each partition column. It fails for an unpartitioned table or a partition column
// that is not a column (impossible for a table the binder built).
func (t *Table) PartitionSpec() (partition.Spec, []int, error) {
	if t.Partitioning == nil {
		return partition.Spec{}, nil, fmt.Errorf("table %s is not partitioned", t.Name)
	}
	s := partition.Spec{Kind: t.Partitioning.Kind}
	var idx []int
	for _, name := range t.Partitioning.Columns {
		i := t.ColumnIndex(name)
		if i < 0 {
			return partition.Spec{}, nil, fmt.Errorf("BUG: partition column %q of table %s is not a column", name, t.Name)
		}
		s.Types = append(s.Types, t.Columns[i].Type)
		idx = append(idx, i)
	}
	return s, idx, nil
}

// Bounds lists the partitions' bounds, in the order of Partitions.
func (t *Table) Bounds() []*partition.Bounds {
	out := make([]*partition.Bounds, len(t.Partitions))
	for i := range t.Partitions {
		out[i] = t.Partitions[i].Bounds
	}
	return out
}
