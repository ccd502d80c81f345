package segment

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
)

// Cache is a compute node's memory cache of segment files, as Doris's BE keeps a storage page
// cache: open segments (their footer and the indexes they loaded) and decoded data pages,
// bounded by the bytes they hold, least recently used out first. A hot query then neither reads,
// checks, decompresses nor decodes the pages it has read before. Pages of numbers are held as
// column vectors; pages of strings as a strPage (the decoded bytes and per-row offsets: no
// pointer per value, so the garbage collector has nothing to mark in them), from which readers
// get a vector of headers into those bytes that is kept only weakly, shared by the readers until
// the next GC cycle reclaims it (see strPage).
//
// Entries are keyed by segment path (and size): a segment file never changes once written and
// its path names its tablet and rowset, which are never reused, so entries never go stale; the
// segments of a compacted-away rowset age out. Cached vectors are shared by every reader and are
// never written (Iterators never decode into them, even with IteratorOptions.Reuse). Safe for
// concurrent use.
type Cache struct {
	seed     maphash.Seed
	shards   [cacheShards]cacheShard
	hits     atomic.Int64
	misses   atomic.Int64
	capacity int64
}

const cacheShards = 16

type cacheKey struct {
	path      string
	size      int64
	col, page int32 // col -1: the open segment
}

type cacheEntry struct {
	key        cacheKey
	seg        *Segment
	v          *vector.Vector // a page of numbers
	sp         *strPage       // a page of strings
	bytes      int64
	prev, next *cacheEntry
}

type cacheShard struct {
	mu       sync.Mutex
	byKey    map[cacheKey]*cacheEntry
	head     cacheEntry // sentinel: head.next is the most recent, head.prev the least
	size     int64
	capacity int64
}

// NewCache returns a cache holding at most about capacity bytes (which must be positive).
func NewCache(capacity int64) *Cache {
	c := &Cache{seed: maphash.MakeSeed(), capacity: capacity}
	for i := range c.shards {
		s := &c.shards[i]
		s.byKey = map[cacheKey]*cacheEntry{}
		s.head.prev, s.head.next = &s.head, &s.head
		s.capacity = max(capacity/cacheShards, 1)
	}
	return c
}

// CacheStats are a cache's counters.
type CacheStats struct {
	Hits, Misses int64 // lookups of segments and pages
	Bytes        int64 // held now
	Capacity     int64
}

// Stats returns the counters.
func (c *Cache) Stats() CacheStats {
	st := CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Capacity: c.capacity}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		st.Bytes += s.size
		s.mu.Unlock()
	}
	return st
}

// Open returns the open segment at path in s (see the package's Open), from the cache when it
// is there. The segment it returns caches its decoded pages in c.
func (c *Cache) Open(ctx context.Context, s vault.Storage, path string, size int64) (*Segment, error) {
	if size >= 0 {
		if e := c.get(cacheKey{path: path, size: size, col: -1}); e != nil {
			return e.seg, nil
		}
	}
	seg, err := Open(ctx, s, path, size)
	if err != nil {
		return nil, err
	}
	seg.cache = c
	// The footer and tail are charged; indexes loaded later are not (they are small beside the
	// pages, and bounded by the tail read's size for most segments).
	c.put(&cacheEntry{key: cacheKey{path: path, size: seg.size, col: -1}, seg: seg, bytes: int64(cap(seg.tail)) + 1024})
	return seg, nil
}

// page returns the cached page: a vector, or the strPage of a string column; both nil when it
// is not cached.
func (c *Cache) page(s *Segment, col, page int) (*vector.Vector, *strPage) {
	if e := c.get(cacheKey{path: s.path, size: s.size, col: int32(col), page: int32(page)}); e != nil {
		return e.v, e.sp
	}
	return nil, nil
}

// putPage caches a decoded page of numbers (strings go in as a strPage: putStrPage).
func (c *Cache) putPage(s *Segment, col, page int, v *vector.Vector) {
	c.put(&cacheEntry{key: cacheKey{path: s.path, size: s.size, col: int32(col), page: int32(page)}, v: v,
		bytes: vectorBytes(v)})
}

func (c *Cache) putStrPage(s *Segment, col, page int, sp *strPage) {
	c.put(&cacheEntry{key: cacheKey{path: s.path, size: s.size, col: int32(col), page: int32(page)}, sp: sp,
		bytes: sp.bytes()})
}

// vectorBytes estimates the memory of a decoded page of numbers: its values and NULL bitmap.
func vectorBytes(v *vector.Vector) int64 {
	n := int64(128 + len(v.Nulls)*8)
	switch v.Type.Physical() {
	case types.PhysInt64:
		n += int64(cap(v.Int64)) * 8
	case types.PhysInt128:
		n += int64(cap(v.Int128)) * 16
	case types.PhysFloat64:
		n += int64(cap(v.Float64)) * 8
	}
	return n
}

func (c *Cache) shard(k cacheKey) *cacheShard {
	h := maphash.String(c.seed, k.path) ^ uint64(k.col)*0x9e3779b97f4a7c15 ^ uint64(k.page)*0xc2b2ae3d27d4eb4f
	return &c.shards[h%cacheShards]
}

func (c *Cache) get(k cacheKey) *cacheEntry {
	s := c.shard(k)
	s.mu.Lock()
	e, ok := s.byKey[k]
	if ok {
		s.unlink(e)
		s.pushFront(e)
	}
	s.mu.Unlock()
	if ok {
		c.hits.Add(1)
		return e
	}
	c.misses.Add(1)
	return nil
}

func (c *Cache) put(e *cacheEntry) {
	s := c.shard(e.key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.byKey[e.key]; ok { // two readers decoded the same page: keep the first
		s.unlink(old)
		s.pushFront(old)
		return
	}
	if e.bytes > s.capacity {
		return // larger than the shard: not cached
	}
	s.byKey[e.key] = e
	s.pushFront(e)
	s.size += e.bytes
	for s.size > s.capacity {
		last := s.head.prev
		s.unlink(last)
		delete(s.byKey, last.key)
		s.size -= last.bytes
	}
}

func (s *cacheShard) unlink(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (s *cacheShard) pushFront(e *cacheEntry) {
	e.prev, e.next = &s.head, s.head.next
	s.head.next.prev = e
	s.head.next = e
}
