// Package partition is the value logic of table partitioning, as Apache Doris defines it: the
// typed partition keys of RANGE and LIST partitions, the checks Doris applies when partitions are
// created (overlapping ranges, duplicate list values, allowed column types), routing rows to
// partitions, pruning partitions against query predicates, the partitions FROM .. TO ..
// INTERVAL expands to, and the partitions AUTO PARTITION creates for a row, with Doris's names.
//
// The catalog stores partition bounds as canonical text (Value, Key, Bounds: JSON in the
// journal, see catalog/FORMAT.md); a Spec (the partitioning kind and the partition columns'
// types) gives them meaning. Canonical text is what Normalize returns: integers in decimal,
// DATE as YYYY-MM-DD, DATETIME as YYYY-MM-DD HH:MM:SS[.f] with the column's scale, BOOLEAN as
// true/false, strings as written.
//
// Semantics (Doris 2.1):
//   - A range partition is [Lower, Upper), keys compared column by column. Keys always have one
//     value per partition column; a bound written with fewer values is completed with the
//     columns' minimum values, MAXVALUE is above every value. A partition whose lower bound is
//     the minimum key is unbounded below and also takes rows whose first partition column is
//     NULL (NULL sorts before every value).
//   - A list partition holds a set of keys; a row belongs to it when its key equals one of them
//     (a NULL value equals a NULL in the list).
//   - A row that no partition takes is an error the caller reports (NoPartitionError).
//
// It is a compute leaf: it imports only compute/types and compute/vector (test/deps enforces
// it), so that both sides use the same code — the frontend (catalog, binder: DDL checks,
// pruning, INSERT routing, SHOW PARTITIONS) and a compute node routing Stream Load rows
// (compute/load/stream). Everything here is a pure function or an immutable value: safe for
// concurrent use; a Router is read-only once built.
package partition
