package catalog

import "fmt"

// ErrorKind classifies catalog errors; the MySQL edge maps each kind to an error code.
type ErrorKind int

const (
	DatabaseExists ErrorKind = iota + 1
	UnknownDatabase
	TableExists
	UnknownTable
	NotLeader
	PartitionExists  // a partition of that name exists in the table
	UnknownPartition // the table has no partition of that name
	NotPartitioned   // a partition operation on an unpartitioned table
)

// Error is a catalog error naming the object it is about.
type Error struct {
	Kind ErrorKind
	Name string
}

func (e *Error) Error() string {
	switch e.Kind {
	case DatabaseExists:
		return fmt.Sprintf("Can't create database '%s'; database exists", e.Name)
	case UnknownDatabase:
		return fmt.Sprintf("Unknown database '%s'", e.Name)
	case TableExists:
		return fmt.Sprintf("Table '%s' already exists", e.Name)
	case UnknownTable:
		return fmt.Sprintf("Unknown table '%s'", e.Name)
	case NotLeader:
		return "this frontend is not the master; retry on the master"
	case PartitionExists:
		return fmt.Sprintf("Duplicate partition name %s", e.Name)
	case UnknownPartition:
		return fmt.Sprintf("Error in list of partitions to %s", e.Name)
	case NotPartitioned:
		return fmt.Sprintf("Table[%s] is not partitioned: partitions can only be added to or dropped from a RANGE or LIST partitioned table", e.Name)
	}
	return "catalog error"
}
