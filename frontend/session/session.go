package session

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/coord"
	"github.com/doricdb/doric/frontend/ddl"
	"github.com/doricdb/doric/frontend/mysql"
	"github.com/doricdb/doric/frontend/parser"
)

// Shared are the services every session of a frontend uses.
type Shared struct {
	Catalog *catalog.Catalog
	Coord   *coord.Coordinator
	DDL     *ddl.Executor
	Metrics *Metrics // nil: not measured
	// Processes is the table of connections KILL looks in; nil: KILL finds no connection.
	Processes *Processes
	// AutoAnalyze analyzes tables with missing or stale statistics after loads; nil: off.
	AutoAnalyze *AutoAnalyzer
}

// Session is one connection's state.
type Session struct {
	shared *Shared
	connID uint32
	user   string
	db     string
	vars   map[string]variable
}

// New opens a session.
func New(shared *Shared, connID uint32, user string) *Session {
	shared.Processes.open(connID)
	return &Session{shared: shared, connID: connID, user: user, vars: defaultVariables()}
}

// Close ends the session (and a statement it still runs).
func (s *Session) Close() { s.shared.Processes.close(s.connID) }

// CurrentDB is the database USE chose ("" when none).
func (s *Session) CurrentDB() string { return s.db }

// UseDB switches the current database (COM_INIT_DB and USE).
func (s *Session) UseDB(name string) error {
	if _, ok := s.shared.Catalog.Database(name); !ok {
		return &catalog.Error{Kind: catalog.UnknownDatabase, Name: name}
	}
	s.db = name
	return nil
}

// errNoDatabase is returned when a statement needs a current database and none is selected.
var errNoDatabase = &binder.Error{Code: binder.ErrNoDatabase, Msg: "No database selected"}

