package exec

import (
	"context"
	"fmt"

	"github.com/doricdb/doric/api/planpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// TooManyRowsError is the failure of an AssertRows node: its input had more rows than allowed
// (a scalar subquery that returned more than one row). The message is Doris's.
type TooManyRowsError struct {
	Max         int64
	Description string
}

func (e *TooManyRowsError) Error() string {
	return fmt.Sprintf("Expected LE %d to be returned by expression %s", e.Max, e.Description)
}

// assertRows passes its input through and fails once more than max rows have passed.
type assertRows struct {
	child Operator
	max   int64
	desc  string
	seen  int64
}

func newAssertRows(child Operator, n *planpb.AssertRowsNode) (Operator, error) {
	if n.GetMaxRows() < 0 {
		return nil, badPlan("assert rows: max_rows %d", n.GetMaxRows())
	}
	return &assertRows{child: child, max: n.GetMaxRows(), desc: n.GetDescription()}, nil
}

func (a *assertRows) Types() []types.T { return a.child.Types() }

func (a *assertRows) Open(ctx context.Context) error {
	a.seen = 0
	return a.child.Open(ctx)
}

func (a *assertRows) Close() error { return a.child.Close() }

func (a *assertRows) Next(ctx context.Context) (*vector.Batch, error) {
	b, err := a.child.Next(ctx)
	if err != nil || b == nil {
		return b, err
	}
	a.seen += int64(b.Len())
	if a.seen > a.max {
		return nil, &TooManyRowsError{Max: a.max, Description: a.desc}
	}
	return b, nil
}
