package session

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/coord"
	"github.com/doricdb/doric/frontend/mysql"
)

// loadReply is the OK packet of a statement that loaded rows: affected rows and Doris's info
// string, {'label':'...', 'status':'VISIBLE', 'txnId':'...'}.
func loadReply(r *coord.LoadResult) *mysql.Result {
	return &mysql.Result{AffectedRows: uint64(r.Rows),
		Info: fmt.Sprintf("{'label':'%s', 'status':'%s', 'txnId':'%d'}", r.Label, r.Status, r.TxnID)}
}

// withInsertTimeout bounds a DML statement by the session's insert_timeout.
func (s *Session) withInsertTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if d := s.timeout("insert_timeout"); d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return context.WithCancel(ctx)
}

// runWriteBack runs the query of p, converts its rows into rows of p.Table and loads them in one
// transaction of the given kind. No row: nothing is loaded, no transaction is begun, and the
// reply is "0 rows affected" without an info string (as Doris's INSERT of an empty SELECT).
func (s *Session) runWriteBack(ctx context.Context, kind coord.Kind, p *binder.InsertSelect, label string) (*mysql.Result, error) {
	err := s.shared.Coord.Query(ctx, s.group(), p.Query.Fragment, p.Query.ScanPartitions(), s.tableByID, func(b *commonpb.Batch) error {
		return p.Add(b)
	})
	if err != nil {
		return nil, err
	}
	if p.NumRows() == 0 {
		return &mysql.Result{}, nil
	}
	r, err := s.shared.Coord.LoadAs(ctx, s.group(), kind, p.Table, p.Rows(), label, p.Partitions)
	if err != nil {
		return nil, err
	}
	return loadReply(r), nil
}

// tableByID finds a table of the catalog by id (coord.TableLookup).
func (s *Session) tableByID(id int64) (*catalog.Table, error) {
	for _, name := range s.shared.Catalog.Databases() {
		d, _ := s.shared.Catalog.Database(name)
		for _, t := range d.Tables {
			if t.ID == id {
				return t, nil
			}
		}
	}
	return nil, fmt.Errorf("table %d was dropped while the statement was planned", id)
}

// insertSelect runs INSERT INTO t ... SELECT: the query runs first (it reads one snapshot, so
// INSERT INTO t SELECT ... FROM t reads t as it was), then every row loads in one transaction.
func (s *Session) insertSelect(ctx context.Context, st *ast.Insert) (*mysql.Result, error) {
	t, err := s.table(st.Table)
	if err != nil {
		return nil, err
	}
	if st.Query != nil {
		s.substituteQuery(st.Query)
	} else {
		s.substitute(st.Select)
	}
	p, err := binder.BindInsertSelectWith(binderCatalog{s.shared.Catalog}, s.db, t, st, s.bindOptions())
	if err != nil {
		return nil, err
	}
	label := ""
	if st.Label != nil {
		label = st.Label.Name
	}
	return s.runWriteBack(ctx, coord.KindInsert, p, label)
}

// deleteFrom runs DELETE FROM: a delete predicate on DUPLICATE and AGGREGATE KEY tables (0 rows
// affected, as Doris), tombstones of the matching rows on UNIQUE KEY tables (the rows deleted).
func (s *Session) deleteFrom(ctx context.Context, st *ast.Delete) (*mysql.Result, error) {
	st.Where = s.subst(st.Where)
	d, err := binder.BindDeleteWith(binderCatalog{s.shared.Catalog}, s.db, st, s.bindOptions())
	if err != nil {
		return nil, err
	}
	if d.Rows != nil {
		return s.runWriteBack(ctx, coord.KindDelete, d.Rows, "")
	}
	r, err := s.shared.Coord.DeleteWhere(ctx, s.group(), d.Table, d.Partitions, d.Predicate)
	if err != nil {
		return nil, err
	}
	return loadReply(r), nil
}

// update runs UPDATE on a UNIQUE KEY table: the matching rows, with the SET expressions applied,
// are written back in one transaction; the reply counts them.
func (s *Session) update(ctx context.Context, st *ast.Update) (*mysql.Result, error) {
	for _, a := range st.Set {
		a.Value = s.subst(a.Value)
	}
	st.Where = s.subst(st.Where)
	p, err := binder.BindUpdateWith(binderCatalog{s.shared.Catalog}, s.db, st, s.bindOptions())
	if err != nil {
		return nil, err
	}
	return s.runWriteBack(ctx, coord.KindUpdate, p, "")
}

// showLoadColumns are Doris's SHOW LOAD columns.
var showLoadColumns = []string{"JobId", "Label", "State", "Progress", "Type", "EtlInfo", "TaskInfo", "ErrorMsg",
	"CreateTime", "EtlStartTime", "EtlFinishTime", "LoadStartTime", "LoadFinishTime", "URL", "JobDetails",
	"TransactionId", "ErrorTablets", "User", "Comment"}

