package compaction_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/compaction"
)

var deletePred = []*commonpb.DeletePredicate{{Conditions: []*commonpb.DeleteCondition{{ColumnUniqueId: 1, Op: "=", Values: []string{"1"}}}}}

// randomTablet returns visible rowsets covering versions 2..n+1 in random ranges, with random
// sizes, overlapping segments and delete rowsets, and a cumulative point at a rowset boundary.
func randomTablet(r *rand.Rand) ([]*metapb.RowsetMeta, int64) {
	var rs []*metapb.RowsetMeta
	v := int64(2)
	for i := range 1 + r.IntN(40) {
		w := int64(1)
		if r.IntN(4) == 0 {
			w = 1 + r.Int64N(20)
		}
		m := &metapb.RowsetMeta{RowsetId: fmt.Sprint("r", i), StartVersion: v, EndVersion: v + w - 1, NumSegments: 1,
			TotalSize: r.Int64N(1 << 20)}
		switch r.IntN(10) {
		case 0:
			m.NumSegments, m.TotalSize, m.DeletePredicates = 0, 0, deletePred
		case 1:
			m.NumSegments, m.SegmentsOverlap = int32(2+r.IntN(5)), true
		case 2:
			m.TotalSize = 1<<20 + r.Int64N(1<<30) // big
		}
		rs = append(rs, m)
		v += w
	}
	point := int64(0)
	if k := r.IntN(len(rs) + 1); k > 0 && r.IntN(3) > 0 {
		point = rs[k-1].GetEndVersion() + 1
	}
	// Shuffle: the policy must not rely on the Meta Service's order.
	r.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
	return rs, point
}

func randomPolicy(r *rand.Rand) compaction.Policy {
	return compaction.Policy{MinCumulativeScore: 2 + r.IntN(6), MaxCumulativeRowsets: 2 + r.IntN(30), MinBaseRowsets: 2 + r.IntN(6),
		PromotionRatio: 0.01 + r.Float64()/5, PromotionMinSize: 1 + r.Int64N(1<<20), PromotionMaxSize: 1 << 21}
}

func runsOf(m *metapb.RowsetMeta) int {
	if m.GetSegmentsOverlap() && m.GetNumSegments() > 1 {
		return int(m.GetNumSegments())
	}
	return 1
}

// checkContiguous: the inputs are consecutive visible rowsets in version order.
func checkContiguous(t *testing.T, all []*metapb.RowsetMeta, in []*metapb.RowsetMeta) {
	t.Helper()
	at := -1
	for k, m := range all {
		if m == in[0] {
			at = k
		}
	}
	if at < 0 {
		t.Fatalf("input %s is not a visible rowset", in[0].GetRowsetId())
	}
	for i := 1; i < len(in); i++ {
		if in[i].GetStartVersion() != in[i-1].GetEndVersion()+1 {
			t.Fatalf("inputs not contiguous: [%d-%d] then [%d-%d]", in[i-1].GetStartVersion(), in[i-1].GetEndVersion(), in[i].GetStartVersion(), in[i].GetEndVersion())
		}
	}
}

