package exec

import (
	"context"
	"errors"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/planpb"
)

func TestAssertRows(t *testing.T) {
	values := func(n int64) *planpb.PlanNode {
		return &planpb.PlanNode{Node: &planpb.PlanNode_Values{Values: &planpb.ValuesNode{Rows: &commonpb.Batch{NumRows: n}}}}
	}
	for _, tc := range []struct {
		rows, max int64
		fail      bool
	}{{0, 1, false}, {1, 1, false}, {2, 1, true}, {5, 4, true}, {3, 3, false}} {
		n := &planpb.PlanNode{Node: &planpb.PlanNode_AssertRows{AssertRows: &planpb.AssertRowsNode{MaxRows: tc.max, Description: "(SELECT x)"}},
			Children: []*planpb.PlanNode{values(tc.rows)}}
		op, err := Build(n, Env{BatchSize: 1 + int(tc.rows%2)})
		if err != nil {
			t.Fatal(err)
		}
		bs, err := Drain(context.Background(), op)
		var tm *TooManyRowsError
		switch {
		case tc.fail && !errors.As(err, &tm):
			t.Errorf("%d rows, max %d: err %v, want TooManyRowsError", tc.rows, tc.max, err)
		case tc.fail && err.Error() != "Expected LE "+string(rune('0'+tc.max))+" to be returned by expression (SELECT x)":
			t.Errorf("message %q", err)
		case !tc.fail && err != nil:
			t.Errorf("%d rows, max %d: %v", tc.rows, tc.max, err)
		case !tc.fail:
			got := 0
			for _, b := range bs {
				got += b.Len()
			}
			if int64(got) != tc.rows {
				t.Errorf("%d rows passed, want %d", got, tc.rows)
			}
		}
	}
}
