package binder

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/catalog"
)

const (
	// AutoBuckets is what BUCKETS AUTO (or no BUCKETS clause) resolves to: Doris's
	// default_bucket_num. Doric does not estimate partition sizes.
	AutoBuckets = 10
	// MaxBuckets bounds an explicit bucket count (Doric's limit, to keep tablet counts sane).
	MaxBuckets = 1024
	// Doris's short-key limits, which bound the default duplicate key.
	shortKeyMaxColumns = 3
	shortKeyMaxBytes   = 36
	maxNameLength      = 64
	maxColumnName      = 256
)

// BuildTable validates CREATE TABLE and builds the table it describes: columns with unique ids
// 0..n-1 (NextColumnID n), key columns first and flagged, keys type, distribution (buckets
// resolved), properties, comment, and for PARTITION BY the partitioning and each partition's
// name and bounds (FROM .. TO .. INTERVAL expanded). Table, database, index, partition and
// tablet ids are left zero, and Partitions empty for an unpartitioned table, for the DDL
// executor. db is the database the table goes to (the
// caller resolves it from st.Table.DB or the session); it only appears in messages.
func BuildTable(db string, st *ast.CreateTable) (*catalog.Table, error) {
	name := st.Table.Name
	if name == "" || utf8.RuneCountInString(name) > maxNameLength {
		return nil, errorf(ErrInvalidDDL, st.Table.Pos, "Incorrect table name '%s': it must have 1 to %d characters", name, maxNameLength)
	}
	if st.Engine != nil && st.Engine.Name != "OLAP" {
		return nil, errorf(ErrNotSupported, st.Engine.Pos, "engine %s is not supported; only OLAP tables are", st.Engine.Name)
	}
	t := &catalog.Table{Name: name, Properties: map[string]string{}}
	if st.Comment != nil {
		t.Comment = *st.Comment
	}
	for _, p := range st.Properties {
		if _, dup := t.Properties[p.Key]; dup {
			return nil, errorf(ErrInvalidDDL, p.Pos, "duplicate property '%s'", p.Key)
		}
		if p.Key == TablePropStorageVault && strings.TrimSpace(p.Value) == "" {
			// Whether the vault exists is the DDL executor's to check.
			return nil, errorf(ErrInvalidDDL, p.Pos, "Property '%s' cannot be empty", p.Key)
		}
		t.Properties[p.Key] = p.Value
	}

	// Columns.
	defs := st.Columns
	for i, d := range defs {
		if d.Name.Name == "" || utf8.RuneCountInString(d.Name.Name) > maxColumnName {
			return nil, errorf(ErrInvalidDDL, d.Pos, "Incorrect column name '%s'", d.Name.Name)
		}
		for _, prev := range defs[:i] {
			if strings.EqualFold(prev.Name.Name, d.Name.Name) {
				return nil, &Error{Code: ErrDuplicateColumn, Pos: d.Name.Pos, Column: d.Name.Name,
					Msg: fmt.Sprintf("Duplicate column name '%s'", d.Name.Name)}
			}
		}
		if err := checkColumnName(d); err != nil {
			return nil, err
		}
		typ, err := resolveType(d.Type, false)
		if err != nil {
			return nil, err
		}
		c := catalog.Column{UniqueID: int32(i), Name: d.Name.Name, Type: typ, Nullable: d.Nullable != ast.NotNull,
			Aggregation: d.Aggregation}
		if d.Comment != nil {
			c.Comment = *d.Comment
		}
		if c.Default, err = columnDefaultText(d, c); err != nil {
			return nil, err
		}
		t.Columns = append(t.Columns, c)
	}
	t.NextColumnID = int32(len(t.Columns))

	// Keys.
	var keys []ast.Ident
	switch {
	case st.Keys != nil:
		t.KeysType = map[ast.KeysKind]commonpb.KeysType{ast.DuplicateKeys: commonpb.KeysType_DUP_KEYS,
			ast.AggregateKeys: commonpb.KeysType_AGG_KEYS, ast.UniqueKeys: commonpb.KeysType_UNIQUE_KEYS}[st.Keys.Kind]
		keys = st.Keys.Columns
	case hasAggregation(defs):
		t.KeysType = commonpb.KeysType_AGG_KEYS
		for _, d := range defs {
			if d.Aggregation == "" {
				keys = append(keys, d.Name)
			}
		}
	default:
		t.KeysType = commonpb.KeysType_DUP_KEYS
		keys = defaultDuplicateKey(defs, t.Columns)
		if len(keys) == 0 {
			return nil, errorf(ErrInvalidDDL, defs[0].Pos, "cannot choose a default duplicate key: the first column '%s' is of type %s; declare DUPLICATE KEY",
				defs[0].Name.Name, t.Columns[0].Type)
		}
	}
	for i, k := range keys {
		idx := -1
		for j, c := range t.Columns {
			if strings.EqualFold(c.Name, k.Name) {
				idx = j
			}
		}
		if idx < 0 {
			return nil, &Error{Code: ErrInvalidDDL, Pos: k.Pos, Column: k.Name, Msg: fmt.Sprintf("Key column '%s' does not exist", k.Name)}
		}
		if idx != i {
			return nil, &Error{Code: ErrInvalidDDL, Pos: k.Pos, Column: k.Name, Msg: fmt.Sprintf(
				"Key columns should be a ordered prefix of the schema. KeyColumns[%d] (starts from zero) is %s, but corresponding column is %s in the previous columns declaration.",
				i, k.Name, t.Columns[i].Name)}
		}
		c := &t.Columns[idx]
		switch {
		case c.Type.IsFloat():
			return nil, &Error{Code: ErrInvalidDDL, Pos: k.Pos, Column: c.Name, Msg: fmt.Sprintf("Float or double can not used as a key, use decimal instead: column '%s'", c.Name)}
		case c.Type.Kind == types.String:
			return nil, &Error{Code: ErrInvalidDDL, Pos: k.Pos, Column: c.Name, Msg: fmt.Sprintf("String Type should not be used in key column[%s].", c.Name)}
		}
		c.IsKey = true
	}

	// Aggregation types.
	for i, d := range defs {
		c := &t.Columns[i]
		switch {
		case t.KeysType != commonpb.KeysType_AGG_KEYS && c.Aggregation != "":
			return nil, &Error{Code: ErrInvalidDDL, Pos: d.Pos, Column: c.Name, Msg: fmt.Sprintf(
				"column '%s' has aggregation type %s, which is only allowed in AGGREGATE KEY tables", c.Name, c.Aggregation)}
		case t.KeysType != commonpb.KeysType_AGG_KEYS:
		case c.IsKey && c.Aggregation != "":
			return nil, &Error{Code: ErrInvalidDDL, Pos: d.Pos, Column: c.Name, Msg: fmt.Sprintf("Key column '%s' can not set aggregation type", c.Name)}
		case c.IsKey:
		case c.Aggregation == "":
			return nil, &Error{Code: ErrInvalidDDL, Pos: d.Pos, Column: c.Name, Msg: fmt.Sprintf(
				"value column '%s' of an AGGREGATE KEY table must have an aggregation type (SUM, MIN, MAX, REPLACE, REPLACE_IF_NOT_NULL)", c.Name)}
		case c.Aggregation == "SUM" && !c.Type.IsNumeric():
			return nil, &Error{Code: ErrInvalidDDL, Pos: d.Pos, Column: c.Name, Msg: fmt.Sprintf("aggregation type SUM is not allowed for column '%s' of type %s", c.Name, c.Type)}
		case c.Aggregation != "SUM" && c.Aggregation != "MIN" && c.Aggregation != "MAX" && c.Aggregation != "REPLACE" && c.Aggregation != "REPLACE_IF_NOT_NULL":
			return nil, &Error{Code: ErrNotSupported, Pos: d.Pos, Column: c.Name, Msg: fmt.Sprintf("aggregation type %s is not supported yet", c.Aggregation)}
		}
	}
	if len(keys) == len(t.Columns) && t.KeysType == commonpb.KeysType_AGG_KEYS {
		return nil, errorf(ErrInvalidDDL, st.Pos, "an AGGREGATE KEY table needs at least one value column")
	}

	// Distribution.
	d := st.Distribution
	if d == nil {
		d = &ast.DistributionDesc{Pos: st.Pos, AutoBuckets: true}
	}
	switch {
	case d.AutoBuckets:
		t.Distribution.Buckets = AutoBuckets
	case d.Buckets < 1 || d.Buckets > MaxBuckets:
		return nil, errorf(ErrInvalidDDL, d.Pos, "Number of buckets must be in [1, %d], got %d", MaxBuckets, d.Buckets)
	default:
		t.Distribution.Buckets = int(d.Buckets)
	}
	if d.Hash {
		for i, id := range d.Columns {
			idx := -1
			for j, c := range t.Columns {
				if strings.EqualFold(c.Name, id.Name) {
					idx = j
				}
			}
			if idx < 0 {
				return nil, &Error{Code: ErrInvalidDDL, Pos: id.Pos, Column: id.Name, Msg: fmt.Sprintf("Distribution column '%s' does not exist", id.Name)}
			}
			c := t.Columns[idx]
			for _, prev := range d.Columns[:i] {
				if strings.EqualFold(prev.Name, id.Name) {
					return nil, &Error{Code: ErrInvalidDDL, Pos: id.Pos, Column: c.Name, Msg: fmt.Sprintf("Duplicate distribution column '%s'", id.Name)}
				}
			}
			if t.KeysType != commonpb.KeysType_DUP_KEYS && !c.IsKey {
				return nil, &Error{Code: ErrInvalidDDL, Pos: id.Pos, Column: c.Name, Msg: fmt.Sprintf("Distribution column[%s] is not key column", c.Name)}
			}
			if c.Type.IsFloat() {
				return nil, &Error{Code: ErrInvalidDDL, Pos: id.Pos, Column: c.Name, Msg: fmt.Sprintf("Floating point type column can not be distribution column: '%s'", c.Name)}
			}
			t.Distribution.Columns = append(t.Distribution.Columns, c.Name)
		}
	} else {
		switch t.KeysType {
		case commonpb.KeysType_UNIQUE_KEYS:
			return nil, errorf(ErrInvalidDDL, d.Pos, "Create unique keys table should not contain random distribution desc")
		case commonpb.KeysType_AGG_KEYS:
			for _, c := range t.Columns {
				if c.Aggregation == "REPLACE" || c.Aggregation == "REPLACE_IF_NOT_NULL" {
					return nil, errorf(ErrInvalidDDL, d.Pos, "Cannot use random distribution for an aggregate table with a %s column ('%s')", c.Aggregation, c.Name)
				}
			}
		}
	}
	if st.Partition != nil {
		if err := buildPartitioning(t, st.Partition); err != nil {
			return nil, err
		}
	}
	addHiddenColumns(t)
	return t, nil
}

