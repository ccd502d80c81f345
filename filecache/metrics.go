package filecache

import "github.com/prometheus/client_golang/prometheus"

// collector exports Stats as Prometheus metrics at scrape time.
type collector struct{ c *Cache }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("doric_filecache_"+name, help, labels, nil)
}

var (
	descCapacity    = desc("capacity_bytes", "Configured capacity of the file cache.")
	descUsed        = desc("used_bytes", "Bytes of cached blocks on disk, by queue.", "queue")
	descBlocks      = desc("blocks", "Cached blocks, by queue.", "queue")
	descEvicted     = desc("evicted_blocks_total", "Blocks evicted, by queue.", "queue")
	descRead        = desc("read_bytes_total", "Bytes delivered to readers, by source (cache, remote, peer).", "source")
	descFetched     = desc("fetched_bytes_total", "Bytes of whole blocks fetched on misses, by source (remote, peer).", "source")
	descHitBlocks   = desc("hit_blocks_total", "Block reads served from the cache.")
	descMissBlocks  = desc("miss_blocks_total", "Blocks fetched on misses.")
	descRemoteReads = desc("remote_reads_total", "Ranged reads (GETs) issued to the vault.")
	descRemoteStats = desc("remote_stats_total", "Stats (HEADs) issued to the vault.")
	descPeerReads   = desc("peer_reads_total", "Peer read attempts.")
	descBypass      = desc("bypass_reads_total", "Vault reads that bypassed the cache.")
	descAdmitted    = desc("admitted_blocks_total", "Blocks written to the cache.")
	descWT          = desc("write_through_bytes_total", "Bytes cached by write-through.")
	descCorrupt     = desc("corrupt_blocks_total", "Blocks dropped because a checksum failed.")
	descWriteErrors = desc("write_errors_total", "Block files that could not be written.")
	descDiskFull    = desc("disk_full", "1 while caching is paused after the disk filled up.")
)

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCapacity, descUsed, descBlocks, descEvicted, descRead, descFetched,
		descHitBlocks, descMissBlocks, descRemoteReads, descRemoteStats, descPeerReads, descBypass, descAdmitted,
		descWT, descCorrupt, descWriteErrors, descDiskFull} {
		ch <- d
	}
}

func (col collector) Collect(ch chan<- prometheus.Metric) {
	s := col.c.Stats()
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	counter := func(d *prometheus.Desc, v int64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	gauge(descCapacity, float64(s.Capacity))
	for name, q := range s.Queues {
		gauge(descUsed, float64(q.Bytes), name)
		gauge(descBlocks, float64(q.Blocks), name)
		counter(descEvicted, q.Evictions, name)
	}
	counter(descRead, s.HitBytes, "cache")
	counter(descRead, s.RemoteBytes, "remote")
	counter(descRead, s.PeerBytes, "peer")
	counter(descFetched, s.FetchedBytes, "remote")
	counter(descFetched, s.PeerFetchedBytes, "peer")
	counter(descHitBlocks, s.HitBlocks)
	counter(descMissBlocks, s.MissBlocks)
	counter(descRemoteReads, s.RemoteReads)
	counter(descRemoteStats, s.RemoteStats)
	counter(descPeerReads, s.PeerReads)
	counter(descBypass, s.BypassReads)
	counter(descAdmitted, s.Admitted)
	counter(descWT, s.WriteThroughBytes)
	counter(descCorrupt, s.CorruptBlocks)
	counter(descWriteErrors, s.WriteErrors)
	diskFull := 0.0
	if s.DiskFull {
		diskFull = 1
	}
	gauge(descDiskFull, diskFull)
}
