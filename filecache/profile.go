package filecache

import (
	"context"
	"sync/atomic"
)

// Profile accumulates the bytes a query read through the cache, split by where they came from
// (Doris's BytesScannedFromCache / BytesScannedFromRemote). Counted are the bytes delivered into
// the callers' buffers, not whole blocks. Bytes served from a block another reader was fetching
// at the same time count as remote. Safe for concurrent use.
type Profile struct {
	BytesScannedFromCache  atomic.Int64
	BytesScannedFromRemote atomic.Int64
}

type profileKey struct{}

// WithProfile returns a context whose reads through a Cache add to p.
func WithProfile(ctx context.Context, p *Profile) context.Context {
	return context.WithValue(ctx, profileKey{}, p)
}

// ProfileFrom returns the profile of ctx, or nil.
func ProfileFrom(ctx context.Context) *Profile {
	p, _ := ctx.Value(profileKey{}).(*Profile)
	return p
}

func (p *Profile) addCache(n int) {
	if p != nil {
		p.BytesScannedFromCache.Add(int64(n))
	}
}

func (p *Profile) addRemote(n int) {
	if p != nil {
		p.BytesScannedFromRemote.Add(int64(n))
	}
}
