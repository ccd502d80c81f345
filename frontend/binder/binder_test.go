package binder

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/parser"
)

type fixture map[string]*catalog.Database

func (f fixture) Database(name string) (*catalog.Database, bool) {
	d, ok := f[name]
	return d, ok
}

// fixtureDDL is the schema of the test catalog (database "test"); it is built with BuildTable
// and then given ids as the DDL executor would.
var fixtureDDL = []string{
	`CREATE TABLE t (k INT NOT NULL, a TINYINT, b BIGINT, c DECIMAL(10, 2), d DOUBLE, s VARCHAR(20),
	   dt DATE, ts DATETIME(3), flag BOOLEAN, big LARGEINT NOT NULL DEFAULT "0")
	 DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 3`,
	`CREATE TABLE dflt (id INT NOT NULL, name VARCHAR(5) NOT NULL DEFAULT 'anon', score DECIMAL(5, 2) DEFAULT "1.5",
	   created DATETIME DEFAULT CURRENT_TIMESTAMP, day DATE DEFAULT CURRENT_DATE, f FLOAT, ok BOOLEAN NOT NULL DEFAULT "true",
	   c CHAR(3), wide DECIMAL(30, 4), tiny TINYINT NOT NULL DEFAULT '-7')
	 UNIQUE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1`,
	`CREATE TABLE agg (k1 INT NOT NULL, k2 VARCHAR(10) NOT NULL, v BIGINT SUM DEFAULT "0", m INT MAX)
	 AGGREGATE KEY(k1, k2) DISTRIBUTED BY HASH(k1) BUCKETS 2`,
	`CREATE TABLE sales (dt DATE NOT NULL, k INT NOT NULL, region VARCHAR(10), v BIGINT) DUPLICATE KEY(dt, k)
	 PARTITION BY RANGE(dt) (PARTITION p202401 VALUES LESS THAN ("2024-02-01"), PARTITION p202402 VALUES LESS THAN ("2024-03-01"),
	   PARTITION p202403 VALUES LESS THAN ("2024-04-01"), PARTITION pmax VALUES LESS THAN MAXVALUE)
	 DISTRIBUTED BY HASH(k) BUCKETS 2`,
	`CREATE TABLE cities (city VARCHAR(10), k INT NOT NULL) PARTITION BY LIST(city)
	 (PARTITION p_n VALUES IN ("beijing", "harbin"), PARTITION p_s VALUES IN ("guangzhou"), PARTITION p_null VALUES IN (NULL))
	 DISTRIBUTED BY HASH(k) BUCKETS 1`,
}

func newFixture(t testing.TB) fixture {
	d := &catalog.Database{ID: 1, Name: "test"}
	for i, sql := range fixtureDDL {
		st, err := parser.ParseOne(sql)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := BuildTable("test", st.(*ast.CreateTable))
		if err != nil {
			t.Fatal(err)
		}
		tbl.ID, tbl.DBID = int64(100+i), d.ID
		// Partition and tablet ids as the DDL executor would give them.
		if tbl.Partitioning == nil {
			tbl.Partitions = []catalog.Partition{{Name: tbl.Name}}
		}
		next := int64(1000 * (i + 1))
		for p := range tbl.Partitions {
			tbl.Partitions[p].ID = next
			next++
			for range tbl.Distribution.Buckets {
				tbl.Partitions[p].Tablets = append(tbl.Partitions[p].Tablets, next)
				next++
			}
		}
		d.Tables = append(d.Tables, tbl)
	}
	return fixture{"test": d, "empty": &catalog.Database{ID: 2, Name: "empty"}}
}

// fixedNow is CURRENT_TIMESTAMP in INSERT tests.
var fixedNow = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

