package compaction

import (
	"slices"

	"github.com/doricdb/doric/api/metapb"
)

// Policy holds the thresholds of the size-based cumulative policy (see the package doc). Zero
// fields take the defaults of DefaultPolicy.
type Policy struct {
	// MinCumulativeScore is the cumulative score at which a background cumulative compaction
	// runs (Doris: min_cumulative_compaction_num_singleton_deltas, 5).
	MinCumulativeScore int
	// MaxCumulativeRowsets caps the inputs of one cumulative compaction (Doris:
	// max_cumulative_compaction_num_singleton_deltas, 1000).
	MaxCumulativeRowsets int
	// MinBaseRowsets is the number of rowsets below the cumulative point at which a background
	// base compaction runs (Doris: base_compaction_min_rowset_num, 5).
	MinBaseRowsets int
	// A cumulative output at least PromotionSize bytes moves the cumulative point past itself.
	// PromotionSize = clamp(PromotionRatio × base size, PromotionMinSize, PromotionMaxSize),
	// as Doris's compaction_promotion_{ratio,min_size_mbytes,size_mbytes} (0.05, 64 MiB, 1 GiB).
	PromotionRatio   float64
	PromotionMinSize int64
	PromotionMaxSize int64
}

// DefaultPolicy is Doris's defaults.
var DefaultPolicy = Policy{
	MinCumulativeScore: 5, MaxCumulativeRowsets: 1000, MinBaseRowsets: 5,
	PromotionRatio: 0.05, PromotionMinSize: 64 << 20, PromotionMaxSize: 1 << 30,
}

func (p Policy) withDefaults() Policy {
	d := DefaultPolicy
	if p.MinCumulativeScore <= 0 {
		p.MinCumulativeScore = d.MinCumulativeScore
	}
	if p.MaxCumulativeRowsets < 2 {
		p.MaxCumulativeRowsets = d.MaxCumulativeRowsets
	}
	p.MaxCumulativeRowsets = max(p.MaxCumulativeRowsets, p.MinCumulativeScore)
	if p.MinBaseRowsets < 2 {
		p.MinBaseRowsets = d.MinBaseRowsets
	}
	if p.PromotionRatio <= 0 {
		p.PromotionRatio = d.PromotionRatio
	}
	if p.PromotionMinSize <= 0 {
		p.PromotionMinSize = d.PromotionMinSize
	}
	if p.PromotionMaxSize < p.PromotionMinSize {
		p.PromotionMaxSize = max(d.PromotionMaxSize, p.PromotionMinSize)
	}
	return p
}

// Pick is one compaction a policy chose: the inputs (consecutive visible rowsets, in version
// order) and the cumulative point to commit with the output (0: unchanged; the Meta Service
// never moves it backwards).
type Pick struct {
	Kind            metapb.CompactionType
	Inputs          []*metapb.RowsetMeta
	Score           int
	CumulativePoint int64
	// FromFirst: the inputs start at the tablet's first visible rowset, so nothing below them
	// can be shadowed: tombstones and delete predicates are applied and dropped.
	FromFirst bool
	// PromoteAt: a cumulative output of at least this many bytes moves the point past itself
	// (0: never).
	PromoteAt int64
}

// Start and End are the version range of the pick.
func (p Pick) Start() int64 { return p.Inputs[0].GetStartVersion() }
func (p Pick) End() int64   { return p.Inputs[len(p.Inputs)-1].GetEndVersion() }

// runs is the number of sorted runs a rowset adds to a read: one, or one per segment when its
// segments overlap.
func runs(rs *metapb.RowsetMeta) int {
	if rs.GetSegmentsOverlap() && rs.GetNumSegments() > 1 {
		return int(rs.GetNumSegments())
	}
	return 1
}

func isDelete(rs *metapb.RowsetMeta) bool { return len(rs.GetDeletePredicates()) > 0 }

// sorted returns the rowsets in version order.
func sorted(rowsets []*metapb.RowsetMeta) []*metapb.RowsetMeta {
	rs := slices.Clone(rowsets)
	slices.SortStableFunc(rs, func(a, b *metapb.RowsetMeta) int {
		switch {
		case a.GetStartVersion() < b.GetStartVersion():
			return -1
		case a.GetStartVersion() > b.GetStartVersion():
			return 1
		}
		return 0
	})
	return rs
}

// CumulativeScore is the tablet's read amplification above the cumulative point: each rowset
// whose start version is at or above point counts its sorted runs.
func CumulativeScore(rowsets []*metapb.RowsetMeta, point int64) int {
	n := 0
	for _, rs := range rowsets {
		if rs.GetStartVersion() >= point {
			n += runs(rs)
		}
	}
	return n
}

// BaseScore is the number of rowsets below the cumulative point (end version < point).
func BaseScore(rowsets []*metapb.RowsetMeta, point int64) int {
	n := 0
	for _, rs := range rowsets {
		if rs.GetEndVersion() < point {
			n++
		}
	}
	return n
}

