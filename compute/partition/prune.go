package partition

import (
	"github.com/doricdb/doric/compute/types"
)

// Op is the operator of a pruning condition.
type Op uint8

// The operators. Unknown stands for a predicate pruning cannot use: it may be true anywhere.
const (
	Unknown Op = iota
	And
	Or
	Eq     // column = value
	Lt     // column < value
	Le     // column <= value
	Gt     // column > value
	Ge     // column >= value
	In     // column IN (values)
	IsNull // column IS NULL
)

// Cond is a predicate over partition columns, as pruning sees a query's WHERE clause: And/Or of
// Args, or a comparison of partition column Col (an index into the Spec's columns) with Values
// (canonical text of the column's type; one value except for In).
type Cond struct {
	Op     Op
	Col    int
	Values []string
	Args   []*Cond
}

// Prune reports, for each partition, whether a row satisfying c may be in it (false only when
// none can be). A range partition is judged by its first column's span; a list partition by its
// keys. A value that does not decode for its column makes its condition Unknown.
func (s Spec) Prune(bounds []*Bounds, c *Cond) []bool {
	out := make([]bool, len(bounds))
	for i, b := range bounds {
		out[i] = true
		if c == nil || b == nil {
			continue
		}
		if s.Kind == List {
			out[i] = false
			for _, k := range b.In {
				t, err := s.decodeKey(k)
				if err != nil || s.holds(c, t) {
					out[i] = true
					break
				}
			}
			continue
		}
		lo, err1 := s.decodeKey(b.Lower)
		hi, err2 := s.decodeKey(b.Upper)
		if err1 != nil || err2 != nil {
			continue
		}
		sp := span{lo: lo[0], hi: hi[0], loOpen: s.isMin(lo), hiClosed: !s.isMin(append(tuple{minDatum(s.Types[0])}, hi[1:]...))}
		out[i] = s.mayMatch(c, sp)
	}
	return out
}

// holds evaluates c on one list key (Unknown and undecodable values count as true).
func (s Spec) holds(c *Cond, k tuple) bool {
	switch c.Op {
	case And:
		for _, a := range c.Args {
			if !s.holds(a, k) {
				return false
			}
		}
		return true
	case Or:
		for _, a := range c.Args {
			if s.holds(a, k) {
				return true
			}
		}
		return false
	case Unknown:
		return true
	}
	if c.Col < 0 || c.Col >= len(k) {
		return true
	}
	t, x := s.Types[c.Col], k[c.Col]
	if c.Op == IsNull {
		return x.null
	}
	if x.null {
		return false // a comparison with NULL is never true
	}
	for _, text := range c.Values {
		v, err := parse(t, text)
		if err != nil {
			return true
		}
		r := compare(t, x, v)
		switch c.Op {
		case Eq, In:
			if r == 0 {
				return true
			}
		case Lt:
			return r < 0
		case Le:
			return r <= 0
		case Gt:
			return r > 0
		case Ge:
			return r >= 0
		}
	}
	return false
}

// span is the values of the first partition column a range partition may hold: from lo
// (unbounded below when loOpen, which also admits NULL) to hi, inclusive when hiClosed.
type span struct {
	lo, hi           datum
	loOpen, hiClosed bool
}

// interval is a set of values of one column that a conjunction allows: [lo, hi] with open or
// missing ends, or the points of an IN list; null when only NULL qualifies.
type interval struct {
	lo, hi         *datum
	loIncl, hiIncl bool
	points         []datum // nil: not a point set
	null           bool    // IS NULL
	empty          bool
}

func (s Spec) mayMatch(c *Cond, sp span) bool {
	switch c.Op {
	case Or:
		for _, a := range c.Args {
			if s.mayMatch(a, sp) {
				return true
			}
		}
		return false
	case And:
		// Comparisons of the first column intersect into one interval; anything else is judged
		// on its own.
		iv := interval{}
		for _, a := range c.Args {
			if isLeaf(a) && a.Col == 0 {
				s.narrow(&iv, a) // an undecodable value leaves iv as it was
				continue
			}
			if !s.mayMatch(a, sp) {
				return false
			}
		}
		return s.overlaps(iv, sp)
	case Unknown:
		return true
	}
	if c.Col != 0 {
		return true
	}
	iv := interval{}
	s.narrow(&iv, c)
	return s.overlaps(iv, sp)
}

func isLeaf(c *Cond) bool { return c.Op >= Eq }

