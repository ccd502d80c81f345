// Package catalog owns the frontend's structural metadata — databases, tables, their columns,
// partitions and tablet layout — as an in-memory object graph, and its durability: every change is
// an entry in a journal replicated by hashicorp/raft (the master is the raft leader, followers are
// voters, observers non-voters; standalone runs a single voter), and the raft snapshot is the image.
// Recovery loads the latest image and replays the entries after it.
//
// What data exists in a table (versions, rowsets) is not here: the Meta Service owns it.
//
// Contract:
//   - Mutations go only through Catalog methods that propose a journal entry (CreateDatabase,
//     DropDatabase, CreateTable, DropTable, AddPartitions, DropPartition, AllocIDs) and return
//     once the entry is committed and applied. Apply is deterministic: validation happens while
//     applying (partition names and bounds included, so two concurrent ADD PARTITIONs cannot both
//     take the same range), so every replica reaches the same state and the same error.
//   - Reads (Database, Databases, Table) return deep copies and are safe from any goroutine,
//     concurrently with mutations.
//   - A failed mutation changes nothing.
//
// Journal entries and the image are JSON documents (see FORMAT.md); ids come from AllocIDs, a
// journalled counter, so no id is ever handed out twice, even across restarts.
//
// Partitions: Table.Partitioning says how rows are divided (nil: one implicit partition), each
// Partition's Bounds what it holds, in package partition's terms. (*Table).Router routes rows
// to partitions for every load path (INSERT and Stream Load), and (*Table).AutoPartitions names
// and bounds the partitions AUTO PARTITION creates for rows no partition takes.
package catalog
