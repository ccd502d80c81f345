package filecache

import (
	"path/filepath"
	"syscall"
	"time"
)

// fullDisk fails every block write with ENOSPC.
type fullDisk struct{}

func (fullDisk) writeTemp(...[]byte) (string, error) { return "", syscall.ENOSPC }
func (fullDisk) appendFile(string, []byte) error     { return syscall.ENOSPC }

// SetDiskFull makes the cache's disk full (or not) and sets how long caching pauses after.
func SetDiskFull(c *Cache, full bool, pause time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.diskFullPause = pause
	if full {
		c.io = fullDisk{}
	} else {
		c.io = osIO{dir: c.tmpDir}
		c.diskFullUntil = time.Time{}
	}
}

// SetNow replaces the cache's clock.
func SetNow(c *Cache, now func() time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

// BlockFile is the file of block index of path.
func BlockFile(c *Cache, path string, index int64) string {
	return filepath.Join(c.blocksDir, blockName(keyOf(path), index))
}

// BlockFileBytes is the size of the file of a block of dataLen bytes of path.
func BlockFileBytes(path string, dataLen int) int64 {
	m := blockMeta{dataLen: dataLen, path: path}
	return m.fileBytes()
}
