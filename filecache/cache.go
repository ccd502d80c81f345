package filecache

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/doricdb/doric/vault"
)

// Cache is a block cache on local disk in front of a vault.Storage. It is itself a
// vault.Storage: reads go through the cache, everything else passes through to the vault (Put,
// Delete and DeletePrefix also invalidate what the cache holds of those objects).
type Cache struct {
	inner     vault.Storage
	cfg       Config
	shares    Shares
	blocksDir string
	tmpDir    string
	log       *slog.Logger
	m         counters

	mu            sync.Mutex
	files         map[fileKey]*file
	queues        [numKinds]queue
	used          int64 // bytes of blocks on disk or reserved for a block being written
	ttlNext       int64 // earliest expiration in the TTL queue (Unix seconds); 0: none
	diskFullUntil time.Time
	maxFiles      int
	evictedOf     [numKinds]int64
	handles       list.List      // of *block with an open fh, most recently used first
	pending       sync.WaitGroup // block writes in flight
	writers       chan struct{}  // slots for background block writes

	// Seams for tests (set before use by export_test.go).
	io            diskIO
	diskFullPause time.Duration
	now           func() time.Time

	ctx    context.Context // ends at Close; background work (warm-ups) stops with it
	cancel context.CancelFunc
	wg     sync.WaitGroup
	bufs   sync.Pool // *[]byte of BlockSize, for hit reads
}

var _ vault.Storage = (*Cache)(nil)

// file is what the cache knows of one object.
type file struct {
	key    fileKey
	path   string
	size   int64 // -1: unknown
	gen    uint64
	blocks map[int64]*block
	stat   *sizeFlight // a Stat in flight to learn size
	puts   int         // Puts of this object in flight through the cache
}

// sizeFlight is a Stat that concurrent readers of a cold object share.
type sizeFlight struct {
	done chan struct{}
	size int64
	err  error
}

// block is one cached (or being cached) block. Its states:
//
//	loading:  fill != nil and open; not counted in used
//	fetched:  fill done; the data is in fill.data (readers copy it from there)
//	reserved: bytes > 0: counted in used and its queue while its file is written
//	on disk:  onDisk, in its queue's LRU list, fill == nil
//
// A block leaves every state by dropBlock (eviction, invalidation, corruption, failure). Only
// blocks on disk and not pinned (refs == 0) are evicted.
type block struct {
	f          *file
	index      int64
	kind       Kind
	expiration int64
	dataLen    int
	bytes      int64
	refs       int // readers between planning and reading the block's file
	onDisk     bool
	elem       *list.Element
	fill       *fill
	// An open handle of the block's file and its verified chunk CRCs, kept for the most
	// recently read blocks (see Cache.handle).
	fh     *os.File
	crcs   []uint32
	fhElem *list.Element
}

// fill is a fetch in flight; concurrent readers of the block wait for it.
type fill struct {
	done chan struct{}
	data []byte
	err  error
}

type queue struct {
	lru    list.List // of *block, most recently used first
	used   int64
	blocks int
}

type counters struct {
	hitBytes, remoteBytes, peerBytes     atomic.Int64 // bytes delivered to readers, by source
	hitBlocks, missBlocks                atomic.Int64
	fetchedBytes, peerFetchedBytes       atomic.Int64 // bytes fetched (whole blocks)
	remoteReads, remoteStats, peerReads  atomic.Int64
	corrupt, writeErrors, admitted       atomic.Int64
	writeThroughBytes, evictions, bypass atomic.Int64
}

// diskIO writes block files; tests replace it to simulate a full disk.
type diskIO interface {
	// writeTemp creates a new temporary file holding the concatenation of parts.
	writeTemp(parts ...[]byte) (string, error)
	// appendFile appends b to the file.
	appendFile(name string, b []byte) error
}

type osIO struct{ dir string }