// TestGolden runs testdata/golden/*. Directives (argument db=<name> sets the current database, default
// "test"):
//
//	plan:   bind a SELECT; print the result columns and the plan (Explain), or the error.
//	insert: bind an INSERT; print the batch (types, then one line per row), or the error.
//	create: build a CREATE TABLE; print the table, or the error.
//	vault:  build a CREATE STORAGE VAULT; print the vault, or the error.
//	alter:  build an ALTER STORAGE VAULT; print the request and whether it applies to an S3, an
//	        HDFS and a local vault, or the error.
func TestGolden(t *testing.T) {
	cat := newFixture(t)
	datadriven.Walk(t, "testdata/golden", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			db := "test"
			if td.HasArg("db") {
				td.ScanArgs(t, "db", &db)
			}
			st, err := parser.ParseOne(td.Input)
			if err != nil {
				return "parse error: " + err.Error() + "\n"
			}
			switch td.Cmd {
			case "plan":
				q, err := BindSelect(cat, db, st.(*ast.Select))
				if err != nil {
					return errString(t, err)
				}
				checkPlan(t, q)
				return Explain(q)
			case "insert":
				ins := st.(*ast.Insert)
				tbl, _, err := resolveTable(cat, db, ins.Table)
				if err != nil {
					return errString(t, err)
				}
				b, err := bindInsert(tbl, ins, fixedNow)
				if err != nil {
					return errString(t, err)
				}
				var sb strings.Builder
				for i, c := range b.Columns {
					if i > 0 {
						sb.WriteString(", ")
					}
					sb.WriteString(types.FromProto(c.Type).String())
				}
				sb.WriteString("\n")
				sb.WriteString(FormatBatch(b))
				return sb.String()
			case "create":
				tbl, err := BuildTable(db, st.(*ast.CreateTable))
				if err != nil {
					return errString(t, err)
				}
				return formatTable(tbl)
			case "vault":
				v, setDefault, err := BuildStorageVault(st.(*ast.CreateStorageVault))
				if err != nil {
					return errString(t, err)
				}
				return fmt.Sprintf("vault %s default=%v\n%s", v.GetName(), setDefault, formatMessage(v))
			case "alter":
				req, err := BuildVaultAlter(st.(*ast.AlterStorageVault))
				if err != nil {
					return errString(t, err)
				}
				out := formatMessage(req)
				for _, stored := range []*metapb.StorageVault{
					{Backend: &metapb.StorageVault_S3{S3: &metapb.S3Vault{}}},
					{Backend: &metapb.StorageVault_Hdfs{Hdfs: &metapb.HdfsVault{}}},
					{Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{}}},
				} {
					kind := strings.TrimPrefix(fmt.Sprintf("%T", stored.GetBackend()), "*metapb.StorageVault_")
					if err := CheckAlterType(st.(*ast.AlterStorageVault), stored); err != nil {
						out += fmt.Sprintf("on a %s vault: %s\n", kind, strings.TrimSuffix(errString(t, err), "\n"))
					} else {
						out += fmt.Sprintf("on a %s vault: ok\n", kind)
					}
				}
				return out
			}
			t.Fatalf("unknown directive %q", td.Cmd)
			return ""
		})
	})
}

func errString(t *testing.T, err error) string {
	var be *Error
	if !errors.As(err, &be) {
		t.Fatalf("error is %T, want *binder.Error: %v", err, err)
	}
	return fmt.Sprintf("error (code %d): %s\n", be.Code, err)
}

