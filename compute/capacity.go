package compute

import "github.com/doricdb/doric/filecache"

// DefaultCacheCapacity is the capacity of a vault's file cache when the configuration names none.
const DefaultCacheCapacity = 10 << 30

// DefaultCapacity is the default capacity of a cache in dir: DefaultCacheCapacity, or 80 % of the
// size of dir's file system when that is smaller, and never below filecache.MinCapacity. When the
// size cannot be learnt (dir does not exist yet and neither does a parent, or the platform has no
// statfs) it is DefaultCacheCapacity.
func DefaultCapacity(dir string) int64 {
	c := int64(DefaultCacheCapacity)
	if total, ok := fsSize(dir); ok && total/5*4 < c {
		c = total / 5 * 4
	}
	return max(c, filecache.MinCapacity)
}