func (o osIO) writeTemp(parts ...[]byte) (string, error) {
	f, err := os.CreateTemp(o.dir, "blk-*")
	if err != nil {
		return "", err
	}
	for _, p := range parts {
		if _, err = f.Write(p); err != nil {
			break
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func (o osIO) appendFile(name string, b []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// MinCapacity is the smallest capacity a cache accepts: two blocks.
const MinCapacity = 2 * BlockSize

const (
	defaultDiskFullPause = 5 * time.Second
	maxBackgroundWrites  = 4
)

// New opens the cache in cfg.Path over inner, rebuilding its index from the block files found
// there (see FORMAT.md), and registers its metrics.
func New(inner vault.Storage, cfg Config) (*Cache, error) {
	if cfg.Path == "" {
		return nil, errors.New("file cache: no path")
	}
	if cfg.Capacity < MinCapacity {
		return nil, fmt.Errorf("file cache: capacity %d is less than the minimum %d", cfg.Capacity, MinCapacity)
	}
	shares, err := cfg.Shares.normalized()
	if err != nil {
		return nil, fmt.Errorf("file cache: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	c := &Cache{
		inner:         inner,
		cfg:           cfg,
		shares:        shares,
		blocksDir:     filepath.Join(cfg.Path, "blocks"),
		tmpDir:        filepath.Join(cfg.Path, "tmp"),
		log:           log.With("component", "filecache"),
		files:         map[fileKey]*file{},
		maxFiles:      int(max(4096, 2*cfg.Capacity/BlockSize)),
		diskFullPause: defaultDiskFullPause,
		now:           time.Now,
		writers:       make(chan struct{}, maxBackgroundWrites),
	}
	c.io = osIO{dir: c.tmpDir}
	c.bufs.New = func() any { b := make([]byte, BlockSize); return &b }
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := c.open(); err != nil {
		return nil, fmt.Errorf("file cache %s: %w", cfg.Path, err)
	}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(collector{c}); err != nil {
			return nil, fmt.Errorf("file cache: register metrics: %w", err)
		}
	}
	return c, nil
}

// Close stops background work (warm-ups) and waits for it. The cache's files stay for the next
// New; the Cache must not be used afterwards.
func (c *Cache) Close() error {
	c.cancel()
	c.wg.Wait()
	c.pending.Wait()
	c.mu.Lock()
	for c.handles.Len() > 0 {
		c.closeHandle(c.handles.Front().Value.(*block))
	}
	c.mu.Unlock()
	if c.cfg.Registerer != nil {
		c.cfg.Registerer.Unregister(collector{c})
	}
	return nil
}

// open prepares the directory and loads the blocks found in it.
func (c *Cache) open() error {
	if err := os.MkdirAll(c.cfg.Path, 0o755); err != nil {
		return err
	}
	vf := filepath.Join(c.cfg.Path, "VERSION")
	if v, err := os.ReadFile(vf); err != nil || string(v) != versionText {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err == nil {
			c.log.Warn("file cache of another format version: starting empty", "found", strings.TrimSpace(string(v)))
		}
		if err := os.RemoveAll(c.blocksDir); err != nil {
			return err
		}
		if err := os.WriteFile(vf, []byte(versionText), 0o644); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(c.tmpDir); err != nil {
		return err
	}
	if err := os.MkdirAll(c.tmpDir, 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(c.blocksDir, 0o755); err != nil {
		return err
	}
	return c.load()
}

type found struct {
	meta  blockMeta
	mtime time.Time
}

// load rebuilds the index from the block files.
func (c *Cache) load() error {
	var blocks []found
	dropped := 0
	subdirs, err := os.ReadDir(c.blocksDir)
	if err != nil {
		return err
	}
	for _, sd := range subdirs {
		dir := filepath.Join(c.blocksDir, sd.Name())
		if !sd.IsDir() {
			os.Remove(dir)
			continue
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			name := filepath.Join(dir, e.Name())
			m, mtime, err := readMeta(name, e.Name())
			if err != nil {
				c.log.Warn("dropping an invalid cache block", "file", name, "err", err)
				os.RemoveAll(name)
				dropped++
				continue
			}
			blocks = append(blocks, found{m, mtime})
		}
	}
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].mtime.Before(blocks[j].mtime) })
	now := c.now().Unix()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, fb := range blocks {
		m := fb.meta
		f := c.files[m.key]
		if f == nil {
			f = &file{key: m.key, path: m.path, size: m.objectSize, blocks: map[int64]*block{}}
			c.files[m.key] = f
		}
		if f.path != m.path || f.size != m.objectSize || f.blocks[m.index] != nil {
			// Blocks of two versions of one object (or of two paths with one hash): keep one.
			os.Remove(filepath.Join(c.blocksDir, blockName(m.key, m.index)))
			dropped++
			continue
		}
		kind := m.kind
		if kind == TTL && m.expiration <= now {
			kind = Normal
		}
		b := &block{f: f, index: m.index, kind: kind, expiration: m.expiration, dataLen: m.dataLen, bytes: m.fileBytes(), onDisk: true}
		f.blocks[m.index] = b
		q := &c.queues[kind]
		q.used += b.bytes
		q.blocks++
		c.used += b.bytes
		b.elem = q.lru.PushFront(b)
		if kind == TTL && (c.ttlNext == 0 || m.expiration < c.ttlNext) {
			c.ttlNext = m.expiration
		}
	}
	for c.used > c.cfg.Capacity { // the capacity shrank since the last run
		v := c.pickVictim(Normal, 0)
		if v == nil {
			return fmt.Errorf("BUG: %d bytes used of %d and nothing to evict", c.used, c.cfg.Capacity)
		}
		c.dropBlock(v)
	}
	n := 0
	for k := range c.queues {
		n += c.queues[k].blocks
	}
	c.log.Info("file cache loaded", "blocks", n, "bytes", c.used, "dropped", dropped)
	return nil
}

// readMeta reads and checks the trailer of a block file.
func readMeta(name, base string) (blockMeta, time.Time, error) {
	key, index, err := parseBlockName(base)
	if err != nil {
		return blockMeta{}, time.Time{}, err
	}
	f, err := os.Open(name)
	if err != nil {
		return blockMeta{}, time.Time{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return blockMeta{}, time.Time{}, err
	}
	if !fi.Mode().IsRegular() || fi.Size() < footerSize {
		return blockMeta{}, time.Time{}, fmt.Errorf("not a block file (%v, %d bytes)", fi.Mode(), fi.Size())
	}
	foot := make([]byte, footerSize)
	if _, err := f.ReadAt(foot, fi.Size()-footerSize); err != nil {
		return blockMeta{}, time.Time{}, err
	}
	m, err := decodeFooter(foot)
	if err != nil {
		return m, time.Time{}, err
	}
	if fi.Size() != m.fileBytes() {
		return m, time.Time{}, fmt.Errorf("file of %d bytes, its footer says %d", fi.Size(), m.fileBytes())
	}
	tail := make([]byte, fi.Size()-int64(m.dataLen))
	if _, err := f.ReadAt(tail, int64(m.dataLen)); err != nil {
		return m, time.Time{}, err
	}
	m, _, err = decodeTrailer(tail)
	if err != nil {
		return m, time.Time{}, err
	}
	if m.key != key || m.index != index {
		return m, time.Time{}, fmt.Errorf("holds block %d of %s", m.index, m.key)
	}
	return m, fi.ModTime(), nil
}

func (c *Cache) blockFile(b *block) string {
	return filepath.Join(c.blocksDir, blockName(b.f.key, b.index))
}

// fileFor returns the entry of path, creating it; nil when another path has the same hash.
// c.mu must be held.
func (c *Cache) fileFor(key fileKey, path string) *file {
	f := c.files[key]
	if f == nil {
		if len(c.files) >= c.maxFiles {
			c.pruneFiles()
		}
		f = &file{key: key, path: path, size: -1, blocks: map[int64]*block{}}
		c.files[key] = f
	}
	if f.path != path {
		return nil
	}
	return f
}

// pruneFiles forgets the objects of which nothing is cached or in flight. c.mu must be held.
func (c *Cache) pruneFiles() {
	for k, f := range c.files {
		if len(f.blocks) == 0 && f.stat == nil && f.puts == 0 {
			delete(c.files, k)
		}
	}
}

// live reports whether b is still the cache's block for its place. c.mu must be held.
func (c *Cache) live(b *block) bool { return b.f.blocks[b.index] == b }

// dropBlock removes b from the cache (and its file from the disk). c.mu must be held.
func (c *Cache) dropBlock(b *block) {
	if !c.live(b) {
		return
	}
	delete(b.f.blocks, b.index)
	q := &c.queues[b.kind]
	if b.bytes > 0 {
		c.used -= b.bytes
		q.used -= b.bytes
		q.blocks--
	}
	if b.elem != nil {
		q.lru.Remove(b.elem)
		b.elem = nil
	}
	c.closeHandle(b)
	if b.onDisk {
		if err := os.Remove(c.blockFile(b)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			c.log.Warn("removing a cache block", "err", err)
		}
		b.onDisk = false
	}
}

// invalidate drops everything cached of f: its object changed or went away. c.mu must be held.
func (c *Cache) invalidate(f *file) {
	for _, b := range f.blocks {
		c.dropBlock(b)
	}
	f.size = -1
	f.gen++
}

// expireTTL moves expired TTL blocks to the normal queue. c.mu must be held.
func (c *Cache) expireTTL(now int64) {
	if c.ttlNext == 0 || now < c.ttlNext {
		return
	}
	c.ttlNext = 0
	q, nq := &c.queues[TTL], &c.queues[Normal]
	for e := q.lru.Front(); e != nil; {
		b := e.Value.(*block)
		next := e.Next()
		if b.expiration <= now {
			q.lru.Remove(e)
			q.used -= b.bytes
			q.blocks--
			b.kind = Normal
			b.elem = nq.lru.PushBack(b) // expired: among the first to go
			nq.used += b.bytes
			nq.blocks++
		} else if c.ttlNext == 0 || b.expiration < c.ttlNext {
			c.ttlNext = b.expiration
		}
		e = next
	}
}

// pickVictim chooses the block to evict to make room for need bytes of queue kind: the least
// recently used unpinned block of the queue whose usage (counting the newcomer) is furthest
// above its share. nil when nothing can be evicted. c.mu must be held.
func (c *Cache) pickVictim(kind Kind, need int64) *block {
	var best *block
	bestOver := -1.0
	// On ties the disposable queue goes first, the TTL queue last.
	for _, k := range [...]Kind{Disposable, Normal, Index, TTL} {
		q := &c.queues[k]
		var cand *block
		for e := q.lru.Back(); e != nil; e = e.Prev() {
			if b := e.Value.(*block); b.refs == 0 {
				cand = b
				break
			}
		}
		if cand == nil {
			continue
		}
		used := float64(q.used)
		if k == kind {
			used += float64(need)
		}
		over := math.Inf(1)
		if share := c.shares.of(k) * float64(c.cfg.Capacity); share > 0 {
			over = used / share
		}
		if over > bestOver {
			best, bestOver = cand, over
		}
	}
	return best
}

// reserve makes room for b's bytes, evicting as needed, and counts them. It fails when the disk
// was recently found full or nothing more can be evicted. c.mu must be held.
func (c *Cache) reserve(b *block, need int64) bool {
	now := c.now()
	if now.Before(c.diskFullUntil) {
		return false
	}
	c.expireTTL(now.Unix())
	if b.kind == TTL && b.expiration <= now.Unix() {
		b.kind = Normal
	}
	for c.used+need > c.cfg.Capacity {
		v := c.pickVictim(b.kind, need)
		if v == nil {
			return false
		}
		c.m.evictions.Add(1)
		c.evictedOf[v.kind]++
		c.dropBlock(v)
	}
	b.bytes = need
	c.used += need
	q := &c.queues[b.kind]
	q.used += need
	q.blocks++
	return true
}

// place renames a written block file into place and puts b on its queue. c.mu must be held
// and b reserved.
func (c *Cache) place(b *block, tmp string) error {
	name := c.blockFile(b)
	err := os.Rename(tmp, name)
	if errors.Is(err, fs.ErrNotExist) { // the first block of its subdirectory
		if err = os.Mkdir(filepath.Dir(name), 0o755); err == nil || errors.Is(err, fs.ErrExist) {
			err = os.Rename(tmp, name)
		}
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	b.onDisk = true
	b.fill = nil
	b.elem = c.queues[b.kind].lru.PushFront(b)
	if b.kind == TTL && (c.ttlNext == 0 || b.expiration < c.ttlNext) {
		c.ttlNext = b.expiration
	}
	c.m.admitted.Add(1)
	return nil
}

// writeFailed records a failed block write; a full disk pauses caching for a while, during
// which reads go to the vault uncached. c.mu must be held.
func (c *Cache) writeFailed(err error) {
	c.m.writeErrors.Add(1)
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		if !c.now().Before(c.diskFullUntil) {
			c.log.Warn("file cache disk full: reading uncached for a while", "pause", c.diskFullPause, "err", err)
		}
		c.diskFullUntil = c.now().Add(c.diskFullPause)
		return
	}
	c.log.Warn("writing a cache block", "err", err)
}

// admit reserves room for a fetched block and writes it to disk — in the background when a
// writer is free (its readers already have its data, and later readers copy it from memory
// until it is on disk), else in the caller's goroutine. On any failure the block is dropped.
func (c *Cache) admit(b *block, data []byte, objectSize int64) {
	m := blockMeta{key: b.f.key, index: b.index, objectSize: objectSize, expiration: b.expiration,
		kind: b.kind, dataLen: len(data), path: b.f.path}
	c.mu.Lock()
	if !c.live(b) {
		c.mu.Unlock()
		return
	}
	if !c.reserve(b, m.fileBytes()) {
		c.dropBlock(b)
		c.mu.Unlock()
		return
	}
	m.kind = b.kind // reserve may have turned an expired TTL block into a normal one
	c.pending.Add(1)
	c.mu.Unlock()
	select {
	case c.writers <- struct{}{}:
		go func() {
			defer func() { <-c.writers }()
			c.write(b, &m, data)
		}()
	default:
		c.write(b, &m, data)
	}
}

// write writes a reserved block's file and places it. It ends one pending write.
func (c *Cache) write(b *block, m *blockMeta, data []byte) {
	defer c.pending.Done()
	tmp, err := c.io.writeTemp(data, encodeTrailer(m, chunkCRCs(data)))
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err != nil:
		c.writeFailed(err)
		c.dropBlock(b)
	case !c.live(b): // invalidated meanwhile
		os.Remove(tmp)
	default:
		if err := c.place(b, tmp); err != nil {
			c.writeFailed(err)
			c.dropBlock(b)
		}
	}
}

// Flush waits until the blocks fetched so far are written to disk (or given up).
func (c *Cache) Flush() { c.pending.Wait() }

func (c *Cache) Put(ctx context.Context, path string, r io.Reader) (int64, error) {
	if err := vault.ValidatePath(path); err != nil {
		return 0, fmt.Errorf("file cache: put: %w", err)
	}
	key := keyOf(path)
	c.mu.Lock()
	f := c.fileFor(key, path)
	diskFull := c.now().Before(c.diskFullUntil)
	if f != nil {
		f.puts++
	}
	c.mu.Unlock()
	if f == nil { // another path has this hash: nothing of it is cached
		return c.inner.Put(ctx, path, r)
	}
	var st *stager
	if c.cfg.WriteThrough && !diskFull {
		st = &stager{c: c, limit: c.cfg.Capacity}
		r = io.TeeReader(r, st)
	}
	n, err := c.inner.Put(ctx, path, r)
	if st != nil && err == nil {
		st.finish(f, n, HintFrom(ctx))
	}
	c.mu.Lock()
	f.puts--
	c.invalidate(f) // the object changed (or a failed Put may have replaced nothing: harmless)
	if err == nil && f.puts == 0 {
		f.size = n
		if st != nil {
			st.admit(f)
		}
	}
	c.mu.Unlock()
	if st != nil {
		st.cleanup()
	}
	return n, err
}

func (c *Cache) Stat(ctx context.Context, path string) (vault.ObjectInfo, error) {
	info, err := c.inner.Stat(ctx, path)
	c.m.remoteStats.Add(1)
	if err != nil {
		return info, err
	}
	c.mu.Lock()
	if f := c.files[keyOf(path)]; f != nil && f.path == path && f.size != info.Size {
		if f.size >= 0 { // the object changed behind the cache's back
			c.invalidate(f)
		}
		if f.stat == nil && f.puts == 0 {
			f.size = info.Size
		}
	}
	c.mu.Unlock()
	return info, nil
}

func (c *Cache) List(ctx context.Context, prefix string) ([]vault.ObjectInfo, error) {
	return c.inner.List(ctx, prefix)
}

func (c *Cache) Delete(ctx context.Context, paths ...string) error {
	err := c.inner.Delete(ctx, paths...)
	c.mu.Lock()
	for _, p := range paths {
		if f := c.files[keyOf(p)]; f != nil && f.path == p {
			c.invalidate(f)
		}
	}
	c.mu.Unlock()
	return err
}

func (c *Cache) DeletePrefix(ctx context.Context, prefix string) error {
	err := c.inner.DeletePrefix(ctx, prefix)
	if prefix == "" {
		return err
	}
	c.mu.Lock()
	for _, f := range c.files {
		if strings.HasPrefix(f.path, prefix) {
			c.invalidate(f)
		}
	}
	c.mu.Unlock()
	return err
}

// Clear drops every cached block that no reader is using at the moment and returns how many
// blocks and bytes it dropped.
func (c *Cache) Clear() (blocks int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.files {
		for _, b := range f.blocks {
			if b.onDisk && b.refs == 0 {
				blocks++
				bytes += b.bytes
				c.dropBlock(b)
			}
		}
	}
	return blocks, bytes
}

// Inner is the vault the cache reads from.
func (c *Cache) Inner() vault.Storage { return c.inner }

// maxHandles bounds the block files the cache keeps open.
const maxHandles = 256

// closeHandle closes b's open file, if any. c.mu must be held.
func (c *Cache) closeHandle(b *block) {
	if b.fh == nil {
		return
	}
	b.fh.Close() // a concurrent ReadAt on it fails, and its reader fetches the block again
	c.handles.Remove(b.fhElem)
	b.fh, b.crcs, b.fhElem = nil, nil, nil
}

// handle returns an open file of pinned block b and its chunk CRCs, opening the file and
// verifying its trailer if it is not open yet. Open files are kept for the most recently read
// blocks, so a hit costs one read of the chunks it needs.
func (c *Cache) handle(b *block) (*os.File, []uint32, error) {
	c.mu.Lock()
	if b.fh != nil {
		c.handles.MoveToFront(b.fhElem)
		fh, crcs := b.fh, b.crcs
		c.mu.Unlock()
		return fh, crcs, nil
	}
	c.mu.Unlock()
	fh, err := os.Open(c.blockFile(b))
	if err != nil {
		return nil, nil, err
	}
	crcs, err := c.verifyTrailer(fh, b)
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.live(b):
		fh.Close()
		return nil, nil, fs.ErrNotExist
	case b.fh != nil: // another reader opened it meanwhile
		fh.Close()
		c.handles.MoveToFront(b.fhElem)
		return b.fh, b.crcs, nil
	}
	b.fh, b.crcs, b.fhElem = fh, crcs, c.handles.PushFront(b)
	for e := c.handles.Back(); c.handles.Len() > maxHandles && e != nil; {
		prev := e.Prev()
		if v := e.Value.(*block); v.refs == 0 {
			c.closeHandle(v)
		}
		e = prev
	}
	return fh, crcs, nil
}
