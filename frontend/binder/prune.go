package binder

import (
	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/frontend/catalog"
)

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

// selectPartitions chooses the partitions a scan of t reads: those named (all when none are),
// minus those the WHERE conjuncts rule out.
func selectPartitions(t *catalog.Table, named []*catalog.Partition, where *expr) *Scan {
	s := &Scan{TableID: t.ID, Total: len(t.Partitions)}
	candidates := named
	if candidates == nil {
		for i := range t.Partitions {
			candidates = append(candidates, &t.Partitions[i])
		}
	}
	keep := make([]bool, len(candidates))
	for i := range keep {
		keep[i] = true
	}
	if t.Partitioning != nil && where != nil {
		spec, cols, err := t.PartitionSpec()
		if err == nil {
			pcol := map[int]int{}
			for i, c := range cols {
				pcol[c] = i
			}
			bounds := make([]*partition.Bounds, len(candidates))
			for i, p := range candidates {
				bounds[i] = p.Bounds
			}
			keep = spec.Prune(bounds, pruneCond(where, spec, pcol))
		}
	}
	for _, p := range t.Partitions {
		s.TotalTablets += len(p.Tablets)
	}
	for i, p := range candidates {
		if keep[i] {
			s.Partitions = append(s.Partitions, p.ID)
			s.Names = append(s.Names, p.Name)
			s.Tablets += len(p.Tablets)
		}
	}
	return s
}

// pruneCond translates a bound WHERE predicate into the partition package's terms: AND, OR and
// comparisons of a partition column (cols maps a table column index to its partition column
// index) with constants; anything else is Unknown.
func pruneCond(e *expr, spec partition.Spec, cols map[int]int) *partition.Cond {
	unknown := &partition.Cond{Op: partition.Unknown}
	if e.kind != eCall {
		return unknown
	}
	switch e.name {
	case "and", "or":
		c := &partition.Cond{Op: partition.And}
		if e.name == "or" {
			c.Op = partition.Or
		}
		for _, a := range e.args {
			c.Args = append(c.Args, pruneCond(a, spec, cols))
		}
		return c
	case "is_null":
		if col, ok := partitionColumn(e.args[0], spec, cols); ok {
			return &partition.Cond{Op: partition.IsNull, Col: col}
		}
		return unknown
	case "in":
		col, ok := partitionColumn(e.args[0], spec, cols)
		if !ok {
			return unknown
		}
		c := &partition.Cond{Op: partition.In, Col: col}
		for _, a := range e.args[1:] {
			if a.kind != eLit {
				return unknown
			}
			if a.val.null {
				continue // x IN (NULL, ...) is never true for NULL
			}
			text, ok := constant(a, spec.Types[col].IsString())
			if !ok {
				return unknown
			}
			if text, err := partition.Normalize(spec.Types[col], text); err == nil {
				c.Values = append(c.Values, text)
			} else {
				// A value the column cannot hold matches nothing of it, unless the comparison
				// happens in a wider type, which constant() already excluded.
				return unknown
			}
		}
		return c
	}
	ops := map[string]partition.Op{"eq": partition.Eq, "eq_for_null": partition.Eq, "lt": partition.Lt,
		"le": partition.Le, "gt": partition.Gt, "ge": partition.Ge}
	flipped := map[partition.Op]partition.Op{partition.Eq: partition.Eq, partition.Lt: partition.Gt,
		partition.Le: partition.Ge, partition.Gt: partition.Lt, partition.Ge: partition.Le}
	op, ok := ops[e.name]
	if !ok || len(e.args) != 2 {
		return unknown
	}
	l, r := e.args[0], e.args[1]
	if l.kind == eLit {
		l, r, op = r, l, flipped[op]
	}
	col, ok := partitionColumn(l, spec, cols)
	if !ok || r.kind != eLit {
		return unknown
	}
	if r.val.null {
		if e.name == "eq_for_null" {
			return &partition.Cond{Op: partition.IsNull, Col: col}
		}
		return &partition.Cond{Op: partition.In, Col: col} // a comparison with NULL: never true
	}
	text, ok := constant(r, spec.Types[col].IsString())
	if !ok {
		return unknown
	}
	text, err := partition.Normalize(spec.Types[col], text)
	if err != nil {
		return unknown
	}
	return &partition.Cond{Op: op, Col: col, Values: []string{text}}
}

// partitionColumn reports whether e is a partition column, bare or widened by an exact integer
// cast (comparisons then happen in the wider integer type, where the column's values keep their
// order); it returns the partition column index.
func partitionColumn(e *expr, spec partition.Spec, cols map[int]int) (int, bool) {
	if e.kind == eCall && e.name == "cast" && len(e.args) == 1 && e.args[0].kind == eCol &&
		e.typ.IsInteger() && e.args[0].typ.IsInteger() {
		e = e.args[0]
	}
	if e.kind != eCol {
		return 0, false
	}
	i, ok := cols[e.col]
	return i, ok
}

// constant is the text of a literal compared with a partition column, when the comparison's
// meaning is the column type's: a literal of an integer, date or datetime type (exact in the
// column's type, or pruning gives up when Normalize fails), or a string compared with a string
// column.
func constant(lit *expr, stringColumn bool) (string, bool) {
	switch {
	case stringColumn && lit.typ.IsString():
		return lit.val.text, true
	case !stringColumn && (lit.typ.IsInteger() || lit.typ.IsTemporal()):
		return lit.val.text, true
	}
	return "", false
}
