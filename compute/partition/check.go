package partition

import (
	"sort"
	"strings"
)

// Doris prefixes the checks' messages with these (the colon is a full-width one, as Doris's).
const (
	rangePrefix = "Invalid range value format： "
	listPrefix  = "Invalid list value format： "
)

// rangeOf is a decoded range partition.
type rangeOf struct {
	b            *Bounds
	lower, upper tuple
}

func (s Spec) decodeRanges(existing []*Bounds) ([]rangeOf, error) {
	out := make([]rangeOf, 0, len(existing))
	for _, b := range existing {
		lo, err := s.decodeKey(b.Lower)
		if err != nil {
			return nil, err
		}
		hi, err := s.decodeKey(b.Upper)
		if err != nil {
			return nil, err
		}
		out = append(out, rangeOf{b: b, lower: lo, upper: hi})
	}
	sort.SliceStable(out, func(i, j int) bool { return s.compareTuples(out[i].lower, out[j].lower) < 0 })
	return out, nil
}

// intersects reports whether [a.lower, a.upper) and [b.lower, b.upper) share a key.
func (s Spec) intersects(a, b rangeOf) bool {
	return s.compareTuples(a.lower, b.upper) < 0 && s.compareTuples(b.lower, a.upper) < 0
}

func (s Spec) intersectError(a, b rangeOf) error {
	return errorf("Range %s is intersected with range: %s", s.RangeString(a.b), s.RangeString(b.b))
}

// LessThan computes the range of a new VALUES LESS THAN (upper) partition among the existing
// range partitions, as Doris does: its lower bound is the upper bound of the existing range just
// below it (the minimum key when there is none), and it must not intersect the range above.
func (s Spec) LessThan(existing []*Bounds, upper Key) (*Bounds, error) {
	hi, err := s.decodeKey(upper)
	if err != nil {
		return nil, err
	}
	if s.isMin(hi) {
		return nil, errorf("Partition's upper value should not be MIN VALUE: VALUES LESS THAN %s", s.KeySQL(upper))
	}
	ranges, err := s.decodeRanges(existing)
	if err != nil {
		return nil, err
	}
	var last, cur *rangeOf
	for i := range ranges {
		cur = &ranges[i]
		if s.compareTuples(cur.upper, hi) >= 0 {
			break
		}
		last, cur = cur, nil
	}
	if cur == nil {
		cur = last
	}
	lower := s.MinKey()
	if last != nil {
		lower = append(Key(nil), last.b.Upper...)
	}
	lo, err := s.decodeKey(lower)
	if err != nil {
		return nil, err
	}
	if s.compareTuples(lo, hi) >= 0 {
		return nil, errorf(rangePrefix + "The lower values must smaller than upper values")
	}
	nr := rangeOf{b: &Bounds{Lower: lower, Upper: upper}, lower: lo, upper: hi}
	if cur != nil && s.intersects(nr, *cur) {
		return nil, s.intersectError(nr, *cur)
	}
	return nr.b, nil
}

// Check checks the bounds of a new partition against the existing partitions of the table:
// a range must be non-empty and intersect none of them; a list must not repeat a key, nor hold
// a key another partition holds.
func (s Spec) Check(existing []*Bounds, b *Bounds) error {
	if s.Kind == List {
		return s.checkList(existing, b)
	}
	lo, err := s.decodeKey(b.Lower)
	if err != nil {
		return err
	}
	hi, err := s.decodeKey(b.Upper)
	if err != nil {
		return err
	}
	if s.compareTuples(lo, hi) >= 0 {
		return errorf(rangePrefix + "The lower values must smaller than upper values")
	}
	ranges, err := s.decodeRanges(existing)
	if err != nil {
		return err
	}
	nr := rangeOf{b: b, lower: lo, upper: hi}
	for _, r := range ranges {
		if s.intersects(nr, r) {
			return s.intersectError(nr, r)
		}
	}
	return nil
}

func (s Spec) checkList(existing []*Bounds, b *Bounds) error {
	if len(b.In) == 0 {
		return errorf(listPrefix + "a list partition needs at least one value")
	}
	desc := s.ValuesSQL(b)
	var seen []tuple
	for _, k := range b.In {
		t, err := s.decodeKey(k)
		if err != nil {
			return err
		}
		for _, e := range existing {
			for _, ek := range e.In {
				et, err := s.decodeKey(ek)
				if err != nil {
					return err
				}
				if s.compareTuples(t, et) == 0 {
					return errorf(listPrefix+"The partition key[%s] in partition item[%s] is conflict with current partitionKeys[%s]",
						s.KeySQL(k), desc, strings.TrimPrefix(s.ValuesSQL(e), "VALUES IN "))
				}
			}
		}
		for _, p := range seen {
			if s.compareTuples(t, p) == 0 {
				return errorf(listPrefix+"The partition key[%s] has duplicate item [%s].", desc, s.KeySQL(k))
			}
		}
		seen = append(seen, t)
	}
	return nil
}

// Equal reports whether two bounds hold exactly the same keys.
func (s Spec) Equal(a, b *Bounds) bool {
	same := func(x, y Key) bool {
		c, err := s.CompareKeys(x, y)
		return err == nil && c == 0
	}
	if s.Kind == Range {
		return same(a.Lower, b.Lower) && same(a.Upper, b.Upper)
	}
	if len(a.In) != len(b.In) {
		return false
	}
	for i := range a.In {
		if !same(a.In[i], b.In[i]) {
			return false
		}
	}
	return true
}

// SortRanges orders range bounds by their lower bound (the order SHOW PARTITIONS and SHOW CREATE
// TABLE list range partitions in); it returns the permutation, indexes into bs.
func (s Spec) SortRanges(bs []*Bounds) []int {
	idx := make([]int, len(bs))
	keys := make([]tuple, len(bs))
	for i, b := range bs {
		idx[i] = i
		if b != nil {
			if s.Kind == Range {
				keys[i], _ = s.decodeKey(b.Lower)
			} else if len(b.In) > 0 {
				keys[i], _ = s.decodeKey(b.In[0])
			}
		}
	}
	sort.SliceStable(idx, func(i, j int) bool { return s.compareTuples(keys[idx[i]], keys[idx[j]]) < 0 })
	return idx
}