func formatTable(t *catalog.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "table %s keys=%s buckets=%d", t.Name, t.KeysType, t.Distribution.Buckets)
	if len(t.Distribution.Columns) > 0 {
		fmt.Fprintf(&b, " hash=%v", t.Distribution.Columns)
	} else {
		b.WriteString(" random")
	}
	fmt.Fprintf(&b, " next_column_id=%d", t.NextColumnID)
	if t.Comment != "" {
		fmt.Fprintf(&b, " comment=%q", t.Comment)
	}
	b.WriteString("\n")
	for _, c := range t.Columns {
		fmt.Fprintf(&b, "  %d %s %s", c.UniqueID, c.Name, c.Type)
		if !c.Nullable {
			b.WriteString(" NOT NULL")
		}
		if c.IsKey {
			b.WriteString(" KEY")
		}
		if c.Aggregation != "" {
			b.WriteString(" " + c.Aggregation)
		}
		if c.Hidden {
			b.WriteString(" HIDDEN")
		}
		if c.Default != nil {
			fmt.Fprintf(&b, " DEFAULT %q", *c.Default)
		}
		if c.Comment != "" {
			fmt.Fprintf(&b, " COMMENT %q", c.Comment)
		}
		b.WriteString("\n")
	}
	if pt := t.Partitioning; pt != nil {
		fmt.Fprintf(&b, "  partition by %s %v", pt.Kind, pt.Columns)
		if pt.Auto {
			fmt.Fprintf(&b, " auto %q", pt.AutoUnit)
		}
		b.WriteString("\n")
		spec, _, err := t.PartitionSpec()
		if err != nil {
			return err.Error()
		}
		for _, p := range t.Partitions {
			fmt.Fprintf(&b, "    %s %s\n", p.Name, spec.ValuesSQL(p.Bounds))
		}
	}
	keys := make([]string, 0, len(t.Properties))
	for k := range t.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  property %q = %q\n", k, t.Properties[k])
	}
	return b.String()
}

// formatMessage prints the set fields of a message, one per line in field-number order, nested
// messages indented (prototext's output is deliberately unstable, so golden files cannot use it).
func formatMessage(m proto.Message) string {
	var b strings.Builder
	var walk func(m protoreflect.Message, indent string)
	walk = func(m protoreflect.Message, indent string) {
		var fields []protoreflect.FieldDescriptor
		m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
			fields = append(fields, fd)
			return true
		})
		sort.Slice(fields, func(i, j int) bool { return fields[i].Number() < fields[j].Number() })
		for _, fd := range fields {
			v := m.Get(fd)
			if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() {
				fmt.Fprintf(&b, "%s%s:\n", indent, fd.Name())
				walk(v.Message(), indent+"  ")
				continue
			}
			if fd.Kind() == protoreflect.StringKind {
				fmt.Fprintf(&b, "%s%s: %q\n", indent, fd.Name(), v.String())
			} else {
				fmt.Fprintf(&b, "%s%s: %v\n", indent, fd.Name(), v.Interface())
			}
		}
	}
	walk(m.ProtoReflect(), "  ")
	return b.String()
}

// checkPlan verifies the plan's structural invariants: unique node ids; every column reference
// within its node's input width; every expression typed; the root outputs the result columns.
func checkPlan(t *testing.T, q *Query) {
	t.Helper()
	seen := map[int32]bool{}
	var width func(n *planpb.PlanNode) int
	width = func(n *planpb.PlanNode) int {
		if seen[n.Id] {
			t.Fatalf("duplicate node id %d", n.Id)
		}
		seen[n.Id] = true
		in := 0
		if len(n.Children) == 1 {
			in = width(n.Children[0])
		}
		check := func(e *planpb.Expr) {
			var walk func(e *planpb.Expr)
			walk = func(e *planpb.Expr) {
				if !types.FromProto(e.Type).IsValid() {
					t.Fatalf("untyped expression in node %d: %v", n.Id, e)
				}
				switch k := e.Kind.(type) {
				case *planpb.Expr_Column:
					if int(k.Column.Index) >= in {
						t.Fatalf("node %d: column #%d out of input width %d", n.Id, k.Column.Index, in)
					}
				case *planpb.Expr_Call:
					for _, a := range k.Call.Args {
						walk(a)
					}
				}
			}
			walk(e)
		}
		switch x := n.Node.(type) {
		case *planpb.PlanNode_OlapScan:
			in = len(x.OlapScan.ColumnUniqueIds)
			for _, c := range x.OlapScan.Conjuncts {
				check(c)
			}
			return in
		case *planpb.PlanNode_Values:
			return len(x.Values.Rows.Columns)
		case *planpb.PlanNode_Filter:
			check(x.Filter.Predicate)
			return in
		case *planpb.PlanNode_Project:
			for _, e := range x.Project.Exprs {
				check(e)
			}
			return len(x.Project.Exprs)
		case *planpb.PlanNode_Aggregate:
			for _, e := range x.Aggregate.GroupBy {
				check(e)
			}
			for _, a := range x.Aggregate.Aggregates {
				for _, e := range a.Args {
					check(e)
				}
			}
			return len(x.Aggregate.GroupBy) + len(x.Aggregate.Aggregates)
		case *planpb.PlanNode_Sort:
			for _, k := range x.Sort.Keys {
				check(k.Expr)
			}
			return in
		case *planpb.PlanNode_Limit:
			return in
		}
		t.Fatalf("unexpected node %T", n.Node)
		return 0
	}
	if w := width(q.Fragment.Root); w != len(q.Columns) {
		t.Fatalf("root outputs %d columns, result has %d", w, len(q.Columns))
	}
}

