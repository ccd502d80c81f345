package session

import (
	"fmt"
	"sort"
	"strings"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/catalog"
)

// CreateTableSQL renders a table as Doris's SHOW CREATE TABLE does; the text parses back to the
// same table.
func CreateTableSQL(t *catalog.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE `%s` (\n", t.Name)
	visible := t.VisibleColumns()
	for vi, i := range visible {
		c := t.Columns[i]
		fmt.Fprintf(&b, "  `%s` %s", c.Name, c.Type.String())
		if c.Aggregation != "" {
			b.WriteString(" " + c.Aggregation)
		}
		if c.Nullable {
			b.WriteString(" NULL")
		} else {
			b.WriteString(" NOT NULL")
		}
		if c.Default != nil {
			if c.Type.IsNumeric() {
				fmt.Fprintf(&b, " DEFAULT \"%s\"", *c.Default)
			} else {
				fmt.Fprintf(&b, " DEFAULT \"%s\"", strings.ReplaceAll(*c.Default, `"`, `\"`))
			}
		}
		if c.Comment != "" {
			fmt.Fprintf(&b, " COMMENT '%s'", strings.ReplaceAll(c.Comment, "'", "\\'"))
		}
		if vi < len(visible)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString(") ENGINE=OLAP\n")
	var keys []string
	for _, c := range t.Columns {
		if c.IsKey {
			keys = append(keys, "`"+c.Name+"`")
		}
	}
	model := map[commonpb.KeysType]string{commonpb.KeysType_DUP_KEYS: "DUPLICATE", commonpb.KeysType_AGG_KEYS: "AGGREGATE", commonpb.KeysType_UNIQUE_KEYS: "UNIQUE"}[t.KeysType]
	fmt.Fprintf(&b, "%s KEY(%s)\n", model, strings.Join(keys, ", "))
	if t.Comment != "" {
		fmt.Fprintf(&b, "COMMENT '%s'\n", strings.ReplaceAll(t.Comment, "'", "\\'"))
	} else {
		b.WriteString("COMMENT 'OLAP'\n")
	}
	if pt := t.Partitioning; pt != nil {
		cols := make([]string, len(pt.Columns))
		for i, c := range pt.Columns {
			cols[i] = "`" + c + "`"
		}
		switch {
		case pt.Auto && pt.Kind == partition.Range:
			fmt.Fprintf(&b, "AUTO PARTITION BY RANGE (date_trunc(%s, '%s'))\n", cols[0], pt.AutoUnit)
		case pt.Auto:
			fmt.Fprintf(&b, "AUTO PARTITION BY LIST (%s)\n", strings.Join(cols, ", "))
		default:
			fmt.Fprintf(&b, "PARTITION BY %s(%s)\n", pt.Kind, strings.Join(cols, ", "))
		}
		b.WriteString("(")
		if spec, _, err := t.PartitionSpec(); err == nil {
			for k, i := range spec.SortRanges(t.Bounds()) {
				if k > 0 {
					b.WriteString(",\n")
				}
				p := t.Partitions[i]
				fmt.Fprintf(&b, "PARTITION %s %s", ast.QuoteIdent(p.Name), spec.ValuesSQL(p.Bounds))
			}
		}
		b.WriteString(")\n")
	}
	if len(t.Distribution.Columns) > 0 {
		cols := make([]string, len(t.Distribution.Columns))
		for i, c := range t.Distribution.Columns {
			cols[i] = "`" + c + "`"
		}
		fmt.Fprintf(&b, "DISTRIBUTED BY HASH(%s) BUCKETS %d\n", strings.Join(cols, ", "), t.Distribution.Buckets)
	} else {
		fmt.Fprintf(&b, "DISTRIBUTED BY RANDOM BUCKETS %d\n", t.Distribution.Buckets)
	}
	props := map[string]string{}
	for k, v := range t.Properties {
		props[k] = v
	}
	if _, ok := props["replication_allocation"]; !ok {
		props["replication_allocation"] = "tag.location.default: 1"
	}
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	b.WriteString("PROPERTIES (\n")
	for i, k := range names {
		fmt.Fprintf(&b, "\"%s\" = \"%s\"", k, props[k])
		if i < len(names)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString(");")
	return b.String()
}
