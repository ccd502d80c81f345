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
	}
	return "catalog error"
}