// showLoadScan bounds how many transactions SHOW LOAD reads (newest first) when no exact label
// is asked for.
const showLoadScan = 1000

// showLoad answers SHOW LOAD from the Meta Service's transactions of the database (ListTxns):
// one row per load — INSERT (also UPDATE, which Doris runs as an insert job) and stream loads
// (Type STREAM_LOAD: Doris lists those under SHOW STREAM LOAD, but here every load is a txn of
// the same kind, so they are shown rather than hidden). DELETE's transactions are not loads
// (Doris shows them in SHOW DELETE) and are left out. State: FINISHED (VISIBLE), CANCELLED
// (ABORTED; ErrorMsg is the reason), LOADING otherwise. WHERE filters on the result's columns
// (LABEL = 'x', LABEL LIKE 'x%', STATE = 'FINISHED', AND); without ORDER BY rows are in JobId
// order.
func (s *Session) showLoad(ctx context.Context, st *ast.ShowLoad) (*mysql.Result, error) {
	name := ""
	if st.DB != nil {
		name = st.DB.Name
	}
	dbName, err := s.dbName(name)
	if err != nil {
		return nil, err
	}
	d, ok := s.shared.Catalog.Database(dbName)
	if !ok {
		return nil, &catalog.Error{Kind: catalog.UnknownDatabase, Name: dbName}
	}
	txns, err := s.shared.Coord.ListTxns(ctx, d.ID, exactLabel(st.Where), showLoadScan)
	if err != nil {
		return nil, err
	}
	sort.Slice(txns, func(i, j int) bool { return txns[i].GetTxnId() < txns[j].GetTxnId() })
	res := &mysql.Result{Columns: textColumns(showLoadColumns...)}
	for _, t := range txns {
		kind := coord.KindOf(t.GetRequestId())
		if kind == coord.KindDelete {
			continue
		}
		typ := "INSERT"
		if kind == "" {
			typ = "STREAM_LOAD"
		}
		state, progress := "LOADING", "0.00% (0/1)"
		var errMsg, finish []byte
		switch t.GetStatus() {
		case metapb.TxnStatus_TXN_VISIBLE:
			state, progress = "FINISHED", "100.00% (1/1)"
			finish = s.showTime(t.GetCommitTimeMs())
		case metapb.TxnStatus_TXN_ABORTED:
			state = "CANCELLED"
			errMsg = []byte(t.GetReason())
			finish = s.showTime(t.GetCommitTimeMs())
		}
		created := s.showTime(t.GetPrepareTimeMs())
		id := []byte(strconv.FormatInt(t.GetTxnId(), 10))
		task := fmt.Sprintf("cluster:N/A; timeout(s):%d; max_filter_ratio:0.0", t.GetTimeoutMs()/1000)
		res.AddRow(id, []byte(t.GetLabel()), []byte(state), []byte(progress), []byte(typ), nil, []byte(task), errMsg,
			created, created, created, created, finish, nil, []byte("{}"), id, []byte("{}"), []byte(""), []byte(""))
	}
	if err := applyShowClauses(res, "SHOW LOAD", st.Where, st.OrderBy, st.Limit); err != nil {
		return nil, err
	}
	return res, nil
}

// exactLabel is x of a WHERE that requires LABEL = 'x' (alone or in an AND); "" otherwise.
func exactLabel(e ast.Expr) string {
	b, ok := e.(*ast.BinaryExpr)
	if !ok {
		return ""
	}
	if b.Op == ast.OpAnd {
		if l := exactLabel(b.L); l != "" {
			return l
		}
		return exactLabel(b.R)
	}
	c, isCol := b.L.(*ast.ColumnRef)
	lit, isLit := b.R.(*ast.Literal)
	if b.Op == ast.OpEq && isCol && isLit && c.Table == "" && strings.EqualFold(c.Name, "label") && lit.Kind == ast.LitString {
		return lit.Value
	}
	return ""
}

// showTime formats an instant in ms as SHOW statements do (session time zone); NULL for 0.
func (s *Session) showTime(ms int64) []byte {
	if ms <= 0 {
		return nil
	}
	return []byte(time.UnixMilli(ms).In(s.location()).Format("2006-01-02 15:04:05"))
}

// bindOptions are the session's settings the binder needs.
func (s *Session) bindOptions() binder.QueryOptions {
	return binder.QueryOptions{Location: s.location()}
}

// location is the session's time zone (SET accepted it, so it loads; UTC if it stopped loading).
func (s *Session) location() *time.Location {
	loc, err := types.LoadTimeZone(s.vars["time_zone"].str)
	if err != nil {
		return time.UTC
	}
	return loc
}
