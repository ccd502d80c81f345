package session

import (
	"context"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/mysql"
)

// compact runs ALTER TABLE t [CUMULATIVE | BASE] COMPACT: the compute nodes that own the table's
// tablets compact them, and the statement returns when they are done (full compaction without a
// kind). Versions and contents do not change; the tablets' rowset counts drop.
func (s *Session) compact(ctx context.Context, st *ast.AlterTable, op *ast.Compact) (*mysql.Result, error) {
	t, err := s.table(st.Table)
	if err != nil {
		return nil, err
	}
	kind := metapb.CompactionType_COMPACTION_FULL
	switch op.Kind {
	case "CUMULATIVE":
		kind = metapb.CompactionType_COMPACTION_CUMULATIVE
	case "BASE":
		kind = metapb.CompactionType_COMPACTION_BASE
	}
	return ok(0, s.shared.Coord.Compact(ctx, s.group(), t, kind))
}
