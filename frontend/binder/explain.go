package binder

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
)

// Explain renders a bound query for EXPLAIN: the result columns, then the plan tree (root first,
// children indented), with expression types.
func Explain(q *Query) string {
	var b strings.Builder
	b.WriteString("Result: ")
	for i, c := range q.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", c.Name, c.Type)
		if !c.Nullable {
			b.WriteString(" not null")
		}
	}
	b.WriteString("\n")
	notes := map[int32]string{}
	for _, s := range q.Scans {
		notes[s.NodeID] = fmt.Sprintf(" partitions=%d/%d", len(s.Partitions), s.Total)
		if len(s.Names) > 0 {
			notes[s.NodeID] += " (" + strings.Join(s.Names, ",") + ")"
		}
		notes[s.NodeID] += fmt.Sprintf(" tablets=%d/%d", s.Tablets, s.TotalTablets)
	}
	formatNode(&b, q.Fragment.GetRoot(), 0, true, notes)
	return b.String()
}

// ExplainVerbose is Explain with, per node, the estimated row count and where its output is
// (the distribution: every node of a one-fragment plan runs on one compute node; scans say how
// their table is bucketed), and a header line for the fragment.
func ExplainVerbose(q *Query) string {
	var b strings.Builder
	b.WriteString("Fragment 0: distribution=single (one compute node)\n")
	plain := Explain(q)
	lines := strings.Split(strings.TrimRight(plain, "\n"), "\n")
	b.WriteString(lines[0] + "\n")
	for _, line := range lines[1:] {
		b.WriteString(line)
		trim := strings.TrimLeft(line, " ")
		if strings.HasPrefix(trim, "[") {
			if end := strings.IndexByte(trim, ']'); end > 0 {
				if id, err := strconv.Atoi(trim[1:end]); err == nil {
					if info := q.Info[int32(id)]; info != nil {
						fmt.Fprintf(&b, " (rows=%.0f dist=%s)", info.Rows, info.Distribution)
					}
				}
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// FormatPlan renders a plan tree, one node per line: "[id] Node details", children indented by
// two spaces. Column references print as #index (into the node's input); with types, literals
// and calls are suffixed by ":type".
func FormatPlan(root *planpb.PlanNode, withTypes bool) string {
	var b strings.Builder
	formatNode(&b, root, 0, withTypes, nil)
	return b.String()
}

// formatNode renders n and its children; notes adds text to a node's line, by node id.
func formatNode(b *strings.Builder, n *planpb.PlanNode, depth int, withTypes bool, notes map[int32]string) {
	if n == nil {
		return
	}
	ex := func(e *planpb.Expr) string { return FormatExpr(e, withTypes) }
	list := func(es []*planpb.Expr) string {
		parts := make([]string, len(es))
		for i, e := range es {
			parts[i] = ex(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	fmt.Fprintf(b, "%s[%d] ", strings.Repeat("  ", depth), n.Id)
	switch x := n.Node.(type) {
	case *planpb.PlanNode_OlapScan:
		s := x.OlapScan
		names := map[int32]string{}
		for _, c := range s.GetSchema().GetColumns() {
			names[c.UniqueId] = c.Name
		}
		cols := make([]string, len(s.ColumnUniqueIds))
		for i, id := range s.ColumnUniqueIds {
			cols[i] = fmt.Sprintf("%s(%d)", names[id], id)
		}
		fmt.Fprintf(b, "OlapScan table=%d columns=[%s]%s", s.TableId, strings.Join(cols, ", "), notes[n.Id])
		if len(s.Conjuncts) > 0 {
			b.WriteString(" conjuncts=" + list(s.Conjuncts))
		}
	case *planpb.PlanNode_Values:
		fmt.Fprintf(b, "Values rows=%d columns=%d", x.Values.GetRows().GetNumRows(), len(x.Values.GetRows().GetColumns()))
	case *planpb.PlanNode_Filter:
		b.WriteString("Filter " + ex(x.Filter.Predicate))
	case *planpb.PlanNode_Project:
		b.WriteString("Project " + list(x.Project.Exprs))
	case *planpb.PlanNode_Aggregate:
		a := x.Aggregate
		fmt.Fprintf(b, "Aggregate %s", strings.TrimPrefix(a.Mode.String(), "AGG_"))
		if a.Colocated {
			b.WriteString(" colocated")
		}
		if len(a.GroupBy) > 0 {
			b.WriteString(" group by=" + list(a.GroupBy))
		}
		if len(a.PartitionBy) > 0 {
			b.WriteString(" partition by=" + list(a.PartitionBy))
		}
		if len(a.Aggregates) > 0 {
			parts := make([]string, len(a.Aggregates))
			for i, c := range a.Aggregates {
				args := list(c.Args)
				args = args[1 : len(args)-1]
				switch {
				case len(c.Args) == 0:
					args = "*"
				case c.Distinct:
					args = "DISTINCT " + args
				}
				if len(c.OrderBy) > 0 {
					args += " ORDER BY " + strings.Trim(sortKeys(c.OrderBy, ex), "[]")
				}
				parts[i] = fmt.Sprintf("%s(%s)", c.Name, args)
				if withTypes {
					parts[i] += ":" + types.FromProto(c.Type).String()
				}
			}
			b.WriteString(" aggregates=[" + strings.Join(parts, ", ") + "]")
		}
	case *planpb.PlanNode_Sort:
		fmt.Fprintf(b, "Sort keys=%s", sortKeys(x.Sort.Keys, ex))
		if x.Sort.Limit > 0 {
			fmt.Fprintf(b, " limit=%d", x.Sort.Limit)
		}
	case *planpb.PlanNode_Limit:
		fmt.Fprintf(b, "Limit offset=%d limit=%d", x.Limit.Offset, x.Limit.Limit)
	case *planpb.PlanNode_HashJoin:
		j := x.HashJoin
		keys := make([]string, len(j.ProbeKeys))
		for i := range j.ProbeKeys {
			op := "="
			if i < len(j.NullSafe) && j.NullSafe[i] {
				op = "<=>"
			}
			keys[i] = ex(j.ProbeKeys[i]) + " " + op + " " + ex(j.BuildKeys[i])
		}
		fmt.Fprintf(b, "HashJoin %s keys=[%s]", j.Type, strings.Join(keys, ", "))
		if j.OtherCondition != nil {
			b.WriteString(" other=" + ex(j.OtherCondition))
		}
		if j.NullAwareMark {
			b.WriteString(" null_aware_mark")
		}
		for _, rf := range j.RuntimeFilters {
			fmt.Fprintf(b, " rf%d[%s build_key=%d -> [%d].#%d]", rf.Id, strings.TrimPrefix(rf.Type.String(), "RF_"), rf.BuildKey, rf.TargetNodeId, rf.TargetColumn)
		}
	case *planpb.PlanNode_NestedLoopJoin:
		j := x.NestedLoopJoin
		fmt.Fprintf(b, "NestedLoopJoin %s", j.Type)
		if j.Condition != nil {
			b.WriteString(" condition=" + ex(j.Condition))
		}
		if j.NullAwareMark {
			b.WriteString(" null_aware_mark")
		}
	case *planpb.PlanNode_Union:
		b.WriteString("Union")
	case *planpb.PlanNode_Repeat:
		sets := make([]string, len(x.Repeat.Sets))
		for i, s := range x.Repeat.Sets {
			sets[i] = fmt.Sprint(s.Slots)
		}
		fmt.Fprintf(b, "Repeat slots=%v sets=[%s]", x.Repeat.Slots, strings.Join(sets, " "))
	case *planpb.PlanNode_AssertRows:
		fmt.Fprintf(b, "AssertRows max=%d", x.AssertRows.MaxRows)
	case *planpb.PlanNode_Shared:
		fmt.Fprintf(b, "Shared source=[%d]", x.Shared.Source)
	case *planpb.PlanNode_Window:
		w := x.Window
		calls := make([]string, len(w.Calls))
		for i, c := range w.Calls {
			calls[i] = fmt.Sprintf("%s%s", c.Name, list(c.Args))
		}
		fmt.Fprintf(b, "Window partition by=%s order by=%s frame=%s calls=[%s]", list(w.PartitionBy), sortKeys(w.OrderBy, ex),
			formatFrame(w.Frame), strings.Join(calls, ", "))
	default:
		fmt.Fprintf(b, "<unknown node %T>", n.Node)
	}
	b.WriteString("\n")
	for _, c := range n.Children {
		formatNode(b, c, depth+1, withTypes, notes)
	}
}

func sortKeys(ks []*planpb.SortKey, ex func(*planpb.Expr) string) string {
	keys := make([]string, len(ks))
	for i, k := range ks {
		dir, nulls := "ASC", "NULLS LAST"
		if k.Descending {
			dir = "DESC"
		}
		if k.NullsFirst {
			nulls = "NULLS FIRST"
		}
		keys[i] = fmt.Sprintf("%s %s %s", ex(k.Expr), dir, nulls)
	}
	return "[" + strings.Join(keys, ", ") + "]"
}

// formatFrame renders a window frame as SQL ("default" when absent).
func formatFrame(f *planpb.WindowFrame) string {
	if f == nil {
		return "default"
	}
	bound := func(b *planpb.FrameBound) string {
		switch b.GetKind() {
		case planpb.FrameBoundKind_PRECEDING:
			return fmt.Sprintf("%d PRECEDING", b.GetOffset())
		case planpb.FrameBoundKind_FOLLOWING:
			return fmt.Sprintf("%d FOLLOWING", b.GetOffset())
		}
		return strings.ReplaceAll(b.GetKind().String(), "_", " ")
	}
	return fmt.Sprintf("(%s BETWEEN %s AND %s)", f.GetUnit(), bound(f.GetStart()), bound(f.GetEnd()))
}

// FormatExpr renders a plan expression: #i for column references, literals in SQL form,
// calls as name(args) (cast as cast(x AS type)); withTypes adds ":type" to literals and calls.
func FormatExpr(e *planpb.Expr, withTypes bool) string {
	t := types.FromProto(e.GetType())
	suffix := ""
	if withTypes {
		suffix = ":" + t.String()
	}
	switch k := e.GetKind().(type) {
	case *planpb.Expr_Column:
		return "#" + strconv.Itoa(int(k.Column.Index))
	case *planpb.Expr_Literal:
		return FormatLiteral(k.Literal, t) + suffix
	case *planpb.Expr_Call:
		args := make([]string, len(k.Call.Args))
		for i, a := range k.Call.Args {
			args[i] = FormatExpr(a, withTypes)
		}
		if k.Call.Name == "cast" && len(args) == 1 {
			return fmt.Sprintf("cast(%s AS %s)", args[0], t)
		}
		return fmt.Sprintf("%s(%s)%s", k.Call.Name, strings.Join(args, ", "), suffix)
	}
	return "<invalid>"
}

// FormatLiteral renders a literal of type t in SQL form.
func FormatLiteral(l *planpb.Literal, t types.T) string {
	if l.GetIsNull() {
		return "NULL"
	}
	switch t.Kind {
	case types.Boolean:
		if l.Int64 != 0 {
			return "TRUE"
		}
		return "FALSE"
	case types.LargeInt:
		return types.Int128{Hi: int64(l.Hi), Lo: l.Lo}.String()
	case types.Decimal:
		v := types.I128(l.Int64)
		if t.Physical() == types.PhysInt128 {
			v = types.Int128{Hi: int64(l.Hi), Lo: l.Lo}
		}
		return types.FormatDecimal(v, t.Scale)
	case types.Float, types.Double:
		return strconv.FormatFloat(l.Double, 'g', -1, 64)
	case types.Date:
		return ast.QuoteString(types.FormatDate(l.Int64))
	case types.DateTime:
		return ast.QuoteString(types.FormatDateTime(l.Int64, t.Scale))
	case types.Char, types.Varchar, types.String:
		return ast.QuoteString(string(l.Bytes))
	}
	return strconv.FormatInt(l.Int64, 10)
}

// FormatBatch renders a batch as rows of SQL literals, for tests and tools.
func FormatBatch(bt *commonpb.Batch) string {
	var b strings.Builder
	for r := 0; r < int(bt.GetNumRows()); r++ {
		for c, col := range bt.Columns {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString(FormatLiteral(cellLiteral(col, r), types.FromProto(col.Type)))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func cellLiteral(col *commonpb.ColumnData, r int) *planpb.Literal {
	if r/8 < len(col.Nulls) && col.Nulls[r/8]&(1<<(r%8)) != 0 {
		return &planpb.Literal{IsNull: true}
	}
	switch t := types.FromProto(col.Type); t.Physical() {
	case types.PhysInt128:
		return &planpb.Literal{Hi: col.Decimal128[2*r], Lo: col.Decimal128[2*r+1]}
	case types.PhysFloat64:
		return &planpb.Literal{Double: col.Doubles[r]}
	case types.PhysBytes:
		return &planpb.Literal{Bytes: col.Bytes[r]}
	}
	return &planpb.Literal{Int64: col.Int64S[r]}
}
