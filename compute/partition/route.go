package partition

import (
	"fmt"
	"sort"
	"strings"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Router maps rows to partitions. Build it once per load (NewRouter) and route every batch
// through it; it is read-only and safe for concurrent use.
type Router struct {
	spec Spec
	n    int // partitions
	// RANGE: the ranges sorted by lower bound, with the partition index of each.
	ranges []rangeOf
	index  []int
	open   []bool // the range is unbounded below
	// fast path for one partition column held as int64: bounds as int64 with open ends.
	fast           bool
	lo, hi         []int64
	loOpen, hiOpen []bool // unbounded below / above
	// LIST: encoded key → partition index; with one partition column, its values (int64 or
	// bytes) → partition index, and the partition of NULL (-1: none).
	list      map[string]int
	listInt   map[int64]int
	listBytes map[string]int
	listNull  int
}

// NewRouter builds a router over the partitions' bounds (index i of the result is bounds[i]).
func NewRouter(s Spec, bounds []*Bounds) (*Router, error) {
	r := &Router{spec: s, n: len(bounds)}
	if s.Kind == List {
		r.list, r.listNull = map[string]int{}, -1
		one := len(s.Types) == 1 && s.Types[0].Kind != types.Char
		if one && s.Types[0].Physical() == types.PhysInt64 {
			r.listInt = map[int64]int{}
		} else if one && s.Types[0].Physical() == types.PhysBytes {
			r.listBytes = map[string]int{}
		}
		for i, b := range bounds {
			for _, k := range b.In {
				t, err := s.decodeKey(k)
				if err != nil {
					return nil, err
				}
				r.list[s.encode(t)] = i
				switch {
				case len(t) == 1 && t[0].null:
					r.listNull = i
				case r.listInt != nil:
					r.listInt[t[0].i] = i
				case r.listBytes != nil:
					r.listBytes[string(t[0].b)] = i
				}
			}
		}
		return r, nil
	}
	ranges, err := s.decodeRanges(bounds)
	if err != nil {
		return nil, err
	}
	pos := map[*Bounds]int{}
	for i, b := range bounds {
		pos[b] = i
	}
	r.ranges = ranges
	for _, rg := range ranges {
		r.index = append(r.index, pos[rg.b])
		r.open = append(r.open, s.isMin(rg.lower))
	}
	if len(s.Types) == 1 && s.Types[0].Physical() == types.PhysInt64 {
		r.fast = true
		for _, rg := range ranges {
			r.lo = append(r.lo, rg.lower[0].i)
			r.hi = append(r.hi, rg.upper[0].i)
			r.loOpen = append(r.loOpen, s.isMin(rg.lower))
			r.hiOpen = append(r.hiOpen, rg.upper[0].max)
		}
	}
	return r, nil
}

// encode is a map key for a decoded list key.
func (s Spec) encode(t tuple) string {
	var b strings.Builder
	for i, d := range t {
		switch {
		case d.null:
			b.WriteString("N|")
		case s.Types[i].Kind == types.Char:
			fmt.Fprintf(&b, "V%q|", strings.TrimRight(string(d.b), " "))
		default:
			fmt.Fprintf(&b, "V%q|", format(s.Types[i], d))
		}
	}
	return b.String()
}

// Route sets out[i] to the partition (index into the bounds given to NewRouter) that row i of
// cols takes, or -1 when none does. cols are the partition columns' vectors, in partition column
// order and of the partition columns' types; they hold n rows (no selection).
func (r *Router) Route(cols []*vector.Vector, n int, out []int32) {
	switch {
	case r.fast:
		r.routeFast(cols[0], n, out)
		return
	case r.listInt != nil || r.listBytes != nil:
		v := cols[0]
		for i := range n {
			p, ok := r.listNull, true
			switch {
			case v.IsNull(i):
			case r.listInt != nil:
				p, ok = r.listInt[v.Int64[i]]
			default:
				p, ok = r.listBytes[string(v.Bytes[i])]
			}
			if !ok {
				p = -1
			}
			out[i] = int32(p)
		}
		return
	}
	row := make(tuple, len(cols))
	for i := range n {
		for c, v := range cols {
			row[c] = datumAt(v, i)
		}
		out[i] = int32(r.find(row))
	}
}

func datumAt(v *vector.Vector, i int) datum {
	if v.IsNull(i) {
		return datum{null: true}
	}
	switch v.Type.Physical() {
	case types.PhysInt128:
		return datum{w: v.Int128[i]}
	case types.PhysBytes:
		return datum{b: v.Bytes[i]}
	}
	return datum{i: v.Int64[i]}
}

func (r *Router) routeFast(v *vector.Vector, n int, out []int32) {
	nr := len(r.lo)
	for i := range n {
		out[i] = -1
		if nr == 0 {
			continue
		}
		if v.IsNull(i) {
			if r.loOpen[0] {
				out[i] = int32(r.index[0])
			}
			continue
		}
		x := v.Int64[i]
		// k: the first range whose upper bound is above x.
		k, hi := 0, nr
		for k < hi {
			m := int(uint(k+hi) >> 1)
			if r.hiOpen[m] || r.hi[m] > x {
				hi = m
			} else {
				k = m + 1
			}
		}
		if k < nr && (r.loOpen[k] || r.lo[k] <= x) {
			out[i] = int32(r.index[k])
		}
	}
}

// find returns the partition of one decoded row key, or -1.
func (r *Router) find(row tuple) int {
	s := r.spec
	if s.Kind == List {
		if i, ok := r.list[s.encode(row)]; ok {
			return i
		}
		return -1
	}
	k := sort.Search(len(r.ranges), func(j int) bool { return s.compareTuples(r.ranges[j].upper, row) > 0 })
	if k == len(r.ranges) {
		return -1
	}
	if r.open[k] || s.compareTuples(r.ranges[k].lower, row) <= 0 {
		return r.index[k]
	}
	return -1
}

// Locate returns the partition a row with these partition column values takes (each value as a
// user writes it; Null for NULL), or -1 when none does.
func (r *Router) Locate(values []Value) (int, error) {
	if len(values) != len(r.spec.Types) {
		return -1, fmt.Errorf("BUG: %d values for %d partition columns", len(values), len(r.spec.Types))
	}
	row := make(tuple, len(values))
	for i, v := range values {
		d, err := decode(r.spec.Types[i], v)
		if err != nil {
			return -1, err
		}
		row[i] = d
	}
	if r.fast {
		v := vector.New(r.spec.Types[0], 1)
		if row[0].null {
			v.SetNull(0)
		} else {
			v.Int64[0] = row[0].i
		}
		out := []int32{0}
		r.routeFast(v, 1, out)
		return int(out[0]), nil
	}
	return r.find(row), nil
}

// NoPartitionError is a row that no partition of the table takes (or none of the partitions a
// load is restricted to).
type NoPartitionError struct {
	Row     int      // 1-based row of the load
	Columns []string // partition columns
	Values  []string // the row's values of them, as text; "NULL" for NULL
	Nulls   []bool
	// Partitions is the restriction the load had (INSERT ... PARTITION (...)); empty: none.
	Partitions []string
}

func (e *NoPartitionError) Error() string {
	vals := make([]string, len(e.Values))
	for i, v := range e.Values {
		if i < len(e.Nulls) && e.Nulls[i] {
			vals[i] = "NULL"
		} else {
			vals[i] = "'" + v + "'"
		}
	}
	val, cols := vals[0], "column '"+e.Columns[0]+"'"
	if len(vals) > 1 {
		val = "(" + strings.Join(vals, ", ") + ")"
		cols = "columns '" + strings.Join(e.Columns, "', '") + "'"
	}
	msg := fmt.Sprintf("no partition for value %s of %s at row %d", val, cols, e.Row)
	if len(e.Partitions) > 0 {
		msg += " in partitions " + strings.Join(e.Partitions, ", ")
	}
	return msg
}

// RowError builds the NoPartitionError of row i (0-based) of cols.
func RowError(columns []string, cols []*vector.Vector, i int) *NoPartitionError {
	e := &NoPartitionError{Row: i + 1, Columns: columns}
	for _, v := range cols {
		e.Values = append(e.Values, v.Format(i))
		e.Nulls = append(e.Nulls, v.IsNull(i))
	}
	return e
}
