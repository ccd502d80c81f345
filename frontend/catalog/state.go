package catalog

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// formatVersion is the version of the journal entry and image documents (FORMAT.md).
const formatVersion = 1

// firstID is the first id AllocIDs hands out; ids below are reserved.
const firstID = 10000

// state is the replicated catalog: what the journal rebuilds. Only apply mutates it.
type state struct {
	Version   int                  `json:"v"`
	NextID    int64                `json:"next_id"`
	Databases map[string]*Database `json:"databases"`
}

func newState() *state {
	return &state{Version: formatVersion, NextID: firstID, Databases: map[string]*Database{}}
}

// opKind names a journal entry.
type opKind string

const (
	opCreateDatabase opKind = "create_database"
	opDropDatabase   opKind = "drop_database"
	opCreateTable    opKind = "create_table"
	opDropTable      opKind = "drop_table"
	opAllocIDs       opKind = "alloc_ids"
	opAddPartitions  opKind = "add_partitions"
	opDropPartition  opKind = "drop_partition"
)

// entry is one journal entry.
type entry struct {
	Version     int    `json:"v"`
	Op          opKind `json:"op"`
	DB          string `json:"db,omitempty"`
	Name        string `json:"name,omitempty"`
	Table       *Table `json:"table,omitempty"`
	IfNotExists bool   `json:"if_not_exists,omitempty"`
	IfExists    bool   `json:"if_exists,omitempty"`
	N           int64  `json:"n,omitempty"`
	// add_partitions and drop_partition: the table (Name) must still have this id.
	TableID    int64       `json:"table_id,omitempty"`
	Partitions []Partition `json:"partitions,omitempty"` // add_partitions
	Partition  string      `json:"partition,omitempty"`  // drop_partition
}

// result is what applying an entry returns to its proposer.
type result struct {
	ID        int64 // first allocated id, or the id of the created object
	Added     []int64
	Partition *Partition // drop_partition: the dropped partition
	Table     *Table     // drop_table: the dropped table
	Database  *Database  // drop_database: the dropped database
	Err       error
}

// apply applies one entry. It validates against the current state and changes nothing on error.
func (s *state) apply(e *entry) result {
	switch e.Op {
	case opAllocIDs:
		if e.N <= 0 {
			return result{Err: fmt.Errorf("BUG: alloc_ids with n=%d", e.N)}
		}
		first := s.NextID
		s.NextID += e.N
		return result{ID: first}
	case opCreateDatabase:
		if d, ok := s.Databases[e.Name]; ok {
			if e.IfNotExists {
				return result{ID: d.ID}
			}
			return result{Err: &Error{Kind: DatabaseExists, Name: e.Name}}
		}
		id := s.NextID
		s.NextID++
		s.Databases[e.Name] = &Database{ID: id, Name: e.Name}
		return result{ID: id}
	case opDropDatabase:
		d, ok := s.Databases[e.Name]
		if !ok {
			if e.IfExists {
				return result{}
			}
			return result{Err: &Error{Kind: UnknownDatabase, Name: e.Name}}
		}
		delete(s.Databases, e.Name)
		return result{ID: d.ID, Database: d.clone()}
	case opCreateTable:
		d, ok := s.Databases[e.DB]
		if !ok {
			return result{Err: &Error{Kind: UnknownDatabase, Name: e.DB}}
		}
		if t := d.Table(e.Table.Name); t != nil {
			if e.IfNotExists {
				return result{ID: t.ID}
			}
			return result{Err: &Error{Kind: TableExists, Name: e.Table.Name}}
		}
		t := e.Table.clone()
		t.DBID = d.ID
		d.Tables = append(d.Tables, t)
		return result{ID: t.ID}
	case opDropTable:
		d, ok := s.Databases[e.DB]
		if !ok {
			return result{Err: &Error{Kind: UnknownDatabase, Name: e.DB}}
		}
		for i, t := range d.Tables {
			if t.Name == e.Name {
				d.Tables = append(d.Tables[:i:i], d.Tables[i+1:]...)
				return result{ID: t.ID, Table: t.clone()}
			}
		}
		if e.IfExists {
			return result{}
		}
		return result{Err: &Error{Kind: UnknownTable, Name: e.Name}}
	case opAddPartitions, opDropPartition:
		d, ok := s.Databases[e.DB]
		if !ok {
			return result{Err: &Error{Kind: UnknownDatabase, Name: e.DB}}
		}
		t := d.Table(e.Name)
		if t == nil || e.TableID != 0 && t.ID != e.TableID {
			return result{Err: &Error{Kind: UnknownTable, Name: e.Name}}
		}
		if e.Op == opAddPartitions {
			return addPartitions(t, e.Partitions, e.IfNotExists)
		}
		return dropPartition(t, e.Partition, e.IfExists)
	}
	return result{Err: fmt.Errorf("BUG: unknown journal op %q", e.Op)}
}