// narrow intersects iv with the leaf condition c on the first column; it returns false (leaving
// iv as it was) when a value does not decode.
func (s Spec) narrow(iv *interval, c *Cond) bool {
	t := s.Types[0]
	if c.Op == IsNull {
		iv.null = true
		return true
	}
	vals := make([]datum, 0, len(c.Values))
	for _, text := range c.Values {
		v, err := parse(t, text)
		if err != nil {
			return false
		}
		vals = append(vals, v)
	}
	if len(vals) == 0 {
		iv.empty = true
		return true
	}
	raise := func(v datum, incl bool) {
		if iv.lo == nil || compare(t, v, *iv.lo) > 0 || compare(t, v, *iv.lo) == 0 && !incl {
			iv.lo, iv.loIncl = &v, incl
		}
	}
	lower := func(v datum, incl bool) {
		if iv.hi == nil || compare(t, v, *iv.hi) < 0 || compare(t, v, *iv.hi) == 0 && !incl {
			iv.hi, iv.hiIncl = &v, incl
		}
	}
	switch c.Op {
	case Eq, In:
		if iv.points == nil {
			iv.points = vals
		} else {
			var keep []datum
			for _, p := range iv.points {
				for _, v := range vals {
					if compare(t, p, v) == 0 {
						keep = append(keep, p)
						break
					}
				}
			}
			iv.points = keep
			if len(keep) == 0 {
				iv.empty = true
			}
		}
	case Lt:
		lower(vals[0], false)
	case Le:
		lower(vals[0], true)
	case Gt:
		raise(vals[0], false)
	case Ge:
		raise(vals[0], true)
	}
	return true
}

// overlaps reports whether a value of iv may lie in sp.
func (s Spec) overlaps(iv interval, sp span) bool {
	t := s.Types[0]
	if iv.empty {
		return false
	}
	if iv.null {
		// NULL satisfies IS NULL and nothing else; it lives in the partition open below.
		return sp.loOpen && iv.points == nil && iv.lo == nil && iv.hi == nil
	}
	inSpan := func(v datum) bool {
		if !sp.loOpen && compare(t, v, sp.lo) < 0 {
			return false
		}
		r := compare(t, v, sp.hi)
		return r < 0 || r == 0 && sp.hiClosed
	}
	inIv := func(v datum) bool {
		if iv.lo != nil {
			if r := compare(t, v, *iv.lo); r < 0 || r == 0 && !iv.loIncl {
				return false
			}
		}
		if iv.hi != nil {
			if r := compare(t, v, *iv.hi); r > 0 || r == 0 && !iv.hiIncl {
				return false
			}
		}
		return true
	}
	if iv.points != nil {
		for _, p := range iv.points {
			if inIv(p) && inSpan(p) {
				return true
			}
		}
		return false
	}
	// The lowest value both allow: max(iv.lo, sp.lo); then it must be below both upper ends.
	lo, loIncl := sp.lo, true
	if sp.loOpen {
		lo = minDatum(t)
	}
	if iv.lo != nil {
		if r := compare(t, *iv.lo, lo); r > 0 || r == 0 && !iv.loIncl {
			lo, loIncl = *iv.lo, iv.loIncl
		}
	}
	if !loIncl {
		// For discrete types the lowest value above lo is lo+1.
		next, ok := successor(t, lo)
		if !ok {
			return false
		}
		lo = next
	}
	if r := compare(t, lo, sp.hi); r > 0 || r == 0 && !sp.hiClosed {
		return false
	}
	if iv.hi != nil {
		if r := compare(t, lo, *iv.hi); r > 0 || r == 0 && !iv.hiIncl {
			return false
		}
	}
	return true
}

// successor is the smallest value of t above d (every partition column type is discrete:
// integers, days, microseconds; strings get d + "\x00").
func successor(t types.T, d datum) (datum, bool) {
	switch {
	case d.max:
		return d, false
	case t.Physical() == types.PhysInt128:
		if d.w == (types.Int128{Hi: 1<<63 - 1, Lo: 1<<64 - 1}) {
			return d, false
		}
		return datum{w: d.w.Add(types.I128(1))}, true
	case t.Physical() == types.PhysBytes:
		return datum{b: append(append([]byte(nil), d.b...), 0)}, true
	}
	_, hi := types.IntegerRange(t.Kind)
	if t.IsTemporal() {
		hi = 1<<63 - 1
	}
	if d.i == hi {
		return d, false
	}
	return datum{i: d.i + 1}, true
}
