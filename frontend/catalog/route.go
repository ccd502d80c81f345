package catalog

import (
	"fmt"

	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/compute/vector"
)

// Router routes rows of a table to its partitions. Build one per load with (*Table).Router: it
// captures the table's partitions at that moment. It is read-only and safe for concurrent use.
//
// This is the one place rows meet partitions: INSERT (the coordinator) and Stream Load use it.
type Router struct {
	t    *Table
	cols []int // partition column indexes in t.Columns
	r    *partition.Router
}

// Router builds the table's router.
func (t *Table) Router() (*Router, error) {
	if t.Partitioning == nil {
		if len(t.Partitions) != 1 {
			return nil, fmt.Errorf("BUG: unpartitioned table %s has %d partitions", t.Name, len(t.Partitions))
		}
		return &Router{t: t}, nil
	}
	spec, cols, err := t.PartitionSpec()
	if err != nil {
		return nil, err
	}
	r, err := partition.NewRouter(spec, t.Bounds())
	if err != nil {
		return nil, fmt.Errorf("BUG: partitions of table %s: %w", t.Name, err)
	}
	return &Router{t: t, cols: cols, r: r}, nil
}

// Table is the table the router was built from.
func (r *Router) Table() *Table { return r.t }

// Route returns, for each row of b (every column of the table, in schema order, no selection),
// the index in Table().Partitions of the partition that takes it, or -1 when none does.
func (r *Router) Route(b *vector.Batch) []int32 {
	out := make([]int32, b.N)
	if r.r == nil {
		return out // the implicit partition takes every row
	}
	cols := make([]*vector.Vector, len(r.cols))
	for i, c := range r.cols {
		cols[i] = b.Cols[c]
	}
	r.r.Route(cols, b.N, out)
	return out
}

// PartitionFor returns the partition that takes a row whose partition columns hold values (in
// partition column order, each as a user writes it; Null for NULL), or nil when none does.
func (r *Router) PartitionFor(values []partition.Value) (*Partition, error) {
	if r.r == nil {
		return &r.t.Partitions[0], nil
	}
	i, err := r.r.Locate(values)
	if err != nil || i < 0 {
		return nil, err
	}
	return &r.t.Partitions[i], nil
}

// NoPartition describes row i (0-based) of b, which no partition takes, as the error a load
// reports; restrict names the partitions the load was limited to (none: every partition).
func (r *Router) NoPartition(b *vector.Batch, i int, restrict []string) *partition.NoPartitionError {
	cols := make([]*vector.Vector, len(r.cols))
	for k, c := range r.cols {
		cols[k] = b.Cols[c]
	}
	e := partition.RowError(r.t.Partitioning.Columns, cols, i)
	e.Partitions = restrict
	return e
}

// AutoPartitions returns the partitions AUTO PARTITION creates for rows (0-based indexes into
// b, which has every column of the table) that no partition takes: named and bounded as Doris
// does, each once, ids and tablets unset. It fails for a table without AUTO PARTITION.
func (t *Table) AutoPartitions(b *vector.Batch, rows []int32) ([]Partition, error) {
	if t.Partitioning == nil || !t.Partitioning.Auto {
		return nil, fmt.Errorf("BUG: table %s has no AUTO PARTITION", t.Name)
	}
	_, cols, err := t.PartitionSpec()
	if err != nil {
		return nil, err
	}
	keys := make([][]partition.Value, len(rows))
	for k, i := range rows {
		for _, c := range cols {
			v := b.Cols[c]
			keys[k] = append(keys[k], partition.Value{Text: v.Format(int(i)), Null: v.IsNull(int(i))})
		}
	}
	return t.AutoPartitionsFor(keys)
}

// AutoPartitionsFor is AutoPartitions for rows given by their partition column values (in
// partition column order, each as a user writes it or compute/vector formats it; Null for NULL),
// as a compute node running a Stream Load sends them. It fails for a table without AUTO
// PARTITION, a key with the wrong number of values, or a value that is not of its column's type.
func (t *Table) AutoPartitionsFor(keys [][]partition.Value) ([]Partition, error) {
	if t.Partitioning == nil || !t.Partitioning.Auto {
		return nil, fmt.Errorf("table %s has no AUTO PARTITION", t.Name)
	}
	spec, _, err := t.PartitionSpec()
	if err != nil {
		return nil, err
	}
	var out []Partition
	seen := map[string]bool{}
	for _, key := range keys {
		if len(key) != len(spec.Types) {
			return nil, fmt.Errorf("a key of %d values for the %d partition columns of table %s", len(key), len(spec.Types), t.Name)
		}
		var name string
		var bounds *partition.Bounds
		if spec.Kind == partition.Range {
			name, bounds, err = partition.AutoRange(spec.Types[0], t.Partitioning.AutoUnit, key[0])
			if err != nil {
				return nil, err
			}
		} else {
			vals := make([]*string, len(key))
			for k, v := range key {
				if !v.Null {
					vals[k] = &v.Text
				}
			}
			lk, err := spec.ListKey(vals)
			if err != nil {
				return nil, err
			}
			name, bounds = spec.AutoList(lk)
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, Partition{Name: name, Bounds: bounds})
		}
	}
	return out, nil
}