// addPartitions adds parts to t, checking each against the partitions before it; on error t is
// unchanged. With ifNotExists a partition whose name exists is skipped.
func addPartitions(t *Table, parts []Partition, ifNotExists bool) result {
	if t.Partitioning == nil {
		return result{Err: &Error{Kind: NotPartitioned, Name: t.Name}}
	}
	spec, _, err := t.PartitionSpec()
	if err != nil {
		return result{Err: err}
	}
	bounds := t.Bounds()
	var added []Partition
	var ids []int64
	for _, p := range parts {
		exists := t.PartitionByName(p.Name) != nil
		for _, a := range added {
			exists = exists || strings.EqualFold(a.Name, p.Name)
		}
		if exists {
			if ifNotExists {
				continue
			}
			return result{Err: &Error{Kind: PartitionExists, Name: p.Name}}
		}
		if p.Bounds == nil {
			return result{Err: fmt.Errorf("BUG: partition %s of table %s has no bounds", p.Name, t.Name)}
		}
		if err := spec.Check(bounds, p.Bounds); err != nil {
			return result{Err: err}
		}
		p = clonePartition(p)
		bounds = append(bounds, p.Bounds)
		added = append(added, p)
		ids = append(ids, p.ID)
	}
	t.Partitions = append(t.Partitions, added...)
	return result{Added: ids}
}

func dropPartition(t *Table, name string, ifExists bool) result {
	if t.Partitioning == nil {
		return result{Err: &Error{Kind: NotPartitioned, Name: t.Name}}
	}
	for i, p := range t.Partitions {
		if strings.EqualFold(p.Name, name) {
			t.Partitions = append(t.Partitions[:i:i], t.Partitions[i+1:]...)
			dropped := clonePartition(p)
			return result{ID: p.ID, Partition: &dropped}
		}
	}
	if ifExists {
		return result{}
	}
	return result{Err: &Error{Kind: UnknownPartition, Name: name}}
}

func clonePartition(p Partition) Partition {
	p.Tablets = append([]int64(nil), p.Tablets...)
	p.Bounds = p.Bounds.Clone()
	return p
}

func (s *state) marshal() ([]byte, error) { return json.Marshal(s) }

func unmarshalState(b []byte) (*state, error) {
	s := newState()
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("decode catalog image: %w", err)
	}
	if s.Version != formatVersion {
		return nil, fmt.Errorf("catalog image version %d, this binary reads %d", s.Version, formatVersion)
	}
	if s.Databases == nil {
		s.Databases = map[string]*Database{}
	}
	return s, nil
}

func (s *state) databaseNames() []string {
	names := make([]string, 0, len(s.Databases))
	for n := range s.Databases {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (t *Table) clone() *Table {
	c := *t
	c.Columns = append([]Column(nil), t.Columns...)
	for i := range c.Columns {
		if d := c.Columns[i].Default; d != nil {
			v := *d
			c.Columns[i].Default = &v
		}
	}
	c.Distribution.Columns = append([]string(nil), t.Distribution.Columns...)
	c.Properties = make(map[string]string, len(t.Properties))
	for k, v := range t.Properties {
		c.Properties[k] = v
	}
	if t.Partitioning != nil {
		pt := *t.Partitioning
		pt.Columns = append([]string(nil), pt.Columns...)
		c.Partitioning = &pt
	}
	c.Partitions = make([]Partition, len(t.Partitions))
	for i, p := range t.Partitions {
		c.Partitions[i] = clonePartition(p)
	}
	return &c
}

func (d *Database) clone() *Database {
	c := &Database{ID: d.ID, Name: d.Name, Tables: make([]*Table, len(d.Tables))}
	for i, t := range d.Tables {
		c.Tables[i] = t.clone()
	}
	return c
}
