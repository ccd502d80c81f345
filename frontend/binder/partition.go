package binder

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/catalog"
)

// MaxCreatePartitions bounds the partitions one CREATE TABLE may create (Doris's session
// variable create_table_partition_max_num, at its default).
const MaxCreatePartitions = 10000

// partitionNameRE is Doris's rule for partition names (FeNameFormat's common name).
var partitionNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]{0,63}$`)

func checkPartitionName(id ast.Ident) error {
	if !partitionNameRE.MatchString(id.Name) {
		return errorf(ErrInvalidDDL, id.Pos, "Incorrect partition name '%s'", id.Name)
	}
	return nil
}

// partitionError turns a partition package error into a binder error at pos, its message after
// prefix (Doris's "Invalid range value format： " for a value that does not fit its column).
func partitionError(pos ast.Pos, err error, prefix string) error {
	if pe, ok := err.(*partition.Error); ok {
		return &Error{Code: ErrInvalidDDL, Pos: pos, Msg: prefix + pe.Msg}
	}
	return err
}

// buildPartitioning checks PARTITION BY against the table's columns and keys as Doris does and
// sets t.Partitioning and t.Partitions (names and bounds; ids and tablets are the DDL
// executor's).
func buildPartitioning(t *catalog.Table, pd *ast.PartitionDesc) error {
	pt := &catalog.Partitioning{Kind: partition.Range, Auto: pd.Auto}
	if pd.Kind == ast.ListPartition {
		pt.Kind = partition.List
	}
	cols := pd.Columns
	if pd.Func != nil {
		f := pd.Func
		if !strings.EqualFold(f.Name, "date_trunc") {
			return errorf(ErrNotSupported, f.Pos, "auto create partition only supports date_trunc(column, 'unit') in RANGE partitions, got %s", ast.Format(f))
		}
		col, isCol := (ast.Expr)(nil), false
		var unit *ast.Literal
		if len(f.Args) == 2 {
			col = f.Args[0]
			_, isCol = col.(*ast.ColumnRef)
			unit, _ = f.Args[1].(*ast.Literal)
		}
		if !isCol || unit == nil || unit.Kind != ast.LitString {
			return errorf(ErrInvalidDDL, f.Pos, "date_trunc in AUTO PARTITION takes a column and a string unit: date_trunc(column, 'day'), got %s", ast.Format(f))
		}
		c := col.(*ast.ColumnRef)
		cols = []ast.Ident{{Pos: c.Pos, Name: c.Name}}
		pt.AutoUnit = strings.ToLower(unit.Value)
	} else if pd.Auto && pd.Kind == ast.RangePartition {
		return errorf(ErrInvalidDDL, pd.Pos, "AUTO PARTITION BY RANGE needs a date_trunc(column, 'unit') expression")
	}
	if len(cols) == 0 {
		return errorf(ErrInvalidDDL, pd.Pos, "No partition columns.")
	}
	mow := t.KeysType == commonpb.KeysType_UNIQUE_KEYS && !strings.EqualFold(t.Properties["enable_unique_key_merge_on_write"], "false")
	kindName := strings.ToLower(string(pt.Kind))
	for i, id := range cols {
		for _, prev := range cols[:i] {
			if strings.EqualFold(prev.Name, id.Name) {
				return &Error{Code: ErrInvalidDDL, Pos: id.Pos, Column: id.Name, Msg: "Duplicated partition column " + id.Name}
			}
		}
		ci := t.ColumnIndex(id.Name)
		if ci < 0 {
			return &Error{Code: ErrInvalidDDL, Pos: id.Pos, Column: id.Name, Msg: fmt.Sprintf("Partition column[%s] does not exist in column list.", id.Name)}
		}
		c := t.Columns[ci]
		bad := func(msg string) error { return &Error{Code: ErrInvalidDDL, Pos: id.Pos, Column: c.Name, Msg: msg} }
		switch {
		case !c.IsKey && (c.Aggregation != "" || t.KeysType == commonpb.KeysType_UNIQUE_KEYS && !mow):
			return bad("The partition column could not be aggregated column")
		case !c.IsKey && mow:
			return bad("Merge-on-Write table's partition column must be KEY column")
		case c.Type.IsFloat():
			return bad("Floating point type column can not be partition column")
		case c.Type.Kind == types.String:
			return bad(fmt.Sprintf("String Type should not be used in partition column[%s].", c.Name))
		case !partition.Allowed(pt.Kind, c.Type):
			return bad(fmt.Sprintf("Column[%s] type[%s] cannot be a %s partition key.", c.Name, partition.TypeName(c.Type), kindName))
		case pd.Func != nil && c.Nullable:
			return bad("AUTO RANGE PARTITION doesn't support NULL column")
		case pd.Func != nil && !c.Type.IsTemporal():
			return bad("Auto range partition needs Date/DateV2/Datetime/DatetimeV2 column as partition column but got" + ast.Format(pd.Func))
		}
		if pd.Func != nil {
			if err := partition.CheckAutoUnit(c.Type, pt.AutoUnit); err != nil {
				return partitionError(pd.Func.Pos, err, "")
			}
		}
		pt.Columns = append(pt.Columns, c.Name)
	}
	t.Partitioning = pt
	spec, _, err := t.PartitionSpec()
	if err != nil {
		return err
	}
	names := map[string]bool{}
	add := func(name ast.Ident, b *partition.Bounds) error {
		if err := checkPartitionName(name); err != nil {
			return err
		}
		if names[strings.ToLower(name.Name)] {
			return errorf(ErrInvalidDDL, name.Pos, "Duplicated partition name: %s", name.Name)
		}
		names[strings.ToLower(name.Name)] = true
		if len(t.Partitions) >= MaxCreatePartitions {
			return errorf(ErrInvalidDDL, name.Pos, "The number of partitions to be created is more than [%d]. "+
				"Creating too many partitions can be time-consuming. If necessary, You can set the session variable 'create_table_partition_max_num' to a larger value.", MaxCreatePartitions)
		}
		t.Partitions = append(t.Partitions, catalog.Partition{Name: name.Name, Bounds: b})
		return nil
	}
	for _, def := range pd.Partitions {
		if def.Kind == ast.ValuesFromTo {
			if len(spec.Types) != 1 {
				return errorf(ErrInvalidDDL, def.Pos, "multi partition column size except 1 but provided %d.", len(spec.Types))
			}
			batch, err := batchOf(def)
			if err != nil {
				return err
			}
			named, err := partition.ExpandBatch(spec.Types[0], batch)
			if err != nil {
				return partitionError(def.Pos, err, "")
			}
			for _, n := range named {
				b, err := fixedRange(spec, def.Pos, []*string{&n.Lower}, []*string{&n.Upper})
				if err == nil {
					err = partitionError(def.Pos, spec.Check(t.Bounds(), b), "")
				}
				if err != nil {
					return err
				}
				if err := add(ast.Ident{Pos: def.Pos, Name: n.Name}, b); err != nil {
					return err
				}
			}
			continue
		}
		b, err := partitionBounds(spec, t.Bounds(), def)
		if err != nil {
			return err
		}
		if err := add(def.Name, b); err != nil {
			return err
		}
	}
	return nil
}

const (
	rangePrefix = "Invalid range value format： "
	listPrefix  = "Invalid list value format： "
)

// boundValues extracts the written values of a bound tuple: literal text, nil for MAXVALUE (or
// NULL when nullOK).
func boundValues(tuple []ast.Expr, maxOK, nullOK bool) ([]*string, error) {
	out := make([]*string, len(tuple))
	for i, e := range tuple {
		switch x := e.(type) {
		case *ast.MaxValue:
			if !maxOK {
				return nil, errorf(ErrInvalidDDL, x.Pos, "MAXVALUE is not allowed here")
			}
		case *ast.Literal:
			if x.Kind == ast.LitNull {
				if !nullOK {
					return nil, errorf(ErrInvalidDDL, x.Pos, "NULL is not allowed in a range partition bound")
				}
				continue
			}
			v := x.Value
			out[i] = &v
		default:
			return nil, errorf(ErrInvalidDDL, e.Position(), "a partition value must be a constant, got %s", ast.Format(e))
		}
	}
	return out, nil
}

func batchOf(def *ast.PartitionDef) (partition.Batch, error) {
	from, err := boundValues(def.Values[0], false, false)
	if err != nil {
		return partition.Batch{}, err
	}
	to, err := boundValues(def.Values[1], false, false)
	if err != nil {
		return partition.Batch{}, err
	}
	if len(from) != 1 || len(to) != 1 {
		return partition.Batch{}, errorf(ErrInvalidDDL, def.Pos, "partition column number in multi partition clause must be one but start column size is %d, end column size is %d.", len(from), len(to))
	}
	return partition.Batch{From: *from[0], To: *to[0], Interval: def.Interval, Unit: def.Unit}, nil
}

func fixedRange(spec partition.Spec, pos ast.Pos, lo, hi []*string) (*partition.Bounds, error) {
	lk, err := spec.BoundKey(lo)
	if err != nil {
		return nil, partitionError(pos, err, rangePrefix)
	}
	hk, err := spec.BoundKey(hi)
	if err != nil {
		return nil, partitionError(pos, err, rangePrefix)
	}
	return &partition.Bounds{Lower: lk, Upper: hk}, nil
}

// partitionBounds computes and checks the bounds of one PARTITION p VALUES ... definition
// against the table's existing partitions.
func partitionBounds(spec partition.Spec, existing []*partition.Bounds, def *ast.PartitionDef) (*partition.Bounds, error) {
	switch {
	case spec.Kind == partition.Range && def.Kind == ast.ValuesLessThan:
		upper := spec.MaxKey()
		if len(def.Values) > 0 {
			vals, err := boundValues(def.Values[0], true, false)
			if err != nil {
				return nil, err
			}
			if upper, err = spec.BoundKey(vals); err != nil {
				return nil, partitionError(def.Pos, err, rangePrefix)
			}
		}
		b, err := spec.LessThan(existing, upper)
		if err != nil {
			return nil, partitionError(def.Pos, err, "")
		}
		return b, nil
	case spec.Kind == partition.Range && def.Kind == ast.ValuesFixedRange:
		lo, err := boundValues(def.Values[0], true, false)
		if err != nil {
			return nil, err
		}
		hi, err := boundValues(def.Values[1], true, false)
		if err != nil {
			return nil, err
		}
		b, err := fixedRange(spec, def.Pos, lo, hi)
		if err != nil {
			return nil, err
		}
		return b, partitionError(def.Pos, spec.Check(existing, b), "")
	case spec.Kind == partition.List && def.Kind == ast.ValuesIn:
		b := &partition.Bounds{}
		for _, tuple := range def.Values {
			vals, err := boundValues(tuple, false, true)
			if err != nil {
				return nil, err
			}
			k, err := spec.ListKey(vals)
			if err != nil {
				return nil, partitionError(def.Pos, err, listPrefix)
			}
			b.In = append(b.In, k)
		}
		return b, partitionError(def.Pos, spec.Check(existing, b), "")
	case spec.Kind == partition.List:
		return nil, errorf(ErrInvalidDDL, def.Pos, "List partition expected 'VALUES IN (...)' for partition %s", def.Name.Name)
	}
	return nil, errorf(ErrInvalidDDL, def.Pos, "Range partition expected 'VALUES LESS THAN (...)' or 'VALUES [(...), (...))' for partition %s", def.Name.Name)
}

// AddPartition validates ALTER TABLE t ADD PARTITION against t (its partitioning and existing
// partitions, whose names the DDL executor checks) and returns the partition to add (name and
// bounds) and its bucket count: the one given, else the table's.
func AddPartition(t *catalog.Table, op *ast.AddPartition) (*catalog.Partition, int, error) {
	def := op.Partition
	if t.Partitioning == nil {
		return nil, 0, errorf(ErrInvalidDDL, op.Pos, "Only support adding partition to range and list partitioned table; table %s is unpartitioned", t.Name)
	}
	if err := checkPartitionName(def.Name); err != nil {
		return nil, 0, err
	}
	spec, _, err := t.PartitionSpec()
	if err != nil {
		return nil, 0, err
	}
	b, err := partitionBounds(spec, t.Bounds(), def)
	if err != nil {
		return nil, 0, err
	}
	buckets := t.Distribution.Buckets
	if d := op.Distribution; d != nil {
		switch {
		case d.Hash != (len(t.Distribution.Columns) > 0):
			kind := "RANDOM"
			if len(t.Distribution.Columns) > 0 {
				kind = "HASH"
			}
			return nil, 0, errorf(ErrInvalidDDL, d.Pos, "Cannot assign different distribution type. default is: %s", kind)
		case d.Hash:
			same := len(d.Columns) == len(t.Distribution.Columns)
			var names []string
			for i, c := range d.Columns {
				names = append(names, c.Name)
				same = same && strings.EqualFold(c.Name, t.Distribution.Columns[i])
			}
			if !same {
				return nil, 0, errorf(ErrInvalidDDL, d.Pos, "Cannot assign hash distribution with different distribution cols. new is: [%s] default is: [%s]",
					strings.Join(names, ", "), strings.Join(t.Distribution.Columns, ", "))
			}
		}
		switch {
		case d.AutoBuckets:
		case d.Buckets < 1 || d.Buckets > MaxBuckets:
			return nil, 0, errorf(ErrInvalidDDL, d.Pos, "Number of buckets must be in [1, %d], got %d", MaxBuckets, d.Buckets)
		default:
			buckets = int(d.Buckets)
		}
	}
	return &catalog.Partition{Name: def.Name.Name, Bounds: b}, buckets, nil
}

// Partitions resolves the partition names of a PARTITION (p, ...) clause against t, in t's
// order, each once; unknown names are ErrUnknownPartition.
func Partitions(t *catalog.Table, names []ast.Ident) ([]*catalog.Partition, error) {
	want := map[int64]bool{}
	for _, n := range names {
		p := t.PartitionByName(n.Name)
		if p == nil {
			return nil, errorf(ErrUnknownPartition, n.Pos, "Unknown partition '%s' in table '%s'", n.Name, t.Name)
		}
		want[p.ID] = true
	}
	var out []*catalog.Partition
	for i := range t.Partitions {
		if want[t.Partitions[i].ID] {
			out = append(out, &t.Partitions[i])
		}
	}
	return out, nil
}