// TestInsertNullBitmap checks the NULL bitmap layout for row counts around byte boundaries.
func TestInsertNullBitmap(t *testing.T) {
	cat := newFixture(t)
	tbl := cat["test"].Table("t")
	// A random number of rows with NULLs at random positions in column a.
	for _, n := range []int{1, 7, 8, 9, 17, 64} {
		var rows []string
		var nulls []bool
		for i := 0; i < n; i++ {
			isNull := (i*7+n)%3 == 0
			nulls = append(nulls, isNull)
			a := fmt.Sprint(i % 100)
			if isNull {
				a = "NULL"
			}
			rows = append(rows, fmt.Sprintf("(%d, %s)", i, a))
		}
		st, err := parser.ParseOne("INSERT INTO t (k, a) VALUES " + strings.Join(rows, ", "))
		if err != nil {
			t.Fatal(err)
		}
		b, err := BindInsert(tbl, st.(*ast.Insert))
		if err != nil {
			t.Fatal(err)
		}
		if b.NumRows != int64(n) {
			t.Fatalf("rows = %d, want %d", b.NumRows, n)
		}
		col := b.Columns[1]
		anyNull := false
		for i, want := range nulls {
			anyNull = anyNull || want
			got := i/8 < len(col.Nulls) && col.Nulls[i/8]&(1<<(i%8)) != 0
			if got != want || len(col.Int64S) != n {
				t.Fatalf("n=%d row %d: null=%v want %v", n, i, got, want)
			}
		}
		if anyNull && len(col.Nulls) != (n+7)/8 || !anyNull && len(col.Nulls) != 0 {
			t.Fatalf("bitmap is %d bytes for %d rows", len(col.Nulls), n)
		}
		if len(b.Columns[0].Nulls) != 0 {
			t.Fatal("column k has a null bitmap without NULLs")
		}
	}
}

func TestErrorPositions(t *testing.T) {
	cat := newFixture(t)
	st, _ := parser.ParseOne("SELECT k,\n  nosuch FROM t")
	_, err := BindSelect(cat, "test", st.(*ast.Select))
	var be *Error
	if !errors.As(err, &be) || be.Code != ErrUnknownColumn || be.Pos.Line != 2 || be.Pos.Col != 3 {
		t.Fatalf("got %#v", err)
	}
	st, _ = parser.ParseOne("INSERT INTO t (k, a) VALUES (1, 1), (2, 300)")
	_, err = BindInsert(cat["test"].Table("t"), st.(*ast.Insert))
	if !errors.As(err, &be) || be.Code != ErrBadValue || be.Row != 2 || be.Column != "a" || be.Pos.Col != 41 {
		t.Fatalf("got %#v", err)
	}
}
