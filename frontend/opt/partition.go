package opt

import (
	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/plan"
)

// prunePartitions reports, per candidate partition of a scan, whether the scan's filters may
// match rows of it (=, <, <=, >, >=, IN, IS NULL, AND, OR over a partition column and constants;
// anything else is unknown and keeps the partition).
func prunePartitions(s *plan.Scan, candidates []*catalog.Partition) []bool {
	keep := make([]bool, len(candidates))
	for i := range keep {
		keep[i] = true
	}
	t := s.Table
	if t.Partitioning == nil || len(s.Filters) == 0 {
		return keep
	}
	spec, cols, err := t.PartitionSpec()
	if err != nil {
		return keep
	}
	tcol := map[int]int{} // table column index → partition column index
	for i, c := range cols {
		tcol[c] = i
	}
	pcol := map[plan.ColumnID]int{}
	for i, id := range s.Cols {
		if p, ok := tcol[s.ColIdx[i]]; ok {
			pcol[id.ID] = p
		}
	}
	bounds := make([]*partition.Bounds, len(candidates))
	for i, p := range candidates {
		bounds[i] = p.Bounds
	}
	return spec.Prune(bounds, pruneCond(plan.And(s.Filters...), spec, pcol))
}

func pruneCond(e *plan.Expr, spec partition.Spec, cols map[plan.ColumnID]int) *partition.Cond {
	unknown := &partition.Cond{Op: partition.Unknown}
	if e.Kind != plan.ExprCall {
		return unknown
	}
	switch e.Name {
	case "and", "or":
		c := &partition.Cond{Op: partition.And}
		if e.Name == "or" {
			c.Op = partition.Or
		}
		for _, a := range e.Args {
			c.Args = append(c.Args, pruneCond(a, spec, cols))
		}
		return c
	case "is_null":
		if col, ok := partitionColumn(e.Args[0], cols); ok {
			return &partition.Cond{Op: partition.IsNull, Col: col}
		}
		return unknown
	case "in":
		col, ok := partitionColumn(e.Args[0], cols)
		if !ok {
			return unknown
		}
		c := &partition.Cond{Op: partition.In, Col: col}
		for _, a := range e.Args[1:] {
			if !a.IsConst() {
				return unknown
			}
			if a.IsNull() {
				continue
			}
			text, ok := constant(a, spec.Types[col].IsString())
			if !ok {
				return unknown
			}
			text, err := partition.Normalize(spec.Types[col], text)
			if err != nil {
				return unknown
			}
			c.Values = append(c.Values, text)
		}
		return c
	}
	ops := map[string]partition.Op{"eq": partition.Eq, "eq_for_null": partition.Eq, "lt": partition.Lt,
		"le": partition.Le, "gt": partition.Gt, "ge": partition.Ge}
	flipped := map[partition.Op]partition.Op{partition.Eq: partition.Eq, partition.Lt: partition.Gt,
		partition.Le: partition.Ge, partition.Gt: partition.Lt, partition.Ge: partition.Le}
	op, ok := ops[e.Name]
	if !ok || len(e.Args) != 2 {
		return unknown
	}
	l, r := e.Args[0], e.Args[1]
	if l.IsConst() {
		l, r, op = r, l, flipped[op]
	}
	col, ok := partitionColumn(l, cols)
	if !ok || !r.IsConst() {
		return unknown
	}
	if r.IsNull() {
		if e.Name == "eq_for_null" {
			return &partition.Cond{Op: partition.IsNull, Col: col}
		}
		return &partition.Cond{Op: partition.In, Col: col}
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
// cast; it returns the partition column index.
func partitionColumn(e *plan.Expr, cols map[plan.ColumnID]int) (int, bool) {
	if e.Kind == plan.ExprCall && e.Name == "cast" && len(e.Args) == 1 && e.Args[0].IsColumn() &&
		e.Type.IsInteger() && e.Args[0].Type.IsInteger() {
		e = e.Args[0]
	}
	if !e.IsColumn() {
		return 0, false
	}
	i, ok := cols[e.Col]
	return i, ok
}

// constant is the text of a constant compared with a partition column when the comparison's
// meaning is the column type's.
func constant(lit *plan.Expr, stringColumn bool) (string, bool) {
	switch {
	case stringColumn && lit.Type.IsString():
		return lit.Text, true
	case !stringColumn && (lit.Type.IsInteger() || lit.Type.IsTemporal()):
		return lit.Text, true
	}
	return "", false
}