func sortedCopy(rs []*metapb.RowsetMeta) []*metapb.RowsetMeta {
	out := append([]*metapb.RowsetMeta(nil), rs...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].GetStartVersion() < out[i].GetStartVersion() {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestPolicyPicksRandomised checks the invariants of every pick over random tablets and
// policies: inputs consecutive, on the right side of the point, no delete rowset in a cumulative
// pick, scores as documented, the new point at a rowset boundary and never backwards.
func TestPolicyPicksRandomised(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	picked := map[metapb.CompactionType]int{}
	for range 3000 {
		rs, point := randomTablet(r)
		all := sortedCopy(rs)
		pol := randomPolicy(r)
		force := r.IntN(2) == 0
		boundary := map[int64]bool{}
		for _, m := range all {
			boundary[m.GetEndVersion()+1] = true
		}
		// Cumulative.
		above, score := 0, 0
		for _, m := range all {
			if m.GetStartVersion() >= point {
				above++
				score += runsOf(m)
			}
		}
		if got := compaction.CumulativeScore(rs, point); got != score {
			t.Fatalf("cumulative score %d, want %d", got, score)
		}
		if p, ok := pol.Cumulative(rs, point, force); ok {
			picked[p.Kind]++
			checkContiguous(t, all, p.Inputs)
			s := 0
			for _, m := range p.Inputs {
				if m.GetStartVersion() < point {
					t.Fatalf("cumulative input [%d-%d] below point %d", m.GetStartVersion(), m.GetEndVersion(), point)
				}
				if len(m.GetDeletePredicates()) > 0 {
					t.Fatalf("cumulative pick includes delete rowset %s", m.GetRowsetId())
				}
				s += runsOf(m)
			}
			if s != p.Score || s < 2 || (!force && s < pol.MinCumulativeScore) || len(p.Inputs) > max(pol.MaxCumulativeRowsets, pol.MinCumulativeScore) {
				t.Fatalf("cumulative pick of %d rowsets, score %d (reported %d), policy %+v, force %v", len(p.Inputs), s, p.Score, pol, force)
			}
			if p.CumulativePoint != 0 && (p.CumulativePoint <= point || !boundary[p.CumulativePoint]) {
				t.Fatalf("new point %d from %d is not a forward rowset boundary", p.CumulativePoint, point)
			}
			if p.FromFirst != (p.Inputs[0] == all[0]) {
				t.Fatalf("FromFirst %v for a pick starting at %d (first rowset starts at %d)", p.FromFirst, p.Start(), all[0].GetStartVersion())
			}
		} else if force && above >= 2 {
			// A forced pick finds nothing only when no delete-free stretch of candidates, less
			// its leading big rowsets, has two runs.
			var cands []*metapb.RowsetMeta
			for _, m := range all {
				if m.GetStartVersion() >= point {
					cands = append(cands, m)
				}
			}
			promo := pol.PromotionSize(rs, point)
			runs, head := 0, true
			for _, m := range append(cands, &metapb.RowsetMeta{DeletePredicates: deletePred}) {
				switch {
				case len(m.GetDeletePredicates()) > 0:
					if runs >= 2 {
						t.Fatalf("forced cumulative found nothing, but a stretch before [%d-%d] has %d runs", m.GetStartVersion(), m.GetEndVersion(), runs)
					}
					runs, head = 0, true
				case head && m.GetTotalSize() >= promo:
				default:
					head = false
					runs += runsOf(m)
				}
			}
		}
		// Base.
		below := 0
		for _, m := range all {
			if m.GetEndVersion() < point {
				below++
			}
		}
		if got := compaction.BaseScore(rs, point); got != below {
			t.Fatalf("base score %d, want %d", got, below)
		}
		p, ok := pol.Base(rs, point, force)
		want := below >= 2 && (force || below >= pol.MinBaseRowsets)
		if ok != want {
			t.Fatalf("base pick %v with %d rowsets below the point (force %v, min %d)", ok, below, force, pol.MinBaseRowsets)
		}
		if ok {
			picked[p.Kind]++
			checkContiguous(t, all, p.Inputs)
			if len(p.Inputs) != below || p.Inputs[0] != all[0] || !p.FromFirst || p.CumulativePoint != 0 {
				t.Fatalf("base pick %d inputs from %d, want %d from the first", len(p.Inputs), p.Start(), below)
			}
		}
		// Full.
		p, ok = pol.Full(rs)
		want = len(all) >= 2 || (len(all) == 1 && (runsOf(all[0]) > 1 || len(all[0].GetDeletePredicates()) > 0))
		if ok != want {
			t.Fatalf("full pick %v for %d rowsets", ok, len(all))
		}
		if ok {
			picked[p.Kind]++
			checkContiguous(t, all, p.Inputs)
			if len(p.Inputs) != len(all) || p.CumulativePoint != all[len(all)-1].GetEndVersion()+1 {
				t.Fatalf("full pick %d of %d rowsets, point %d", len(p.Inputs), len(all), p.CumulativePoint)
			}
		}
	}
	t.Logf("picks by kind: %v", picked)
	for _, k := range []metapb.CompactionType{metapb.CompactionType_COMPACTION_CUMULATIVE, metapb.CompactionType_COMPACTION_BASE, metapb.CompactionType_COMPACTION_FULL} {
		if picked[k] == 0 {
			t.Fatalf("no %v pick in 3000 random tablets", k)
		}
	}
}

// TestPolicyKeepsVersionsBounded simulates a tablet under a stream of small loads (some of them
// deletes, some big) with the producer's rotation (nine cumulative rounds per base round, one
// round per load) applying every pick as a commit would: the visible rowset count stays bounded.
func TestPolicyKeepsVersionsBounded(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 11))
	pol := compaction.Policy{MinCumulativeScore: 3 + r.IntN(4), MinBaseRowsets: 2 + r.IntN(4), PromotionMinSize: 1 << 16, PromotionMaxSize: 1 << 20}
	var rs []*metapb.RowsetMeta
	point, v, maxCount, id := int64(0), int64(2), 0, 0
	for load := range 2000 {
		m := &metapb.RowsetMeta{RowsetId: fmt.Sprint(id), StartVersion: v, EndVersion: v, NumSegments: 1, TotalSize: 100 + r.Int64N(5000)}
		id++
		if r.IntN(50) == 0 {
			m.NumSegments, m.TotalSize, m.DeletePredicates = 0, 0, deletePred
		}
		rs = append(rs, m)
		v++
		kind := metapb.CompactionType_COMPACTION_CUMULATIVE
		if load%10 == 9 {
			kind = metapb.CompactionType_COMPACTION_BASE
		}
		if p, ok := pol.Choose(kind, rs, point, false); ok {
			out := &metapb.RowsetMeta{RowsetId: fmt.Sprint(id), StartVersion: p.Start(), EndVersion: p.End(), NumSegments: 1}
			id++
			for _, in := range p.Inputs {
				out.TotalSize += in.GetTotalSize()
			}
			np := p.CumulativePoint
			if p.PromoteAt > 0 && out.TotalSize >= p.PromoteAt {
				np = max(np, p.End()+1)
			}
			var next []*metapb.RowsetMeta
			for _, m := range sortedCopy(rs) {
				if m.GetEndVersion() < p.Start() || m.GetStartVersion() > p.End() {
					next = append(next, m)
				} else if m.GetEndVersion() == p.End() {
					next = append(next, out)
				}
			}
			rs = next
			point = max(point, np)
		}
		maxCount = max(maxCount, len(rs))
	}
	t.Logf("max visible rowsets over 2000 loads: %d (policy %+v)", maxCount, pol)
	if bound := pol.MinCumulativeScore + 2*pol.MinBaseRowsets + 20; maxCount > bound {
		t.Fatalf("visible rowsets reached %d, bound %d", maxCount, bound)
	}
}
