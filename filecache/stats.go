package filecache

// QueueStats describes one queue.
type QueueStats struct {
	Share     float64 `json:"share"`      // normalised share of the capacity
	Bytes     int64   `json:"bytes"`      // on disk (or being written)
	Blocks    int     `json:"blocks"`     //
	Evictions int64   `json:"evictions"`  // blocks evicted from this queue
	ShareSize int64   `json:"share_size"` // Share × Capacity
}

// Stats is a snapshot of the cache's state and counters since New.
type Stats struct {
	Path     string                `json:"path"`
	Capacity int64                 `json:"capacity"`
	Used     int64                 `json:"used"`
	Blocks   int                   `json:"blocks"`
	Files    int                   `json:"files"` // objects the cache knows of
	Queues   map[string]QueueStats `json:"queues"`

	HitBytes    int64 `json:"hit_bytes"`    // delivered to readers from block files
	RemoteBytes int64 `json:"remote_bytes"` // delivered to readers from fetches of the vault
	PeerBytes   int64 `json:"peer_bytes"`   // delivered to readers from peer reads
	HitBlocks   int64 `json:"hit_blocks"`
	MissBlocks  int64 `json:"miss_blocks"`

	FetchedBytes     int64 `json:"fetched_bytes"`      // read from the vault (whole blocks)
	PeerFetchedBytes int64 `json:"peer_fetched_bytes"` // read from peers (whole blocks)
	RemoteReads      int64 `json:"remote_reads"`       // ranged reads (GETs) of the vault
	RemoteStats      int64 `json:"remote_stats"`       // Stats (HEADs) of the vault
	PeerReads        int64 `json:"peer_reads"`         // peer read attempts
	BypassReads      int64 `json:"bypass_reads"`       // vault reads that could not use the cache

	Admitted          int64 `json:"admitted"`            // blocks written to the cache
	WriteThroughBytes int64 `json:"write_through_bytes"` // of which written by Put
	Evictions         int64 `json:"evictions"`
	CorruptBlocks     int64 `json:"corrupt_blocks"` // dropped because a checksum failed
	WriteErrors       int64 `json:"write_errors"`   // block files that could not be written
	DiskFull          bool  `json:"disk_full"`      // caching paused after ENOSPC
}

// Stats returns a snapshot.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	c.expireTTL(c.now().Unix())
	s := Stats{
		Path: c.cfg.Path, Capacity: c.cfg.Capacity, Used: c.used, Files: len(c.files),
		Queues: map[string]QueueStats{}, DiskFull: c.now().Before(c.diskFullUntil),
	}
	for k := Kind(0); k < numKinds; k++ {
		q := &c.queues[k]
		s.Blocks += q.blocks
		s.Queues[k.String()] = QueueStats{
			Share: c.shares.of(k), Bytes: q.used, Blocks: q.blocks, Evictions: c.evictedOf[k],
			ShareSize: int64(c.shares.of(k) * float64(c.cfg.Capacity)),
		}
	}
	c.mu.Unlock()
	m := &c.m
	s.HitBytes, s.RemoteBytes, s.PeerBytes = m.hitBytes.Load(), m.remoteBytes.Load(), m.peerBytes.Load()
	s.HitBlocks, s.MissBlocks = m.hitBlocks.Load(), m.missBlocks.Load()
	s.FetchedBytes, s.PeerFetchedBytes = m.fetchedBytes.Load(), m.peerFetchedBytes.Load()
	s.RemoteReads, s.RemoteStats, s.PeerReads, s.BypassReads = m.remoteReads.Load(), m.remoteStats.Load(), m.peerReads.Load(), m.bypass.Load()
	s.Admitted, s.WriteThroughBytes, s.Evictions = m.admitted.Load(), m.writeThroughBytes.Load(), m.evictions.Load()
	s.CorruptBlocks, s.WriteErrors = m.corrupt.Load(), m.writeErrors.Load()
	return s
}
