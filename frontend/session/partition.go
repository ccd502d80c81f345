package session

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/mysql"
)

func (s *Session) alterTable(ctx context.Context, st *ast.AlterTable) (*mysql.Result, error) {
	db, err := s.dbName(st.Table.DB)
	if err != nil {
		return nil, err
	}
	switch op := st.Op.(type) {
	case *ast.AddPartition:
		return ok(0, s.shared.DDL.AddPartition(ctx, db, st.Table.Name, op))
	case *ast.DropPartition:
		return ok(0, s.shared.DDL.DropPartition(ctx, db, st.Table.Name, op))
	case *ast.Compact:
		return s.compact(ctx, st, op)
	}
	return nil, fmt.Errorf("ALTER TABLE %T is not supported yet", st.Op)
}

// showPartitionsColumns are Doris's SHOW PARTITIONS columns.
var showPartitionsColumns = []string{"PartitionId", "PartitionName", "VisibleVersion", "VisibleVersionTime", "State",
	"PartitionKey", "Range", "DistributionKey", "Buckets", "ReplicationNum", "StorageMedium", "CooldownTime",
	"RemoteStoragePolicy", "LastConsistencyCheckTime", "DataSize", "IsInMemory", "ReplicaAllocation", "IsMutable",
	"SyncWithBaseTables", "UnsyncTables", "CommittedVersion", "RowCount"}

// showPartitions answers SHOW PARTITIONS FROM t with Doris's columns: versions from the Meta
// Service, sizes and row counts from its tablet statistics; the columns that describe
// replicas, storage media and cooling (which the decoupled architecture does not have) show what
// Doris shows in that mode. Range and list partitions are listed in key order.
func (s *Session) showPartitions(ctx context.Context, st *ast.ShowPartitions) (*mysql.Result, error) {
	t, err := s.table(st.Table)
	if err != nil {
		return nil, err
	}
	versions, err := s.shared.Coord.PartitionVersions(ctx, t)
	if err != nil {
		return nil, err
	}
	var tablets []int64
	for _, p := range t.Partitions {
		tablets = append(tablets, p.Tablets...)
	}
	stats, err := s.shared.Coord.TabletStats(ctx, tablets)
	if err != nil {
		return nil, err
	}
	order := make([]int, len(t.Partitions))
	for i := range order {
		order[i] = i
	}
	var spec partition.Spec
	key := ""
	if t.Partitioning != nil {
		if spec, _, err = t.PartitionSpec(); err != nil {
			return nil, err
		}
		order = spec.SortRanges(t.Bounds())
		key = strings.Join(t.Partitioning.Columns, ", ")
	}
	dist := "RANDOM"
	if len(t.Distribution.Columns) > 0 {
		dist = strings.Join(t.Distribution.Columns, ", ")
	}
	res := &mysql.Result{Columns: textColumns(showPartitionsColumns...)}
	for _, i := range order {
		p := t.Partitions[i]
		var size, rows int64
		for _, id := range p.Tablets {
			size += stats[id].GetDataSize()
			rows += stats[id].GetNumRows()
		}
		v := strconv.FormatInt(versions[p.ID], 10)
		rangeText := ""
		if t.Partitioning != nil {
			rangeText = spec.RangeString(p.Bounds)
		}
		res.AddStrings(strconv.FormatInt(p.ID, 10), p.Name, v, "NULL", "NORMAL", key, rangeText, dist,
			strconv.Itoa(len(p.Tablets)), "1", "HDD", "9999-12-31 23:59:59", "", "NULL", readableSize(size), "false",
			"tag.location.default: 1", "true", "true", "NULL", v, strconv.FormatInt(rows, 10))
	}
	return res, applyShowClauses(res, "SHOW PARTITIONS", st.Where, st.OrderBy, st.Limit)
}

// readableSize renders bytes as Doris's DebugUtil.getByteUint with three decimals: "0.000 ",
// "512.000 B", "1.500 KB", ...
func readableSize(n int64) string {
	v, unit := float64(n), ""
	const kb, mb, gb, tb = 1 << 10, 1 << 20, 1 << 30, 1 << 40
	switch {
	case n == 0:
	case n > tb:
		v, unit = v/tb, "TB"
	case n > gb:
		v, unit = v/gb, "GB"
	case n > mb:
		v, unit = v/mb, "MB"
	case n > kb:
		v, unit = v/kb, "KB"
	default:
		unit = "B"
	}
	return strconv.FormatFloat(v, 'f', 3, 64) + " " + unit
}

// showTabletsColumns are the columns of Doris's SHOW TABLETS FROM that apply to a tablet of the
// decoupled architecture (one copy, in the vault), plus the partition it belongs to.
var showTabletsColumns = []string{"TabletId", "PartitionId", "PartitionName", "BackendId", "Version", "LocalDataSize",
	"RemoteDataSize", "RowCount", "State", "VisibleVersionCount", "VersionCount"}