func hasAggregation(defs []*ast.ColumnDef) bool {
	for _, d := range defs {
		if d.Aggregation != "" {
			return true
		}
	}
	return false
}

// defaultDuplicateKey picks the key of a table declared without one, as Doris: leading columns,
// at most shortKeyMaxColumns within shortKeyMaxBytes of short key; a FLOAT, DOUBLE or STRING
// column ends the key, and a VARCHAR is its last column.
func defaultDuplicateKey(defs []*ast.ColumnDef, cols []catalog.Column) []ast.Ident {
	var keys []ast.Ident
	size := 0
	for i, c := range cols {
		size += shortKeySize(c.Type)
		if len(keys) >= shortKeyMaxColumns || size > shortKeyMaxBytes {
			if len(keys) == 0 && c.Type.IsString() && c.Type.Kind != types.String {
				keys = append(keys, defs[i].Name)
			}
			break
		}
		if c.Type.IsFloat() || c.Type.Kind == types.String {
			break
		}
		keys = append(keys, defs[i].Name)
		if c.Type.Kind == types.Varchar {
			break
		}
	}
	return keys
}

// shortKeySize is the bytes a column takes in the short-key index (Doris's index sizes).
func shortKeySize(t types.T) int {
	switch t.Kind {
	case types.Boolean, types.TinyInt:
		return 1
	case types.SmallInt:
		return 2
	case types.Int, types.Float, types.Date:
		return 4
	case types.BigInt, types.Double, types.DateTime:
		return 8
	case types.LargeInt:
		return 16
	case types.Decimal:
		switch {
		case t.Precision <= 9:
			return 4
		case t.Precision <= 18:
			return 8
		}
		return 16
	case types.Char:
		return int(t.Length)
	}
	return 20 // VARCHAR, STRING
}

