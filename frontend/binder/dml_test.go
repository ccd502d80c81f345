package binder

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/parser"
)

// TestDML runs testdata/dml/*. Directives (db=<name> sets the current database, default "test"):
//
//	insert-select: bind INSERT ... SELECT; print the target of every table column and the plan.
//	convert:       the input is INSERT INTO src VALUES ...; INSERT INTO dst ... SELECT cols FROM src:
//	               the VALUES rows' columns that the query selects (plain columns only) stand for
//	               the query's output and go through the second statement's conversion; print the
//	               rows or the error.
//	               batch=<n> feeds them n rows at a time.
//	delete:        bind DELETE; print the partitions and the predicate, or the write-back.
//	update:        bind UPDATE; print the write-back.
func TestDML(t *testing.T) {
	cat := newFixture(t)
	datadriven.Walk(t, "testdata/dml", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			db := "test"
			if td.HasArg("db") {
				td.ScanArgs(t, "db", &db)
			}
			stmts, err := parser.Parse(td.Input)
			if err != nil {
				return "parse error: " + err.Error() + "\n"
			}
			switch td.Cmd {
			case "insert-select":
				ins := stmts[0].(*ast.Insert)
				tbl, _, err := resolveTable(cat, db, ins.Table)
				if err != nil {
					return errString(t, err)
				}
				p, err := BindInsertSelect(cat, db, tbl, ins)
				if err != nil {
					return errString(t, err)
				}
				return formatInsertSelect(p)
			case "convert":
				src := stmts[0].(*ast.Insert)
				srcTable, _, err := resolveTable(cat, db, src.Table)
				if err != nil {
					t.Fatal(err)
				}
				in, err := bindInsert(srcTable, src, fixedNow)
				if err != nil {
					t.Fatal(err)
				}
				ins := stmts[1].(*ast.Insert)
				tbl, _, err := resolveTable(cat, db, ins.Table)
				if err != nil {
					return errString(t, err)
				}
				p, err := BindInsertSelect(cat, db, tbl, ins)
				if err != nil {
					return errString(t, err)
				}
				// The query's output: the src columns its result columns name (convert tests
				// select plain columns only).
				all := in
				in = &commonpb.Batch{NumRows: all.NumRows}
				for _, rc := range p.Query.Columns {
					i := srcTable.ColumnIndex(rc.Name)
					if i < 0 {
						t.Fatalf("convert: result column %s is not a column of %s", rc.Name, srcTable.Name)
					}
					in.Columns = append(in.Columns, all.Columns[i])
				}
				step := int(in.NumRows)
				if td.HasArg("batch") {
					td.ScanArgs(t, "batch", &step)
				}
				for lo := 0; lo < int(in.NumRows); lo += step {
					if err := p.Add(sliceBatch(in, lo, min(lo+step, int(in.NumRows)))); err != nil {
						return errString(t, err)
					}
				}
				rows := p.Rows()
				if int(rows.NumRows) != p.NumRows() {
					t.Fatalf("Rows has %d rows, NumRows says %d", rows.NumRows, p.NumRows())
				}
				var sb strings.Builder
				for i, c := range rows.Columns {
					if i > 0 {
						sb.WriteString(", ")
					}
					sb.WriteString(types.FromProto(c.Type).String())
				}
				sb.WriteString("\n")
				sb.WriteString(FormatBatch(rows))
				return sb.String()
			case "delete":
				d, err := BindDelete(cat, db, stmts[0].(*ast.Delete))
				if err != nil {
					return errString(t, err)
				}
				var sb strings.Builder
				sb.WriteString("partitions:")
				for _, p := range d.Partitions {
					sb.WriteString(" " + p.Name)
				}
				sb.WriteString("\n")
				if d.Predicate != nil {
					for _, c := range d.Predicate.Conditions {
						fmt.Fprintf(&sb, "condition: column %d (%s) %s %q\n", c.ColumnUniqueId, c.ColumnName, c.Op, c.Values)
					}
					return sb.String()
				}
				return sb.String() + formatInsertSelect(d.Rows)
			case "update":
				p, err := BindUpdate(cat, db, stmts[0].(*ast.Update))
				if err != nil {
					return errString(t, err)
				}
				return formatInsertSelect(p)
			}
			t.Fatalf("unknown directive %q", td.Cmd)
			return ""
		})
	})
}

func formatInsertSelect(p *InsertSelect) string {
	var sb strings.Builder
	for i, c := range p.Table.Columns {
		if src := p.source[i]; src >= 0 {
			fmt.Fprintf(&sb, "%s <- %s (#%d)\n", c.Name, p.Query.Columns[src].Name, src)
		} else {
			fmt.Fprintf(&sb, "%s <- default\n", c.Name)
		}
	}
	if len(p.Partitions) > 0 {
		fmt.Fprintf(&sb, "into partitions %v\n", p.Partitions)
	}
	return sb.String() + Explain(p.Query)
}

// sliceBatch is rows [lo, hi) of b.
func sliceBatch(b *commonpb.Batch, lo, hi int) *commonpb.Batch {
	out := &commonpb.Batch{NumRows: int64(hi - lo)}
	for _, c := range b.Columns {
		nc := &commonpb.ColumnData{Type: c.Type}
		for i := lo; i < hi; i++ {
			if i/8 < len(c.Nulls) && c.Nulls[i/8]&(1<<(i%8)) != 0 {
				for len(nc.Nulls) <= (i-lo)/8 {
					nc.Nulls = append(nc.Nulls, 0)
				}
				nc.Nulls[(i-lo)/8] |= 1 << ((i - lo) % 8)
			}
		}
		switch {
		case c.Bytes != nil:
			nc.Bytes = c.Bytes[lo:hi]
		case c.Doubles != nil:
			nc.Doubles = c.Doubles[lo:hi]
		case c.Decimal128 != nil:
			nc.Decimal128 = c.Decimal128[2*lo : 2*hi]
		default:
			nc.Int64S = c.Int64S[lo:hi]
		}
		out.Columns = append(out.Columns, nc)
	}
	return out
}
