package partition

import "strings"

// keyString renders a key as Doris's PartitionKey.toString: "types: [INT]; keys: [10]; ".
func (s Spec) keyString(k Key) string {
	var b strings.Builder
	b.WriteString("types: [")
	for i, t := range s.Types {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(TypeName(t))
	}
	b.WriteString("]; keys: [")
	for i, v := range k {
		if i > 0 {
			b.WriteString(", ")
		}
		switch {
		case v.Max:
			b.WriteString("MAXVALUE")
		case v.Null:
			b.WriteString("NULL")
		default:
			b.WriteString(v.Text)
		}
	}
	b.WriteString("]; ")
	return b.String()
}

// RangeString renders a partition's bounds as the Range column of Doris's SHOW PARTITIONS:
// "[types: [DATEV2]; keys: [2024-01-01]; ..types: [DATEV2]; keys: [2024-02-01]; )" for a range
// partition, "[types: [INT]; keys: [1]; , types: [INT]; keys: [2]; ]" for a list partition.
func (s Spec) RangeString(b *Bounds) string {
	if b == nil {
		return ""
	}
	if s.Kind == Range {
		return "[" + s.keyString(b.Lower) + ".." + s.keyString(b.Upper) + ")"
	}
	parts := make([]string, len(b.In))
	for i, k := range b.In {
		parts[i] = s.keyString(k)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// KeySQL renders a key as Doris's PartitionKey.toSql: ("10", "x"), dates single-quoted,
// MAXVALUE and NULL bare.
func (s Spec) KeySQL(k Key) string {
	parts := make([]string, len(k))
	for i, v := range k {
		switch {
		case v.Max:
			parts[i] = "MAXVALUE"
		case v.Null:
			parts[i] = "NULL"
		case i < len(s.Types) && s.Types[i].IsTemporal():
			parts[i] = "'" + v.Text + "'"
		default:
			parts[i] = `"` + strings.ReplaceAll(strings.ReplaceAll(v.Text, `\`, `\\`), `"`, `\"`) + `"`
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// ValuesSQL renders a partition's bounds as Doris's SHOW CREATE TABLE does: VALUES [lower,
// upper) for every range partition (however it was written), VALUES IN (...) for a list one.
func (s Spec) ValuesSQL(b *Bounds) string {
	if s.Kind == Range {
		return "VALUES [" + s.KeySQL(b.Lower) + ", " + s.KeySQL(b.Upper) + ")"
	}
	parts := make([]string, len(b.In))
	for i, k := range b.In {
		parts[i] = s.KeySQL(k)
		if len(s.Types) == 1 {
			parts[i] = parts[i][1 : len(parts[i])-1]
		}
	}
	return "VALUES IN (" + strings.Join(parts, ",") + ")"
}