// PromotionSize is the output size at which a cumulative compaction moves the point past its
// output, given the tablet's rowsets and point.
func (p Policy) PromotionSize(rowsets []*metapb.RowsetMeta, point int64) int64 {
	p = p.withDefaults()
	var base int64
	for _, rs := range rowsets {
		if rs.GetEndVersion() < point {
			base += rs.GetTotalSize()
		}
	}
	return min(max(int64(float64(base)*p.PromotionRatio), p.PromotionMinSize), p.PromotionMaxSize)
}

// Cumulative picks a cumulative compaction among the rowsets above the point:
//
//  1. leading candidates that are settled — at least the promotion size, or carrying a delete
//     predicate (Doris leaves deletes to base compaction) — are skipped, and the point moves
//     past them with the output;
//  2. the inputs are the run of candidates after them, up to the next delete rowset (exclusive)
//     and at most MaxCumulativeRowsets;
//  3. they qualify with at least two rowsets (or one of overlapping segments) and a score of at
//     least MinCumulativeScore (force: any score); a run stopped by a delete rowset that does not
//     qualify is passed over with the delete rowset (the point will move past both) and the
//     search goes on after it;
//  4. when the run stopped at a delete rowset, the point moves past that rowset too, so that
//     base compaction applies it.
//
// An output that reaches the promotion size also moves the point past itself (Promote).
func (p Policy) Cumulative(rowsets []*metapb.RowsetMeta, point int64, force bool) (Pick, bool) {
	p = p.withDefaults()
	rs := sorted(rowsets)
	promo := p.PromotionSize(rs, point)
	var cands []*metapb.RowsetMeta
	for _, r := range rs {
		if r.GetStartVersion() >= point {
			cands = append(cands, r)
		}
	}
	newPoint := int64(0)
	var in []*metapb.RowsetMeta
	score, i := 0, 0
	for {
		for i < len(cands) && (isDelete(cands[i]) || cands[i].GetTotalSize() >= promo) {
			newPoint = cands[i].GetEndVersion() + 1
			i++
		}
		j := i
		for j < len(cands) && !isDelete(cands[j]) && j-i < p.MaxCumulativeRowsets {
			j++
		}
		in, score = cands[i:j], 0
		for _, r := range in {
			score += runs(r)
		}
		if score >= 2 && (force || score >= p.MinCumulativeScore) {
			if j < len(cands) && isDelete(cands[j]) {
				newPoint = cands[j].GetEndVersion() + 1
			}
			break
		}
		if j == len(cands) || !isDelete(cands[j]) {
			return Pick{}, false
		}
		// Too little before a delete rowset: it and the rows before it go below the point,
		// where base compaction merges them.
		i = j
	}
	if newPoint <= point {
		newPoint = 0
	}
	return Pick{Kind: metapb.CompactionType_COMPACTION_CUMULATIVE, Inputs: in, Score: score, CumulativePoint: newPoint,
		FromFirst: in[0] == rs[0], PromoteAt: promo}, true
}

// Base picks the rowsets below the cumulative point, which start at the tablet's first version:
// at least MinBaseRowsets of them (force: at least two).
func (p Policy) Base(rowsets []*metapb.RowsetMeta, point int64, force bool) (Pick, bool) {
	p = p.withDefaults()
	rs := sorted(rowsets)
	var in []*metapb.RowsetMeta
	for _, r := range rs {
		if r.GetEndVersion() < point {
			in = append(in, r)
		}
	}
	if len(in) < 2 || (!force && len(in) < p.MinBaseRowsets) {
		return Pick{}, false
	}
	return Pick{Kind: metapb.CompactionType_COMPACTION_BASE, Inputs: in, Score: len(in), FromFirst: true}, true
}

// Full picks every visible rowset, when there is anything to rewrite: two or more rowsets, or
// one with overlapping segments or delete predicates. The point moves past the output.
func (p Policy) Full(rowsets []*metapb.RowsetMeta) (Pick, bool) {
	rs := sorted(rowsets)
	if len(rs) == 0 || (len(rs) == 1 && runs(rs[0]) < 2 && !isDelete(rs[0])) {
		return Pick{}, false
	}
	end := rs[len(rs)-1].GetEndVersion()
	return Pick{Kind: metapb.CompactionType_COMPACTION_FULL, Inputs: rs, Score: len(rs), CumulativePoint: end + 1, FromFirst: true}, true
}

// Choose picks a compaction of kind (full for COMPACTION_FULL and COMPACTION_UNKNOWN).
func (p Policy) Choose(kind metapb.CompactionType, rowsets []*metapb.RowsetMeta, point int64, force bool) (Pick, bool) {
	switch kind {
	case metapb.CompactionType_COMPACTION_CUMULATIVE:
		return p.Cumulative(rowsets, point, force)
	case metapb.CompactionType_COMPACTION_BASE:
		return p.Base(rowsets, point, force)
	}
	return p.Full(rowsets)
}
