//go:build unix

package compute

import (
	"path/filepath"
	"syscall"
)

// fsSize returns the size in bytes of the file system holding dir (or its nearest existing
// ancestor).
func fsSize(dir string) (int64, bool) {
	for {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err == nil {
			return int64(st.Blocks) * int64(st.Bsize), true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return 0, false
		}
		dir = parent
	}
}
