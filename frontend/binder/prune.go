package binder

// Scan is what one OlapScan node of a query reads: the partitions the binder kept after the
// FROM clause's PARTITION list and partition pruning, in the table's partition order.
type Scan struct {
	NodeID     int32
	TableID    int64
	Partitions []int64
	// Total is how many partitions the table has; Tablets and TotalTablets count the tablets of
	// the kept partitions and of all of them (EXPLAIN's partitions=k/n, tablets=k/n).
	Total, Tablets, TotalTablets int
	Names                        []string // of the kept partitions
}