// columnDefaultText validates a DEFAULT clause against the column and returns the text to store.
func columnDefaultText(d *ast.ColumnDef, c catalog.Column) (*string, error) {
	invalid := func(pos ast.Pos, why string) error {
		msg := fmt.Sprintf("Invalid default value for '%s'", c.Name)
		if why != "" {
			msg += ": " + why
		}
		return &Error{Code: ErrInvalidDefault, Pos: pos, Column: c.Name, Msg: msg}
	}
	switch x := d.Default.(type) {
	case nil:
		return nil, nil
	case *ast.Literal:
		if x.Kind == ast.LitNull {
			if !c.Nullable {
				return nil, invalid(x.Pos, "a NOT NULL column cannot default to NULL")
			}
			return nil, nil
		}
		v, err := literalValue(x)
		if err == nil {
			_, err = convert(v, c.Type)
		}
		if err != nil {
			return nil, invalid(x.Pos, err.Error())
		}
		text := x.Value
		return &text, nil
	case *ast.FuncCall:
		name := strings.ToUpper(x.Name)
		switch {
		case name == "CURRENT_TIMESTAMP" && c.Type.Kind == types.DateTime,
			name == "CURRENT_DATE" && c.Type.Kind == types.Date:
			return &name, nil
		}
		return nil, invalid(x.Pos, fmt.Sprintf("%s is not allowed for a %s column", name, c.Type))
	}
	return nil, invalid(d.Default.Position(), "")
}
