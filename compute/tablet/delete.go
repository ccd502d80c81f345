package tablet

import (
	"fmt"
	"strings"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/segment/index"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// DeletePredicate is a compiled commonpb.DeletePredicate (DELETE FROM on DUPLICATE and
// AGGREGATE tables): a row is deleted when every condition holds. Conditions follow
// commonpb.DeleteCondition: the comparisons and IN hold only for non-NULL values (a NULL never
// matches them, nor NOT IN / !=), IS NULL and IS NOT NULL test for NULL; the literal values are
// cast to the column's type when compiled. Immutable; safe for concurrent use.
type DeletePredicate struct {
	conds []deleteCond
}

type deleteCond struct {
	uid  int32
	name string
	t    types.T
	op   string
	vals []index.Value // normalized
}

// CompileDeletePredicate compiles p against schema (columns are found by unique id). A condition
// on an unknown column, an unknown operator or a value that is not a valid literal of the
// column's type is an error.
func CompileDeletePredicate(schema *commonpb.TabletSchema, p *commonpb.DeletePredicate) (*DeletePredicate, error) {
	byID := map[int32]*commonpb.Column{}
	for _, c := range schema.GetColumns() {
		byID[c.GetUniqueId()] = c
	}
	out := &DeletePredicate{}
	for _, c := range p.GetConditions() {
		col, ok := byID[c.GetColumnUniqueId()]
		if !ok {
			return nil, fmt.Errorf("delete condition on column %q: no column with unique id %d", c.GetColumnName(), c.GetColumnUniqueId())
		}
		d := deleteCond{uid: col.GetUniqueId(), name: col.GetName(), t: types.FromProto(col.GetType()), op: strings.ToUpper(strings.TrimSpace(c.GetOp()))}
		want := -1 // any number >= 1
		switch d.op {
		case "=", "!=", "<", "<=", ">", ">=":
			want = 1
		case "IN", "NOT IN":
		case "IS NULL", "IS NOT NULL":
			want = 0
		default:
			return nil, fmt.Errorf("delete condition on column %q: unknown operator %q", d.name, c.GetOp())
		}
		if (want >= 0 && len(c.GetValues()) != want) || (want < 0 && len(c.GetValues()) == 0) {
			return nil, fmt.Errorf("delete condition %s %s: %d values", d.name, d.op, len(c.GetValues()))
		}
		if len(c.GetValues()) > 0 {
			text := vector.New(types.New(types.String), len(c.GetValues()))
			for i, s := range c.GetValues() {
				text.Bytes[i] = []byte(s)
			}
			rows := vector.Identity(nil, len(c.GetValues()))
			v := expr.Cast(text, rows, d.t)
			for i, s := range c.GetValues() {
				if v.IsNull(i) {
					return nil, fmt.Errorf("delete condition on column %q: %q is not a valid %s", d.name, s, d.t)
				}
				d.vals = append(d.vals, index.Normalize(d.t, index.ValueAt(v, i)))
			}
		}
		out.conds = append(out.conds, d)
	}
	return out, nil
}

// Columns are the unique ids of the columns the predicate reads.
func (p *DeletePredicate) Columns() []int32 {
	var out []int32
	for _, c := range p.conds {
		out = append(out, c.uid)
	}
	return out
}

// Match sets deleted[i] for every row i < n that the predicate deletes (rows already set stay
// set). col returns the vector of a column by unique id (as Columns lists them), with at least n
// rows of the column's type.
func (p *DeletePredicate) Match(col func(uniqueID int32) *vector.Vector, n int, deleted []bool) {
	if len(p.conds) == 0 {
		return
	}
	hold := make([]bool, n)
	for i := range hold {
		hold[i] = true
	}
	for _, c := range p.conds {
		v := col(c.uid)
		for i := range n {
			if hold[i] && !c.holds(v, i) {
				hold[i] = false
			}
		}
	}
	for i, h := range hold {
		if h {
			deleted[i] = true
		}
	}
}

func (c *deleteCond) holds(v *vector.Vector, i int) bool {
	null := v.IsNull(i)
	switch c.op {
	case "IS NULL":
		return null
	case "IS NOT NULL":
		return !null
	}
	if null {
		return false
	}
	x := index.Normalize(c.t, index.ValueAt(v, i))
	switch c.op {
	case "IN", "NOT IN":
		in := false
		for _, w := range c.vals {
			if index.Compare(c.t, x, w) == 0 {
				in = true
				break
			}
		}
		return in == (c.op == "IN")
	}
	d := index.Compare(c.t, x, c.vals[0])
	switch c.op {
	case "=":
		return d == 0
	case "!=":
		return d != 0
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	case ">":
		return d > 0
	}
	return d >= 0 // ">="
}
