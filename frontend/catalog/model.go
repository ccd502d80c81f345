package catalog

import (
	"strings"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/types"
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
}

// Distribution is DISTRIBUTED BY HASH(Columns) BUCKETS Buckets, or RANDOM when Columns is empty.
type Distribution struct {
	Columns []string
	Buckets int
}

// Partition is one partition of a table: its tablets, bucket i being Tablets[i].
type Partition struct {
	ID      int64
	Name    string
	Tablets []int64
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
	Partitions   []Partition // one implicit partition (named like the table) when unpartitioned
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
		pc := &commonpb.Column{UniqueId: c.UniqueID, Name: c.Name, Type: c.Type.Proto(), Nullable: c.Nullable, IsKey: c.IsKey, Comment: c.Comment, Aggregation: c.Aggregation}
		if c.Default != nil {
			pc.HasDefault, pc.DefaultValue = true, *c.Default
		}
		s.Columns = append(s.Columns, pc)
	}
	return s
}
