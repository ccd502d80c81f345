package model

import (
	"fmt"
	"slices"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

type agg uint8

const (
	aggNone agg = iota // key columns, DUPLICATE and UNIQUE value columns
	aggSum
	aggMax
	aggMin
	aggReplace
	aggReplaceIfNotNull
)

// Model folds rows of batches whose first NumKeys columns are the key. See the package doc.
type Model struct {
	kind    commonpb.KeysType
	numKeys int
	aggs    []agg
	seq     int // the sequence column among the batch's columns, -1 for none
}

// New describes batches of len(aggregations) columns, the first numKeys of them the key.
// aggregations names each value column's function (AGGREGATE tables; "" elsewhere); seq is
// the position of the sequence column (UNIQUE tables) or -1.
func New(kind commonpb.KeysType, numKeys int, aggregations []string, seq int) (*Model, error) {
	m := &Model{kind: kind, numKeys: numKeys, aggs: make([]agg, len(aggregations)), seq: seq}
	if numKeys < 0 || numKeys > len(aggregations) {
		return nil, fmt.Errorf("%d key columns of %d", numKeys, len(aggregations))
	}
	if seq >= len(aggregations) || seq < -1 || (seq >= 0 && kind != commonpb.KeysType_UNIQUE_KEYS) {
		return nil, fmt.Errorf("sequence column %d of %d in a %s table", seq, len(aggregations), kind)
	}
	if kind == commonpb.KeysType_AGG_KEYS {
		for i := numKeys; i < len(aggregations); i++ {
			switch aggregations[i] {
			case "SUM":
				m.aggs[i] = aggSum
			case "MAX":
				m.aggs[i] = aggMax
			case "MIN":
				m.aggs[i] = aggMin
			case "REPLACE":
				m.aggs[i] = aggReplace
			case "REPLACE_IF_NOT_NULL":
				m.aggs[i] = aggReplaceIfNotNull
			default:
				return nil, fmt.Errorf("aggregation %q of column %d", aggregations[i], i)
			}
		}
	}
	return m, nil
}

// ForSchema describes batches holding every column of schema, in schema order.
func ForSchema(schema *commonpb.TabletSchema) (*Model, error) {
	aggs := make([]string, len(schema.GetColumns()))
	for i, c := range schema.GetColumns() {
		aggs[i] = c.GetAggregation()
	}
	seq := -1
	if schema.SequenceColIdx != nil {
		seq = int(schema.GetSequenceColIdx())
	}
	return New(schema.GetKeysType(), int(schema.GetNumKeyColumns()), aggs, seq)
}

// Folds reports whether Apply may drop rows (AGGREGATE and UNIQUE tables).
func (m *Model) Folds() bool { return m.kind != commonpb.KeysType_DUP_KEYS }

// Apply returns b sorted by key and folded by the model. See the package doc.
func (m *Model) Apply(b *vector.Batch) (*vector.Batch, error) {
	if len(b.Cols) != len(m.aggs) {
		return nil, fmt.Errorf("BUG: model of %d columns applied to a batch of %d", len(m.aggs), len(b.Cols))
	}
	rows := vector.Identity(nil, b.N)
	SortByKeys(b, m.numKeys, rows)
	if !m.Folds() || b.N == 0 {
		return gather(b, rows), nil
	}
	keyEq := m.keyEqual(b)
	// groups: [start, end) ranges of rows with equal keys.
	var bounds []int
	for i := range rows {
		if i == 0 || !keyEq(int(rows[i-1]), int(rows[i])) {
			bounds = append(bounds, i)
		}
	}
	bounds = append(bounds, len(rows))
	ng := len(bounds) - 1
	if m.kind == commonpb.KeysType_UNIQUE_KEYS {
		win := make([]int32, ng)
		var cmpSeq func(i, j int) int
		if m.seq >= 0 {
			cmpSeq = vector.Comparator(b.Cols[m.seq])
		}
		sv := (*vector.Vector)(nil)
		if m.seq >= 0 {
			sv = b.Cols[m.seq]
		}
		for g := range ng {
			best := rows[bounds[g]]
			for _, r := range rows[bounds[g]+1 : bounds[g+1]] {
				if sv == nil || compareNullable(sv, cmpSeq, int(r), int(best)) >= 0 {
					best = r
				}
			}
			win[g] = best
		}
		return gather(b, win), nil
	}
	out := make([]*vector.Vector, len(b.Cols))
	pick := make([]int32, ng)
	for c, a := range m.aggs {
		v := b.Cols[c]
		var cmp func(i, j int) int
		if a == aggMax || a == aggMin {
			cmp = vector.Comparator(v)
		}
		for g := range ng {
			grp := rows[bounds[g]:bounds[g+1]]
			p := grp[len(grp)-1] // newest: REPLACE, and the NULL of an all-NULL group
			switch a {
			case aggNone:
				p = grp[0]
			case aggReplaceIfNotNull, aggSum:
				for k := len(grp) - 1; k >= 0; k-- {
					if !v.IsNull(int(grp[k])) {
						p = grp[k]
						break
					}
				}
			case aggMax, aggMin:
				found := false
				for _, r := range grp {
					if v.IsNull(int(r)) {
						continue
					}
					d := 0
					if found {
						d = cmp(int(r), int(p))
					}
					if !found || (a == aggMax && d > 0) || (a == aggMin && d < 0) {
						p, found = r, true
					}
				}
			}
			pick[g] = p
		}
		out[c] = v.Gather(pick)
		if a == aggSum {
			for g := range ng {
				if !out[c].IsNull(g) {
					sum(out[c], g, v, rows[bounds[g]:bounds[g+1]], pick[g])
					wrap(out[c], g)
				}
			}
		}
	}
	return vector.NewBatch(out, ng), nil
}

// sum stores into dst[g] the sum of the non-NULL values of src at grp (dst[g] already holds
// src[have], one of them).
func sum(dst *vector.Vector, g int, src *vector.Vector, grp []int32, have int32) {
	for _, r := range grp {
		if r == have || src.IsNull(int(r)) {
			continue
		}
		switch src.Type.Physical() {
		case types.PhysInt64:
			dst.Int64[g] += src.Int64[r]
		case types.PhysInt128:
			dst.Int128[g] = dst.Int128[g].Add(src.Int128[r])
		case types.PhysFloat64:
			dst.Float64[g] += src.Float64[r]
		}
	}
}

// wrap keeps an integer sum inside its column's width, as a native add of that width would.
func wrap(v *vector.Vector, i int) {
	switch v.Type.Kind {
	case types.TinyInt:
		v.Int64[i] = int64(int8(v.Int64[i]))
	case types.SmallInt:
		v.Int64[i] = int64(int16(v.Int64[i]))
	case types.Int:
		v.Int64[i] = int64(int32(v.Int64[i]))
	}
}

func compareNullable(v *vector.Vector, cmp func(i, j int) int, i, j int) int {
	in, jn := v.IsNull(i), v.IsNull(j)
	switch {
	case in && jn:
		return 0
	case in:
		return -1
	case jn:
		return 1
	}
	return cmp(i, j)
}

func (m *Model) keyEqual(b *vector.Batch) func(i, j int) bool {
	cmps := make([]func(i, j int) int, m.numKeys)
	for k := range m.numKeys {
		cmps[k] = vector.Comparator(b.Cols[k])
	}
	return func(i, j int) bool {
		for k, c := range cmps {
			if compareNullable(b.Cols[k], c, i, j) != 0 {
				return false
			}
		}
		return true
	}
}

func gather(b *vector.Batch, rows []int32) *vector.Batch {
	out := make([]*vector.Vector, len(b.Cols))
	for k, c := range b.Cols {
		out[k] = c.Gather(rows)
	}
	return vector.NewBatch(out, len(rows))
}

// SortByKeys orders rows stably by the first numKeys columns of b, NULL first.
func SortByKeys(b *vector.Batch, numKeys int, rows []int32) {
	if numKeys == 0 {
		return
	}
	cmps := make([]func(i, j int) int, numKeys)
	for k := range numKeys {
		cmps[k] = vector.Comparator(b.Cols[k])
	}
	slices.SortStableFunc(rows, func(x, y int32) int {
		for k, c := range cmps {
			if r := compareNullable(b.Cols[k], c, int(x), int(y)); r != 0 {
				return r
			}
		}
		return 0
	})
}