// showTablets answers SHOW TABLETS FROM t [PARTITION (...)]: one row per tablet, by tablet id.
// BackendId is the compute node of the session's compute group that owns the tablet ("-1" when
// the group has no running node); Version is its partition's visible version; sizes, rows and
// rowset counts come from the Meta Service's tablet statistics.
func (s *Session) showTablets(ctx context.Context, st *ast.ShowTablets) (*mysql.Result, error) {
	t, err := s.table(st.Table)
	if err != nil {
		return nil, err
	}
	parts := make([]*catalog.Partition, len(t.Partitions))
	for i := range t.Partitions {
		parts[i] = &t.Partitions[i]
	}
	if len(st.Partitions) > 0 {
		if parts, err = binder.Partitions(t, st.Partitions); err != nil {
			return nil, err
		}
	}
	versions, err := s.shared.Coord.PartitionVersions(ctx, t)
	if err != nil {
		return nil, err
	}
	type row struct {
		tablet int64
		p      *catalog.Partition
	}
	var rows []row
	var ids []int64
	for _, p := range parts {
		for _, id := range p.Tablets {
			rows = append(rows, row{id, p})
			ids = append(ids, id)
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].tablet < rows[j].tablet })
	stats, err := s.shared.Coord.TabletStats(ctx, ids)
	if err != nil {
		return nil, err
	}
	owners := s.shared.Coord.Owners(ctx, s.group(), ids)
	res := &mysql.Result{Columns: textColumns(showTabletsColumns...)}
	for _, r := range rows {
		st := stats[r.tablet]
		owner, ok := owners[r.tablet]
		if !ok {
			owner = "-1"
		}
		n := strconv.FormatInt(st.GetNumRowsets(), 10)
		res.AddStrings(strconv.FormatInt(r.tablet, 10), strconv.FormatInt(r.p.ID, 10), r.p.Name, owner,
			strconv.FormatInt(versions[r.p.ID], 10), "0", strconv.FormatInt(st.GetDataSize(), 10),
			strconv.FormatInt(st.GetNumRows(), 10), "NORMAL", n, n)
	}
	return res, nil
}

// applyShowClauses filters, orders and limits the rows of a SHOW result in place, as Doris's
// SHOW PARTITIONS does: WHERE takes comparisons (=, !=, <, <=, >, >=, LIKE) of a column with a
// constant joined by AND; values compare as numbers when both sides are numbers, as text
// otherwise.
func applyShowClauses(res *mysql.Result, what string, where ast.Expr, orderBy []*ast.OrderItem, limit *ast.Limit) error {
	col := func(e ast.Expr) (int, error) {
		c, ok := e.(*ast.ColumnRef)
		if !ok || c.Table != "" {
			return 0, fmt.Errorf("%s: only a column of the result can be filtered or ordered on, got %s", what, ast.Format(e))
		}
		for i, rc := range res.Columns {
			if strings.EqualFold(rc.Name, c.Name) {
				return i, nil
			}
		}
		return 0, fmt.Errorf("%s: unknown column '%s'", what, c.Name)
	}
	var keep func(e ast.Expr, row [][]byte) (bool, error)
	keep = func(e ast.Expr, row [][]byte) (bool, error) {
		switch x := e.(type) {
		case *ast.BinaryExpr:
			if x.Op == ast.OpAnd {
				l, err := keep(x.L, row)
				if err != nil || !l {
					return false, err
				}
				return keep(x.R, row)
			}
			i, err := col(x.L)
			if err != nil {
				return false, err
			}
			lit, ok := x.R.(*ast.Literal)
			if !ok {
				return false, fmt.Errorf("%s: compare a column with a constant, got %s", what, ast.Format(x.R))
			}
			c := compareShow(string(row[i]), lit.Value)
			switch x.Op {
			case ast.OpEq, ast.OpNullSafeEq:
				return c == 0, nil
			case ast.OpNe:
				return c != 0, nil
			case ast.OpLt:
				return c < 0, nil
			case ast.OpLe:
				return c <= 0, nil
			case ast.OpGt:
				return c > 0, nil
			case ast.OpGe:
				return c >= 0, nil
			}
		case *ast.LikeExpr:
			i, err := col(x.X)
			if err != nil {
				return false, err
			}
			lit, ok := x.Pattern.(*ast.Literal)
			if !ok {
				return false, fmt.Errorf("%s: LIKE takes a constant pattern", what)
			}
			return likeMatch(string(row[i]), lit.Value) != x.Not, nil
		}
		return false, fmt.Errorf("%s: WHERE supports comparisons of a column with a constant joined by AND, got %s", what, ast.Format(e))
	}
	if where != nil {
		kept := res.Rows[:0]
		for _, row := range res.Rows {
			ok, err := keep(where, row)
			if err != nil {
				return err
			}
			if ok {
				kept = append(kept, row)
			}
		}
		res.Rows = kept
	}
	if len(orderBy) > 0 {
		idx := make([]int, len(orderBy))
		for k, o := range orderBy {
			i, err := col(o.Expr)
			if err != nil {
				return err
			}
			idx[k] = i
		}
		sort.SliceStable(res.Rows, func(a, b int) bool {
			for k, o := range orderBy {
				c := compareShow(string(res.Rows[a][idx[k]]), string(res.Rows[b][idx[k]]))
				if o.Desc {
					c = -c
				}
				if c != 0 {
					return c < 0
				}
			}
			return false
		})
	}
	if limit != nil {
		lo := min(int(limit.Offset), len(res.Rows))
		hi := min(lo+int(limit.Count), len(res.Rows))
		res.Rows = res.Rows[lo:hi]
	}
	return nil
}

func compareShow(a, b string) int {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	switch {
	case errA == nil && errB == nil && x < y:
		return -1
	case errA == nil && errB == nil && x > y:
		return 1
	case errA == nil && errB == nil:
		return 0
	}
	return strings.Compare(a, b)
}