// Execute runs the statement(s) in text and returns the result of the last one.
func (s *Session) Execute(ctx context.Context, text string) (*mysql.Result, error) {
	stmts, err := parser.Parse(text)
	if err != nil {
		return nil, err
	}
	if len(stmts) == 0 {
		return &mysql.Result{}, nil
	}
	var res *mysql.Result
	for _, st := range stmts {
		if err := s.errIfKilled(); err != nil {
			return nil, err
		}
		start := time.Now()
		sctx, done, interrupted := s.statementContext(ctx, st)
		res, err = s.execute(sctx, st)
		err = interrupted(err)
		done()
		s.shared.Metrics.observe(kindOf(st), start, err)
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (s *Session) timeout(name string) time.Duration {
	v := s.vars[name]
	if !v.isNum || v.num <= 0 {
		return 0
	}
	return time.Duration(v.num) * time.Second
}

func (s *Session) execute(ctx context.Context, st ast.Statement) (*mysql.Result, error) {
	switch st := st.(type) {
	case *ast.Select: // query_timeout: statementContext
		return s.query(ctx, st)
	case *ast.SetOp:
		return s.query(ctx, st)
	case *ast.Kill:
		return ok(0, s.kill(st))
	case *ast.Insert:
		if d := s.timeout("insert_timeout"); d > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		defer s.autoAnalyze(st.Table)
		if st.Select != nil || st.Query != nil {
			return s.insertSelect(ctx, st)
		}
		return s.insert(ctx, st)
	case *ast.Delete:
		ctx, cancel := s.withInsertTimeout(ctx)
		defer cancel()
		defer s.autoAnalyze(st.Table)
		return s.deleteFrom(ctx, st)
	case *ast.Update:
		ctx, cancel := s.withInsertTimeout(ctx)
		defer cancel()
		defer s.autoAnalyze(st.Table)
		return s.update(ctx, st)
	case *ast.ShowLoad:
		return s.showLoad(ctx, st)
	case *ast.CreateDatabase:
		_, err := s.shared.Catalog.CreateDatabase(st.Name.Name, st.IfNotExists)
		return ok(0, err)
	case *ast.DropDatabase:
		return ok(0, s.shared.DDL.DropDatabase(ctx, st.Name.Name, st.IfExists))
	case *ast.Use:
		return ok(0, s.UseDB(st.DB.Name))
	case *ast.CreateTable:
		db, err := s.dbName(st.Table.DB)
		if err != nil {
			return nil, err
		}
		t, err := binder.BuildTable(db, st)
		if err != nil {
			return nil, err
		}
		return ok(0, s.shared.DDL.CreateTable(ctx, db, t, st.IfNotExists))
	case *ast.DropTable:
		db, err := s.dbName(st.Table.DB)
		if err != nil {
			return nil, err
		}
		return ok(0, s.shared.DDL.DropTable(ctx, db, st.Table.Name, st.IfExists))
	case *ast.AlterTable:
		return s.alterTable(ctx, st)
	case *ast.ShowPartitions:
		return s.showPartitions(ctx, st)
	case *ast.ShowTablets:
		return s.showTablets(ctx, st)
	case *ast.ShowDatabases:
		return s.showDatabases(st), nil
	case *ast.ShowTables:
		return s.showTables(st)
	case *ast.Describe:
		return s.describe(st.Table)
	case *ast.ShowColumns:
		return s.describe(st.Table)
	case *ast.ShowCreateTable:
		return s.showCreateTable(st.Table)
	case *ast.ShowVariables:
		return s.showVariables(st), nil
	case *ast.Set:
		return ok(0, s.set(st))
	case *ast.SetNames, *ast.Commit, *ast.Rollback:
		// No explicit transaction is ever open, so COMMIT and ROLLBACK have nothing to do.
		return &mysql.Result{}, nil
	case *ast.Begin:
		return nil, fmt.Errorf("explicit transactions (BEGIN) are not supported yet")
	case *ast.Explain:
		return s.explain(st)
	case *ast.CreateStorageVault:
		return s.createStorageVault(ctx, st)
	case *ast.AlterStorageVault:
		return s.alterStorageVault(ctx, st)
	case *ast.SetDefaultStorageVault:
		return ok(0, s.shared.DDL.SetDefaultStorageVault(ctx, st.Name.Name))
	case *ast.ShowStorageVaults:
		return s.showStorageVaults(ctx)
	case *ast.Analyze:
		return s.analyzeStmt(ctx, st)
	case *ast.ShowColumnStats:
		return s.showColumnStats(ctx, st)
	case *ast.DropStats:
		return s.dropStats(ctx, st)
	}
	return nil, fmt.Errorf("statement %T is not supported yet", st)
}

func kindOf(st ast.Statement) string {
	switch st.(type) {
	case *ast.Select, *ast.SetOp, *ast.Explain:
		return "select"
	case *ast.Insert, *ast.Delete, *ast.Update:
		return "insert"
	case *ast.CreateDatabase, *ast.DropDatabase, *ast.CreateTable, *ast.DropTable, *ast.AlterTable,
		*ast.CreateStorageVault, *ast.AlterStorageVault, *ast.SetDefaultStorageVault:
		return "ddl"
	}
	return "other"
}

func ok(affected uint64, err error) (*mysql.Result, error) {
	if err != nil {
		return nil, err
	}
	return &mysql.Result{AffectedRows: affected}, nil
}

func (s *Session) dbName(explicit string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	if s.db == "" {
		return "", errNoDatabase
	}
	return s.db, nil
}

func (s *Session) table(tn ast.TableName) (*catalog.Table, error) {
	db, err := s.dbName(tn.DB)
	if err != nil {
		return nil, err
	}
	return s.shared.Catalog.Table(db, tn.Name)
}

// binderCatalog lets the binder resolve names against this frontend's catalog.
type binderCatalog struct{ c *catalog.Catalog }

func (b binderCatalog) Database(name string) (*catalog.Database, bool) { return b.c.Database(name) }

func (s *Session) query(ctx context.Context, st ast.QueryExpr) (*mysql.Result, error) {
	s.substituteQuery(st)
	q, err := binder.BindQueryWith(s.statsCatalog(ctx), s.db, st, s.bindOptions())
	if err != nil {
		return nil, err
	}
	res := &mysql.Result{}
	for _, c := range q.Columns {
		res.Columns = append(res.Columns, mysql.Column{Name: c.Name, Type: c.Type})
	}
	tables := map[int64]*catalog.Table{}
	lookup := func(id int64) (*catalog.Table, error) {
		if t, ok := tables[id]; ok {
			return t, nil
		}
		for _, name := range s.shared.Catalog.Databases() {
			d, _ := s.shared.Catalog.Database(name)
			for _, t := range d.Tables {
				if t.ID == id {
					tables[id] = t
					return t, nil
				}
			}
		}
		return nil, fmt.Errorf("table %d was dropped while the query was planned", id)
	}
	err = s.shared.Coord.QueryWith(ctx, s.execOptions(), s.group(), q.Fragment, q.ScanPartitions(), lookup, func(b *commonpb.Batch) error {
		res.AppendBatch(b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Session) group() string { return s.vars["compute_group"].str }

func (s *Session) insert(ctx context.Context, st *ast.Insert) (*mysql.Result, error) {
	t, err := s.table(st.Table)
	if err != nil {
		return nil, err
	}
	var names []string
	if len(st.Partitions) > 0 {
		parts, err := binder.Partitions(t, st.Partitions)
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			names = append(names, p.Name)
		}
	}
	rows, err := binder.BindInsertAt(t, st, time.Now().In(s.location()))
	if err != nil {
		return nil, err
	}
	label := ""
	if st.Label != nil {
		label = st.Label.Name
	}
	r, err := s.shared.Coord.LoadInto(ctx, s.group(), t, rows, label, names)
	if err != nil {
		return nil, err
	}
	return &mysql.Result{AffectedRows: uint64(r.Rows),
		Info: fmt.Sprintf("{'label':'%s', 'status':'%s', 'txnId':'%d'}", r.Label, r.Status, r.TxnID)}, nil
}

func (s *Session) showDatabases(st *ast.ShowDatabases) *mysql.Result {
	res := &mysql.Result{Columns: []mysql.Column{{Name: "Database", Type: types.VarcharOf(64)}}}
	for _, n := range s.shared.Catalog.Databases() {
		if st.Like == nil || likeMatch(n, *st.Like) {
			res.AddStrings(n)
		}
	}
	return res
}

func (s *Session) showTables(st *ast.ShowTables) (*mysql.Result, error) {
	name := ""
	if st.DB != nil {
		name = st.DB.Name
	}
	db, err := s.dbName(name)
	if err != nil {
		return nil, err
	}
	d, ok := s.shared.Catalog.Database(db)
	if !ok {
		return nil, &catalog.Error{Kind: catalog.UnknownDatabase, Name: db}
	}
	res := &mysql.Result{Columns: []mysql.Column{{Name: "Tables_in_" + db, Type: types.VarcharOf(64)}}}
	if st.Full {
		res.Columns = append(res.Columns, mysql.Column{Name: "Table_type", Type: types.VarcharOf(64)})
	}
	names := make([]string, 0, len(d.Tables))
	for _, t := range d.Tables {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	for _, n := range names {
		if st.Like != nil && !likeMatch(n, *st.Like) {
			continue
		}
		if st.Full {
			res.AddStrings(n, "BASE TABLE")
		} else {
			res.AddStrings(n)
		}
	}
	return res, nil
}

func (s *Session) describe(tn ast.TableName) (*mysql.Result, error) {
	t, err := s.table(tn)
	if err != nil {
		return nil, err
	}
	res := &mysql.Result{Columns: textColumns("Field", "Type", "Null", "Key", "Default", "Extra")}
	for _, c := range t.Columns {
		if c.Hidden && s.vars["show_hidden_columns"].num == 0 {
			continue
		}
		null := "No"
		if c.Nullable {
			null = "Yes"
		}
		var def []byte
		if c.Default != nil {
			def = []byte(*c.Default)
		}
		res.AddRow([]byte(c.Name), []byte(c.Type.String()), []byte(null), []byte(strconv.FormatBool(c.IsKey)), def, []byte(c.Aggregation))
	}
	return res, nil
}

func (s *Session) showCreateTable(tn ast.TableName) (*mysql.Result, error) {
	t, err := s.table(tn)
	if err != nil {
		return nil, err
	}
	res := &mysql.Result{Columns: textColumns("Table", "Create Table")}
	res.AddStrings(t.Name, CreateTableSQL(t))
	return res, nil
}

func (s *Session) showVariables(st *ast.ShowVariables) *mysql.Result {
	res := &mysql.Result{Columns: textColumns("Variable_name", "Value")}
	for _, n := range sortedNames(s.vars) {
		if st.Like == nil || likeMatch(n, *st.Like) {
			res.AddStrings(n, s.vars[n].String())
		}
	}
	return res
}

func (s *Session) set(st *ast.Set) error {
	for _, it := range st.Items {
		name := strings.ToLower(it.Name)
		if it.Scope == ast.ScopeUser {
			return fmt.Errorf("user variables (@%s) are not supported yet", it.Name)
		}
		old, known := s.vars[name]
		if !known {
			return fmt.Errorf("Unknown system variable '%s'", it.Name)
		}
		var nv variable
		switch v := it.Value.(type) {
		case *ast.Default:
			nv = defaultVariables()[name]
		case *ast.Literal:
			if old.isNum {
				n, err := strconv.ParseInt(v.Value, 10, 64)
				switch {
				case err == nil:
					nv = num(n)
				case strings.EqualFold(v.Value, "true") || strings.EqualFold(v.Value, "on"):
					nv = num(1)
				case strings.EqualFold(v.Value, "false") || strings.EqualFold(v.Value, "off"):
					nv = num(0)
				default:
					return fmt.Errorf("Incorrect argument type to variable '%s': %q", it.Name, v.Value)
				}
			} else {
				nv = str(v.Value)
			}
		case *ast.ColumnRef: // SET autocommit = ON
			w := strings.ToUpper(v.Name)
			switch {
			case old.isNum && (w == "ON" || w == "TRUE"):
				nv = num(1)
			case old.isNum && (w == "OFF" || w == "FALSE"):
				nv = num(0)
			case old.isNum:
				return fmt.Errorf("Incorrect argument type to variable '%s': %q", it.Name, v.Name)
			default:
				nv = str(v.Name)
			}
		default:
			return fmt.Errorf("SET %s: only constant values are supported", it.Name)
		}
		if name == "time_zone" {
			if _, err := types.LoadTimeZone(nv.str); err != nil {
				return err
			}
		}
		s.vars[name] = nv
	}
	return nil
}

func (s *Session) explain(st *ast.Explain) (*mysql.Result, error) {
	qe, isQuery := st.Stmt.(ast.QueryExpr)
	if !isQuery {
		return nil, fmt.Errorf("EXPLAIN supports queries only")
	}
	s.substituteQuery(qe)
	q, err := binder.BindQueryWith(s.statsCatalog(context.Background()), s.db, qe, s.bindOptions())
	if err != nil {
		return nil, err
	}
	res := &mysql.Result{Columns: []mysql.Column{{Name: "Explain String", Type: types.New(types.String)}}}
	text := binder.Explain(q)
	if st.Verbose {
		text = binder.ExplainVerbose(q)
	}
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		res.AddStrings(line)
	}
	return res, nil
}

// textColumns describes a result of string columns (SHOW and DESC output).
func textColumns(names ...string) []mysql.Column {
	cols := make([]mysql.Column, len(names))
	for i, n := range names {
		cols[i] = mysql.Column{Name: n, Type: types.New(types.String)}
	}
	return cols
}
