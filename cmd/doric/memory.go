package main

import (
	"bufio"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Garbage-collector defaults of a server process. A load holds hundreds of megabytes of rows
// in memtables whose string values are pointer-rich; at Go's default GOGC=100 the collector
// spends a fifth of a Stream Load's CPU re-marking them. Doric runs the collector at
// GOGC=defaultGCPercent under a soft memory limit of memoryLimitShare of the machine's (or the
// cgroup's) memory, so that the high GOGC never lets the heap outgrow the machine. GOGC and
// GOMEMLIMIT in the environment override either, as for any Go program.
const (
	defaultGCPercent  = 400
	memoryLimitShare  = 0.75
	cgroupMemoryLimit = "/sys/fs/cgroup/memory.max"
)

// pageCacheShare is the share of memory the page caches of a process's compute nodes get by
// default, as Doris's storage_page_cache_limit.
const pageCacheShare = 0.20

// pageCacheBytes is the compute.Config.PageCacheBytes of each of nodes nodes in the process: the
// configured capacity, or pageCacheShare of memory split over the nodes (compute's default when
// memory is unknown), or negative (none) when disabled.
func pageCacheBytes(configured int64, disabled bool, nodes int) int64 {
	switch {
	case disabled:
		return -1
	case configured > 0:
		return configured
	}
	if total := physicalMemory(); total > 0 {
		return max(int64(float64(total)*pageCacheShare)/int64(max(nodes, 1)), 64<<20)
	}
	return 0
}

func tuneMemory(log *slog.Logger) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if total := physicalMemory(); total > 0 {
			limit := int64(float64(total) * memoryLimitShare)
			debug.SetMemoryLimit(limit)
			log.Debug("soft memory limit", "bytes", limit)
		}
	}
}

// physicalMemory is the smaller of the cgroup v2 limit and MemTotal; 0 when unknown.
func physicalMemory() int64 {
	var total int64
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64); err == nil {
					total = kb << 10
				}
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile(cgroupMemoryLimit); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n
		}
	}
	return total
}
